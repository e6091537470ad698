// Causality: a verdict uses only earlier calls. Scoring a stream in one run, in two halves with
// the state saved and restored in between, and record by record (a fresh engine restored from a
// snapshot for every call) must give identical verdicts.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "core/huge_pages.h"
#include "engine/engine.h"
#include "engine/verdict_writer.h"
#include "test_util.h"

namespace callguard {
namespace {

using testing::MakeCallAt;
using testing::TempDir;

// A mixed stream that makes every detector speak: ordinary calls within a community, an
// overseas spoofer fanning out, a sequential robocaller, a caller tripping threshold rules, and
// block-listed and allow-listed callers.
std::vector<Call> Stream(size_t n) {
  std::mt19937_64 rng(11);
  std::vector<Call> calls;
  int64_t t = 1772409600;
  int robo = 0;
  for (size_t i = 0; i < n; ++i) {
    t += 1 + static_cast<int64_t>(rng() % 20);
    int kind = static_cast<int>(rng() % 10);
    std::string a, b;
    Ingress ing = Ingress::kMobile;
    bool answered = rng() % 10 < 7;
    double dur = 5 + static_cast<double>(rng() % 300);
    if (kind < 5) {
      a = "+861380000" + std::to_string(1000 + rng() % 30);
      b = "+861380000" + std::to_string(1000 + rng() % 30);
    } else if (kind < 7) {
      a = "+86139" + std::to_string(10000000 + rng() % 3);
      b = "+86150" + std::to_string(10000000 + rng() % 100000);
      ing = Ingress::kInternational;
      answered = rng() % 4 == 0;
      dur = answered ? 20 : 0;
    } else if (kind == 7) {
      a = "+8617000000001";
      b = "+86131" + std::to_string(20000000 + robo++);
      ing = Ingress::kVoip;
    } else if (kind == 8) {
      a = "+8618800000008";
      b = "+44" + std::to_string(2070000000 + rng() % 3);
    } else {
      a = rng() % 2 ? "+8613300000001" : "+8613300000002";
      b = "+861380000" + std::to_string(1000 + rng() % 30);
    }
    Call c = MakeCallAt(t, a, b, answered, dur, ing);
    c.call_id = "c" + std::to_string(i);
    calls.push_back(c);
  }
  return calls;
}

class CausalityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("lists.csv",
               "type,value,list,expires,note\n"
               "number,+8613300000001,block,,confirmed\n"
               "number,+8613300000002,allow,,partner\n");
    cfg_ = ParseConfig(R"(version: 1
engine: {pair_filter_mb: 1, expected_numbers: 2048}
detectors:
  lists: {files: [lists.csv]}
  behaviour: {min_calls: 5}
  thresholds:
    rules:
      - {ruleid: 1, prefix: "44", cpm_warning: 2, cpm_critical: 4, total_calls_warning: 20,
         total_calls_critical: 40, sequential_calls_warning: 2, sequential_calls_critical: 3,
         concurrent_calls_warning: 2, call_duration_warning: 250}
      - {ruleid: 2, prefix: "", concurrent_calls_warning: 2, cps_warning: 2,
         total_calls_warning: 60}
)",
                       dir_.path())
               .value();
  }
  std::unique_ptr<Engine> NewEngine() { return std::move(Engine::Create(cfg_, nullptr).value()); }
  static std::string Verdict(Engine& e, const Call& c) {
    std::string s;
    const Decision& d = e.Process(c);
    AppendVerdictJson(c, d, e.evidence(), false, &s);
    return s;
  }

  TempDir dir_;
  Config cfg_;
};

TEST_F(CausalityTest, OneRunEqualsTwoHalvesEqualsRecordByRecord) {
  std::vector<Call> calls = Stream(600);
  std::vector<std::string> whole;
  auto e = NewEngine();
  for (const auto& c : calls) whole.push_back(Verdict(*e, c));

  // The stream must exercise the detectors, or this test proves little.
  std::string all;
  for (const auto& v : whole) all += v;
  for (const char* code : {"intl_ingress_domestic_cli", "sequential_dialling", "thr_cpm_warning",
                           "thr_sequential_calls_warning", "blocklist_number", "allowlist_number",
                           "new_contacts", "thr_call_duration_warning"}) {
    EXPECT_NE(all.find(code), std::string::npos) << code;
  }

  // Two halves with a snapshot in between.
  std::string snap = dir_.File("state.bin");
  std::vector<std::string> halves;
  auto first = NewEngine();
  for (size_t i = 0; i < calls.size() / 2; ++i) halves.push_back(Verdict(*first, calls[i]));
  ASSERT_TRUE(first->SaveSnapshot(snap).ok());
  auto second = NewEngine();
  ASSERT_TRUE(second->LoadSnapshot(snap).ok());
  for (size_t i = calls.size() / 2; i < calls.size(); ++i)
    halves.push_back(Verdict(*second, calls[i]));
  EXPECT_EQ(halves, whole);

  // Record by record: a fresh engine, restored from the previous snapshot, for every call.
  std::vector<std::string> single;
  for (size_t i = 0; i < 200; ++i) {
    auto x = NewEngine();
    if (i > 0) {
      ASSERT_TRUE(x->LoadSnapshot(snap + "1").ok());
    }
    single.push_back(Verdict(*x, calls[i]));
    ASSERT_TRUE(x->SaveSnapshot(snap + "1").ok());
  }
  EXPECT_EQ(single, std::vector<std::string>(whole.begin(), whole.begin() + 200));
}

// The pipeline of `callguard score`: Prepare on one thread, Complete on another, running at the
// same time on different calls, gives the verdicts of Process, call for call.
TEST_F(CausalityTest, TwoStagePipelineOnTwoThreadsEqualsProcess) {
  std::vector<Call> calls = Stream(3000);
  std::vector<std::string> whole;
  auto e = NewEngine();
  for (const auto& c : calls) whole.push_back(Verdict(*e, c));

  // The catch-all threshold rule (run in the first stage, with the calls in progress) spoke.
  EXPECT_GT(std::count_if(whole.begin(), whole.end(),
                          [](const std::string& v) {
                            return v.find("concurrent calls (rule 2 ") != std::string::npos;
                          }),
            10);
  auto p = NewEngine();
  std::vector<CallFacts> facts(calls.size());
  std::vector<Evidence> ev(calls.size());
  std::atomic<size_t> prepared{0};
  std::thread stage1([&] {
    for (size_t i = 0; i < calls.size(); ++i) {
      p->PrefetchShared(calls[i]);
      p->Prepare(calls[i], &facts[i], &ev[i]);
      prepared.store(i + 1, std::memory_order_release);
    }
  });
  std::vector<std::string> piped;
  for (size_t i = 0; i < calls.size(); ++i) {
    while (prepared.load(std::memory_order_acquire) <= i) std::this_thread::yield();
    p->PrefetchLearned(calls[i]);
    Decision d = p->Complete(calls[i], facts[i], &ev[i]);
    std::string s;
    AppendVerdictJson(calls[i], d, ev[i], false, &s);
    piped.push_back(std::move(s));
  }
  stage1.join();
  EXPECT_EQ(piped, whole);
  // Both stages did their part: the shared state and the learned state are those of Process.
  EXPECT_EQ(p->state_stats().pairs_inserted, e->state_stats().pairs_inserted);
  EXPECT_EQ(p->state_stats().profiles, e->state_stats().profiles);
  EXPECT_EQ(p->state_stats().active_calls, e->state_stats().active_calls);
  EXPECT_EQ(p->state_stats().threshold_counters, e->state_stats().threshold_counters);
  EXPECT_EQ(p->stats().calls, calls.size());
}

TEST_F(CausalityTest, AssessAloneLearnsNothing) {
  std::vector<Call> calls = Stream(300);
  auto a = NewEngine();
  auto b = NewEngine();
  for (size_t i = 0; i < calls.size(); ++i) {
    if (i % 3 == 0) {
      for (int k = 0; k < 3; ++k) a->Assess(calls[i]);  // repeated screening of one call
    }
    a->Process(calls[i]);
    b->Process(calls[i]);
    std::string va, vb;
    AppendVerdictJson(calls[i], a->decision(), a->evidence(), false, &va);
    AppendVerdictJson(calls[i], b->decision(), b->evidence(), false, &vb);
    ASSERT_EQ(va, vb) << i;
  }
}

TEST_F(CausalityTest, SnapshotDamageIsDetected) {
  auto e = NewEngine();
  for (const auto& c : Stream(50)) e->Process(c);
  std::string snap = dir_.File("s.bin");
  ASSERT_TRUE(e->SaveSnapshot(snap).ok());
  std::string bytes = testing::ReadFile(snap);

  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x40;
  dir_.Write("flipped.bin", flipped);
  Status s = NewEngine()->LoadSnapshot(dir_.File("flipped.bin"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("checksum"), std::string::npos);

  dir_.Write("short.bin", bytes.substr(0, bytes.size() - 100));
  EXPECT_FALSE(NewEngine()->LoadSnapshot(dir_.File("short.bin")).ok());
  dir_.Write("junk.bin", "not a snapshot at all");
  EXPECT_FALSE(NewEngine()->LoadSnapshot(dir_.File("junk.bin")).ok());
  EXPECT_EQ(NewEngine()->LoadSnapshot(dir_.File("missing.bin")).code(), Status::Code::kNotFound);

  Config us = cfg_;
  us.engine.region = "US";
  auto other = std::move(Engine::Create(us, nullptr).value());
  Status r = other->LoadSnapshot(snap);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.message().find("region"), std::string::npos);
}

}  // namespace
}  // namespace callguard

namespace callguard {
namespace {

TEST(Engine, EmergencyCallsAreNeverBlocked) {
  TempDir d;
  d.Write("lists.csv", "number,+8613900000001,block,,\n");
  auto cfg = ParseConfig(
      "version: 1\nengine: {pair_filter_mb: 1}\ndetectors: {lists: {files: [lists.csv]}}\n",
      d.path());
  auto e = std::move(Engine::Create(cfg.value(), nullptr).value());
  Call to_police = MakeCallAt(1772409600, "+8613900000001", "110");
  EXPECT_EQ(e->Process(to_police).action, Action::kLabel);  // block-listed caller, but 110
  EXPECT_TRUE(e->evidence().emergency);
  Call other = MakeCallAt(1772409601, "+8613900000001", "+8613800000000");
  EXPECT_EQ(e->Process(other).action, Action::kBlock);
}

TEST(Engine, IdleProfilesExpire) {
  auto cfg = ParseConfig("version: 1\nengine: {pair_filter_mb: 1, profile_idle_expiry: 30d}\n", "");
  auto e = std::move(Engine::Create(cfg.value(), nullptr).value());
  const int64_t t0 = 1772409600;
  e->Process(MakeCallAt(t0, "+8613900000001", "+8613800000001"));
  EXPECT_EQ(e->state_stats().profiles, 2u);
  for (int day = 1; day <= 40; ++day)
    e->Process(MakeCallAt(t0 + day * 86400, "+8613900000002", "+8613800000002"));
  EXPECT_EQ(e->state_stats().profiles, 2u);  // the first pair expired, the second is active
}

TEST(Engine, TheDailySweepReturnsKeptTableMemory) {
  auto cfg = ParseConfig("version: 1\nengine: {pair_filter_mb: 1}\n", "");
  auto e = std::move(Engine::Create(cfg.value(), nullptr).value());
  const int64_t t0 = 1772409600;
  e->Process(MakeCallAt(t0, "+8613900000001", "+8613800000001"));
  FreeHuge(AllocateHuge(size_t{4} << 20), size_t{4} << 20);  // as a grown segment would
  EXPECT_GT(e->state_stats().kept_for_reuse_bytes, 0u);
  e->Process(MakeCallAt(t0 + 3600, "+8613900000001", "+8613800000002"));
  EXPECT_GT(e->state_stats().kept_for_reuse_bytes, 0u);  // within the day: kept
  e->Process(MakeCallAt(t0 + 86400, "+8613900000001", "+8613800000003"));
  EXPECT_EQ(e->state_stats().kept_for_reuse_bytes, 0u);
}

}  // namespace
}  // namespace callguard
