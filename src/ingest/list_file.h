// ForEachListRecord: reads a small configuration CSV (lists, rule tables) record by record.
//
// Blank lines and lines starting with '#' are skipped; every other record is split (RFC 4180)
// and handed to `fn(fields, where)` with `where` = "file:line". A malformed record, one with
// fewer than `min_fields` fields, or an error returned by `fn` stops reading with a Status that
// names file:line. For operator-edited files, not for call records (see CdrReader).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "callguard/status.h"
#include "ingest/csv_splitter.h"
#include "ingest/line_source.h"

namespace callguard {

template <typename F>
Status ForEachListRecord(const std::string& path, size_t min_fields, F fn) {
  auto src = LineSource::Open(path, LineSource::Mode::kCsv, 8192);
  if (!src.ok()) return src.status();
  LineSource::Record rec;
  CsvSplitter split;
  std::string err;
  while ((*src)->Next(&rec)) {
    if (rec.text.empty() || rec.text[0] == '#') continue;
    std::string where = path + ":" + std::to_string(rec.line);
    if (rec.too_long || !split.Split(rec.text, &err))
      return Status::InvalidArgument(where + ": " + (rec.too_long ? "line too long" : err));
    if (split.fields().size() < min_fields)
      return Status::InvalidArgument(where + ": expected at least " + std::to_string(min_fields) +
                                     " fields");
    CG_RETURN_IF_ERROR(fn(split.fields(), where));
  }
  return (*src)->status();
}

}  // namespace callguard
