#include "detectors/thresholds/thresholds.h"

#include <algorithm>

#include "core/hash.h"
#include "core/time.h"
#include "engine/engine.h"
#include "engine/snapshot.h"
#include "engine/state_table_impl.h"

namespace callguard {

namespace {

constexpr std::string_view kCodes[kParamCount][2] = {
    {"thr_cpm_warning", "thr_cpm_critical"},
    {"thr_total_calls_warning", "thr_total_calls_critical"},
    {"thr_concurrent_calls_warning", "thr_concurrent_calls_critical"},
    {"thr_sequential_calls_warning", "thr_sequential_calls_critical"},
    {"thr_call_duration_warning", "thr_call_duration_critical"},
    {"thr_cps_warning", "thr_cps_critical"}};

constexpr std::string_view kUnits[kParamCount] = {
    "calls in this minute", "calls today",
    "concurrent calls",     "consecutive calls to this number",
    "s longest call today", "calls in this second"};

}  // namespace

ThresholdsDetector::ThresholdsDetector(const Options& opt, const EngineState& state)
    : opt_(opt), state_(state) {}

Result<std::unique_ptr<ThresholdsDetector>> ThresholdsDetector::Create(const Options& opt,
                                                                       const EngineState& state) {
  std::unique_ptr<ThresholdsDetector> d(new ThresholdsDetector(opt, state));
  CG_RETURN_IF_ERROR(d->LoadRules());
  return d;
}

Status ThresholdsDetector::LoadRules() {
  std::vector<ThresholdRule> all = opt_.rules;
  for (const auto& f : opt_.rule_files) CG_RETURN_IF_ERROR(LoadRuleFile(f, &all));
  std::vector<ThresholdRule> mine;
  for (auto& r : all)
    if (r.profile_id == opt_.profile_id) mine.push_back(std::move(r));
  std::stable_sort(mine.begin(), mine.end(), [](const ThresholdRule& a, const ThresholdRule& b) {
    return a.prefix.size() > b.prefix.size();
  });
  if (mine.size() > kMaxRules)
    return Status::InvalidArgument("thresholds: profile " + std::to_string(opt_.profile_id) +
                                   " has " + std::to_string(mine.size()) + " rules; at most " +
                                   std::to_string(kMaxRules) + " are supported");
  rules_ = std::move(mine);
  catch_all_ = -1;
  for (size_t i = 0; i < rules_.size() && catch_all_ < 0; ++i)
    if (rules_[i].prefix.empty() && rules_[i].window.Always()) catch_all_ = static_cast<int>(i);
  NewTables();
  return Status::Ok();
}

void ThresholdsDetector::NewTables() {
  tables_.clear();
  tables_.reserve(rules_.size());
  const size_t numbers =
      std::max<size_t>(state_.config.engine.expected_numbers, state_.subscribers->size());
  for (size_t i = 0; i < rules_.size(); ++i)
    tables_.emplace_back(static_cast<int>(i) == catch_all_ ? numbers : 1024);
}

size_t ThresholdsDetector::tracked() const {
  size_t n = 0;
  for (const auto& t : tables_) n += t.size();
  return n;
}

size_t ThresholdsDetector::memory_bytes() const {
  size_t n = 0;
  for (const auto& t : tables_) n += t.memory_bytes();
  return n;
}

Status ThresholdsDetector::Reload() {
  std::vector<ThresholdRule> old = rules_;
  Status s = LoadRules();
  if (!s.ok()) {
    rules_ = std::move(old);
    return s;
  }
  // Rule indices may have moved: counters start afresh, as after OpenSIPS's fraud_reload
  // (LoadRules made new, empty counter tables).
  active_.Clear();
  return Status::Ok();
}

int ThresholdsDetector::MatchRule(const Call& call) const {
  if (rules_.empty() || call.caller.key == 0) return -1;
  std::string_view dialled =
      call.callee.e164.empty() ? std::string_view(call.callee.text) : call.callee.digits();
  // The local time is worked out only for a rule with a time window (most apply always).
  int minute = -1, weekday = 0;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const ThresholdRule& r = rules_[i];
    // Inline: prefixes are a few digits, and a memcmp call per rule showed in the profile.
    const size_t n = r.prefix.size();
    if (n > dialled.size()) continue;
    size_t j = 0;
    while (j < n && dialled[j] == r.prefix[j]) ++j;
    if (j < n) continue;
    if (!r.window.Always()) {
      if (minute < 0) {
        LocalTime lt = ToLocal(call.start_s(), opt_.utc_offset_min);
        minute = lt.hour * 60 + lt.minute;
        weekday = lt.weekday;
      }
      if (!r.window.Contains(minute, weekday)) continue;
    }
    return static_cast<int>(i);
  }
  return -1;
}

ThresholdsDetector::Values ThresholdsDetector::Project(const Stats* s, const Call& call,
                                                       uint32_t concurrent) const {
  const int64_t now_s = call.start_s();
  const int64_t off_s = opt_.utc_offset_min * 60;
  const bool seen = s && s->seen();
  const int64_t last_s = seen ? s->last_s() : 0;
  const bool same_day = seen && (last_s + off_s) / 86400 == (now_s + off_s) / 86400;
  Values v{};
  v.v[kCpm] = (seen && last_s / 60 == now_s / 60 ? s->cpm : 0u) + 1;
  v.v[kCps] = (seen && last_s == now_s ? s->cps : 0u) + 1;
  v.v[kTotalCalls] = (same_day ? s->total : 0u) + 1;
  v.v[kSequentialCalls] = (seen && s->last_dial == DialHash(call.callee.key) ? s->seq : 0u) + 1;
  v.v[kConcurrentCalls] = concurrent + 1;
  v.v[kCallDuration] = same_day ? s->long_call_s : 0;
  return v;
}

uint32_t ThresholdsDetector::Concurrent(const Call& call, int ri) const {
  if (ri != catch_all_) return active_.Count(Mix64(StatKey(call.caller.key, ri)));
  // The engine's count covers every call of the caller (advanced to this call's start, which
  // it records after every detector has seen it); the calls under the other rules are tracked
  // here.
  const uint32_t all = state_.active.Count(call.caller.key);
  const uint32_t other = active_.Count(OtherRulesKey(call.caller.key));
  return all > other ? all - other : 0;
}

void ThresholdsDetector::Prefetch(const Call& call) const {
  int ri = MatchRule(call);
  if (ri >= 0) tables_[ri].Prefetch(call.caller.key);
}

void ThresholdsDetector::assess(const Call& call, Evidence& out) const {
  int ri = MatchRule(call);
  if (ri < 0) return;
  const ThresholdRule& r = rules_[ri];
  active_.Advance(call.start_ms);
  const Counter* c = tables_[ri].Find(call.caller.key);
  Values v = Project(c ? &c->s : nullptr, call, Concurrent(call, ri));
  for (int p = 0; p < kParamCount; ++p) {
    int level = -1;
    if (r.critical[p] && v.v[p] >= r.critical[p]) {
      level = 1;
    } else if (r.warning[p] && v.v[p] >= r.warning[p]) {
      level = 0;
    }
    if (level < 0) continue;
    uint32_t limit = level ? r.critical[p] : r.warning[p];
    out.Add(name(), kCodes[p][level], level ? opt_.critical_weight : opt_.warning_weight, v.v[p],
            " ", kUnits[p], " (rule ", r.rule_id, " prefix '", r.prefix, "', ",
            (level ? "critical" : "warning"), " at ", limit, ")");
  }
}

void ThresholdsDetector::observe(const Call& call) {
  active_.Advance(call.start_ms);
  int ri = MatchRule(call);
  if (ri < 0) return;
  const uint64_t k = StatKey(call.caller.key, ri);
  Stats& s = tables_[ri].FindOrInsert(call.caller.key)->s;
  Values v = Project(&s, call, Concurrent(call, ri));
  auto sat16 = [](uint32_t x) { return static_cast<uint16_t>(std::min<uint32_t>(x, 65535)); };
  s.long_call_s = v.v[kCallDuration];  // 0 on a new day
  s.set_last_s(call.start_s());
  s.cpm = sat16(v.v[kCpm]);
  s.cps = sat16(v.v[kCps]);
  s.total = v.v[kTotalCalls];
  s.seq = sat16(v.v[kSequentialCalls]);
  s.last_dial = DialHash(call.callee.key);
  if (call.answered && call.duration_s > s.long_call_s)
    s.long_call_s = static_cast<uint32_t>(std::min(call.duration_s, 4e9));
  if (ri != catch_all_) {
    active_.Add(Mix64(k), call.end_ms());
    if (catch_all_ >= 0) active_.Add(OtherRulesKey(call.caller.key), call.end_ms());
  }
}

size_t ThresholdsDetector::ResetNumber(uint64_t key) {
  size_t n = 0;
  for (auto& t : tables_) n += t.Erase(key & ((1ULL << 56) - 1));
  return n;
}

void ThresholdsDetector::ResetAll() {
  NewTables();
  active_.Clear();
}

void ThresholdsDetector::Save(SnapshotWriter& out) const {
  // "THR3": 24-byte counters (THR2, 32-byte ones, and THRS, the first layout, are still read).
  out.BeginSection("THR3");
  out.Put<uint64_t>(tracked());
  for (size_t r = 0; r < tables_.size(); ++r) {
    tables_[r].ForEach([&](const Counter& c) {
      out.Put(StatKey(c.key, r));
      out.Put(c.s);
    });
  }
  auto entries = active_.Entries();
  out.Put<uint64_t>(entries.size());
  for (const auto& [end, key] : entries) {
    out.Put(end);
    out.Put(key);
  }
  out.EndSection();
}

Status ThresholdsDetector::Load(SnapshotReader& in) {
  NewTables();
  active_.Clear();
  uint64_t n;
  int layout = 3;
  if (!in.Section("THR3").ok()) {
    layout = 2;
    if (!in.Section("THR2").ok()) {
      CG_RETURN_IF_ERROR(in.Section("THRS"));
      layout = 1;
    }
  }
  const char* tag = layout == 3 ? "THR3" : layout == 2 ? "THR2" : "THRS";
  if (!in.Get(&n)) return in.Corrupt(tag);
  auto sat16 = [](uint32_t x) { return static_cast<uint16_t>(std::min<uint32_t>(x, 65535)); };
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t k;
    Stats s;
    if (layout == 1) {
      // The first layout: (user, rule) and 56 bytes of wider counters.
      struct {
        int64_t minute, second, day;
        uint64_t last_dial;
        uint32_t cpm, cps, total, seq;
        double long_call_s;
      } old;
      uint64_t user;
      uint32_t rule;
      if (!in.Get(&user) || !in.Get(&rule) || !in.Get(&old)) return in.Corrupt(tag);
      if (rule >= rules_.size()) continue;
      k = StatKey(user, rule);
      if (old.second >= 0) s.set_last_s(old.second);
      s.last_dial = DialHash(old.last_dial);
      s.total = old.total;
      s.long_call_s = static_cast<uint32_t>(std::min(old.long_call_s, 4e9));
      s.cpm = sat16(old.cpm);
      s.cps = sat16(old.cps);
      s.seq = sat16(old.seq);
    } else if (layout == 2) {
      // 32-byte counters with a 64-bit time (INT64_MIN: none).
      struct {
        int64_t last_s;
        uint32_t last_dial, total, long_call_s;
        uint16_t cpm, cps, seq;
      } old;
      static_assert(sizeof(old) == 32);
      if (!in.Get(&k) || !in.Get(&old)) return in.Corrupt(tag);
      if ((k >> 56) >= rules_.size()) continue;
      if (old.last_s != INT64_MIN) s.set_last_s(old.last_s);
      s.last_dial = old.last_dial;
      s.total = old.total;
      s.long_call_s = old.long_call_s;
      s.cpm = old.cpm;
      s.cps = old.cps;
      s.seq = old.seq;
    } else {
      if (!in.Get(&k) || !in.Get(&s)) return in.Corrupt(tag);
      if ((k >> 56) >= rules_.size()) continue;
    }
    tables_[k >> 56].Put(Counter{k & ((1ULL << 56) - 1), s});
  }
  if (!in.Get(&n)) return in.Corrupt(tag);
  if (state_.now_ms != INT64_MIN) active_.Advance(state_.now_ms);
  for (uint64_t i = 0; i < n; ++i) {
    int64_t end_s;
    uint64_t key;
    if (!in.Get(&end_s) || !in.Get(&key)) return in.Corrupt(tag);
    // Calls in progress in a first-layout snapshot were keyed by another hash: not carried.
    // (Before THR3 a catch-all rule's calls were tracked here and the other rules' were not
    // summed per caller: after loading such a snapshot, calls under other rules already in
    // progress also count towards the catch-all rule until they end.)
    if (layout > 1) active_.Add(key, end_s * 1000);
  }
  return Status::Ok();
}

template class StateTable<ThresholdsDetector::Counter>;

}  // namespace callguard
