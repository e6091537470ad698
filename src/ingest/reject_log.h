// RejectLog: the reject file of a run. Each rejected record becomes one line
//   <file>:<line>: <code>: <message>\t<the record, up to 2 KiB, newlines escaped>
// and is counted per reason code for the summary. Not thread-safe.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "callguard/status.h"
#include "ingest/cdr_reader.h"

namespace callguard {

class RejectLog {
 public:
  RejectLog() = default;
  ~RejectLog();
  RejectLog(const RejectLog&) = delete;
  RejectLog& operator=(const RejectLog&) = delete;

  // An empty path keeps counts only.
  Status Open(const std::string& path);
  void Add(const std::string& file, const Rejected& r);
  Status Close();
  const std::map<std::string, uint64_t>& counts() const { return counts_; }
  uint64_t total() const { return total_; }
  const std::string& path() const { return path_; }

 private:
  FILE* f_ = nullptr;
  std::string path_;
  std::string line_;
  std::map<std::string, uint64_t> counts_;
  uint64_t total_ = 0;
};

}  // namespace callguard
