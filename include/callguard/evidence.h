// Evidence: what the detectors found about one call, before the policy decides.
//
// Detectors append reasons (a stable code, a weight, a human-readable detail) and may set two
// flags the policy needs: `protected_caller` (allow-listed or a registered business; the call may
// be labelled but not blocked) and `blocklisted` (on an operator block-list, which overrides the
// protection). One Evidence is reused per call by the engine; reasons keep their capacity.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callguard {

struct Reason {
  std::string_view detector;  // static storage: the detector's name
  std::string_view code;      // static storage: a documented, stable reason code
  double weight = 0;          // log-odds-like contribution; negative lowers the risk
  std::string detail;         // for people: what exactly was seen
};

class Evidence {
 public:
  void Add(std::string_view detector, std::string_view code, double weight, std::string detail) {
    if (size_ == reasons_.size()) reasons_.emplace_back();
    Reason& r = reasons_[size_++];
    r.detector = detector;
    r.code = code;
    r.weight = weight;
    r.detail = std::move(detail);
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
