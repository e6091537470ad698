#include "detectors/thresholds/thresholds.h"

#include <algorithm>
#include <charconv>

#include "core/hash.h"
#include "core/time.h"
#include "engine/engine.h"
#include "engine/snapshot.h"
#include "ingest/list_file.h"

namespace callguard {

namespace {

// OpenSIPS column-name stems, in ThresholdParam order ("cps" is ours).
constexpr std::string_view kParamNames[kParamCount] = {
    "cpm", "total_calls", "concurrent_calls", "sequential_calls", "call_duration", "cps"};

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

bool ValidPrefix(std::string_view p) {
  if (p.size() > 15) return false;
  for (char c : p)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

ThresholdsDetector::Options ThresholdsDetector::ParseConfig(ConfigNode& node, const Config& cfg) {
  Options o;
  o.enabled = node.Bool("enabled", true);
  o.profile_id = static_cast<uint32_t>(node.Int("profile", 1, 0, UINT32_MAX));
  for (const auto& f : node.StringList("rule_files")) o.rule_files.push_back(cfg.ResolvePath(f));
  auto rules = node.List("rules");
  for (auto& r : rules) {
    ThresholdRule rule;
    rule.rule_id = static_cast<uint32_t>(r.Int("ruleid", 0, 0, UINT32_MAX));
    rule.profile_id = static_cast<uint32_t>(r.Int("profileid", o.profile_id, 0, UINT32_MAX));
    rule.prefix = r.String("prefix", "");
    if (!ValidPrefix(rule.prefix)) r.Error("prefix", "must be up to 15 digits (E.164, no '+')");
    auto w = TimeWindow::Parse(r.String("start_hour", "00:00"), r.String("end_hour", "23:59"),
                               r.String("daysoftheweek", "Mon-Sun"));
    if (!w.ok()) {
      r.Error("", std::string(w.status().message()));
    } else {
      rule.window = w.value();
    }
    for (int i = 0; i < kParamCount; ++i) {
      std::string stem(kParamNames[i]);
      rule.warning[i] = static_cast<uint32_t>(r.Int(stem + "_warning", 0, 0, UINT32_MAX));
      rule.critical[i] = static_cast<uint32_t>(r.Int(stem + "_critical", 0, 0, UINT32_MAX));
    }
    rule.source = r.path();
    r.Finish();
    o.rules.push_back(std::move(rule));
  }
  ConfigNode w = node.Child("weights");
  o.warning_weight = w.Number("warning", o.warning_weight, 0, 100);
  o.critical_weight = w.Number("critical", o.critical_weight, 0, 100);
  w.Finish();
  node.Finish();
  o.utc_offset_min = cfg.engine.utc_offset_min;
  return o;
}

Status ThresholdsDetector::LoadRuleFile(const std::string& path, std::vector<ThresholdRule>* out) {
  std::vector<std::string> cols;
  return ForEachListRecord(
      path, 1, [&](const std::vector<std::string_view>& f, const std::string& where) -> Status {
        if (cols.empty()) {
          for (auto c : f) cols.emplace_back(c);
          return Status::Ok();
        }
        if (f.size() != cols.size())
          return Status::InvalidArgument(where + ": expected " + std::to_string(cols.size()) +
                                         " fields as in the header");
        ThresholdRule rule;
        rule.source = where;
        std::string_view start = "00:00", end = "23:59", days = "Mon-Sun";
        for (size_t i = 0; i < cols.size(); ++i) {
          const std::string& c = cols[i];
          std::string_view v = f[i];
          auto num = [&](uint32_t* dst) -> Status {
            uint32_t x = 0;
            if (!v.empty()) {
              auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
              if (ec != std::errc() || p != v.data() + v.size())
                return Status::InvalidArgument(where + ": " + c + " '" + std::string(v) +
                                               "' is not a non-negative integer");
            }
            *dst = x;
            return Status::Ok();
          };
          if (c == "ruleid") {
            CG_RETURN_IF_ERROR(num(&rule.rule_id));
          } else if (c == "profileid") {
            CG_RETURN_IF_ERROR(num(&rule.profile_id));
          } else if (c == "prefix") {
            if (!ValidPrefix(v))
              return Status::InvalidArgument(where + ": prefix must be up to 15 digits");
            rule.prefix.assign(v);
          } else if (c == "start_hour") {
            start = v;
          } else if (c == "end_hour") {
            end = v;
          } else if (c == "daysoftheweek") {
            days = v;
          } else {
            bool known = false;
            for (int p = 0; p < kParamCount && !known; ++p) {
              if (c == std::string(kParamNames[p]) + "_warning") {
                CG_RETURN_IF_ERROR(num(&rule.warning[p]));
                known = true;
              } else if (c == std::string(kParamNames[p]) + "_critical") {
                CG_RETURN_IF_ERROR(num(&rule.critical[p]));
                known = true;
              }
            }
            if (!known) return Status::InvalidArgument(where + ": unknown column '" + c + "'");
          }
        }
        auto w = TimeWindow::Parse(start, end, days);
        if (!w.ok())
          return Status::InvalidArgument(where + ": " + std::string(w.status().message()));
        rule.window = w.value();
        out->push_back(std::move(rule));
        return Status::Ok();
      });
}

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
  return Status::Ok();
}

size_t ThresholdsDetector::memory_bytes() const {
  // A Swiss table slot holds the pair; each slot also has one control byte (plus a group's
  // worth of cloned control bytes at the end).
  return stats_.capacity() * (sizeof(std::pair<const uint64_t, Stats>) + 1) + 16;
}

Status ThresholdsDetector::Reload() {
  std::vector<ThresholdRule> old = rules_;
  Status s = LoadRules();
  if (!s.ok()) {
    rules_ = std::move(old);
    return s;
  }
  // Rule indices may have moved: counters start afresh, as after OpenSIPS's fraud_reload.
  ResetAll();
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
    if (dialled.substr(0, r.prefix.size()) != r.prefix) continue;
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
  const bool seen = s && s->last_s != INT64_MIN;
  const bool same_day = seen && (s->last_s + off_s) / 86400 == (now_s + off_s) / 86400;
  Values v{};
  v.v[kCpm] = (seen && s->last_s / 60 == now_s / 60 ? s->cpm : 0u) + 1;
  v.v[kCps] = (seen && s->last_s == now_s ? s->cps : 0u) + 1;
  v.v[kTotalCalls] = (same_day ? s->total : 0u) + 1;
  v.v[kSequentialCalls] = (seen && s->last_dial == DialHash(call.callee.key) ? s->seq : 0u) + 1;
  v.v[kConcurrentCalls] = concurrent + 1;
  v.v[kCallDuration] = same_day ? s->long_call_s : 0;
  return v;
}

void ThresholdsDetector::Prefetch(const Call& call) const {
  int ri = MatchRule(call);
  if (ri >= 0) stats_.prefetch(StatKey(call.caller.key, ri));
}

void ThresholdsDetector::assess(const Call& call, Evidence& out) const {
  int ri = MatchRule(call);
  if (ri < 0) return;
  const ThresholdRule& r = rules_[ri];
  active_.Advance(call.start_ms);
  const uint64_t k = StatKey(call.caller.key, ri);
  auto it = stats_.find(k);
  uint32_t concurrent = active_.Count(Mix64(k));
  Values v = Project(it == stats_.end() ? nullptr : &it->second, call, concurrent);
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
  Stats& s = stats_[k];
  const uint64_t hk = Mix64(k);
  Values v = Project(&s, call, active_.Count(hk));
  auto sat16 = [](uint32_t x) { return static_cast<uint16_t>(std::min<uint32_t>(x, 65535)); };
  s.long_call_s = v.v[kCallDuration];  // 0 on a new day
  s.last_s = call.start_s();
  s.cpm = sat16(v.v[kCpm]);
  s.cps = sat16(v.v[kCps]);
  s.total = v.v[kTotalCalls];
  s.seq = sat16(v.v[kSequentialCalls]);
  s.last_dial = DialHash(call.callee.key);
  if (call.answered && call.duration_s > s.long_call_s)
    s.long_call_s = static_cast<uint32_t>(std::min(call.duration_s, 4e9));
  active_.Add(hk, call.end_ms());
}

size_t ThresholdsDetector::ResetNumber(uint64_t key) {
  size_t n = 0;
  const uint64_t user = StatKey(key, 0);
  for (size_t r = 0; r < rules_.size(); ++r)
    n += stats_.erase(user | (static_cast<uint64_t>(r) << 56));
  return n;
}

void ThresholdsDetector::ResetAll() {
  stats_.clear();
  active_.Clear();
}

void ThresholdsDetector::Save(SnapshotWriter& out) const {
  // "THR2": the compact counters (THRS, the first layout, is still read).
  out.BeginSection("THR2");
  out.Put<uint64_t>(stats_.size());
  for (const auto& [k, s] : stats_) {
    out.Put(k);
    out.Put(s);
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
  stats_.clear();
  active_.Clear();
  uint64_t n;
  bool v1 = false;
  if (!in.Section("THR2").ok()) {
    CG_RETURN_IF_ERROR(in.Section("THRS"));
    v1 = true;
  }
  const char* tag = v1 ? "THRS" : "THR2";
  if (!in.Get(&n)) return in.Corrupt(tag);
  stats_.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t k;
    Stats s;
    if (v1) {
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
      s.last_s = old.second < 0 ? INT64_MIN : old.second;
      s.last_dial = DialHash(old.last_dial);
      s.total = old.total;
      s.long_call_s = static_cast<uint32_t>(std::min(old.long_call_s, 4e9));
      s.cpm = static_cast<uint16_t>(std::min<uint32_t>(old.cpm, 65535));
      s.cps = static_cast<uint16_t>(std::min<uint32_t>(old.cps, 65535));
      s.seq = static_cast<uint16_t>(std::min<uint32_t>(old.seq, 65535));
    } else {
      if (!in.Get(&k) || !in.Get(&s)) return in.Corrupt(tag);
      if ((k >> 56) >= rules_.size()) continue;
    }
    stats_[k] = s;
  }
  if (!in.Get(&n)) return in.Corrupt(tag);
  if (state_.now_ms != INT64_MIN) active_.Advance(state_.now_ms);
  for (uint64_t i = 0; i < n; ++i) {
    int64_t end_s;
    uint64_t key;
    if (!in.Get(&end_s) || !in.Get(&key)) return in.Corrupt(tag);
    // Calls in progress in a first-layout snapshot were keyed by another hash: not carried.
    if (!v1) active_.Add(key, end_s * 1000);
  }
  return Status::Ok();
}

}  // namespace callguard
