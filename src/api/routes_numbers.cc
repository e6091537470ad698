// GET /v1/numbers/{number}, /v1/overview, /v1/indicators, /v1/audit, /v1/whoami.
#include "api/http_util.h"
#include "core/time.h"
#include "engine/verdict_writer.h"
#include "service/engine_views.h"
#include "service/service.h"

namespace callguard::api {

namespace {

constexpr std::string_view kActions[] = {"allow", "label", "warn", "block"};

void NumberPage(Context* ctx, const httplib::Request& req, httplib::Response& res,
                const Principal& who) {
  Service* svc = ctx->svc;
  Number n;
  if (!ParseNumberParam(ctx, req.matches[1].str(), &n, res)) return;
  int64_t limit;
  if (!QueryInt(req, "limit", 50, 1, 1000, &limit, res)) return;
  // ?include=cases adds reports, feedback and appeals (the dashboard's number page).
  std::string include = req.get_param_value("include");
  if (!include.empty() && include != "cases")
    return JsonError(res, 400, "bad_parameter", "query parameter 'include' may only be 'cases'");
  const bool cases = include == "cases";
  svc->metrics().number_lookups.fetch_add(1, std::memory_order_relaxed);
  const std::string& key = n.text;
  // Personal data leaves only once the read is in the audit log.
  if (!Audit(ctx, req, res, who, "GET /v1/numbers/{number}", key)) return;

  // The task may outlive this handler if the engine is late: it owns what it touches.
  struct View {
    Number n;
    std::string json;
  };
  auto view = std::make_shared<View>();
  view->n = n;
  int64_t now = WallClockMs();
  bool shadow = ctx->cfg->engine.shadow;
  if (!svc->RunOnEngine([view, now, shadow](
                            Engine& e) { view->json = NumberEngineView(e, view->n, now, shadow); },
                        2000))
    return JsonError(res, 503, "engine_busy", "the engine did not answer in time");

  auto rec = ctx->store->ForNumber(key, static_cast<int>(limit), cases, now);
  if (!rec.ok()) return StoreError(ctx, res, rec.status());
  const store::NumberRecords& r = rec.value();

  std::string body = "{\"number\":";
  AppendJsonString(key, &body);
  body += ",\"valid\":";
  body += n.valid() ? "true" : "false";
  body += ",\"type\":";
  AppendJsonString(ToString(n.type), &body);
  body += ",\"country_code\":" + std::to_string(n.country_code);
  body += ",\"engine\":" + view->json;
  nlohmann::json lj = nlohmann::json::array();
  for (const auto& e : r.lists) lj.push_back(ToJson(e));
  body += ",\"lists\":" + lj.dump();
  body += ",\"verdicts\":[";
  for (size_t i = 0; i < r.verdicts.size(); ++i) {
    if (i) body += ",";
    body += r.verdicts[i].json;  // the contract's verdict line, stored as written
  }
  body += "]";
  if (cases) {
    nlohmann::json rj = {{"distinct_reporters_30d", r.reporters_30d},
                         {"recent", nlohmann::json::array()}};
    for (const auto& x : r.reports) rj["recent"].push_back(ToJson(x));
    body += ",\"reports\":" + rj.dump();
    nlohmann::json fj = nlohmann::json::array();
    for (const auto& f : r.feedback) fj.push_back(ToJson(f));
    body += ",\"feedback\":" + fj.dump();
    nlohmann::json aj = nlohmann::json::array();
    for (const auto& a : r.appeals) aj.push_back(ToJson(a));
    body += ",\"appeals\":" + aj.dump();
  }
  body += "}";
  Json(res, 200, body);
}

void Overview(Context* ctx, const httplib::Request& req, httplib::Response& res) {
  Service* svc = ctx->svc;
  int64_t minutes;
  if (!QueryInt(req, "minutes", 60, 1, Activity::kMinutes, &minutes, res)) return;
  int64_t now = WallClockMs();
  Metrics& m = svc->metrics();
  nlohmann::json j;
  j["now"] = TimeText(now);
  nlohmann::json totals = {{"screened", m.screened.load()},
                           {"fail_open", m.sip_fail_open.load() + m.http_screen_fail_open.load()},
                           {"profiles", m.profiles.load()},
                           {"cdr_accepted", m.cdr_accepted.load()}};
  for (int i = 0; i < 4; ++i) totals[std::string(kActions[i])] = m.actions[i].load();
  j["totals"] = totals;
  nlohmann::json series = nlohmann::json::array();
  auto s = svc->activity().Series(now, static_cast<int>(minutes));
  for (const auto& x : s) {
    nlohmann::json p = {{"t", TimeText(x.start_ms)}};
    for (int i = 0; i < 4; ++i) p[std::string(kActions[i])] = x.by_action[i];
    series.push_back(p);
  }
  j["series"] = series;
  // Live rates: calls per second over the last complete minute.
  nlohmann::json rates;
  const auto& last = s.size() >= 2 ? s[s.size() - 2] : s.back();
  uint64_t all = 0;
  for (int i = 0; i < 4; ++i) {
    rates[std::string(kActions[i]) + "_per_s"] = last.by_action[i] / 60.0;
    all += last.by_action[i];
  }
  rates["calls_per_s"] = all / 60.0;
  j["rates_last_minute"] = rates;
  nlohmann::json top = nlohmann::json::array();
  for (auto& [code, n] : svc->activity().TopReasons(10))
    top.push_back({{"code", code}, {"count", n}});
  j["top_reasons"] = top;
  if (ctx->store) {
    auto open = ctx->store->Appeals("open", "", 10000);
    auto lists = ctx->store->ListEntries({.now_ms = now, .limit = 1000000});
    if (!open.ok()) return StoreError(ctx, res, open.status());
    if (!lists.ok()) return StoreError(ctx, res, lists.status());
    size_t blocks = 0;
    for (const auto& e : *lists) blocks += e.kind == "block";
    j["appeals_open"] = open->size();
    j["list_entries"] = {{"block", blocks}, {"allow", lists->size() - blocks}};
  }
  Json(res, 200, j);
}

}  // namespace

void RouteNumbers(httplib::Server& s, Context* ctx) {
  s.Get(R"(/v1/numbers/([^/]+))",
        Guard(ctx, kAdmin | kAnalyst,
              [ctx](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                NumberPage(ctx, req, res, who);
              }));

  s.Get("/v1/overview", Guard(ctx, kAdmin | kAnalyst,
                              [ctx](const httplib::Request& req, httplib::Response& res,
                                    const Principal&) { Overview(ctx, req, res); }));

  // Indicators for partners (other operators, police): what is blocked and why, with no
  // personal data (no reporters, callees, contacts or notes).
  s.Get(
      "/v1/indicators",
      Guard(ctx, kAdmin | kAnalyst | kPartner,
            [ctx](const httplib::Request&, httplib::Response& res, const Principal&) {
              int64_t now = WallClockMs();
              auto lists =
                  ctx->store->ListEntries({.kind = "block", .now_ms = now, .limit = 1000000});
              if (!lists.ok()) return StoreError(ctx, res, lists.status());
              nlohmann::json out = nlohmann::json::array();
              for (const auto& e : *lists) {
                nlohmann::json i = {
                    {"type", e.type},
                    {"value", e.value},
                    {"basis", e.source.rfind("feedback", 0) == 0 ? "analyst_confirmed"
                              : e.source.rfind("report", 0) == 0 ? "reports"
                                                                 : "listed"},
                    {"since", TimeText(e.created_ms)}};
                i["until"] =
                    e.expires_ms ? nlohmann::json(TimeText(*e.expires_ms)) : nlohmann::json();
                out.push_back(i);
              }
              Json(res, 200, nlohmann::json{{"generated_at", TimeText(now)}, {"indicators", out}});
            }));

  s.Get("/v1/audit",
        Guard(ctx, kAdmin,
              [ctx](const httplib::Request& req, httplib::Response& res, const Principal&) {
                int64_t limit;
                if (!QueryInt(req, "limit", 100, 1, 10000, &limit, res)) return;
                Status drained = ctx->journal->Drain();  // include reads made a moment ago
                if (!drained.ok()) return StoreError(ctx, res, drained);
                auto log =
                    ctx->store->AccessLog(req.get_param_value("target"), static_cast<int>(limit));
                if (!log.ok()) return StoreError(ctx, res, log.status());
                nlohmann::json out = nlohmann::json::array();
                for (const auto& a : *log)
                  out.push_back({{"time", TimeText(a.time_ms)},
                                 {"actor", a.actor},
                                 {"role", a.role},
                                 {"action", a.action},
                                 {"target", a.target},
                                 {"source_ip", a.source_ip},
                                 {"status", a.status}});
                Json(res, 200, nlohmann::json{{"entries", out}});
              }));

  s.Get("/v1/whoami",
        Guard(ctx, kAdmin | kAnalyst | kScreening | kPartner,
              [](const httplib::Request&, httplib::Response& res, const Principal& who) {
                Json(res, 200,
                     nlohmann::json{{"token_id", who.token_id},
                                    {"role", std::string(RoleName(who.role))}});
              }));
}

}  // namespace callguard::api
