// PrefixMap<V>: longest-prefix match over digit strings (E.164 digits without '+'), for number
// and prefix lists. Lookup costs one hash probe per distinct prefix length present, longest
// first (at most 15). Build once, then read from one thread or share immutably.
#pragma once

#include <bitset>
#include <cstdint>
#include <string_view>

#include "absl/container/flat_hash_map.h"
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
    return LongestMatchIf(digits, [](const V&, size_t) { return true; });
  }
  // Like LongestMatch, but only entries for which accept(value, prefix_length) is true count.
  // On the screening path for every call: the packed key of each prefix comes from one pass
  // over the digits, and lengths with no entry cost nothing.
  template <typename F>
  const V* LongestMatchIf(std::string_view digits, F accept) const {
    if (map_.empty()) return nullptr;
    if (digits.size() > 15) digits = digits.substr(0, 15);
    uint64_t packed[16];
    uint64_t v = 0;
    for (size_t n = 1; n <= digits.size(); ++n) {
      v = v * 10 + static_cast<uint64_t>(digits[n - 1] - '0');
      packed[n] = (static_cast<uint64_t>(n) << 50) | v;  // == PackE164(digits.substr(0, n))
    }
    for (size_t n = digits.size(); n >= 1; --n) {
      if (!lengths_.test(n)) continue;
      auto it = map_.find(packed[n]);
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
  absl::flat_hash_map<uint64_t, V> map_;
};

}  // namespace callguard
