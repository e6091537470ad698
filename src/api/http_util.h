// Shared by the HTTP API's route files: the request context, JSON errors, access control
// (Guard), strict JSON bodies and number parameters. Internal to src/api.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/access_journal.h"
#include "api/auth.h"
#include "callguard/call.h"
#include "core/config.h"
#include "store/store.h"

namespace callguard {

class Service;

namespace api {

// Role sets for Guard.
constexpr uint8_t kAdmin = 1 << 0, kAnalyst = 1 << 1, kScreening = 1 << 2, kPartner = 1 << 3;
constexpr uint8_t kPublic = 0;  // no token needed; rate-limited per source address

struct Context {
  Service* svc;
  store::Store* store;  // may be null: the store endpoints answer 503
  const Config* cfg;
  TokenAuth* auth;
  RateLimiter* limiter;
  AccessJournal* journal;  // null without a store
};

using Handler = std::function<void(const httplib::Request&, httplib::Response&, const Principal&)>;

void JsonError(httplib::Response& res, int status, std::string_view code, std::string_view msg);
void Json(httplib::Response& res, int status, const std::string& body);
void Json(httplib::Response& res, int status, const nlohmann::json& body);

// Wraps a handler with access control: the token must have one of `roles` (kPublic: anyone,
// within the per-address rate). Counts 401/403/429.
httplib::Server::Handler Guard(Context* ctx, uint8_t roles, Handler h);

// A strict JSON object body: at most api.max_json_bytes, only `allowed` keys. On failure the
// error response is set and false returned.
bool ParseBody(Context* ctx, const httplib::Request& req, httplib::Response& res,
               std::initializer_list<std::string_view> allowed, nlohmann::json* out);

// Field readers: false (with a 400 naming the field) on a wrong type, a missing required
// field, or text longer than api.max_field_chars.
bool GetString(Context* ctx, const nlohmann::json& j, const char* key, bool required,
               std::string* out, httplib::Response& res);
bool GetTime(const nlohmann::json& j, const char* key, std::optional<int64_t>* out_ms,
             httplib::Response& res);
bool GetInt(const nlohmann::json& j, const char* key, int64_t min, int64_t max,
            std::optional<int64_t>* out, httplib::Response& res);

// A telephone number from a path or field, normalised; false (with 400 bad_number) if it is
// not a valid number.
bool ParseNumberParam(Context* ctx, std::string_view raw, Number* out, httplib::Response& res);

// An integer query parameter in [min, max] (default when absent).
bool QueryInt(const httplib::Request& req, const char* key, int64_t def, int64_t min, int64_t max,
              int64_t* out, httplib::Response& res);

// Counts a failed store call and answers 503.
void StoreError(Context* ctx, httplib::Response& res, const Status& st);

// Writes one access-log entry for a read of personal data; false (503 set) if it could not be
// written, in which case nothing is returned to the client.
bool Audit(Context* ctx, const httplib::Request& req, httplib::Response& res, const Principal& who,
           std::string_view action, const std::string& target);

// True when `v` is one of `choices`.
bool OneOf(const std::string& v, std::initializer_list<const char*> choices);
// Who did it, for the store's records: the token id, or "public".
std::string Actor(const Principal& who);
// The route groups.
void RouteScreening(httplib::Server& s, Context* ctx);
void RouteNumbers(httplib::Server& s, Context* ctx);
void RouteCases(httplib::Server& s, Context* ctx);
void RouteInvestigate(httplib::Server& s, Context* ctx);

// JSON forms of the store's records.
nlohmann::json ToJson(const store::ListRecord& e);
nlohmann::json ToJson(const store::Appeal& a);
nlohmann::json ToJson(const store::Report& r);
nlohmann::json ToJson(const store::Feedback& f);
std::string TimeText(int64_t ms);

}  // namespace api
}  // namespace callguard
