// state_bench: per-number state updates, callguard's profile table against SQLite.
//
// Both sides apply the same updates for every call of a call file, in order: the caller's three
// decayed attempt counters and its running shares (answered, short, long, night), and the
// callee's decayed incoming count. callguard does it through BehaviourDetector::observe (which
// also consults the pair filter for new contacts and callbacks, so it does strictly more work);
// the peer is what a small team would reach for: SQLite in memory, one prepared UPSERT per number
// with the decay computed by a registered SQL function, all in one transaction. callguard
// prefetches a few calls ahead, as its engine does. Each side runs the calls twice: "cold" (every
// number is new: the table grows) and "warm" (the same calls a day later: the steady state of a
// network whose subscribers are known).
//
// Each side runs ROUNDS rounds (default 3) back to back, each round with new state (callguard's
// freed memory is returned to the kernel between rounds). The figures are the medians; the
// first round's are printed too: on a virtual machine whose host backs guest memory lazily, the
// first round is the first to touch the memory it grows into, which there costs about 2 s per
// GiB against 0.05 s when the memory was touched a moment before (bench/first_touch). Prints
// one JSON object.
//
// usage: state_bench CALLS.csv [MAX_CALLS] [ROUNDS]   (CALLGUARD_ONLY=1: callguard's side alone)
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_args.h"
#include "core/config.h"
#include "core/huge_pages.h"
#include "core/number.h"
#include "detectors/behaviour/behaviour.h"
#include "engine/engine.h"
#include "ingest/cdr_reader.h"

using namespace callguard;  // NOLINT

namespace {

struct Compact {
  uint64_t caller, callee;
  int64_t start_ms;
  float duration;
  bool answered;
};

void Decay(sqlite3_context* ctx, int, sqlite3_value** v) {
  double dt = sqlite3_value_double(v[0]), rate = sqlite3_value_double(v[1]);
  sqlite3_result_double(ctx, dt > 0 ? std::exp(-rate * dt) : 1.0);
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: state_bench CALLS.csv [MAX_CALLS] [ROUNDS]\n");
    return 2;
  }
  uint64_t max_calls = SIZE_MAX, rounds_arg = 3;
  if (argc > 2 && !bench::ParseCount("state_bench", "MAX_CALLS", argv[2], 1, &max_calls)) return 2;
  if (argc > 3 && !bench::ParseCount("state_bench", "ROUNDS", argv[3], 1, &rounds_arg)) return 2;
  const int rounds = static_cast<int>(std::min<uint64_t>(rounds_arg, 1000));
  Config cfg = LoadConfig("").value();
  if (const char* e = std::getenv("EXPECTED_NUMBERS"))
    if (!bench::ParseCount("state_bench", "EXPECTED_NUMBERS", e, 0, &cfg.engine.expected_numbers))
      return 2;
  auto norm = std::move(Normaliser::Create("CN").value());
  auto reader = CdrReader::Open(argv[1], CdrFormat::kAuto, cfg, norm.get());
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.status().ToString().c_str());
    return 1;
  }
  std::vector<Compact> calls;
  Call c;
  Rejected rej;
  while (calls.size() < max_calls) {
    auto o = (*reader)->Next(&c, &rej);
    if (o == CdrReader::Outcome::kEnd) break;
    if (o != CdrReader::Outcome::kCall) continue;
    calls.push_back(
        {c.caller.key, c.callee.key, c.start_ms, static_cast<float>(c.duration_s), c.answered});
  }

  // callguard: the behaviour detector's observe() on its profile table.
  struct CallguardRound {
    double cold_s, warm_s, bytes_per_number, new_mib, reused_mib;
    size_t numbers;
  };
  auto callguard_round = [&]() {
    EngineState state(cfg, nullptr);
    BehaviourDetector::Options opt;
    BehaviourDetector det(opt, state);
    auto pass = [&](int64_t shift_ms) {
      Call call;
      auto t0 = std::chrono::steady_clock::now();
      constexpr size_t kAhead = 32;  // as the engine does: start loading state a few calls ahead
      for (size_t i = 0; i < calls.size(); ++i) {
        if (i + kAhead < calls.size()) {
          const Compact& y = calls[i + kAhead];
          det.profiles().Prefetch(y.caller);
          det.profiles().Prefetch(y.callee);
          state.pairs.Prefetch(y.caller, y.callee);
          state.pairs.Prefetch(y.callee, y.caller);
        }
        const Compact& x = calls[i];
        call.caller.key = x.caller;
        call.callee.key = x.callee;
        call.start_ms = x.start_ms + shift_ms;
        call.answered = x.answered;
        call.duration_s = x.duration;
        // What the engine looks up in the pair filter for the behaviour detector (this
        // benchmark, like the SQLite side, records no pairs).
        state.facts.callee_called_caller = state.pairs.Contains(x.callee, x.caller);
        state.facts.caller_called_callee = state.pairs.Contains(x.caller, x.callee);
        det.observe(call);
      }
      return Seconds(t0);
    };
    CallguardRound r;
    const HugePageStats mem0 = GetHugePageStats();
    r.cold_s = pass(0);
    // Memory the cold pass's growth took new from the kernel, and took back from its own freed
    // segments (core/huge_pages.h).
    const HugePageStats mem1 = GetHugePageStats();
    r.new_mib = static_cast<double>(mem1.new_bytes - mem0.new_bytes) / (1 << 20);
    r.reused_mib = static_cast<double>(mem1.reused_bytes - mem0.reused_bytes) / (1 << 20);
    r.warm_s = pass(86400000);  // the next day: the same numbers call again
    const ProfileTable& t = det.profiles();
    r.numbers = t.size();
    r.bytes_per_number = static_cast<double>(t.memory_bytes()) / t.size();
    return r;
  };

  // SQLite in memory, prepared UPSERTs.
  struct SqliteRound {
    double cold_s, warm_s, bytes_per_row;
    int64_t rows;
  };
  auto sqlite_round = [&]() {
    sqlite3* db;
    Check(sqlite3_open(":memory:", &db), db, "open");
    sqlite3_create_function(db, "decay", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, Decay,
                            nullptr, nullptr);
    Check(sqlite3_exec(db,
                       "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                       "CREATE TABLE p(key INTEGER PRIMARY KEY, last_s INTEGER, a0 REAL, a1 REAL,"
                       " a2 REAL, incoming REAL, answered REAL, short REAL, long REAL, night REAL,"
                       " seen INTEGER) WITHOUT ROWID;",
                       nullptr, nullptr, nullptr),
          db, "schema");
    const char* caller_sql =
        "INSERT INTO p VALUES(?1, ?2, 1, 1, 1, 0, ?3, ?4, ?5, ?6, 1) ON CONFLICT(key) DO UPDATE "
        "SET a0 = a0 * decay(?2 - last_s, ?7) + 1, a1 = a1 * decay(?2 - last_s, ?8) + 1,"
        "a2 = a2 * decay(?2 - last_s, ?9) + 1, incoming = incoming * decay(?2 - last_s, ?9),"
        "answered = answered + max(1.0 / (seen + 1), 1.0 / 32) * (?3 - answered),"
        "short = short + max(1.0 / (seen + 1), 1.0 / 32) * (?4 - short),"
        "long = long + max(1.0 / (seen + 1), 1.0 / 32) * (?5 - long),"
        "night = night + max(1.0 / (seen + 1), 1.0 / 32) * (?6 - night),"
        "seen = min(seen + 1, 255), last_s = max(last_s, ?2)";
    const char* callee_sql =
        "INSERT INTO p VALUES(?1, ?2, 0, 0, 0, 1, 0, 0, 0, 0, 0) ON CONFLICT(key) DO UPDATE SET "
        "a0 = a0 * decay(?2 - last_s, ?3), a1 = a1 * decay(?2 - last_s, ?4),"
        "a2 = a2 * decay(?2 - last_s, ?5), incoming = incoming * decay(?2 - last_s, ?5) + 1,"
        "last_s = max(last_s, ?2)";
    sqlite3_stmt *up_caller, *up_callee;
    Check(sqlite3_prepare_v2(db, caller_sql, -1, &up_caller, nullptr), db, "prepare");
    Check(sqlite3_prepare_v2(db, callee_sql, -1, &up_callee, nullptr), db, "prepare");
    const double r0 = std::log(2.0) / 600, r1 = std::log(2.0) / 7200, r2 = std::log(2.0) / 86400;
    auto pass = [&](int64_t shift_s) {
      auto t0 = std::chrono::steady_clock::now();
      Check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
      for (const Compact& x : calls) {
        int64_t now = x.start_ms / 1000 + shift_s;
        int hour = static_cast<int>((now + 8 * 3600) / 3600 % 24);
        sqlite3_bind_int64(up_caller, 1, static_cast<int64_t>(x.caller));
        sqlite3_bind_int64(up_caller, 2, now);
        sqlite3_bind_int(up_caller, 3, x.answered);
        sqlite3_bind_int(up_caller, 4, x.answered && x.duration < 15);
        sqlite3_bind_int(up_caller, 5, x.answered && x.duration >= 600);
        sqlite3_bind_int(up_caller, 6, hour < 6);
        sqlite3_bind_double(up_caller, 7, r0);
        sqlite3_bind_double(up_caller, 8, r1);
        sqlite3_bind_double(up_caller, 9, r2);
        Check(sqlite3_step(up_caller), db, "caller upsert");
        sqlite3_reset(up_caller);
        sqlite3_bind_int64(up_callee, 1, static_cast<int64_t>(x.callee));
        sqlite3_bind_int64(up_callee, 2, now);
        sqlite3_bind_double(up_callee, 3, r0);
        sqlite3_bind_double(up_callee, 4, r1);
        sqlite3_bind_double(up_callee, 5, r2);
        Check(sqlite3_step(up_callee), db, "callee upsert");
        sqlite3_reset(up_callee);
      }
      Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
      return Seconds(t0);
    };
    SqliteRound r;
    r.cold_s = pass(0);
    r.warm_s = pass(86400);
    sqlite3_stmt* count;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM p", -1, &count, nullptr);
    sqlite3_step(count);
    r.rows = sqlite3_column_int64(count, 0);
    sqlite3_finalize(count);
    r.bytes_per_row = static_cast<double>(sqlite3_memory_used()) / std::max<int64_t>(1, r.rows);
    sqlite3_finalize(up_caller);
    sqlite3_finalize(up_callee);
    sqlite3_close(db);
    return r;
  };

  const bool callguard_only = std::getenv("CALLGUARD_ONLY") != nullptr;
  std::vector<CallguardRound> cg;
  std::vector<SqliteRound> sq;
  // Each side's rounds back to back: memory freed and left idle for a few seconds goes back to
  // this virtual machine's host (free page reporting), and touching it again costs as much as
  // the first touch, so rounds that alternated with SQLite's 20-second rounds measured the host
  // every time (docs/benchmarks.md, seventh session).
  for (int round = 0; round < rounds; ++round) {
    cg.push_back(callguard_round());
    ReleaseKeptHugePages();  // the next round starts with none of this one's memory kept
  }
  for (int round = 0; round < rounds && !callguard_only; ++round) sq.push_back(sqlite_round());

  const double n = static_cast<double>(calls.size());
  auto rates = [&](const auto& v, auto field) {
    std::vector<double> out;
    for (const auto& r : v) out.push_back(n / (r.*field));
    return out;
  };
  auto median = [](std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto list = [](const std::vector<double>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(std::lround(v[i]));
    return s + "]";
  };
  const auto cg_cold = rates(cg, &CallguardRound::cold_s);
  const auto cg_warm = rates(cg, &CallguardRound::warm_s);
  std::printf(
      "{\"calls\":%zu,\"numbers\":%zu,\"rounds\":%d,"
      "\"callguard_cold_calls_per_s\":%.0f,\"callguard_warm_calls_per_s\":%.0f,"
      "\"callguard_cold_rounds\":%s,\"callguard_warm_rounds\":%s,"
      "\"callguard_bytes_per_number\":%.1f,"
      "\"callguard_cold_new_mib\":%.0f,\"callguard_cold_reused_mib\":%.0f",
      calls.size(), cg[0].numbers, rounds, median(cg_cold), median(cg_warm), list(cg_cold).c_str(),
      list(cg_warm).c_str(), cg[0].bytes_per_number, cg[0].new_mib, cg[0].reused_mib);
  if (!callguard_only) {
    const auto sq_cold = rates(sq, &SqliteRound::cold_s);
    const auto sq_warm = rates(sq, &SqliteRound::warm_s);
    std::printf(
        ",\"sqlite_cold_calls_per_s\":%.0f,\"sqlite_warm_calls_per_s\":%.0f,"
        "\"sqlite_cold_rounds\":%s,\"sqlite_warm_rounds\":%s,"
        "\"sqlite_rows\":%lld,\"sqlite_bytes_per_number\":%.1f,"
        "\"speedup_cold\":%.1f,\"speedup_warm\":%.1f,\"speedup_cold_first_round\":%.1f",
        median(sq_cold), median(sq_warm), list(sq_cold).c_str(), list(sq_warm).c_str(),
        static_cast<long long>(sq[0].rows), sq[0].bytes_per_row, median(cg_cold) / median(sq_cold),
        median(cg_warm) / median(sq_warm), cg_cold[0] / sq_cold[0]);
  }
  std::printf("}\n");
  return 0;
}
