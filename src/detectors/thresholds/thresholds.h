// ThresholdsDetector: threshold rules with the semantics of OpenSIPS's fraud_detection module,
// plus a calls-per-second limit and a per-number counter reset. See README.md beside this file.
//
// A profile is a set of rules; each rule has a callee prefix, an hour/day window and a warning
// and a critical threshold for calls per minute, total calls (per local day), concurrent calls,
// sequential calls (consecutive calls to the same number) and call duration, plus calls per
// second. Counters are kept per (caller, rule), for callers that match a rule only. As in
// OpenSIPS, the current call counts towards its own check; call duration is known only when a
// call ends, so a call over the duration threshold raises the caller's later calls under the
// same rule for the rest of that day. Single-threaded, like the engine.
//
// The counters of each rule live in their own StateTable (engine/state_table.h, the
// behaviour profiles' table) keyed by the caller's packed key: 32 bytes an entry with the key,
// one cache miss a lookup, grown by 25% at a time, so about 40 bytes per (caller, rule) at the
// table's load. The catch-all rule's table is sized like the profile table (most callers have
// a counter there); the others start small. At most kMaxRules rules per profile.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "callguard/detector.h"
#include "core/config.h"
#include "core/config_reader.h"
#include "core/hash.h"
#include "detectors/thresholds/time_window.h"
#include "engine/active_calls.h"
#include "engine/state_table.h"

namespace callguard {

struct EngineState;

enum ThresholdParam : int {
  kCpm = 0,
  kTotalCalls,
  kConcurrentCalls,
  kSequentialCalls,
  kCallDuration,
  kCps,
  kParamCount
};

struct ThresholdRule {
  uint32_t rule_id = 0;
  uint32_t profile_id = 0;
  std::string prefix;  // callee E.164 digits without '+'; empty matches every callee
  TimeWindow window;
  uint32_t warning[kParamCount] = {};  // 0 = not checked
  uint32_t critical[kParamCount] = {};
  std::string source;  // where it was defined
};

class ThresholdsDetector : public Detector {
 public:
  struct Options {
    bool enabled = true;
    uint32_t profile_id = 1;           // the profile whose rules apply (check_fraud's profile)
    std::vector<ThresholdRule> rules;  // inline rules
    std::vector<std::string> rule_files;
    double warning_weight = 1.0;
    double critical_weight = 2.0;
    int utc_offset_min = 480;
  };
  static Options ParseConfig(ConfigNode& node, const Config& cfg);
  static Result<std::unique_ptr<ThresholdsDetector>> Create(const Options& opt,
                                                            const EngineState& state);
  // Reads rules from a CSV file with the OpenSIPS fraud_detection table's column names.
  static Status LoadRuleFile(const std::string& path, std::vector<ThresholdRule>* out);

  std::string_view name() const override { return "thresholds"; }
  // Starts loading the caller's counters for the rule the call matches (the engine calls this
  // some calls ahead).
  void Prefetch(const Call& call) const override;
  // Its state is its own; the calls in progress it reads are the engine's.
  bool runs_with_shared_state() const override { return true; }
  void assess(const Call& call, Evidence& out) const override;
  void observe(const Call& call) override;
  Status Reload() override;
  void Save(SnapshotWriter& out) const override;
  Status Load(SnapshotReader& in) override;

  // Forgets every counter of one caller (OpenSIPS lacks this); returns how many were dropped.
  size_t ResetNumber(uint64_t key);
  void ResetAll();
  size_t tracked() const;
  // Bytes the counters take (the tables' slots and segment headers).
  size_t memory_bytes() const;
  static constexpr size_t kMaxRules = 256;
  const std::vector<ThresholdRule>& rules() const { return rules_; }

 private:
  // (caller, rule): the caller's packed key (56 bits) with the rule index in the top byte.
  static uint64_t StatKey(uint64_t user, size_t rule) {
    return (user & ((1ULL << 56) - 1)) | (static_cast<uint64_t>(rule) << 56);
  }
  // The last counted call's second gives its minute and local day too. Counters saturate at
  // their type's maximum (65,535 calls per minute, per second or in a sequence). 24 bytes, so
  // that an entry with its key is 32: two to a cache line, never straddling one.
  struct Stats {
    uint32_t last_s1 = 0;      // start of the last counted call, Unix seconds + 1; 0 = none
    uint32_t last_dial = 0;    // 32-bit hash of the last callee's key (sequential calls)
    uint32_t total = 0;        // calls today (local day of the last call)
    uint32_t long_call_s = 0;  // longest completed call today under this rule, whole seconds
    uint16_t cpm = 0;          // calls in the minute of the last call
    uint16_t cps = 0;          // calls in its second
    uint16_t seq = 0;          // consecutive calls to last_dial
    uint16_t unused = 0;
    bool seen() const { return last_s1 != 0; }
    int64_t last_s() const { return static_cast<int64_t>(last_s1) - 1; }
    // Calls dated before 1970 or after 2106 count as at those bounds.
    void set_last_s(int64_t t) {
      last_s1 = static_cast<uint32_t>(std::clamp<int64_t>(t, 0, int64_t{UINT32_MAX} - 1) + 1);
    }
  };
  static_assert(sizeof(Stats) == 24);
  struct Counter {
    uint64_t key = 0;  // the caller's packed key (StateTable's entry key)
    Stats s;
  };
  static_assert(sizeof(Counter) == 32);
  using CounterTable = StateTable<Counter>;
  // Counts the caller's calls in progress under every rule but the catch-all (see
  // Concurrent). Equal to some per-rule key (a mixed StatKey) with probability about 2^-64.
  static uint64_t OtherRulesKey(uint64_t user) { return ~Mix64(StatKey(user, 0)); }
  static uint32_t DialHash(uint64_t callee_key) {
    return static_cast<uint32_t>((callee_key * 0x9E3779B97F4A7C15ULL) >> 32) | 1;
  }
  // The values the rule's checks see for this call (the call included).
  struct Values {
    uint32_t v[kParamCount];
  };

  ThresholdsDetector(const Options& opt, const EngineState& state);
  Status LoadRules();
  int MatchRule(const Call& call) const;  // index into rules_, or -1
  // The caller's calls in progress under rule `ri` when `call` starts (the call excluded).
  uint32_t Concurrent(const Call& call, int ri) const;
  Values Project(const Stats* s, const Call& call, uint32_t concurrent) const;

  Options opt_;
  const EngineState& state_;
  std::vector<ThresholdRule> rules_;  // of the selected profile, longest prefix first
  // The rule with no prefix that applies at every hour (the last any call can match), or -1.
  // Every call no other rule takes falls to it, so its calls in progress are the caller's
  // (which the engine counts anyway) less those under the other rules: the calls of a
  // catch-all rule, most of a network's, need no tracking of their own.
  int catch_all_ = -1;
  std::vector<CounterTable> tables_;  // one per rule, indexed like rules_
  void NewTables();                   // empty tables for the current rules
  // Calls in progress keyed by the mixed StatKey. Mutable: assess() advances it to the call's
  // start time, which only drops calls that ended before it (no learning).
  mutable ActiveCalls active_;
};

}  // namespace callguard
