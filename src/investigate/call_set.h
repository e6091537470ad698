// CallSet: the calls an investigation works on, held compactly in memory with every number and
// every infrastructure attribute interned to a 32-bit id, plus what the verdicts said about each
// calling number. Built from call-record files (any layout the CDR reader knows) and verdict
// files, or appended to live by `serve`. Ground-truth labels are kept per number only for the
// evaluation tools; nothing that groups or grades reads them.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "callguard/call.h"
#include "callguard/status.h"
#include "core/config.h"
#include "core/number.h"

namespace callguard::investigate {

// Kinds of infrastructure a call can share with another.
enum class AttrKind : uint8_t { kDevice = 0, kAddressBlock, kTrunk, kCell, kOrigid, kCount };
const char* AttrKindName(AttrKind k);

constexpr uint32_t kNoAttr = 0xffffffffu;

struct CallRec {
  int64_t t_ms = 0;
  uint32_t caller = 0, callee = 0;
  float duration_s = 0, ring_s = 0;
  uint8_t answered = 0;
  Ingress ingress = Ingress::kUnknown;
  uint16_t country = 0;  // index into CallSet::countries (0 = unknown)
  uint32_t attr[static_cast<int>(AttrKind::kCount)] = {kNoAttr, kNoAttr, kNoAttr, kNoAttr, kNoAttr};
  int64_t end_ms() const {
    return t_ms + static_cast<int64_t>(1000.0 * (std::max(0.0f, ring_s) + duration_s));
  }
};

struct NumberInfo {
  std::string text;  // E.164, or the raw text of a number that did not parse
  uint64_t key = 0;
  float max_score = 0;     // highest verdict score of a call it placed
  uint8_t max_action = 0;  // 0 allow .. 3 block
  uint32_t calls_out = 0, calls_in = 0;
  bool withheld = false;
  // Evaluation only (from the `label` column): calls it placed labelled scam / legit.
  uint32_t scam_calls = 0, legit_calls = 0;
};

struct Attribute {
  AttrKind kind;
  std::string value;
  uint32_t callers = 0;  // distinct calling numbers that used it (all calls, not only risky)
};

struct LoadStats {
  uint64_t calls = 0, rejected = 0, verdicts = 0, verdicts_unmatched = 0, bad_verdict_lines = 0;
  std::string first_bad_verdict;
};

class CallSet {
 public:
  explicit CallSet(const Config& cfg);

  // Reads every call of a file (rejected records are counted, as in `score`).
  Status LoadCalls(const std::string& path);
  // Reads verdicts (JSON Lines, the contract's format): the highest score and action per caller.
  Status LoadVerdicts(const std::string& path);
  // Adds one call (live use); returns its index.
  size_t Add(const Call& c);
  // Records a verdict for a caller (live use).
  void NoteVerdict(uint32_t caller, float score, uint8_t action);
  // Drops calls that started before `cutoff_ms` (live use; numbers and attributes stay interned
  // until Compact).
  void Trim(int64_t cutoff_ms);
  // Once a quarter or more of the interned numbers is used by no remaining call: forgets them and
  // the attribute values no remaining call uses, renumbering the rest, and
  // recounts per-number calls and per-attribute callers over the remaining calls (verdict scores
  // and evaluation label counts are kept). Live use, after Trim: memory follows the window, not the
  // server's life. Ids from before are invalid afterwards; look numbers up again with Find.
  void Compact();

  uint32_t Intern(const Number& n);
  // The id of a number by its text, or UINT32_MAX.
  uint32_t Find(const std::string& text) const;

  const std::vector<CallRec>& calls() const { return calls_; }
  const std::vector<NumberInfo>& numbers() const { return numbers_; }
  std::vector<NumberInfo>& numbers() { return numbers_; }
  const std::vector<Attribute>& attributes() const { return attrs_; }
  const std::vector<std::string>& countries() const { return countries_; }
  const LoadStats& stats() const { return stats_; }
  Normaliser* normaliser() { return norm_.get(); }
  const Config& config() const { return cfg_; }
  // Distinct callees of the whole set (the denominator of chance overlaps).
  uint64_t DistinctCallees() const;

 private:
  uint32_t InternAttr(AttrKind k, const std::string& v, uint32_t caller);
  static std::string AttrIndexKey(AttrKind k, const std::string& v);  // "<kind>\x1f<value>"

  Config cfg_;
  std::unique_ptr<Normaliser> norm_;
  std::vector<CallRec> calls_;
  std::vector<NumberInfo> numbers_;
  std::unordered_map<uint64_t, uint32_t> by_key_;
  std::unordered_map<std::string, uint32_t> by_text_;
  std::vector<Attribute> attrs_;
  std::unordered_map<std::string, uint32_t> attr_index_;  // "<kind>\x1f<value>"
  std::unordered_map<uint64_t, bool> attr_caller_;        // (attr, caller) seen
  std::vector<std::string> countries_ = {""};
  std::unordered_map<std::string, uint16_t> country_index_;
  LoadStats stats_;
};

// "103.20.31.0/24" for an IPv4 address, "2001:db8:1:2::/64" style for IPv6.
std::string AddressBlock(const IpAddress& ip);

}  // namespace callguard::investigate
