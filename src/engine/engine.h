// Engine: the causal scoring engine (DESIGN.md §1). For each call, in start-time order:
// assess (every detector reads state and adds evidence), decide (the policy), then observe
// (every detector learns from the completed call, then the shared state is updated).
//
// The engine owns the detectors and the state they share (EngineState: the pair filter, calls in
// progress, the subscriber table). A verdict depends only on calls observed before it, so
// scoring a file, scoring it in parts with a snapshot in between, and screening the same calls
// live give the same verdicts. One engine is driven by one thread (a shard); it takes no locks.
//
// For call records the same work can run as a pipeline of two stages on two threads, each stage
// owning its own part of the state and taking the calls in the same order: Prepare (the shared
// state's facts about the call, the evidence of the detectors that learn nothing, the evidence
// and learning of those that run with the shared state, then the call recorded in the shared
// state) and Complete (the other learning detectors' evidence, the decision, then their
// learning). Each stage sees exactly the calls before the current one, so the
// verdicts are those of Process(), call for call.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "callguard/call.h"
#include "callguard/detector.h"
#include "callguard/evidence.h"
#include "core/config.h"
#include "core/subscribers.h"
#include "engine/active_calls.h"
#include "engine/pair_filter.h"
#include "engine/policy.h"

namespace callguard {

// What the shared state says about a call just before the call is recorded in it. The engine
// computes these once per call; detectors read them from EngineState::facts.
struct CallFacts {
  uint32_t in_progress = 0;           // the caller's other calls in progress at set-up
  bool callee_called_caller = false;  // the callee has called the caller before (a callback)
  bool caller_called_callee = false;  // the caller has called the callee before
};

// State shared by all detectors. Detectors read it in assess() and observe(); the engine writes
// it after every detector has observed a call.
struct EngineState {
  EngineState(const Config& cfg, std::shared_ptr<const Subscribers> subs);
  const Config& config;
  PairFilter pairs;                                // ordered pairs (caller, callee) ever seen
  ActiveCalls active;                              // calls in progress, per caller
  std::shared_ptr<const Subscribers> subscribers;  // never null (may be empty)
  uint16_t home_country_code = 0;
  int64_t now_ms = INT64_MIN;         // start time of the latest call seen
  int64_t last_sweep_ms = INT64_MIN;  // when idle profiles were last dropped
  // Facts about the call being assessed or observed (own cache line: in a pipeline, the other
  // stage writes the pair filter and calls in progress next to it).
  alignas(64) CallFacts facts;
};

// Size of the learned state, for summaries and the benchmark.
struct StateStats {
  uint64_t profiles = 0;       // numbers tracked by the behaviour detector
  uint64_t profile_bytes = 0;  // memory of the profile table
  uint64_t pair_filter_bytes = 0;
  uint64_t pairs_inserted = 0;
  double pair_filter_fpr = 0;  // estimated false-positive rate at its current fill
  uint64_t active_calls = 0;
  uint64_t threshold_counters = 0;  // (caller, rule) counters of the thresholds detector
  uint64_t threshold_bytes = 0;     // their memory
  // Freed table segments the process keeps to grow the next segment into (core/huge_pages.h):
  // at most two, not counted in the figures above.
  uint64_t kept_for_reuse_bytes = 0;
};

struct EngineStats {
  uint64_t calls = 0;
  uint64_t by_action[4] = {};  // indexed by Action
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Create(const Config& cfg,
                                                std::shared_ptr<const Subscribers> subs);
  ~Engine();

  // Assess and decide; does not learn. The returned evidence is valid until the next call.
  const Decision& Assess(const Call& call);
  // Learn from a completed call.
  void Observe(const Call& call);
  // Assess, then observe: the normal path for call records.
  const Decision& Process(const Call& call);
  // A hint that `call` comes soon (e.g. a few calls ahead in a batch): starts loading the state
  // its assessment needs. Changes nothing observable.
  void Prefetch(const Call& call) const {
    PrefetchShared(call);
    PrefetchLearned(call);
  }

  // The two-stage pipeline (see the top of this file). Stage 1, one thread, in call order:
  // fills *facts and starts *ev with the evidence of the detectors that learn nothing, then
  // records the call in the shared state (pair filter, calls in progress).
  void Prepare(const Call& call, CallFacts* facts, Evidence* ev);
  // Stage 2, another thread, the same calls in the same order: adds the learning detectors'
  // evidence to *ev, decides, then lets them learn from the call. The two stages touch disjoint
  // state and may run at the same time; nothing else may use the engine meanwhile.
  Decision Complete(const Call& call, const CallFacts& facts, Evidence* ev);
  // Prefetch() split by stage: the shared state and its detectors' (stage 1) and the other
  // learning detectors' (stage 2).
  void PrefetchShared(const Call& call) const;
  void PrefetchLearned(const Call& call) const;
  const Evidence& evidence() const { return evidence_; }
  const Decision& decision() const { return decision_; }

  StateStats state_stats() const;
  Status SaveSnapshot(const std::string& path) const;
  Status LoadSnapshot(const std::string& path);
  Status Reload();

  Detector* FindDetector(std::string_view name) const;
  const std::vector<std::unique_ptr<Detector>>& detectors() const { return detectors_; }
  const EngineState& state() const { return *state_; }
  const EngineStats& stats() const { return stats_; }
  const Config& config() const { return cfg_; }

 private:
  explicit Engine(const Config& cfg);
  void MaybeSweep();
  // The pieces of Assess, Observe and the pipeline stages.
  void ReadFacts(const Call& call, CallFacts* facts);
  void RecordCall(const Call& call);  // in the shared state, after every detector observed it
  void AssessStateless(const Call& call, Evidence& ev) const;  // and those with shared state
  void ObserveWithShared(const Call& call);
  Decision AssessLearning(const Call& call, Evidence& ev);
  void ObserveLearning(const Call& call);

  Config cfg_;
  std::unique_ptr<EngineState> state_;
  std::vector<uint64_t> emergency_keys_;  // callees whose calls are never blocked
  std::vector<std::unique_ptr<Detector>> detectors_;
  // detectors_[0, first_learning_) learn nothing and run in Prepare, with with_shared_; the
  // rest of the learning detectors (learning_) in Complete.
  size_t first_learning_ = 0;
  std::vector<Detector*> with_shared_;
  std::vector<Detector*> learning_;
  Evidence evidence_;
  Decision decision_;
  EngineStats stats_;
};

}  // namespace callguard
