// Victims over a batch of calls: the contacts of a CallSet, in time order, through the
// VictimTracker and the TaskPlanner (victims.h), and the output files.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/subscribers.h"
#include "investigate/call_set.h"
#include "investigate/victims.h"

namespace callguard::investigate {

struct VictimsResult {
  std::vector<Victim> victims;  // most severe first
  std::vector<Task> tasks;      // in creation order
  uint64_t contacts = 0, suppressed = 0, scam_side = 0;
};

// `op_of`: per number id, the operation id ("" when not grouped). The scam side is the grouped
// numbers plus every number whose highest verdict score reaches `risk_score`.
VictimsResult GradeVictims(const CallSet& set, const std::vector<std::string>& op_of,
                           double risk_score, const InvestigateConfig& cfg,
                           const Subscribers* subs);

// victims.csv (number,grade,reasons,...), victims.jsonl and tasks.jsonl in `dir`.
Status WriteVictims(const VictimsResult& r, const std::string& dir);

}  // namespace callguard::investigate
