// PrefixMap<V>: longest-prefix match over digit strings (E.164 digits without '+'), for number
// and prefix lists. Lookup costs one hash probe per distinct prefix length present, longest
// first (at most 15). Build once, then read from one thread or share immutably.
#pragma once

#include <bitset>
#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "core/number.h"

namespace callguard {

template <typename V>
class PrefixMap {
 public:
  // `digits` must be 1..15 ASCII digits. A later insert of the same prefix replaces the value.
  void Insert(std::string_view digits, V value) {
    lengths_.set(digits.size());
    map_[PackE164(digits)] = std::move(value);
  }
  const V* Exact(std::string_view digits) const {
    if (digits.empty() || digits.size() > 15 || !lengths_.test(digits.size())) return nullptr;
    auto it = map_.find(PackE164(digits));
    return it == map_.end() ? nullptr : &it->second;
  }
  // The value of the longest inserted prefix of `digits`, or nullptr.
  const V* LongestMatch(std::string_view digits) const {
    if (digits.size() > 15) digits = digits.substr(0, 15);
    for (size_t n = digits.size(); n >= 1; --n) {
      if (!lengths_.test(n)) continue;
      auto it = map_.find(PackE164(digits.substr(0, n)));
      if (it != map_.end()) return &it->second;
    }
    return nullptr;
  }
  // Like LongestMatch, but only entries for which accept(value, prefix_length) is true count.
  template <typename F>
  const V* LongestMatchIf(std::string_view digits, F accept) const {
    if (digits.size() > 15) digits = digits.substr(0, 15);
    for (size_t n = digits.size(); n >= 1; --n) {
      if (!lengths_.test(n)) continue;
      auto it = map_.find(PackE164(digits.substr(0, n)));
      if (it != map_.end() && accept(it->second, n)) return &it->second;
    }
    return nullptr;
  }
  size_t size() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  template <typename F>
  void ForEach(F f) const {
    for (const auto& [k, v] : map_) f(k, v);
  }

 private:
  std::bitset<16> lengths_;
  std::unordered_map<uint64_t, V> map_;
};

}  // namespace callguard
