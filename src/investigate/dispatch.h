// Dispatcher: delivers warning tasks, each at most once, to a webhook (HTTP POST, JSON body,
// `Idempotency-Key: <task id>` header, optional bearer token) and/or a JSON Lines file.
//
// Delivery is recorded in a journal (JSON Lines, fsync'ed) after it succeeded; on start the
// journal is read back and tasks already in it are skipped, so a restart never sends a task
// twice. (A crash between a webhook's 2xx and the journal write re-sends once, with the same
// idempotency key, which the receiver uses to drop it.) Failed posts are retried with
// exponential back-off on connection errors, 429 and 5xx; other 4xx answers are permanent
// failures, journalled as such. A worker thread does the sending: Enqueue() never blocks on the
// network. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

#include "callguard/status.h"
#include "core/investigate_config.h"
#include "investigate/victims.h"

namespace callguard::investigate {

struct DispatchStats {
  std::atomic<uint64_t> queued{0}, sent{0}, duplicates{0}, retries{0}, failed{0};
};

class Dispatcher {
 public:
  // `journal`: path of the delivery journal (required). `on_sent` (optional) runs on the worker
  // after each delivery, with the task and the wall-clock time it was delivered.
  Dispatcher(WarningsConfig cfg, std::string journal,
             std::function<void(const Task&, int64_t)> on_sent = nullptr);
  ~Dispatcher();
  Status Start();
  // Queues a task; false when it was delivered before (journal) or is already queued.
  bool Enqueue(const Task& t);
  // Waits until the queue is empty (or `timeout_ms` passed); true when it is.
  bool Drain(int timeout_ms);
  void Stop();
  const DispatchStats& stats() const { return stats_; }
  bool Delivered(const std::string& id) const;

 private:
  void Loop();
  Status Deliver(const Task& t);
  Status Post(const std::string& body, const std::string& id, bool* retryable);
  void Journal(const Task& t, const std::string& outcome);

  WarningsConfig cfg_;
  std::string journal_path_;
  std::function<void(const Task&, int64_t)> on_sent_;
  std::string token_;
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<Task> queue_;
  std::unordered_set<std::string> done_, queued_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread worker_;
  FILE* journal_ = nullptr;
  FILE* tasks_file_ = nullptr;
  DispatchStats stats_;
};

}  // namespace callguard::investigate
