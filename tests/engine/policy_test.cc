#include "engine/policy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "engine/verdict_writer.h"
#include "test_util.h"

namespace callguard {
namespace {

Decision D(std::initializer_list<double> weights, bool protect = false, bool block = false,
           bool emergency = false, bool shadow = false) {
  Evidence ev;
  for (double w : weights) ev.Add("t", "code", w, "");
  ev.protected_caller = protect;
  ev.blocklisted = block;
  ev.emergency = emergency;
  return Decide(ev, PolicyConfig(), shadow);
}

TEST(Policy, ScoreFromWeights) {
  EXPECT_DOUBLE_EQ(D({}).score, 0);
  EXPECT_NEAR(D({0.6931}).score, 0.5, 1e-4);
  EXPECT_NEAR(D({1.0, 2.0}).score, 1 - std::exp(-3.0), 1e-12);
  EXPECT_DOUBLE_EQ(D({-3}).score, 0);  // negative totals clamp to no risk
  EXPECT_NEAR(D({3, -1}).score, 1 - std::exp(-2.0), 1e-12);
}

TEST(Policy, ActionLadder) {
  EXPECT_EQ(D({0.5}).action, Action::kAllow);
  EXPECT_EQ(D({0.8}).action, Action::kLabel);
  EXPECT_EQ(D({2.0}).action, Action::kWarn);
  EXPECT_EQ(D({3.5}).action, Action::kBlock);
}

TEST(Policy, ProtectionBlocklistEmergencyAndShadow) {
  EXPECT_EQ(D({5}, /*protect=*/true).action, Action::kLabel);
  EXPECT_EQ(D({5}, true, /*block=*/true).action, Action::kBlock);
  EXPECT_EQ(D({0}, false, /*block=*/true).action, Action::kBlock);
  EXPECT_EQ(D({9}, false, true, /*emergency=*/true).action, Action::kLabel);
  Decision s = D({5}, false, false, false, /*shadow=*/true);
  EXPECT_EQ(s.action, Action::kAllow);
  EXPECT_EQ(s.decided, Action::kBlock);
}

TEST(Policy, ReasonsMostImportantFirst) {
  Evidence ev;
  ev.Add("a", "small", 0.2, "");
  ev.Add("b", "negative", -1.5, "");
  ev.Add("c", "big", 2.0, "");
  Decide(ev, PolicyConfig(), false);
  EXPECT_EQ(ev[0].code, "big");
  EXPECT_EQ(ev[1].code, "negative");
  EXPECT_EQ(ev[2].code, "small");
}

TEST(VerdictJson, MatchesTheContract) {
  Call c = testing::MakeCall("2026-03-02T09:15:04Z", "+8613800138000", "bad\"callee\n");
  c.call_id = "c-000123";
  Evidence ev;
  ev.Add("identity", "intl_ingress_domestic_cli", 2.1,
         "international ingress presenting a domestic mobile number");
  Decision d = Decide(ev, PolicyConfig(), false);
  std::string line;
  AppendVerdictJson(c, d, ev, false, &line);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["call_id"], "c-000123");
  EXPECT_EQ(j["start_time"], "2026-03-02T09:15:04Z");
  EXPECT_EQ(j["caller"], "+8613800138000");
  EXPECT_EQ(j["callee"], "bad\"callee\n");  // raw text of a non-number, escaped
  EXPECT_NEAR(j["score"].get<double>(), 0.8775, 1e-4);
  EXPECT_EQ(j["action"], "warn");
  ASSERT_EQ(j["reasons"].size(), 1u);
  EXPECT_EQ(j["reasons"][0]["detector"], "identity");
  EXPECT_EQ(j["reasons"][0]["code"], "intl_ingress_domestic_cli");
  EXPECT_DOUBLE_EQ(j["reasons"][0]["weight"].get<double>(), 2.1);
  EXPECT_FALSE(j.contains("decided"));
  std::string shadow;
  AppendVerdictJson(c, d, ev, true, &shadow);
  EXPECT_EQ(nlohmann::json::parse(shadow)["decided"], "warn");
}

// The escaper copies 16 bytes at a time while nothing needs escaping: every special byte must be
// caught at every position of a block and of the byte-by-byte tail.
TEST(VerdictJson, EscapesEveryByteAtEveryPosition) {
  auto reference = [](std::string_view s) {
    std::string o = "\"";
    for (char ch : s) {
      unsigned char c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        o += '\\';
        o += ch;
      } else if (c == '\n') {
        o += "\\n";
      } else if (c == '\r') {
        o += "\\r";
      } else if (c == '\t') {
        o += "\\t";
      } else if (c < 0x20) {
        char b[8];
        std::snprintf(b, sizeof b, "\\u%04x", c);
        o += b;
      } else {
        o += ch;
      }
    }
    return o + "\"";
  };
  const std::string specials = std::string("\"\\\n\r\t\x01\x1f", 7) + std::string(1, '\0');
  const std::string plain_edges = "\x20\x7f\x80\xc3\xa9\xff~A";
  for (size_t len = 0; len <= 40; ++len) {
    std::string base;
    for (size_t i = 0; i < len; ++i) base += static_cast<char>('a' + i % 26);
    std::string out;
    AppendJsonString(base, &out);
    ASSERT_EQ(out, reference(base));
    for (size_t pos = 0; pos < len; ++pos) {
      for (char c : specials + plain_edges) {
        std::string s = base;
        s[pos] = c;
        s += base.substr(0, pos % 5);  // and a second special byte later on, sometimes
        if (pos % 3 == 0 && s.size() > pos + 1) s[s.size() - 1] = '"';
        out = "x";  // appends after what is there
        AppendJsonString(s, &out);
        ASSERT_EQ(out, "x" + reference(s))
            << "length " << len << ", byte " << int(c) << " at " << pos;
      }
    }
  }
}

// VerdictWriter writes lines straight into its 1 MiB buffer within their worst-case size:
// lines of every size, including one far larger than the buffer, come out whole and in order.
TEST(VerdictJson, WriterKeepsEveryLineWholeAndInOrder) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/v.jsonl";
  VerdictWriter w;
  ASSERT_TRUE(w.Open(path, false).ok());
  std::string expected;
  for (int i = 0; i < 30000; ++i) {
    Call c = testing::MakeCall("2026-03-02T09:15:04Z", "+8613800138000", "+8613900139000");
    c.call_id = "c-" + std::to_string(i);
    Evidence ev;
    const size_t detail_bytes = i == 15000 ? (size_t{3} << 20) : static_cast<size_t>(i % 300);
    if (i % 3 != 0) ev.Add("behaviour", "fanout_burst", 1.5, std::string(detail_bytes, 'x'));
    Decision d = Decide(ev, PolicyConfig(), false);
    w.Write(c, d, ev);
    AppendVerdictJson(c, d, ev, false, &expected);
    expected.push_back('\n');
  }
  ASSERT_TRUE(w.Close().ok());
  const std::string got = testing::ReadFile(path);
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

TEST(VerdictJson, Decimals) {
  auto f = [](double v) {
    std::string s;
    AppendDecimal(v, &s);
    return s;
  };
  EXPECT_EQ(f(0), "0");
  EXPECT_EQ(f(0.97), "0.97");
  EXPECT_EQ(f(2.1), "2.1");
  EXPECT_EQ(f(-0.5), "-0.5");
  EXPECT_EQ(f(1), "1");
  EXPECT_EQ(f(0.123456), "0.1235");
  EXPECT_EQ(f(12.00004), "12");
}

}  // namespace
}  // namespace callguard
