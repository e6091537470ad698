#include "engine/engine.h"

#include <phonenumbers/phonenumberutil.h>

#include "core/huge_pages.h"
#include "detectors/behaviour/behaviour.h"
#include "detectors/builtin.h"
#include "detectors/identity/identity.h"
#include "detectors/thresholds/thresholds.h"
#include "engine/snapshot.h"

namespace callguard {

namespace {
constexpr uint32_t kSnapshotVersion = 1;
}

EngineState::EngineState(const Config& cfg, std::shared_ptr<const Subscribers> subs)
    : config(cfg),
      pairs(static_cast<size_t>(cfg.engine.pair_filter_mb * 1024 * 1024)),
      subscribers(subs ? std::move(subs) : std::make_shared<Subscribers>()) {
  home_country_code = static_cast<uint16_t>(
      i18n::phonenumbers::PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(
          cfg.engine.region));
}

Engine::Engine(const Config& cfg) : cfg_(cfg) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Create(const Config& cfg,
                                               std::shared_ptr<const Subscribers> subs) {
  std::unique_ptr<Engine> e(new Engine(cfg));
  e->state_ = std::make_unique<EngineState>(e->cfg_, std::move(subs));
  if (e->state_->home_country_code == 0)
    return Status::InvalidArgument("engine.region: unknown region '" + cfg.engine.region + "'");
  auto dets = MakeBuiltinDetectors(e->cfg_, *e->state_);
  if (!dets.ok()) return dets.status();
  e->detectors_ = std::move(dets.value());
  while (e->first_learning_ < e->detectors_.size() && !e->detectors_[e->first_learning_]->learns())
    ++e->first_learning_;
  for (size_t i = e->first_learning_; i < e->detectors_.size(); ++i) {
    Detector* d = e->detectors_[i].get();
    (d->runs_with_shared_state() ? e->with_shared_ : e->learning_).push_back(d);
  }
  auto norm = Normaliser::Create(cfg.engine.region);
  if (!norm.ok()) return norm.status();
  for (const auto& n : IdentityDetector::EmergencyNumbers(cfg.engine.region)) {
    Number num;
    (*norm)->Normalise(n, &num);
    if (num.key != 0) e->emergency_keys_.push_back(num.key);
  }
  return e;
}

void Engine::ReadFacts(const Call& call, CallFacts* facts) {
  state_->active.Advance(call.start_ms);
  const uint64_t a = call.caller.key, b = call.callee.key;
  facts->in_progress = a != 0 ? state_->active.Count(a) : 0;
  facts->callee_called_caller = a != 0 && b != 0 && state_->pairs.Contains(b, a);
  facts->caller_called_callee = a != 0 && b != 0 && state_->pairs.Contains(a, b);
}

void Engine::RecordCall(const Call& call) {
  if (call.caller.key != 0 && call.callee.key != 0)
    state_->pairs.Insert(call.caller.key, call.callee.key);
  if (call.caller.key != 0) state_->active.Add(call.caller.key, call.end_ms());
}

void Engine::AssessStateless(const Call& call, Evidence& ev) const {
  ev.Clear();
  ev.emergency = call.priority;
  for (uint64_t k : emergency_keys_) ev.emergency |= call.callee.key == k;
  for (size_t i = 0; i < first_learning_; ++i) detectors_[i]->assess(call, ev);
  for (Detector* d : with_shared_) d->assess(call, ev);
}

void Engine::ObserveWithShared(const Call& call) {
  for (Detector* d : with_shared_) d->observe(call);
}

Decision Engine::AssessLearning(const Call& call, Evidence& ev) {
  for (Detector* d : learning_) d->assess(call, ev);
  Decision d = Decide(ev, cfg_.policy, cfg_.engine.shadow);
  ++stats_.calls;
  ++stats_.by_action[static_cast<int>(d.action)];
  return d;
}

void Engine::ObserveLearning(const Call& call) {
  for (Detector* d : learning_) d->observe(call);
  if (call.start_ms > state_->now_ms) state_->now_ms = call.start_ms;
  MaybeSweep();
}

const Decision& Engine::Assess(const Call& call) {
  ReadFacts(call, &state_->facts);
  AssessStateless(call, evidence_);
  decision_ = AssessLearning(call, evidence_);
  return decision_;
}

void Engine::Observe(const Call& call) {
  ReadFacts(call, &state_->facts);
  ObserveWithShared(call);
  ObserveLearning(call);
  RecordCall(call);
}

const Decision& Engine::Process(const Call& call) {
  Assess(call);  // the facts it read still hold: nothing was recorded since
  ObserveWithShared(call);
  ObserveLearning(call);
  RecordCall(call);
  return decision_;
}

void Engine::Prepare(const Call& call, CallFacts* facts, Evidence* ev) {
  ReadFacts(call, facts);
  AssessStateless(call, *ev);
  ObserveWithShared(call);
  RecordCall(call);
}

Decision Engine::Complete(const Call& call, const CallFacts& facts, Evidence* ev) {
  state_->facts = facts;
  Decision d = AssessLearning(call, *ev);
  ObserveLearning(call);
  return d;
}

void Engine::MaybeSweep() {
  // Once a day of call time, drop profiles idle for longer than the configured expiry. Driven
  // by call times only (and saved in snapshots), so it is the same in every way of scoring.
  constexpr int64_t kDayMs = 86400000;
  if (state_->last_sweep_ms == INT64_MIN) state_->last_sweep_ms = state_->now_ms;
  if (state_->now_ms - state_->last_sweep_ms < kDayMs) return;
  state_->last_sweep_ms = state_->now_ms;
  // Freed table segments kept for the next growth (core/huge_pages.h) go back to the kernel
  // once a day: a table that has stopped growing should not hold them for good.
  ReleaseKeptHugePages();
  int64_t cutoff_s =
      state_->now_ms / 1000 - static_cast<int64_t>(cfg_.engine.profile_idle_expiry_s);
  if (cutoff_s <= 0) return;
  if (auto* b = dynamic_cast<BehaviourDetector*>(FindDetector("behaviour")))
    b->Sweep(static_cast<uint32_t>(cutoff_s));
}

void Engine::PrefetchShared(const Call& call) const {
  if (call.caller.key != 0 && call.callee.key != 0) {
    state_->pairs.Prefetch(call.caller.key, call.callee.key);
    state_->pairs.Prefetch(call.callee.key, call.caller.key);
  }
  if (call.caller.key != 0) state_->active.Prefetch(call.caller.key);
  for (Detector* d : with_shared_) d->Prefetch(call);
}

void Engine::PrefetchLearned(const Call& call) const {
  for (Detector* d : learning_) d->Prefetch(call);
}

StateStats Engine::state_stats() const {
  StateStats s;
  if (auto* b = dynamic_cast<const BehaviourDetector*>(FindDetector("behaviour"))) {
    s.profiles = b->profiles().size();
    s.profile_bytes = b->profiles().memory_bytes();
  }
  s.pair_filter_bytes = state_->pairs.bytes();
  s.pairs_inserted = state_->pairs.inserted();
  s.pair_filter_fpr = state_->pairs.EstimatedFpr();
  s.active_calls = state_->active.size();
  s.kept_for_reuse_bytes = GetHugePageStats().kept_bytes;
  if (auto* t = dynamic_cast<const ThresholdsDetector*>(FindDetector("thresholds"))) {
    s.threshold_counters = t->tracked();
    s.threshold_bytes = t->memory_bytes();
  }
  return s;
}

Detector* Engine::FindDetector(std::string_view name) const {
  for (const auto& d : detectors_)
    if (d->name() == name) return d.get();
  return nullptr;
}

Status Engine::Reload() {
  for (const auto& d : detectors_) CG_RETURN_IF_ERROR(d->Reload());
  return Status::Ok();
}

Status Engine::SaveSnapshot(const std::string& path) const {
  auto w = SnapshotWriter::Create(path);
  if (!w.ok()) return w.status();
  SnapshotWriter& out = **w;
  out.BeginSection("ENGN");
  out.Put<uint32_t>(kSnapshotVersion);
  out.PutString(cfg_.engine.region);
  out.Put<int64_t>(state_->now_ms);
  out.Put<int64_t>(state_->last_sweep_ms);
  out.EndSection();

  out.BeginSection("PAIR");
  auto words = state_->pairs.Words();
  out.Put<uint64_t>(words.size());
  out.Put<uint64_t>(state_->pairs.inserted());
  out.PutBytes(words.data(), words.size() * 8);
  out.EndSection();

  out.BeginSection("ACTV");
  auto entries = state_->active.Entries();
  out.Put<uint64_t>(entries.size());
  for (const auto& [end_s, key] : entries) {
    out.Put<int64_t>(end_s);
    out.Put<uint64_t>(key);
  }
  out.EndSection();

  for (const auto& d : detectors_) {
    // Each detector writes its own sections, named by its first four letters.
    d->Save(out);
  }
  return out.Commit();
}

Status Engine::LoadSnapshot(const std::string& path) {
  auto r = SnapshotReader::Open(path);
  if (!r.ok()) return r.status();
  SnapshotReader& in = **r;
  CG_RETURN_IF_ERROR(in.Section("ENGN"));
  uint32_t version;
  std::string region;
  int64_t now, last_sweep;
  if (!in.Get(&version) || !in.GetString(&region) || !in.Get(&now) || !in.Get(&last_sweep))
    return in.Corrupt("ENGN");
  if (version != kSnapshotVersion)
    return Status::InvalidArgument(path + ": snapshot version " + std::to_string(version) +
                                   " is not supported (this release reads " +
                                   std::to_string(kSnapshotVersion) + ")");
  if (region != cfg_.engine.region)
    return Status::InvalidArgument(path + ": snapshot was made for region " + region +
                                   ", the configuration says " + cfg_.engine.region);

  CG_RETURN_IF_ERROR(in.Section("PAIR"));
  uint64_t nwords, inserted;
  if (!in.Get(&nwords) || !in.Get(&inserted) || in.remaining() != nwords * 8)
    return in.Corrupt("PAIR");
  std::vector<uint64_t> words(nwords);
  in.GetBytes(words.data(), nwords * 8);
  if (!state_->pairs.SetWords(words, inserted))
    return Status::InvalidArgument(path + ": pair filter size differs from engine.pair_filter_mb");

  CG_RETURN_IF_ERROR(in.Section("ACTV"));
  uint64_t n;
  if (!in.Get(&n)) return in.Corrupt("ACTV");
  state_->active.Clear();
  state_->now_ms = now;
  state_->last_sweep_ms = last_sweep;
  if (now != INT64_MIN) state_->active.Advance(now);
  for (uint64_t i = 0; i < n; ++i) {
    int64_t end_s;
    uint64_t key;
    if (!in.Get(&end_s) || !in.Get(&key)) return in.Corrupt("ACTV");
    state_->active.Add(key, end_s * 1000);
  }
  for (const auto& d : detectors_) CG_RETURN_IF_ERROR(d->Load(in));
  return Status::Ok();
}

}  // namespace callguard
