// The SIP parser against the 49 RFC 4475 torture messages (exact bytes from
// tests/data/rfc4475, copied from the shared test data) and hand-written cases for screening.
#include "sip/message.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace callguard::sip {
namespace {

std::string TortureDir() { return std::string(CALLGUARD_SOURCE_DIR) + "/tests/data/rfc4475/"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses a copy of `bytes` held in an exactly sized heap buffer, so that ASan reports any read
// past the end.
ParseError ParseExact(const std::string& bytes, Message* m, bool datagram = true) {
  static std::vector<std::unique_ptr<char[]>> keep;  // views must outlive the call
  auto buf = std::make_unique<char[]>(bytes.size() + (bytes.empty() ? 1 : 0));
  std::memcpy(buf.get(), bytes.data(), bytes.size());
  ParseOptions opt;
  opt.datagram = datagram;
  ParseError e = Parse(buf.get(), bytes.size(), opt, m);
  keep.push_back(std::move(buf));
  return e;
}

// The outcome we expect for every message, as we read RFC 4475 (see its README's table).
const std::map<std::string, ParseError>& Expected() {
  static const std::map<std::string, ParseError> k = {
      // §3.1.1: valid, must parse.
      {"wsinv", ParseError::kNone},
      {"intmeth", ParseError::kNone},
      {"esc01", ParseError::kNone},
      {"escnull", ParseError::kNone},
      {"esc02", ParseError::kNone},
      {"lwsdisp", ParseError::kNone},
      {"longreq", ParseError::kNone},
      {"dblreq", ParseError::kNone},
      {"semiuri", ParseError::kNone},
      {"transports", ParseError::kNone},
      {"mpart01", ParseError::kNone},
      {"unreason", ParseError::kNone},
      {"noreason", ParseError::kNone},
      // §3.1.2: malformed.
      {"badinv01", ParseError::kHeader},
      {"clerr", ParseError::kContentLength},
      {"ncl", ParseError::kContentLength},
      {"scalar02", ParseError::kScalarRange},
      {"scalarlg", ParseError::kScalarRange},
      {"quotbal", ParseError::kHeader},
      {"ltgtruri", ParseError::kStartLine},
      {"lwsruri", ParseError::kStartLine},
      {"lwsstart", ParseError::kStartLine},
      {"trws", ParseError::kStartLine},
      {"escruri", ParseError::kStartLine},
      {"badvers", ParseError::kVersion},
      {"mismatch01", ParseError::kCSeqMismatch},
      {"mismatch02", ParseError::kCSeqMismatch},
      {"bigcode", ParseError::kStartLine},
      // §3.1.2.12-15: a liberal element may accept these; we do (screening needs no Date, and
      // the intent of the To/From/Contact is clear).
      {"baddate", ParseError::kNone},
      {"regbadct", ParseError::kNone},
      {"badaspec", ParseError::kNone},
      {"baddn", ParseError::kNone},
      // §3.2-3.4: syntactically fine, except the application-layer ones the parser itself
      // must catch (missing and doubled headers, conflicting lengths).
      {"badbranch", ParseError::kNone},
      {"insuf", ParseError::kMissingHeader},
      {"unkscm", ParseError::kNone},
      {"novelsc", ParseError::kNone},
      {"unksm2", ParseError::kNone},
      {"bext01", ParseError::kNone},
      {"invut", ParseError::kNone},
      {"regaut01", ParseError::kNone},
      {"multi01", ParseError::kDuplicateHeader},
      {"mcl01", ParseError::kContentLength},
      {"bcast", ParseError::kNone},
      {"zeromf", ParseError::kNone},
      {"cparam01", ParseError::kNone},
      {"cparam02", ParseError::kNone},
      {"regescrt", ParseError::kNone},
      {"sdp01", ParseError::kNone},
      {"inv2543", ParseError::kNone},
  };
  return k;
}

TEST(Rfc4475, EveryMessageHasTheExpectedOutcome) {
  ASSERT_EQ(Expected().size(), 49u);
  for (const auto& [name, want] : Expected()) {
    std::string bytes = ReadFile(TortureDir() + name + ".dat");
    ASSERT_FALSE(bytes.empty()) << name;
    Message m;
    ParseError got = ParseExact(bytes, &m);
    EXPECT_EQ(ToString(got), ToString(want))
        << name << ": " << m.error_where << ": " << m.error_detail;
  }
}

TEST(Rfc4475, EveryPrefixAndBitFlipIsSafe) {
  // Truncations at every length and random byte flips: the parser must return (ASan checks
  // that it never reads outside the buffer).
  std::mt19937 rng(7);
  for (const auto& [name, want] : Expected()) {
    std::string bytes = ReadFile(TortureDir() + name + ".dat");
    for (size_t n = 0; n <= bytes.size(); n += 1 + n / 64) {
      Message m;
      ParseExact(bytes.substr(0, n), &m);
      ParseExact(bytes.substr(0, n), &m, /*datagram=*/false);
      FrameLength(bytes.data(), n, 65536);
    }
    for (int k = 0; k < 50; ++k) {
      std::string b = bytes;
      b[rng() % b.size()] = static_cast<char>(rng());
      Message m;
      ParseExact(b, &m);
    }
  }
}

TEST(Rfc4475, WsinvFieldsSurviveFoldingAndOddSpacing) {
  Message m;
  ASSERT_EQ(ParseExact(ReadFile(TortureDir() + "wsinv.dat"), &m), ParseError::kNone);
  EXPECT_TRUE(m.is_request);
  EXPECT_EQ(m.method, "INVITE");
  EXPECT_EQ(m.ruri.user, "vivekg");
  EXPECT_EQ(m.ruri.host, "chair-dnrc.example.com");
  EXPECT_EQ(m.max_forwards, 68);
  EXPECT_EQ(m.cseq, 9u);
  EXPECT_EQ(m.cseq_method, "INVITE");
  ASSERT_EQ(m.via_count, 3);
  EXPECT_EQ(m.vias[0].transport, "UDP");
  EXPECT_EQ(m.vias[0].host, "192.0.2.2");
  EXPECT_EQ(m.vias[0].branch, "390skdjuw");
  EXPECT_EQ(m.vias[1].transport, "TCP");
  EXPECT_EQ(m.vias[1].branch, "z9hG4bK9ikj8");
  EXPECT_EQ(m.vias[2].host, "192.168.255.111");
  EXPECT_EQ(m.vias[2].branch, "z9hG4bK30239");
  EXPECT_EQ(m.to.tag, "1918181833n");
  EXPECT_EQ(m.from.tag, "98asjd8");
  EXPECT_EQ(m.from.uri.user, "jdrosen");
  ASSERT_EQ(m.contact_count, 1);
  EXPECT_EQ(m.contacts[0].uri.user, "jdrosen");
  EXPECT_EQ(m.content_length, 150);
  EXPECT_EQ(m.body.size(), 150u);
}

TEST(Rfc4475, EscapedUserPartsCompareAfterUnescaping) {
  Message m;
  ASSERT_EQ(ParseExact(ReadFile(TortureDir() + "esc01.dat"), &m), ParseError::kNone);
  std::string user;
  Unescape(m.ruri.user, &user);
  EXPECT_EQ(user, "sips:user@example.com");
  Message n;
  ASSERT_EQ(ParseExact(ReadFile(TortureDir() + "escnull.dat"), &n), ParseError::kNone);
  ASSERT_EQ(n.contact_count, 2);
  std::string a, b;
  Unescape(n.contacts[0].uri.user, &a);
  Unescape(n.contacts[1].uri.user, &b);
  EXPECT_EQ(a, std::string(1, '\0'));  // "%00" decodes to one NUL octet
  EXPECT_EQ(b, std::string(2, '\0'));
  EXPECT_NE(a, b);
}

TEST(Rfc4475, PercentInMethodAndHeaderNameIsNotAnEscape) {
  Message m;
  ASSERT_EQ(ParseExact(ReadFile(TortureDir() + "esc02.dat"), &m), ParseError::kNone);
  EXPECT_EQ(m.method, "RE%47IST%45R");
  // "C%6Fntact" is an unknown header, not a Contact: two Contacts, alias1 and alias3.
  ASSERT_EQ(m.contact_count, 2);
  EXPECT_EQ(m.contacts[0].uri.user, "alias1");
  EXPECT_EQ(m.contacts[1].uri.user, "alias3");
}

TEST(Rfc4475, SemicolonInRequestUriUserPart) {
  Message m;
  ASSERT_EQ(ParseExact(ReadFile(TortureDir() + "semiuri.dat"), &m), ParseError::kNone);
  EXPECT_EQ(m.ruri.user, "user;par=u%40example.net");
  EXPECT_EQ(m.ruri.host, "example.com");
}

TEST(Rfc4475, DoubleRequestParsesOnlyTheFirst) {
  Message m;
  std::string bytes = ReadFile(TortureDir() + "dblreq.dat");
  ASSERT_EQ(ParseExact(bytes, &m), ParseError::kNone);
  EXPECT_EQ(m.method, "REGISTER");
  EXPECT_LT(m.size, bytes.size());
}

TEST(Rfc4475, ContactParameterVersusUriParameter) {
  Message a, b;
  ASSERT_EQ(ParseExact(ReadFile(TortureDir() + "cparam01.dat"), &a), ParseError::kNone);
  ASSERT_EQ(ParseExact(ReadFile(TortureDir() + "cparam02.dat"), &b), ParseError::kNone);
  ASSERT_EQ(a.contact_count, 1);
  ASSERT_EQ(b.contact_count, 1);
  EXPECT_NE(a.contacts[0].params.find("unknownparam"), std::string_view::npos);
  EXPECT_EQ(a.contacts[0].uri.params.find("unknownparam"), std::string_view::npos);
  EXPECT_NE(b.contacts[0].uri.params.find("unknownparam"), std::string_view::npos);
}

TEST(Rfc4475, BinaryBodyLengthComesFromContentLength) {
  Message m;
  ASSERT_EQ(ParseExact(ReadFile(TortureDir() + "mpart01.dat"), &m), ParseError::kNone);
  EXPECT_EQ(static_cast<int64_t>(m.body.size()), m.content_length);
}

TEST(Rfc4475, ResponsesAndTheirReasons) {
  Message m;
  ASSERT_EQ(ParseExact(ReadFile(TortureDir() + "noreason.dat"), &m), ParseError::kNone);
  EXPECT_FALSE(m.is_request);
  EXPECT_EQ(m.status_code, 100);
  EXPECT_TRUE(m.reason.empty());
  ASSERT_EQ(ParseExact(ReadFile(TortureDir() + "unreason.dat"), &m), ParseError::kNone);
  EXPECT_EQ(m.status_code, 200);
  EXPECT_FALSE(m.reason.empty());
}

TEST(Rfc4475, LongRequestKeepsEveryVia) {
  Message m;
  ASSERT_EQ(ParseExact(ReadFile(TortureDir() + "longreq.dat"), &m), ParseError::kNone);
  EXPECT_GE(m.via_count, 30);
  EXPECT_EQ(m.via_header_count, m.via_count > 0 ? m.via_header_count : 0);
}

const char kInvite[] =
    "INVITE sip:+8613900139000@screen.example.net;user=phone SIP/2.0\r\n"
    "v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1;rport\r\n"
    "Via: SIP/2.0/TCP 203.0.113.9:5080;branch=z9hG4bK-0,\r\n"
    " SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-x\r\n"
    "f: \"Police\" <sip:110@gw.example.net>;tag=a1\r\n"
    "t: <tel:+8613900139000>\r\n"
    "i: call-1@10.0.0.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Max-Forwards: 69\r\n"
    "P-Asserted-Identity: <sip:+85512345678@gw.example.net;user=phone>, <tel:+85512345678>\r\n"
    "Identity: "
    "eyJhbGciOiJFUzI1NiJ9.eyJ9.c2ln;info=<https://cert.example.org/a.pem>;alg=ES256;ppt=shaken\r\n"
    "Resource-Priority: ets.0\r\n"
    "Priority: emergency\r\n"
    "m: <sip:caller@10.0.0.1:5060>\r\n"
    "l: 0\r\n"
    "\r\n";

TEST(SipParser, ExtractsEverythingScreeningReads) {
  Message m;
  ASSERT_EQ(ParseExact(kInvite, &m), ParseError::kNone) << m.error_where << m.error_detail;
  EXPECT_EQ(m.ruri.user, "+8613900139000");
  ASSERT_EQ(m.via_count, 3);
  EXPECT_TRUE(m.vias[0].has_rport);
  EXPECT_EQ(m.vias[0].port, "5060");
  EXPECT_EQ(m.vias[2].host, "[2001:db8::1]");
  EXPECT_EQ(m.via_header_count, 2);
  EXPECT_EQ(m.from.display, "Police");
  EXPECT_EQ(m.from.uri.user, "110");
  EXPECT_TRUE(m.to.uri.IsTel());
  EXPECT_EQ(m.to.uri.user, "+8613900139000");
  EXPECT_EQ(m.call_id, "call-1@10.0.0.1");
  ASSERT_EQ(m.pai_count, 2);
  EXPECT_EQ(m.pai[0].uri.user, "+85512345678");
  EXPECT_TRUE(m.pai[1].uri.IsTel());
  ASSERT_EQ(m.identity_count, 1);
  EXPECT_EQ(m.resource_priority, "ets.0");
  EXPECT_EQ(m.priority, "emergency");
  EXPECT_EQ(m.max_forwards, 69);
  EXPECT_EQ(m.content_length, 0);
}

TEST(SipParser, StreamFramingUsesContentLength) {
  std::string two = std::string(kInvite) + kInvite;
  int64_t n = FrameLength(two.data(), two.size(), 65536);
  EXPECT_EQ(n, static_cast<int64_t>(std::strlen(kInvite)));
  EXPECT_EQ(FrameLength(two.data(), 40, 65536), 0);  // needs more bytes
  std::string nocl = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n";
  EXPECT_EQ(FrameLength(nocl.data(), nocl.size(), 65536), -1);
  std::string huge(70000, 'a');
  EXPECT_EQ(FrameLength(huge.data(), huge.size(), 65536), -1);
  EXPECT_EQ(FrameLength("\r\n\r\n", 4, 65536), 4);  // keep-alive
}

TEST(SipParser, StreamRequiresContentLength) {
  std::string nocl = std::string(kInvite);
  nocl.replace(nocl.find("l: 0\r\n"), 6, "");
  Message m;
  EXPECT_EQ(ParseExact(nocl, &m, /*datagram=*/false), ParseError::kContentLength);
  EXPECT_EQ(ParseExact(nocl, &m, /*datagram=*/true), ParseError::kNone);
}

TEST(SipParser, HeadersWithoutValuesAndBinaryAreErrorsNotCrashes) {
  Message m;
  EXPECT_EQ(ParseExact("INVITE sip:a@b SIP/2.0\r\nVia:\r\nFrom:\r\n\r\n", &m), ParseError::kHeader);
  EXPECT_EQ(m.error_where, "Via");
  EXPECT_EQ(ParseExact(std::string("\x00\x01\x02\xff", 4), &m), ParseError::kStartLine);
  EXPECT_EQ(ParseExact("\r\n\r\n", &m), ParseError::kEmpty);
  EXPECT_EQ(ParseExact("", &m), ParseError::kEmpty);
}

}  // namespace
}  // namespace callguard::sip
