// `callguard score`: scores call records into verdicts (assess, decide, observe per call).
//
// Four threads in a pipeline: a reader (decompress, split, validate, normalise numbers; writes
// the reject file) hands batches of calls to the engine's two stages (Engine::Prepare: the pair
// filter, calls in progress and the detectors that learn nothing; then Engine::Complete: the
// learning detectors and the policy; each strictly in input order), and they to a writer
// (verdict JSON, reason counts). Batches are recycled through bounded queues, so memory stays
// flat however large the input.
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "cli/args.h"
#include "cli/commands.h"
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

struct Batch {
  std::vector<Call> calls;
  std::vector<CallFacts> facts;
  std::vector<Decision> decisions;
  std::vector<Evidence> evidence;
  size_t size = 0;
};

// A bounded blocking queue of batches; nullptr marks the end.
class BatchQueue {
 public:
  explicit BatchQueue(size_t cap) : cap_(cap) {}
  void Push(std::unique_ptr<Batch> b) {
    std::unique_lock<std::mutex> l(mu_);
    not_full_.wait(l, [&] { return q_.size() < cap_; });
    q_.push_back(std::move(b));
    not_empty_.notify_one();
  }
  std::unique_ptr<Batch> Pop() {
    std::unique_lock<std::mutex> l(mu_);
    not_empty_.wait(l, [&] { return !q_.empty(); });
    auto b = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return b;
  }

 private:
  size_t cap_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::unique_ptr<Batch>> q_;
};

constexpr size_t kBatchSize = 4096;

struct ReaderOutcome {
  Status status;
  std::vector<std::string> messages;  // out-of-order and unknown-column reports
  uint64_t records = 0, accepted = 0, out_of_order = 0;
  NormaliserStats norm;
};

// CPU time used so far by the calling thread, in seconds (where the time of a run goes: the
// summary reports it per thread).
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

std::string Human(double v) {
  char b[32];
  if (v >= 1e6) {
    std::snprintf(b, sizeof b, "%.2fM", v / 1e6);
  } else if (v >= 1e3) {
    std::snprintf(b, sizeof b, "%.1fk", v / 1e3);
  } else {
    std::snprintf(b, sizeof b, "%.0f", v);
  }
  return b;
}

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

  // Reader thread.
  BatchQueue full(8), prepared(8), scored_q(8), empty(32);
  for (int i = 0; i < 28; ++i) {
    auto b = std::make_unique<Batch>();
    b->calls.resize(kBatchSize);
    b->facts.resize(kBatchSize);
    b->decisions.resize(kBatchSize);
    b->evidence.resize(kBatchSize);
    empty.Push(std::move(b));
  }
  std::atomic<double> progress{0};
  std::atomic<size_t> file_index{0};
  ReaderOutcome outcome;
  double reader_cpu = 0, prepare_cpu = 0, writer_cpu = 0;
  std::thread reader([&] {
    pthread_setname_np(pthread_self(), "cg-reader");
    Rejected rej;
    std::unique_ptr<Batch> b = empty.Pop();
    b->size = 0;
    for (size_t fi = 0; fi < readers.size(); ++fi) {
      file_index = fi;
      CdrReader& r = *readers[fi];
      uint64_t n = 0;
      for (;;) {
        auto o = r.Next(&b->calls[b->size], &rej);
        if (o == CdrReader::Outcome::kEnd) break;
        if (o == CdrReader::Outcome::kRejected) {
          rejects.Add(r.path(), rej);
          continue;
        }
        if (++b->size == kBatchSize) {
          full.Push(std::move(b));
          b = empty.Pop();
          b->size = 0;
        }
        if ((++n & 0xffff) == 0) progress = r.progress();
      }
      const ReaderStats& st = r.stats();
      outcome.records += st.records;
      outcome.accepted += st.accepted;
      outcome.out_of_order += st.out_of_order;
      if (!r.status().ok() && outcome.status.ok()) outcome.status = r.status();
      if (st.out_of_order > 0) {
        char m[512];
        std::snprintf(m, sizeof m,
                      "%s: %llu records are more than %.0f s behind the latest start time "
                      "(first at line %llu, up to %.0f s late); scored in file order",
                      r.path().c_str(), static_cast<unsigned long long>(st.out_of_order),
                      cfg.ingest.reorder_tolerance_s,
                      static_cast<unsigned long long>(st.first_out_of_order_line),
                      st.max_lateness_s);
        outcome.messages.push_back(m);
      }
      if (!r.unknown_columns().empty()) {
        std::string cols;
        for (const auto& c : r.unknown_columns()) cols += (cols.empty() ? "" : ", ") + c;
        outcome.messages.push_back(r.path() + ": ignored unknown columns: " + cols);
      }
    }
    outcome.norm = norm->stats();
    if (b->size > 0) full.Push(std::move(b));
    full.Push(nullptr);
    reader_cpu = ThreadCpuSeconds();
  });

  // Writer thread.
  std::unordered_map<std::string_view, uint64_t> reason_counts;
  std::thread writer_thread([&] {
    pthread_setname_np(pthread_self(), "cg-writer");
    for (;;) {
      std::unique_ptr<Batch> b = scored_q.Pop();
      if (!b) break;
      for (size_t i = 0; i < b->size; ++i) {
        writer.Write(b->calls[i], b->decisions[i], b->evidence[i]);
        for (const Reason& r : b->evidence[i]) ++reason_counts[r.code];
      }
      empty.Push(std::move(b));
    }
    writer_cpu = ThreadCpuSeconds();
  });

  // The engine's first stage.
  constexpr size_t kAhead = 32;  // calls ahead whose state is prefetched
  std::thread prepare_thread([&] {
    pthread_setname_np(pthread_self(), "cg-prepare");
    for (;;) {
      std::unique_ptr<Batch> b = full.Pop();
      if (!b) break;
      for (size_t i = 0; i < std::min(kAhead, b->size); ++i) engine.PrefetchShared(b->calls[i]);
      for (size_t i = 0; i < b->size; ++i) {
        if (i + kAhead < b->size) engine.PrefetchShared(b->calls[i + kAhead]);
        engine.Prepare(b->calls[i], &b->facts[i], &b->evidence[i]);
      }
      prepared.Push(std::move(b));
    }
    prepared.Push(nullptr);
    prepare_cpu = ThreadCpuSeconds();
  });

  // The engine's second stage (this thread).
  const double engine_cpu0 = ThreadCpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  auto last_draw = t0;
  const bool bar = !quiet && isatty(STDERR_FILENO);
  uint64_t scored = 0;
  for (;;) {
    std::unique_ptr<Batch> b = prepared.Pop();
    if (!b) break;
    for (size_t i = 0; i < std::min(kAhead, b->size); ++i) engine.PrefetchLearned(b->calls[i]);
    for (size_t i = 0; i < b->size; ++i) {
      if (i + kAhead < b->size) engine.PrefetchLearned(b->calls[i + kAhead]);
      b->decisions[i] = engine.Complete(b->calls[i], b->facts[i], &b->evidence[i]);
    }
    scored += b->size;
    scored_q.Push(std::move(b));
    if (bar) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_draw > std::chrono::milliseconds(250)) {
        last_draw = now;
        double secs = std::chrono::duration<double>(now - t0).count();
        double p = progress.load();
        int filled = static_cast<int>(std::clamp(p, 0.0, 1.0) * 30);
        std::fprintf(stderr, "\r[%-30s] %3.0f%%  %s calls  %s calls/s ",
                     std::string(filled, '#').c_str(), p * 100, Human(scored).c_str(),
                     Human(scored / std::max(secs, 1e-9)).c_str());
      }
    }
  }
  scored_q.Push(nullptr);
  const double engine_cpu = ThreadCpuSeconds() - engine_cpu0;
  prepare_thread.join();
  writer_thread.join();
  reader.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (bar) std::fprintf(stderr, "\r%80s\r", "");

  Status ws = writer.Close();
  Status rs = rejects.Close();
  Status ss;
  if (args.Has("state-out")) ss = engine.SaveSnapshot(args.Get("state-out"));

  // Summary.
  std::vector<std::pair<std::string_view, uint64_t>> top(reason_counts.begin(),
                                                         reason_counts.end());
  std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  const EngineStats& es = engine.stats();
  if (!quiet) {
    std::fprintf(stderr, "calls read      %llu (%llu records, %llu rejected%s%s)\n",
                 static_cast<unsigned long long>(outcome.accepted),
                 static_cast<unsigned long long>(outcome.records),
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
                 "est. false-positive rate %.2g)\n",
                 Human(st.profiles).c_str(),
                 st.profiles ? static_cast<double>(st.profile_bytes) / st.profiles : 0.0,
                 st.pair_filter_bytes / 1048576.0, Human(st.pairs_inserted).c_str(),
                 st.pair_filter_fpr);
    if (st.threshold_counters)
      std::fprintf(stderr, "thresholds      %s counters, %.1f bytes each\n",
                   Human(st.threshold_counters).c_str(),
                   static_cast<double>(st.threshold_bytes) / st.threshold_counters);
    std::fprintf(stderr, "throughput      %s calls/s (%.2f s)\n",
                 Human(scored / std::max(secs, 1e-9)).c_str(), secs);
    std::fprintf(stderr,
                 "cpu             reader %.2f s, engine %.2f s (prepare) + %.2f s (complete), "
                 "writer %.2f s\n",
                 reader_cpu, prepare_cpu, engine_cpu, writer_cpu);
    for (const auto& m : outcome.messages) std::fprintf(stderr, "warning: %s\n", m.c_str());
  }
  if (args.Has("summary-json")) {
    std::string j = "{\"calls\":" + std::to_string(outcome.accepted) +
                    ",\"records\":" + std::to_string(outcome.records) +
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
         ",\"threshold_bytes\":" + std::to_string(st.threshold_bytes) + "}";
    j += ",\"out_of_order\":" + std::to_string(outcome.out_of_order) +
         ",\"seconds\":" + std::to_string(secs) +
         ",\"cpu_seconds\":{\"reader\":" + std::to_string(reader_cpu) +
         ",\"prepare\":" + std::to_string(prepare_cpu) +
         ",\"complete\":" + std::to_string(engine_cpu) +
         ",\"writer\":" + std::to_string(writer_cpu) + "}}\n";
    FILE* f = std::fopen(args.Get("summary-json").c_str(), "w");
    if (!f || std::fwrite(j.data(), 1, j.size(), f) != j.size()) {
      std::fprintf(stderr, "callguard score: cannot write %s\n", args.Get("summary-json").c_str());
      if (f) std::fclose(f);
      return 1;
    }
    std::fclose(f);
  }
  for (const Status* s : {&outcome.status, &ws, &rs, &ss}) {
    if (!s->ok()) {
      std::fprintf(stderr, "callguard score: %s\n", std::string(s->message()).c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace callguard
