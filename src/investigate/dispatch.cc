#include "investigate/dispatch.h"

#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/time.h"

namespace callguard::investigate {

Dispatcher::Dispatcher(WarningsConfig cfg, std::string journal,
                       std::function<void(const Task&, int64_t)> on_sent)
    : cfg_(std::move(cfg)), journal_path_(std::move(journal)), on_sent_(std::move(on_sent)) {}

Dispatcher::~Dispatcher() { Stop(); }

Status Dispatcher::Start() {
  {
    std::ifstream in(journal_path_);
    std::string line;
    uint64_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      auto j = nlohmann::json::parse(line, nullptr, false);
      // A torn last line (crash mid-write) is skipped: that task is sent again, same key.
      if (j.is_discarded() || !j.is_object() || !j.contains("id") || !j["id"].is_string()) continue;
      // Failed deliveries are tried again after a restart.
      if (j.value("outcome", "") != "sent") continue;
      done_.insert(j["id"].get<std::string>());
    }
  }
  journal_ = std::fopen(journal_path_.c_str(), "a");
  if (!journal_) return Status::IoError(journal_path_ + ": cannot open the dispatch journal");
  if (!cfg_.tasks_file.empty()) {
    tasks_file_ = std::fopen(cfg_.tasks_file.c_str(), "a");
    if (!tasks_file_) return Status::IoError(cfg_.tasks_file + ": cannot open");
  }
  if (!cfg_.webhook_token_env.empty()) {
    const char* t = std::getenv(cfg_.webhook_token_env.c_str());
    if (!t || !*t)
      return Status::InvalidArgument("investigate.warnings.webhook_token_env: $" +
                                     cfg_.webhook_token_env + " is not set");
    token_ = t;
  }
  worker_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void Dispatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (journal_) std::fclose(journal_);
  if (tasks_file_) std::fclose(tasks_file_);
  journal_ = tasks_file_ = nullptr;
}

bool Dispatcher::Delivered(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return done_.count(id) > 0;
}

bool Dispatcher::Enqueue(const Task& t) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_.count(t.id) || !queued_.insert(t.id).second) {
      stats_.duplicates.fetch_add(1);
      return false;
    }
    queue_.push_back(t);
  }
  stats_.queued.fetch_add(1);
  cv_.notify_one();
  return true;
}

bool Dispatcher::Drain(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return queue_.empty() && !busy_; });
}

void Dispatcher::Loop() {
  for (;;) {
    Task t;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping with nothing left
      if (stop_ && !queue_.empty()) {
        // Stopping: what is left stays undelivered (not journalled) and goes out next start.
        return;
      }
      t = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    Status s = Deliver(t);
    {
      std::lock_guard<std::mutex> lock(mu_);
      queued_.erase(t.id);
      if (s.ok()) done_.insert(t.id);
      busy_ = false;
    }
    idle_cv_.notify_all();
  }
}

Status Dispatcher::Post(const std::string& body, const std::string& id, bool* retryable) {
  *retryable = true;
  // Split "http(s)://host:port/path".
  const std::string& url = cfg_.webhook;
  size_t scheme_end = url.find("://");
  size_t path_start = url.find('/', scheme_end + 3);
  std::string base = url.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  httplib::Client cli(base);
  cli.set_connection_timeout(
      std::chrono::milliseconds(static_cast<int64_t>(cfg_.webhook_timeout_s * 1000)));
  cli.set_read_timeout(
      std::chrono::milliseconds(static_cast<int64_t>(cfg_.webhook_timeout_s * 1000)));
  httplib::Headers h = {{"Idempotency-Key", id}};
  if (!token_.empty()) h.emplace("Authorization", "Bearer " + token_);
  auto res = cli.Post(path, h, body, "application/json");
  if (!res) return Status::Unavailable("webhook: " + httplib::to_string(res.error()));
  if (res->status >= 200 && res->status < 300) return Status::Ok();
  *retryable = res->status == 429 || res->status >= 500 || res->status == 408;
  return Status::Unavailable("webhook answered " + std::to_string(res->status));
}

Status Dispatcher::Deliver(const Task& t) {
  const std::string body = t.Json();
  Status result = Status::Ok();
  if (!cfg_.webhook.empty()) {
    double backoff = cfg_.webhook_backoff_s;
    for (int attempt = 1;; ++attempt) {
      bool retryable = false;
      result = Post(body, t.id, &retryable);
      if (result.ok() || !retryable || attempt >= cfg_.webhook_attempts) break;
      stats_.retries.fetch_add(1);
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, std::chrono::milliseconds(static_cast<int64_t>(backoff * 1000)),
                       [&] { return stop_; }))
        return Status::Unavailable("stopping");  // not journalled: retried next start
      backoff *= 2;
    }
  }
  if (result.ok() && tasks_file_) {
    std::string line = body + "\n";
    std::fwrite(line.data(), 1, line.size(), tasks_file_);
    std::fflush(tasks_file_);
  }
  if (result.ok()) {
    stats_.sent.fetch_add(1);
    Journal(t, "sent");
    if (on_sent_) on_sent_(t, WallClockMs());
  } else {
    stats_.failed.fetch_add(1);
    std::fprintf(stderr, "callguard: task %s (%s for %s) not delivered: %s\n", t.id.c_str(),
                 t.kind.c_str(), t.person.c_str(), result.ToString().c_str());
    Journal(t, "failed: " + std::string(result.message()));
  }
  return result;
}

void Dispatcher::Journal(const Task& t, const std::string& outcome) {
  nlohmann::ordered_json j;
  j["id"] = t.id;
  j["kind"] = t.kind;
  j["at"] = FormatRfc3339(WallClockMs());
  j["outcome"] = outcome;
  std::string line = j.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), journal_);
  std::fflush(journal_);
  fsync(fileno(journal_));
}

}  // namespace callguard::investigate
