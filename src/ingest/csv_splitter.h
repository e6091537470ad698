// CsvSplitter: splits one CSV record (RFC 4180) into fields.
//
// Unquoted fields are views into the record; quoted fields with doubled quotes are unescaped into
// storage owned by the splitter. Views stay valid until the next Split(). Not thread-safe.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace callguard {

class CsvSplitter {
 public:
  explicit CsvSplitter(char separator = ',') : sep_(separator) {}
  // Returns false with `error` set when quoting is malformed (text after a closing quote, or an
  // unclosed quote). Fields are left in fields().
  bool Split(std::string_view record, std::string* error);
  const std::vector<std::string_view>& fields() const { return fields_; }

 private:
  // The common case, a record without any quote: every field is a view between separators,
  // found 16 bytes at a time. Returns false (fields unspecified) when the record has a quote.
  bool SplitUnquoted(std::string_view record);

  char sep_;
  std::vector<std::string_view> fields_;
  std::deque<std::string> unescaped_;  // deque: views into it survive growth
  size_t unescaped_used_ = 0;
};

// One field as RFC 4180 CSV: as is, or quoted (inner quotes doubled) when it holds a comma, a
// quote or a line break. What CsvSplitter reads back unchanged.
std::string CsvField(std::string_view s);

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace callguard
