#include "service/cdr_intake.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "ingest/cdr_reader.h"
#include "service/service.h"

namespace callguard {

namespace {
constexpr size_t kBatch = 4096;
constexpr size_t kMaxErrors = 10;
}  // namespace

IntakeResult IngestCdrFile(const std::string& path, const std::string& display_name,
                           CdrFormat format, Service* service, Normaliser* normaliser,
                           RejectLog* rejects) {
  IntakeResult r;
  auto reader = CdrReader::Open(path, format, service->config(), normaliser);
  if (!reader.ok()) {
    r.status = reader.status();
    return r;
  }
  CdrReader& rd = **reader;
  r.format = std::string(ToString(rd.format()));
  std::vector<Call> batch;
  batch.reserve(kBatch);
  Call call;
  Rejected rej;
  while (true) {
    auto o = rd.Next(&call, &rej);
    if (o == CdrReader::Outcome::kEnd) break;
    if (o == CdrReader::Outcome::kRejected) {
      ++r.rejected;
      service->metrics().cdr_rejected.fetch_add(1, std::memory_order_relaxed);
      if (r.first_errors.size() < kMaxErrors)
        r.first_errors.push_back(display_name + ":" + std::to_string(rej.line) + ": " +
                                 std::string(rej.code) + ": " + rej.message);
      if (rejects != nullptr) rejects->Add(display_name, rej);
      continue;
    }
    call.label = Label::kUnknown;  // ground truth is never learned from
    call.operation.clear();
    batch.push_back(std::move(call));
    call = Call();
    if (batch.size() == kBatch) {
      r.accepted += batch.size();
      if (!service->SubmitObservations(std::move(batch))) {
        r.status = Status::Unavailable("the service is stopping");
        return r;
      }
      batch = std::vector<Call>();
      batch.reserve(kBatch);
    }
  }
  if (!batch.empty()) {
    r.accepted += batch.size();
    if (!service->SubmitObservations(std::move(batch)))
      r.status = Status::Unavailable("the service is stopping");
  }
  if (r.status.ok()) r.status = rd.status();
  return r;
}

SpoolWatcher::SpoolWatcher(Service* service, std::string dir)
    : service_(service), dir_(std::move(dir)) {}

SpoolWatcher::~SpoolWatcher() { Stop(); }

Status SpoolWatcher::Start() {
  for (const char* sub : {"", "/done", "/failed", "/rejected"}) {
    std::string d = dir_ + sub;
    if (mkdir(d.c_str(), 0750) != 0 && errno != EEXIST)
      return Status::IoError(d + ": cannot create spool directory: " + strerror(errno));
  }
  auto n = Normaliser::Create(service_->config().engine.region);
  if (!n.ok()) return n.status();
  normaliser_ = std::move(n.value());
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void SpoolWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SpoolWatcher::Loop() {
  auto period =
      std::chrono::milliseconds(static_cast<int64_t>(service_->config().serve.spool_poll_s * 1000));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    ScanOnce();
    lock.lock();
    cv_.wait_for(lock, period, [this] { return stop_; });
  }
}

void SpoolWatcher::ScanOnce() {
  std::vector<std::string> names;
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.empty() || n[0] == '.') continue;
    auto ends = [&](const char* suf) {
      size_t l = strlen(suf);
      return n.size() >= l && n.compare(n.size() - l, l, suf) == 0;
    };
    if (ends(".tmp") || ends(".part")) continue;  // still being written
    struct stat st;
    std::string p = dir_ + "/" + n;
    if (stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());  // oldest-named first: files named by time stay in order
  for (const auto& n : names) {
    std::string p = dir_ + "/" + n;
    RejectLog rejects;
    std::string rej_path = dir_ + "/rejected/" + n + ".rejects";
    Status open = rejects.Open(rej_path);
    IntakeResult r = IngestCdrFile(p, n, CdrFormat::kAuto, service_, normaliser_.get(),
                                   open.ok() ? &rejects : nullptr);
    rejects.Close();
    if (rejects.total() == 0) remove(rej_path.c_str());
    bool ok = r.status.ok();
    std::string dest = dir_ + (ok ? "/done/" : "/failed/") + n;
    if (rename(p.c_str(), dest.c_str()) != 0) {
      fprintf(stderr, "callguard serve: spool: cannot move %s: %s\n", p.c_str(), strerror(errno));
      remove(p.c_str());
    }
    (ok ? service_->metrics().spool_files : service_->metrics().spool_failed).fetch_add(1);
    fprintf(stderr, "callguard serve: spool: %s: %llu calls learned, %llu rejected%s%s\n",
            n.c_str(), static_cast<unsigned long long>(r.accepted),
            static_cast<unsigned long long>(r.rejected), ok ? "" : ": ",
            ok ? "" : r.status.ToString().c_str());
  }
}

}  // namespace callguard
