// LiveInvestigation: the investigation inside `serve`. Every completed call record the service
// learns from also comes here, with the score the engine gave it and the wall-clock time it
// arrived. A grading thread follows the contacts between the scam side and everybody else
// (VictimTracker) and turns a grade that rises to the warning threshold into tasks (TaskPlanner):
// stored in the store's victim_tasks (the dashboard's queue) and delivered by the Dispatcher
// (webhook / JSON Lines), typically within milliseconds of the record's arrival. An operations
// thread regroups the recent calls (investigate.ops.window) every investigate.ops.interval,
// writes membership.csv / operations.jsonl / edges.csv to <data_dir>/investigation, publishes the
// membership the grader uses, and escalates unanswered voice calls into home visits.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/metrics.h"
#include "callguard/call.h"
#include "core/config.h"
#include "core/subscribers.h"
#include "investigate/call_set.h"
#include "investigate/dispatch.h"
#include "investigate/victims.h"
#include "store/store.h"

namespace callguard {

struct LiveOperation {
  std::string id, type, json;  // json: the operations.jsonl record
  size_t members = 0;
  uint64_t calls = 0;
  int64_t last_ms = 0;
};

class LiveInvestigation {
 public:
  LiveInvestigation(const Config& cfg, std::shared_ptr<const Subscribers> subs, store::Store* store,
                    Metrics* metrics);
  ~LiveInvestigation();
  Status Start();
  void Stop();
  // A completed call, its score, and when its record arrived (wall clock). Never blocks on I/O.
  // A record without an origid takes the one its screened INVITE carried (NoteOrigid).
  void OnCall(const Call& c, double score, int64_t arrived_ms);
  // A screened call whose PASSporT verified: its origid waits (investigate.ops.origid_join, at
  // most kMaxOrigidWaiting calls) for the call's record, matched by call id. SIP Call-IDs are
  // what switches and Kamailio's acc module write as the record's call id.
  void NoteOrigid(const std::string& call_id, const std::string& origid, int64_t now_ms);
  static constexpr size_t kMaxOrigidWaiting = 1000000;
  // The latest operations (largest first) and one by id.
  std::vector<LiveOperation> Operations() const;
  bool Operation(const std::string& id, LiveOperation* out) const;
  // The numbers of an operation (empty when unknown).
  std::vector<std::string> Members(const std::string& id) const;
  // Runs the grouping now and waits for it (tests, POST /v1/operations/refresh).
  void RegroupNow();
  std::string dir() const { return dir_; }

 private:
  struct Item {
    Call call;
    double score;
    int64_t arrived_ms;
  };
  void GradeLoop();
  void Grade(const Item& it);  // one record: exposures, and the tasks a rise makes
  void OpsLoop();
  void Regroup();
  void Escalate();
  void Emit(const investigate::Task& t, int64_t arrived_ms);

  Config cfg_;
  std::shared_ptr<const Subscribers> subs_;
  store::Store* store_;
  Metrics* metrics_;
  std::string dir_;
  std::unique_ptr<investigate::Dispatcher> dispatcher_;
  investigate::VictimTracker tracker_;
  investigate::TaskPlanner planner_;
  // Grading queue.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  // Set once by Stop() (under mu_); read by the grading loop under mu_ and by the operations
  // loop and regrouping waiters under regroup_mu_, hence atomic.
  std::atomic<bool> stop_{false};
  // Verified origids of screened calls, by call id, oldest first in origid_order_.
  std::atomic<bool> any_origid_{false};  // no lock per record until an origid was seen
  std::mutex origid_mu_;
  std::unordered_map<std::string, std::string> origid_by_call_;
  std::deque<std::pair<int64_t, std::string>> origid_order_;
  // Calls waiting to join the operations thread's call set (with their scores).
  std::mutex pending_mu_;
  std::vector<std::pair<Call, double>> pending_;
  // Published by the operations thread.
  mutable std::mutex ops_mu_;
  std::shared_ptr<const std::unordered_map<uint64_t, std::string>> op_of_;
  std::vector<LiveOperation> ops_;
  std::unordered_map<std::string, std::vector<std::string>> members_;
  // The grader's view of risk: highest score per caller key, and when it last called. The grader
  // forgets callers, people and fatigue records idle longer than the window once an hour of
  // stream time (Forget), so memory follows the window, not the server's life.
  struct Risk {
    float score = 0;
    int64_t last_ms = 0;
  };
  std::unordered_map<uint64_t, Risk> risk_;
  int64_t forgot_ms_ = 0;
  void Forget(int64_t now_ms);
  std::mutex planner_mu_;  // the planner is used by the grader and by escalation
  std::mutex regroup_mu_;
  std::condition_variable regroup_cv_;
  uint64_t regroup_requested_ = 0, regroup_done_ = 0;
  std::unique_ptr<investigate::CallSet> set_;  // the recent calls; the operations thread's own
  std::thread grade_thread_, ops_thread_;
};

}  // namespace callguard
