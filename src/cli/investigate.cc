// `callguard investigate`: group risky numbers into operations, grade their victims, and
// evaluate both against a simulator's truth.
#include <chrono>
#include <cstdio>
#include <fstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "investigate/call_set.h"
#include "investigate/dispatch.h"
#include "investigate/operations.h"
#include "investigate/ops_eval.h"
#include "investigate/victims_run.h"

namespace callguard {

namespace {
constexpr const char* kUsage = R"(usage: callguard investigate <ops|victims|eval> [options]

  investigate ops --calls FILE [--calls FILE...] --verdicts FILE [--verdicts FILE...]
                  [--config FILE] --out DIR [--truth truth.json]
      Groups the risky numbers (highest verdict score >= investigate.ops.candidate_score) into
      operations from shared callees, shared infrastructure and co-activity, with Leiden (CPM).
      Writes DIR/membership.csv, DIR/operations.jsonl, DIR/edges.csv; with --truth also
      DIR/eval.json and prints the evaluation.

  investigate victims --calls FILE... --verdicts FILE... --ops DIR [--subscribers FILE]
                      [--config FILE] --out DIR [--truth truth.json] [--dispatch]
      Grades the people the operations and high-risk numbers reached (investigate.grades) and
      plans warning tasks (investigate.warnings). Writes DIR/victims.csv, DIR/victims.jsonl and
      DIR/tasks.jsonl. --dispatch also sends the tasks to the configured webhook / tasks_file,
      at most once each (the journal DIR/dispatched.jsonl survives restarts).

  investigate eval --truth truth.json --ops DIR [--victims DIR] [--json FILE]
      B-cubed precision/recall/F, adjusted Rand index and legitimate contamination of the
      operations; precision and recall of victims graded high or critical.
)";

int Fail(const char* what, const Status& s) {
  std::fprintf(stderr, "callguard investigate %s: %s\n", what, s.ToString().c_str());
  return 1;
}

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Status LoadInputs(const Args& a, investigate::CallSet* set) {
  for (const auto& f : a.All("calls")) CG_RETURN_IF_ERROR(set->LoadCalls(f));
  for (const auto& f : a.All("verdicts")) CG_RETURN_IF_ERROR(set->LoadVerdicts(f));
  const auto& st = set->stats();
  std::fprintf(stderr,
               "read %llu calls (%llu rejected), %llu numbers; %llu verdicts (%llu for unknown "
               "callers, %llu bad lines%s%s)\n",
               static_cast<unsigned long long>(st.calls),
               static_cast<unsigned long long>(st.rejected),
               static_cast<unsigned long long>(set->numbers().size()),
               static_cast<unsigned long long>(st.verdicts),
               static_cast<unsigned long long>(st.verdicts_unmatched),
               static_cast<unsigned long long>(st.bad_verdict_lines),
               st.first_bad_verdict.empty() ? "" : ", first at ", st.first_bad_verdict.c_str());
  return Status::Ok();
}

bool WriteText(const std::string& path, const std::string& s) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  bool ok = std::fwrite(s.data(), 1, s.size(), f) == s.size();
  return std::fclose(f) == 0 && ok;
}

int RunOps(const Args& a) {
  if (a.All("calls").empty() || a.All("verdicts").empty() || !a.Has("out")) {
    std::fprintf(stderr, "callguard investigate ops: --calls, --verdicts and --out are required\n");
    return 2;
  }
  auto cfg = LoadConfig(a.Get("config"));
  if (!cfg.ok()) return Fail("ops", cfg.status());
  auto t0 = std::chrono::steady_clock::now();
  investigate::CallSet set(*cfg);
  if (Status s = LoadInputs(a, &set); !s.ok()) return Fail("ops", s);
  double load_s = Since(t0);
  auto res = investigate::FindOperations(set, cfg->investigate.ops);
  if (!res.ok()) return Fail("ops", res.status());
  if (Status s = investigate::WriteOperations(set, *res, a.Get("out")); !s.ok())
    return Fail("ops", s);
  const auto& st = res->stats;
  std::fprintf(stderr,
               "%llu candidate numbers, %llu pairs with evidence, %llu links (%llu gated out), "
               "%zu operations; load %.1fs, links %.1fs, leiden %.1fs, summary %.1fs\n",
               static_cast<unsigned long long>(st.candidates),
               static_cast<unsigned long long>(st.pairs_considered),
               static_cast<unsigned long long>(st.links),
               static_cast<unsigned long long>(st.gated_out), res->operations.size(), load_s,
               res->seconds_links, res->seconds_leiden, res->seconds_summary);
  for (size_t i = 0; i < res->operations.size() && i < 10; ++i) {
    const auto& op = res->operations[i];
    std::printf("%s  %-12s %5zu numbers %8llu calls  %6llu reached  ~%d agents\n", op.id.c_str(),
                op.type.c_str(), op.members.size(), static_cast<unsigned long long>(op.calls),
                static_cast<unsigned long long>(op.reach), op.agents);
  }
  if (a.Has("truth")) {
    auto truth = investigate::LoadTruth(a.Get("truth"));
    if (!truth.ok()) return Fail("ops", truth.status());
    std::map<std::string, std::string> membership;
    for (const auto& op : res->operations)
      for (const auto& m : op.members) membership[set.numbers()[m.number].text] = op.id;
    auto ev = investigate::EvaluateOps(*truth, membership, nullptr);
    std::fputs(ev.Text().c_str(), stdout);
    if (!WriteText(a.Get("out") + "/eval.json", ev.Json()))
      return Fail("ops", Status::IoError(a.Get("out") + "/eval.json: cannot write"));
  }
  return 0;
}

int RunEvalOps(const Args& a) {
  if (!a.Has("truth") || !a.Has("ops")) {
    std::fprintf(stderr, "callguard investigate eval: --truth and --ops are required\n");
    return 2;
  }
  auto truth = investigate::LoadTruth(a.Get("truth"));
  if (!truth.ok()) return Fail("eval", truth.status());
  std::map<std::string, std::string> membership, graded;
  if (Status s = investigate::ReadTwoColumns(a.Get("ops") + "/membership.csv", &membership);
      !s.ok())
    return Fail("eval", s);
  if (a.Has("victims")) {
    if (Status s = investigate::ReadTwoColumns(a.Get("victims") + "/victims.csv", &graded); !s.ok())
      return Fail("eval", s);
  }
  auto ev = investigate::EvaluateOps(*truth, membership, a.Has("victims") ? &graded : nullptr);
  std::fputs(ev.Text().c_str(), stdout);
  if (a.Has("json") && !WriteText(a.Get("json"), ev.Json()))
    return Fail("eval", Status::IoError(a.Get("json") + ": cannot write"));
  return 0;
}

int RunVictims(const Args& a) {
  if (a.All("calls").empty() || a.All("verdicts").empty() || !a.Has("ops") || !a.Has("out")) {
    std::fprintf(stderr,
                 "callguard investigate victims: --calls, --verdicts, --ops and --out are "
                 "required\n");
    return 2;
  }
  auto cfg = LoadConfig(a.Get("config"));
  if (!cfg.ok()) return Fail("victims", cfg.status());
  investigate::CallSet set(*cfg);
  if (Status s = LoadInputs(a, &set); !s.ok()) return Fail("victims", s);
  std::shared_ptr<Subscribers> subs;
  if (a.Has("subscribers")) {
    SubscriberLoadStats st;
    auto loaded = Subscribers::Load(a.Get("subscribers"), set.normaliser(), &st);
    if (!loaded.ok()) return Fail("victims", loaded.status());
    subs = std::make_shared<Subscribers>(std::move(loaded).value());
    if (st.rejected)
      std::fprintf(stderr, "subscribers: %llu rows rejected (first: %s)\n",
                   static_cast<unsigned long long>(st.rejected), st.first_error.c_str());
  }
  std::map<std::string, std::string> membership;
  if (Status s = investigate::ReadTwoColumns(a.Get("ops") + "/membership.csv", &membership);
      !s.ok())
    return Fail("victims", s);
  std::vector<std::string> op_of(set.numbers().size());
  for (const auto& [number, op] : membership) {
    uint32_t id = set.Find(number);
    if (id != UINT32_MAX) op_of[id] = op;
  }
  auto res = investigate::GradeVictims(set, op_of, cfg->policy.warn, cfg->investigate, subs.get());
  if (Status s = investigate::WriteVictims(res, a.Get("out")); !s.ok()) return Fail("victims", s);
  std::map<std::string, uint64_t> grades, kinds;
  for (const auto& v : res.victims) ++grades[v.grade];
  for (const auto& t : res.tasks) ++kinds[t.kind];
  std::printf(
      "%llu scam-side numbers, %llu contacts, %zu people reached: critical %llu, high "
      "%llu, medium %llu, low %llu\n",
      static_cast<unsigned long long>(res.scam_side), static_cast<unsigned long long>(res.contacts),
      res.victims.size(), static_cast<unsigned long long>(grades["critical"]),
      static_cast<unsigned long long>(grades["high"]),
      static_cast<unsigned long long>(grades["medium"]),
      static_cast<unsigned long long>(grades["low"]));
  std::printf("%zu tasks (", res.tasks.size());
  bool first = true;
  for (const auto& [k, n] : kinds) {
    std::printf("%s%s %llu", first ? "" : ", ", k.c_str(), static_cast<unsigned long long>(n));
    first = false;
  }
  std::printf("), %llu suppressed by the fatigue rule\n",
              static_cast<unsigned long long>(res.suppressed));
  if (a.Has("truth")) {
    auto truth = investigate::LoadTruth(a.Get("truth"));
    if (!truth.ok()) return Fail("victims", truth.status());
    std::map<std::string, std::string> graded;
    for (const auto& v : res.victims) graded[v.number] = v.grade;
    auto ev = investigate::EvaluateOps(*truth, membership, &graded);
    std::fputs(ev.Text().c_str(), stdout);
  }
  if (a.Flag("dispatch")) {
    const auto& w = cfg->investigate.warnings;
    if (w.webhook.empty() && w.tasks_file.empty()) {
      std::fprintf(stderr,
                   "callguard investigate victims: --dispatch needs investigate.warnings.webhook "
                   "or tasks_file in the configuration\n");
      return 2;
    }
    investigate::Dispatcher d(w, a.Get("out") + "/dispatched.jsonl");
    if (Status s = d.Start(); !s.ok()) return Fail("victims", s);
    for (const auto& t : res.tasks) d.Enqueue(t);
    while (!d.Drain(1000)) {
    }
    d.Stop();
    const auto& st = d.stats();
    std::printf("dispatched %llu, already delivered %llu, failed %llu (retries %llu)\n",
                static_cast<unsigned long long>(st.sent.load()),
                static_cast<unsigned long long>(st.duplicates.load()),
                static_cast<unsigned long long>(st.failed.load()),
                static_cast<unsigned long long>(st.retries.load()));
    if (st.failed.load()) return 1;
  }
  return 0;
}

}  // namespace

int RunInvestigate(int argc, char** argv) {
  if (argc < 1 || std::string(argv[0]) == "--help" || std::string(argv[0]) == "help") {
    std::fputs(kUsage, argc < 1 ? stderr : stdout);
    return argc < 1 ? 2 : 0;
  }
  std::string sub = argv[0];
  auto parsed = Args::Parse(
      argc - 1, argv + 1, {"help", "dispatch"},
      {"calls", "verdicts", "config", "out", "truth", "ops", "victims", "json", "subscribers"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "callguard investigate: %s\n", parsed.status().ToString().c_str());
    return 2;
  }
  const Args& a = parsed.value();
  if (a.Flag("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (sub == "ops") return RunOps(a);
  if (sub == "victims") return RunVictims(a);
  if (sub == "eval") return RunEvalOps(a);
  std::fprintf(stderr, "callguard investigate: unknown subcommand '%s'\n\n%s", sub.c_str(), kUsage);
  return 2;
}

}  // namespace callguard
