// Subscribers: the optional subscriber table (cdr-format.md §1), keyed by number.
//
// Used to protect registered business and public-service callers, and (later) to prioritise
// victim warnings. Loaded once, then read-only: safe to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "callguard/status.h"
#include "core/config.h"
#include "core/number.h"

namespace callguard {

enum class AgeBand : uint8_t { kUnknown = 0, kUnder18, k18to39, k40to59, k60plus };

struct Subscriber {
  bool enterprise = false;
  bool registered = false;  // has a verified registered_name
  bool vulnerable = false;
  AgeBand age = AgeBand::kUnknown;
  int64_t activation_day = INT64_MIN;  // days since 1970-01-01, or INT64_MIN when unknown
  std::string registered_name;
};

struct SubscriberLoadStats {
  uint64_t rows = 0;
  uint64_t loaded = 0;
  uint64_t rejected = 0;
  std::string first_error;  // "subs.csv:12: ..." of the first rejected row
};

class Subscribers {
 public:
  // Reads a subscriber CSV. Bad rows are skipped and counted (first error kept); a missing
  // `number` column or an unreadable file is an error.
  static Result<Subscribers> Load(const std::string& path, Normaliser* norm,
                                  SubscriberLoadStats* stats);
  const Subscriber* Find(uint64_t key) const {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : &it->second;
  }
  size_t size() const { return by_key_.size(); }
  void Put(uint64_t key, Subscriber s) { by_key_[key] = std::move(s); }

 private:
  std::unordered_map<uint64_t, Subscriber> by_key_;
};

}  // namespace callguard
