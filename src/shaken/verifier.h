// STIR/SHAKEN verification (RFC 8224 Identity header, RFC 8225 PASSporT, RFC 8588 SHAKEN,
// ATIS-1000074 verification service), as a pure function of the request's Identity headers,
// the asserted caller TN, the called TN, the time, a trust list and a certificate source.
//
// Steps, in order (each failure stops and says which): select usable Identity headers (full
// form, ppt=shaken; "div" and other PASSporT types are ignored explicitly); take the asserted
// TN; check the JWS structure, header, claims and freshness; apply the x5u policy; get the
// certificate (a miss answers No-TN-Validation now; the source fetches in the background);
// check its chain at iat, key type and TNAuthList; check the signature; check that orig.tn is
// the asserted caller and that the called TN is in dest.tn. Thread-safe when the source is.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shaken/certificate.h"

namespace callguard::sip {
struct Message;
}

namespace callguard::shaken {

// Where certificates come from: a cache over HTTPS fetches in the service, pinned files in tests
// and on the command line.
class CertificateSource {
 public:
  enum class Lookup { kFound, kMissing, kPending };
  virtual ~CertificateSource() = default;
  // kFound fills *cert; kMissing (the URL cannot give one: 404, not PEM...) fills *why;
  // kPending means "not yet known, being fetched": verification answers No-TN-Validation.
  virtual Lookup Get(const std::string& url, std::shared_ptr<const Certificate>* cert,
                     std::string* why) = 0;
};

// Certificates pinned to URLs (from --cert URL=PATH, or tests); anything else is missing.
class PinnedCertificates : public CertificateSource {
 public:
  void Pin(const std::string& url, std::shared_ptr<const Certificate> cert) { pins_[url] = cert; }
  Lookup Get(const std::string& url, std::shared_ptr<const Certificate>* cert,
             std::string* why) override;

 private:
  std::map<std::string, std::shared_ptr<const Certificate>> pins_;
};

// The SIP answer a verifier sends on each kind of failure; configurable because peers differ.
struct ResponseCodes {
  int bad_identity_info = 436;       // x5u/info unusable, certificate unobtainable
  int unsupported_credential = 437;  // certificate not trusted, wrong key, no TNAuthList/SPC
  int invalid_identity = 438;        // malformed token, bad claims, bad signature
  int tn_mismatch = 438;             // orig/dest missing, empty, or not this call's numbers
  int bad_iat = 438;                 // iat missing or not an integer
  int stale_date = 403;              // iat or Date outside the freshness window
  int use_identity = 428;            // no usable Identity and policy requires one
  int anonymity_disallowed = 433;    // anonymous caller and policy refuses it
};

struct VerifyPolicy {
  int64_t freshness_s = 60;
  bool require_identity = false;    // none usable -> fail 428 instead of none
  bool reject_anonymous = false;    // anonymous caller -> fail 433 instead of none
  bool allow_insecure_x5u = false;  // tests only: http and any port
  ResponseCodes codes;
};

struct VerifyRequest {
  std::vector<std::string_view> identities;  // Identity header values
  std::string caller_tn;  // canonical digits of the asserted caller; "" = none, "anonymous"
  std::string called_tn;  // canonical digits of the called number
  std::string_view date;  // the Date header, when present
  int64_t now = 0;        // Unix seconds
};

struct VerifyResult {
  enum class Outcome { kPass, kFail, kNone };
  Outcome outcome = Outcome::kNone;
  int sip_code = 0;     // 0 on pass and on none without a policy code
  std::string reason;   // reason phrase for sip_code
  std::string verstat;  // TN-Validation-Passed / TN-Validation-Failed / No-TN-Validation
  char attest = 0;      // 'A', 'B', 'C' when the claims were read
  std::string origid;
  std::string spc;  // from the certificate's TNAuthList
  std::string x5u;
  std::string detail;  // what exactly was wrong (or checked)
};
std::string_view ToString(VerifyResult::Outcome o);

VerifyResult Verify(const VerifyRequest& req, const TrustStore& trust, CertificateSource& certs,
                    const VerifyPolicy& policy);

// Canonical TN (RFC 8224 §8.3): the digits of a telephone number without '+', visual
// separators removed; "" when `text` is not a telephone number.
std::string CanonicalTn(std::string_view text);
// Fills identities, caller_tn (P-Asserted-Identity, else From: tel URIs, sip URIs with
// user=phone or a numeric user part), called_tn (Request-URI, else To) and date from a request.
void RequestFromSip(const sip::Message& m, VerifyRequest* req);

}  // namespace callguard::shaken
