// `callguard shaken verify|sign`: STIR/SHAKEN verification of one INVITE, and signing for tests.
#include <openssl/rand.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "shaken/base64url.h"
#include "shaken/cert_cache.h"
#include "shaken/certificate.h"
#include "shaken/verifier.h"
#include "sip/message.h"

namespace callguard {

namespace {

constexpr const char* kVerifyUsage =
    R"(usage: callguard shaken verify --invite FILE [--trust-anchor CA.pem]... [--cert URL=PATH]...
                               [--now UNIX_SECONDS] [--freshness SECONDS]

Verifies the STIR/SHAKEN Identity header(s) of one SIP INVITE (FILE, or - for standard input)
and prints one JSON object:
  {"result":"pass|fail|none","sip_code":438,"reason":"Invalid Identity Header",
   "verstat":"TN-Validation-Failed","attest":"A","origid":"...","detail":"..."}
sip_code and reason are null on pass (and on none). Exit status 0 whenever it could run.

options:
  --invite FILE         the INVITE, as received (- reads standard input)
  --trust-anchor FILE   STI-CA certificate(s) to trust (PEM; repeatable)
  --cert URL=PATH       use the certificate in PATH for x5u URL instead of fetching it (repeatable)
  --now SECONDS         verify as of this Unix time (default: now)
  --freshness SECONDS   allowed |now - iat| (default 60)
  --crl FILE            certificate revocation list(s) to check chains against (PEM; repeatable)
  --tls-ca FILE         CA bundle for the HTTPS certificate servers (default: the system's)
  --fetch-timeout SECS  connect/read timeout of a certificate fetch (default 2)
  --allow-private-x5u   let x5u point at loopback/private addresses (tests only)

Without a --cert pin for its x5u, the certificate is fetched over HTTPS (https only, port 443
or 8443, at most 64 KiB, no redirects, never from private or local addresses).
)";

constexpr const char* kSignUsage =
    R"(usage: callguard shaken sign --key KEY.pem --x5u URL --attest A|B|C --orig TN --dest TN
                             [--dest TN]... [--iat UNIX] [--origid UUID]

Prints a SHAKEN Identity header value (RFC 8224/8588): a PASSporT signed ES256 with KEY.pem,
followed by ;info=<URL>;alg=ES256;ppt=shaken. For tests, the simulator and SIPp load files.
)";

bool ReadAll(const std::string& path, std::string* out) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    ss << in.rdbuf();
  }
  *out = ss.str();
  return true;
}

// SIPp-style files and hand-written INVITEs often have bare LF line ends: make them CRLF.
std::string ToCrlf(const std::string& in) {
  std::string out;
  out.reserve(in.size() + 64);
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) out.push_back('\r');
    out.push_back(in[i]);
  }
  return out;
}

std::string NewUuid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  char s[37];
  snprintf(s, sizeof s, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
           b[14], b[15]);
  return s;
}

int Verify(int argc, char** argv) {
  auto parsed = Args::Parse(
      argc, argv, {"help", "allow-private-x5u"},
      {"invite", "trust-anchor", "cert", "now", "freshness", "tls-ca", "fetch-timeout", "crl"});
  if (!parsed.ok()) {
    fprintf(stderr, "callguard shaken verify: %s\n\n%s", parsed.status().ToString().c_str(),
            kVerifyUsage);
    return 2;
  }
  const Args& a = parsed.value();
  if (a.Flag("help")) {
    fputs(kVerifyUsage, stdout);
    return 0;
  }
  if (!a.Has("invite")) {
    fprintf(stderr, "callguard shaken verify: --invite is required\n\n%s", kVerifyUsage);
    return 2;
  }
  shaken::TrustStore trust;
  for (const auto& f : a.All("trust-anchor")) {
    Status s = trust.AddFile(f);
    if (!s.ok()) {
      fprintf(stderr, "callguard shaken verify: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  for (const auto& f : a.All("crl")) {
    Status s = trust.AddCrlFile(f);
    if (!s.ok()) {
      fprintf(stderr, "callguard shaken verify: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  shaken::FetchPolicy fetch;
  fetch.allow_private = a.Flag("allow-private-x5u");
  fetch.tls_ca_file = a.Get("tls-ca");
  auto timeout = a.Number("fetch-timeout", 2);
  auto freshness = a.Number("freshness", 60);
  auto now = a.Number("now", static_cast<double>(time(nullptr)));
  for (const auto* r : {&timeout, &freshness, &now}) {
    if (!r->ok()) {
      fprintf(stderr, "callguard shaken verify: %s\n", r->status().ToString().c_str());
      return 2;
    }
  }
  fetch.timeout_s = timeout.value();
  shaken::CertCache pins(fetch, /*background=*/false);
  for (const auto& spec : a.All("cert")) {
    size_t eq = spec.rfind('=');
    std::string pem;
    if (eq == std::string::npos || !ReadAll(spec.substr(eq + 1), &pem)) {
      fprintf(stderr, "callguard shaken verify: --cert %s: expected URL=PATH to a readable file\n",
              spec.c_str());
      return 1;
    }
    auto cert = shaken::Certificate::FromPem(pem);
    if (!cert.ok()) {
      // A pinned file that is not a certificate stands for a URL that serves garbage.
      fprintf(stderr, "callguard shaken verify: --cert %s: %s\n", spec.c_str(),
              cert.status().ToString().c_str());
      continue;
    }
    pins.Pin(spec.substr(0, eq), cert.value());
  }
  shaken::VerifyPolicy policy;
  policy.freshness_s = static_cast<int64_t>(freshness.value());
  std::string raw;
  if (!ReadAll(a.Get("invite"), &raw)) {
    fprintf(stderr, "callguard shaken verify: cannot read %s\n", a.Get("invite").c_str());
    return 1;
  }
  std::string msg = ToCrlf(raw);
  sip::Message m;
  sip::ParseOptions opt;
  sip::ParseError e = sip::Parse(msg.data(), msg.size(), opt, &m);
  nlohmann::ordered_json out;
  if (e != sip::ParseError::kNone || !m.is_request) {
    out["result"] = "fail";
    out["sip_code"] = 400;
    out["reason"] = "Bad Request";
    out["verstat"] = "TN-Validation-Failed";
    out["attest"] = nullptr;
    out["origid"] = nullptr;
    out["detail"] =
        std::string("not a SIP request: ") + std::string(m.error_where) + ": " + m.error_detail;
    printf("%s\n", out.dump().c_str());
    return 0;
  }
  shaken::VerifyRequest req;
  shaken::RequestFromSip(m, &req);
  req.now = static_cast<int64_t>(now.value());
  shaken::VerifyResult r = shaken::Verify(req, trust, pins, policy);
  out["result"] = std::string(shaken::ToString(r.outcome));
  out["sip_code"] = r.sip_code ? nlohmann::json(r.sip_code) : nlohmann::json(nullptr);
  out["reason"] = r.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.reason);
  out["verstat"] = r.verstat;
  out["attest"] = r.attest ? nlohmann::json(std::string(1, r.attest)) : nlohmann::json(nullptr);
  out["origid"] = r.origid.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.origid);
  out["detail"] = r.detail;
  printf("%s\n", out.dump().c_str());
  return 0;
}

int Sign(int argc, char** argv) {
  auto parsed =
      Args::Parse(argc, argv, {"help"}, {"key", "x5u", "attest", "orig", "dest", "iat", "origid"});
  if (!parsed.ok()) {
    fprintf(stderr, "callguard shaken sign: %s\n\n%s", parsed.status().ToString().c_str(),
            kSignUsage);
    return 2;
  }
  const Args& a = parsed.value();
  if (a.Flag("help")) {
    fputs(kSignUsage, stdout);
    return 0;
  }
  for (const char* k : {"key", "x5u", "attest", "orig", "dest"}) {
    if (!a.Has(k)) {
      fprintf(stderr, "callguard shaken sign: --%s is required\n\n%s", k, kSignUsage);
      return 2;
    }
  }
  std::string attest = a.Get("attest");
  if (attest != "A" && attest != "B" && attest != "C") {
    fprintf(stderr, "callguard shaken sign: --attest must be A, B or C\n");
    return 2;
  }
  std::string key;
  if (!ReadAll(a.Get("key"), &key)) {
    fprintf(stderr, "callguard shaken sign: cannot read %s\n", a.Get("key").c_str());
    return 1;
  }
  // Header and claims in the canonical member order of RFC 8225 §9 (lexicographic, no spaces).
  nlohmann::json header = {
      {"alg", "ES256"}, {"ppt", "shaken"}, {"typ", "passport"}, {"x5u", a.Get("x5u")}};
  nlohmann::json dest = nlohmann::json::array();
  for (const auto& d : a.All("dest")) dest.push_back(shaken::CanonicalTn(d));
  auto iat_opt = a.Number("iat", static_cast<double>(time(nullptr)));
  if (!iat_opt.ok()) {
    fprintf(stderr, "callguard shaken sign: %s\n", iat_opt.status().ToString().c_str());
    return 2;
  }
  int64_t iat = static_cast<int64_t>(iat_opt.value());
  nlohmann::json claims = {{"attest", attest},
                           {"dest", {{"tn", dest}}},
                           {"iat", iat},
                           {"orig", {{"tn", shaken::CanonicalTn(a.Get("orig"))}}},
                           {"origid", a.Has("origid") ? a.Get("origid") : NewUuid()}};
  std::string signing_input =
      shaken::Base64UrlEncode(header.dump()) + "." + shaken::Base64UrlEncode(claims.dump());
  auto sig = shaken::SignEs256(key, signing_input);
  if (!sig.ok()) {
    fprintf(stderr, "callguard shaken sign: %s\n", sig.status().ToString().c_str());
    return 1;
  }
  printf("%s.%s;info=<%s>;alg=ES256;ppt=shaken\n", signing_input.c_str(),
         shaken::Base64UrlEncode(sig.value()).c_str(), a.Get("x5u").c_str());
  return 0;
}

}  // namespace

int RunShaken(int argc, char** argv) {
  std::string sub = argc > 0 ? argv[0] : "";
  if (sub == "verify") return Verify(argc - 1, argv + 1);
  if (sub == "sign") return Sign(argc - 1, argv + 1);
  fprintf(stderr, "usage: callguard shaken verify|sign [options]   (--help on each)\n");
  return sub == "--help" ? 0 : 2;
}

}  // namespace callguard
