#include "service/verdict_trail.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/time.h"

namespace callguard {
namespace {

class VerdictTrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cg-trail-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = std::move(store::Store::Open("sqlite:" + (dir_ / "db").string(), 2).value());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Offers 10,000 calls, one in ten blocked, and returns how many verdicts were kept.
  int64_t Run(const std::string& mode, double sample) {
    StoreConfig cfg;
    cfg.verdicts = mode;
    cfg.verdict_sample = sample;
    VerdictTrail trail(store_.get(), cfg, /*shadow=*/false, &metrics_);
    trail.Start();
    Evidence ev;
    for (int i = 0; i < 10000; ++i) {
      Call c;
      c.call_id = mode + "-" + std::to_string(i);
      c.start_ms = WallClockMs() - 60000 + i;  // recent: older ones fall to the retention
      c.caller.text = "+85512345678";
      c.callee.text = "+8613800138000";
      Decision d;
      d.action = i % 10 == 0 ? Action::kBlock : Action::kAllow;
      d.score = i % 10 == 0 ? 0.97 : 0.01;
      trail.Offer(c, d, ev);
    }
    trail.Flush();
    trail.Stop();
    int64_t n = store_->CountVerdicts().value();
    EXPECT_TRUE(store_->PurgeVerdicts(INT64_MAX).ok());
    return n;
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  Metrics metrics_;
};

TEST_F(VerdictTrailTest, ModesKeepWhatTheySay) {
  EXPECT_EQ(Run("off", 0.5), 0);
  EXPECT_EQ(Run("all", 0), 10000);
  // decisions: every block (1,000) and about 1% of the 9,000 allows.
  int64_t d = Run("decisions", 0.01);
  EXPECT_GE(d, 1000 + 40);
  EXPECT_LE(d, 1000 + 160);
  // sampled: about a fifth of everything.
  int64_t s = Run("sampled", 0.2);
  EXPECT_GE(s, 1700);
  EXPECT_LE(s, 2300);
  EXPECT_EQ(metrics_.verdicts_trail_dropped.load(), 0u);
}

TEST_F(VerdictTrailTest, StoredVerdictIsTheContractLine) {
  StoreConfig cfg;
  cfg.verdicts = "all";
  VerdictTrail trail(store_.get(), cfg, false, &metrics_);
  trail.Start();
  Call c;
  c.call_id = "x1";
  c.start_ms = WallClockMs();
  c.caller.text = "+85512345678";
  c.callee.text = "+8613800138000";
  Evidence ev;
  ev.Add("lists", "blocklist_number", 8.0, "number on the block list");
  Decision d{.score = 0.9997, .action = Action::kBlock, .decided = Action::kBlock};
  trail.Offer(c, d, ev);
  trail.Flush();
  auto v = store_->VerdictsFor("+85512345678", 10);
  ASSERT_EQ(v->size(), 1u);
  EXPECT_EQ((*v)[0].action, "block");
  EXPECT_EQ((*v)[0].call_id, "x1");
  EXPECT_NE((*v)[0].json.find("\"code\":\"blocklist_number\""), std::string::npos);
  EXPECT_NE((*v)[0].json.find("\"start_time\":\"" + FormatRfc3339(c.start_ms) + "\""),
            std::string::npos);
}

TEST_F(VerdictTrailTest, VerdictsOlderThanTheRetentionAreDropped) {
  StoreConfig cfg;
  cfg.verdicts = "all";
  cfg.verdict_retention_days = 30;
  VerdictTrail trail(store_.get(), cfg, false, &metrics_);
  trail.Start();
  Evidence ev;
  Decision d{.score = 0.99, .action = Action::kBlock, .decided = Action::kBlock};
  for (int64_t age_days : {40, 1}) {
    Call c;
    c.call_id = "age" + std::to_string(age_days);
    c.start_ms = WallClockMs() - age_days * 86400000;
    c.caller.text = "+85512345678";
    trail.Offer(c, d, ev);
  }
  trail.Flush();
  trail.Stop();  // the first pass of the writer applies the retention
  auto v = store_->VerdictsFor("+85512345678", 10);
  ASSERT_EQ(v->size(), 1u);
  EXPECT_EQ((*v)[0].call_id, "age1");
}

}  // namespace
}  // namespace callguard
