#include "engine/active_calls.h"

#include <algorithm>

namespace callguard {

namespace {
int64_t CeilSeconds(int64_t ms) { return ms >= 0 ? (ms + 999) / 1000 : -((-ms) / 1000); }
int64_t FloorSeconds(int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }
}  // namespace

ActiveCalls::ActiveCalls() : wheel_(kWheelSeconds), map_(1024) {}

uint32_t ActiveCalls::Count(uint64_t key) const {
  for (size_t i = Index(key);; i = (i + 1) & (map_.size() - 1)) {
    if (map_[i].key == key) return map_[i].count;
    if (map_[i].key == 0) return 0;
  }
}

void ActiveCalls::GrowMap() {
  std::vector<Slot> old(map_.size() * 2);
  old.swap(map_);
  used_ = 0;
  for (const Slot& s : old) {
    if (s.key == 0) continue;
    size_t i = Index(s.key);
    while (map_[i].key != 0) i = (i + 1) & (map_.size() - 1);
    map_[i] = s;
    ++used_;
  }
}

void ActiveCalls::Increment(uint64_t key) {
  if ((used_ + 1) * 4 > map_.size() * 3) GrowMap();
  size_t i = Index(key);
  while (map_[i].key != 0 && map_[i].key != key) i = (i + 1) & (map_.size() - 1);
  if (map_[i].key == 0) {
    map_[i].key = key;
    ++used_;
  }
  ++map_[i].count;
}

void ActiveCalls::Decrement(uint64_t key) {
  size_t mask = map_.size() - 1;
  size_t i = Index(key);
  while (map_[i].key != key) {
    if (map_[i].key == 0) return;
    i = (i + 1) & mask;
  }
  if (--map_[i].count > 0) return;
  // Backward-shift deletion keeps probe chains intact without tombstones.
  map_[i] = Slot();
  --used_;
  for (size_t j = (i + 1) & mask; map_[j].key != 0; j = (j + 1) & mask) {
    size_t home = Index(map_[j].key);
    bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
    if (movable) {
      map_[i] = map_[j];
      map_[j] = Slot();
      i = j;
    }
  }
}

void ActiveCalls::ExpireBucket(std::vector<uint64_t>& bucket) {
  if (bucket.empty()) return;
  // The keys of a bucket are unrelated numbers whose map slots are rarely still in cache: start
  // loading a few ahead so that the misses overlap instead of queueing one by one.
  constexpr size_t kAhead = 8;
  const size_t n = bucket.size();
  for (size_t i = 0; i < std::min(kAhead, n); ++i) Prefetch(bucket[i]);
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) Prefetch(bucket[i + kAhead]);
    Decrement(bucket[i]);
  }
  active_ -= n;
  bucket.clear();
}

void ActiveCalls::Advance(int64_t now_ms) {
  int64_t now = FloorSeconds(now_ms);
  if (now_s_ == INT64_MIN) {
    now_s_ = now;
    return;
  }
  if (now <= now_s_) return;
  int64_t from = now_s_ + 1;
  if (now - from >= kWheelSeconds) from = now - kWheelSeconds + 1;  // every bucket expires
  if (now - now_s_ >= kWheelSeconds) {
    for (auto& b : wheel_) ExpireBucket(b);
  } else {
    for (int64_t s = from; s <= now; ++s)
      ExpireBucket(wheel_[static_cast<size_t>(s & (kWheelSeconds - 1))]);
  }
  now_s_ = now;
  // Move overflow calls that now fit on the wheel, or expire them.
  if (!overflow_.empty()) {
    auto keep = overflow_.begin();
    for (auto& e : overflow_) {
      if (e.first <= now) {
        Decrement(e.second);
        --active_;
      } else if (e.first - now < kWheelSeconds) {
        wheel_[static_cast<size_t>(e.first & (kWheelSeconds - 1))].push_back(e.second);
      } else {
        *keep++ = e;
      }
    }
    overflow_.erase(keep, overflow_.end());
  }
}

void ActiveCalls::Add(uint64_t key, int64_t end_ms) {
  int64_t end = CeilSeconds(end_ms);
  if (now_s_ != INT64_MIN && end <= now_s_) return;  // already over
  if (now_s_ == INT64_MIN) now_s_ = end - 1;
  Increment(key);
  ++active_;
  if (end - now_s_ < kWheelSeconds) {
    wheel_[static_cast<size_t>(end & (kWheelSeconds - 1))].push_back(key);
  } else {
    overflow_.emplace_back(end, key);
  }
}

void ActiveCalls::Clear() {
  for (auto& b : wheel_) b.clear();
  overflow_.clear();
  std::fill(map_.begin(), map_.end(), Slot());
  used_ = 0;
  active_ = 0;
  now_s_ = INT64_MIN;
}

std::vector<std::pair<int64_t, uint64_t>> ActiveCalls::Entries() const {
  std::vector<std::pair<int64_t, uint64_t>> out(overflow_);
  if (now_s_ != INT64_MIN) {
    for (int64_t s = now_s_ + 1; s < now_s_ + kWheelSeconds; ++s)
      for (uint64_t k : wheel_[static_cast<size_t>(s & (kWheelSeconds - 1))])
        out.emplace_back(s, k);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace callguard
