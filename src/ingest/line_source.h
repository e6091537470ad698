// LineSource: reads a call-record file record by record, gzip or plain (zlib detects which),
// streaming through a fixed buffer so memory does not grow with the file.
//
// In CSV mode a record ends at a newline outside double quotes (RFC 4180 lets quoted fields hold
// newlines); in line mode (JSON Lines) at any newline. A record longer than the limit (typically
// an unclosed quote) is reported as an error and skipped up to the next newline. Records are
// returned without their line terminator; blank lines are skipped. Not thread-safe.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "callguard/status.h"

namespace callguard {

class LineSource {
 public:
  enum class Mode { kCsv, kLines };
  struct Record {
    std::string_view text;  // valid until the next call to Next()
    uint64_t line = 0;      // 1-based line number where the record starts
    bool too_long = false;  // the record exceeded max_record_bytes and was cut off
  };

  // `path` "-" reads standard input.
  static Result<std::unique_ptr<LineSource>> Open(const std::string& path, Mode mode,
                                                  size_t max_record_bytes);
  ~LineSource();

  // Returns false at end of input (check status() for a read error).
  bool Next(Record* rec);
  const Status& status() const { return status_; }
  const std::string& path() const { return path_; }
  uint64_t bytes_read() const { return bytes_read_; }
  // Size of the file on disk (compressed), or 0 for stdin; with bytes_consumed() for progress.
  uint64_t file_size() const { return file_size_; }
  uint64_t compressed_offset() const;

 private:
  LineSource(gzFile f, std::string path, Mode mode, size_t max_record);
  bool Fill();  // appends more input to buf_; false at EOF or error

  gzFile file_;
  std::string path_;
  Mode mode_;
  size_t max_record_;
  std::vector<char> buf_;
  size_t begin_ = 0;  // start of unconsumed data
  size_t end_ = 0;    // end of valid data
  uint64_t line_ = 1;
  bool eof_ = false;
  bool first_ = true;
  uint64_t bytes_read_ = 0;
  uint64_t file_size_ = 0;
  Status status_;
};

}  // namespace callguard
