#include "core/investigate_config.h"

namespace callguard {

int GradeRank(const std::string& g) {
  if (g == "low") return 0;
  if (g == "medium") return 1;
  if (g == "high") return 2;
  if (g == "critical") return 3;
  return -1;
}

std::vector<GradeRule> DefaultGradeRules() {
  std::vector<GradeRule> r(5);
  r[0].grade = "critical";
  r[0].name = "long_call_with_operation";
  r[0].longest_call_s = 600;
  r[0].in_operation = true;
  r[1].grade = "high";
  r[1].name = "connected_15m_in_72h";
  r[1].connected_s_72h = 900;
  r[2].grade = "high";
  r[2].name = "several_operation_numbers";
  r[2].operation_numbers = 2;
  r[2].operation_call_s = 60;
  r[3].grade = "high";
  r[3].name = "elderly_3m_call";
  r[3].elderly = true;
  r[3].longest_call_s = 180;
  r[4].grade = "medium";
  r[4].name = "connected_call_60s";
  r[4].longest_call_s = 60;
  return r;
}

void ParseInvestigateConfig(ConfigNode n, const std::string& base_dir, InvestigateConfig* out) {
  out->live = n.Bool("live", true);
  {
    ConfigNode o = n.Child("ops");
    OpsConfig& c = out->ops;
    c.candidate_score = o.Number("candidate_score", c.candidate_score, 0, 1);
    c.hub_callers = static_cast<int>(o.Int("hub_callers", c.hub_callers, 2, 1 << 30));
    c.min_shared_callees =
        static_cast<int>(o.Int("min_shared_callees", c.min_shared_callees, 1, 1 << 20));
    c.min_lift = o.Number("min_lift", c.min_lift, 1, 1e12);
    c.max_p = o.Number("max_p", c.max_p, 1e-300, 1);
    c.strong_shared_callees =
        static_cast<int>(o.Int("strong_shared_callees", c.strong_shared_callees, 1, 1 << 20));
    c.strong_p = o.Number("strong_p", c.strong_p, 1e-300, 1);
    c.near_duplicate = o.Number("near_duplicate", c.near_duplicate, 0.05, 1);
    c.max_attribute_numbers =
        static_cast<int>(o.Int("max_attribute_numbers", c.max_attribute_numbers, 2, 1 << 24));
    c.max_attribute_pairs = o.Int("max_attribute_pairs", c.max_attribute_pairs, 1000, 1LL << 34);
    c.min_attribute_weight = o.Number("min_attribute_weight", c.min_attribute_weight, 0, 1);
    c.idf_population = o.Number("idf_population", c.idf_population, 2, 1e12);
    c.coactivity_bin_s = o.Duration("coactivity_bin", c.coactivity_bin_s);
    if (c.coactivity_bin_s < 1) o.Error("coactivity_bin", "must be at least 1s");
    c.coactivity_min = o.Number("coactivity_min", c.coactivity_min, 0, 1);
    c.coactivity_min_calls =
        static_cast<int>(o.Int("coactivity_min_calls", c.coactivity_min_calls, 1, 1 << 20));
    c.resolution = o.Number("resolution", c.resolution, 0, 1);
    c.min_members = static_cast<int>(o.Int("min_members", c.min_members, 2, 1 << 20));
    c.seed = static_cast<int>(o.Int("seed", c.seed, 0, 1 << 30));
    c.interval_s = o.Duration("interval", c.interval_s);
    c.window_s = o.Duration("window", c.window_s);
    c.origid_join_s = o.Duration("origid_join", c.origid_join_s);
    o.Finish();
  }
  if (n.Has("grades")) {
    out->grades.clear();
    for (ConfigNode g : n.List("grades")) {
      GradeRule r;
      r.grade = g.Choice("grade", "medium", {"critical", "high", "medium"});
      r.name = g.String("name", "");
      if (r.name.empty()) g.Error("name", "every rule needs a name (its reason code)");
      r.longest_call_s = g.Number("longest_call_s", -1, -1, 1e9);
      r.connected_s_72h = g.Number("connected_s_72h", -1, -1, 1e9);
      r.operation_numbers = static_cast<int>(g.Int("operation_numbers", -1, -1, 1 << 20));
      r.operation_call_s = g.Number("operation_call_s", 0, 0, 1e9);
      r.in_operation = g.Bool("in_operation", false);
      r.elderly = g.Bool("elderly", false);
      r.vulnerable = g.Bool("vulnerable", false);
      r.first_contact_foreign = g.Bool("first_contact_foreign", false);
      r.callback = g.Bool("callback", false);
      g.Finish();
      out->grades.push_back(r);
    }
  } else {
    out->grades = DefaultGradeRules();
  }
  {
    ConfigNode w = n.Child("warnings");
    WarningsConfig& c = out->warnings;
    c.min_grade = w.Choice("min_grade", c.min_grade, {"low", "medium", "high", "critical"});
    const std::vector<std::string> kinds = {"flash_sms", "voice_call", "home_visit",
                                            "family_alert"};
    c.critical_task = w.Choice("critical_task", c.critical_task, kinds);
    c.high_task = w.Choice("high_task", c.high_task, kinds);
    c.medium_task = w.Choice("medium_task", c.medium_task, kinds);
    c.critical_deadline_s = w.Duration("critical_deadline", c.critical_deadline_s);
    c.high_deadline_s = w.Duration("high_deadline", c.high_deadline_s);
    c.medium_deadline_s = w.Duration("medium_deadline", c.medium_deadline_s);
    c.family_alert = w.Bool("family_alert", c.family_alert);
    c.escalate_after_s = w.Duration("escalate_after", c.escalate_after_s);
    c.fatigue_s = w.Duration("fatigue", c.fatigue_s);
    c.webhook = w.String("webhook", "");
    if (!c.webhook.empty() && c.webhook.rfind("http://", 0) != 0 &&
        c.webhook.rfind("https://", 0) != 0)
      w.Error("webhook", "expected an http:// or https:// URL");
    c.webhook_token_env = w.String("webhook_token_env", "");
    c.webhook_attempts = static_cast<int>(w.Int("webhook_attempts", c.webhook_attempts, 1, 100));
    c.webhook_backoff_s = w.Duration("webhook_backoff", c.webhook_backoff_s);
    c.webhook_timeout_s = w.Duration("webhook_timeout", c.webhook_timeout_s);
    c.tasks_file = ResolveConfigPath(base_dir, w.String("tasks_file", ""));
    w.Finish();
  }
  {
    ConfigNode sh = n.Child("share");
    ShareConfig& c = out->share;
    c.key_file = ResolveConfigPath(base_dir, sh.String("key_file", ""));
    c.identity = sh.String("identity", c.identity);
    c.tlp = sh.Choice("tlp", c.tlp, {"clear", "green", "amber", "red"});
    c.valid_s = sh.Duration("valid", c.valid_s);
    sh.Finish();
  }
  n.Finish();
}

}  // namespace callguard
