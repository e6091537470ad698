#include "service/activity.h"

#include <algorithm>

namespace callguard {

void Activity::Record(int64_t now_ms, Action a, const Evidence& ev) {
  int64_t minute = now_ms / 60000;
  Bucket& b = buckets_[static_cast<size_t>(minute % kMinutes)];
  if (b.minute.load(std::memory_order_relaxed) != minute) {
    for (auto& c : b.n) c.store(0, std::memory_order_relaxed);
    b.minute.store(minute, std::memory_order_release);
  }
  b.n[static_cast<int>(a)].fetch_add(1, std::memory_order_relaxed);
  if (a != Action::kAllow && ev.size() > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = reasons_.find(ev[0].code);
    if (it == reasons_.end()) it = reasons_.emplace(std::string(ev[0].code), 0).first;
    ++it->second;
  }
}

std::vector<Activity::Minute> Activity::Series(int64_t now_ms, int minutes) const {
  minutes = std::clamp(minutes, 1, kMinutes);
  int64_t last = now_ms / 60000;
  std::vector<Minute> out;
  out.reserve(static_cast<size_t>(minutes));
  for (int64_t m = last - minutes + 1; m <= last; ++m) {
    Minute x{m * 60000, {}};
    const Bucket& b = buckets_[static_cast<size_t>(m % kMinutes)];
    if (b.minute.load(std::memory_order_acquire) == m)
      for (int i = 0; i < 4; ++i) x.by_action[i] = b.n[i].load(std::memory_order_relaxed);
    out.push_back(x);
  }
  return out;
}

std::vector<std::pair<std::string, uint64_t>> Activity::TopReasons(size_t n) const {
  std::vector<std::pair<std::string, uint64_t>> v;
  {
    std::lock_guard<std::mutex> lock(mu_);
    v.assign(reasons_.begin(), reasons_.end());
  }
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (v.size() > n) v.resize(n);
  return v;
}

}  // namespace callguard
