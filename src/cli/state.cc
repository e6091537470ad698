// `callguard state reset`: forgets the threshold counters of one number in a saved engine state
// (OpenSIPS's fraud_detection has no such command; its users ask for one).
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/number.h"
#include "detectors/thresholds/thresholds.h"
#include "engine/engine.h"

namespace callguard {

namespace {
constexpr const char* kUsage =
    R"(usage: callguard state reset --state FILE --number NUMBER [--config FILE]

Forgets the threshold-rule counters (calls per minute, total, sequential, ...) of one caller in a
saved engine state (from `callguard score --state-out`), for example after an analyst has cleared
a number that tripped a rule. The state file is rewritten in place.
)";
}

int RunStateReset(int argc, char** argv) {
  auto parsed = Args::Parse(argc, argv, {"help"}, {"state", "number", "config"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "callguard state reset: %s\n", parsed.status().ToString().c_str());
    return 2;
  }
  const Args& a = parsed.value();
  if (a.Flag("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!a.Has("state") || !a.Has("number")) {
    std::fprintf(stderr, "callguard state reset: --state and --number are required\n\n%s", kUsage);
    return 2;
  }
  auto cfg = LoadConfig(a.Get("config"));
  if (!cfg.ok()) {
    std::fprintf(stderr, "callguard state reset: %s\n",
                 std::string(cfg.status().message()).c_str());
    return 1;
  }
  auto engine = Engine::Create(cfg.value(), nullptr);
  if (!engine.ok()) {
    std::fprintf(stderr, "callguard state reset: %s\n",
                 std::string(engine.status().message()).c_str());
    return 1;
  }
  Engine& e = *engine.value();
  if (Status s = e.LoadSnapshot(a.Get("state")); !s.ok()) {
    std::fprintf(stderr, "callguard state reset: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  auto norm = Normaliser::Create(cfg->engine.region);
  Number n;
  (*norm)->Normalise(a.Get("number"), &n);
  if (n.key == 0) {
    std::fprintf(stderr, "callguard state reset: '%s' is not a number\n", a.Get("number").c_str());
    return 2;
  }
  auto* thr = dynamic_cast<ThresholdsDetector*>(e.FindDetector("thresholds"));
  size_t dropped = thr ? thr->ResetNumber(n.key) : 0;
  if (Status s = e.SaveSnapshot(a.Get("state")); !s.ok()) {
    std::fprintf(stderr, "callguard state reset: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("reset %zu threshold counter set(s) of %s\n", dropped, n.text.c_str());
  return 0;
}

}  // namespace callguard
