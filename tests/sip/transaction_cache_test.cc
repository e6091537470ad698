// The fixed-capacity transaction cache against a reference map, through expiry and eviction.
#include "sip/transaction_cache.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>

namespace callguard::sip {
namespace {

TEST(TransactionCache, FindsUntilExpiry) {
  TransactionCache c(/*ttl_ms=*/1000, 64);
  CachedAnswer a;
  a.code = 603;
  c.Insert(42, a, 0);
  ASSERT_NE(c.Find(42, 999), nullptr);
  EXPECT_EQ(c.Find(42, 999)->code, 603);
  EXPECT_EQ(c.Find(43, 999), nullptr);
  EXPECT_EQ(c.Find(42, 1000), nullptr);  // expired
  EXPECT_EQ(c.size(), 0u);
}

TEST(TransactionCache, MatchesAReferenceThroughChurn) {
  // Random inserts and lookups at a steady rate with a TTL that overfills the ring: whatever
  // the cache answers must be what the reference (FIFO, same TTL and capacity) holds.
  const size_t cap = 1000;
  TransactionCache c(/*ttl_ms=*/3000, cap);
  std::deque<std::pair<uint64_t, int64_t>> fifo;  // (key, expiry)
  std::map<uint64_t, uint16_t> live;
  std::mt19937_64 rng(3);
  for (int64_t t = 0; t < 20000; ++t) {
    while (!fifo.empty() && (fifo.front().second <= t || fifo.size() > cap)) {
      live.erase(fifo.front().first);
      fifo.pop_front();
    }
    uint64_t key = 2 + rng() % 5000 + (rng() % 2 ? 0 : (uint64_t{1} << 40));  // 0 and 1 alias
    if (rng() % 3 == 0) {
      const CachedAnswer* got = c.Find(key, t);
      auto it = live.find(key);
      ASSERT_EQ(got != nullptr, it != live.end()) << "t=" << t << " key=" << key;
      if (got) {
        ASSERT_EQ(got->code, it->second);
      }
    } else if (!live.count(key)) {
      CachedAnswer a;
      a.code = static_cast<uint16_t>(key % 600);
      c.Insert(key, a, t);
      fifo.emplace_back(key, t + 3000);
      live[key] = a.code;
      while (fifo.size() > cap) {
        live.erase(fifo.front().first);
        fifo.pop_front();
      }
    }
  }
  EXPECT_GT(c.evicted_early(), 0u);
}

}  // namespace
}  // namespace callguard::sip
