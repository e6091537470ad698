// POST /v1/screen, POST /v1/cdr, GET /metrics, /healthz, /readyz.
#include <sys/mman.h>
#include <unistd.h>

#include "api/http_util.h"
#include "core/time.h"
#include "engine/verdict_writer.h"
#include "service/cdr_intake.h"
#include "service/service.h"

namespace callguard::api {

namespace {

// Reads an optional string field; false (with an error response) when it has another type.
bool GetString(const nlohmann::json& j, const char* key, std::string* out, httplib::Response& res) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_string()) {
    JsonError(res, 400, "bad_field", std::string("field '") + key + "' must be a string");
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

}  // namespace

void RouteScreening(httplib::Server& s, Context* ctx) {
  Service* svc = ctx->svc;
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}\n", "application/json");
  });
  s.Get("/readyz", [svc](const httplib::Request&, httplib::Response& res) {
    if (svc->ready()) {
      res.set_content("{\"status\":\"ready\"}\n", "application/json");
    } else {
      JsonError(res, 503, "not_ready", "the engine is starting or stopping");
    }
  });
  s.Get("/metrics", Guard(ctx, kAdmin | kAnalyst | kScreening,
                          [svc](const httplib::Request&, httplib::Response& res, const Principal&) {
                            res.set_content(svc->metrics().Prometheus(),
                                            "text/plain; version=0.0.4");
                          }));

  s.Post(
      "/v1/screen",
      Guard(ctx, kAdmin | kScreening,
            [svc, ctx](const httplib::Request& req, httplib::Response& res, const Principal&) {
              nlohmann::json j;
              if (!ParseBody(ctx, req, res,
                             {"call_id", "caller", "callee", "ingress", "trunk", "origin_country",
                              "origin_ip", "start_time", "identity", "priority"},
                             &j))
                return;
              ScreenRequest r;
              std::string start;
              bool ok = GetString(j, "call_id", &r.call_id, res) &&
                        GetString(j, "caller", &r.caller, res) &&
                        GetString(j, "callee", &r.callee, res) &&
                        GetString(j, "ingress", &r.ingress, res) &&
                        GetString(j, "trunk", &r.trunk, res) &&
                        GetString(j, "origin_country", &r.origin_country, res) &&
                        GetString(j, "origin_ip", &r.origin_ip, res) &&
                        GetString(j, "start_time", &start, res);
              ok = ok && GetString(j, "identity", &r.identity, res);  // verified when SHAKEN is on
              if (!ok) {
                svc->metrics().http_bad_requests.fetch_add(1);
                return;
              }
              if (r.callee.empty()) {
                svc->metrics().http_bad_requests.fetch_add(1);
                return JsonError(res, 400, "missing_field", "field 'callee' is required");
              }
              Ingress ing;
              if (!r.ingress.empty() && !ParseIngress(r.ingress, &ing)) {
                svc->metrics().http_bad_requests.fetch_add(1);
                return JsonError(res, 400, "bad_field",
                                 "field 'ingress' must be mobile, fixed, voip, international or "
                                 "interconnect");
              }
              IpAddress ip;
              if (!r.origin_ip.empty() && !ParseIp(r.origin_ip, &ip)) {
                svc->metrics().http_bad_requests.fetch_add(1);
                return JsonError(res, 400, "bad_field", "field 'origin_ip' is not an IP address");
              }
              if (!start.empty() && !ParseTimestamp(start, 0, &r.start_ms)) {
                svc->metrics().http_bad_requests.fetch_add(1);
                return JsonError(res, 400, "bad_field",
                                 "field 'start_time' is not an RFC 3339 time");
              }
              auto p = j.find("priority");
              if (p != j.end() && !p->is_null()) {
                if (!p->is_boolean()) {
                  svc->metrics().http_bad_requests.fetch_add(1);
                  return JsonError(res, 400, "bad_field", "field 'priority' must be true or false");
                }
                r.priority = p->get<bool>();
              }
              if (r.call_id.empty())
                r.call_id = "http-" + std::to_string(svc->metrics().http_screen.load());
              res.set_content(svc->Screen(r) + "\n", "application/json");
            }));

  s.Post("/v1/cdr",
         Guard(ctx, kAdmin | kScreening,
               [svc](const httplib::Request& req, httplib::Response& res, const Principal&) {
                 // The format: ?format=..., else from the content type, else detected from the
                 // content.
                 CdrFormat fmt = CdrFormat::kAuto;
                 std::string f = req.get_param_value("format");
                 std::string ctype = req.get_header_value("Content-Type");
                 if (!f.empty()) {
                   if (!ParseCdrFormat(f, &fmt))
                     return JsonError(res, 400, "bad_format",
                                      "format must be auto, csv, jsonl, asterisk or freeswitch");
                 } else if (ctype.find("ndjson") != std::string::npos ||
                            ctype.find("jsonl") != std::string::npos ||
                            ctype.find("json-lines") != std::string::npos) {
                   fmt = CdrFormat::kJsonl;
                 }
                 if (req.body.empty())
                   return JsonError(res, 400, "empty_body", "no call records in the body");
                 // Spill the body to an anonymous memory file and read it like any call-record
                 // file.
                 int fd = memfd_create("callguard-cdr", MFD_CLOEXEC);
                 if (fd < 0) return JsonError(res, 500, "internal", "cannot buffer the body");
                 size_t off = 0;
                 while (off < req.body.size()) {
                   ssize_t n = write(fd, req.body.data() + off, req.body.size() - off);
                   if (n <= 0) {
                     close(fd);
                     return JsonError(res, 500, "internal", "cannot buffer the body");
                   }
                   off += static_cast<size_t>(n);
                 }
                 thread_local std::unique_ptr<Normaliser> norm;
                 if (!norm)
                   norm = std::move(Normaliser::Create(svc->config().engine.region).value());
                 std::string path = "/proc/self/fd/" + std::to_string(fd);
                 IntakeResult r = IngestCdrFile(path, "body", fmt, svc, norm.get(), nullptr);
                 close(fd);
                 if (!r.status.ok() && r.accepted == 0 && r.rejected == 0) {
                   std::string msg = r.status.ToString();
                   for (size_t at; (at = msg.find(path)) != std::string::npos;)
                     msg.replace(at, path.size(), "body");
                   return JsonError(res, 400, "unreadable", msg);
                 }
                 std::string body = "{\"accepted\":" + std::to_string(r.accepted) +
                                    ",\"rejected\":" + std::to_string(r.rejected) + ",\"format\":";
                 AppendJsonString(r.format, &body);
                 body += ",\"errors\":[";
                 for (size_t i = 0; i < r.first_errors.size(); ++i) {
                   if (i) body += ",";
                   AppendJsonString(r.first_errors[i], &body);
                 }
                 body += "]}\n";
                 res.status = r.status.ok() ? (r.rejected > 0 && r.accepted == 0 ? 400 : 200) : 503;
                 res.set_content(body, "application/json");
               }));
}

}  // namespace callguard::api
