#include "service/live_investigation.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/config.h"
#include "test_util.h"

namespace callguard {
namespace {

using callguard::testing::MakeCallAt;

// The backlog gauge counts the records handed to the grader until their tasks are stored, so
// a reader (a test, a dashboard, an operator's alert) can tell "no task yet" from "no task".
TEST(LiveInvestigation, BacklogCountsRecordsUntilTheirTasksAreStored) {
  callguard::testing::TempDir dir;
  Config cfg = LoadConfig("").value();
  cfg.store.data_dir = dir.path();
  auto store = std::move(store::Store::Open("sqlite:" + dir.File("db"), 2).value());
  Metrics metrics;
  LiveInvestigation live(cfg, nullptr, store.get(), &metrics);
  // Two 500 s calls from a risky number: the second takes the callee to 'high' (15 minutes in
  // 72 h) and makes a voice-call task. Handed over before the grader starts, so they wait.
  const int64_t now_s = WallClockMs() / 1000;
  const std::string scam = "+8613812345678", person = "+8613998765432";
  live.OnCall(MakeCallAt(now_s - 1200, scam, person, true, 500, Ingress::kInternational), 0.99,
              WallClockMs());
  live.OnCall(MakeCallAt(now_s - 600, scam, person, true, 500, Ingress::kInternational), 0.99,
              WallClockMs());
  EXPECT_EQ(metrics.victim_backlog.load(), 2u);
  EXPECT_TRUE(store->VictimTasks("open", 10).value().empty());

  ASSERT_TRUE(live.Start().ok());
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (metrics.victim_backlog.load() != 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(metrics.victim_backlog.load(), 0u);
  // Read at once, no polling: a backlog of 0 promises the task is already stored.
  auto tasks = store->VictimTasks("open", 10).value();
  ASSERT_FALSE(tasks.empty());
  bool voice_call = false;
  for (const auto& t : tasks) {
    EXPECT_EQ(t.person, person);
    voice_call |= t.kind == "voice_call";
  }
  EXPECT_TRUE(voice_call);
  EXPECT_EQ(metrics.victim_tasks.load(), tasks.size());
  live.Stop();
}

}  // namespace
}  // namespace callguard
