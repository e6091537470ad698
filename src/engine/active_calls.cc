#include "engine/active_calls.h"

namespace callguard {

void ActiveCalls::Advance(int64_t now_ms) {
  if (now_ms <= now_ms_) return;
  now_ms_ = now_ms;
  while (!heap_.empty() && heap_.top().first <= now_ms) {
    auto it = counts_.find(heap_.top().second);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
    heap_.pop();
  }
}

void ActiveCalls::Add(uint64_t key, int64_t end_ms) {
  if (end_ms <= now_ms_) return;  // already over
  heap_.emplace(end_ms, key);
  ++counts_[key];
}

void ActiveCalls::Clear() {
  heap_ = {};
  counts_.clear();
  now_ms_ = INT64_MIN;
}

std::vector<std::pair<int64_t, uint64_t>> ActiveCalls::Entries() const {
  auto copy = heap_;
  std::vector<Entry> out;
  out.reserve(copy.size());
  while (!copy.empty()) {
    out.push_back(copy.top());
    copy.pop();
  }
  return out;
}

}  // namespace callguard
