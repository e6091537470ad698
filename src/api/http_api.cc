#include "api/http_api.h"

#include <sys/stat.h>

#include "api/http_util.h"
#include "service/service.h"

#ifndef CALLGUARD_WEB_DIR
#define CALLGUARD_WEB_DIR ""
#endif

namespace callguard {

std::string DefaultDashboardDir() { return CALLGUARD_WEB_DIR; }

HttpApi::HttpApi(Service* service) : service_(service) {
  const Config& cfg = service->config();
  auth_ = std::make_unique<TokenAuth>(service->store(), cfg.api.token_cache_s);
  limiter_ = std::make_unique<RateLimiter>(cfg.api.public_rate_per_minute, cfg.api.public_burst);
  ctx_ = std::make_unique<api::Context>(api::Context{service, service->store(), &service->config(),
                                                     auth_.get(), limiter_.get(), nullptr});
}

HttpApi::~HttpApi() { Stop(); }

void HttpApi::Routes() {
  httplib::Server& s = *server_;
  api::RouteScreening(s, ctx_.get());
  api::RouteNumbers(s, ctx_.get());
  api::RouteCases(s, ctx_.get());
  api::RouteInvestigate(s, ctx_.get());

  const ApiConfig& ac = service_->config().api;
  if (ac.dashboard) {
    std::string dir = ac.dashboard_dir.empty() ? DefaultDashboardDir() : ac.dashboard_dir;
    struct stat st;
    if (!dir.empty() && stat((dir + "/index.html").c_str(), &st) == 0) {
      s.set_mount_point("/ui", dir);
      s.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/ui/"); });
    } else {
      fprintf(stderr, "callguard serve: dashboard off: no index.html in '%s'\n", dir.c_str());
    }
  }
  // Security headers on every answer; the dashboard loads nothing from elsewhere.
  s.set_post_routing_handler([this](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    int cls = res.status / 100 - 2;
    service_->metrics().http_requests[cls >= 0 && cls < 4 ? cls : 4].fetch_add(
        1, std::memory_order_relaxed);
  });
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404) api::JsonError(res, 404, "not_found", "no such endpoint");
    if (res.status == 405) api::JsonError(res, 405, "method_not_allowed", "method not allowed");
    if (res.status == 413) {
      // cpp-httplib caps form-encoded bodies at 8 KiB (curl's default type for --data).
      if (req.get_header_value("Content-Type").find("x-www-form-urlencoded") != std::string::npos)
        api::JsonError(res, 413, "too_large",
                       "form-encoded bodies are limited to 8 KiB: send Content-Type: "
                       "application/json, text/csv or application/x-ndjson");
      else
        api::JsonError(res, 413, "too_large", "request body too large");
    }
    if (res.status == 400 && res.body.empty())
      api::JsonError(res, 400, "bad_request", "the request is not valid HTTP");
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    api::JsonError(res, 500, "internal", "internal error");
  });
}

Status HttpApi::Start(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos)
    return Status::InvalidArgument("serve.http: expected host:port, got '" + address + "'");
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = atoi(address.c_str() + colon + 1);
  const Config& cfg = service_->config();
  if (service_->store()) {
    auto j = AccessJournal::Open(cfg.store.data_dir + "/access-journal", service_->store(),
                                 &service_->metrics());
    if (!j.ok()) return j.status();
    journal_ = std::move(j.value());
    ctx_->journal = journal_.get();
  }
  if (!cfg.api.tls_cert.empty()) {
    auto ssl =
        std::make_unique<httplib::SSLServer>(cfg.api.tls_cert.c_str(), cfg.api.tls_key.c_str());
    if (!ssl->is_valid())
      return Status::InvalidArgument("api.tls_cert/api.tls_key: cannot load " + cfg.api.tls_cert +
                                     " and " + cfg.api.tls_key +
                                     " (PEM certificate and matching private key)");
    server_ = std::move(ssl);
    tls_ = true;
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  int threads = cfg.serve.http_threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(static_cast<size_t>(cfg.serve.max_cdr_body_bytes));
  // A slow client gets api.read_timeout to send its request, then the connection is closed.
  double rt = cfg.api.read_timeout_s;
  server_->set_read_timeout(static_cast<time_t>(rt),
                            static_cast<time_t>((rt - static_cast<int64_t>(rt)) * 1e6));
  server_->set_write_timeout(10, 0);
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle holds the body until
  // the client's delayed ACK (40 ms per request on keep-alive connections).
  server_->set_tcp_nodelay(true);
  server_->set_keep_alive_max_count(10000);
  server_->set_keep_alive_timeout(30);
  Routes();
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
    if (port_ <= 0) return Status::IoError("serve.http: cannot bind " + address);
  } else {
    if (!server_->bind_to_port(host, port))
      return Status::IoError("serve.http: cannot bind " + address + ": " + strerror(errno));
    port_ = port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::Ok();
}

void HttpApi::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
  journal_.reset();  // copies the last entries into the store
}

}  // namespace callguard
