// Normaliser: turns the caller/callee text of a call record into a Number (E.164 via
// libphonenumber, a packed 64-bit key, validity and type).
//
// libphonenumber costs about 18 µs per parse on this machine, far too slow for millions of calls
// per second, so results are cached twice:
//  - a class cache keyed by (first kClassPrefixDigits digits of the E.164 form, digit count):
//    libphonenumber's validity and type depend on a number's leading digits and its length, so
//    every number of one class shares the answer (checked against libphonenumber in the tests);
//  - a bounded raw-text cache for inputs that are not already canonical ("010 6552 1234",
//    "008613800138000"), so a repeated spelling costs one hash lookup.
// Canonical E.164 text ("+8613800138000") and plain national digits ("13800138000") take a fast
// path that never calls libphonenumber after their class has been seen once.
// Not thread-safe: each thread that normalises owns a Normaliser.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "callguard/call.h"
#include "callguard/status.h"

namespace callguard {

// Keys use the low 56 bits only (tables may keep their own data in the top byte): E.164 keys
// bits 0..53, keys of text that is not a number have kRawKeyBit set and a hash below it.
constexpr uint64_t kRawKeyBit = 1ULL << 55;
constexpr uint64_t kKeyMask = (1ULL << 56) - 1;
inline bool IsE164Key(uint64_t key) { return key != 0 && !(key & kRawKeyBit); }

// Packs E.164 digits (no '+', 1..15 digits) into the key layout documented in call.h.
uint64_t PackE164(std::string_view digits);
// The key of text that is not a number: a 55-bit hash with kRawKeyBit set.
uint64_t PackRaw(std::string_view raw);
// Digit count and digits of a packed E.164 key; returns false for non-E.164 keys.
bool UnpackE164(uint64_t key, std::string* digits);

struct NormaliserStats {
  uint64_t calls = 0;      // Normalise() calls
  uint64_t fast_path = 0;  // answered without libphonenumber (class-cache hit)
  uint64_t raw_cache_hits = 0;
  uint64_t libphonenumber_parses = 0;
};

class Normaliser {
 public:
  static constexpr int kClassPrefixDigits = 9;
  static constexpr size_t kRawCacheLimit = 1 << 20;

  // `region` is an ISO 3166-1 alpha-2 code known to libphonenumber (e.g. "CN").
  static Result<std::unique_ptr<Normaliser>> Create(std::string_view region);

  void Normalise(std::string_view raw, Number* out);
  uint16_t home_country_code() const { return home_cc_; }
  const std::string& region() const { return region_; }
  const NormaliserStats& stats() const { return stats_; }

  // Adds the number classes `other` has learned that this one lacks (warming a fresh
  // normaliser from one that classified a known population on another thread).
  void MergeClassCache(const Normaliser& other);
  size_t class_cache_size() const { return class_cache_.size(); }

  // The uncached libphonenumber answer, for tests that check the caches against it.
  void NormaliseUncached(std::string_view raw, Number* out);

 private:
  struct ClassInfo {
    NumberStatus status;
    NumberType type;
  };
  struct RawEntry {
    std::string e164;  // empty: not a number
    NumberStatus status;
    NumberType type;
    uint16_t cc;
  };
  Normaliser(std::string region, uint16_t home_cc);
  // Fills status/type for canonical E.164 digits through the class cache.
  ClassInfo Classify(std::string_view digits);
  ClassInfo ClassifyUncached(std::string_view digits);
  void FillFromE164(std::string_view digits, std::string_view raw, ClassInfo info, Number* out);
  uint16_t CountryCodeOf(std::string_view digits) const;

  std::string region_;
  uint16_t home_cc_;
  std::string home_cc_text_;
  // Real numbering plans give hundreds of thousands of classes (every 9-digit prefix of a
  // mobile range): a flat table, where a node-based map cost two or three cache misses and a
  // division per lookup (bench/micro_bench BM_ReadCsv).
  absl::flat_hash_map<uint64_t, ClassInfo> class_cache_;
  std::unordered_map<std::string, RawEntry> raw_cache_;
  std::string scratch_;
  bool is_country_code_[1000] = {};
  NormaliserStats stats_;
};

// True for the spellings of a withheld caller ID: empty, "anonymous", "private", "unknown",
// "restricted", "unavailable", "withheld" (any case).
bool IsWithheldText(std::string_view raw);

}  // namespace callguard
