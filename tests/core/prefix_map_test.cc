#include "core/prefix_map.h"

#include <gtest/gtest.h>

#include <string>

namespace callguard {
namespace {

TEST(PrefixMap, LongestInsertedPrefixWins) {
  PrefixMap<std::string> m;
  EXPECT_EQ(m.LongestMatch("8613800138000"), nullptr);  // empty map
  m.Insert("86", "china");
  m.Insert("86138", "mobile block");
  m.Insert("8613800138000", "one number");
  ASSERT_NE(m.LongestMatch("8613800138000"), nullptr);
  EXPECT_EQ(*m.LongestMatch("8613800138000"), "one number");
  EXPECT_EQ(*m.LongestMatch("8613800138001"), "mobile block");
  EXPECT_EQ(*m.LongestMatch("8610"), "china");
  EXPECT_EQ(m.LongestMatch("85212345678"), nullptr);
  EXPECT_EQ(m.LongestMatch("8"), nullptr);  // shorter than every entry
  EXPECT_EQ(m.LongestMatch(""), nullptr);
  EXPECT_EQ(m.size(), 3u);
}

TEST(PrefixMap, LeadingZerosAreDigits) {
  // The packed key carries the length: "0086" and "86" are different prefixes.
  PrefixMap<int> m;
  m.Insert("86", 1);
  m.Insert("0086", 2);
  EXPECT_EQ(*m.LongestMatch("008612"), 2);
  EXPECT_EQ(*m.LongestMatch("8612"), 1);
  EXPECT_EQ(m.LongestMatch("0012"), nullptr);
}

TEST(PrefixMap, AcceptSkipsToShorterPrefixes) {
  PrefixMap<int> m;
  m.Insert("86110", 5);
  m.Insert("861", 3);
  // Only entries whose length is odd count: the 5-digit one does, then a 4-digit query falls
  // back to the 3-digit one.
  auto odd = [](int, size_t n) { return n % 2 == 1; };
  EXPECT_EQ(*m.LongestMatchIf("861100", odd), 5);
  auto only_short = [](int, size_t n) { return n <= 3; };
  EXPECT_EQ(*m.LongestMatchIf("861100", only_short), 3);
  auto none = [](int, size_t) { return false; };
  EXPECT_EQ(m.LongestMatchIf("861100", none), nullptr);
}

TEST(PrefixMap, LongInputIsCutToFifteenDigits) {
  PrefixMap<int> m;
  m.Insert("123456789012345", 15);
  EXPECT_EQ(*m.LongestMatch("1234567890123456789"), 15);
  EXPECT_EQ(*m.Exact("123456789012345"), 15);
  EXPECT_EQ(m.Exact("12345678901234"), nullptr);
}

TEST(PrefixMap, LaterInsertReplaces) {
  PrefixMap<int> m;
  m.Insert("95588", 1);
  m.Insert("95588", 2);
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(*m.LongestMatch("95588"), 2);
}

}  // namespace
}  // namespace callguard
