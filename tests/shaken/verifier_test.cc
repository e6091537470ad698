// STIR/SHAKEN verification against other projects' test PKIs (tests/data/shaken: the Asterisk
// testsuite's and libstirshaken's) and tokens broken one step at a time, as the OpenSIPit
// scenarios break them.
#include "shaken/verifier.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "shaken/base64url.h"
#include "sip/message.h"

namespace callguard::shaken {
namespace {

std::string Data(const std::string& rel) {
  std::ifstream in(std::string(CALLGUARD_SOURCE_DIR) + "/tests/data/shaken/" + rel,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char kX5u[] = "https://certs.example.org/sp1.pem";
constexpr int64_t kNow = 1800000000;  // 2027-01-15, inside the Asterisk certificates' validity

nlohmann::json Header() {
  return {{"alg", "ES256"}, {"ppt", "shaken"}, {"typ", "passport"}, {"x5u", kX5u}};
}
nlohmann::json Claims() {
  return {{"attest", "A"},
          {"dest", {{"tn", {"18005553434"}}}},
          {"iat", kNow - 5},
          {"orig", {{"tn", "18005551212"}}},
          {"origid", "4437c7eb-8f7a-4f0e-a863-f53a0e60251a"}};
}

std::string Token(const nlohmann::json& h, const nlohmann::json& c,
                  const std::string& key = Data("asterisk/SPAST1-key.pem")) {
  std::string input = Base64UrlEncode(h.dump()) + "." + Base64UrlEncode(c.dump());
  auto sig = SignEs256(key, input);
  EXPECT_TRUE(sig.ok()) << sig.status().ToString();
  return input + "." + Base64UrlEncode(sig.value());
}

std::string Identity(const std::string& token,
                     const std::string& params = std::string(";info=<") + kX5u +
                                                 ">;alg=ES256;ppt=shaken") {
  return token + params;
}

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(trust_.AddPem(Data("asterisk/astdev-ca.crt"), "astdev-ca").ok());
    ASSERT_TRUE(trust_.AddPem(Data("libstirshaken/ca.pem"), "libstirshaken ca").ok());
    Pin(kX5u, "asterisk/SPAST1-cert.pem");
  }
  void Pin(const std::string& url, const std::string& file) {
    auto c = Certificate::FromPem(Data(file));
    ASSERT_TRUE(c.ok()) << file;
    pins_.Pin(url, c.value());
  }
  VerifyResult Run(const std::vector<std::string>& identities,
                   const std::string& caller = "18005551212",
                   const std::string& callee = "18005553434", int64_t now = kNow) {
    held_ = identities;
    VerifyRequest req;
    for (const auto& i : held_) req.identities.push_back(i);
    req.caller_tn = caller;
    req.called_tn = callee;
    req.now = now;
    return Verify(req, trust_, pins_, policy_);
  }
  VerifyResult Run1(const std::string& identity) { return Run({identity}); }

  TrustStore trust_;
  PinnedCertificates pins_;
  VerifyPolicy policy_;
  std::vector<std::string> held_;
};

// Checks a result's outcome and SIP code, naming the detail on failure.
void ExpectOutcome(const VerifyResult& r, const char* want, int code, int line) {
  EXPECT_EQ(ToString(r.outcome), want) << "line " << line << ": " << r.detail;
  EXPECT_EQ(r.sip_code, code) << "line " << line << ": " << r.detail;
}
#define EXPECT_OUTCOME(r, want, code) ExpectOutcome((r), (want), (code), __LINE__)

TEST(Base64Url, RoundTripAndStrictDecoding) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    std::string back;
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(s), &back));
    EXPECT_EQ(back, s);
  }
  std::string out;
  EXPECT_FALSE(Base64UrlDecode("Zm9v+A", &out));  // '+' is not base64url
  EXPECT_FALSE(Base64UrlDecode("Zg==", &out));    // no padding in JWS
  EXPECT_FALSE(Base64UrlDecode("Zh", &out));      // non-zero trailing bits
  EXPECT_FALSE(Base64UrlDecode("Z", &out));       // impossible length
}

TEST(Certificates, WhatTheTestPkisHold) {
  auto sp1 = Certificate::FromPem(Data("asterisk/SPAST1-cert.pem")).value();
  EXPECT_TRUE(sp1->is_p256());
  EXPECT_EQ(sp1->tn_auth_list(), TnAuthList::kOk);
  EXPECT_EQ(sp1->spc(), "1");
  auto sp2 = Certificate::FromPem(Data("asterisk/SPAST2-cert.pem")).value();
  EXPECT_EQ(sp2->spc(), "2");
  // libstirshaken's SP certificate has a URL string where the DER TNAuthList should be.
  auto ls = Certificate::FromPem(Data("libstirshaken/sp.pem")).value();
  EXPECT_EQ(ls->tn_auth_list(), TnAuthList::kMalformed);
  EXPECT_FALSE(Certificate::FromPem("not a certificate").ok());
  TrustStore t;
  ASSERT_TRUE(t.AddPem(Data("asterisk/astdev-ca.crt"), "ca").ok());
  std::string why;
  EXPECT_TRUE(t.Verify(*sp1, kNow, &why)) << why;
  EXPECT_FALSE(t.Verify(*sp1, kNow + 20LL * 365 * 86400, &why));  // after notAfter
  auto caexp = Certificate::FromPem(Data("asterisk/SPAST1-caexp-cert.pem")).value();
  EXPECT_FALSE(t.Verify(*caexp, kNow, &why));
}

TEST_F(VerifierTest, ValidTokenPasses) {
  VerifyResult r = Run1(Identity(Token(Header(), Claims())));
  EXPECT_OUTCOME(r, "pass", 0);
  EXPECT_EQ(r.verstat, "TN-Validation-Passed");
  EXPECT_EQ(r.attest, 'A');
  EXPECT_EQ(r.spc, "1");
  EXPECT_EQ(r.origid, "4437c7eb-8f7a-4f0e-a863-f53a0e60251a");
}

TEST_F(VerifierTest, CertificateProblemsAre437) {
  // Issued by the always-expired CA.
  Pin(kX5u, "asterisk/SPAST1-caexp-cert.pem");
  trust_.AddPem(Data("asterisk/astdev-ca-expired.crt"), "expired ca");
  EXPECT_OUTCOME(Run1(Identity(Token(Header(), Claims(), Data("asterisk/SPAST1-caexp-key.pem")))),
                 "fail", 437);
  // libstirshaken: signature fine, chain fine, TNAuthList not DER.
  Pin(kX5u, "libstirshaken/sp.pem");
  VerifyResult r = Run1(Identity(Token(Header(), Claims(), Data("libstirshaken/sp.priv"))));
  EXPECT_OUTCOME(r, "fail", 437);
  EXPECT_NE(r.detail.find("TNAuthList"), std::string::npos) << r.detail;
  // wrongsp.pem: issued by a CA nobody trusts.
  Pin(kX5u, "libstirshaken/wrongsp.pem");
  r = Run1(Identity(Token(Header(), Claims(), Data("libstirshaken/sp.priv"))));
  EXPECT_OUTCOME(r, "fail", 437);
  EXPECT_NE(r.detail.find("not trusted"), std::string::npos) << r.detail;
}

TEST_F(VerifierTest, SignatureByAnotherKeyIs438) {
  Pin(kX5u, "asterisk/SPAST2-cert.pem");
  EXPECT_OUTCOME(Run1(Identity(Token(Header(), Claims()))), "fail", 438);
}

TEST_F(VerifierTest, LibstirshakenPassportVerifiesButItsClaimsDoNot) {
  // passport.txt's Identity header: the signature is good (checked directly), the claims are
  // not conformant (orig/dest are strings), so verification fails at the claims.
  std::string txt = Data("libstirshaken/passport.txt");
  size_t at = txt.find("SIP Identity Header with PASSporT is:\n");
  ASSERT_NE(at, std::string::npos);
  std::string header = txt.substr(at + 38);
  header = header.substr(0, header.find('\n'));
  std::string token = header.substr(0, header.find(';'));
  auto cert = Certificate::FromPem(Data("libstirshaken/sp.pem")).value();
  std::string sig;
  ASSERT_TRUE(Base64UrlDecode(token.substr(token.rfind('.') + 1), &sig));
  EXPECT_TRUE(cert->VerifyEs256(token.substr(0, token.rfind('.')), sig));
  policy_.allow_insecure_x5u = true;
  VerifyResult r = Run({header}, "01256789999", "01256500600", 1603458131);
  EXPECT_OUTCOME(r, "fail", 438);
  EXPECT_NE(r.detail.find("orig"), std::string::npos) << r.detail;
}

TEST_F(VerifierTest, BrokenTokensAsInOpenSipit) {
  struct Case {
    const char* name;
    std::function<std::string()> identity;
    const char* outcome;
    int code;
  };
  auto with_claim = [](const char* k, nlohmann::json v) {
    return [k, v] {
      auto c = Claims();
      if (v.is_null()) {
        c.erase(k);
      } else {
        c[k] = v;
      }
      return Identity(Token(Header(), c));
    };
  };
  auto with_header = [](const char* k, nlohmann::json v) {
    return [k, v] {
      auto h = Header();
      if (v.is_null()) {
        h.erase(k);
      } else {
        h[k] = v;
      }
      return Identity(Token(h, Claims()));
    };
  };
  std::vector<Case> cases = {
      {"010 identity garbage", [] { return std::string("garbage"); }, "fail", 438},
      {"011 invalid jwt", [] { return Identity("a.b"); }, "fail", 438},
      {"015 payload not JSON",
       [] {
         std::string in = Base64UrlEncode(Header().dump()) + "." + Base64UrlEncode("aaaaaaaa");
         return Identity(in + "." +
                         Base64UrlEncode(SignEs256(Data("asterisk/SPAST1-key.pem"), in).value()));
       },
       "fail", 438},
      {"016 no info param",
       [] { return Identity(Token(Header(), Claims()), ";alg=ES256;ppt=shaken"); }, "fail", 436},
      {"018 alg param wrong",
       [] {
         return Identity(Token(Header(), Claims()),
                         std::string(";info=<") + kX5u + ">;alg=RS256;ppt=shaken");
       },
       "fail", 437},
      {"020 ppt param not shaken (ignored: not ours)",
       [] {
         return Identity(Token(Header(), Claims()),
                         std::string(";info=<") + kX5u + ">;alg=ES256;ppt=div");
       },
       "none", 0},
      {"header alg", with_header("alg", "RS256"), "fail", 437},
      {"header typ", with_header("typ", "jwt"), "fail", 438},
      {"header ppt", with_header("ppt", "div"), "fail", 438},
      {"header x5u missing", with_header("x5u", nullptr), "fail", 436},
      {"101 iat missing", with_claim("iat", nullptr), "fail", 438},
      {"102 iat in the past", with_claim("iat", kNow - 3600), "fail", 403},
      {"103 iat in the future", with_claim("iat", kNow + 120), "fail", 403},
      {"104 iat far future", with_claim("iat", kNow + 86400 * 365), "fail", 403},
      {"105 iat garbage", with_claim("iat", "aaaa"), "fail", 438},
      {"106 iat negative", with_claim("iat", -5), "fail", 403},
      {"100 iat zero", with_claim("iat", 0), "fail", 403},
      {"300 orig and dest missing",
       [] {
         auto c = Claims();
         c.erase("orig");
         c.erase("dest");
         return Identity(Token(Header(), c));
       },
       "fail", 438},
      {"301 orig missing", with_claim("orig", nullptr), "fail", 438},
      {"302 dest missing", with_claim("dest", nullptr), "fail", 438},
      {"303 orig.tn not matching", with_claim("orig", {{"tn", "18005550000"}}), "fail", 438},
      {"304 dest.tn not matching", with_claim("dest", {{"tn", {"18005550000"}}}), "fail", 438},
      {"305 orig.tn empty", with_claim("orig", {{"tn", ""}}), "fail", 438},
      {"306 dest.tn empty", with_claim("dest", {{"tn", nlohmann::json::array()}}), "fail", 438},
      {"307 orig.tn garbage", with_claim("orig", {{"tn", std::string(2000, 'a')}}), "fail", 438},
      {"308 dest.tn garbage", with_claim("dest", {{"tn", {std::string(2000, 'a')}}}), "fail", 438},
      {"dest.tn not an array", with_claim("dest", {{"tn", "18005553434"}}), "fail", 438},
      {"400 attest missing", with_claim("attest", nullptr), "fail", 438},
      {"401 attest empty", with_claim("attest", ""), "fail", 438},
      {"402 attest invalid", with_claim("attest", "X"), "fail", 438},
      {"403 attest garbage", with_claim("attest", std::string(3000, 'a')), "fail", 438},
      {"origid empty", with_claim("origid", ""), "fail", 438},
      {"501 x5u empty", with_header("x5u", ""), "fail", 436},
      {"http x5u",
       [] {
         auto h = Header();
         h["x5u"] = "http://certs.example.org/sp1.pem";
         return Identity(Token(h, Claims()),
                         ";info=<http://certs.example.org/sp1.pem>;alg=ES256;ppt=shaken");
       },
       "fail", 436},
      {"208 x5u on a non-standard port",
       [] {
         auto h = Header();
         h["x5u"] = "https://certs.example.org:8080/sp1.pem";
         return Identity(Token(h, Claims()),
                         ";info=<https://certs.example.org:8080/sp1.pem>;alg=ES256;ppt=shaken");
       },
       "fail", 436},
      {"x5u with user info",
       [] {
         auto h = Header();
         h["x5u"] = "https://u@certs.example.org/sp1.pem";
         return Identity(Token(h, Claims()),
                         ";info=<https://u@certs.example.org/sp1.pem>;alg=ES256;ppt=shaken");
       },
       "fail", 436},
      {"207 certificate not found",
       [] {
         auto h = Header();
         h["x5u"] = "https://certs.example.org/nothing.pem";
         return Identity(Token(h, Claims()),
                         ";info=<https://certs.example.org/nothing.pem>;alg=ES256;ppt=shaken");
       },
       "fail", 436},
      {"compact form",
       [] {
         std::string t = Token(Header(), Claims());
         return Identity(t.substr(0, t.find('.')) + ".." + t.substr(t.rfind('.') + 1));
       },
       "none", 0},
      {"signature tampered",
       [] {
         std::string t = Token(Header(), Claims());
         t[t.size() - 5] = t[t.size() - 5] == 'A' ? 'B' : 'A';
         return Identity(t);
       },
       "fail", 438},
  };
  for (const auto& c : cases) {
    VerifyResult r = Run1(c.identity());
    EXPECT_EQ(ToString(r.outcome), c.outcome) << c.name << ": " << r.detail;
    EXPECT_EQ(r.sip_code, c.code) << c.name << ": " << r.detail;
  }
}

TEST_F(VerifierTest, PoliciesForMissingAndAnonymous) {
  EXPECT_OUTCOME(Run({}), "none", 0);
  policy_.require_identity = true;
  EXPECT_OUTCOME(Run({}), "fail", 428);
  std::string id = Identity(Token(Header(), Claims()));
  EXPECT_OUTCOME(Run({id}, "anonymous"), "none", 0);
  policy_.reject_anonymous = true;
  EXPECT_OUTCOME(Run({id}, "anonymous"), "fail", 433);
  policy_.codes.invalid_identity = 499;  // the mapping is configurable
  EXPECT_OUTCOME(Run1("garbage"), "fail", 499);
}

TEST_F(VerifierTest, PendingCertificateAnswersNoValidationNow) {
  struct Pending : CertificateSource {
    Lookup Get(const std::string&, std::shared_ptr<const Certificate>*, std::string*) override {
      return Lookup::kPending;
    }
  } pending;
  VerifyRequest req;
  std::string id = Identity(Token(Header(), Claims()));
  req.identities = {id};
  req.caller_tn = "18005551212";
  req.called_tn = "18005553434";
  req.now = kNow;
  VerifyResult r = Verify(req, trust_, pending, policy_);
  EXPECT_OUTCOME(r, "none", 0);
  EXPECT_EQ(r.verstat, "No-TN-Validation");
}

TEST_F(VerifierTest, DivAndShakenTogetherAndStaleDateHeader) {
  std::string div =
      Identity(Token(Header(), Claims()), std::string(";info=<") + kX5u + ">;ppt=div");
  EXPECT_OUTCOME(Run({div, Identity(Token(Header(), Claims()))}), "pass", 0);
  VerifyRequest req;
  std::string id = Identity(Token(Header(), Claims()));
  req.identities = {id};
  req.caller_tn = "18005551212";
  req.called_tn = "18005553434";
  req.now = kNow;
  req.date = "Thu, 01 Jan 2026 00:00:00 GMT";
  EXPECT_OUTCOME(Verify(req, trust_, pins_, policy_), "fail", 403);
}

TEST(RequestFromSip, CallerFromPaiThenFromCalledFromRequestUri) {
  std::string msg =
      "INVITE sip:+1-800-555-3434@example.org;user=phone SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
      "From: <sip:alice@example.net>;tag=1\r\nTo: <sip:bob@example.org>\r\n"
      "Call-ID: x\r\nCSeq: 1 INVITE\r\n"
      "P-Asserted-Identity: <tel:+1-800-555-1212>\r\n"
      "Identity: abc.def.ghi;info=<https://x/y.pem>;alg=ES256;ppt=shaken\r\n"
      "Date: Thu, 01 Jan 2026 00:00:00 GMT\r\nContent-Length: 0\r\n\r\n";
  sip::Message m;
  ASSERT_EQ(sip::Parse(msg.data(), msg.size(), sip::ParseOptions(), &m), sip::ParseError::kNone);
  VerifyRequest req;
  RequestFromSip(m, &req);
  EXPECT_EQ(req.caller_tn, "18005551212");
  EXPECT_EQ(req.called_tn, "18005553434");
  ASSERT_EQ(req.identities.size(), 1u);
  EXPECT_EQ(req.date, "Thu, 01 Jan 2026 00:00:00 GMT");
  std::string anon = msg;
  anon.replace(anon.find("P-Asserted-Identity: <tel:+1-800-555-1212>\r\n"), 44, "");
  anon.replace(anon.find("sip:alice@example.net"), 21, "sip:anonymous@anonymous.invalid");
  ASSERT_EQ(sip::Parse(anon.data(), anon.size(), sip::ParseOptions(), &m), sip::ParseError::kNone);
  RequestFromSip(m, &req);
  EXPECT_EQ(req.caller_tn, "anonymous");
}

}  // namespace
}  // namespace callguard::shaken

namespace callguard::shaken {
namespace {

// The OpenSIPit STIR/SHAKEN suite (40 scenarios, agranig/stirshaken-scenarios): each broken
// token rebuilt with the signer plus the scenario's edit, verified with the response-code
// profile those peers use (436/437 answered as 438; TN problems and a bad iat as 403), and
// compared with the scenario's expected answer (486 there means "accepted by the verifier").
// Deliberate differences are listed with their reason (docs/shaken.md).
TEST_F(VerifierTest, OpenSipitScenariosWithTheirResponseProfile) {
  policy_.codes.bad_identity_info = 438;
  policy_.codes.unsupported_credential = 438;
  policy_.codes.tn_mismatch = 403;
  policy_.codes.bad_iat = 403;
  trust_.AddPem(Data("asterisk/astdev-ca-expired.crt"), "expired ca");
  const std::string kDefault = std::string(";info=<") + kX5u + ">;alg=ES256;ppt=shaken";
  auto claims = [](const char* k, nlohmann::json v) {
    auto c = Claims();
    if (v.is_null()) {
      c.erase(k);
    } else {
      c[k] = v;
    }
    return c;
  };
  auto url_token = [&](const std::string& url) {
    auto h = Header();
    h["x5u"] = url;
    return Identity(Token(h, Claims()), ";info=<" + url + ">;alg=ES256;ppt=shaken");
  };
  struct Scenario {
    const char* id;
    std::string identity;
    int expected;            // the suite's answer; 486 = accepted
    const char* deliberate;  // why we differ, or null
    int64_t now = kNow;
  };
  std::string in15 = Base64UrlEncode(Header().dump()) + "." + Base64UrlEncode("aaaaaaaaaaaaaaaa");
  Pin("https://certs.example.org/expired.pem", "asterisk/SPAST1-caexp-cert.pem");
  Pin("https://certs.example.org/wrongca.pem", "libstirshaken/wrongsp.pem");
  std::vector<Scenario> s = {
      {"000 valid identity", Identity(Token(Header(), Claims())), 486, nullptr},
      {"010 identity garbage", "garbage", 438, nullptr},
      {"011 invalid jwt", Identity("aaaa.bbbb"), 438, nullptr},
      {"015 payload not JSON",
       Identity(in15 + "." +
                Base64UrlEncode(SignEs256(Data("asterisk/SPAST1-key.pem"), in15).value())),
       438, nullptr},
      {"016 info param missing", Identity(Token(Header(), Claims()), ";alg=ES256;ppt=shaken"), 438,
       nullptr},
      {"017 alg param missing",
       Identity(Token(Header(), Claims()), std::string(";info=<") + kX5u + ">;ppt=shaken"), 438,
       "RFC 8224 §4.1: an absent alg parameter means ES256, so the header is valid"},
      {"018 alg param invalid",
       Identity(Token(Header(), Claims()), std::string(";info=<") + kX5u + ">;alg=XX;ppt=shaken"),
       438, nullptr},
      {"019 ppt param missing",
       Identity(Token(Header(), Claims()), std::string(";info=<") + kX5u + ">;alg=ES256"), 438,
       nullptr},
      {"020 ppt param invalid",
       Identity(Token(Header(), Claims()), std::string(";info=<") + kX5u + ">;alg=ES256;ppt=xx"),
       438,
       "RFC 8224 §4.1: an Identity header of an unsupported ppt is ignored, so the call is "
       "No-TN-Validation (accepted), not rejected"},
      {"100 iat zero", Identity(Token(Header(), claims("iat", 0))), 403, nullptr},
      {"101 iat missing", Identity(Token(Header(), claims("iat", nullptr))), 403, nullptr},
      {"102 iat in past", Identity(Token(Header(), claims("iat", kNow - 3600))), 403, nullptr},
      {"103 iat in future", Identity(Token(Header(), claims("iat", kNow + 120))), 403, nullptr},
      {"104 iat far future", Identity(Token(Header(), claims("iat", kNow + 86400 * 400))), 403,
       nullptr},
      {"105 iat garbage", Identity(Token(Header(), claims("iat", "aaaaaaaaaaaaaaaaa"))), 403,
       nullptr},
      {"106 iat negative", Identity(Token(Header(), claims("iat", -kNow))), 403, nullptr},
      {"200 cert expired (issuer expired)",
       Identity(Token(
                    [] {
                      auto h = Header();
                      h["x5u"] = "https://certs.example.org/expired.pem";
                      return h;
                    }(),
                    Claims(), Data("asterisk/SPAST1-caexp-key.pem")),
                ";info=<https://certs.example.org/expired.pem>;alg=ES256;ppt=shaken"),
       438, nullptr},
      {"201 cert in future", Identity(Token(Header(), claims("iat", 1767225600))), 438, nullptr,
       1767225600},
      {"204 cert by untrusted CA",
       Identity(Token(
                    [] {
                      auto h = Header();
                      h["x5u"] = "https://certs.example.org/wrongca.pem";
                      return h;
                    }(),
                    Claims(), Data("libstirshaken/sp.priv")),
                ";info=<https://certs.example.org/wrongca.pem>;alg=ES256;ppt=shaken"),
       438, nullptr},
      {"205 cert garbage", url_token("https://certs.example.org/garbage.pem"), 438, nullptr},
      {"206 cert empty", url_token("https://certs.example.org/empty.pem"), 438, nullptr},
      {"207 cert not found", url_token("https://certs.example.org/404.pem"), 438, nullptr},
      {"208 cert on a non-standard port", url_token("https://certs.example.org:8080/sp1.pem"), 486,
       "ATIS-1000074 x5u policy: https on 443/8443 only (refused before any fetch)"},
      {"300 orig and dest tn missing",
       Identity(Token(Header(),
                      [] {
                        auto c = Claims();
                        c.erase("orig");
                        c.erase("dest");
                        return c;
                      }())),
       403, nullptr},
      {"301 orig tn missing", Identity(Token(Header(), claims("orig", nullptr))), 403, nullptr},
      {"302 dest tn missing", Identity(Token(Header(), claims("dest", nullptr))), 403, nullptr},
      {"303 orig tn not matching", Identity(Token(Header(), claims("orig", {{"tn", "439991009"}}))),
       403, nullptr},
      {"304 dest tn not matching",
       Identity(Token(Header(), claims("dest", {{"tn", {"439991009"}}}))), 403, nullptr},
      {"305 orig tn empty", Identity(Token(Header(), claims("orig", {{"tn", ""}}))), 403, nullptr},
      {"306 dest tn empty",
       Identity(Token(Header(), claims("dest", {{"tn", nlohmann::json::array()}}))), 403, nullptr},
      {"307 orig tn garbage",
       Identity(Token(Header(), claims("orig", {{"tn", std::string(1500, 'a')}}))), 438, nullptr},
      {"308 dest tn garbage",
       Identity(Token(Header(), claims("dest", {{"tn", {std::string(1500, 'a')}}}))), 438, nullptr},
      {"400 attest missing", Identity(Token(Header(), claims("attest", nullptr))), 438, nullptr},
      {"401 attest empty", Identity(Token(Header(), claims("attest", ""))), 438, nullptr},
      {"402 attest invalid", Identity(Token(Header(), claims("attest", "X"))), 438, nullptr},
      {"403 attest garbage", Identity(Token(Header(), claims("attest", std::string(1500, 'a')))),
       438, nullptr},
      {"501 x5u empty",
       Identity(
           Token(
               [] {
                 auto h = Header();
                 h["x5u"] = "";
                 return h;
               }(),
               Claims())),
       486, "ATIS-1000074: x5u must be present and equal to the info parameter"},
      {"502 x5u garbage",
       Identity(
           Token(
               [] {
                 auto h = Header();
                 h["x5u"] = "aaaaaaaa";
                 return h;
               }(),
               Claims())),
       486, "ATIS-1000074: x5u must be present and equal to the info parameter"},
  };
  int same = 0, differ = 0;
  for (const auto& sc : s) {
    held_ = {sc.identity};
    VerifyRequest req;
    req.identities = {held_[0]};
    req.caller_tn = "18005551212";
    req.called_tn = "18005553434";
    req.now = sc.now;
    VerifyResult r = Verify(req, trust_, pins_, policy_);
    int ours = r.outcome == VerifyResult::Outcome::kFail ? r.sip_code : 486;
    if (sc.deliberate) {
      EXPECT_NE(ours, sc.expected) << sc.id << ": listed as a deliberate difference but agrees";
      ++differ;
    } else {
      EXPECT_EQ(ours, sc.expected) << sc.id << ": " << r.detail;
      ++same;
    }
  }
  // 001 (valid with a Date header) and 209 (unresponsive certificate link: No-TN-Validation
  // while the fetch is pending, so the call proceeds) are covered by
  // DivAndShakenTogetherAndStaleDateHeader and PendingCertificateAnswersNoValidationNow.
  EXPECT_EQ(same + differ, 38);
  EXPECT_EQ(differ, 5);
}

}  // namespace
}  // namespace callguard::shaken

namespace callguard::shaken {
namespace {

// A CRL issued by libstirshaken's test CA (its key is public test material), revoking `serial_of`.
std::string MakeCrl(const std::string& ca_pem, const std::string& ca_key_pem,
                    const std::string& revoked_pem) {
  BIO* b = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  X509* ca = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  b = BIO_new_mem_buf(ca_key_pem.data(), static_cast<int>(ca_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  b = BIO_new_mem_buf(revoked_pem.data(), static_cast<int>(revoked_pem.size()));
  X509* revoked = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
  ASN1_TIME* last = ASN1_TIME_set(nullptr, time(nullptr) - 86400);
  ASN1_TIME* next = ASN1_TIME_set(nullptr, time(nullptr) + 86400 * 3650);
  X509_CRL_set1_lastUpdate(crl, last);
  X509_CRL_set1_nextUpdate(crl, next);
  if (revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked));
    X509_REVOKED_set_revocationDate(r, last);
    X509_CRL_add0_revoked(crl, r);
  }
  X509_CRL_sort(crl);
  X509_CRL_sign(crl, key, EVP_sha256());
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_CRL(out, crl);
  char* data = nullptr;
  long n = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(out);
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  X509_CRL_free(crl);
  X509_free(revoked);
  X509_free(ca);
  EVP_PKEY_free(key);
  return pem;
}

TEST(Certificates, RevocationListsAreChecked) {
  auto sp = Certificate::FromPem(Data("libstirshaken/sp.pem")).value();
  std::string why;
  TrustStore plain;
  ASSERT_TRUE(plain.AddPem(Data("libstirshaken/ca.pem"), "ca").ok());
  EXPECT_TRUE(plain.Verify(*sp, time(nullptr), &why)) << why;

  TrustStore revoking;
  ASSERT_TRUE(revoking.AddPem(Data("libstirshaken/ca.pem"), "ca").ok());
  ASSERT_TRUE(revoking
                  .AddCrlPem(MakeCrl(Data("libstirshaken/ca.pem"), Data("libstirshaken/ca.priv"),
                                     Data("libstirshaken/sp.pem")),
                             "crl")
                  .ok());
  EXPECT_FALSE(revoking.Verify(*sp, time(nullptr), &why));
  EXPECT_NE(why.find("revoked"), std::string::npos) << why;

  TrustStore clean;  // a CRL that revokes nothing: the chain passes the check
  ASSERT_TRUE(clean.AddPem(Data("libstirshaken/ca.pem"), "ca").ok());
  ASSERT_TRUE(
      clean
          .AddCrlPem(MakeCrl(Data("libstirshaken/ca.pem"), Data("libstirshaken/ca.priv"), ""),
                     "crl")
          .ok());
  EXPECT_TRUE(clean.Verify(*sp, time(nullptr), &why)) << why;
  EXPECT_FALSE(clean.AddCrlPem("not a crl", "x").ok());
}

}  // namespace
}  // namespace callguard::shaken
