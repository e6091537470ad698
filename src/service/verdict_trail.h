// VerdictTrail: the verdict audit trail of `serve`. The screening thread offers each verdict;
// the trail keeps it or not (store.verdicts: all, decisions = every label/warn/block and a
// sample of allows, sampled, off), formats kept ones and queues them; a writer thread commits
// the queue to the store in batches (one transaction every 200 ms or 2,000 verdicts) and drops
// verdicts older than the retention. Offering never blocks screening: on a full queue the
// verdict is counted as dropped. Stop() writes what is queued.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "api/metrics.h"
#include "callguard/call.h"
#include "callguard/evidence.h"
#include "core/api_config.h"
#include "engine/policy.h"
#include "store/store.h"

namespace callguard {

class VerdictTrail {
 public:
  VerdictTrail(store::Store* store, const StoreConfig& cfg, bool shadow, Metrics* metrics);
  ~VerdictTrail();
  void Start();
  void Stop();
  // On the screening thread.
  void Offer(const Call& call, const Decision& d, const Evidence& ev);
  // Makes the queued verdicts durable now (tests, shutdown).
  void Flush();

 private:
  bool Keep(const Call& call, Action a) const;
  void Loop();
  void WriteBatch(std::vector<store::VerdictRecord>* batch);

  store::Store* store_;
  StoreConfig cfg_;
  bool shadow_;
  Metrics* metrics_;
  uint64_t sample_threshold_;
  std::mutex mu_;
  std::condition_variable cv_, flushed_;
  std::vector<store::VerdictRecord> queue_;
  uint64_t enqueued_ = 0, written_ = 0;
  bool stop_ = false;
  bool flush_ = false;  // Flush() asked for a write now
  std::thread thread_;
  int64_t last_purge_ms_ = 0;
};

}  // namespace callguard
