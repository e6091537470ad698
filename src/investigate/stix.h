// Sharing with partners as STIX 2.1 (docs/stix-phone-number.md).
//
// Export: each operation becomes a `campaign` and an `intrusion-set` (the campaign is
// attributed-to it), its address blocks, devices, trunks and STIR/SHAKEN origination ids
// `infrastructure` the campaign uses,
// and each member number a `phone-number` observable (a new SCO defined by an
// `extension-definition`, shaped like OpenCTI's phone-number observable: `value` in E.164) with
// an `indicator` (pattern [phone-number:value = '+8613...'], valid_until) that indicates the
// campaign, and a `sighting` of the campaign (calls, first and last seen) by us. Pseudonymised
// exports carry no number: the observable holds `hmac_sha256` (HMAC-SHA256 of the E.164 under
// the key the partners share) and the pattern matches on it. Every object carries a TLP marking
// and our identity. Identifiers are UUIDv5 of stable names, and timestamps come from the data
// and --as-of, so the same input gives the same bundle. Victims' numbers are never exported.
//
// Import: the indicators of a bundle become partner indicators (store.partner_indicators) with
// the partner's name (the bundle's producing identity), its confidence, our trust in it and the
// indicator's expiry; screening adds them as evidence (lists detector, `partner_indicator`).
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "callguard/status.h"
#include "core/number.h"
#include "store/store.h"

namespace callguard::investigate {

struct StixExport {
  std::string ops_dir;  // operations.jsonl + membership.csv
  int64_t as_of_ms = 0;
  double since_s = 7 * 86400.0;
  double valid_s = 30 * 86400.0;
  std::string identity = "callguard operator";
  std::string tlp = "amber";
  std::string hmac_key;                // non-empty: pseudonymise the numbers
  std::set<std::string> never_export;  // numbers that must not appear (victims)
};

struct StixExportSummary {
  size_t operations = 0, indicators = 0, objects = 0, withheld = 0;
};

Result<std::string> ExportStix(const StixExport& in, StixExportSummary* sum);

struct StixImportSummary {
  std::string partner;
  size_t indicators = 0, imported = 0, expired = 0, unsupported = 0;
};

// Parses a bundle into partner indicators (`trust` in 0..1). Errors name the object.
Result<std::vector<store::PartnerIndicator>> ParseStixIndicators(const std::string& json,
                                                                 double trust, int64_t now_ms,
                                                                 Normaliser* norm,
                                                                 StixImportSummary* sum);

// Matches the one STIX pattern shape we screen on, `[phone-number:<property> = '<value>']`
// (any whitespace around `=`), and sets `value` (1 to 64 characters, no quote). No other
// comparison, operator or compound expression matches.
bool MatchPhoneNumberPattern(std::string_view pattern, std::string_view property,
                             std::string* value);

// UUIDv5 (RFC 4122) of `name` in `ns` ("00abedb4-aa42-466c-9c01-fed23315a9b7").
std::string UuidV5(const std::string& ns, const std::string& name);

}  // namespace callguard::investigate
