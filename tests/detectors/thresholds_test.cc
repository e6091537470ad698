#include "detectors/thresholds/thresholds.h"

#include <random>

#include "detector_test_util.h"
#include "engine/snapshot.h"

namespace callguard {
namespace {

using namespace testing;         // NOLINT
const int64_t kT0 = 1772409600;  // Monday 2026-03-02 08:00 in China (UTC+8)

std::string Rule(const std::string& fields) {
  return Only("thresholds", "{rules: [{ruleid: 7, prefix: \"44\", " + fields + "}]}");
}

TEST(Thresholds, CallsPerMinute) {
  auto e = EngineFor(Rule("cpm_warning: 3, cpm_critical: 5"));
  std::vector<std::set<std::string>> got;
  for (int i = 0; i < 5; ++i)
    got.push_back(Codes(*e, MakeCallAt(kT0 + i, "+8613800138000", "+442070000000")));
  EXPECT_TRUE(got[1].empty());
  EXPECT_EQ(got[2], (std::set<std::string>{"thr_cpm_warning"}));
  EXPECT_EQ(got[4], (std::set<std::string>{"thr_cpm_critical"}));
  EXPECT_NE(Detail(*e, "thr_cpm_critical").find("rule 7"), std::string::npos);
  // A new minute starts afresh; other prefixes and other callers are not counted.
  EXPECT_TRUE(Codes(*e, MakeCallAt(kT0 + 61, "+8613800138000", "+442070000000")).empty());
  EXPECT_TRUE(Codes(*e, MakeCallAt(kT0 + 62, "+8613800138000", "+8613900139000")).empty());
  EXPECT_TRUE(Codes(*e, MakeCallAt(kT0 + 63, "+8613800138001", "+442070000000")).empty());
}

TEST(Thresholds, TotalCallsPerDayAndSequentialCalls) {
  auto e = EngineFor(Rule("total_calls_warning: 4, sequential_calls_critical: 3"));
  std::set<std::string> c;
  c = Codes(*e, MakeCallAt(kT0, "+8613800138000", "+442070000001"));
  c = Codes(*e, MakeCallAt(kT0 + 100, "+8613800138000", "+442070000002"));
  c = Codes(*e, MakeCallAt(kT0 + 200, "+8613800138000", "+442070000002"));
  EXPECT_TRUE(c.empty());
  c = Codes(*e, MakeCallAt(kT0 + 300, "+8613800138000", "+442070000002"));  // 3rd in a row
  EXPECT_EQ(c, (std::set<std::string>{"thr_sequential_calls_critical", "thr_total_calls_warning"}));
  // The next local day starts afresh (16:00 UTC is midnight in China).
  c = Codes(*e, MakeCallAt(kT0 + 16 * 3600, "+8613800138000", "+442070000003"));
  EXPECT_TRUE(c.empty());
}

TEST(Thresholds, ConcurrentCallsAndCallsPerSecond) {
  auto e = EngineFor(Rule("concurrent_calls_warning: 3, cps_critical: 2"));
  std::set<std::string> c =
      Codes(*e, MakeCallAt(kT0, "+8613800138000", "+442070000001", true, 600));
  c = Codes(*e, MakeCallAt(kT0, "+8613800138000", "+442070000002", true, 600));
  EXPECT_EQ(c, (std::set<std::string>{"thr_cps_critical"}));
  c = Codes(*e, MakeCallAt(kT0 + 5, "+8613800138000", "+442070000003", true, 600));
  EXPECT_EQ(c, (std::set<std::string>{"thr_concurrent_calls_warning"}));
  c = Codes(*e, MakeCallAt(kT0 + 3600, "+8613800138000", "+442070000004", true, 60));
  EXPECT_TRUE(c.empty());
}

// A catch-all rule takes its calls in progress from the engine's count of the caller's calls,
// less those under the other rules. Checked against a brute-force count over random calls
// that mix both rules, overlapping and not, for a few callers.
TEST(Thresholds, ConcurrentCallsPerRuleWithACatchAllRule) {
  auto e = EngineFor(Only("thresholds", R"({rules: [
      {ruleid: 1, prefix: "", concurrent_calls_warning: 1},
      {ruleid: 2, prefix: "44", concurrent_calls_warning: 1}]})"));
  struct Past {
    std::string caller;
    int rule;
    int64_t end_s;
  };
  std::vector<Past> past;
  std::mt19937 rng(11);
  int64_t t = kT0;
  int checked[3] = {};
  for (int i = 0; i < 3000; ++i) {
    t += 2 * static_cast<int64_t>(rng() % 8);  // even seconds; every end below is odd
    const std::string caller = "+861380013800" + std::to_string(rng() % 3);
    const bool abroad = rng() % 2;
    const std::string callee =
        abroad ? "+44207000" + std::to_string(1000 + rng() % 9000) : "+8613900139000";
    const bool answered = rng() % 4 != 0;
    Call c = MakeCallAt(t, caller, callee, answered, 2.0 * (rng() % 100));  // ring 5 s
    int expected = 0;
    for (const auto& p : past)
      expected += p.caller == caller && p.rule == (abroad ? 2 : 1) && p.end_s > t;
    Codes(*e, c);
    const std::string d = Detail(*e, "thr_concurrent_calls_warning");
    ASSERT_FALSE(d.empty()) << "call " << i;
    EXPECT_EQ(std::stoi(d), expected + 1) << "call " << i << ": " << d;
    EXPECT_NE(d.find(abroad ? "(rule 2 " : "(rule 1 "), std::string::npos) << d;
    ++checked[std::min(expected, 2)];
    past.push_back({caller, abroad ? 2 : 1, c.end_ms() / 1000});
  }
  // The stream had calls alone, with one other and with several others in progress.
  EXPECT_GT(checked[0], 100);
  EXPECT_GT(checked[1], 100);
  EXPECT_GT(checked[2], 100);
}

TEST(Thresholds, CallDurationRaisesLaterCalls) {
  auto e = EngineFor(Rule("call_duration_warning: 1800, call_duration_critical: 3600"));
  EXPECT_TRUE(Codes(*e, MakeCallAt(kT0, "+8613800138000", "+442070000001", true, 2000)).empty());
  EXPECT_EQ(Codes(*e, MakeCallAt(kT0 + 2100, "+8613800138000", "+442070000001", true, 4000)),
            (std::set<std::string>{"thr_call_duration_warning"}));
  EXPECT_EQ(Codes(*e, MakeCallAt(kT0 + 6200, "+8613800138000", "+442070000001", true, 10)),
            (std::set<std::string>{"thr_call_duration_critical"}));
}

TEST(Thresholds, TimeWindowsProfilesAndLongestPrefix) {
  auto e = EngineFor(Only("thresholds", R"({profile: 2, rules: [
      {ruleid: 1, profileid: 2, prefix: "44", cpm_warning: 1},
      {ruleid: 2, profileid: 2, prefix: "4420", start_hour: "09:00", end_hour: "17:00",
       daysoftheweek: "Mon-Fri", cpm_warning: 100},
      {ruleid: 3, profileid: 1, prefix: "", cpm_warning: 1}]})"));
  // 08:00 local: rule 2 (longer prefix) is outside its hours, so rule 1 applies.
  auto c = Codes(*e, MakeCallAt(kT0, "+8613800138000", "+442070000001"));
  EXPECT_EQ(c, (std::set<std::string>{"thr_cpm_warning"}));
  EXPECT_NE(Detail(*e, "thr_cpm_warning").find("rule 1"), std::string::npos);
  // 10:00 local: rule 2 matches and its limit is high.
  EXPECT_TRUE(Codes(*e, MakeCallAt(kT0 + 7200, "+8613800138000", "+442070000001")).empty());
  // Other profiles' rules do not apply.
  EXPECT_TRUE(Codes(*e, MakeCallAt(kT0 + 7300, "+8613800138000", "+8613900139000")).empty());
}

TEST(Thresholds, ResetForgetsOneNumber) {
  auto e = EngineFor(Rule("total_calls_warning: 2"));
  auto* t = dynamic_cast<ThresholdsDetector*>(e->FindDetector("thresholds"));
  Codes(*e, MakeCallAt(kT0, "+8613800138000", "+442070000001"));
  Codes(*e, MakeCallAt(kT0, "+8613800138001", "+442070000001"));
  EXPECT_EQ(t->tracked(), 2u);
  EXPECT_EQ(t->ResetNumber(PackE164("8613800138000")), 1u);
  EXPECT_EQ(t->tracked(), 1u);
  EXPECT_TRUE(Codes(*e, MakeCallAt(kT0 + 10, "+8613800138000", "+442070000001")).empty());
  EXPECT_FALSE(Codes(*e, MakeCallAt(kT0 + 10, "+8613800138001", "+442070000001")).empty());
}

TEST(Thresholds, ReloadStartsTheCountersAfresh) {
  auto e = EngineFor(Rule("total_calls_warning: 2, concurrent_calls_warning: 2"));
  auto* t = dynamic_cast<ThresholdsDetector*>(e->FindDetector("thresholds"));
  Codes(*e, MakeCallAt(kT0, "+8613800138000", "+442070000001", true, 600));
  EXPECT_EQ(t->tracked(), 1u);
  ASSERT_TRUE(e->Reload().ok());
  EXPECT_EQ(t->tracked(), 0u);
  // Without the reload this second call would be the second of the day, with one in progress.
  EXPECT_TRUE(Codes(*e, MakeCallAt(kT0 + 10, "+8613800138000", "+442070000002")).empty());
  EXPECT_EQ(t->tracked(), 1u);
}

TEST(Thresholds, CountersSurviveASnapshotInEveryLayout) {
  const std::string rule = Rule("total_calls_warning: 3");
  auto e = EngineFor(rule);
  auto* t = dynamic_cast<ThresholdsDetector*>(e->FindDetector("thresholds"));
  EXPECT_TRUE(Codes(*e, MakeCallAt(kT0, "+8613800138000", "+442070000001")).empty());
  EXPECT_TRUE(Codes(*e, MakeCallAt(kT0 + 10, "+8613800138000", "+442070000002")).empty());
  EXPECT_GT(t->memory_bytes(), 0u);
  TempDir d;
  {
    auto w = SnapshotWriter::Create(d.path() + "/new.snap");
    ASSERT_TRUE(w.ok());
    t->Save(**w);
    ASSERT_TRUE((*w)->Commit().ok());
  }
  {
    // The first layout (section THRS, 56 bytes of counters per (caller, rule)), as snapshots
    // written before the counters were compacted hold it: two calls today, the last at kT0+10.
    auto w = SnapshotWriter::Create(d.path() + "/old.snap");
    ASSERT_TRUE(w.ok());
    struct {
      int64_t minute, second, day;
      uint64_t last_dial;
      uint32_t cpm, cps, total, seq;
      double long_call_s;
    } old{(kT0 + 10) / 60, kT0 + 10, (kT0 + 10 + 8 * 3600) / 86400, 0, 1, 1, 2, 1, 0};
    (*w)->BeginSection("THRS");
    (*w)->Put<uint64_t>(1);
    (*w)->Put<uint64_t>(PackE164("8613800138000"));
    (*w)->Put<uint32_t>(0);
    (*w)->Put(old);
    (*w)->Put<uint64_t>(0);
    (*w)->EndSection();
    ASSERT_TRUE((*w)->Commit().ok());
  }
  {
    // The second layout (section THR2, 32-byte counters with a 64-bit time), as snapshots
    // written before the counters shrank to 24 bytes hold it: the same two calls.
    auto w = SnapshotWriter::Create(d.path() + "/thr2.snap");
    ASSERT_TRUE(w.ok());
    struct {
      int64_t last_s;
      uint32_t last_dial, total, long_call_s;
      uint16_t cpm, cps, seq;
    } v2{kT0 + 10, 12345, 2, 0, 1, 1, 1};
    (*w)->BeginSection("THR2");
    (*w)->Put<uint64_t>(1);
    (*w)->Put<uint64_t>(PackE164("8613800138000"));  // rule index 0 in the top byte
    (*w)->Put(v2);
    (*w)->Put<uint64_t>(0);
    (*w)->EndSection();
    ASSERT_TRUE((*w)->Commit().ok());
  }
  for (const char* name : {"new.snap", "old.snap", "thr2.snap"}) {
    SCOPED_TRACE(name);
    auto e2 = EngineFor(rule);
    auto* t2 = dynamic_cast<ThresholdsDetector*>(e2->FindDetector("thresholds"));
    auto r = SnapshotReader::Open(d.path() + "/" + name);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(t2->Load(**r).ok());
    EXPECT_EQ(t2->tracked(), 1u);
    // The third call of the day warns: the two before were restored.
    EXPECT_EQ(Codes(*e2, MakeCallAt(kT0 + 20, "+8613800138000", "+442070000003")),
              (std::set<std::string>{"thr_total_calls_warning"}));
  }
}

TEST(Thresholds, AtMost256RulesPerProfile) {
  std::string rules;
  for (int i = 0; i < 257; ++i)
    rules += (i ? ", " : "") + std::string("{ruleid: ") + std::to_string(i + 1) + ", prefix: \"" +
             std::to_string(100 + i) + "\", cpm_warning: 5}";
  auto cfg = ParseConfig("version: 1\ndetectors: {thresholds: {rules: [" + rules + "]}}\n", ".");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto e = Engine::Create(cfg.value(), nullptr);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("257 rules; at most 256"), std::string::npos)
      << e.status().message();
}

TEST(Thresholds, OpenSipsStyleRuleFile) {
  TempDir d;
  d.Write("rules.csv",
          "ruleid,profileid,prefix,start_hour,end_hour,daysoftheweek,cpm_warning,cpm_critical,"
          "call_duration_warning,call_duration_critical,total_calls_warning,total_calls_critical,"
          "concurrent_calls_warning,concurrent_calls_critical,sequential_calls_warning,"
          "sequential_calls_critical\n"
          "1,1,855,00:00,23:59,\"Fri-Mon, Wed\",2,4,0,0,0,0,0,0,0,0\n");
  auto e = EngineFor(Only("thresholds", "{rule_files: [rules.csv]}"), d.path());
  Codes(*e, MakeCallAt(kT0, "+8613800138000", "+85512345678"));
  EXPECT_EQ(Codes(*e, MakeCallAt(kT0 + 1, "+8613800138000", "+85512345678")),
            (std::set<std::string>{"thr_cpm_warning"}));
  // Tuesday: not in the rule's days.
  EXPECT_TRUE(Codes(*e, MakeCallAt(kT0 + 86400, "+8613800138000", "+85512345678")).empty());

  d.Write("bad.csv", "ruleid,prefix,cpm_warning\n1,+855,2\n");
  auto cfg =
      ParseConfig("version: 1\ndetectors: {thresholds: {rule_files: [bad.csv]}}\n", d.path());
  auto bad = Engine::Create(cfg.value(), nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.csv:2"), std::string::npos);
}

TEST(TimeWindow, ParsingAndWrapping) {
  auto w = TimeWindow::Parse("22:00", "06:00", "Fri-Sat");
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->Contains(23 * 60, 5));  // Friday 23:00
  EXPECT_TRUE(w->Contains(3 * 60, 6));   // Saturday 03:00 (began Friday)
  EXPECT_TRUE(w->Contains(3 * 60, 0));   // Sunday 03:00 (began Saturday)
  EXPECT_FALSE(w->Contains(3 * 60, 5));  // Friday 03:00 (began Thursday)
  EXPECT_FALSE(w->Contains(12 * 60, 5));
  EXPECT_FALSE(TimeWindow::Parse("25:00", "", "").ok());
  EXPECT_FALSE(TimeWindow::Parse("", "", "Funday").ok());
  auto all = TimeWindow::Parse("", "", "Sun-Sat");
  for (int d = 0; d < 7; ++d) EXPECT_TRUE(all->Contains(0, d));
}

}  // namespace
}  // namespace callguard
