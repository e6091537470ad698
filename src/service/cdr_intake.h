// CDR intake for a running service: reads one call-record file (any supported layout, gzip or
// plain) and hands its calls to the engine in batches, so that the profiles screening reads stay
// current. Used by POST /v1/cdr (the body is spilled to an anonymous memory file) and by the
// spool watcher. Rejected records are counted, described and, when a RejectLog is given,
// written to it. Thread-safe as long as each caller has its own Normaliser.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "callguard/status.h"
#include "core/number.h"
#include "ingest/record_mapper.h"
#include "ingest/reject_log.h"

namespace callguard {

class Service;

struct IntakeResult {
  Status status;  // not OK when the file could not be opened or read to the end
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  std::vector<std::string> first_errors;  // "line N: code: message" for the first few
  std::string format;                     // the layout that was read
};

IntakeResult IngestCdrFile(const std::string& path, const std::string& display_name,
                           CdrFormat format, Service* service, Normaliser* normaliser,
                           RejectLog* rejects);

// Watches serve.spool: every file that appears (not hidden, not *.tmp / *.part) is read,
// then moved to spool/done/ (or spool/failed/ when it cannot be read); rejects go to
// spool/rejected/<file>.rejects. Runs on its own thread until Stop().
class SpoolWatcher {
 public:
  SpoolWatcher(Service* service, std::string dir);
  ~SpoolWatcher();
  Status Start();
  void Stop();

 private:
  void Loop();
  void ScanOnce();
  Service* service_;
  std::string dir_;
  std::unique_ptr<Normaliser> normaliser_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace callguard
