// Verified INVITEs per second with a warm certificate cache: parse the INVITE, take the TNs,
// verify the PASSporT (JWS, claims, certificate chain at iat, TNAuthList, ECDSA P-256). Keys and
// certificates are the Asterisk test PKI (tests/data/shaken). Prints one JSON line.
// Usage: shaken_bench SOURCE_DIR [seconds]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "shaken/base64url.h"
#include "shaken/verifier.h"
#include "sip/message.h"

using namespace callguard;

static std::string Read(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: shaken_bench SOURCE_DIR [seconds]\n");
    return 2;
  }
  std::string dir = std::string(argv[1]) + "/tests/data/shaken/asterisk/";
  double secs = argc > 2 ? atof(argv[2]) : 5;
  const char* x5u = "https://certs.example.org/sp1.pem";
  int64_t now = time(nullptr);
  nlohmann::json h = {{"alg", "ES256"}, {"ppt", "shaken"}, {"typ", "passport"}, {"x5u", x5u}};
  nlohmann::json c = {{"attest", "A"},
                      {"dest", {{"tn", {"18005553434"}}}},
                      {"iat", now},
                      {"orig", {{"tn", "18005551212"}}},
                      {"origid", "4437c7eb-8f7a-4f0e-a863-f53a0e60251a"}};
  std::string input = shaken::Base64UrlEncode(h.dump()) + "." + shaken::Base64UrlEncode(c.dump());
  std::string token =
      input + "." +
      shaken::Base64UrlEncode(shaken::SignEs256(Read(dir + "SPAST1-key.pem"), input).value());
  std::string invite =
      "INVITE sip:+18005553434@example.org;user=phone SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
      "From: <sip:+18005551212@example.net;user=phone>;tag=1\r\n"
      "To: <sip:+18005553434@example.org;user=phone>\r\nCall-ID: b1\r\nCSeq: 1 INVITE\r\n"
      "Identity: " +
      token + ";info=<" + x5u + ">;alg=ES256;ppt=shaken\r\nContent-Length: 0\r\n\r\n";
  shaken::TrustStore trust;
  trust.AddPem(Read(dir + "astdev-ca.crt"), "ca");
  shaken::PinnedCertificates certs;
  certs.Pin(x5u, shaken::Certificate::FromPem(Read(dir + "SPAST1-cert.pem")).value());
  shaken::VerifyPolicy policy;
  policy.freshness_s = 3600;
  uint64_t n = 0, passed = 0;
  auto t0 = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < secs) {
    for (int i = 0; i < 100; ++i) {
      sip::Message m;
      sip::Parse(invite.data(), invite.size(), sip::ParseOptions(), &m);
      shaken::VerifyRequest req;
      shaken::RequestFromSip(m, &req);
      req.now = now;
      passed +=
          shaken::Verify(req, trust, certs, policy).outcome == shaken::VerifyResult::Outcome::kPass;
      ++n;
    }
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  printf("{\"verified\":%llu,\"passed\":%llu,\"seconds\":%.3f,\"per_second\":%.0f}\n",
         static_cast<unsigned long long>(n), static_cast<unsigned long long>(passed), elapsed,
         n / elapsed);
  return passed == n ? 0 : 1;
}
