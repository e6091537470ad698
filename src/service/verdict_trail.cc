#include "service/verdict_trail.h"

#include <chrono>
#include <cstdio>

#include "core/time.h"
#include "engine/verdict_writer.h"

namespace callguard {

namespace {
constexpr size_t kMaxQueue = 200000;
constexpr size_t kBatch = 2000;

// FNV-1a over the call id, then the splitmix64 finaliser: FNV alone leaves the high bits of
// similar short ids (consecutive numbers) far from uniform, and the sample compares high bits.
uint64_t SampleHash(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}
}  // namespace

VerdictTrail::VerdictTrail(store::Store* store, const StoreConfig& cfg, bool shadow,
                           Metrics* metrics)
    : store_(store), cfg_(cfg), shadow_(shadow), metrics_(metrics) {
  sample_threshold_ = cfg.verdict_sample >= 1
                          ? UINT64_MAX
                          : static_cast<uint64_t>(cfg.verdict_sample * 18446744073709551615.0);
}

VerdictTrail::~VerdictTrail() { Stop(); }

void VerdictTrail::Start() {
  if (cfg_.verdicts == "off" || thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void VerdictTrail::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool VerdictTrail::Keep(const Call& call, Action a) const {
  if (cfg_.verdicts == "off") return false;
  if (cfg_.verdicts == "all") return true;
  if (cfg_.verdicts == "decisions" && a != Action::kAllow) return true;
  // A sample decided by the call id, so a retransmitted or re-screened call is kept or not alike.
  return SampleHash(call.call_id) < sample_threshold_;
}

void VerdictTrail::Offer(const Call& call, const Decision& d, const Evidence& ev) {
  if (!Keep(call, d.action)) return;
  store::VerdictRecord r;
  r.time_ms = call.start_ms;
  r.call_id = call.call_id;
  r.caller = call.caller.text;
  r.callee = call.callee.text;
  r.action = std::string(ToString(d.action));
  r.score = d.score;
  AppendVerdictJson(call, d, ev, shadow_, &r.json);
  bool full;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= kMaxQueue || !thread_.joinable()) {
      metrics_->verdicts_trail_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(r));
    ++enqueued_;
    full = queue_.size() >= kBatch;
  }
  if (full) cv_.notify_one();
}

void VerdictTrail::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t target = enqueued_;
  flush_ = true;
  cv_.notify_one();
  flushed_.wait_for(lock, std::chrono::seconds(30),
                    [&] { return written_ >= target || !thread_.joinable(); });
}

void VerdictTrail::WriteBatch(std::vector<store::VerdictRecord>* batch) {
  if (batch->empty()) return;
  Status st = store_->AddVerdicts(*batch);
  if (st.ok()) {
    metrics_->verdicts_recorded.fetch_add(batch->size(), std::memory_order_relaxed);
  } else {
    metrics_->verdicts_trail_dropped.fetch_add(batch->size(), std::memory_order_relaxed);
    metrics_->store_errors.fetch_add(1, std::memory_order_relaxed);
    std::fprintf(stderr, "callguard serve: verdict trail: %s\n", st.ToString().c_str());
  }
}

void VerdictTrail::Loop() {
  std::vector<store::VerdictRecord> batch;
  for (;;) {
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(200),
                   [&] { return stop_ || flush_ || queue_.size() >= kBatch; });
      flush_ = false;
      batch.swap(queue_);
      stopping = stop_;
    }
    size_t n = batch.size();
    WriteBatch(&batch);
    batch.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      written_ += n;
    }
    flushed_.notify_all();
    int64_t now = WallClockMs();
    if (now - last_purge_ms_ > 3600 * 1000) {  // retention, hourly
      last_purge_ms_ = now;
      auto purged =
          store_->PurgeVerdicts(now - static_cast<int64_t>(cfg_.verdict_retention_days * 86400e3));
      if (!purged.ok()) metrics_->store_errors.fetch_add(1);
      if (!store_->PurgeAccess(now - static_cast<int64_t>(cfg_.access_retention_days * 86400e3))
               .ok())
        metrics_->store_errors.fetch_add(1);
    }
    if (stopping) {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) break;
    }
  }
  flushed_.notify_all();
}

}  // namespace callguard
