#include "shaken/verifier.h"

#include <time.h>

#include <nlohmann/json.hpp>

#include "shaken/base64url.h"
#include "sip/message.h"

namespace callguard::shaken {

std::string_view ToString(VerifyResult::Outcome o) {
  switch (o) {
    case VerifyResult::Outcome::kPass:
      return "pass";
    case VerifyResult::Outcome::kFail:
      return "fail";
    case VerifyResult::Outcome::kNone:
      return "none";
  }
  return "none";
}

CertificateSource::Lookup PinnedCertificates::Get(const std::string& url,
                                                  std::shared_ptr<const Certificate>* cert,
                                                  std::string* why) {
  auto it = pins_.find(url);
  if (it == pins_.end()) {
    *why = "no certificate for " + url;
    return Lookup::kMissing;
  }
  *cert = it->second;
  return Lookup::kFound;
}

std::string CanonicalTn(std::string_view t) {
  std::string out;
  size_t i = 0;
  if (!t.empty() && t[0] == '+') i = 1;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c >= '0' && c <= '9') {
      out.push_back(c);
    } else if (c == '-' || c == '.' || c == '(' || c == ')' || c == ' ') {
      continue;  // visual separators (RFC 3966)
    } else {
      return "";
    }
  }
  return out;
}

namespace {

using Outcome = VerifyResult::Outcome;

struct IdentityHeader {
  std::string_view token;
  std::string_view info;  // without <>
  std::string_view alg;
  std::string_view ppt;
  bool has_alg = false;
  bool has_ppt = false;
};

std::string_view Unquote(std::string_view s) {
  return s.size() >= 2 && s.front() == '"' && s.back() == '"' ? s.substr(1, s.size() - 2) : s;
}

// "token;info=<url>;alg=ES256;ppt=shaken" (RFC 8224 §4.1). Parameters split on ';' outside <>.
bool ParseIdentity(std::string_view v, IdentityHeader* h) {
  v = sip::TrimLws(v);
  size_t semi = v.find(';');
  h->token = sip::TrimLws(v.substr(0, semi));
  if (h->token.empty()) return false;
  size_t i = semi;
  while (i != std::string_view::npos && i < v.size()) {
    size_t start = i + 1;
    size_t j = start;
    bool in_angle = false;
    while (j < v.size() && (in_angle || v[j] != ';')) {
      if (v[j] == '<') in_angle = true;
      if (v[j] == '>') in_angle = false;
      ++j;
    }
    std::string_view p = sip::TrimLws(v.substr(start, j - start));
    size_t eq = p.find('=');
    std::string_view name = sip::TrimLws(p.substr(0, eq));
    std::string_view val = eq == std::string_view::npos ? "" : sip::TrimLws(p.substr(eq + 1));
    if (sip::EqualsNoCase(name, "info")) {
      if (val.size() < 2 || val.front() != '<' || val.back() != '>') return false;
      h->info = val.substr(1, val.size() - 2);
    } else if (sip::EqualsNoCase(name, "alg")) {
      h->alg = Unquote(val);
      h->has_alg = true;
    } else if (sip::EqualsNoCase(name, "ppt")) {
      h->ppt = Unquote(val);
      h->has_ppt = true;
    }
    i = j < v.size() ? j : std::string_view::npos;
  }
  return true;
}

// x5u policy (ATIS-1000074 §5.3.1 and common practice): https, port 443 or 8443, no user-info,
// query or fragment.
bool X5uAllowed(std::string_view url, bool insecure, std::string* why) {
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (insecure && url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    *why = "x5u is not an https URL";
    return false;
  }
  if (url.find_first_of("?#") != std::string_view::npos) {
    *why = "x5u has a query or fragment";
    return false;
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string_view::npos) {
    *why = "x5u has user information";
    return false;
  }
  if (authority.empty()) {
    *why = "x5u has no host";
    return false;
  }
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.back() != ']') {
    std::string_view port = authority.substr(colon + 1);
    if (!insecure && port != "443" && port != "8443") {
      *why = "x5u port is not 443 or 8443";
      return false;
    }
  }
  return true;
}

bool ParseHttpDate(std::string_view s, int64_t* out) {
  std::string text(s);
  struct tm tm {};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return false;
  *out = static_cast<int64_t>(timegm(&tm));
  return true;
}

class Check {
 public:
  Check(const VerifyPolicy& p, VerifyResult* r) : p_(p), r_(r) {}
  VerifyResult& Fail(int code, const char* reason, std::string detail) {
    r_->outcome = Outcome::kFail;
    r_->sip_code = code;
    r_->reason = reason;
    r_->verstat = "TN-Validation-Failed";
    r_->detail = std::move(detail);
    return *r_;
  }
  VerifyResult& Invalid(std::string detail) {
    return Fail(p_.codes.invalid_identity, "Invalid Identity Header", std::move(detail));
  }
  VerifyResult& BadInfo(std::string detail) {
    return Fail(p_.codes.bad_identity_info, "Bad Identity Info", std::move(detail));
  }
  VerifyResult& TnMismatch(std::string detail) {
    return Fail(p_.codes.tn_mismatch,
                p_.codes.tn_mismatch == 403 ? "Forbidden" : "Invalid Identity Header",
                std::move(detail));
  }
  VerifyResult& BadIat(std::string detail) {
    return Fail(p_.codes.bad_iat,
                p_.codes.bad_iat == 403 ? "Stale Date" : "Invalid Identity Header",
                std::move(detail));
  }
  VerifyResult& Unsupported(std::string detail) {
    return Fail(p_.codes.unsupported_credential, "Unsupported Credential", std::move(detail));
  }

 private:
  const VerifyPolicy& p_;
  VerifyResult* r_;
};

VerifyResult VerifyOne(const IdentityHeader& h, const VerifyRequest& req, const TrustStore& trust,
                       CertificateSource& certs, const VerifyPolicy& policy) {
  VerifyResult r;
  Check c(policy, &r);
  // 3. JWS structure.
  size_t d1 = h.token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : h.token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || h.token.find('.', d2 + 1) != std::string_view::npos)
    return c.Invalid("the PASSporT is not three base64url parts");
  std::string_view h64 = h.token.substr(0, d1);
  std::string_view p64 = h.token.substr(d1 + 1, d2 - d1 - 1);
  std::string_view s64 = h.token.substr(d2 + 1);
  std::string hdr_json, claims_json, sig;
  if (!Base64UrlDecode(h64, &hdr_json)) return c.Invalid("the JWS header is not base64url");
  if (!Base64UrlDecode(p64, &claims_json)) return c.Invalid("the JWS payload is not base64url");
  if (!Base64UrlDecode(s64, &sig)) return c.Invalid("the JWS signature is not base64url");
  nlohmann::json hj = nlohmann::json::parse(hdr_json, nullptr, false);
  nlohmann::json cj = nlohmann::json::parse(claims_json, nullptr, false);
  if (hj.is_discarded() || !hj.is_object()) return c.Invalid("the JWS header is not a JSON object");
  if (cj.is_discarded() || !cj.is_object()) return c.Invalid("the payload is not a JSON object");
  auto str = [](const nlohmann::json& j, const char* k) -> const std::string* {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  // 4. Header.
  const std::string* alg = str(hj, "alg");
  if (!alg || *alg != "ES256") return c.Unsupported("header alg is not ES256");
  if (h.has_alg && h.alg != "ES256") return c.Unsupported("Identity alg parameter is not ES256");
  const std::string* typ = str(hj, "typ");
  if (!typ || *typ != "passport") return c.Invalid("header typ is not passport");
  const std::string* ppt = str(hj, "ppt");
  if (!ppt || *ppt != "shaken") return c.Invalid("header ppt is not shaken");
  // RFC 8225 §8.1: a PASSporT with a ppt extension is carried with the same ppt parameter.
  if (!h.has_ppt) return c.Invalid("Identity has no ppt parameter for a shaken PASSporT");
  if (h.ppt != *ppt) return c.Invalid("Identity ppt parameter differs from the header");
  const std::string* x5u = str(hj, "x5u");
  if (!x5u || x5u->empty()) return c.BadInfo("header has no x5u");
  r.x5u = *x5u;
  if (h.info.empty()) return c.BadInfo("Identity has no info parameter");
  if (h.info != *x5u) return c.BadInfo("Identity info parameter differs from x5u");
  // 5. Claims.
  const std::string* attest = str(cj, "attest");
  if (!attest || attest->size() != 1 || (*attest != "A" && *attest != "B" && *attest != "C"))
    return c.Invalid("attest is not A, B or C");
  r.attest = (*attest)[0];
  const std::string* origid = str(cj, "origid");
  if (!origid || origid->empty()) return c.Invalid("origid is missing or empty");
  r.origid = *origid;
  auto orig = cj.find("orig");
  if (orig == cj.end() || !orig->is_object())
    return c.TnMismatch("orig is missing or not an object");
  const std::string* otn = str(*orig, "tn");
  if (!otn) return c.TnMismatch("orig.tn is missing or not a string");
  if (otn->empty()) return c.TnMismatch("orig.tn is empty");
  std::string orig_tn = CanonicalTn(*otn);
  if (orig_tn.empty()) return c.Invalid("orig.tn is not a telephone number");
  auto dest = cj.find("dest");
  if (dest == cj.end() || !dest->is_object())
    return c.TnMismatch("dest is missing or not an object");
  auto dtn = dest->find("tn");
  if (dtn == dest->end()) return c.TnMismatch("dest.tn is missing");
  if (!dtn->is_array()) return c.Invalid("dest.tn is not an array");
  if (dtn->empty()) return c.TnMismatch("dest.tn is empty");
  for (const auto& t : *dtn)
    if (!t.is_string() || CanonicalTn(t.get<std::string>()).empty())
      return c.Invalid("dest.tn holds something that is not a telephone number");
  auto iat_it = cj.find("iat");
  if (iat_it == cj.end()) return c.BadIat("iat is missing");
  if (!iat_it->is_number_integer()) return c.BadIat("iat is not an integer");
  int64_t iat = iat_it->get<int64_t>();
  // 6. Freshness.
  int64_t age = req.now - iat;
  if (age > policy.freshness_s || -age > policy.freshness_s)
    return c.Fail(policy.codes.stale_date, "Stale Date",
                  "iat is " + std::to_string(age) + " s from now (window " +
                      std::to_string(policy.freshness_s) + " s)");
  if (!req.date.empty()) {
    int64_t date = 0;
    if (ParseHttpDate(req.date, &date)) {
      int64_t d = req.now - date;
      if (d > policy.freshness_s || -d > policy.freshness_s)
        return c.Fail(policy.codes.stale_date, "Stale Date",
                      "Date header is " + std::to_string(d) + " s from now");
    }
  }
  // 7. x5u policy.
  std::string why;
  if (!X5uAllowed(*x5u, policy.allow_insecure_x5u, &why)) return c.BadInfo(why);
  // 8. Certificate.
  std::shared_ptr<const Certificate> cert;
  switch (certs.Get(*x5u, &cert, &why)) {
    case CertificateSource::Lookup::kFound:
      break;
    case CertificateSource::Lookup::kMissing:
      return c.BadInfo("certificate unavailable: " + why);
    case CertificateSource::Lookup::kPending:
      r.outcome = Outcome::kNone;
      r.verstat = "No-TN-Validation";
      r.detail = "certificate not cached yet (fetching " + *x5u + ")";
      return r;
  }
  // 9. Certificate checks.
  if (!trust.Verify(*cert, iat, &why)) return c.Unsupported("certificate not trusted: " + why);
  if (!cert->is_p256()) return c.Unsupported("certificate key is not EC P-256");
  switch (cert->tn_auth_list()) {
    case TnAuthList::kAbsent:
      return c.Unsupported("certificate has no TNAuthList extension");
    case TnAuthList::kMalformed:
      return c.Unsupported("certificate TNAuthList is not valid DER");
    case TnAuthList::kNoSpc:
      return c.Unsupported("certificate TNAuthList holds no SPC");
    case TnAuthList::kOk:
      break;
  }
  r.spc = cert->spc();
  // 10. Signature over "header.payload" as sent.
  if (sig.size() != 64) return c.Invalid("signature is not 64 bytes (raw ES256)");
  if (!cert->VerifyEs256(h.token.substr(0, d2), sig)) return c.Invalid("signature does not verify");
  // 11. Binding to this call.
  if (orig_tn != req.caller_tn)
    return c.TnMismatch("orig.tn " + orig_tn + " is not the asserted caller " + req.caller_tn);
  bool dest_ok = false;
  for (const auto& t : *dtn)
    if (t.is_string() && CanonicalTn(t.get<std::string>()) == req.called_tn) dest_ok = true;
  if (!dest_ok) return c.TnMismatch("the called number " + req.called_tn + " is not in dest.tn");
  r.outcome = Outcome::kPass;
  r.verstat = "TN-Validation-Passed";
  r.detail = "signature, certificate (SPC " + r.spc + ") and numbers verified";
  return r;
}

}  // namespace

VerifyResult Verify(const VerifyRequest& req, const TrustStore& trust, CertificateSource& certs,
                    const VerifyPolicy& policy) {
  VerifyResult none;
  none.outcome = Outcome::kNone;
  none.verstat = "No-TN-Validation";
  // 1. Usable Identity headers: full form (non-empty payload), ppt=shaken.
  std::vector<IdentityHeader> usable;
  bool malformed = false;
  for (std::string_view v : req.identities) {
    IdentityHeader h;
    if (!ParseIdentity(v, &h)) {
      malformed = true;
      continue;
    }
    if (h.has_ppt && h.ppt != "shaken") continue;  // "div" and others: not ours to verify
    size_t d1 = h.token.find('.');
    if (d1 != std::string_view::npos && d1 + 1 < h.token.size() && h.token[d1 + 1] == '.')
      continue;  // compact form (empty payload): cannot be verified without the claims
    usable.push_back(h);
  }
  if (usable.empty()) {
    if (malformed) {
      Check c(policy, &none);
      return c.Invalid("Identity header is not token;info=<...>;alg=...;ppt=...");
    }
    if (policy.require_identity) {
      Check c(policy, &none);
      return c.Fail(policy.codes.use_identity, "Use Identity Header", "no usable Identity header");
    }
    none.detail = "no usable Identity header";
    return none;
  }
  // 2. The asserted caller.
  if (req.caller_tn == "anonymous" || req.caller_tn.empty()) {
    if (policy.reject_anonymous && req.caller_tn == "anonymous") {
      Check c(policy, &none);
      return c.Fail(policy.codes.anonymity_disallowed, "Anonymity Disallowed", "anonymous caller");
    }
    none.detail =
        req.caller_tn.empty() ? "the caller is not a telephone number" : "anonymous caller";
    return none;
  }
  // Each usable header; the first that passes wins, else the first failure is reported.
  VerifyResult first;
  bool have_first = false;
  for (const auto& h : usable) {
    VerifyResult r = VerifyOne(h, req, trust, certs, policy);
    if (r.outcome == Outcome::kPass) return r;
    if (!have_first) {
      first = std::move(r);
      have_first = true;
    }
  }
  return first;
}

void RequestFromSip(const sip::Message& m, VerifyRequest* req) {
  req->identities.assign(m.identities,
                         m.identities + std::min(m.identity_count, sip::kMaxIdentities));
  req->date = m.date;
  auto tn_of = [](const sip::NameAddr& na) -> std::string {
    if (sip::EqualsNoCase(na.uri.user, "anonymous") ||
        sip::EqualsNoCase(na.uri.host, "anonymous.invalid"))
      return "anonymous";
    std::string user;
    sip::Unescape(na.uri.user, &user);
    size_t semi = user.find(';');
    if (semi != std::string::npos) user.resize(semi);
    if (na.uri.IsTel()) return CanonicalTn(user);
    if (!na.uri.IsSip()) return "";
    bool phone = false;
    std::string_view u = sip::FindParam(na.uri.params, "user", &phone);
    bool user_phone = phone && sip::EqualsNoCase(u, "phone");
    std::string tn = CanonicalTn(user);
    // user=phone says so; a user part of digits (with an optional '+') is read the same way,
    // as deployed verifiers do (Asterisk's test INVITEs omit user=phone).
    if (user_phone || (!user.empty() && tn.size() + (user[0] == '+' ? 1 : 0) == user.size()))
      return tn;
    return "";
  };
  if (m.pai_count > 0) {
    req->caller_tn = tn_of(m.pai[0]);
  } else {
    req->caller_tn = tn_of(m.from);
  }
  if (!m.ruri.user.empty()) {
    sip::NameAddr r;
    r.uri = m.ruri;
    req->called_tn = tn_of(r);
  }
  if (req->called_tn.empty()) req->called_tn = tn_of(m.to);
}

}  // namespace callguard::shaken
