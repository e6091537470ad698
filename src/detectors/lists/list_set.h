// ListSet: one immutable snapshot of the operator's block and allow lists, by number, number
// prefix, trunk, origin country and origin IP range (CIDR), each entry with an optional expiry.
//
// Loaded from list files (docs in src/detectors/lists/README.md); a reload builds a new ListSet
// and swaps it in whole, so a bad file never leaves half a list. Read-only once built.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "callguard/call.h"
#include "callguard/status.h"
#include "core/number.h"
#include "core/prefix_map.h"

namespace callguard {

enum class ListKind : uint8_t { kBlock, kAllow };

struct ListEntry {
  ListKind kind = ListKind::kBlock;
  int64_t expires_ms = INT64_MAX;  // the entry stops applying at this time
  std::string note;                // why it is listed (shown in the reason detail)
  std::string source;              // "file:line"
  bool Active(int64_t now_ms) const { return now_ms < expires_ms; }
};

class ListSet {
 public:
  // Adds the entries of one list file. Returns an error naming file:line for a bad entry.
  Status LoadFile(const std::string& path, Normaliser* norm);
  // Adds one entry; `type` is number, prefix, trunk, country or cidr.
  Status AddEntry(std::string_view type, std::string_view value, ListEntry entry, Normaliser* norm);

  const ListEntry* MatchNumber(const Number& n) const;
  const ListEntry* MatchPrefix(const Number& n) const;
  const ListEntry* MatchTrunk(std::string_view trunk) const;
  const ListEntry* MatchCountry(std::string_view cc) const;
  const ListEntry* MatchIp(const IpAddress& ip) const;
  size_t size() const { return size_; }

 private:
  struct IpKey {
    uint64_t hi, lo;
    bool operator==(const IpKey& o) const { return hi == o.hi && lo == o.lo; }
  };
  struct IpKeyHash {
    size_t operator()(const IpKey& k) const { return k.hi * 0x9E3779B97F4A7C15ULL ^ k.lo; }
  };
  static IpKey Mask(const IpAddress& ip, int bits);

  std::unordered_map<uint64_t, ListEntry> numbers_;
  PrefixMap<ListEntry> prefixes_;
  std::unordered_map<std::string, ListEntry> trunks_;
  std::unordered_map<std::string, ListEntry> countries_;
  std::array<std::unordered_map<IpKey, ListEntry, IpKeyHash>, 129> cidrs_;  // by prefix length
  std::vector<int> cidr_lengths_;  // lengths present, longest first
  size_t size_ = 0;
};

// Indicators partners shared (callguard share import): reputation, not a decision. A number in
// clear is matched by its key; a pseudonym (hex HMAC-SHA256 of the E.164 under the key the
// partners share) by computing the caller's pseudonym, only when such entries exist.
struct PartnerEntry {
  double strength = 0;  // partner's confidence x our trust in the partner, 0..1
  int64_t expires_ms = INT64_MAX;
  std::string note;  // "partner <name>: <campaign>"
};
struct PartnerReputation {
  std::unordered_map<uint64_t, PartnerEntry> numbers;
  std::unordered_map<std::string, PartnerEntry> pseudonyms;
  std::string hmac_key;  // the shared key (empty: pseudonyms cannot be matched)
  size_t size() const { return numbers.size() + pseudonyms.size(); }
  // The strongest active entry for `caller` at `now_ms`, or null.
  const PartnerEntry* Match(const Number& caller, int64_t now_ms) const;
};

// Digits of a number-or-prefix list value: "+86110" -> "86110"; national "110" -> home cc +
// "110" (a leading national 0 is dropped). Empty when `value` has anything but digits and '+'.
std::string ListDigits(std::string_view value, uint16_t home_cc);

}  // namespace callguard
