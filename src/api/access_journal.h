// AccessJournal: the audit log of reads of personal data, durable before the data leaves.
//
// A read is recorded by appending one line to a journal segment in the data directory
// (<data_dir>/access-journal/access-<run>-<seq>.jsonl, <run> random per process) with a single
// write(2): once Record() returns, the entry survives a crash of the process (the same guarantee as
// the store's own commits in WAL mode with synchronous=NORMAL), at the cost of a system call
// instead of a database commit per lookup. A mover thread rotates the segment every 200 ms and
// copies it into the store's access_log table in one transaction, then deletes it; each entry
// carries a unique key (run:segment:offset), so a crash between the copy and the delete cannot
// duplicate entries. At start-up, segments left by a crash are copied first. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/metrics.h"
#include "store/store.h"

namespace callguard {

class AccessJournal {
 public:
  // Opens the journal directory (creating it), copies leftover segments into the store and
  // starts the mover.
  static Result<std::unique_ptr<AccessJournal>> Open(const std::string& dir, store::Store* store,
                                                     Metrics* metrics);
  ~AccessJournal();
  // Appends `r`; when this returns OK the entry is durable.
  Status Record(const store::AccessRecord& r);
  // Moves everything recorded so far into the store (GET /v1/audit reads its own writes).
  Status Drain();

 private:
  AccessJournal(std::string dir, store::Store* store, Metrics* metrics)
      : dir_(std::move(dir)), store_(store), metrics_(metrics) {}
  Status OpenSegment();
  // Copies one closed segment into the store and deletes it.
  Status MoveSegment(const std::string& run, uint64_t seq);
  std::string SegmentPath(const std::string& run, uint64_t seq) const;

  std::string dir_;
  store::Store* store_;
  Metrics* metrics_;
  std::mutex mu_;  // the current segment
  int fd_ = -1;
  std::string run_;  // this process's segments
  uint64_t seq_ = 0;
  uint64_t offset_ = 0;
  std::mutex move_mu_;            // one mover at a time
  std::vector<uint64_t> closed_;  // segments closed but not yet in the store (retried)
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread mover_;
};

}  // namespace callguard
