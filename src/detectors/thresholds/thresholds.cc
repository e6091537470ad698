#include "detectors/thresholds/thresholds.h"

#include <algorithm>
#include <charconv>

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
  rules_ = std::move(mine);
  return Status::Ok();
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
  LocalTime lt = ToLocal(call.start_s(), opt_.utc_offset_min);
  int minute = lt.hour * 60 + lt.minute;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const ThresholdRule& r = rules_[i];
    if (dialled.substr(0, r.prefix.size()) != r.prefix) continue;
    if (!r.window.Contains(minute, lt.weekday)) continue;
    return static_cast<int>(i);
  }
  return -1;
}

ThresholdsDetector::Values ThresholdsDetector::Project(const Stats* s, const Call& call,
                                                       uint32_t concurrent) const {
  const int64_t now_s = call.start_s();
  const int64_t minute = now_s / 60;
  const int64_t day = (now_s + opt_.utc_offset_min * 60) / 86400;
  Values v{};
  v.v[kCpm] = (s && s->minute == minute ? s->cpm : 0) + 1;
  v.v[kCps] = (s && s->second == now_s ? s->cps : 0) + 1;
  v.v[kTotalCalls] = (s && s->day == day ? s->total : 0) + 1;
  v.v[kSequentialCalls] = (s && s->last_dial == call.callee.key ? s->seq : 0) + 1;
  v.v[kConcurrentCalls] = concurrent + 1;
  v.v[kCallDuration] = s && s->day == day ? static_cast<uint32_t>(s->long_call_s) : 0;
  return v;
}

void ThresholdsDetector::assess(const Call& call, Evidence& out) const {
  int ri = MatchRule(call);
  if (ri < 0) return;
  const ThresholdRule& r = rules_[ri];
  active_.Advance(call.start_ms);
  StatKey k{call.caller.key, static_cast<uint32_t>(ri)};
  auto it = stats_.find(k);
  uint32_t concurrent = active_.Count(StatKeyHash()(k));
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
  StatKey k{call.caller.key, static_cast<uint32_t>(ri)};
  Stats& s = stats_[k];
  const uint64_t hk = StatKeyHash()(k);
  Values v = Project(&s, call, active_.Count(hk));
  const int64_t now_s = call.start_s();
  const int64_t day = (now_s + opt_.utc_offset_min * 60) / 86400;
  if (s.day != day) s.long_call_s = 0;
  s.minute = now_s / 60;
  s.second = now_s;
  s.day = day;
  s.cpm = v.v[kCpm];
  s.cps = v.v[kCps];
  s.total = v.v[kTotalCalls];
  s.seq = v.v[kSequentialCalls];
  s.last_dial = call.callee.key;
  if (call.answered) s.long_call_s = std::max(s.long_call_s, call.duration_s);
  active_.Add(hk, call.end_ms());
}

size_t ThresholdsDetector::ResetNumber(uint64_t key) {
  size_t n = 0;
  for (auto it = stats_.begin(); it != stats_.end();) {
    if (it->first.user == key) {
      it = stats_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

void ThresholdsDetector::ResetAll() {
  stats_.clear();
  active_.Clear();
}

void ThresholdsDetector::Save(SnapshotWriter& out) const {
  out.BeginSection("THRS");
  out.Put<uint64_t>(stats_.size());
  for (const auto& [k, s] : stats_) {
    out.Put(k.user);
    out.Put(k.rule);
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
  CG_RETURN_IF_ERROR(in.Section("THRS"));
  stats_.clear();
  active_.Clear();
  uint64_t n;
  if (!in.Get(&n)) return in.Corrupt("THRS");
  for (uint64_t i = 0; i < n; ++i) {
    StatKey k;
    Stats s;
    if (!in.Get(&k.user) || !in.Get(&k.rule) || !in.Get(&s)) return in.Corrupt("THRS");
    if (k.rule < rules_.size()) stats_[k] = s;
  }
  if (!in.Get(&n)) return in.Corrupt("THRS");
  if (state_.now_ms != INT64_MIN) active_.Advance(state_.now_ms);
  for (uint64_t i = 0; i < n; ++i) {
    int64_t end_s;
    uint64_t key;
    if (!in.Get(&end_s) || !in.Get(&key)) return in.Corrupt("THRS");
    active_.Add(key, end_s * 1000);
  }
  return Status::Ok();
}

}  // namespace callguard
