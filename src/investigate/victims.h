// Victims: who is being defrauded now (investigation step 3), and the warning tasks for them.
//
// VictimTracker follows every contact between the scam side (numbers in operations, and numbers
// whose calls scored high) and everybody else, in time order, and keeps each person's exposure:
// connected seconds (in all and in the last 72 hours), their longest call, the distinct scam-side
// numbers and operations that reached them, repeat contact within 72 hours, callbacks to the
// scam side, and vulnerability (age band and vulnerable flag from the subscriber table, first
// contact over international or VoIP ingress). After each contact it grades the person with the
// configured rules (investigate.grades): the highest grade whose every condition holds; each
// matching rule is a reason. The same code grades a batch (`investigate victims`) and live calls
// (`serve`).
//
// TaskPlanner turns a grade that was reached or raised into warning tasks (flash_sms,
// voice_call, home_visit, family_alert) with deadlines, at most one task of a kind per person
// and operation within the fatigue window, and escalates a voice call nobody answered into a
// home visit. No task ever acts on the victim's own line (there is no such task kind).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "callguard/call.h"
#include "core/investigate_config.h"
#include "core/subscribers.h"

namespace callguard::investigate {

struct Contact {
  uint64_t person_key = 0;
  std::string person;  // E.164
  uint64_t scam_key = 0;
  std::string scam_number;
  std::string operation;  // operation id, or "" when the number is risky but not grouped
  int64_t t_ms = 0;
  bool answered = false;
  double duration_s = 0;
  Ingress ingress = Ingress::kUnknown;  // of the scam-side call
  bool callback = false;                // the person called the scam side
};

struct Victim {
  std::string number;
  std::string grade = "low";
  std::vector<std::string> reasons;
  double connected_s = 0, connected_72h_s = 0, longest_s = 0;
  uint32_t contacts = 0, connected_calls = 0, callbacks = 0;
  bool repeat_72h = false, in_operation = false, first_contact_foreign = false;
  bool elderly = false, vulnerable = false;
  AgeBand age = AgeBand::kUnknown;
  int64_t first_ms = 0, last_ms = 0, graded_ms = 0;  // graded_ms: when the grade was reached
  // Distinct scam-side numbers with a connected call, and the longest call with each.
  std::map<std::string, double> scam_numbers;
  std::set<std::string> operations;
  std::string main_operation;  // the operation (or scam number) of the latest connected contact
  std::deque<std::pair<int64_t, double>> recent;  // connected calls in the last 72 h
};

class VictimTracker {
 public:
  VictimTracker(std::vector<GradeRule> rules, const Subscribers* subs);
  // Records a contact; returns the person's record when their grade rose (else nullptr).
  const Victim* Observe(const Contact& c);
  const std::unordered_map<uint64_t, Victim>& victims() const { return victims_; }
  // Forgets people idle since before `cutoff_ms` (live use).
  void Expire(int64_t cutoff_ms);

 private:
  void Grade(Victim& v) const;
  std::vector<GradeRule> rules_;
  const Subscribers* subs_;
  std::unordered_map<uint64_t, Victim> victims_;
};

struct Task {
  std::string id;  // idempotency key: SHA-256 of person, operation, kind and creation time
  std::string person, operation, grade, kind;
  int64_t created_ms = 0, deadline_ms = 0;
  std::vector<std::string> reasons;
  std::string escalates;  // "home_visit after 1800 s unanswered", or ""
  std::string parent;     // the task an escalation came from
  std::string Json() const;
};

class TaskPlanner {
 public:
  explicit TaskPlanner(WarningsConfig cfg);
  // Tasks for a person whose grade was reached or raised at `now_ms`.
  std::vector<Task> Plan(const Victim& v, int64_t now_ms);
  // The home-visit task for a voice call nobody answered, when it is due at `now_ms` (else an
  // empty id).
  Task Escalation(const Task& call, int64_t now_ms, bool answered);
  uint64_t suppressed() const { return suppressed_; }
  // Forgets fatigue records whose window has passed at `now_ms` (they no longer suppress).
  void Expire(int64_t now_ms);

 private:
  bool Allow(const std::string& person, const std::string& op, const std::string& kind,
             int64_t now_ms);
  Task Make(const Victim& v, const std::string& kind, int64_t now_ms, double deadline_s);
  WarningsConfig cfg_;
  std::unordered_map<std::string, int64_t> last_;  // person|operation|kind -> last task time
  uint64_t suppressed_ = 0;
};

std::string VictimJson(const Victim& v);
const char* AgeBandName(AgeBand a);

}  // namespace callguard::investigate
