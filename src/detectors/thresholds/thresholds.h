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
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
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
  void assess(const Call& call, Evidence& out) const override;
  void observe(const Call& call) override;
  Status Reload() override;
  void Save(SnapshotWriter& out) const override;
  Status Load(SnapshotReader& in) override;

  // Forgets every counter of one caller (OpenSIPS lacks this); returns how many were dropped.
  size_t ResetNumber(uint64_t key);
  void ResetAll();
  size_t tracked() const { return stats_.size(); }
  const std::vector<ThresholdRule>& rules() const { return rules_; }

 private:
  struct StatKey {
    uint64_t user;
    uint32_t rule;
    bool operator==(const StatKey& o) const { return user == o.user && rule == o.rule; }
  };
  struct StatKeyHash {
    size_t operator()(const StatKey& k) const {
      return (k.user * 0x9E3779B97F4A7C15ULL) ^ (k.rule * 0xC2B2AE3D27D4EB4FULL);
    }
  };
  struct Stats {
    int64_t minute = -1;
    int64_t second = -1;
    int64_t day = -1;
    uint64_t last_dial = 0;
    uint32_t cpm = 0;
    uint32_t cps = 0;
    uint32_t total = 0;
    uint32_t seq = 0;
    double long_call_s = 0;  // longest completed call today under this rule
  };
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
  std::vector<ThresholdRule> rules_;  // of the selected profile, longest prefix first
  std::unordered_map<StatKey, Stats, StatKeyHash> stats_;
  // Calls in progress keyed by StatKeyHash of (caller, rule). Mutable: assess() advances it to
  // the call's start time, which only drops calls that ended before it (no learning).
  mutable ActiveCalls active_;
};

}  // namespace callguard
