// RecordMapper: turns the fields of one call record into a Call, for each supported layout.
//
// Layouts: the canonical contract (CSV columns matched by header name, or JSON Lines keys),
// Asterisk cdr_csv (Master.csv) and FreeSWITCH mod_cdr_csv's default template; the column
// mapping of the two presets is documented in docs/ingest.md. A record with a bad value is
// rejected with a stable reason code and a message naming the field; numbers that are not
// valid are kept (the detectors report them), never rejected. Not thread-safe.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "callguard/call.h"
#include "core/config.h"
#include "core/number.h"

namespace callguard {

enum class CdrFormat { kAuto, kCanonical, kJsonl, kAsterisk, kFreeswitch };
std::string_view ToString(CdrFormat f);
bool ParseCdrFormat(std::string_view s, CdrFormat* out);

// Canonical field indices.
enum Field : int {
  kCallId = 0,
  kStartTime,
  kCaller,
  kCallee,
  kAnswered,
  kDurationS,
  kRingS,
  kIngress,
  kTrunk,
  kOriginCountry,
  kOriginIp,
  kAttestation,
  kImei,
  kCell,
  kOrigid,
  kLabel,
  kOperation,
  kFieldCount
};
extern const std::array<std::string_view, kFieldCount> kFieldNames;

// Why a record was rejected: a stable code and a message naming the field.
struct RejectReason {
  std::string_view code;  // "field_count", "bad_time", "negative_duration", "bad_utf8", ...
  std::string message;
};

class RecordMapper {
 public:
  RecordMapper(const IngestConfig& cfg, int utc_offset_min, Normaliser* normaliser)
      : cfg_(cfg), utc_offset_min_(utc_offset_min), norm_(normaliser) {}

  // Canonical values by field index (absent fields empty, `present` false). Returns false and
  // fills `why` when the record must be rejected.
  bool MapCanonical(const std::array<std::string_view, kFieldCount>& values, uint64_t line,
                    Call* call, RejectReason* why);
  bool MapAsterisk(const std::vector<std::string_view>& fields, uint64_t line, Call* call,
                   RejectReason* why);
  bool MapFreeswitch(const std::vector<std::string_view>& fields, uint64_t line, Call* call,
                     RejectReason* why);
  // Checks every field for length and (when `check_utf8`) UTF-8; false with `why` set on the
  // first bad one. A record already known to be valid UTF-8 as a whole skips the per-field check.
  bool CheckFields(const std::vector<std::string_view>& fields,
                   const std::vector<std::string>* names, RejectReason* why,
                   bool check_utf8 = true) const;

 private:
  bool SetTime(std::string_view v, std::string_view name, Call* call, RejectReason* why);
  bool SetNonNegative(std::string_view v, std::string_view name, double* out, RejectReason* why);

  IngestConfig cfg_;
  int utc_offset_min_;
  Normaliser* norm_;
};

}  // namespace callguard
