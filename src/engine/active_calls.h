// ActiveCalls: which calls are in progress at a given moment, per caller, for concurrency.
//
// Calls are added when observed (with their end time: set-up + ring + talk) and expire as time
// advances. Memory follows the number of calls in progress, not the number of callers. Times
// only move forward; Advance() with an earlier time is a no-op. Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

namespace callguard {

class ActiveCalls {
 public:
  void Advance(int64_t now_ms);
  void Add(uint64_t key, int64_t end_ms);
  uint32_t Count(uint64_t key) const {
    auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
  }
  size_t size() const { return heap_.size(); }
  void Clear();
  // All (end_ms, key) entries, for snapshots.
  std::vector<std::pair<int64_t, uint64_t>> Entries() const;

 private:
  using Entry = std::pair<int64_t, uint64_t>;  // end_ms, key
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  std::unordered_map<uint64_t, uint32_t> counts_;
  int64_t now_ms_ = INT64_MIN;
};

}  // namespace callguard
