#include "detectors/behaviour/behaviour.h"

#include "detector_test_util.h"

namespace callguard {
namespace {

using namespace testing;         // NOLINT
const int64_t kT0 = 1772409600;  // 2026-03-02T00:00:00Z, 08:00 in China

std::string Lead(int i) { return "+86150" + std::to_string(10000000 + i * 37); }

TEST(Behaviour, QuietUntilItHasSeenEnoughCalls) {
  auto e = EngineFor(Only("behaviour"));
  // Three odd calls (unanswered, to strangers) from a person: no judgement.
  for (int i = 0; i < 3; ++i) {
    auto codes = Codes(*e, MakeCallAt(kT0 + i * 600, "+8613800138000", Lead(i), false));
    EXPECT_TRUE(codes.empty());
  }
}

TEST(Behaviour, ScamCallCentreFanOut) {
  auto e = EngineFor(Only("behaviour"));
  const std::string scam = "+8613912345678";
  std::set<std::string> last;
  for (int i = 0; i < 120; ++i) {
    bool answered = i % 5 == 0;
    last = Codes(*e, MakeCallAt(kT0 + i * 10, scam, Lead(i), answered, answered ? 8 : 0));
  }
  for (const char* code : {"fanout_burst", "new_contacts", "low_answer_rate", "short_calls",
                           "no_callbacks", "outgoing_only"}) {
    EXPECT_TRUE(last.count(code)) << code;
  }
  EXPECT_GE(e->decision().action, Action::kWarn);  // behaviour alone; identity adds the rest
}

TEST(Behaviour, FriendsAndFamilyAreNotFlagged) {
  auto e = EngineFor(Only("behaviour"));
  const std::string me = "+8613800138000";
  std::set<std::string> last;
  for (int i = 0; i < 200; ++i) {
    std::string friend_ = "+8613700" + std::to_string(100000 + (i % 8) * 7919);
    // Friends call back.
    Codes(*e, MakeCallAt(kT0 + i * 300, friend_, me, true, 240));
    last = Codes(*e, MakeCallAt(kT0 + i * 300 + 60, me, friend_, true, 180));
  }
  EXPECT_TRUE(last.empty()) << (last.empty() ? "" : *last.begin());
}

TEST(Behaviour, CourierWithCallbacksIsNotNoCallbacks) {
  auto e = EngineFor(Only("behaviour"));
  const std::string courier = "+8613500000001";
  std::set<std::string> last;
  for (int i = 0; i < 150; ++i) {
    last = Codes(*e, MakeCallAt(kT0 + i * 60, courier, Lead(i), true, 25));
    // A third of the customers call back.
    if (i % 3 == 0) Codes(*e, MakeCallAt(kT0 + i * 60 + 30, Lead(i), courier, true, 20));
  }
  EXPECT_FALSE(last.count("no_callbacks"));
  EXPECT_FALSE(last.count("outgoing_only"));
  EXPECT_FALSE(last.count("low_answer_rate"));
  EXPECT_LT(e->decision().score, 0.5);
}

TEST(Behaviour, SequentialDialling) {
  auto e = EngineFor(Only("behaviour"));
  std::set<std::string> codes;
  for (int i = 0; i < 6; ++i)
    codes = Codes(*e, MakeCallAt(kT0 + i * 5, "+8617000000001",
                                 "+86131" + std::to_string(20000000 + i), false));
  EXPECT_TRUE(codes.count("sequential_dialling"));
  EXPECT_NE(Detail(*e, "sequential_dialling").find("6 consecutive"), std::string::npos);
  // A break in the sequence resets the run.
  codes = Codes(*e, MakeCallAt(kT0 + 100, "+8617000000001", "+8613199999999", false));
  EXPECT_FALSE(codes.count("sequential_dialling"));
}

TEST(Behaviour, ConcurrentCalls) {
  auto e = EngineFor(Only("behaviour"));
  std::set<std::string> codes;
  // Four calls of ten minutes each, set up one second apart, from one number.
  for (int i = 0; i < 4; ++i)
    codes = Codes(*e, MakeCallAt(kT0 + i, "+8618800000008", Lead(i), true, 600));
  EXPECT_TRUE(codes.count("concurrent_calls"));
  // Long after they ended, a new call is alone.
  codes = Codes(*e, MakeCallAt(kT0 + 3600, "+8618800000008", Lead(9), true, 600));
  EXPECT_FALSE(codes.count("concurrent_calls"));
}

TEST(Behaviour, CountersDecayOverTime) {
  auto e = EngineFor(Only("behaviour"));
  auto* b = dynamic_cast<BehaviourDetector*>(e->FindDetector("behaviour"));
  ASSERT_NE(b, nullptr);
  for (int i = 0; i < 100; ++i) Codes(*e, MakeCallAt(kT0 + i, "+8613912345678", Lead(i), false));
  Profile now, later;
  uint64_t key = PackE164("8613912345678");
  ASSERT_TRUE(b->View(key, kT0 + 100, &now));
  ASSERT_TRUE(b->View(key, kT0 + 100 + 86400, &later));  // one long-window half-life later
  EXPECT_NEAR(now.attempts[0], 100, 12);
  EXPECT_NEAR(later.attempts[2], now.attempts[2] / 2, 1);
  EXPECT_LT(later.attempts[0], 0.01);
  EXPECT_NEAR(now.Share(Profile::kAnswered), 0, 1e-3);
  EXPECT_NEAR(now.Share(Profile::kNewContact), 1, 1e-3);
}

TEST(Behaviour, ProfileTableStartsAtTheSubscriberTableSize) {
  // Growing through a network's own subscribers would rehash each of them about four times.
  auto subs = std::make_shared<Subscribers>();
  for (uint64_t i = 0; i < 50000; ++i)
    subs->Put(PackE164(std::to_string(8613800000000ULL + i)), Subscriber());
  auto sized = EngineFor("", "", subs);
  auto plain = EngineFor("");
  auto slots = [](const Engine& e) {
    return dynamic_cast<const BehaviourDetector*>(e.FindDetector("behaviour"))->profiles().slots();
  };
  EXPECT_GE(slots(*sized), 50000u);
  EXPECT_LT(slots(*plain), 50000u);  // expected_numbers 4096 in EngineFor
}

}  // namespace
}  // namespace callguard
