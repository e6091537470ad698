// `callguard case export|verify`: a case's evidence pack, signed; and its check.
#include <sys/stat.h>

#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "core/time.h"
#include "investigate/evidence_pack.h"

namespace callguard {

namespace {
constexpr const char* kUsage = R"(usage:
  callguard case export CASE --out DIR --calls FILE [--calls FILE...] --key KEY.pem
                        [--ops DIR] [--subscribers FILE] [--audience partner|police]
                        [--token TOKEN] [--config FILE] [--store URL] [--data-dir DIR]
  callguard case verify DIR [--pubkey PUB.pem]

export writes the evidence pack of case CASE (from the store) into DIR, which must be new or
empty: case.json, calls.csv (the calls to and from the case's numbers), operations.jsonl (from
--ops DIR, default <data_dir>/investigation), victims.csv, subscribers.csv (with
--subscribers), report.html and manifest.json with the SHA-256 of every file, signed with the
Ed25519 key KEY.pem (openssl genpkey -algorithm ed25519 -out KEY.pem). The numbers of the people
the case's numbers reached are keyed pseudonyms unless --audience police, which needs --token
with an admin token. The same inputs and key give the same bytes.

verify re-checks every hash, that no file was added or removed, and the signature; --pubkey
pins the key it must be signed with (openssl pkey -in KEY.pem -pubout). Exit 0 when intact.
)";

int Export(const Args& a) {
  if (a.positional().size() != 1 || !a.Has("out") || a.All("calls").empty() || !a.Has("key")) {
    std::fprintf(stderr, "callguard case export: CASE, --out, --calls and --key are required\n\n%s",
                 kUsage);
    return 2;
  }
  std::string audience = a.Get("audience", "partner");
  if (audience != "partner" && audience != "police") {
    std::fprintf(stderr, "callguard case export: --audience must be partner or police\n");
    return 2;
  }
  Config cfg;
  auto st = OpenStoreFromArgs(a, &cfg);
  if (!st.ok()) {
    std::fprintf(stderr, "callguard case export: %s\n", st.status().ToString().c_str());
    return 1;
  }
  if (audience == "police") {
    // Victims in clear leave only on an admin's authority (checked against the store's tokens).
    auto t = a.Has("token") ? (*st)->FindToken(store::Sha256Hex(a.Get("token")))
                            : Result<std::optional<store::TokenRecord>>(std::nullopt);
    int64_t now = WallClockMs();
    bool admin = t.ok() && t->has_value() && (*t)->role == "admin" && !(*t)->revoked_ms &&
                 (!(*t)->expires_ms || *(*t)->expires_ms > now);
    if (!admin) {
      std::fprintf(stderr,
                   "callguard case export: --audience police exports victims' numbers in clear "
                   "and needs --token with a valid admin token\n");
      return 2;
    }
  }
  auto c = (*st)->GetCase(a.positional()[0]);
  if (!c.ok() || !c->has_value()) {
    std::fprintf(
        stderr, "callguard case export: %s\n",
        c.ok() ? ("no case '" + a.positional()[0] + "'").c_str() : c.status().ToString().c_str());
    return 1;
  }
  auto key = investigate::LoadSigningKey(a.Get("key"));
  if (!key.ok()) {
    std::fprintf(stderr, "callguard case export: %s\n", key.status().ToString().c_str());
    return 1;
  }
  investigate::PackInputs in;
  in.kase = **c;
  in.calls_files = a.All("calls");
  in.subscribers_file = a.Get("subscribers");
  in.audience = audience;
  in.key = key->get();
  in.ops_dir = a.Get("ops");
  struct stat sb;
  std::string def = cfg.store.data_dir + "/investigation";
  if (in.ops_dir.empty() && stat((def + "/operations.jsonl").c_str(), &sb) == 0) in.ops_dir = def;
  auto sum = investigate::WriteEvidencePack(cfg, in, a.Get("out"));
  if (!sum.ok()) {
    std::fprintf(stderr, "callguard case export: %s\n", sum.status().ToString().c_str());
    return 1;
  }
  std::printf("case %s: %llu calls, %llu people reached, %llu files in %s, signed by key %s%s\n",
              in.kase.id.c_str(), static_cast<unsigned long long>(sum->calls),
              static_cast<unsigned long long>(sum->victims),
              static_cast<unsigned long long>(sum->files), a.Get("out").c_str(),
              sum->key_id.c_str(), sum->pseudonymised ? " (people reached: pseudonymised)" : "");
  return 0;
}

int Verify(const Args& a) {
  if (a.positional().size() != 1) {
    std::fprintf(stderr, "callguard case verify: DIR is required\n\n%s", kUsage);
    return 2;
  }
  investigate::Pkey pinned;
  if (a.Has("pubkey")) {
    auto k = investigate::LoadPublicKey(a.Get("pubkey"));
    if (!k.ok()) {
      std::fprintf(stderr, "callguard case verify: %s\n", k.status().ToString().c_str());
      return 2;
    }
    pinned = std::move(k).value();
  }
  auto r = investigate::VerifyEvidencePack(a.positional()[0], pinned.get());
  for (const auto& p : r.problems) std::printf("FAIL %s\n", p.c_str());
  if (!r.ok) return 1;
  std::printf("verified: every file matches the manifest, signed by key %s%s\n", r.key_id.c_str(),
              pinned ? " (the expected key)" : " (not pinned: pass --pubkey to require a key)");
  return 0;
}
}  // namespace

int RunCase(int argc, char** argv) {
  if (argc < 1 || std::string(argv[0]) == "--help" || std::string(argv[0]) == "help") {
    std::fputs(kUsage, argc < 1 ? stderr : stdout);
    return argc < 1 ? 2 : 0;
  }
  std::string sub = argv[0];
  auto parsed = Args::Parse(argc - 1, argv + 1, {"help"},
                            {"out", "calls", "key", "ops", "subscribers", "audience", "token",
                             "config", "store", "data-dir", "pubkey"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "callguard case: %s\n", parsed.status().ToString().c_str());
    return 2;
  }
  if (sub == "export") return Export(*parsed);
  if (sub == "verify") return Verify(*parsed);
  std::fprintf(stderr, "callguard case: unknown subcommand '%s'\n\n%s", sub.c_str(), kUsage);
  return 2;
}

}  // namespace callguard
