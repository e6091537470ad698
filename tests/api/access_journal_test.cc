#include "api/access_journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace callguard {
namespace {

class AccessJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cg-journal-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = std::move(store::Store::Open("sqlite:" + (dir_ / "db").string(), 2).value());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  store::AccessRecord Rec(int i) {
    return {.time_ms = 1000 + i,
            .actor = "tok_x",
            .role = "analyst",
            .action = "GET /v1/numbers/{number}",
            .target = "+86138000000" + std::to_string(10 + i),
            .source_ip = "10.0.0.1",
            .status = 200};
  }
  size_t Rows() { return store_->AccessLog("", 100000)->size(); }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  Metrics metrics_;
};

TEST_F(AccessJournalTest, RecordedEntriesReachTheStore) {
  auto j = AccessJournal::Open((dir_ / "j").string(), store_.get(), &metrics_);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(j.value()->Record(Rec(i)).ok());
  ASSERT_TRUE(j.value()->Drain().ok());
  EXPECT_EQ(Rows(), 50u);
  auto log = store_->AccessLog("+8613800000012", 10);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].actor, "tok_x");
  EXPECT_EQ((*log)[0].time_ms, 1002);
}

TEST_F(AccessJournalTest, ACrashLosesNothingAndDuplicatesNothing) {
  std::string jdir = (dir_ / "j").string();
  {
    auto j = AccessJournal::Open(jdir, store_.get(), &metrics_);
    ASSERT_TRUE(j.ok());
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(j.value()->Record(Rec(i)).ok());
    ASSERT_TRUE(j.value()->Drain().ok());
    for (int i = 20; i < 30; ++i) ASSERT_TRUE(j.value()->Record(Rec(i)).ok());
    // "Crash": keep copies of the segments as a killed process would have left them.
    for (auto& f : std::filesystem::directory_iterator(jdir))
      std::filesystem::copy_file(f.path(), f.path().string() + ".keep");
  }
  ASSERT_EQ(Rows(), 30u);
  for (auto& f : std::filesystem::directory_iterator(jdir)) {
    std::string p = f.path().string();
    if (p.size() > 5 && p.substr(p.size() - 5) == ".keep")
      std::filesystem::rename(p, p.substr(0, p.size() - 5));
  }
  // A torn last line (the write was cut short: its read never completed).
  std::ofstream(jdir + "/access-00000000000000ff-0000000000000099.jsonl")
      << "{\"t\":5,\"actor\":\"tok_y\"";
  auto j = AccessJournal::Open(jdir, store_.get(), &metrics_);  // replays the left segments
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(Rows(), 30u);  // every entry once, the torn one not at all
  EXPECT_EQ(store_->AccessLog("", 1000)->front().time_ms, 1029);
  // A restarted process numbers its segments afresh: its entries are new, not "duplicates".
  for (int i = 30; i < 35; ++i) ASSERT_TRUE(j.value()->Record(Rec(i)).ok());
  ASSERT_TRUE(j.value()->Drain().ok());
  EXPECT_EQ(Rows(), 35u);
}

TEST_F(AccessJournalTest, AnUnwritableDirectoryIsAClearError) {
  auto j = AccessJournal::Open("/proc/nope/journal", store_.get(), &metrics_);
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().ToString().find("/proc/nope/journal"), std::string::npos);
}

}  // namespace
}  // namespace callguard
