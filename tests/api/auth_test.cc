#include "api/auth.h"

#include <gtest/gtest.h>

namespace callguard {
namespace {

TEST(RateLimiter, BurstThenRefusedPerSource) {
  RateLimiter r(/*per_minute=*/1, /*burst=*/3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(r.Allow("192.0.2.1"));
  EXPECT_FALSE(r.Allow("192.0.2.1"));
  EXPECT_TRUE(r.Allow("192.0.2.2"));  // another source has its own bucket
}

TEST(RateLimiter, Ipv6HostsShareTheirSlash64) {
  EXPECT_EQ(RateLimiter::SourceKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(RateLimiter::SourceKey("192.0.2.7"), "192.0.2.7");
  RateLimiter r(1, 2);
  EXPECT_TRUE(r.Allow("2001:db8:1:2::1"));
  EXPECT_TRUE(r.Allow("2001:db8:1:2::2"));
  EXPECT_FALSE(r.Allow("2001:db8:1:2:ffff::3"));  // same /64
  EXPECT_TRUE(r.Allow("2001:db8:1:3::1"));
}

TEST(RateLimiter, AFloodOfSourcesCannotGrowItWithoutBound) {
  RateLimiter r(1, 2, /*max_sources=*/100);
  int allowed = 0;
  for (int i = 0; i < 1000; ++i)
    allowed += r.Allow("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  EXPECT_EQ(allowed, 100);  // new sources beyond the table are refused until buckets refill
}

TEST(Roles, NamesRoundTrip) {
  for (const char* n : {"admin", "analyst", "screening", "partner"}) {
    Role r;
    ASSERT_TRUE(ParseRole(n, &r));
    EXPECT_EQ(RoleName(r), n);
  }
  Role r;
  EXPECT_FALSE(ParseRole("root", &r));
}

}  // namespace
}  // namespace callguard
