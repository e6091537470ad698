// The Call model: one call attempt with every field of the call-record contract
// (docs: shared cdr-format.md, version 1), numbers already normalised.
//
// A Call is a plain value owned by whoever reads it (a CDR reader, the SIP server); detectors get
// a const reference for the duration of assess()/observe() and must not keep pointers into it.
// Strings keep their capacity when a Call is reused, so a reader that refills one Call per record
// does not allocate in steady state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace callguard {

// How a number was understood. Anything but kValid keeps the raw text in Number::text and the
// identity detector reports why.
enum class NumberStatus : uint8_t {
  kValid = 0,   // a valid, allocated number (libphonenumber IsValidNumber)
  kWithheld,    // empty or "anonymous"/"private"/"unknown": caller ID withheld
  kShortCode,   // a national short code (110, 95588, 12345): valid only as a short number
  kInvalid,     // parsed, but not a valid or allocated number in the numbering plan
  kUnparsable,  // not a telephone number at all
};
std::string_view ToString(NumberStatus s);

// libphonenumber's PhoneNumberType, mirrored so that public headers do not depend on it.
enum class NumberType : uint8_t {
  kFixedLine = 0,
  kMobile,
  kFixedLineOrMobile,
  kTollFree,
  kPremiumRate,
  kSharedCost,
  kVoip,
  kPersonalNumber,
  kPager,
  kUan,
  kVoicemail,
  kUnknown
};
std::string_view ToString(NumberType t);

// A normalised telephone number.
struct Number {
  // Packed 64-bit key for the hot path: for numbers that parse to E.164, bits 0..49 hold the
  // digits as an integer and bits 50..53 the digit count (so +1 234 and +12 34 differ); for text
  // that is not a number, bit 55 is set and bits 0..54 hold a hash of the text. Bits 56..63 are
  // always 0. 0 means withheld.
  uint64_t key = 0;
  std::string text;  // E.164 ("+8613800138000") when valid, else the raw text
  std::string e164;  // E.164 form when the text parsed to a number at all, else empty
  NumberStatus status = NumberStatus::kWithheld;
  NumberType type = NumberType::kUnknown;
  uint16_t country_code = 0;  // 0 when unknown
  bool domestic = false;      // country_code equals the configured home region's

  bool valid() const { return status == NumberStatus::kValid; }
  bool withheld() const { return status == NumberStatus::kWithheld; }
  // Digits of the E.164 form without '+', or empty.
  std::string_view digits() const {
    return e164.empty() ? std::string_view() : std::string_view(e164).substr(1);
  }
};

enum class Ingress : uint8_t {
  kUnknown = 0,
  kMobile,
  kFixed,
  kVoip,
  kInternational,
  kInterconnect
};
std::string_view ToString(Ingress i);
// Returns false when `s` is not one of the contract's ingress names (empty is kUnknown).
bool ParseIngress(std::string_view s, Ingress* out);

enum class Attestation : uint8_t { kNone = 0, kA, kB, kC };

enum class Label : uint8_t { kUnknown = 0, kScam, kLegit };

// What STIR/SHAKEN verification said at set-up. Call records carry only `attestation` (of a
// verified Identity), so batch scoring sees kUnknown; live screening sets the rest.
enum class ShakenStatus : uint8_t { kUnknown = 0, kNone, kPassed, kFailed };

// An IP address in network byte order; IPv4 is stored v4-mapped (::ffff:a.b.c.d).
struct IpAddress {
  uint8_t bytes[16] = {};
  bool present = false;
  bool is_v4() const;
};
bool ParseIp(std::string_view s, IpAddress* out);

struct Call {
  std::string call_id;
  int64_t start_ms = 0;  // Unix time of set-up in milliseconds (UTC)
  Number caller;
  Number callee;
  bool answered = false;
  double duration_s = 0;  // talk time
  double ring_s = -1;     // set-up to answer/cancel; < 0 when unknown
  Ingress ingress = Ingress::kUnknown;
  std::string trunk;
  std::string origin_country;  // ISO 3166-1 alpha-2, upper case, or empty
  IpAddress origin_ip;
  Attestation attestation = Attestation::kNone;
  ShakenStatus shaken = ShakenStatus::kUnknown;
  bool priority = false;  // emergency or priority call (SIP Resource-Priority): never blocked
  std::string imei;
  std::string cell;
  // STIR/SHAKEN origination identifier (the PASSporT's `origid` claim): the originating
  // provider's opaque id for the customer, trunk or gateway that placed the call. Set only from a
  // verified PASSporT (or a CDR column that carries one); empty when unknown.
  std::string origid;
  // Ground truth, for evaluation only: no detector reads these.
  Label label = Label::kUnknown;
  std::string operation;
  // Position in the input, for error messages ("calls.csv:1234").
  uint64_t source_line = 0;

  int64_t start_s() const { return start_ms >= 0 ? start_ms / 1000 : (start_ms - 999) / 1000; }
  // When the call ended (set-up + ring + talk), used for concurrency.
  int64_t end_ms() const;
};

}  // namespace callguard
