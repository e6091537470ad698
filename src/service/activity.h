// Activity: what screening has been doing, for the dashboard's overview: calls per minute by
// action over the last 24 hours (by wall-clock minute of the screening), and how often each
// reason code led a label/warn/block decision since start. The screening thread records;
// any thread reads. Lock-free counts; the reason table takes an uncontended lock per decision
// above allow.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "callguard/evidence.h"
#include "engine/policy.h"

namespace callguard {

class Activity {
 public:
  static constexpr int kMinutes = 1440;
  void Record(int64_t now_ms, Action a, const Evidence& ev);
  struct Minute {
    int64_t start_ms;
    uint64_t by_action[4];
  };
  // The last `minutes` minutes up to `now_ms`, oldest first (missing minutes are zeros).
  std::vector<Minute> Series(int64_t now_ms, int minutes) const;
  // Reason codes that led a decision above allow, most frequent first.
  std::vector<std::pair<std::string, uint64_t>> TopReasons(size_t n) const;

 private:
  struct Bucket {
    std::atomic<int64_t> minute{-1};
    std::atomic<uint64_t> n[4] = {};
  };
  std::array<Bucket, kMinutes> buckets_;
  mutable std::mutex mu_;
  std::map<std::string, uint64_t, std::less<>> reasons_;
};

}  // namespace callguard
