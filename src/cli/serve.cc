// `callguard serve`: the live screening service (SIP redirect server + HTTP API + CDR intake).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "api/http_api.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/subscribers.h"
#include "service/cdr_intake.h"
#include "service/service.h"
#include "store/store.h"

namespace callguard {

namespace {

constexpr const char* kUsage = R"(usage: callguard serve [--config FILE] [options]

Screens calls as they are set up: answers every SIP INVITE (UDP and TCP) as a redirect server
(302 to proceed, with a label for the proxy to apply, or 603/607/608 to block) and POST
/v1/screen over HTTP, and keeps learning from completed-call records (POST /v1/cdr and a spool
directory). Listeners, deadlines and answers are set in the config's `serve:` section.
The HTTP API (docs/api/openapi.yaml) and the dashboard (/ui/) need tokens: `callguard token
create --role analyst`. Lists, reports, appeals, the verdict trail and the access log live in
the store (`store:`; SQLite in store.data_dir by default, or PostgreSQL).

options:
  --config FILE        configuration (YAML); `serve:` holds the listeners
  --subscribers FILE   subscriber table (CSV: number, line_type, registered_name, ...)
  --sip URL            override serve.sip (repeatable): udp://127.0.0.1:5060, tcp://...
  --http HOST:PORT     override serve.http ("off" disables it)
  --state FILE         override serve.state (snapshot loaded at start, saved at stop)
  --spool DIR          override serve.spool (directory watched for call-record files)
  --store URL          override store.url (postgresql://... or sqlite:PATH)
  --data-dir DIR       override store.data_dir (the SQLite store when store.url is not set)
  --help               this text

signals: SIGTERM/SIGINT stop gracefully (the state is saved); SIGHUP reloads lists and rules.
On start it prints one line per listener ("listening sip udp://127.0.0.1:5060").
)";

}  // namespace

int RunServe(int argc, char** argv) {
  auto parsed =
      Args::Parse(argc, argv, {"help"},
                  {"config", "subscribers", "sip", "http", "state", "spool", "store", "data-dir"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "callguard serve: %s\n\n%s", parsed.status().ToString().c_str(), kUsage);
    return 2;
  }
  const Args& a = parsed.value();
  if (a.Flag("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!a.positional().empty()) {
    std::fprintf(stderr, "callguard serve: unexpected argument '%s'\n", a.positional()[0].c_str());
    return 2;
  }
  auto cfg_r = LoadConfig(a.Get("config"));
  if (!cfg_r.ok()) {
    std::fprintf(stderr, "callguard serve: %s\n", cfg_r.status().ToString().c_str());
    return 1;
  }
  Config cfg = std::move(cfg_r.value());
  if (a.Has("sip")) cfg.serve.sip = a.All("sip");
  if (a.Has("http")) cfg.serve.http = a.Get("http") == "off" ? "" : a.Get("http");
  // Paths given on the command line are relative to the working directory, not to the config.
  auto from_cwd = [](const std::string& p) {
    if (p.empty() || p[0] == '/') return p;
    char buf[4096];
    return getcwd(buf, sizeof buf) ? std::string(buf) + "/" + p : p;
  };
  if (a.Has("state")) cfg.serve.state = from_cwd(a.Get("state"));
  if (a.Has("spool")) cfg.serve.spool = from_cwd(a.Get("spool"));
  if (a.Has("store")) {
    cfg.store.url = a.Get("store");
    if (cfg.store.url.rfind("sqlite:", 0) == 0)
      cfg.store.url = "sqlite:" + from_cwd(cfg.store.url.substr(7));
  }
  if (a.Has("data-dir")) cfg.store.data_dir = from_cwd(a.Get("data-dir"));

  auto subs = std::make_shared<Subscribers>();
  if (a.Has("subscribers")) {
    auto norm = Normaliser::Create(cfg.engine.region);
    if (!norm.ok()) {
      std::fprintf(stderr, "callguard serve: %s\n", norm.status().ToString().c_str());
      return 1;
    }
    SubscriberLoadStats st;
    auto s = Subscribers::Load(a.Get("subscribers"), norm.value().get(), &st);
    if (!s.ok()) {
      std::fprintf(stderr, "callguard serve: %s\n", s.status().ToString().c_str());
      return 1;
    }
    subs = std::make_shared<Subscribers>(std::move(s.value()));
  }
  // The data directory holds the SQLite store (when store.url is not set) and the access journal.
  if (mkdir(cfg.store.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "callguard serve: store.data_dir %s: %s\n", cfg.store.data_dir.c_str(),
                 strerror(errno));
    return 1;
  }
  auto store = store::Store::Open(cfg.store.Url(), cfg.store.pool);
  if (!store.ok()) {
    std::fprintf(stderr, "callguard serve: %s\n", store.status().ToString().c_str());
    return 1;
  }
  auto svc_r = Service::Create(cfg, subs);
  if (!svc_r.ok()) {
    std::fprintf(stderr, "callguard serve: %s\n", svc_r.status().ToString().c_str());
    return 1;
  }
  Service& svc = *svc_r.value();
  svc.AttachStore(store.value().get());
  Status st = svc.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "callguard serve: %s\n", st.ToString().c_str());
    return 1;
  }
  for (const auto& addr : svc.sip_addresses()) std::printf("listening sip %s\n", addr.c_str());
  std::unique_ptr<HttpApi> http;
  if (!cfg.serve.http.empty()) {
    http = std::make_unique<HttpApi>(&svc);
    st = http->Start(cfg.serve.http);
    if (!st.ok()) {
      std::fprintf(stderr, "callguard serve: %s\n", st.ToString().c_str());
      return 1;
    }
    std::string host = cfg.serve.http.substr(0, cfg.serve.http.rfind(':'));
    std::printf("listening %s %s:%d\n", http->tls() ? "https" : "http", host.c_str(), http->port());
  }
  std::unique_ptr<SpoolWatcher> spool;
  if (!cfg.serve.spool.empty()) {
    spool = std::make_unique<SpoolWatcher>(&svc, cfg.ResolvePath(cfg.serve.spool));
    st = spool->Start();
    if (!st.ok()) {
      std::fprintf(stderr, "callguard serve: %s\n", st.ToString().c_str());
      return 1;
    }
    std::printf("watching spool %s\n", cfg.ResolvePath(cfg.serve.spool).c_str());
  }
  std::fflush(stdout);
  st = svc.Run();
  // Run() returned: stop intake first, so nothing accepted is lost; the state is saved.
  if (http) http->Stop();
  if (spool) spool->Stop();
  std::fprintf(stderr, "callguard serve: stopped (%llu calls screened)\n",
               static_cast<unsigned long long>(svc.metrics().screened.load()));
  if (!st.ok()) {
    std::fprintf(stderr, "callguard serve: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace callguard
