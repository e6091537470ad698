// The thresholds detector's rules: from the configuration (`detectors.thresholds.rules`) and
// from rule files with the columns of OpenSIPS's fraud_detection table.
#include <charconv>

#include "detectors/thresholds/thresholds.h"
#include "ingest/list_file.h"

namespace callguard {

namespace {

// OpenSIPS column-name stems, in ThresholdParam order ("cps" is ours).
constexpr std::string_view kParamNames[kParamCount] = {
    "cpm", "total_calls", "concurrent_calls", "sequential_calls", "call_duration", "cps"};

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

}  // namespace callguard
