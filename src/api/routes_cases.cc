// Reports (public), feedback, appeals (submission public; the queue and decisions for
// analysts) and lists. Every change that affects screening is in the engine before the answer
// is sent (Service::RefreshLists), so "200" means "in force".
#include "api/http_util.h"
#include "core/time.h"
#include "detectors/lists/list_set.h"
#include "service/service.h"

namespace callguard::api {

namespace {

constexpr const char* kCategories[] = {"impersonation", "investment", "wangiri", "robocall",
                                       "phishing",      "extortion",  "other"};

// Makes a list change effective; a failure here is reported but the change stays stored (the
// periodic refresh will pick it up).
void Effective(Context* ctx, nlohmann::json* out) {
  Status st = ctx->svc->RefreshLists(true);
  (*out)["in_force"] = st.ok();
  if (!st.ok()) (*out)["warning"] = std::string(st.message());
}

void PostReport(Context* ctx, const httplib::Request& req, httplib::Response& res) {
  nlohmann::json j;
  if (!ParseBody(ctx, req, res, {"number", "reporter", "category", "description", "call_time"}, &j))
    return;
  store::Report r;
  std::string number, reporter;
  if (!GetString(ctx, j, "number", true, &number, res) ||
      !GetString(ctx, j, "reporter", false, &reporter, res) ||
      !GetString(ctx, j, "category", true, &r.category, res) ||
      !GetString(ctx, j, "description", false, &r.description, res) ||
      !GetTime(j, "call_time", &r.call_time_ms, res))
    return;
  bool known = false;
  for (const char* c : kCategories) known = known || r.category == c;
  if (!known) {
    ctx->svc->metrics().http_bad_requests.fetch_add(1);
    return JsonError(res, 400, "bad_field",
                     "field 'category' must be one of impersonation, investment, wangiri, "
                     "robocall, phishing, extortion, other");
  }
  Number n;
  if (!ParseNumberParam(ctx, number, &n, res)) return;
  r.number = n.text;
  if (!reporter.empty()) {
    Number rn;
    if (!ParseNumberParam(ctx, reporter, &rn, res)) return;
    r.reporter = rn.text;
  }
  r.source_ip = req.remote_addr;
  r.created_ms = WallClockMs();
  auto saved = ctx->store->AddReport(r);
  if (!saved.ok()) return StoreError(ctx, res, saved.status());
  ctx->svc->metrics().reports.fetch_add(1);
  Json(res, 201, nlohmann::json{{"id", saved->id}, {"status", "received"}});
}

void PostFeedback(Context* ctx, const httplib::Request& req, httplib::Response& res,
                  const Principal& who) {
  nlohmann::json j;
  if (!ParseBody(ctx, req, res, {"number", "verdict", "note", "expires_at"}, &j)) return;
  std::string number;
  store::Feedback f;
  std::optional<int64_t> expires;
  if (!GetString(ctx, j, "number", true, &number, res) ||
      !GetString(ctx, j, "verdict", true, &f.verdict, res) ||
      !GetString(ctx, j, "note", false, &f.note, res) || !GetTime(j, "expires_at", &expires, res))
    return;
  if (!OneOf(f.verdict, {"scam", "clear"})) {
    ctx->svc->metrics().http_bad_requests.fetch_add(1);
    return JsonError(res, 400, "bad_field", "field 'verdict' must be 'scam' or 'clear'");
  }
  Number n;
  if (!ParseNumberParam(ctx, number, &n, res)) return;
  f.number = n.text;
  f.analyst = Actor(who);
  f.created_ms = WallClockMs();
  store::ListRecord e;
  e.kind = f.verdict == "scam" ? "block" : "allow";
  e.type = "number";
  e.value = f.number;
  e.note = (f.verdict == "scam" ? "confirmed as scam by an analyst" : "cleared by an analyst") +
           (f.note.empty() ? "" : ": " + f.note);
  e.source = "feedback";
  e.created_by = f.analyst;
  e.created_ms = f.created_ms;
  e.expires_ms = expires;
  auto saved = ctx->store->ApplyFeedback(f, e);
  if (!saved.ok()) return StoreError(ctx, res, saved.status());
  ctx->svc->metrics().feedback.fetch_add(1);
  nlohmann::json out = {{"feedback", ToJson(saved.value())}};
  Effective(ctx, &out);
  Json(res, 200, out);
}

void PostAppeal(Context* ctx, const httplib::Request& req, httplib::Response& res) {
  nlohmann::json j;
  if (!ParseBody(ctx, req, res, {"number", "contact", "reason", "call_id"}, &j)) return;
  std::string number;
  store::Appeal a;
  if (!GetString(ctx, j, "number", true, &number, res) ||
      !GetString(ctx, j, "contact", true, &a.contact, res) ||
      !GetString(ctx, j, "reason", true, &a.reason, res) ||
      !GetString(ctx, j, "call_id", false, &a.call_id, res))
    return;
  Number n;
  if (!ParseNumberParam(ctx, number, &n, res)) return;
  a.number = n.text;
  a.source_ip = req.remote_addr;
  a.created_ms = WallClockMs();
  auto saved = ctx->store->AddAppeal(a);
  if (!saved.ok()) return StoreError(ctx, res, saved.status());
  ctx->svc->metrics().appeals.fetch_add(1);
  Json(res, 201,
       nlohmann::json{{"id", saved->id},
                      {"status", saved->status},
                      {"created_at", TimeText(saved->created_ms)}});
}

void DecideAppeal(Context* ctx, const httplib::Request& req, httplib::Response& res,
                  const Principal& who) {
  nlohmann::json j;
  if (!ParseBody(ctx, req, res, {"decision", "note"}, &j)) return;
  std::string decision, note;
  if (!GetString(ctx, j, "decision", true, &decision, res) ||
      !GetString(ctx, j, "note", false, &note, res))
    return;
  if (!OneOf(decision, {"upheld", "cleared"})) {
    ctx->svc->metrics().http_bad_requests.fetch_add(1);
    return JsonError(res, 400, "bad_field",
                     "field 'decision' must be 'upheld' (the block stays) or 'cleared' (the "
                     "number is unblocked)");
  }
  std::string id = req.matches[1].str();
  int64_t now = WallClockMs();
  store::ListRecord allow;
  if (decision == "cleared") {
    auto a = ctx->store->GetAppeal(id);
    if (!a.ok()) return StoreError(ctx, res, a.status());
    if (!a->has_value()) return JsonError(res, 404, "not_found", "no appeal '" + id + "'");
    allow.kind = "allow";
    allow.type = "number";
    allow.value = (*a)->number;
    allow.note = "appeal " + id + " cleared" + (note.empty() ? "" : ": " + note);
    allow.source = "appeal:" + id;
    allow.created_by = Actor(who);
    allow.created_ms = now;
  }
  auto d = ctx->store->DecideAppeal(id, decision, Actor(who), note, now,
                                    decision == "cleared" ? &allow : nullptr);
  if (!d.ok()) {
    if (d.status().code() == Status::Code::kNotFound)
      return JsonError(res, 404, "not_found", "no appeal '" + id + "'");
    if (d.status().code() == Status::Code::kInvalidArgument)
      return JsonError(res, 409, "already_decided", d.status().message());
    return StoreError(ctx, res, d.status());
  }
  ctx->svc->metrics().appeal_decisions.fetch_add(1);
  nlohmann::json out = {{"appeal", ToJson(d.value())}};
  Effective(ctx, &out);
  Json(res, 200, out);
}

void PostList(Context* ctx, const httplib::Request& req, httplib::Response& res,
              const Principal& who) {
  nlohmann::json j;
  if (!ParseBody(ctx, req, res, {"kind", "type", "value", "note", "expires_at", "ttl_s"}, &j))
    return;
  store::ListRecord e;
  std::optional<int64_t> ttl;
  if (!GetString(ctx, j, "kind", true, &e.kind, res) ||
      !GetString(ctx, j, "type", true, &e.type, res) ||
      !GetString(ctx, j, "value", true, &e.value, res) ||
      !GetString(ctx, j, "note", false, &e.note, res) ||
      !GetTime(j, "expires_at", &e.expires_ms, res) ||
      !GetInt(j, "ttl_s", 1, 100LL * 365 * 86400, &ttl, res))
    return;
  if (!OneOf(e.kind, {"block", "allow"}))
    return JsonError(res, 400, "bad_field", "field 'kind' must be 'block' or 'allow'");
  if (!OneOf(e.type, {"number", "prefix", "trunk", "country", "cidr"}))
    return JsonError(res, 400, "bad_field",
                     "field 'type' must be number, prefix, trunk, country or cidr");
  e.created_ms = WallClockMs();
  if (ttl) {
    if (e.expires_ms)
      return JsonError(res, 400, "bad_field", "give 'expires_at' or 'ttl_s', not both");
    e.expires_ms = e.created_ms + *ttl * 1000;
  }
  if (e.type == "number") {
    Number n;
    if (!ParseNumberParam(ctx, e.value, &n, res)) return;
    e.value = n.text;
  }
  // The lists' own parser decides what a valid value is.
  thread_local std::unique_ptr<Normaliser> norm;
  if (!norm) norm = std::move(Normaliser::Create(ctx->cfg->engine.region).value());
  ListSet probe;
  Status valid = probe.AddEntry(e.type, e.value, ListEntry{}, norm.get());
  if (!valid.ok())
    return JsonError(res, 400, "bad_field", "field 'value': " + std::string(valid.message()));
  e.source = "api";
  e.created_by = Actor(who);
  auto saved = ctx->store->AddListEntry(e);
  if (!saved.ok()) return StoreError(ctx, res, saved.status());
  ctx->svc->metrics().list_changes.fetch_add(1);
  nlohmann::json out = {{"entry", ToJson(saved.value())}};
  Effective(ctx, &out);
  Json(res, 201, out);
}

}  // namespace

void RouteCases(httplib::Server& s, Context* ctx) {
  s.Post("/v1/reports", Guard(ctx, kPublic,
                              [ctx](const httplib::Request& req, httplib::Response& res,
                                    const Principal&) { PostReport(ctx, req, res); }));
  s.Post("/v1/feedback", Guard(ctx, kAdmin | kAnalyst,
                               [ctx](const httplib::Request& req, httplib::Response& res,
                                     const Principal& who) { PostFeedback(ctx, req, res, who); }));
  s.Post("/v1/appeals", Guard(ctx, kPublic,
                              [ctx](const httplib::Request& req, httplib::Response& res,
                                    const Principal&) { PostAppeal(ctx, req, res); }));
  s.Get("/v1/appeals",
        Guard(ctx, kAdmin | kAnalyst,
              [ctx](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                std::string status = req.get_param_value("status");
                if (!status.empty() && !OneOf(status, {"open", "upheld", "cleared"}))
                  return JsonError(res, 400, "bad_parameter",
                                   "query parameter 'status' must be open, upheld or cleared");
                int64_t limit;
                if (!QueryInt(req, "limit", 100, 1, 10000, &limit, res)) return;
                if (!Audit(ctx, req, res, who, "GET /v1/appeals",
                           "appeals:" + (status.empty() ? "all" : status)))
                  return;
                auto list = ctx->store->Appeals(status, "", static_cast<int>(limit));
                if (!list.ok()) return StoreError(ctx, res, list.status());
                nlohmann::json out = nlohmann::json::array();
                for (const auto& a : *list) out.push_back(ToJson(a));
                Json(res, 200, nlohmann::json{{"appeals", out}});
              }));
  s.Get(R"(/v1/appeals/([A-Za-z0-9_-]{1,64}))",
        Guard(ctx, kAdmin | kAnalyst,
              [ctx](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                auto a = ctx->store->GetAppeal(req.matches[1].str());
                if (!a.ok()) return StoreError(ctx, res, a.status());
                if (!a->has_value())
                  return JsonError(res, 404, "not_found",
                                   "no appeal '" + req.matches[1].str() + "'");
                if (!Audit(ctx, req, res, who, "GET /v1/appeals/{id}", (*a)->number)) return;
                Json(res, 200, ToJson(**a));
              }));
  s.Post(R"(/v1/appeals/([A-Za-z0-9_-]{1,64})/decision)",
         Guard(ctx, kAdmin | kAnalyst,
               [ctx](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                 DecideAppeal(ctx, req, res, who);
               }));
  s.Get("/v1/lists",
        Guard(ctx, kAdmin | kAnalyst,
              [ctx](const httplib::Request& req, httplib::Response& res, const Principal&) {
                store::ListQuery q;
                q.kind = req.get_param_value("kind");
                if (!q.kind.empty() && !OneOf(q.kind, {"block", "allow"}))
                  return JsonError(res, 400, "bad_parameter",
                                   "query parameter 'kind' must be block or allow");
                q.value = req.get_param_value("value");
                q.include_inactive = req.get_param_value("include_inactive") == "true";
                q.now_ms = WallClockMs();
                int64_t limit;
                if (!QueryInt(req, "limit", 1000, 1, 100000, &limit, res)) return;
                q.limit = static_cast<int>(limit);
                auto list = ctx->store->ListEntries(q);
                if (!list.ok()) return StoreError(ctx, res, list.status());
                nlohmann::json out = nlohmann::json::array();
                for (const auto& e : *list) out.push_back(ToJson(e));
                Json(res, 200, nlohmann::json{{"entries", out}});
              }));
  s.Post("/v1/lists", Guard(ctx, kAdmin | kAnalyst,
                            [ctx](const httplib::Request& req, httplib::Response& res,
                                  const Principal& who) { PostList(ctx, req, res, who); }));
  s.Delete(R"(/v1/lists/(\d{1,18}))",
           Guard(ctx, kAdmin | kAnalyst,
                 [ctx](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                   int64_t id = std::stoll(req.matches[1].str());
                   auto r = ctx->store->RemoveListEntry(id, Actor(who), WallClockMs());
                   if (!r.ok()) return StoreError(ctx, res, r.status());
                   if (!r.value())
                     return JsonError(res, 404, "not_found",
                                      "no active list entry " + std::to_string(id));
                   ctx->svc->metrics().list_changes.fetch_add(1);
                   nlohmann::json out = {{"removed", id}};
                   Effective(ctx, &out);
                   Json(res, 200, out);
                 }));
}

}  // namespace callguard::api
