// The SIP redirect server's answers, driven with real messages through a real engine.
#include "sip/screener.h"

#include <gtest/gtest.h>
#include <time.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "core/time.h"

namespace callguard::sip {
namespace {

std::string ReadTorture(const std::string& name) {
  std::ifstream in(std::string(CALLGUARD_SOURCE_DIR) + "/tests/data/rfc4475/" + name + ".dat",
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Invite(const std::string& caller, const std::string& callee, const std::string& id,
                   const std::string& extra = "", const std::string& branch = "") {
  return "INVITE sip:" + callee + "@10.1.1.1:5090;user=phone SIP/2.0\r\n" +
         "Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK" + (branch.empty() ? id : branch) +
         ";rport\r\n" + "From: <sip:" + caller + "@gw.example.net>;tag=f" + id + "\r\n" +
         "To: <sip:" + callee + "@example.net>\r\n" + "Call-ID: " + id + "\r\n" +
         "CSeq: 1 INVITE\r\nMax-Forwards: 70\r\n" + extra + "Content-Length: 0\r\n\r\n";
}

int Code(const std::string& answer) {
  if (answer.size() < 12 || answer.compare(0, 8, "SIP/2.0 ") != 0) return 0;
  return std::stoi(answer.substr(8, 3));
}

class ScreenerTest : public ::testing::Test {
 protected:
  void Make(const std::string& yaml) {
    auto cfg = ParseConfig(yaml, ".");
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    cfg_ = std::make_unique<Config>(std::move(cfg.value()));
    auto e = Engine::Create(*cfg_, std::make_shared<Subscribers>());
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e.value());
    screener_ = std::make_unique<Screener>(engine_.get(), *cfg_, &metrics_,
                                           std::move(Normaliser::Create("CN").value()));
    ParseIp("192.0.2.99", &peer_.ip);
    std::snprintf(peer_.ip_text, sizeof peer_.ip_text, "192.0.2.99");
    peer_.port = 40000;
  }
  void SetUp() override { Make("version: 1\n"); }
  std::string Send(const std::string& msg, int64_t rx = 0) {
    std::string out;
    screener_->Handle(msg.data(), msg.size(), peer_, true, rx == 0 ? WallClockNs() : rx, &out);
    return out;
  }

  std::unique_ptr<Config> cfg_;
  std::unique_ptr<Engine> engine_;
  Metrics metrics_;
  std::unique_ptr<Screener> screener_;
  Peer peer_;
};

TEST_F(ScreenerTest, AllowedCallIsRedirectedToTheOriginalRequestUri) {
  std::string a = Send(Invite("13800138000", "13900139000", "ok1"));
  EXPECT_EQ(Code(a), 302) << a;
  EXPECT_NE(a.find("Contact: <sip:13900139000@10.1.1.1:5090;user=phone>\r\n"), std::string::npos);
  EXPECT_NE(a.find("X-Callguard-Action: allow\r\n"), std::string::npos);
  EXPECT_NE(a.find("Call-ID: ok1\r\n"), std::string::npos);
  EXPECT_NE(a.find("CSeq: 1 INVITE\r\n"), std::string::npos);
  // The top Via gets received= (the source differs from sent-by) and the rport value.
  EXPECT_NE(a.find(";rport=40000;received=192.0.2.99"), std::string::npos) << a;
  EXPECT_NE(a.find("To: <sip:13900139000@example.net>;tag=cg"), std::string::npos);
  EXPECT_EQ(a.substr(a.size() - 4), "\r\n\r\n");
}

TEST_F(ScreenerTest, SpoofedPoliceNumberFromAbroadIsBlockedWithReason) {
  std::string a =
      Send(Invite("110", "13900139000", "b1", "X-Callguard-Ingress: international\r\n"));
  EXPECT_EQ(Code(a), 603) << a;
  EXPECT_NE(a.find("Reason: SIP;cause=603;text=\"Network Blocked\"\r\n"), std::string::npos);
  EXPECT_NE(a.find("X-Callguard-Action: block\r\n"), std::string::npos);
  EXPECT_NE(a.find("X-Callguard-Reason: "), std::string::npos);
  EXPECT_EQ(a.find("Contact:"), std::string::npos);
}

TEST_F(ScreenerTest, BlockCodeAndRedressUrlAreConfigurable) {
  for (int code : {607, 608}) {
    Make("version: 1\nserve:\n  answers:\n    block_code: " + std::to_string(code) +
         "\n    redress_url: https://appeal.example.net/r\n");
    std::string a = Send(Invite("110", "13900139000", "b" + std::to_string(code),
                                "X-Callguard-Ingress: international\r\n"));
    EXPECT_EQ(Code(a), code) << a;
    EXPECT_NE(a.find("Call-Info: <https://appeal.example.net/r>;purpose=info\r\n"),
              std::string::npos);
  }
}

TEST_F(ScreenerTest, LabelledCallCarriesVerstatInTheContactHeaders) {
  Make("version: 1\npolicy:\n  thresholds: {label: 0.01, warn: 0.9999, block: 0.99999}\n");
  std::string a =
      Send(Invite("13800138000", "13900139000", "l1", "X-Callguard-Ingress: international\r\n"));
  EXPECT_EQ(Code(a), 302) << a;
  EXPECT_NE(a.find("X-Callguard-Action: label\r\n"), std::string::npos) << a;
  EXPECT_NE(a.find("?P-Asserted-Identity=%3Csip:13800138000%40gw.example.net%3Bverstat%3D"
                   "Suspected-Scam%3E>"),
            std::string::npos)
      << a;
}

TEST_F(ScreenerTest, RetransmissionGetsTheSameAnswerWithoutRescoring) {
  std::string inv = Invite("110", "13900139000", "r1", "X-Callguard-Ingress: international\r\n");
  std::string a = Send(inv);
  uint64_t scored = engine_->stats().calls;
  std::string b = Send(inv);
  EXPECT_EQ(a, b);
  EXPECT_EQ(engine_->stats().calls, scored);
  EXPECT_EQ(metrics_.sip_retransmissions.load(), 1u);
  // A new transaction (new branch) of the same call is scored again.
  Send(Invite("110", "13900139000", "r1", "X-Callguard-Ingress: international\r\n", "other"));
  EXPECT_EQ(engine_->stats().calls, scored + 1);
}

TEST_F(ScreenerTest, EmergencyAndPriorityCallsAreNeverBlocked) {
  // A caller that is blocked when it calls a mobile...
  std::string hdr = "X-Callguard-Ingress: international\r\n";
  EXPECT_EQ(Code(Send(Invite("110", "13900139000", "e0", hdr))), 603);
  // ...is not blocked when it calls 120 (an emergency number) or carries Resource-Priority.
  EXPECT_EQ(Code(Send(Invite("110", "120", "e1", hdr))), 302);
  EXPECT_EQ(Code(Send(Invite("110", "13900139000", "e2", hdr + "Resource-Priority: esnet.0\r\n"))),
            302);
  EXPECT_EQ(Code(Send(Invite("110", "13900139000", "e3", hdr + "Priority: emergency\r\n"))), 302);
  EXPECT_EQ(metrics_.emergency.load(), 3u);
}

TEST_F(ScreenerTest, LateRequestsFailOpenOrClosedAsConfigured) {
  std::string hdr = "X-Callguard-Ingress: international\r\n";
  int64_t late = WallClockNs() - 50'000'000;  // 50 ms ago, deadline 5 ms
  std::string a = Send(Invite("110", "13900139000", "d1", hdr), late);
  EXPECT_EQ(Code(a), 302) << a;
  EXPECT_NE(a.find("X-Callguard-Reason: fail_open_deadline"), std::string::npos);
  EXPECT_EQ(metrics_.sip_fail_open.load(), 1u);
  Make("version: 1\nserve:\n  fail_open: false\n");
  EXPECT_EQ(Code(Send(Invite("110", "13900139000", "d2", hdr), late)), 503);
}

TEST_F(ScreenerTest, OtherMethods) {
  std::string inv = Invite("13800138000", "13900139000", "m1");
  Send(inv);
  std::string cancel = inv;
  cancel.replace(0, 6, "CANCEL");
  cancel.replace(cancel.find("CSeq: 1 INVITE"), 14, "CSeq: 1 CANCEL");
  EXPECT_EQ(Code(Send(cancel)), 200);
  std::string unknown_cancel = cancel;
  unknown_cancel.replace(unknown_cancel.find("Call-ID: m1"), 11, "Call-ID: zz");
  EXPECT_EQ(Code(Send(unknown_cancel)), 481);
  std::string ack = inv;
  ack.replace(0, 6, "ACK");
  ack.replace(ack.find("CSeq: 1 INVITE"), 14, "CSeq: 1 ACK");
  EXPECT_EQ(Send(ack), "");
  std::string opt = inv;
  opt.replace(0, 6, "OPTIONS");
  opt.replace(opt.find("CSeq: 1 INVITE"), 14, "CSeq: 1 OPTIONS");
  std::string o = Send(opt);
  EXPECT_EQ(Code(o), 200);
  EXPECT_NE(o.find("Allow: INVITE, ACK, CANCEL, OPTIONS"), std::string::npos);
  std::string sub = inv;
  sub.replace(0, 6, "SUBSCRIBE");
  sub.replace(sub.find("CSeq: 1 INVITE"), 14, "CSeq: 1 SUBSCRIBE");
  EXPECT_EQ(Code(Send(sub)), 405);
}

// What the service answers to each RFC 4475 message (0 = no answer).
TEST_F(ScreenerTest, Rfc4475Answers) {
  const std::pair<const char*, int> kWant[] = {
      // Valid INVITEs are screened (302); REGISTER and other methods get 405.
      {"wsinv", 302},
      {"intmeth", 405},
      {"esc01", 302},
      {"escnull", 405},
      {"esc02", 405},
      {"lwsdisp", 200},
      {"longreq", 302},
      {"dblreq", 405},
      {"semiuri", 200},
      {"transports", 200},
      {"mpart01", 405},
      {"unreason", 0},
      {"noreason", 0},
      // Malformed: 400 (505 for the version), responses dropped.
      {"badinv01", 400},
      {"clerr", 400},
      {"ncl", 400},
      {"scalar02", 400},
      {"scalarlg", 0},
      {"quotbal", 400},
      {"ltgtruri", 400},
      {"lwsruri", 400},
      {"lwsstart", 400},
      {"trws", 400},
      {"escruri", 400},
      {"badvers", 505},
      {"mismatch01", 400},
      {"mismatch02", 400},
      {"bigcode", 0},
      // Liberal acceptance.
      {"baddate", 302},
      {"regbadct", 405},
      {"badaspec", 200},
      {"baddn", 200},
      {"badbranch", 200},
      {"insuf", 0},
      {"unkscm", 200},
      {"novelsc", 200},
      {"unksm2", 405},
      {"bext01", 200},
      {"invut", 302},
      {"regaut01", 405},
      {"multi01", 400},
      {"mcl01", 400},
      {"bcast", 0},
      {"zeromf", 200},
      {"cparam01", 405},
      {"cparam02", 405},
      {"regescrt", 405},
      {"sdp01", 302},
      {"inv2543", 302},
  };
  ASSERT_EQ(std::size(kWant), 49u);
  for (const auto& [name, code] : kWant) {
    std::string a = Send(ReadTorture(name));
    EXPECT_EQ(Code(a), code) << name << ":\n" << a;
  }
}

}  // namespace
}  // namespace callguard::sip

namespace callguard::sip {
namespace {

// The whole request path (parse, build the call, assess, answer) on damaged input: every
// RFC 4475 message truncated at many lengths and with random byte flips, over both transports.
// Under ASan (make test-asan) this catches any read outside a view or use of a stale one.
TEST_F(ScreenerTest, DamagedMessagesThroughTheWholePath) {
  std::mt19937 rng(11);
  const char* names[] = {"wsinv",   "intmeth",  "esc01",   "escnull", "longreq", "dblreq",
                         "mpart01", "badinv01", "quotbal", "insuf",   "multi01", "cparam02",
                         "sdp01",   "inv2543",  "badvers", "escruri", "semiuri", "bext01"};
  size_t answered = 0;
  for (const char* name : names) {
    std::string bytes = ReadTorture(name);
    for (size_t n = 1; n <= bytes.size(); n += 1 + n / 32) {
      std::string cut = bytes.substr(0, n);
      std::string out;
      screener_->Handle(cut.data(), cut.size(), peer_, true, WallClockNs(), &out);
      screener_->Handle(cut.data(), cut.size(), peer_, false, WallClockNs(), &out);
      answered += !out.empty();
    }
    for (int k = 0; k < 200; ++k) {
      std::string b = bytes;
      for (int f = 0; f < 3; ++f) b[rng() % b.size()] = static_cast<char>(rng());
      std::string out;
      screener_->Handle(b.data(), b.size(), peer_, true, WallClockNs(), &out);
      if (!out.empty()) {
        EXPECT_EQ(out.compare(0, 8, "SIP/2.0 "), 0) << name;
        EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n") << name;
      }
    }
  }
  EXPECT_GT(answered, 0u);
  // It still answers a clean INVITE afterwards.
  EXPECT_EQ(Code(Send(Invite("13800138000", "13900139000", "after-damage"))), 302);
}

}  // namespace
}  // namespace callguard::sip
