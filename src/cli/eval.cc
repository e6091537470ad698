// `callguard eval`: detection quality of a run of verdicts against labelled calls.
#include "sim/eval.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"

namespace callguard {

namespace {
constexpr const char* kUsage = R"(usage: callguard eval --calls CALLS --verdicts VERDICTS [options]

Measures how well the verdicts caught the scams in labelled call records (the `label` and
`operation` columns) and what they cost legitimate callers: per-call precision, recall and
false-positive rate (for block, and for any action above allow), per scam number the share
blocked and the time to detect, per operation the share caught, per category of legitimate
high-volume caller the calls blocked, and every legitimate number ever blocked with its reasons.

options:
  --truth FILE        the simulator's truth.json (operations, legitimate caller categories)
  --baseline FILE     verdicts of a baseline run on the same calls, shown side by side
  --prevalence P      realistic share of scam calls for the re-weighted precision (0.001)
  --json FILE         also write the report as JSON
  --html FILE         also write an HTML report with charts (Chart.js, inlined)
  --chartjs FILE      the Chart.js UMD build to inline
                      (default /usr/share/javascript/chart.js/chart.min.js, Debian libjs-chart.js)
)";

bool WriteFile(const std::string& path, const std::string& data) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  return std::fclose(f) == 0 && ok;
}
}  // namespace

int RunEval(int argc, char** argv) {
  auto parsed = Args::Parse(
      argc, argv, {"help"},
      {"calls", "verdicts", "truth", "baseline", "prevalence", "json", "html", "chartjs"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "callguard eval: %s\n", parsed.status().ToString().c_str());
    return 2;
  }
  const Args& a = parsed.value();
  if (a.Flag("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!a.Has("calls") || !a.Has("verdicts")) {
    std::fprintf(stderr, "callguard eval: --calls and --verdicts are required\n\n%s", kUsage);
    return 2;
  }
  sim::EvalOptions opt;
  if (a.Has("prevalence")) {
    char* end = nullptr;
    const std::string text = a.Get("prevalence");  // `end` points into it: keep it alive
    opt.prevalence = std::strtod(text.c_str(), &end);
    if (!end || *end || opt.prevalence <= 0 || opt.prevalence >= 1) {
      std::fprintf(stderr, "callguard eval: --prevalence must be between 0 and 1\n");
      return 2;
    }
  }
  auto rep =
      sim::Evaluate(a.Get("calls"), a.Get("verdicts"), a.Get("truth"), a.Get("baseline"), opt);
  if (!rep.ok()) {
    std::fprintf(stderr, "callguard eval: %s\n", std::string(rep.status().message()).c_str());
    return 1;
  }
  std::fputs(rep->Text().c_str(), stdout);
  if (a.Has("json") && !WriteFile(a.Get("json"), rep->Json())) {
    std::fprintf(stderr, "callguard eval: cannot write %s\n", a.Get("json").c_str());
    return 1;
  }
  if (a.Has("html")) {
    std::string lib = a.Get("chartjs", "/usr/share/javascript/chart.js/chart.min.js");
    std::ifstream in(lib);
    if (!in) {
      std::fprintf(stderr,
                   "callguard eval: cannot read Chart.js at %s (install Debian libjs-chart.js or "
                   "pass --chartjs)\n",
                   lib.c_str());
      return 1;
    }
    std::stringstream js;
    js << in.rdbuf();
    if (!WriteFile(a.Get("html"), rep->Html("callguard evaluation: " + a.Get("calls"), js.str()))) {
      std::fprintf(stderr, "callguard eval: cannot write %s\n", a.Get("html").c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace callguard
