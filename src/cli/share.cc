// `callguard share export|import`: indicators to and from partners as STIX 2.1 bundles.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/store_open.h"
#include "core/time.h"
#include "investigate/ops_eval.h"
#include "investigate/signing.h"
#include "investigate/stix.h"

namespace callguard {

namespace {
constexpr const char* kUsage = R"(usage:
  callguard share export --out BUNDLE.json [--ops DIR] [--since 7d] [--as-of TIME]
                         [--pseudonymise] [--victims DIR] [--config FILE] [--data-dir DIR]
  callguard share import BUNDLE.json --trust T [--config FILE] [--store URL] [--data-dir DIR]

export writes the operations seen in the last --since (before --as-of, default now) from --ops
DIR (default <data_dir>/investigation) as a STIX 2.1 bundle: campaigns, intrusion sets,
infrastructure, phone-number observables and indicators (valid for investigate.share.valid),
sightings and relationships, marked investigate.share.tlp. --pseudonymise replaces every number
by its HMAC-SHA256 under investigate.share.key_file, the key the partners share. Victims'
numbers are never exported; --victims DIR (victims.csv of `investigate victims`) also withholds
any number graded there, whatever else it did.

import reads a partner's bundle: each phone-number indicator becomes a partner indicator in
the store (expiring with valid_until, the partner's name as the reason) that screening counts
as evidence, scaled by the partner's confidence and --trust (0..1) in the partner.
)";

bool ParseSeconds(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  std::string unit(end);
  double m = unit.empty() || unit == "s" ? 1
             : unit == "m"               ? 60
             : unit == "h"               ? 3600
             : unit == "d"               ? 86400
                                         : -1;
  if (m < 0 || v < 0) return false;
  *out = v * m;
  return true;
}

int Export(const Args& a) {
  if (!a.Has("out")) {
    std::fprintf(stderr, "callguard share export: --out is required\n\n%s", kUsage);
    return 2;
  }
  auto cfg = LoadConfig(a.Get("config"));
  if (!cfg.ok()) {
    std::fprintf(stderr, "callguard share export: %s\n", cfg.status().ToString().c_str());
    return 1;
  }
  if (a.Has("data-dir")) cfg->store.data_dir = a.Get("data-dir");
  investigate::StixExport in;
  in.ops_dir = a.Get("ops", cfg->store.data_dir + "/investigation");
  in.identity = cfg->investigate.share.identity;
  in.tlp = cfg->investigate.share.tlp;
  in.valid_s = cfg->investigate.share.valid_s;
  if (a.Has("since") && !ParseSeconds(a.Get("since"), &in.since_s)) {
    std::fprintf(stderr, "callguard share export: --since takes 7d, 12h, 30m or seconds\n");
    return 2;
  }
  in.as_of_ms = WallClockMs();
  if (a.Has("as-of") && !ParseTimestamp(a.Get("as-of"), 0, &in.as_of_ms)) {
    std::fprintf(stderr, "callguard share export: --as-of takes an RFC 3339 time\n");
    return 2;
  }
  if (a.Flag("pseudonymise")) {
    if (cfg->investigate.share.key_file.empty()) {
      std::fprintf(stderr,
                   "callguard share export: --pseudonymise needs investigate.share.key_file (the "
                   "key the partners share)\n");
      return 2;
    }
    auto k = investigate::ReadShareKey(cfg->investigate.share.key_file);
    if (!k.ok()) {
      std::fprintf(stderr, "callguard share export: %s\n", k.status().ToString().c_str());
      return 1;
    }
    in.hmac_key = *k;
  }
  if (a.Has("victims")) {
    std::map<std::string, std::string> v;
    if (Status s = investigate::ReadTwoColumns(a.Get("victims") + "/victims.csv", &v); !s.ok()) {
      std::fprintf(stderr, "callguard share export: %s\n", s.ToString().c_str());
      return 1;
    }
    for (const auto& [n, g] : v) in.never_export.insert(n);
  }
  investigate::StixExportSummary sum;
  auto bundle = investigate::ExportStix(in, &sum);
  if (!bundle.ok()) {
    std::fprintf(stderr, "callguard share export: %s\n", bundle.status().ToString().c_str());
    return 1;
  }
  std::ofstream out(a.Get("out"), std::ios::binary);
  out << *bundle;
  if (!out.good()) {
    std::fprintf(stderr, "callguard share export: cannot write %s\n", a.Get("out").c_str());
    return 1;
  }
  std::string withheld =
      sum.withheld ? ", " + std::to_string(sum.withheld) + " numbers withheld" : "";
  std::printf("%zu operations, %zu indicators%s, %zu objects%s -> %s\n", sum.operations,
              sum.indicators, in.hmac_key.empty() ? "" : " (pseudonymised)", sum.objects,
              withheld.c_str(), a.Get("out").c_str());
  return 0;
}

int Import(const Args& a) {
  if (a.positional().size() != 1 || !a.Has("trust")) {
    std::fprintf(stderr, "callguard share import: BUNDLE and --trust are required\n\n%s", kUsage);
    return 2;
  }
  auto trust = a.Number("trust", 0.5);
  if (!trust.ok() || *trust < 0 || *trust > 1) {
    std::fprintf(stderr, "callguard share import: --trust must be a number from 0 to 1\n");
    return 2;
  }
  std::ifstream f(a.positional()[0], std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "callguard share import: cannot open %s\n", a.positional()[0].c_str());
    return 1;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  Config cfg;
  auto st = OpenStoreFromArgs(a, &cfg);
  if (!st.ok()) {
    std::fprintf(stderr, "callguard share import: %s\n", st.status().ToString().c_str());
    return 1;
  }
  auto norm = Normaliser::Create(cfg.engine.region);
  investigate::StixImportSummary sum;
  auto ind = investigate::ParseStixIndicators(ss.str(), *trust, WallClockMs(), norm->get(), &sum);
  if (!ind.ok()) {
    std::fprintf(stderr, "callguard share import: %s: %s\n", a.positional()[0].c_str(),
                 ind.status().ToString().c_str());
    return 1;
  }
  if (Status s = (*st)->AddPartnerIndicators(*ind); !s.ok()) {
    std::fprintf(stderr, "callguard share import: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf(
      "partner %s: %zu indicators, %zu imported, %zu expired, %zu not phone numbers "
      "(trust %.2f)\n",
      sum.partner.c_str(), sum.indicators, sum.imported, sum.expired, sum.unsupported, *trust);
  return 0;
}
}  // namespace

int RunShare(int argc, char** argv) {
  if (argc < 1 || std::string(argv[0]) == "--help" || std::string(argv[0]) == "help") {
    std::fputs(kUsage, argc < 1 ? stderr : stdout);
    return argc < 1 ? 2 : 0;
  }
  std::string sub = argv[0];
  auto parsed = Args::Parse(
      argc - 1, argv + 1, {"help", "pseudonymise"},
      {"out", "ops", "since", "as-of", "victims", "trust", "config", "store", "data-dir"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "callguard share: %s\n", parsed.status().ToString().c_str());
    return 2;
  }
  if (sub == "export") return Export(*parsed);
  if (sub == "import") return Import(*parsed);
  std::fprintf(stderr, "callguard share: unknown subcommand '%s'\n\n%s", sub.c_str(), kUsage);
  return 2;
}

}  // namespace callguard
