#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "ingest/cdr_reader.h"
#include "sim/eval.h"
#include "sim/scenario.h"
#include "test_util.h"

namespace callguard {
namespace {

using testing::ReadFile;
using testing::TempDir;

sim::Scenario Small() {
  auto s = sim::LoadScenario(std::string(CALLGUARD_SOURCE_DIR) + "/tests/data/sim-small.yaml");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.value();
}

TEST(Simulator, DeterministicForASeed) {
  TempDir a, b, c;
  ASSERT_TRUE(sim::Simulate(Small(), 7, a.path()).ok());
  ASSERT_TRUE(sim::Simulate(Small(), 7, b.path()).ok());
  ASSERT_TRUE(sim::Simulate(Small(), 8, c.path()).ok());
  for (const char* f : {"calls.csv", "subscribers.csv", "truth.json"})
    EXPECT_EQ(ReadFile(a.File(f)), ReadFile(b.File(f))) << f;
  EXPECT_NE(ReadFile(a.File("calls.csv")), ReadFile(c.File("calls.csv")));
}

TEST(Simulator, OutputFollowsTheContractAndIsSortedAndLabelled) {
  TempDir d;
  auto sum = sim::Simulate(Small(), 1, d.path());
  ASSERT_TRUE(sum.ok());
  Config cfg = ParseConfig("version: 1\n", "").value();
  auto r = CdrReader::Open(d.File("calls.csv"), CdrFormat::kAuto, cfg, &testing::TestNormaliser());
  ASSERT_TRUE(r.ok());
  Call c;
  Rejected rej;
  int64_t last = INT64_MIN;
  std::map<std::string, uint64_t> per_op;
  uint64_t calls = 0, scam = 0, invalid_legit = 0;
  for (;;) {
    auto o = (*r)->Next(&c, &rej);
    if (o == CdrReader::Outcome::kEnd) break;
    ASSERT_EQ(o, CdrReader::Outcome::kCall) << rej.message;  // nothing the reader rejects
    ASSERT_GE(c.start_ms, last);
    last = c.start_ms;
    ++calls;
    ASSERT_NE(c.label, Label::kUnknown);
    if (c.label == Label::kScam) {
      ++scam;
      ++per_op[c.operation];
    } else {
      EXPECT_TRUE(c.operation.empty());
      invalid_legit += !c.caller.valid();
    }
  }
  EXPECT_EQ(calls, sum->calls);
  EXPECT_EQ(scam, sum->scam_calls);
  EXPECT_EQ(invalid_legit, 0u);  // legitimate callers have real numbers
  for (const char* op : {"cc", "official", "sims", "ring", "robo", "camo"})
    EXPECT_GT(per_op[op], 50u) << op;
  // Scam share near what the scenario asks for (about 2,900 scam calls a day among ~20,000).
  double share = static_cast<double>(scam) / calls;
  EXPECT_GT(share, 0.05);
  EXPECT_LT(share, 0.25);

  auto truth = nlohmann::json::parse(ReadFile(d.File("truth.json")));
  ASSERT_EQ(truth["operations"].size(), 6u);
  EXPECT_EQ(truth["operations"][0]["type"], "call_centre");
  EXPECT_GT(truth["operations"][0]["numbers"].size(), 10u);
  EXPECT_GT(truth["operations"][0]["victims"].size(), 0u);
  EXPECT_EQ(truth["operations"][2]["devices"].size(), 2u);  // 8 SIMs, 4 per device
  EXPECT_EQ(truth["legitimate"].size(), 9u);
  std::string subs = ReadFile(d.File("subscribers.csv"));
  EXPECT_EQ(subs.rfind("number,line_type,registered_name,age_band,vulnerable,activation_date\n", 0),
            0u);
  EXPECT_NE(subs.find(",60+,"), std::string::npos);
  EXPECT_NE(subs.find("bank line 1"), std::string::npos);
}

TEST(Scenario, UnknownKeysAndBadValuesNameTheirPath) {
  auto s = sim::ParseScenario("version: 1\nsubscribers: {count: 100, cuont: 3}\n", "x.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("subscribers: unknown key 'cuont'"), std::string::npos);
  s = sim::ParseScenario("version: 1\noperations: [{id: a, type: pirates}]\n", "x.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("operations[0].type"), std::string::npos);
  for (const char* name : {"default", "cambodia", "clean", "hard"}) {
    auto sc = sim::LoadScenario(std::string(CALLGUARD_SOURCE_DIR) + "/scenarios/" + name + ".yaml");
    EXPECT_TRUE(sc.ok()) << name << ": " << sc.status().ToString();
  }
}

TEST(Eval, CountsOnAHandMadeRun) {
  TempDir d;
  d.Write("calls.csv",
          "call_id,start_time,caller,callee,answered,duration_s,label,operation\n"
          "1,2026-03-02T09:00:00Z,+8613900000001,+8613800000001,0,0,scam,op1\n"
          "2,2026-03-02T09:01:00Z,+8613900000001,+8613800000002,0,0,scam,op1\n"
          "3,2026-03-02T09:02:00Z,+8613900000001,+8613800000003,0,0,scam,op1\n"
          "4,2026-03-02T09:03:00Z,+8613900000002,+8613800000004,0,0,scam,op1\n"
          "5,2026-03-02T09:04:00Z,+8613700000001,+8613800000005,1,60,legit,\n"
          "6,2026-03-02T09:05:00Z,+8613700000002,+8613800000006,1,60,legit,\n"
          "7,2026-03-02T09:06:00Z,+8613700000002,+8613800000007,1,60,legit,\n"
          "8,2026-03-02T09:07:00Z,+8613700000003,+8613800000008,1,60,legit,\n");
  auto verdict = [](int id, const char* action, const char* code = "x") {
    return "{\"call_id\":\"" + std::to_string(id) + "\",\"action\":\"" + action +
           "\",\"reasons\":[{\"code\":\"" + code + "\"}]}\n";
  };
  d.Write("v.jsonl", verdict(1, "allow") + verdict(2, "label") + verdict(3, "block") +
                         verdict(4, "warn") + verdict(5, "allow") + verdict(6, "block", "dno_cli") +
                         verdict(7, "allow") + verdict(8, "label"));
  d.Write("bad.jsonl",
          verdict(1, "allow") + "not json\n" + "{\"call_id\":7,\"action\":\"block\"}\n");
  auto bad = sim::Evaluate(d.File("calls.csv"), d.File("bad.jsonl"), "", "", sim::EvalOptions{});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->bad_verdict_lines, 2u);
  EXPECT_EQ(bad->first_bad_verdict, d.File("bad.jsonl") + ":2");
  EXPECT_EQ(bad->missing_verdicts, 7u);  // only call 1 had a usable verdict
  EXPECT_NE(bad->Text().find("were not verdicts"), std::string::npos);
  d.Write("b.jsonl", verdict(1, "block") + verdict(2, "block") + verdict(3, "block") +
                         verdict(4, "allow") + verdict(5, "allow") + verdict(6, "allow") +
                         verdict(7, "allow") + verdict(8, "allow"));
  d.Write("truth.json",
          R"({"operations":[{"id":"op1","type":"call_centre"}],
              "legitimate":[{"number":"+8613700000002","category":"courier"}]})");
  auto rep = sim::Evaluate(d.File("calls.csv"), d.File("v.jsonl"), d.File("truth.json"),
                           d.File("b.jsonl"), sim::EvalOptions{0.01});
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  const auto& m = rep->calls;
  EXPECT_EQ(m.scam_calls, 4u);
  EXPECT_EQ(m.legit_calls, 4u);
  EXPECT_DOUBLE_EQ(m.block_precision, 0.5);
  EXPECT_DOUBLE_EQ(m.block_recall, 0.25);
  EXPECT_DOUBLE_EQ(m.block_fpr, 0.25);
  EXPECT_DOUBLE_EQ(m.flag_recall, 0.75);
  EXPECT_DOUBLE_EQ(m.flag_fpr, 0.5);
  // Re-weighted: 0.25 * 0.01 / (0.25 * 0.01 + 0.25 * 0.99).
  EXPECT_NEAR(m.block_precision_at_prevalence, 0.01, 1e-12);
  EXPECT_EQ(rep->baseline.blocked_scam, 3u);
  EXPECT_EQ(rep->baseline.blocked_legit, 0u);
  EXPECT_EQ(rep->scam_numbers, 2u);
  EXPECT_EQ(rep->scam_numbers_blocked, 1u);
  EXPECT_DOUBLE_EQ(rep->ttd_calls_median, 3);
  EXPECT_DOUBLE_EQ(rep->ttd_minutes_median, 2);
  ASSERT_EQ(rep->slowest.size(), 1u);
  EXPECT_EQ(rep->slowest[0].number, "+8613900000001");
  EXPECT_DOUBLE_EQ(rep->slowest[0].calls, 3);
  ASSERT_EQ(rep->operations.size(), 1u);
  EXPECT_EQ(rep->operations[0].numbers, 2u);
  EXPECT_EQ(rep->operations[0].calls_blocked, 1u);
  EXPECT_EQ(rep->legit_categories.at("courier").calls, 2u);
  EXPECT_EQ(rep->legit_categories.at("courier").blocked, 1u);
  ASSERT_EQ(rep->legit_blocked.size(), 1u);
  EXPECT_EQ(rep->legit_blocked[0].number, "+8613700000002");
  EXPECT_EQ(rep->legit_blocked[0].reasons, "dno_cli");
  auto j = nlohmann::json::parse(rep->Json());
  EXPECT_EQ(j["calls"]["block"]["legit_blocked"], 1);
  // The HTML report inlines the charting library and the series it draws.
  ASSERT_EQ(rep->hourly.size(), 1u);
  EXPECT_EQ(rep->hourly[0][3], 2u);  // two blocks in the 09:00 hour
  EXPECT_EQ(rep->reason_counts.at("dno_cli"), 1u);
  std::string html = rep->Html("demo </script> title", "/*CHARTJS*/");
  EXPECT_NE(html.find("/*CHARTJS*/"), std::string::npos);
  EXPECT_EQ(html.find("</script> title"), std::string::npos);  // data cannot close the script
  for (const char* chart : {"'actions'", "'scores'", "'reasons'", "'ttd'"})
    EXPECT_NE(html.find(std::string("getElementById(") + chart), std::string::npos) << chart;
}

}  // namespace
}  // namespace callguard
