// Operations: the risky numbers grouped into scam operations (investigation step 2).
//
// The linked graph (links.h) is split into communities with igraph's Leiden algorithm under the
// Constant Potts Model: a group stands only when the weight of the links inside it exceeds
// `resolution` times the number of pairs in it, so a few links between two dense groups do not
// chain them together the way connected components would. Each operation is then summarised
// from its members' calls. Deterministic for a seed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/investigate_config.h"
#include "investigate/call_set.h"
#include "investigate/links.h"

namespace callguard::investigate {

struct Member {
  uint32_t number = 0;
  double confidence = 0;  // share of its link weight inside the operation x link strength
  std::string role;       // core | member | peripheral
};

struct Operation {
  std::string id;  // "op-" + hash of the founding number (stable while the operation grows)
  std::vector<Member> members;
  int64_t first_ms = 0, last_ms = 0;
  uint64_t calls = 0, answered = 0, reach = 0, victims = 0, callbacks = 0;
  double connected_s = 0;
  std::map<std::string, uint64_t> countries, address_blocks, devices, trunks, cells, origids,
      ingress;
  int agents = 0;  // peak number of simultaneous calls
  std::string type;
  std::vector<size_t> links;  // indexes into OpsResult::links of the links inside it
};

struct OpsResult {
  std::vector<Operation> operations;  // largest first
  std::vector<Link> links;
  std::vector<int32_t> op_of;  // number id -> index in operations, or -1
  LinkStats stats;
  double quality = 0;  // CPM quality of the partition
  double seconds_links = 0, seconds_leiden = 0, seconds_summary = 0;
};

Result<OpsResult> FindOperations(const CallSet& set, const OpsConfig& cfg);

// membership.csv, operations.jsonl and edges.csv in `dir` (created if needed).
Status WriteOperations(const CallSet& set, const OpsResult& r, const std::string& dir);

// One operation as the JSON object of operations.jsonl (links limited to `max_links`).
std::string OperationJson(const CallSet& set, const OpsResult& r, const Operation& op,
                          size_t max_links);

}  // namespace callguard::investigate
