// VerdictWriter: writes verdicts as JSON Lines exactly as the contract says (cdr-format.md §2):
// call_id, start_time, caller, callee (E.164, or the raw text when not valid), score, action and
// every reason that moved the score, most important first. In shadow mode each line also carries
// "decided" (the action the policy would have taken). Output is buffered; not thread-safe.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "callguard/call.h"
#include "callguard/evidence.h"
#include "callguard/status.h"
#include "engine/policy.h"

namespace callguard {

// Appends `s` to `out` as a JSON string literal (quotes included).
void AppendJsonString(std::string_view s, std::string* out);
// Appends a number with at most 4 decimals, trailing zeros trimmed ("0.97", "2.1", "-0.5").
void AppendDecimal(double v, std::string* out);
// One verdict line, without the newline.
void AppendVerdictJson(const Call& call, const Decision& d, const Evidence& ev, bool shadow,
                       std::string* out);

class VerdictWriter {
 public:
  ~VerdictWriter();
  // "-" writes to standard output.
  Status Open(const std::string& path, bool shadow);
  void Write(const Call& call, const Decision& d, const Evidence& ev);
  Status Close();

 private:
  void Flush();
  FILE* f_ = nullptr;
  bool owns_ = false;
  bool shadow_ = false;
  bool failed_ = false;
  std::string path_;
  static constexpr size_t kFlushBytes = size_t{1} << 20;
  std::unique_ptr<char[]> buf_;
  size_t used_ = 0, capacity_ = 0;
};

}  // namespace callguard
