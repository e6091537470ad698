#include "service/live_investigation.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "investigate/call_set.h"
#include "investigate/operations.h"

namespace callguard {

LiveInvestigation::LiveInvestigation(const Config& cfg, std::shared_ptr<const Subscribers> subs,
                                     store::Store* store, Metrics* metrics)
    : cfg_(cfg),
      subs_(std::move(subs)),
      store_(store),
      metrics_(metrics),
      dir_(cfg.store.data_dir + "/investigation"),
      tracker_(cfg.investigate.grades, subs_.get()),
      planner_(cfg.investigate.warnings),
      op_of_(std::make_shared<std::unordered_map<uint64_t, std::string>>()) {}

LiveInvestigation::~LiveInvestigation() { Stop(); }

Status LiveInvestigation::Start() {
  if (mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::IoError(dir_ + ": cannot create");
  const auto& w = cfg_.investigate.warnings;
  if (!w.webhook.empty() || !w.tasks_file.empty()) {
    dispatcher_ = std::make_unique<investigate::Dispatcher>(
        w, dir_ + "/dispatched.jsonl", [this](const investigate::Task&, int64_t) {
          metrics_->victim_tasks_delivered.fetch_add(1, std::memory_order_relaxed);
        });
    CG_RETURN_IF_ERROR(dispatcher_->Start());
  }
  grade_thread_ = std::thread([this] { GradeLoop(); });
  ops_thread_ = std::thread([this] { OpsLoop(); });
  return Status::Ok();
}

void LiveInvestigation::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && !grade_thread_.joinable()) return;
    stop_ = true;
  }
  // Waiters on regroup_cv_ test stop_ under regroup_mu_, not mu_: taking it here means each of
  // them has either seen stop_ or is already waiting when the notification comes (otherwise it
  // could test stop_ just before the store, miss the notification and sleep until the next
  // regrouping, up to `investigate.ops.interval_s`, holding up shutdown; ThreadSanitizer found
  // the unsynchronised read).
  { std::lock_guard<std::mutex> lock(regroup_mu_); }
  cv_.notify_all();
  regroup_cv_.notify_all();
  if (grade_thread_.joinable()) grade_thread_.join();
  if (ops_thread_.joinable()) ops_thread_.join();
  if (dispatcher_) dispatcher_->Stop();
}

void LiveInvestigation::NoteOrigid(const std::string& call_id, const std::string& origid,
                                   int64_t now_ms) {
  if (call_id.empty() || origid.empty()) return;
  any_origid_.store(true, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(origid_mu_);
  const int64_t cutoff = now_ms - static_cast<int64_t>(cfg_.investigate.ops.origid_join_s * 1000);
  while (!origid_order_.empty() &&
         (origid_order_.front().first < cutoff || origid_order_.size() >= kMaxOrigidWaiting)) {
    origid_by_call_.erase(origid_order_.front().second);
    origid_order_.pop_front();
  }
  // A retransmitted or re-screened INVITE keeps its first entry.
  if (origid_by_call_.emplace(call_id, origid).second) {
    origid_order_.push_back({now_ms, call_id});
    metrics_->origid_noted.fetch_add(1, std::memory_order_relaxed);
  }
}

void LiveInvestigation::OnCall(const Call& c, double score, int64_t arrived_ms) {
  std::string origid;
  if (c.origid.empty() && !c.call_id.empty() && any_origid_.load(std::memory_order_relaxed)) {
    std::lock_guard<std::mutex> lock(origid_mu_);
    auto it = origid_by_call_.find(c.call_id);
    if (it != origid_by_call_.end()) {
      origid = it->second;  // left in place: expiry removes it (a record may be replayed)
      metrics_->origid_joined.fetch_add(1, std::memory_order_relaxed);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= 1 << 20) {  // far behind: drop rather than grow without bound
      metrics_->victim_queue_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back({c, score, arrived_ms});
    metrics_->victim_backlog.fetch_add(1, std::memory_order_relaxed);
    if (!origid.empty()) queue_.back().call.origid = std::move(origid);
  }
  cv_.notify_one();
}

void LiveInvestigation::Emit(const investigate::Task& t, int64_t arrived_ms) {
  store::VictimTaskRecord r;
  r.id = t.id;
  r.person = t.person;
  r.operation = t.operation;
  r.grade = t.grade;
  r.kind = t.kind;
  for (const auto& x : t.reasons) r.reasons += (r.reasons.empty() ? "" : ";") + x;
  r.parent = t.parent;
  r.created_ms = t.created_ms;
  r.deadline_ms = t.deadline_ms;
  r.arrived_ms = arrived_ms;
  auto added = store_->AddVictimTask(r);
  if (!added.ok()) {
    metrics_->store_errors.fetch_add(1, std::memory_order_relaxed);
    std::fprintf(stderr, "callguard: victim task %s not stored: %s\n", t.id.c_str(),
                 added.status().ToString().c_str());
  } else if (!*added) {
    return;  // known already (a replayed record): not sent again
  }
  metrics_->victim_tasks.fetch_add(1, std::memory_order_relaxed);
  if (arrived_ms > 0) {
    int64_t lag = WallClockMs() - arrived_ms;
    uint64_t prev = metrics_->victim_task_lag_max_ms.load(std::memory_order_relaxed);
    while (lag > 0 && static_cast<uint64_t>(lag) > prev &&
           !metrics_->victim_task_lag_max_ms.compare_exchange_weak(prev, lag)) {
    }
    if (lag > 5000) metrics_->victim_tasks_late.fetch_add(1, std::memory_order_relaxed);
  }
  if (dispatcher_) dispatcher_->Enqueue(t);
}

void LiveInvestigation::GradeLoop() {
  for (;;) {
    Item it;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      it = std::move(queue_.front());
      queue_.pop_front();
    }
    Grade(it);
    // Counted down only now: a backlog of 0 means every record handed over has made its tasks.
    metrics_->victim_backlog.fetch_sub(1, std::memory_order_relaxed);
  }
}

void LiveInvestigation::Grade(const Item& it) {
  const double risky = cfg_.policy.warn;
  investigate::Contact ct;
  const Call& c = it.call;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_.push_back({c, it.score});
  }
  if (c.caller.key) {
    Risk& r = risk_[c.caller.key];
    r.score = std::max(r.score, static_cast<float>(it.score));
    r.last_ms = std::max(r.last_ms, c.start_ms);
  }
  // Call time, but never ahead of the clock: one record dated in the future must not make
  // everything else look idle.
  const int64_t now = it.arrived_ms > 0 ? std::min(c.start_ms, it.arrived_ms) : c.start_ms;
  if (forgot_ms_ == 0) forgot_ms_ = now;
  if (now - forgot_ms_ >= 3600 * 1000) Forget(now);
  std::shared_ptr<const std::unordered_map<uint64_t, std::string>> op_of;
  {
    std::lock_guard<std::mutex> lock(ops_mu_);
    op_of = op_of_;
  }
  auto side = [&](const Number& n, std::string* op) {
    if (!n.key) return false;
    auto o = op_of->find(n.key);
    if (o != op_of->end()) {
      *op = o->second;
      return true;
    }
    auto r = risk_.find(n.key);
    return r != risk_.end() && r->second.score >= risky;
  };
  std::string op_caller, op_callee;
  bool from = side(c.caller, &op_caller), to = side(c.callee, &op_callee);
  if (from == to) return;
  const Number& person = from ? c.callee : c.caller;
  const Number& other = from ? c.caller : c.callee;
  if (!person.key) return;
  metrics_->victim_contacts.fetch_add(1, std::memory_order_relaxed);
  ct.person_key = person.key;
  ct.person = person.text;
  ct.scam_key = other.key;
  ct.scam_number = other.text;
  ct.operation = from ? op_caller : op_callee;
  ct.t_ms = c.start_ms;
  ct.answered = c.answered;
  ct.duration_s = c.duration_s;
  ct.ingress = from ? c.ingress : Ingress::kUnknown;
  ct.callback = !from;
  if (const investigate::Victim* v = tracker_.Observe(ct)) {
    std::vector<investigate::Task> tasks;
    {
      std::lock_guard<std::mutex> lock(planner_mu_);
      tasks = planner_.Plan(*v, c.end_ms());
    }
    for (const auto& t : tasks) Emit(t, it.arrived_ms);
  }
  metrics_->victims_tracked.store(tracker_.victims().size(), std::memory_order_relaxed);
}

void LiveInvestigation::Forget(int64_t now_ms) {
  forgot_ms_ = now_ms;
  const int64_t cutoff = now_ms - static_cast<int64_t>(cfg_.investigate.ops.window_s * 1000);
  for (auto it = risk_.begin(); it != risk_.end();)
    it = it->second.last_ms < cutoff ? risk_.erase(it) : std::next(it);
  tracker_.Expire(cutoff);
  {
    std::lock_guard<std::mutex> lock(planner_mu_);
    planner_.Expire(now_ms);
  }
  metrics_->victims_tracked.store(tracker_.victims().size(), std::memory_order_relaxed);
}

void LiveInvestigation::Regroup() {
  auto t0 = std::chrono::steady_clock::now();
  if (!set_) set_ = std::make_unique<investigate::CallSet>(cfg_);
  investigate::CallSet* set = set_.get();
  std::vector<std::pair<Call, double>> batch;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    batch.swap(pending_);
  }
  int64_t latest = 0;
  const int64_t wall = WallClockMs();
  for (const auto& [c, score] : batch) {
    set->Add(c);
    set->NoteVerdict(set->Find(c.caller.text), static_cast<float>(score),
                     score >= cfg_.policy.block   ? 3
                     : score >= cfg_.policy.warn  ? 2
                     : score >= cfg_.policy.label ? 1
                                                  : 0);
    latest = std::max(latest, std::min(c.start_ms, wall));  // a future date trims nothing
  }
  if (latest > 0) set->Trim(latest - static_cast<int64_t>(cfg_.investigate.ops.window_s * 1000));
  set->Compact();  // numbers and attribute values only old calls used are forgotten
  metrics_->ops_numbers.store(set->numbers().size(), std::memory_order_relaxed);
  auto res = investigate::FindOperations(*set, cfg_.investigate.ops);
  if (!res.ok()) {
    std::fprintf(stderr, "callguard: investigation: %s\n", res.status().ToString().c_str());
    return;
  }
  Status w = investigate::WriteOperations(*set, *res, dir_);
  if (!w.ok()) std::fprintf(stderr, "callguard: investigation: %s\n", w.ToString().c_str());
  auto op_of = std::make_shared<std::unordered_map<uint64_t, std::string>>();
  std::vector<LiveOperation> ops;
  std::unordered_map<std::string, std::vector<std::string>> members;
  const auto& nums = set->numbers();
  for (const auto& op : res->operations) {
    LiveOperation lo;
    lo.id = op.id;
    lo.type = op.type;
    lo.members = op.members.size();
    lo.calls = op.calls;
    lo.last_ms = op.last_ms;
    lo.json = investigate::OperationJson(*set, *res, op, 200);
    ops.push_back(std::move(lo));
    auto& m = members[op.id];
    for (const auto& mem : op.members) {
      (*op_of)[nums[mem.number].key] = op.id;
      m.push_back(nums[mem.number].text);
    }
  }
  {
    std::lock_guard<std::mutex> lock(ops_mu_);
    op_of_ = std::move(op_of);
    ops_ = std::move(ops);
    members_ = std::move(members);
  }
  metrics_->ops_runs.fetch_add(1, std::memory_order_relaxed);
  metrics_->ops_operations.store(res->operations.size(), std::memory_order_relaxed);
  metrics_->ops_last_ms.store(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count(),
      std::memory_order_relaxed);
}

void LiveInvestigation::Escalate() {
  const auto& w = cfg_.investigate.warnings;
  int64_t now = WallClockMs();
  auto due = store_->DueEscalations(now - static_cast<int64_t>(w.escalate_after_s * 1000), 100);
  if (!due.ok()) return;
  for (const auto& r : *due) {
    investigate::Task call;
    call.id = r.id;
    call.person = r.person;
    call.operation = r.operation;
    call.grade = r.grade;
    call.kind = r.kind;
    call.created_ms = r.created_ms;
    call.escalates = "home_visit";
    size_t p = 0;
    while (p <= r.reasons.size() && !r.reasons.empty()) {
      size_t e = r.reasons.find(';', p);
      call.reasons.push_back(r.reasons.substr(p, e == std::string::npos ? e : e - p));
      if (e == std::string::npos) break;
      p = e + 1;
    }
    bool answered = r.outcome == "reached" || r.outcome == "prevented";
    investigate::Task visit;
    {
      std::lock_guard<std::mutex> lock(planner_mu_);
      visit = planner_.Escalation(call, now, answered);
    }
    if (!visit.id.empty()) Emit(visit, 0);
    if (store_->MarkEscalated(r.id).ok())
      metrics_->victim_escalations.fetch_add(visit.id.empty() ? 0 : 1, std::memory_order_relaxed);
  }
}

void LiveInvestigation::RegroupNow() {
  std::unique_lock<std::mutex> lock(regroup_mu_);
  uint64_t want = ++regroup_requested_;
  regroup_cv_.notify_all();
  regroup_cv_.wait_for(lock, std::chrono::seconds(120),
                       [&] { return regroup_done_ >= want || stop_; });
}

void LiveInvestigation::OpsLoop() {
  auto next =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(cfg_.investigate.ops.interval_s * 1000));
  auto next_escalation = std::chrono::steady_clock::now();
  for (;;) {
    uint64_t serving = 0;
    {
      std::unique_lock<std::mutex> lock(regroup_mu_);
      regroup_cv_.wait_until(lock, std::min(next, next_escalation),
                             [&] { return stop_ || regroup_requested_ > regroup_done_; });
      if (stop_) return;
      serving = regroup_requested_;
    }
    auto now = std::chrono::steady_clock::now();
    if (serving > regroup_done_ || now >= next) {
      Regroup();
      next =
          std::chrono::steady_clock::now() +
          std::chrono::milliseconds(static_cast<int64_t>(cfg_.investigate.ops.interval_s * 1000));
      std::lock_guard<std::mutex> lock(regroup_mu_);
      regroup_done_ = serving;
    }
    if (now >= next_escalation) {
      Escalate();
      next_escalation = now + std::chrono::seconds(10);
    }
    regroup_cv_.notify_all();
  }
}

std::vector<LiveOperation> LiveInvestigation::Operations() const {
  std::lock_guard<std::mutex> lock(ops_mu_);
  return ops_;
}

bool LiveInvestigation::Operation(const std::string& id, LiveOperation* out) const {
  std::lock_guard<std::mutex> lock(ops_mu_);
  for (const auto& o : ops_)
    if (o.id == id) {
      *out = o;
      return true;
    }
  return false;
}

std::vector<std::string> LiveInvestigation::Members(const std::string& id) const {
  std::lock_guard<std::mutex> lock(ops_mu_);
  auto it = members_.find(id);
  return it == members_.end() ? std::vector<std::string>() : it->second;
}

}  // namespace callguard
