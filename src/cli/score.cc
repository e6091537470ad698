// `callguard score`: scores call records into verdicts (assess, decide, observe per call), with
// the pipeline of cli/score_pipeline.h, then prints the summary.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/score_pipeline.h"
#include "core/config.h"
#include "core/number.h"
#include "core/subscribers.h"
#include "engine/engine.h"
#include "engine/verdict_writer.h"
#include "ingest/cdr_reader.h"
#include "ingest/reject_log.h"

namespace callguard {

namespace {

constexpr const char* kUsage = R"(usage: callguard score --in CALLS --out VERDICTS [options]

Scores call records (CSV or JSON Lines, optionally .gz) and writes one verdict per call as JSON
Lines: risk score, action (allow, label, warn, block) and the reasons. Each call is judged only
on the calls before it.

options:
  --in FILE            call records; '-' reads standard input (repeat for several files,
                       read in the order given)
  --out FILE           verdicts (JSON Lines); '-' writes to standard output
  --config FILE        YAML configuration (default: built-in defaults, see
                       docs/configuration.md)
  --subscribers FILE   subscriber table (CSV: number, line_type, registered_name, ...)
  --format NAME        auto (default), csv, jsonl, asterisk, freeswitch
  --rejects FILE       where rejected records go (default: VERDICTS.rejects, or none for '-')
  --region CC          default numbering region (overrides engine.region)
  --shadow             decide and log, but always allow (overrides engine.mode)
  --state-in FILE      start from a saved engine state (snapshot)
  --state-out FILE     save the engine state at the end
  --summary-json FILE  also write the summary as JSON
  --quiet              no progress bar and no summary
  --help               this text

exit status: 0 when the run completed (even with rejected records), 1 when it could not run
(unreadable input, bad configuration, write error), 2 for a usage error.
)";

}  // namespace

int RunScore(int argc, char** argv) {
  auto parsed = Args::Parse(argc, argv, {"help", "shadow", "quiet"},
                            {"in", "out", "config", "subscribers", "format", "rejects", "region",
                             "state-in", "state-out", "summary-json"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "callguard score: %s\n", parsed.status().ToString().c_str());
    return 2;
  }
  const Args& args = parsed.value();
  if (args.Flag("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.Has("in") || !args.Has("out") || !args.positional().empty()) {
    std::fprintf(stderr, "callguard score: --in and --out are required\n\n%s", kUsage);
    return 2;
  }
  CdrFormat format = CdrFormat::kAuto;
  if (!ParseCdrFormat(args.Get("format", "auto"), &format)) {
    std::fprintf(stderr,
                 "callguard score: --format must be auto, csv, jsonl, asterisk or "
                 "freeswitch\n");
    return 2;
  }
  auto cfg_r = LoadConfig(args.Get("config"));
  if (!cfg_r.ok()) {
    std::fprintf(stderr, "callguard score: configuration: %s\n",
                 std::string(cfg_r.status().message()).c_str());
    return 1;
  }
  Config cfg = cfg_r.value();
  if (args.Has("region")) cfg.engine.region = args.Get("region");
  if (args.Flag("shadow")) cfg.engine.shadow = true;
  const bool quiet = args.Flag("quiet");

  auto norm_r = Normaliser::Create(cfg.engine.region);
  if (!norm_r.ok()) {
    std::fprintf(stderr, "callguard score: %s\n", norm_r.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<Normaliser> norm = std::move(norm_r.value());

  auto subs = std::make_shared<Subscribers>();
  if (args.Has("subscribers")) {
    SubscriberLoadStats st;
    auto s = Subscribers::Load(args.Get("subscribers"), norm.get(), &st);
    if (!s.ok()) {
      std::fprintf(stderr, "callguard score: %s\n", std::string(s.status().message()).c_str());
      return 1;
    }
    subs = std::make_shared<Subscribers>(std::move(s.value()));
    if (st.rejected > 0 && !quiet)
      std::fprintf(stderr, "subscribers: %llu rows skipped (first: %s)\n",
                   static_cast<unsigned long long>(st.rejected), st.first_error.c_str());
  }

  auto engine_r = Engine::Create(cfg, subs);
  if (!engine_r.ok()) {
    std::fprintf(stderr, "callguard score: %s\n", std::string(engine_r.status().message()).c_str());
    return 1;
  }
  Engine& engine = *engine_r.value();
  if (args.Has("state-in")) {
    Status s = engine.LoadSnapshot(args.Get("state-in"));
    if (!s.ok()) {
      std::fprintf(stderr, "callguard score: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }

  // Open every input first, so that a missing file fails before any output is written.
  std::vector<std::unique_ptr<CdrReader>> readers;
  for (const auto& in : args.All("in")) {
    auto r = CdrReader::Open(in, format, cfg, norm.get());
    if (!r.ok()) {
      std::fprintf(stderr, "callguard score: %s\n", std::string(r.status().message()).c_str());
      return 1;
    }
    readers.push_back(std::move(r.value()));
  }
  const std::string out_path = args.Get("out");
  VerdictWriter writer;
  if (Status s = writer.Open(out_path, cfg.engine.shadow); !s.ok()) {
    std::fprintf(stderr, "callguard score: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  RejectLog rejects;
  std::string reject_path = args.Get("rejects", out_path == "-" ? "" : out_path + ".rejects");
  if (Status s = rejects.Open(reject_path); !s.ok()) {
    std::fprintf(stderr, "callguard score: %s\n", std::string(s.message()).c_str());
    return 1;
  }

  const bool bar = !quiet && isatty(STDERR_FILENO);
  ScoreRun run = RunScorePipeline(readers, *norm, engine, writer, rejects,
                                  cfg.ingest.reorder_tolerance_s, bar);

  Status ws = writer.Close();
  Status rs = rejects.Close();
  Status ss;
  if (args.Has("state-out")) ss = engine.SaveSnapshot(args.Get("state-out"));

  // Summary.
  std::vector<std::pair<std::string_view, uint64_t>> top(run.reason_counts.begin(),
                                                         run.reason_counts.end());
  std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  const EngineStats& es = engine.stats();
  if (!quiet) {
    std::fprintf(stderr, "calls read      %llu (%llu records, %llu rejected%s%s)\n",
                 static_cast<unsigned long long>(run.accepted),
                 static_cast<unsigned long long>(run.records),
                 static_cast<unsigned long long>(rejects.total()),
                 rejects.total() && !reject_path.empty() ? ": see " : "",
                 rejects.total() && !reject_path.empty() ? reject_path.c_str() : "");
    for (const auto& [code, n] : rejects.counts())
      std::fprintf(stderr, "  rejected %-22s %llu\n", code.c_str(),
                   static_cast<unsigned long long>(n));
    std::fprintf(stderr, "actions         allow %llu, label %llu, warn %llu, block %llu%s\n",
                 static_cast<unsigned long long>(es.by_action[0]),
                 static_cast<unsigned long long>(es.by_action[1]),
                 static_cast<unsigned long long>(es.by_action[2]),
                 static_cast<unsigned long long>(es.by_action[3]),
                 cfg.engine.shadow ? " (shadow mode: all allowed)" : "");
    std::fprintf(stderr, "top reasons    ");
    for (size_t i = 0; i < std::min<size_t>(top.size(), 8); ++i)
      std::fprintf(stderr, "%s %.*s %llu", i ? "," : "", static_cast<int>(top[i].first.size()),
                   top[i].first.data(), static_cast<unsigned long long>(top[i].second));
    std::fprintf(stderr, "%s\n", top.empty() ? " none" : "");
    StateStats st = engine.state_stats();
    std::fprintf(stderr,
                 "state           %s numbers, %.1f bytes/number, pair filter %.0f MiB (%s pairs, "
                 "est. false-positive rate %.2g), %.0f MiB freed kept for reuse\n",
                 HumanCount(st.profiles).c_str(),
                 st.profiles ? static_cast<double>(st.profile_bytes) / st.profiles : 0.0,
                 st.pair_filter_bytes / 1048576.0, HumanCount(st.pairs_inserted).c_str(),
                 st.pair_filter_fpr, st.kept_for_reuse_bytes / 1048576.0);
    if (st.threshold_counters)
      std::fprintf(stderr, "thresholds      %s counters, %.1f bytes each\n",
                   HumanCount(st.threshold_counters).c_str(),
                   static_cast<double>(st.threshold_bytes) / st.threshold_counters);
    std::fprintf(stderr, "throughput      %s calls/s (%.2f s)\n",
                 HumanCount(run.scored / std::max(run.seconds, 1e-9)).c_str(), run.seconds);
    std::fprintf(stderr,
                 "cpu             reader %.2f s, engine %.2f s (prepare) + %.2f s (complete), "
                 "writer %.2f s\n",
                 run.reader_cpu, run.prepare_cpu, run.complete_cpu, run.writer_cpu);
    for (const auto& m : run.messages) std::fprintf(stderr, "warning: %s\n", m.c_str());
  }
  if (args.Has("summary-json")) {
    std::string j = "{\"calls\":" + std::to_string(run.accepted) +
                    ",\"records\":" + std::to_string(run.records) +
                    ",\"rejected\":" + std::to_string(rejects.total()) +
                    ",\"rejected_by_reason\":{";
    bool first = true;
    for (const auto& [code, n] : rejects.counts()) {
      j += (first ? "\"" : ",\"") + code + "\":" + std::to_string(n);
      first = false;
    }
    j += "},\"actions\":{\"allow\":" + std::to_string(es.by_action[0]) +
         ",\"label\":" + std::to_string(es.by_action[1]) +
         ",\"warn\":" + std::to_string(es.by_action[2]) +
         ",\"block\":" + std::to_string(es.by_action[3]) + "},\"reasons\":{";
    first = true;
    for (const auto& [code, n] : top) {
      j += (first ? "\"" : ",\"") + std::string(code) + "\":" + std::to_string(n);
      first = false;
    }
    StateStats st = engine.state_stats();
    j += "},\"state\":{\"numbers\":" + std::to_string(st.profiles) +
         ",\"profile_bytes\":" + std::to_string(st.profile_bytes) +
         ",\"pair_filter_bytes\":" + std::to_string(st.pair_filter_bytes) +
         ",\"pairs\":" + std::to_string(st.pairs_inserted) +
         ",\"threshold_counters\":" + std::to_string(st.threshold_counters) +
         ",\"threshold_bytes\":" + std::to_string(st.threshold_bytes) +
         ",\"kept_for_reuse_bytes\":" + std::to_string(st.kept_for_reuse_bytes) + "}";
    j += ",\"out_of_order\":" + std::to_string(run.out_of_order) +
         ",\"seconds\":" + std::to_string(run.seconds) +
         ",\"cpu_seconds\":{\"reader\":" + std::to_string(run.reader_cpu) +
         ",\"prepare\":" + std::to_string(run.prepare_cpu) +
         ",\"complete\":" + std::to_string(run.complete_cpu) +
         ",\"writer\":" + std::to_string(run.writer_cpu) + "}}\n";
    FILE* f = std::fopen(args.Get("summary-json").c_str(), "w");
    if (!f || std::fwrite(j.data(), 1, j.size(), f) != j.size()) {
      std::fprintf(stderr, "callguard score: cannot write %s\n", args.Get("summary-json").c_str());
      if (f) std::fclose(f);
      return 1;
    }
    std::fclose(f);
  }
  for (const Status* s : {&run.read_status, &ws, &rs, &ss}) {
    if (!s->ok()) {
      std::fprintf(stderr, "callguard score: %s\n", std::string(s->message()).c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace callguard
