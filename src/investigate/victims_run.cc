#include "investigate/victims_run.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "ingest/csv_splitter.h"

namespace callguard::investigate {

VictimsResult GradeVictims(const CallSet& set, const std::vector<std::string>& op_of,
                           double risk_score, const InvestigateConfig& cfg,
                           const Subscribers* subs) {
  VictimsResult res;
  const auto& nums = set.numbers();
  std::vector<bool> scam(nums.size(), false);
  for (uint32_t i = 0; i < nums.size(); ++i) {
    scam[i] = !nums[i].withheld &&
              ((i < op_of.size() && !op_of[i].empty()) || nums[i].max_score >= risk_score);
    res.scam_side += scam[i];
  }
  VictimTracker tracker(cfg.grades, subs);
  TaskPlanner planner(cfg.warnings);
  // The calls in time order (files are normally sorted; a stable sort keeps ties in input order).
  std::vector<uint32_t> order(set.calls().size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return set.calls()[a].t_ms < set.calls()[b].t_ms;
  });
  Contact c;
  for (uint32_t idx : order) {
    const CallRec& r = set.calls()[idx];
    bool from_scam = scam[r.caller], to_scam = scam[r.callee];
    if (from_scam == to_scam) continue;  // both or neither on the scam side
    uint32_t person = from_scam ? r.callee : r.caller, other = from_scam ? r.caller : r.callee;
    if (nums[person].withheld) continue;
    c.person_key = nums[person].key;
    c.person = nums[person].text;
    c.scam_key = nums[other].key;
    c.scam_number = nums[other].text;
    c.operation = other < op_of.size() ? op_of[other] : "";
    c.t_ms = r.t_ms;
    c.answered = r.answered;
    c.duration_s = r.duration_s;
    c.ingress = from_scam ? r.ingress : Ingress::kUnknown;
    c.callback = !from_scam;
    ++res.contacts;
    if (const Victim* v = tracker.Observe(c)) {
      // The task is due when the call that raised the grade has ended.
      int64_t end = r.end_ms();
      for (Task& t : planner.Plan(*v, end)) res.tasks.push_back(std::move(t));
    }
  }
  res.suppressed = planner.suppressed();
  for (const auto& [k, v] : tracker.victims()) res.victims.push_back(v);
  std::sort(res.victims.begin(), res.victims.end(), [](const Victim& a, const Victim& b) {
    int ga = GradeRank(a.grade), gb = GradeRank(b.grade);
    if (ga != gb) return ga > gb;
    if (a.connected_s != b.connected_s) return a.connected_s > b.connected_s;
    return a.number < b.number;
  });
  return res;
}

Status WriteVictims(const VictimsResult& r, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(dir + ": " + ec.message());
  FILE* f = std::fopen((dir + "/victims.csv").c_str(), "w");
  if (!f) return Status::IoError(dir + "/victims.csv: cannot create");
  std::fputs(
      "number,grade,reasons,operation,connected_s,connected_72h_s,longest_call_s,scam_numbers,"
      "callbacks,age_band,vulnerable,graded_at_ms\n",
      f);
  for (const Victim& v : r.victims) {
    std::string reasons;
    for (const auto& x : v.reasons) reasons += (reasons.empty() ? "" : ";") + x;
    std::fprintf(f, "%s,%s,%s,%s,%.0f,%.0f,%.0f,%zu,%u,%s,%d,%lld\n", CsvField(v.number).c_str(),
                 v.grade.c_str(), reasons.c_str(), CsvField(v.main_operation).c_str(),
                 v.connected_s, v.connected_72h_s, v.longest_s, v.scam_numbers.size(), v.callbacks,
                 AgeBandName(v.age), v.vulnerable ? 1 : 0, static_cast<long long>(v.graded_ms));
  }
  if (std::fclose(f) != 0) return Status::IoError(dir + "/victims.csv: write failed");
  f = std::fopen((dir + "/victims.jsonl").c_str(), "w");
  if (!f) return Status::IoError(dir + "/victims.jsonl: cannot create");
  for (const Victim& v : r.victims) {
    std::string line = VictimJson(v) + "\n";
    std::fwrite(line.data(), 1, line.size(), f);
  }
  if (std::fclose(f) != 0) return Status::IoError(dir + "/victims.jsonl: write failed");
  f = std::fopen((dir + "/tasks.jsonl").c_str(), "w");
  if (!f) return Status::IoError(dir + "/tasks.jsonl: cannot create");
  for (const Task& t : r.tasks) {
    std::string line = t.Json() + "\n";
    std::fwrite(line.data(), 1, line.size(), f);
  }
  if (std::fclose(f) != 0) return Status::IoError(dir + "/tasks.jsonl: write failed");
  return Status::Ok();
}

}  // namespace callguard::investigate
