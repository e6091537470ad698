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
// The counters of every matching caller live in one open-addressing Swiss table (Abseil's
// flat_hash_map) keyed by the caller's packed 56-bit key with the rule's index in the top byte,
// 32 bytes of counters per entry: no allocation per caller, one probe per call. Hence at most
// kMaxRules rules per profile.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <memory>
#include <string>
#include <vector>

#include "callguard/detector.h"
#include "core/config.h"
#include "core/config_reader.h"
#include "detectors/thresholds/time_window.h"
#include "engine/active_calls.h"

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
  void assess(const Call& call, Evidence& out) const override;
  void observe(const Call& call) override;
  Status Reload() override;
  void Save(SnapshotWriter& out) const override;
  Status Load(SnapshotReader& in) override;

  // Forgets every counter of one caller (OpenSIPS lacks this); returns how many were dropped.
  size_t ResetNumber(uint64_t key);
  void ResetAll();
  size_t tracked() const { return stats_.size(); }
  // Bytes the counters take (the table's slots and control bytes).
  size_t memory_bytes() const;
  static constexpr size_t kMaxRules = 256;
  const std::vector<ThresholdRule>& rules() const { return rules_; }

 private:
  // (caller, rule): the caller's packed key (56 bits) with the rule index in the top byte.
  static uint64_t StatKey(uint64_t user, size_t rule) {
    return (user & ((1ULL << 56) - 1)) | (static_cast<uint64_t>(rule) << 56);
  }
  // The last counted call's second gives its minute and local day too. Counters saturate at
  // their type's maximum (65,535 calls per minute, per second or in a sequence).
  struct Stats {
    int64_t last_s = INT64_MIN;  // start of the last counted call (Unix seconds)
    uint32_t last_dial = 0;      // 32-bit hash of the last callee's key (sequential calls)
    uint32_t total = 0;          // calls today (local day of last_s)
    uint32_t long_call_s = 0;    // longest completed call today under this rule, whole seconds
    uint16_t cpm = 0;            // calls in the minute of last_s
    uint16_t cps = 0;            // calls in the second last_s
    uint16_t seq = 0;            // consecutive calls to last_dial
  };
  static_assert(sizeof(Stats) == 32);
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
  Values Project(const Stats* s, const Call& call, uint32_t concurrent) const;

  Options opt_;
  const EngineState& state_;
  std::vector<ThresholdRule> rules_;            // of the selected profile, longest prefix first
  absl::flat_hash_map<uint64_t, Stats> stats_;  // by StatKey
  // Calls in progress keyed by the mixed StatKey. Mutable: assess() advances it to the call's
  // start time, which only drops calls that ended before it (no learning).
  mutable ActiveCalls active_;
};

}  // namespace callguard
