#include "investigate/victims.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "investigate/signing.h"

namespace callguard::investigate {

namespace {
constexpr int64_t k72h = 72LL * 3600 * 1000;
}  // namespace

const char* AgeBandName(AgeBand a) {
  switch (a) {
    case AgeBand::kUnder18:
      return "<18";
    case AgeBand::k18to39:
      return "18-39";
    case AgeBand::k40to59:
      return "40-59";
    case AgeBand::k60plus:
      return "60+";
    default:
      return "";
  }
}

VictimTracker::VictimTracker(std::vector<GradeRule> rules, const Subscribers* subs)
    : rules_(std::move(rules)), subs_(subs) {}

const Victim* VictimTracker::Observe(const Contact& c) {
  auto [it, fresh] = victims_.try_emplace(c.person_key);
  Victim& v = it->second;
  if (fresh) {
    v.number = c.person;
    v.first_ms = c.t_ms;
    v.first_contact_foreign =
        !c.callback && (c.ingress == Ingress::kInternational || c.ingress == Ingress::kVoip);
    if (subs_) {
      if (const Subscriber* s = subs_->Find(c.person_key)) {
        v.age = s->age;
        v.elderly = s->age == AgeBand::k60plus;
        v.vulnerable = s->vulnerable;
      }
    }
  }
  // Repeat contact: any contact within 72 h of an earlier connected call.
  if (!v.recent.empty() && c.t_ms - v.recent.back().first <= k72h) v.repeat_72h = true;
  v.last_ms = std::max(v.last_ms, c.t_ms);
  ++v.contacts;
  if (c.callback) ++v.callbacks;
  if (c.answered && c.duration_s > 0) {
    ++v.connected_calls;
    v.connected_s += c.duration_s;
    v.longest_s = std::max(v.longest_s, c.duration_s);
    double& longest = v.scam_numbers[c.scam_number];
    longest = std::max(longest, c.duration_s);
    if (!c.operation.empty()) {
      v.operations.insert(c.operation);
      v.in_operation = true;
    }
    v.main_operation = c.operation.empty() ? c.scam_number : c.operation;
    v.recent.push_back({c.t_ms, c.duration_s});
  } else if (v.main_operation.empty()) {
    v.main_operation = c.operation.empty() ? c.scam_number : c.operation;
  }
  while (!v.recent.empty() && c.t_ms - v.recent.front().first > k72h) v.recent.pop_front();
  v.connected_72h_s = 0;
  for (const auto& [t, d] : v.recent) v.connected_72h_s += d;
  int before = GradeRank(v.grade);
  Grade(v);
  if (GradeRank(v.grade) > before) {
    v.graded_ms = c.t_ms;
    return &v;
  }
  return nullptr;
}

void VictimTracker::Grade(Victim& v) const {
  std::string best = "low";
  std::vector<std::string> reasons;
  for (const GradeRule& r : rules_) {
    if (r.longest_call_s >= 0 && v.longest_s < r.longest_call_s) continue;
    if (r.connected_s_72h >= 0 && v.connected_72h_s < r.connected_s_72h) continue;
    if (r.operation_numbers >= 0) {
      int n = 0;
      for (const auto& [num, longest] : v.scam_numbers) n += longest >= r.operation_call_s;
      if (n < r.operation_numbers) continue;
    }
    if (r.in_operation && !v.in_operation) continue;
    if (r.elderly && !v.elderly) continue;
    if (r.vulnerable && !v.vulnerable) continue;
    if (r.first_contact_foreign && !v.first_contact_foreign) continue;
    if (r.callback && v.callbacks == 0) continue;
    reasons.push_back(r.name);
    if (GradeRank(r.grade) > GradeRank(best)) best = r.grade;
  }
  // Grades never fall while the person is tracked: the record is of what happened.
  if (GradeRank(best) >= GradeRank(v.grade)) v.grade = best;
  for (auto& r : reasons)
    if (std::find(v.reasons.begin(), v.reasons.end(), r) == v.reasons.end()) v.reasons.push_back(r);
}

void VictimTracker::Expire(int64_t cutoff_ms) {
  for (auto it = victims_.begin(); it != victims_.end();)
    it = it->second.last_ms < cutoff_ms ? victims_.erase(it) : std::next(it);
}

std::string VictimJson(const Victim& v) {
  nlohmann::ordered_json j;
  j["number"] = v.number;
  j["grade"] = v.grade;
  j["reasons"] = v.reasons;
  j["graded_at"] = v.graded_ms ? FormatRfc3339(v.graded_ms) : "";
  j["operation"] = v.main_operation;
  j["operations"] = v.operations;
  j["scam_numbers"] = v.scam_numbers.size();
  j["connected_s"] = v.connected_s;
  j["connected_72h_s"] = v.connected_72h_s;
  j["longest_call_s"] = v.longest_s;
  j["contacts"] = v.contacts;
  j["connected_calls"] = v.connected_calls;
  j["callbacks"] = v.callbacks;
  j["repeat_72h"] = v.repeat_72h;
  j["age_band"] = AgeBandName(v.age);
  j["vulnerable"] = v.vulnerable;
  j["first_contact_foreign"] = v.first_contact_foreign;
  j["first_contact"] = FormatRfc3339(v.first_ms);
  j["last_contact"] = FormatRfc3339(v.last_ms);
  return j.dump();
}

TaskPlanner::TaskPlanner(WarningsConfig cfg) : cfg_(std::move(cfg)) {}

bool TaskPlanner::Allow(const std::string& person, const std::string& op, const std::string& kind,
                        int64_t now_ms) {
  std::string key = person + '|' + op + '|' + kind;
  auto it = last_.find(key);
  if (it != last_.end() && now_ms - it->second < static_cast<int64_t>(cfg_.fatigue_s * 1000)) {
    ++suppressed_;
    return false;
  }
  last_[key] = now_ms;
  return true;
}

void TaskPlanner::Expire(int64_t now_ms) {
  const int64_t cutoff = now_ms - static_cast<int64_t>(cfg_.fatigue_s * 1000);
  for (auto it = last_.begin(); it != last_.end();)
    it = it->second <= cutoff ? last_.erase(it) : std::next(it);
}

Task TaskPlanner::Make(const Victim& v, const std::string& kind, int64_t now_ms,
                       double deadline_s) {
  Task t;
  t.person = v.number;
  t.operation = v.main_operation;
  t.grade = v.grade;
  t.kind = kind;
  t.created_ms = now_ms;
  t.deadline_ms = now_ms + static_cast<int64_t>(deadline_s * 1000);
  t.reasons = v.reasons;
  t.id = Sha256HexOf(t.person + '|' + t.operation + '|' + kind + '|' + std::to_string(now_ms))
             .substr(0, 32);
  if (kind == "voice_call" && GradeRank(v.grade) >= GradeRank("high"))
    t.escalates = "home_visit after " +
                  std::to_string(static_cast<int64_t>(cfg_.escalate_after_s)) + " s unanswered";
  return t;
}

std::vector<Task> TaskPlanner::Plan(const Victim& v, int64_t now_ms) {
  std::vector<Task> out;
  if (GradeRank(v.grade) < GradeRank(cfg_.min_grade) || GradeRank(v.grade) < 1) return out;
  std::string kind;
  double deadline = 0;
  if (v.grade == "critical") {
    kind = cfg_.critical_task;
    deadline = cfg_.critical_deadline_s;
  } else if (v.grade == "high") {
    kind = cfg_.high_task;
    deadline = cfg_.high_deadline_s;
  } else {
    kind = cfg_.medium_task;
    deadline = cfg_.medium_deadline_s;
  }
  if (Allow(v.number, v.main_operation, kind, now_ms))
    out.push_back(Make(v, kind, now_ms, deadline));
  if (v.grade == "critical" && cfg_.family_alert && (v.elderly || v.vulnerable) &&
      Allow(v.number, v.main_operation, "family_alert", now_ms))
    out.push_back(Make(v, "family_alert", now_ms, deadline));
  return out;
}

Task TaskPlanner::Escalation(const Task& call, int64_t now_ms, bool answered) {
  Task t;
  if (answered || call.escalates.empty()) return t;
  if (now_ms - call.created_ms < static_cast<int64_t>(cfg_.escalate_after_s * 1000)) return t;
  if (!Allow(call.person, call.operation, "home_visit", now_ms)) return t;
  t = call;
  t.kind = "home_visit";
  t.escalates.clear();
  t.parent = call.id;
  t.created_ms = now_ms;
  t.deadline_ms = now_ms + static_cast<int64_t>(cfg_.high_deadline_s * 1000 * 4);
  t.reasons.push_back("voice_call_unanswered");
  t.id = Sha256HexOf(call.id + "|home_visit").substr(0, 32);
  return t;
}

std::string Task::Json() const {
  nlohmann::ordered_json j;
  j["id"] = id;
  j["kind"] = kind;
  j["person"] = person;
  j["grade"] = grade;
  j["operation"] = operation;
  j["created"] = FormatRfc3339(created_ms);
  j["deadline"] = FormatRfc3339(deadline_ms);
  j["reasons"] = reasons;
  if (!escalates.empty()) j["escalation"] = escalates;
  if (!parent.empty()) j["parent"] = parent;
  return j.dump();
}

}  // namespace callguard::investigate
