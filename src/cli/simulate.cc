// `callguard simulate`: writes a simulated network's call records with ground truth.
#include <cstdio>
#include <cstdlib>

#include "cli/args.h"
#include "cli/commands.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace callguard {

namespace {
constexpr const char* kUsage = R"(usage: callguard simulate --scenario FILE --seed N --out DIR

Simulates a telephone network with scam operations in it (scenarios/*.yaml; every parameter is
documented in docs/simulator.md) and writes DIR/calls.csv (call records with `label` and
`operation`, sorted by time), DIR/subscribers.csv and DIR/truth.json. The same scenario and seed
always give the same files.
)";
}

int RunSimulate(int argc, char** argv) {
  auto parsed = Args::Parse(argc, argv, {"help", "quiet"}, {"scenario", "seed", "out"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "callguard simulate: %s\n", parsed.status().ToString().c_str());
    return 2;
  }
  const Args& a = parsed.value();
  if (a.Flag("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!a.Has("scenario") || !a.Has("out")) {
    std::fprintf(stderr, "callguard simulate: --scenario and --out are required\n\n%s", kUsage);
    return 2;
  }
  char* end = nullptr;
  std::string seed_text = a.Get("seed", "1");
  unsigned long long seed = std::strtoull(seed_text.c_str(), &end, 10);
  if (!end || *end) {
    std::fprintf(stderr, "callguard simulate: --seed must be a non-negative integer\n");
    return 2;
  }
  auto sc = sim::LoadScenario(a.Get("scenario"));
  if (!sc.ok()) {
    std::fprintf(stderr, "callguard simulate: %s\n", std::string(sc.status().message()).c_str());
    return 1;
  }
  auto sum = sim::Simulate(sc.value(), seed, a.Get("out"));
  if (!sum.ok()) {
    std::fprintf(stderr, "callguard simulate: %s\n", std::string(sum.status().message()).c_str());
    return 1;
  }
  if (!a.Flag("quiet"))
    std::fprintf(stderr,
                 "simulated %s (seed %llu): %llu calls (%llu scam, %.2f%%), %llu numbers, %llu "
                 "subscriber rows, %.1f s -> %s\n",
                 sc->name.c_str(), seed, static_cast<unsigned long long>(sum->calls),
                 static_cast<unsigned long long>(sum->scam_calls),
                 sum->calls ? 100.0 * sum->scam_calls / sum->calls : 0.0,
                 static_cast<unsigned long long>(sum->numbers),
                 static_cast<unsigned long long>(sum->subscribers), sum->seconds,
                 a.Get("out").c_str());
  return 0;
}

}  // namespace callguard
