// HttpApi: the HTTP side of `callguard serve` (cpp-httplib, a thread pool of
// serve.http_threads): POST /v1/screen (verdict JSON of the contract, for proxies that prefer
// HTTP, e.g. Kamailio http_client), POST /v1/cdr (call records to learn from, JSON Lines or
// CSV, optionally gzip), GET /metrics (Prometheus), GET /healthz, GET /readyz.
//
// Errors are JSON: {"error":{"code":"...","message":"..."}} with a stable code and a message
// naming the field at fault. Handlers talk to the engine only through Service (thread-safe).
// Start() binds and serves on a background thread; Stop() joins it.
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

class HttpApi {
 public:
  explicit HttpApi(Service* service);
  ~HttpApi();
  // Binds host:port ("127.0.0.1:8080"; port 0 picks one) and starts serving.
  Status Start(const std::string& address);
  void Stop();
  int port() const { return port_; }

 private:
  void Routes();
  Service* service_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace callguard
