#include "core/config.h"

#include <gtest/gtest.h>

#include "engine/engine.h"

namespace callguard {
namespace {

std::string Error(const std::string& yaml) {
  auto c = ParseConfig(yaml, "");
  if (!c.ok()) return std::string(c.status().message());
  auto e = Engine::Create(c.value(), nullptr);
  if (!e.ok()) return std::string(e.status().message());
  return "";
}

TEST(Config, DefaultsWhenEmpty) {
  auto c = ParseConfig("version: 1\n", "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->engine.region, "CN");
  EXPECT_EQ(c->engine.utc_offset_min, 480);
  EXPECT_FALSE(c->engine.shadow);
  EXPECT_DOUBLE_EQ(c->policy.label, 0.5);
  EXPECT_DOUBLE_EQ(c->policy.warn, 0.8);
  EXPECT_DOUBLE_EQ(c->policy.block, 0.95);
  EXPECT_TRUE(c->policy.protect_registered);
  EXPECT_DOUBLE_EQ(c->ingest.reorder_tolerance_s, 300);
}

TEST(Config, ReadsValues) {
  auto c = ParseConfig(R"(version: 1
engine: {region: US, utc_offset: "-05:00", mode: shadow, pair_filter_mb: 8}
policy: {thresholds: {label: 0.4, warn: 0.7, block: 0.9}, protect_registered: false}
ingest: {reorder_tolerance: 10m}
)",
                       "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->engine.region, "US");
  EXPECT_EQ(c->engine.utc_offset_min, -300);
  EXPECT_TRUE(c->engine.shadow);
  EXPECT_DOUBLE_EQ(c->policy.block, 0.9);
  EXPECT_FALSE(c->policy.protect_registered);
  EXPECT_DOUBLE_EQ(c->ingest.reorder_tolerance_s, 600);
}

TEST(Config, UnknownKeysNameTheirPath) {
  EXPECT_EQ(Error("version: 1\nfoo: 1\n"), "top level: unknown key 'foo'");
  EXPECT_EQ(Error("version: 1\nengine: {regoin: CN}\n"), "engine: unknown key 'regoin'");
  EXPECT_EQ(Error(R"(version: 1
detectors:
  behaviour:
    windows:
      - {name: short, half_life: 10m}
      - {name: medium, half_life: 2h}
      - {name: long, half_life: 1d, foo: 3}
)"),
            "detectors.behaviour.windows[2]: unknown key 'foo'");
  EXPECT_EQ(Error("version: 1\ndetectors: {bogus: {}}\n"), "detectors: unknown key 'bogus'");
  EXPECT_EQ(Error("version: 1\ndetectors: {identity: {weights: {dno: 3}}}\n"),
            "detectors.identity.weights: unknown key 'dno'");
}

TEST(Config, BadValuesNameTheirPath) {
  EXPECT_EQ(Error("version: 2\n"), "version: must be between 1 and 1");
  EXPECT_EQ(Error("engine: {region: CN}\n"), "version: missing (this release reads 1)");
  EXPECT_EQ(Error("version: 1\nengine: {mode: loud}\n"),
            "engine.mode: 'loud' is not one of: enforce, shadow");
  EXPECT_EQ(Error("version: 1\npolicy: {thresholds: {label: 0.9, warn: 0.5}}\n"),
            "policy.thresholds: thresholds must satisfy label <= warn <= block");
  EXPECT_EQ(Error("version: 1\ningest: {reorder_tolerance: soon}\n"),
            "ingest.reorder_tolerance: expected a duration such as 90, 90s, 250ms, 15m, 2h or 7d");
  EXPECT_EQ(Error("version: 1\nengine: {region: XX}\n"), "engine.region: unknown region 'XX'");
  EXPECT_NE(Error("version: 1\nengine: [1, 2]\n").find("engine: expected a mapping"),
            std::string::npos);
  EXPECT_NE(Error("version: 1\nengine: {\n").find("line"), std::string::npos);
}

TEST(Config, ReportsEveryMistakeAtOnce) {
  std::string e = Error("version: 1\nfoo: 1\nengine: {bar: 2}\n");
  EXPECT_NE(e.find("unknown key 'foo'"), std::string::npos);
  EXPECT_NE(e.find("engine: unknown key 'bar'"), std::string::npos);
}

TEST(Config, LoadsTheShippedExample) {
  auto c = LoadConfig(std::string(CALLGUARD_SOURCE_DIR) + "/config/callguard.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto e = Engine::Create(c.value(), nullptr);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e.value()->detectors().size(), 5u);
}

}  // namespace
}  // namespace callguard

namespace callguard {
namespace {

TEST(ServeConfig, ReadsListenersRulesAndAnswers) {
  auto c = ParseConfig(
      "version: 1\n"
      "serve:\n"
      "  sip: [udp://10.0.0.1:5070]\n"
      "  deadline_ms: 2\n"
      "  tcp_idle_timeout: 250ms\n"
      "  ingress_rules:\n"
      "    - {cidr: 198.51.100.0/24, ingress: international, trunk: intl-1, country: KH}\n"
      "    - {cidr: '2001:db8::/32', ingress: voip}\n"
      "  answers: {block_code: 608, redress_url: 'https://a.example/'}\n",
      "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->serve.sip, std::vector<std::string>{"udp://10.0.0.1:5070"});
  EXPECT_DOUBLE_EQ(c->serve.deadline_ms, 2);
  EXPECT_DOUBLE_EQ(c->serve.tcp_idle_timeout_s, 0.25);
  ASSERT_EQ(c->serve.ingress_rules.size(), 2u);
  IpAddress in, out, v6;
  ASSERT_TRUE(ParseIp("198.51.100.77", &in));
  ASSERT_TRUE(ParseIp("198.51.101.1", &out));
  ASSERT_TRUE(ParseIp("2001:db8:1::5", &v6));
  EXPECT_TRUE(c->serve.ingress_rules[0].Matches(in));
  EXPECT_FALSE(c->serve.ingress_rules[0].Matches(out));
  EXPECT_FALSE(c->serve.ingress_rules[0].Matches(v6));
  EXPECT_TRUE(c->serve.ingress_rules[1].Matches(v6));
  EXPECT_EQ(c->serve.ingress_rules[0].ingress, Ingress::kInternational);
  EXPECT_EQ(c->serve.ingress_rules[0].trunk, "intl-1");
  EXPECT_EQ(c->serve.answers.block_code, 608);
  EXPECT_EQ(c->serve.answers.redress_url, "https://a.example/");
}

TEST(ServeConfig, MistakesNameTheirPath) {
  auto c = ParseConfig(
      "version: 1\n"
      "serve:\n"
      "  sip: [sctp://1.2.3.4:5060]\n"
      "  ingress_rules: [{cidr: 300.1.1.1/8, ingress: pigeon}]\n"
      "  answers: {block_code: 604, colour: red}\n"
      "  nonsense: 1\n",
      "");
  ASSERT_FALSE(c.ok());
  std::string m(c.status().message());
  EXPECT_NE(m.find("serve.sip[0]: expected udp://host:port"), std::string::npos) << m;
  EXPECT_NE(m.find("serve.ingress_rules[0].cidr"), std::string::npos) << m;
  EXPECT_NE(m.find("serve.ingress_rules[0].ingress: unknown ingress 'pigeon'"), std::string::npos)
      << m;
  EXPECT_NE(m.find("serve.answers.block_code: expected 603, 607 or 608"), std::string::npos) << m;
  EXPECT_NE(m.find("serve.answers: unknown key 'colour'"), std::string::npos) << m;
  EXPECT_NE(m.find("serve: unknown key 'nonsense'"), std::string::npos) << m;
}

}  // namespace
}  // namespace callguard
