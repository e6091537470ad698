#include "sim/scenario.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "core/config_reader.h"
#include "core/time.h"

namespace callguard::sim {

namespace {

void ReadLegit(ConfigNode& n, LegitParams* p) {
  p->category = n.String("category", p->category);
  if (p->category.empty()) n.Error("category", "required");
  p->numbers = static_cast<int>(n.Int("numbers", p->numbers, 0, 1000000));
  p->calls_per_day = n.Number("calls_per_day", p->calls_per_day, 0, 1e6);
  p->answer_rate = n.Number("answer_rate", p->answer_rate, 0, 1);
  p->talk_median_s = n.Number("talk_median_s", p->talk_median_s, 1, 1e5);
  p->talk_sigma = n.Number("talk_sigma", p->talk_sigma, 0, 5);
  p->callback_share = n.Number("callback_share", p->callback_share, 0, 1);
  p->registered_share = n.Number("registered_share", p->registered_share, 0, 1);
  p->ingress = n.Choice("ingress", p->ingress, {"mobile", "fixed", "voip", "interconnect"});
  p->number_kind = n.Choice("number_kind", p->number_kind, {"mobile", "fixed"});
  p->attested = n.Bool("attested", p->attested);
  p->start_hour = static_cast<int>(n.Int("start_hour", p->start_hour, 0, 23));
  p->end_hour = static_cast<int>(n.Int("end_hour", p->end_hour, 1, 24));
  n.Finish();
}

void ReadOperation(ConfigNode& n, OperationParams* p) {
  p->id = n.String("id", p->id);
  if (p->id.empty()) n.Error("id", "required");
  p->type =
      n.Choice("type", p->type, {"call_centre", "simbox", "wangiri", "robocall", "camouflage"});
  p->agents = static_cast<int>(n.Int("agents", p->agents, 1, 1000000));
  p->calls_per_agent_per_day =
      n.Number("calls_per_agent_per_day", p->calls_per_agent_per_day, 0, 1e6);
  p->cli = n.Choice("cli", p->cli, {"random_domestic", "official", "rotate_daily"});
  p->numbers_per_agent_per_day =
      n.Number("numbers_per_agent_per_day", p->numbers_per_agent_per_day, 1, 1e5);
  p->ingress = n.Choice("ingress", p->ingress, {"international", "voip", "mobile"});
  p->origin_country = n.String("origin_country", p->origin_country);
  p->ip_blocks = n.StringList("ip_blocks");
  p->targets = static_cast<int>(n.Int("targets", p->targets, 1, 100000000));
  p->elderly_bias = n.Number("elderly_bias", p->elderly_bias, 0, 100);
  p->answer_rate = n.Number("answer_rate", p->answer_rate, 0, 1);
  p->victim_share = n.Number("victim_share", p->victim_share, 0, 1);
  p->victim_talk_median_s = n.Number("victim_talk_median_s", p->victim_talk_median_s, 1, 1e5);
  p->callback_share = n.Number("callback_share", p->callback_share, 0, 1);
  p->start_hour = static_cast<int>(n.Int("start_hour", p->start_hour, 0, 23));
  p->end_hour = static_cast<int>(n.Int("end_hour", p->end_hour, 1, 24));
  p->sims_per_device = static_cast<int>(n.Int("sims_per_device", p->sims_per_device, 1, 1024));
  p->warmup_days = static_cast<int>(n.Int("warmup_days", p->warmup_days, 0, 365));
  p->interval_s = n.Number("interval_s", p->interval_s, 0.1, 86400);
  n.Finish();
}

}  // namespace

Result<Scenario> ParseScenario(const std::string& text, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  ConfigErrors errors;
  ConfigNode top(root, "", &errors);
  Scenario s;
  top.Int("version", 1, 1, 1);
  s.name = top.String("name", name);
  s.description = top.String("description", "");
  s.days = static_cast<int>(top.Int("days", 1, 1, 366));
  s.start_date = top.String("start_date", s.start_date);
  int64_t ms;
  if (!ParseTimestamp(s.start_date + "T00:00:00Z", 0, &ms))
    top.Error("start_date", "expected a date such as 2026-03-02");
  std::string off = top.String("utc_offset", "+08:00");
  if (!ParseUtcOffset(off, &s.utc_offset_min)) top.Error("utc_offset", "expected e.g. +08:00");
  ConfigNode sub = top.Child("subscribers");
  SubscriberParams& sp = s.subscribers;
  sp.count = static_cast<int>(sub.Int("count", sp.count, 10, 100000000));
  sp.contacts_median = sub.Number("contacts_median", sp.contacts_median, 1, 1000);
  sp.contacts_sigma = sub.Number("contacts_sigma", sp.contacts_sigma, 0, 5);
  sp.calls_per_day_median = sub.Number("calls_per_day_median", sp.calls_per_day_median, 0, 1000);
  sp.calls_per_day_sigma = sub.Number("calls_per_day_sigma", sp.calls_per_day_sigma, 0, 5);
  sp.answer_rate = sub.Number("answer_rate", sp.answer_rate, 0, 1);
  sp.talk_median_s = sub.Number("talk_median_s", sp.talk_median_s, 1, 1e5);
  sp.talk_sigma = sub.Number("talk_sigma", sp.talk_sigma, 0, 5);
  sp.return_call_share = sub.Number("return_call_share", sp.return_call_share, 0, 1);
  sp.second_number_share = sub.Number("second_number_share", sp.second_number_share, 0, 1);
  sp.elderly_share = sub.Number("elderly_share", sp.elderly_share, 0, 1);
  sp.vulnerable_share_of_elderly =
      sub.Number("vulnerable_share_of_elderly", sp.vulnerable_share_of_elderly, 0, 1);
  sub.Finish();
  for (auto& n : top.List("legit")) {
    LegitParams p;
    ReadLegit(n, &p);
    s.legit.push_back(p);
  }
  for (auto& n : top.List("operations")) {
    OperationParams p;
    ReadOperation(n, &p);
    s.operations.push_back(p);
  }
  top.Finish();
  CG_RETURN_IF_ERROR(errors.ToStatus(name));
  return s;
}

Result<Scenario> LoadScenario(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IoError(path + ": cannot open scenario");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseScenario(ss.str(), path);
}

}  // namespace callguard::sim
