// ActiveCalls: how many calls each number has in progress at a given moment (concurrency).
//
// Calls are added when observed, with their end time (set-up + ring + talk), and expire as time
// advances, to the second: a timing wheel of one-second buckets holds the keys by end time (calls
// longer than the wheel wait in an overflow list), and an open-addressing map holds the count
// per key. Memory follows the number of calls in progress, not the number of callers; each call
// costs O(1). Time only moves forward; Advance() to an earlier time is a no-op. Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace callguard {

class ActiveCalls {
 public:
  ActiveCalls();
  void Advance(int64_t now_ms);
  void Add(uint64_t key, int64_t end_ms);
  uint32_t Count(uint64_t key) const;
  // Starts loading the map slot where `key` would be counted (a cache hint; changes nothing).
  void Prefetch(uint64_t key) const { __builtin_prefetch(&map_[Index(key)]); }
  size_t size() const { return active_; }
  void Clear();
  // All (end second, key) entries, for snapshots; re-add them with Add(key, end_s * 1000).
  std::vector<std::pair<int64_t, uint64_t>> Entries() const;

 private:
  static constexpr int64_t kWheelSeconds = 1 << 14;  // about 4.5 hours
  struct Slot {
    uint64_t key = 0;
    uint32_t count = 0;
  };
  void Increment(uint64_t key);
  void Decrement(uint64_t key);
  // Expires the calls of one wheel bucket.
  void ExpireBucket(std::vector<uint64_t>& bucket);
  size_t Index(uint64_t key) const {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return key & (map_.size() - 1);
  }
  void GrowMap();

  std::vector<std::vector<uint64_t>> wheel_;            // keys by end second modulo the wheel
  std::vector<std::pair<int64_t, uint64_t>> overflow_;  // calls ending beyond the wheel
  std::vector<Slot> map_;                               // key -> count, linear probing
  size_t used_ = 0;
  size_t active_ = 0;
  int64_t now_s_ = INT64_MIN;  // buckets up to and including now_s_ have been expired
};

}  // namespace callguard
