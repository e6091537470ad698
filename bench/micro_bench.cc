// Micro-benchmarks of the hot path's parts (Google Benchmark). Not tests: they measure.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "core/number.h"
#include "engine/engine.h"
#include "engine/profile_table.h"
#include "engine/verdict_writer.h"
#include "ingest/cdr_reader.h"
#include "ingest/csv_splitter.h"

using namespace callguard;  // NOLINT

namespace {

std::vector<std::string> Numbers(size_t n, const char* prefix) {
  std::mt19937_64 rng(3);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(prefix + std::to_string(10000000 + rng() % 89999999));
  return out;
}

// A repeated number through the normaliser's caches; the label picks the spelling.
void BM_NormaliseCached(benchmark::State& st, const char* prefix) {
  auto norm = std::move(Normaliser::Create("CN").value());
  auto nums = Numbers(1 << 16, prefix);
  Number n;
  for (const auto& s : nums) norm->Normalise(s, &n);
  size_t i = 0;
  for (auto _ : st) {
    norm->Normalise(nums[i++ & 0xffff], &n);
    benchmark::DoNotOptimize(n.key);
  }
}
BENCHMARK_CAPTURE(BM_NormaliseCached, E164, "+86138");
BENCHMARK_CAPTURE(BM_NormaliseCached, National, "139");

// The peer inside the normaliser: libphonenumber's own parse, validation and formatting.
void BM_NormaliseLibphonenumber(benchmark::State& st) {
  auto norm = std::move(Normaliser::Create("CN").value());
  auto nums = Numbers(1 << 12, "+86138");
  Number n;
  size_t i = 0;
  for (auto _ : st) {
    norm->NormaliseUncached(nums[i++ & 0xfff], &n);
    benchmark::DoNotOptimize(n.key);
  }
}
BENCHMARK(BM_NormaliseLibphonenumber);

void BM_CsvSplit(benchmark::State& st) {
  CsvSplitter s;
  std::string err;
  std::string rec =
      "c123456,2026-03-02T09:15:04Z,+8613800138000,+8613900139000,1,45,4,international,KH,"
      "103.20.1.9,scam";
  for (auto _ : st) {
    s.Split(rec, &err);
    benchmark::DoNotOptimize(s.fields().data());
  }
  st.SetBytesProcessed(st.iterations() * rec.size());
}
BENCHMARK(BM_CsvSplit);

// The engine alone (all four detectors) on calls already parsed, over `range(0)` numbers.
// The reader thread's work: CSV records of the bench's shape, split, checked, mapped and
// normalised into a ring of Calls as large as one of score's batches (cold memory, like there).
void BM_ReadCsv(benchmark::State& st) {
  constexpr int kRecords = 500000;
  static const std::string path = [] {
    std::string p = (std::filesystem::temp_directory_path() / "callguard_bm_read.csv").string();
    std::FILE* f = std::fopen(p.c_str(), "w");
    std::fputs(
        "call_id,start_time,caller,callee,answered,duration_s,ring_s,ingress,"
        "origin_country,origin_ip,label\n",
        f);
    std::mt19937_64 rng(3);
    for (int i = 0; i < kRecords; ++i) {
      std::fprintf(
          f, "c%d,2026-03-02T%02d:%02d:%02dZ,+86138%08llu,+86139%08llu,%d,%d,%d,%s,CN,,legit\n", i,
          i / 3600 % 24, i / 60 % 60, i % 60, static_cast<unsigned long long>(rng() % 100000000),
          static_cast<unsigned long long>(rng() % 100000000), i % 3 != 0,
          static_cast<int>(rng() % 300), static_cast<int>(rng() % 30),
          i % 10 == 0 ? "international" : "mobile");
    }
    std::fclose(f);
    return p;
  }();
  Config cfg;
  auto norm = std::move(Normaliser::Create("CN").value());
  std::vector<Call> ring(4096);
  Rejected rej;
  auto read_all = [&] {
    auto reader = std::move(CdrReader::Open(path, CdrFormat::kAuto, cfg, norm.get()).value());
    size_t i = 0;
    while (reader->Next(&ring[i++ & 4095], &rej) != CdrReader::Outcome::kEnd) {
    }
    benchmark::DoNotOptimize(ring[0].caller.key);
  };
  read_all();  // fills the normaliser's class cache, as a long run would have
  for (auto _ : st) read_all();
  st.SetItemsProcessed(st.iterations() * kRecords);
}
BENCHMARK(BM_ReadCsv)->Unit(benchmark::kMillisecond);

void BM_EngineProcess(benchmark::State& st) {
  Config cfg = ParseConfig("version: 1\nengine: {pair_filter_mb: 64}\n", "").value();
  auto engine = std::move(Engine::Create(cfg, nullptr).value());
  auto norm = std::move(Normaliser::Create("CN").value());
  const size_t numbers = static_cast<size_t>(st.range(0));
  std::mt19937_64 rng(5);
  std::vector<Call> calls(1 << 16);
  int64_t t = 1772409600000;
  for (auto& c : calls) {
    t += 100;
    norm->Normalise("+86138" + std::to_string(10000000 + rng() % numbers), &c.caller);
    norm->Normalise("+86139" + std::to_string(10000000 + rng() % numbers), &c.callee);
    c.start_ms = t;
    c.answered = rng() % 2;
    c.duration_s = c.answered ? 60 : 0;
    c.ingress = rng() % 20 ? Ingress::kMobile : Ingress::kInternational;
    c.call_id = "c";
  }
  size_t i = 0;
  for (auto _ : st) {
    Call& c = calls[i++ & 0xffff];
    c.start_ms = (t += 100);
    engine->Prefetch(calls[(i + 32) & 0xffff]);
    benchmark::DoNotOptimize(engine->Process(c).score);
  }
  st.SetItemsProcessed(st.iterations());
  StateStats s = engine->state_stats();
  st.counters["bytes_per_number"] =
      s.profiles ? static_cast<double>(s.profile_bytes) / s.profiles : 0;
}
BENCHMARK(BM_EngineProcess)->Arg(100000)->Arg(2000000);

// Filling a profile table with range(0) new numbers: from the default initial size (growing in
// 25% steps, range(1) == 0) or sized for them up front (range(1) == 1). The difference is what
// growth costs per number.
void BM_ProfileTableFill(benchmark::State& st) {
  const size_t n = static_cast<size_t>(st.range(0));
  std::vector<uint64_t> keys(n);
  std::mt19937_64 rng(7);
  for (auto& k : keys) k = PackE164("86138" + std::to_string(100000000 + rng() % 899999999));
  for (auto _ : st) {
    ProfileTable t(st.range(1) ? n : 65536);
    for (size_t i = 0; i < n; ++i) {
      if (i + 16 < n) t.Prefetch(keys[i + 16]);
      t.FindOrInsert(keys[i])->last_s = 1;
    }
    benchmark::DoNotOptimize(t.size());
  }
  st.SetItemsProcessed(st.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_ProfileTableFill)
    ->Args({5000000, 0})
    ->Args({5000000, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

void BM_VerdictJson(benchmark::State& st) {
  Call c;
  c.call_id = "c-000123";
  c.start_ms = 1772442904000;
  c.caller.text = "+8613800138000";
  c.callee.text = "+8613900139000";
  Evidence ev;
  ev.Add("identity", "intl_ingress_domestic_cli", 2.5,
         "international ingress presenting a domestic mobile number");
  Decision d = Decide(ev, PolicyConfig(), false);
  std::string out;
  for (auto _ : st) {
    out.clear();
    AppendVerdictJson(c, d, ev, false, &out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_VerdictJson);

}  // namespace

BENCHMARK_MAIN();
