// Detector: the extension unit of callguard (DESIGN.md §3).
//
// A detector inspects one call. assess() runs at call set-up on the screening path: it reads
// state and adds evidence, with no I/O, no locks, no allocation in steady state and bounded time.
// observe() runs when the call is complete (a CDR) and updates the detector's own state. The
// engine calls assess() on every detector, then the policy decides, then observe() on every
// detector, one call at a time in start-time order; each detector is only ever called from one
// thread at a time (in `score`'s pipeline, those that learn nothing run on another thread than
// most of those that learn, see learns() and runs_with_shared_state()): a detector needs no
// locks, and a verdict never depends on a later call. A detector never decides the action.
#pragma once

#include <string_view>

#include "callguard/call.h"
#include "callguard/evidence.h"
#include "callguard/status.h"

namespace callguard {

class SnapshotWriter;
class SnapshotReader;

class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string_view name() const = 0;
  virtual void assess(const Call& call, Evidence& out) const = 0;
  virtual void observe(const Call& /*call*/) {}
  // False for a detector whose assess() reads only the call, its configuration and its lists
  // (never anything learned from earlier calls) and whose observe() does nothing. The engine may
  // then assess the call ahead of the learning detectors, on another thread (Engine::Prepare).
  virtual bool learns() const { return true; }
  // True for a learning detector that reads nothing learned but its own state and the engine's
  // calls in progress (EngineState::active; never EngineState::facts, never another detector's
  // state). In `score`'s pipeline it then runs in the first stage (Engine::Prepare), on the
  // thread that owns the calls in progress, with assess() and observe() one after the other for
  // each call: its verdicts are the same, and the second stage has less to do.
  virtual bool runs_with_shared_state() const { return false; }
  // A hint that `call` will be assessed soon: start loading the state it needs into cache.
  // Must not change anything observable. Engines that see calls in batches call it ahead.
  virtual void Prefetch(const Call& /*call*/) const {}
  // Reloads lists and rules from their files (SIGHUP in the server). Default: nothing to reload.
  virtual Status Reload() { return Status::Ok(); }
  // Saves and restores learned state, for snapshots. Detectors without state write nothing.
  virtual void Save(SnapshotWriter& /*out*/) const {}
  virtual Status Load(SnapshotReader& /*in*/) { return Status::Ok(); }
};

}  // namespace callguard
