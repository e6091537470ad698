// Evidence: what the detectors found about one call, before the policy decides.
//
// Detectors append reasons (a stable code, a weight, a human-readable detail) and may set two
// flags the policy needs: `protected_caller` (allow-listed or a registered business; the call may
// be labelled but not blocked) and `blocklisted` (on an operator block-list, which overrides the
// protection). One Evidence is reused per call by the engine; reasons keep their capacity.
#pragma once

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace callguard {

struct Reason {
  std::string_view detector;  // static storage: the detector's name
  std::string_view code;      // static storage: a documented, stable reason code
  double weight = 0;          // log-odds-like contribution; negative lowers the risk
  std::string detail;         // for people: what exactly was seen
};

// Pieces of a reason's detail text (see Evidence::Add).
struct Percent {  // a share, written as a whole percentage: 0.254 -> "25%"
  double share;
};
struct Rounded {  // a number written rounded to an integer: 41.7 -> "42"
  double value;
};

namespace evidence_detail {
inline void Append(std::string& s, std::string_view v) { s.append(v); }
inline void Append(std::string& s, const char* v) { s.append(v); }
inline void Append(std::string& s, const std::string& v) { s.append(v); }
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
inline void Append(std::string& s, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}
inline void Append(std::string& s, Rounded v) { Append(s, std::llround(v.value)); }
inline void Append(std::string& s, Percent v) {
  Append(s, std::llround(v.share * 100));
  s.push_back('%');
}
}  // namespace evidence_detail

class Evidence {
 public:
  // Adds a reason whose detail is the concatenation of `pieces` (strings, integers, Percent,
  // Rounded). The text is built in the reason's own buffer, which keeps its capacity across
  // calls: adding evidence allocates nothing in steady state.
  template <typename... Pieces>
  void Add(std::string_view detector, std::string_view code, double weight,
           const Pieces&... pieces) {
    if (size_ == reasons_.size()) reasons_.emplace_back();
    Reason& r = reasons_[size_++];
    r.detector = detector;
    r.code = code;
    r.weight = weight;
    r.detail.clear();
    (evidence_detail::Append(r.detail, pieces), ...);
  }
  void Clear() {
    size_ = 0;
    protected_caller = false;
    blocklisted = false;
    emergency = false;
  }
  size_t size() const { return size_; }
  const Reason& operator[](size_t i) const { return reasons_[i]; }
  Reason* begin() { return reasons_.data(); }
  Reason* end() { return reasons_.data() + size_; }
  const Reason* begin() const { return reasons_.data(); }
  const Reason* end() const { return reasons_.data() + size_; }
  bool Has(std::string_view code) const {
    for (const Reason& r : *this)
      if (r.code == code) return true;
    return false;
  }

  void Swap(Evidence& other) noexcept {
    reasons_.swap(other.reasons_);
    std::swap(size_, other.size_);
    std::swap(protected_caller, other.protected_caller);
    std::swap(blocklisted, other.blocklisted);
    std::swap(emergency, other.emergency);
  }

  bool protected_caller = false;  // allow-listed or registered: at most `label`
  bool blocklisted = false;       // on a block-list: overrides protected_caller
  bool emergency = false;         // emergency/priority call: never blocked

 private:
  std::vector<Reason> reasons_;
  size_t size_ = 0;
};

}  // namespace callguard
