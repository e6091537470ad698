#include "cli/score_pipeline.h"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

namespace callguard {

namespace {

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

// Starts loading the part of a call that prefetch(call) reads: the numbers' keys and the
// callee's digits (in its first four cache lines). The calls were written by another thread,
// usually on the other core, so without this every prefetch(call) stalls on them.
void PrefetchCall(const Call& c) {
  const char* p = reinterpret_cast<const char*>(&c);
  for (int line = 0; line < 4; ++line) __builtin_prefetch(p + 64 * line);
}
static_assert(offsetof(Call, callee) + sizeof(Number) <= 4 * 64,
              "PrefetchCall covers the caller and the callee");

// Runs step(i) for each call of `b` in order, with prefetch(call) 32 calls ahead: the engine
// starts loading a call's state while it works on the calls before it, and the call itself
// 64 ahead, so that prefetch(call) finds it in the cache.
template <typename Prefetch, typename Step>
void EachCallAhead(const Batch& b, Prefetch prefetch, Step step) {
  constexpr size_t kAhead = 32, kCallAhead = 2 * kAhead;
  for (size_t i = 0; i < std::min(kCallAhead, b.size); ++i) PrefetchCall(b.calls[i]);
  for (size_t i = 0; i < std::min(kAhead, b.size); ++i) prefetch(b.calls[i]);
  for (size_t i = 0; i < b.size; ++i) {
    if (i + kCallAhead < b.size) PrefetchCall(b.calls[i + kCallAhead]);
    if (i + kAhead < b.size) prefetch(b.calls[i + kAhead]);
    step(i);
  }
}

// CPU time used so far by the calling thread, in seconds.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

}  // namespace

std::string HumanCount(double v) {
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

ScoreRun RunScorePipeline(std::vector<std::unique_ptr<CdrReader>>& readers, Normaliser& norm,
                          Engine& engine, VerdictWriter& writer, RejectLog& rejects,
                          double reorder_tolerance_s, bool progress_bar) {
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
  ScoreRun out;

  // Reader thread.
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
      out.records += st.records;
      out.accepted += st.accepted;
      out.out_of_order += st.out_of_order;
      if (!r.status().ok() && out.read_status.ok()) out.read_status = r.status();
      if (st.out_of_order > 0) {
        char m[512];
        std::snprintf(
            m, sizeof m,
            "%s: %llu records are more than %.0f s behind the latest start time "
            "(first at line %llu, up to %.0f s late); scored in file order",
            r.path().c_str(), static_cast<unsigned long long>(st.out_of_order), reorder_tolerance_s,
            static_cast<unsigned long long>(st.first_out_of_order_line), st.max_lateness_s);
        out.messages.push_back(m);
      }
      if (!r.unknown_columns().empty()) {
        std::string cols;
        for (const auto& c : r.unknown_columns()) cols += (cols.empty() ? "" : ", ") + c;
        out.messages.push_back(r.path() + ": ignored unknown columns: " + cols);
      }
    }
    out.norm = norm.stats();
    if (b->size > 0) full.Push(std::move(b));
    full.Push(nullptr);
    out.reader_cpu = ThreadCpuSeconds();
  });

  // Writer thread.
  std::thread writer_thread([&] {
    pthread_setname_np(pthread_self(), "cg-writer");
    for (;;) {
      std::unique_ptr<Batch> b = scored_q.Pop();
      if (!b) break;
      for (size_t i = 0; i < b->size; ++i) {
        writer.Write(b->calls[i], b->decisions[i], b->evidence[i]);
        for (const Reason& r : b->evidence[i]) ++out.reason_counts[r.code];
      }
      empty.Push(std::move(b));
    }
    out.writer_cpu = ThreadCpuSeconds();
  });

  // The engine's first stage.
  std::thread prepare_thread([&] {
    pthread_setname_np(pthread_self(), "cg-prepare");
    for (;;) {
      std::unique_ptr<Batch> b = full.Pop();
      if (!b) break;
      EachCallAhead(
          *b, [&](const Call& c) { engine.PrefetchShared(c); },
          [&](size_t i) { engine.Prepare(b->calls[i], &b->facts[i], &b->evidence[i]); });
      prepared.Push(std::move(b));
    }
    prepared.Push(nullptr);
    out.prepare_cpu = ThreadCpuSeconds();
  });

  // The engine's second stage (this thread).
  const double engine_cpu0 = ThreadCpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  auto last_draw = t0;
  for (;;) {
    std::unique_ptr<Batch> b = prepared.Pop();
    if (!b) break;
    EachCallAhead(
        *b, [&](const Call& c) { engine.PrefetchLearned(c); },
        [&](size_t i) {
          b->decisions[i] = engine.Complete(b->calls[i], b->facts[i], &b->evidence[i]);
        });
    out.scored += b->size;
    scored_q.Push(std::move(b));
    if (progress_bar) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_draw > std::chrono::milliseconds(250)) {
        last_draw = now;
        double secs = std::chrono::duration<double>(now - t0).count();
        double p = progress.load();
        int filled = static_cast<int>(std::clamp(p, 0.0, 1.0) * 30);
        std::fprintf(stderr, "\r[%-30s] %3.0f%%  %s calls  %s calls/s ",
                     std::string(filled, '#').c_str(), p * 100, HumanCount(out.scored).c_str(),
                     HumanCount(out.scored / std::max(secs, 1e-9)).c_str());
      }
    }
  }
  scored_q.Push(nullptr);
  out.complete_cpu = ThreadCpuSeconds() - engine_cpu0;
  prepare_thread.join();
  writer_thread.join();
  reader.join();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (progress_bar) std::fprintf(stderr, "\r%80s\r", "");
  return out;
}

}  // namespace callguard
