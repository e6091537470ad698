// BehaviourDetector: the caller's recent conduct, learned from completed calls. See README.md
// beside this file for each signal, its reason code, and the configuration.
//
// It owns the per-number profiles (ProfileTable): time-decayed attempt counts over three windows,
// incoming calls and callbacks, and running shares over outgoing calls (answered, short, long,
// night, new contact, reciprocal), plus sequential-dialling state. observe() updates the caller's
// and the callee's profiles; assess() reads the caller's, decayed to the call's start time, and
// speaks only once a caller has made enough calls. Single-threaded, like the engine.
#pragma once

#include <array>
#include <string>

#include "callguard/detector.h"
#include "core/config_reader.h"
#include "engine/profile_table.h"

namespace callguard {

struct EngineState;

class BehaviourDetector : public Detector {
 public:
  struct Window {
    std::string name;
    double half_life_s;
    double burst_attempts;  // decayed attempts at which fanout_burst fires (0 = never)
  };
  struct Options {
    bool enabled = true;
    std::array<Window, 3> windows = {Window{"short", 600, 40}, Window{"medium", 7200, 200},
                                     Window{"long", 86400, 800}};
    double min_calls = 8;      // decayed long-window attempts before the detector speaks
    double short_call_s = 15;  // an answered call shorter than this is "short"
    double long_call_s = 600;  // an answered call at least this long is "long"
    int night_start_hour = 0;  // local night, [start, end)
    int night_end_hour = 6;
    double share_span = 32;  // running shares average over about this many calls
    // Thresholds of the signals.
    double new_contact_share = 0.85;
    double low_answer_share = 0.3;
    double short_share_of_answered = 0.7;
    double low_reciprocity = 0.05;
    double outgoing_share = 0.97;
    double night_share = 0.5;
    int sequential_run = 5;
    int concurrent_calls = 4;
    // Weights.
    double w_fanout_burst = 0.8;
    double w_new_contacts = 0.3;
    double w_low_answer = 0.5;
    double w_short_calls = 0.2;
    double w_no_callbacks = 0.35;
    double w_outgoing_only = 0.15;
    double w_night = 0.3;
    double w_sequential = 1.0;
    double w_concurrent = 0.8;
  };

  static Options ParseConfig(ConfigNode& node);
  BehaviourDetector(const Options& opt, const EngineState& state);

  std::string_view name() const override { return "behaviour"; }
  void assess(const Call& call, Evidence& out) const override;
  void observe(const Call& call) override;
  void Prefetch(const Call& call) const override {
    if (call.caller.key) profiles_.Prefetch(call.caller.key);
    if (call.callee.key) profiles_.Prefetch(call.callee.key);
  }
  void Save(SnapshotWriter& out) const override;
  Status Load(SnapshotReader& in) override;

  const ProfileTable& profiles() const { return profiles_; }
  // The caller's profile decayed to `now_s` (a copy), or nullptr when unknown.
  bool View(uint64_t key, int64_t now_s, Profile* out) const;
  // Drops profiles idle since `older_than_s`.
  size_t Sweep(uint32_t older_than_s) { return profiles_.Sweep(older_than_s); }

 private:
  void Decay(Profile* p, int64_t now_s) const;
  static void UpdateShare(Profile* p, int which, bool value, float alpha);
  bool IsNight(int64_t unix_s) const;

  Options opt_;
  const EngineState& state_;
  std::array<float, 3> rate_;  // ln 2 / half-life per window
  ProfileTable profiles_;
};

}  // namespace callguard
