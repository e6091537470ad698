// HttpApi: the HTTP side of `callguard serve` (cpp-httplib, a pool of serve.http_threads; HTTPS
// when api.tls_cert and api.tls_key are set). The routes, their roles and their JSON are
// described in docs/api/openapi.yaml (a test checks the running server against it):
//   screening (routes_screening.cc): POST /v1/screen, POST /v1/cdr, GET /metrics, /healthz,
//     /readyz;
//   numbers (routes_numbers.cc): GET /v1/numbers/{number}, /v1/overview, /v1/indicators,
//     /v1/audit, /v1/whoami;
//   cases (routes_cases.cc): reports, feedback, appeals and lists;
//   the analysts' dashboard: static files under /ui/ (web/), same origin, same tokens.
// Errors are JSON: {"error":{"code":"...","message":"..."}} with a stable code and a message
// naming the field at fault. Handlers reach the engine only through Service (thread-safe).
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "callguard/status.h"

namespace httplib {
class Server;
}

namespace callguard {

class Service;
class TokenAuth;
class RateLimiter;
class AccessJournal;
namespace api {
struct Context;
}

class HttpApi {
 public:
  explicit HttpApi(Service* service);
  ~HttpApi();
  // Binds host:port ("127.0.0.1:8080"; port 0 picks one) and starts serving.
  Status Start(const std::string& address);
  void Stop();
  int port() const { return port_; }
  bool tls() const { return tls_; }

 private:
  void Routes();
  Service* service_;
  std::unique_ptr<TokenAuth> auth_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<AccessJournal> journal_;
  std::unique_ptr<api::Context> ctx_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool tls_ = false;
};

// Where the dashboard's files are when api.dashboard_dir is not set.
std::string DefaultDashboardDir();

}  // namespace callguard
