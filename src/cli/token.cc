// `callguard token create|list|revoke`: API tokens in the store named by the config.
#include <sys/stat.h>

#include <cstdio>

#include "api/auth.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "core/config.h"
#include "core/time.h"
#include "store/store.h"

namespace callguard {

namespace {

constexpr const char* kUsage =
    R"(usage: callguard token create --role ROLE [--name TEXT] [--expires DURATION] [STORE]
       callguard token list [STORE]
       callguard token revoke TOKEN_ID [STORE]
  STORE: [--config FILE] [--store URL] [--data-dir DIR]

API tokens for `callguard serve`, kept in the store of the configuration (store.url, or the
SQLite file in store.data_dir). Only a SHA-256 hash of each token is stored: `create` prints the
token once, on standard output; keep it. Roles:
  admin      everything, including the audit log
  analyst    numbers, reports, feedback, appeals, lists, the dashboard
  screening  POST /v1/screen and /v1/cdr, GET /metrics (the SIP proxy and the CDR feed)
  partner    GET /v1/indicators (no personal data)
--store URL and --data-dir DIR override store.url and store.data_dir, as for `serve`.
--expires takes 90d, 12h, 30m or seconds; tokens without it do not expire.
)";

bool ParseDurationS(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  double mult = 1;
  std::string unit(end);
  if (unit == "d")
    mult = 86400;
  else if (unit == "h")
    mult = 3600;
  else if (unit == "m")
    mult = 60;
  else if (unit == "s" || unit.empty())
    mult = 1;
  else
    return false;
  *out = v * mult;
  return v > 0;
}

}  // namespace

int RunToken(int argc, char** argv) {
  if (argc < 1 || std::string(argv[0]) == "--help") {
    std::fputs(kUsage, argc < 1 ? stderr : stdout);
    return argc < 1 ? 2 : 0;
  }
  std::string verb = argv[0];
  auto parsed = Args::Parse(argc - 1, argv + 1, {"help"},
                            {"config", "role", "name", "expires", "store", "data-dir"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "callguard token: %s\n\n%s", parsed.status().ToString().c_str(), kUsage);
    return 2;
  }
  const Args& a = parsed.value();
  if (a.Flag("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (verb != "create" && verb != "list" && verb != "revoke") {
    std::fprintf(stderr, "callguard token: unknown action '%s'\n\n%s", verb.c_str(), kUsage);
    return 2;
  }
  Role role = Role::kAnalyst;
  std::optional<int64_t> expires;
  if (verb == "create") {
    if (!a.Has("role") || !ParseRole(a.Get("role"), &role)) {
      std::fprintf(stderr,
                   "callguard token create: --role must be admin, analyst, screening or "
                   "partner\n");
      return 2;
    }
    if (a.Has("expires")) {
      double s;
      if (!ParseDurationS(a.Get("expires"), &s)) {
        std::fprintf(stderr,
                     "callguard token create: --expires: expected 90d, 12h, 30m or "
                     "seconds, got '%s'\n",
                     a.Get("expires").c_str());
        return 2;
      }
      expires = WallClockMs() + static_cast<int64_t>(s * 1000);
    }
  }
  if (verb == "revoke" && a.positional().size() != 1) {
    std::fprintf(stderr, "callguard token revoke: give one token id (tok_...)\n");
    return 2;
  }
  auto st = OpenStoreFromArgs(a);
  if (!st.ok()) {
    std::fprintf(stderr, "callguard token: %s\n", st.status().ToString().c_str());
    return 1;
  }
  store::Store& store = *st.value();
  if (verb == "create") {
    auto t = CreateToken(&store, role, a.Get("name"), expires);
    if (!t.ok()) {
      std::fprintf(stderr, "callguard token: %s\n", t.status().ToString().c_str());
      return 1;
    }
    std::printf("%s\n", t->secret.c_str());
    std::fprintf(stderr, "created %s (role %s%s%s); the token above is shown only once\n",
                 t->record.id.c_str(), t->record.role.c_str(),
                 t->record.name.empty() ? "" : ", name ", t->record.name.c_str());
    return 0;
  }
  if (verb == "list") {
    auto all = store.Tokens();
    if (!all.ok()) {
      std::fprintf(stderr, "callguard token: %s\n", all.status().ToString().c_str());
      return 1;
    }
    std::printf("%-18s %-10s %-20s %-22s %s\n", "id", "role", "name", "created", "state");
    int64_t now = WallClockMs();
    for (const auto& t : *all) {
      std::string state = t.revoked_ms ? "revoked " + FormatRfc3339(*t.revoked_ms)
                          : t.expires_ms && *t.expires_ms <= now ? "expired"
                          : t.expires_ms ? "expires " + FormatRfc3339(*t.expires_ms)
                                         : "active";
      std::printf("%-18s %-10s %-20s %-22s %s\n", t.id.c_str(), t.role.c_str(), t.name.c_str(),
                  FormatRfc3339(t.created_ms).c_str(), state.c_str());
    }
    return 0;
  }
  auto r = store.RevokeToken(a.positional()[0], WallClockMs());
  if (!r.ok()) {
    std::fprintf(stderr, "callguard token: %s\n", r.status().ToString().c_str());
    return 1;
  }
  if (!r.value()) {
    std::fprintf(stderr, "callguard token revoke: no active token '%s'\n",
                 a.positional()[0].c_str());
    return 1;
  }
  std::fprintf(stderr, "revoked %s (servers stop accepting it within api.token_cache)\n",
               a.positional()[0].c_str());
  return 0;
}

}  // namespace callguard
