// CdrReader: streams the calls of one call-record file, in any supported layout, gzip or plain.
//
// Each Next() yields a Call or a rejected record (with file:line, a reason code and the raw text,
// for the reject file), so a bad row never stops a run and is never silent. Records whose start
// time is earlier than the latest seen by more than the tolerance are counted and reported (not
// reordered). Unknown canonical columns are reported once. Memory is bounded by the record-size
// limit, whatever the file size. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "callguard/call.h"
#include "core/config.h"
#include "core/number.h"
#include "ingest/csv_splitter.h"
#include "ingest/line_source.h"
#include "ingest/record_mapper.h"

namespace callguard {

struct Rejected {
  uint64_t line = 0;
  std::string_view code;
  std::string message;
  std::string_view raw;  // the record's text, valid until the next Next()
};

struct ReaderStats {
  uint64_t records = 0;  // records seen (accepted + rejected)
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  uint64_t out_of_order = 0;  // accepted records behind the latest by more than the tolerance
  double max_lateness_s = 0;
  uint64_t first_out_of_order_line = 0;
};

class CdrReader {
 public:
  enum class Outcome { kCall, kRejected, kEnd };

  static Result<std::unique_ptr<CdrReader>> Open(const std::string& path, CdrFormat format,
                                                 const Config& cfg, Normaliser* normaliser);

  Outcome Next(Call* call, Rejected* rej);
  // Non-OK when reading stopped on an I/O error (the calls before it were delivered).
  const Status& status() const { return src_->status(); }
  CdrFormat format() const { return format_; }
  const ReaderStats& stats() const { return stats_; }
  const std::vector<std::string>& unknown_columns() const { return unknown_columns_; }
  const std::string& path() const { return src_->path(); }
  double progress() const;  // 0..1 of the file consumed, or -1 when unknown

 private:
  CdrReader(std::unique_ptr<LineSource> src, CdrFormat format, const Config& cfg,
            Normaliser* normaliser);
  Status ReadHeader(const std::string& header);
  Outcome Reject(const LineSource::Record& r, std::string_view code, std::string message,
                 Rejected* rej);
  bool MapJson(std::string_view text, uint64_t line, Call* call, RejectReason* why);

  std::unique_ptr<LineSource> src_;
  CdrFormat format_;
  double tolerance_ms_;
  RecordMapper mapper_;
  CsvSplitter splitter_;
  std::vector<std::string> header_;
  std::vector<int> column_field_;  // header column -> Field, or -1
  std::vector<std::string> unknown_columns_;
  std::string pending_first_;  // first record read during format detection
  uint64_t pending_line_ = 0;
  bool has_pending_ = false;
  std::vector<std::string> json_values_;
  int64_t max_start_ms_ = INT64_MIN;
  ReaderStats stats_;
};

}  // namespace callguard
