#include "api/access_journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/verdict_writer.h"

namespace callguard {

std::string AccessJournal::SegmentPath(const std::string& run, uint64_t seq) const {
  char name[96];
  std::snprintf(name, sizeof name, "/access-%s-%016llu.jsonl", run.c_str(),
                static_cast<unsigned long long>(seq));
  return dir_ + name;
}

Result<std::unique_ptr<AccessJournal>> AccessJournal::Open(const std::string& dir,
                                                           store::Store* store, Metrics* metrics) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::IoError("access journal: cannot create " + dir + ": " + strerror(errno));
  std::unique_ptr<AccessJournal> j(new AccessJournal(dir, store, metrics));
  // Segments left by earlier processes (a crash): copy them first, in name order.
  std::vector<std::pair<std::string, uint64_t>> left;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      char run[32];
      unsigned long long seq;
      if (std::sscanf(e->d_name, "access-%16[0-9a-f]-%llu.jsonl", run, &seq) == 2)
        left.emplace_back(run, seq);
    }
    closedir(d);
  }
  std::sort(left.begin(), left.end());
  for (const auto& [run, seq] : left) CG_RETURN_IF_ERROR(j->MoveSegment(run, seq));
  j->run_ = store::Sha256Hex(store::RandomId("", 16)).substr(0, 16);
  j->seq_ = 1;
  CG_RETURN_IF_ERROR(j->OpenSegment());
  j->mover_ = std::thread([p = j.get()] {
    std::unique_lock<std::mutex> lock(p->stop_mu_);
    while (!p->stop_) {
      p->stop_cv_.wait_for(lock, std::chrono::milliseconds(200));
      lock.unlock();
      if (!p->Drain().ok()) p->metrics_->store_errors.fetch_add(1);
      lock.lock();
    }
  });
  return j;
}

AccessJournal::~AccessJournal() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (mover_.joinable()) mover_.join();
  Drain();  // what is left goes to the store now (or at the next start)
  if (fd_ >= 0) close(fd_);
}

Status AccessJournal::OpenSegment() {
  std::string path = SegmentPath(run_, seq_);
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0)
    return Status::IoError("access journal: cannot open " + path + ": " + strerror(errno));
  offset_ = 0;
  return Status::Ok();
}

Status AccessJournal::Record(const store::AccessRecord& r) {
  std::string line = "{\"t\":" + std::to_string(r.time_ms) + ",\"actor\":";
  AppendJsonString(r.actor, &line);
  line += ",\"role\":";
  AppendJsonString(r.role, &line);
  line += ",\"action\":";
  AppendJsonString(r.action, &line);
  line += ",\"target\":";
  AppendJsonString(r.target, &line);
  line += ",\"ip\":";
  AppendJsonString(r.source_ip, &line);
  line += ",\"status\":" + std::to_string(r.status) + "}\n";
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) CG_RETURN_IF_ERROR(OpenSegment());
  ssize_t n = write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    return Status::IoError("access journal: write failed: " +
                           std::string(n < 0 ? strerror(errno) : "short write"));
  offset_ += line.size();
  return Status::Ok();
}

Status AccessJournal::Drain() {
  std::lock_guard<std::mutex> move(move_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (offset_ > 0) {
      close(fd_);
      fd_ = -1;
      closed_.push_back(seq_++);
      CG_RETURN_IF_ERROR(OpenSegment());
    }
  }
  // Oldest first; a segment that could not be copied (store busy or down) stays and is tried
  // again next time.
  while (!closed_.empty()) {
    CG_RETURN_IF_ERROR(MoveSegment(run_, closed_.front()));
    closed_.erase(closed_.begin());
  }
  return Status::Ok();
}

Status AccessJournal::MoveSegment(const std::string& run, uint64_t seq) {
  std::string path = SegmentPath(run, seq);
  std::ifstream in(path);
  if (!in) return Status::IoError("access journal: cannot read " + path);
  std::vector<store::AccessRecord> batch;
  std::string line;
  uint64_t offset = 0;
  while (std::getline(in, line)) {
    uint64_t at = offset;
    offset += line.size() + 1;
    if (in.eof()) break;  // a torn last line: its read never completed, nothing was returned
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    store::AccessRecord r;
    r.time_ms = j.value("t", int64_t{0});
    r.actor = j.value("actor", "");
    r.role = j.value("role", "");
    r.action = j.value("action", "");
    r.target = j.value("target", "");
    r.source_ip = j.value("ip", "");
    r.status = j.value("status", 0);
    r.key = run + ":" + std::to_string(seq) + ":" + std::to_string(at);
    batch.push_back(std::move(r));
  }
  if (!batch.empty()) CG_RETURN_IF_ERROR(store_->AddAccess(batch));
  unlink(path.c_str());
  return Status::Ok();
}

}  // namespace callguard
