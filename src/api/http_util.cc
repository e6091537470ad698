#include "api/http_util.h"

#include "core/number.h"
#include "core/time.h"
#include "engine/verdict_writer.h"
#include "service/service.h"

namespace callguard::api {

void JsonError(httplib::Response& res, int status, std::string_view code, std::string_view msg) {
  std::string body = "{\"error\":{\"code\":";
  AppendJsonString(code, &body);
  body += ",\"message\":";
  AppendJsonString(msg, &body);
  body += "}}\n";
  res.status = status;
  res.set_content(body, "application/json");
}

void Json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body + "\n", "application/json");
}

void Json(httplib::Response& res, int status, const nlohmann::json& body) {
  Json(res, status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

httplib::Server::Handler Guard(Context* ctx, uint8_t roles, Handler h) {
  return [ctx, roles, h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
    Metrics& m = ctx->svc->metrics();
    Principal who;
    std::string authz = req.get_header_value("Authorization");
    if (!ctx->cfg->api.require_tokens) {
      who.token_id = "anonymous";
      who.role = Role::kAdmin;
    } else if (roles == kPublic && authz.empty()) {
      if (!ctx->limiter->Allow(req.remote_addr)) {
        m.http_rate_limited.fetch_add(1, std::memory_order_relaxed);
        res.set_header("Retry-After", "60");
        return JsonError(res, 429, "rate_limited",
                         "too many requests from this address; try again later");
      }
    } else {
      if (!ctx->store) return JsonError(res, 503, "store_unavailable", "no store is configured");
      switch (ctx->auth->Check(authz, &who)) {
        case TokenAuth::Outcome::kOk:
          break;
        case TokenAuth::Outcome::kMissing:
          m.http_unauthorized.fetch_add(1, std::memory_order_relaxed);
          res.set_header("WWW-Authenticate", "Bearer realm=\"callguard\"");
          return JsonError(res, 401, "unauthorized",
                           "this endpoint needs an Authorization: Bearer token");
        case TokenAuth::Outcome::kInvalid:
          m.http_unauthorized.fetch_add(1, std::memory_order_relaxed);
          res.set_header("WWW-Authenticate", "Bearer realm=\"callguard\", error=\"invalid_token\"");
          return JsonError(res, 401, "invalid_token", "the token is unknown, revoked or expired");
        case TokenAuth::Outcome::kUnavailable:
          m.store_errors.fetch_add(1, std::memory_order_relaxed);
          return JsonError(res, 503, "store_unavailable", "cannot check the token now");
      }
      uint8_t bit = static_cast<uint8_t>(1u << static_cast<int>(who.role));
      if (roles != kPublic && !(roles & bit)) {
        m.http_forbidden.fetch_add(1, std::memory_order_relaxed);
        return JsonError(
            res, 403, "forbidden",
            "the role '" + std::string(RoleName(who.role)) + "' may not use this endpoint");
      }
    }
    h(req, res, who);
  };
}

bool ParseBody(Context* ctx, const httplib::Request& req, httplib::Response& res,
               std::initializer_list<std::string_view> allowed, nlohmann::json* out) {
  Metrics& m = ctx->svc->metrics();
  if (static_cast<int64_t>(req.body.size()) > ctx->cfg->api.max_json_bytes) {
    m.http_bad_requests.fetch_add(1);
    JsonError(res, 413, "too_large",
              "the body is over " + std::to_string(ctx->cfg->api.max_json_bytes) + " bytes");
    return false;
  }
  *out = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded() || !out->is_object()) {
    m.http_bad_requests.fetch_add(1);
    JsonError(res, 400, "bad_json", "the body must be one JSON object");
    return false;
  }
  for (auto it = out->begin(); it != out->end(); ++it) {
    bool known = false;
    for (std::string_view k : allowed) known = known || it.key() == k;
    if (!known) {
      m.http_bad_requests.fetch_add(1);
      std::string list;
      for (std::string_view k : allowed) list += (list.empty() ? "" : ", ") + std::string(k);
      JsonError(res, 400, "unknown_field",
                "unknown field '" + it.key() + "' (expected: " + list + ")");
      return false;
    }
  }
  return true;
}

bool GetString(Context* ctx, const nlohmann::json& j, const char* key, bool required,
               std::string* out, httplib::Response& res) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (!required) return true;
    ctx->svc->metrics().http_bad_requests.fetch_add(1);
    JsonError(res, 400, "missing_field", std::string("field '") + key + "' is required");
    return false;
  }
  if (!it->is_string()) {
    ctx->svc->metrics().http_bad_requests.fetch_add(1);
    JsonError(res, 400, "bad_field", std::string("field '") + key + "' must be a string");
    return false;
  }
  *out = it->get<std::string>();
  if (static_cast<int>(out->size()) > ctx->cfg->api.max_field_chars) {
    ctx->svc->metrics().http_bad_requests.fetch_add(1);
    JsonError(res, 400, "field_too_long",
              std::string("field '") + key + "' is longer than " +
                  std::to_string(ctx->cfg->api.max_field_chars) + " bytes");
    return false;
  }
  if (required && out->empty()) {
    ctx->svc->metrics().http_bad_requests.fetch_add(1);
    JsonError(res, 400, "missing_field", std::string("field '") + key + "' must not be empty");
    return false;
  }
  return true;
}

bool GetTime(const nlohmann::json& j, const char* key, std::optional<int64_t>* out_ms,
             httplib::Response& res) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  int64_t ms;
  if (!it->is_string() || !ParseTimestamp(it->get<std::string>(), 0, &ms)) {
    JsonError(res, 400, "bad_field",
              std::string("field '") + key + "' must be an RFC 3339 time (2026-03-02T09:15:04Z)");
    return false;
  }
  *out_ms = ms;
  return true;
}

bool GetInt(const nlohmann::json& j, const char* key, int64_t min, int64_t max,
            std::optional<int64_t>* out, httplib::Response& res) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > max) {
    JsonError(res, 400, "bad_field",
              std::string("field '") + key + "' must be an integer from " + std::to_string(min) +
                  " to " + std::to_string(max));
    return false;
  }
  *out = it->get<int64_t>();
  return true;
}

bool ParseNumberParam(Context* ctx, std::string_view raw, Number* out, httplib::Response& res) {
  // One normaliser per HTTP thread, given the number classes the service learned from its
  // state (so a lookup of a known number costs a hash lookup, not a libphonenumber parse).
  thread_local std::unique_ptr<Normaliser> norm;
  thread_local uint64_t warm_generation = 0;
  if (!norm) norm = std::move(Normaliser::Create(ctx->cfg->engine.region).value());
  if (uint64_t g = ctx->svc->warm_generation(); g != warm_generation) {
    if (auto warm = ctx->svc->warm_classes()) norm->MergeClassCache(*warm);
    warm_generation = g;
  }
  if (raw.size() > 40) {
    ctx->svc->metrics().http_bad_requests.fetch_add(1);
    JsonError(res, 400, "bad_number", "a telephone number has at most 40 characters");
    return false;
  }
  norm->Normalise(raw, out);
  if (!out->valid() && out->e164.empty()) {
    ctx->svc->metrics().http_bad_requests.fetch_add(1);
    JsonError(res, 400, "bad_number",
              "'" + std::string(raw) +
                  "' is not a telephone number (E.164 such as +8613800138000, "
                  "or national)");
    return false;
  }
  return true;
}

bool QueryInt(const httplib::Request& req, const char* key, int64_t def, int64_t min, int64_t max,
              int64_t* out, httplib::Response& res) {
  *out = def;
  if (!req.has_param(key)) return true;
  std::string v = req.get_param_value(key);
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || x < min || x > max) {
    JsonError(res, 400, "bad_parameter",
              std::string("query parameter '") + key + "' must be an integer from " +
                  std::to_string(min) + " to " + std::to_string(max));
    return false;
  }
  *out = x;
  return true;
}

void StoreError(Context* ctx, httplib::Response& res, const Status& st) {
  ctx->svc->metrics().store_errors.fetch_add(1);
  std::fprintf(stderr, "callguard serve: store: %s\n", st.ToString().c_str());
  JsonError(res, 503, "store_unavailable", "the store did not answer; nothing was changed");
}

bool Audit(Context* ctx, const httplib::Request& req, httplib::Response& res, const Principal& who,
           std::string_view action, const std::string& target) {
  store::AccessRecord a;
  a.time_ms = WallClockMs();
  a.actor = who.token_id;
  a.role = std::string(RoleName(who.role));
  a.action = std::string(action);
  a.target = target;
  a.source_ip = req.remote_addr;
  a.status = 200;
  Status st = ctx->journal->Record(a);
  if (!st.ok()) {
    StoreError(ctx, res, st);
    return false;
  }
  ctx->svc->metrics().access_logged.fetch_add(1, std::memory_order_relaxed);
  return true;
}

std::string TimeText(int64_t ms) { return FormatRfc3339(ms); }

nlohmann::json ToJson(const store::ListRecord& e) {
  nlohmann::json j = {{"id", e.id},
                      {"kind", e.kind},
                      {"type", e.type},
                      {"value", e.value},
                      {"note", e.note},
                      {"source", e.source},
                      {"created_by", e.created_by},
                      {"created_at", TimeText(e.created_ms)}};
  j["expires_at"] = e.expires_ms ? nlohmann::json(TimeText(*e.expires_ms)) : nlohmann::json();
  j["removed_at"] = e.removed_ms ? nlohmann::json(TimeText(*e.removed_ms)) : nlohmann::json();
  if (e.removed_ms) j["removed_by"] = e.removed_by;
  j["active"] = e.Active(WallClockMs());
  return j;
}

nlohmann::json ToJson(const store::Appeal& a) {
  nlohmann::json j = {{"id", a.id},
                      {"number", a.number},
                      {"contact", a.contact},
                      {"reason", a.reason},
                      {"call_id", a.call_id},
                      {"status", a.status},
                      {"created_at", TimeText(a.created_ms)}};
  if (a.decided_ms) {
    j["decided_at"] = TimeText(*a.decided_ms);
    j["decided_by"] = a.decided_by;
    j["decision_note"] = a.decision_note;
  } else {
    j["decided_at"] = nullptr;
  }
  return j;
}

nlohmann::json ToJson(const store::Report& r) {
  nlohmann::json j = {{"id", r.id},
                      {"number", r.number},
                      {"reporter", r.reporter},
                      {"category", r.category},
                      {"description", r.description},
                      {"created_at", TimeText(r.created_ms)}};
  j["call_time"] = r.call_time_ms ? nlohmann::json(TimeText(*r.call_time_ms)) : nlohmann::json();
  return j;
}

nlohmann::json ToJson(const store::Feedback& f) {
  return {{"id", f.id},     {"number", f.number},   {"verdict", f.verdict},
          {"note", f.note}, {"analyst", f.analyst}, {"created_at", TimeText(f.created_ms)}};
}

bool OneOf(const std::string& v, std::initializer_list<const char*> choices) {
  for (const char* c : choices)
    if (v == c) return true;
  return false;
}

std::string Actor(const Principal& who) { return who.token_id.empty() ? "public" : who.token_id; }

}  // namespace callguard::api
