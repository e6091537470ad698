// Tests of the engine's state structures: profile table, pair filter, calls in progress.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <unordered_map>
#include <vector>

#include "core/huge_pages.h"
#include "core/number.h"
#include "engine/active_calls.h"
#include "engine/pair_filter.h"
#include "engine/profile_table.h"

namespace callguard {
namespace {

uint64_t Key(uint64_t i) { return PackE164(std::to_string(8613000000000ULL + i * 7919)); }

TEST(ProfileTable, MatchesAReferenceMapThroughGrowthAndSweeps) {
  ProfileTable t(1024);
  std::unordered_map<uint64_t, uint32_t> ref;
  std::mt19937_64 rng(7);
  for (int step = 0; step < 300000; ++step) {
    uint64_t k = Key(rng() % 150000);
    Profile* p = t.FindOrInsert(k);
    ASSERT_EQ(p->key & kKeyMask, k);
    p->last_s = static_cast<uint32_t>(step);
    ref[k] = static_cast<uint32_t>(step);
    if (step % 20000 == 0) {
      ASSERT_TRUE(t.CheckLayout()) << "at step " << step;
    }
    if (step % 100000 == 99999) {
      uint32_t cut = static_cast<uint32_t>(step - 50000);
      size_t expect = 0;
      for (auto it = ref.begin(); it != ref.end();) {
        if (it->second < cut) {
          it = ref.erase(it);
          ++expect;
        } else {
          ++it;
        }
      }
      EXPECT_EQ(t.Sweep(cut), expect);
      ASSERT_TRUE(t.CheckLayout());
    }
  }
  ASSERT_TRUE(t.CheckLayout());
  EXPECT_EQ(t.size(), ref.size());
  for (const auto& [k, v] : ref) {
    const Profile* p = t.Find(k);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->last_s, v);
  }
  EXPECT_EQ(t.Find(Key(999999)), nullptr);
  size_t seen = 0;
  t.ForEach([&](const Profile& p) {
    ++seen;
    EXPECT_EQ(ref.at(p.key), p.last_s);  // ForEach hands out clean keys
  });
  EXPECT_EQ(seen, ref.size());
}

// Erase moves entries of the run after the erased one back into the hole when they would no
// longer be found past it (wrapping around segment ends in small segments). Against a
// reference set, with layout checks, through growth.
TEST(ProfileTable, EraseKeepsEveryOtherEntryFindable) {
  ProfileTable t(16);
  std::unordered_map<uint64_t, uint32_t> ref;
  std::mt19937_64 rng(3);
  for (int step = 0; step < 60000; ++step) {
    const uint64_t k = Key(rng() % 3000);
    if (rng() % 3 == 0) {
      EXPECT_EQ(t.Erase(k), ref.erase(k) == 1) << "step " << step;
    } else {
      t.FindOrInsert(k)->last_s = static_cast<uint32_t>(step + 1);
      ref[k] = static_cast<uint32_t>(step + 1);
    }
    if (step < 2000 || step % 499 == 0) {
      ASSERT_TRUE(t.CheckLayout()) << "after step " << step;
    }
  }
  ASSERT_TRUE(t.CheckLayout());
  EXPECT_EQ(t.size(), ref.size());
  for (uint64_t i = 0; i < 3000; ++i) {
    const Profile* p = t.Find(Key(i));
    auto it = ref.find(Key(i));
    ASSERT_EQ(p != nullptr, it != ref.end()) << i;
    if (p) {
      EXPECT_EQ(p->last_s, it->second);
    }
  }
}

// In small segments at 90% load the runs of taken slots often wrap around a segment's end.
// Every layout along the way must stay valid (tags, runs, every entry found where it sits).
TEST(ProfileTable, RunsThatWrapAroundKeepAValidLayout) {
  ProfileTable t(16);  // 8 slots per segment to start with
  for (uint64_t i = 0; i < 20000; ++i) {
    Profile* p = t.FindOrInsert(Key(i * 7919));
    ASSERT_EQ(p->key & kKeyMask, Key(i * 7919));
    p->last_s = static_cast<uint32_t>(i + 1);  // the slot handed back is the profile's own
    if (i < 600 || i % 97 == 0) {
      ASSERT_TRUE(t.CheckLayout()) << "after " << i + 1 << " inserts";
    }
  }
  ASSERT_TRUE(t.CheckLayout());
  for (uint64_t i = 0; i < 20000; ++i) {
    const Profile* p = t.Find(Key(i * 7919));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->last_s, i + 1);
  }
}

// Growth moves every profile into a larger segment in one pass in slot order (wrapped runs
// included). Check the layout and every profile's contents right after each growth, from
// segments of 8 slots (where runs wrap often) to thousands.
TEST(ProfileTable, GrowthMovesEveryProfileIntoAValidLayout) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    ProfileTable t(16);
    std::mt19937_64 rng(seed);
    std::vector<uint64_t> keys;
    size_t slots = t.slots(), growths = 0;
    for (uint64_t i = 0; i < 40000; ++i) {
      keys.push_back(Key(rng() % 100000000));
      Profile* p = t.FindOrInsert(keys.back());
      p->last_s = static_cast<uint32_t>(keys.back() % 1000003);
      if (t.slots() == slots) continue;
      slots = t.slots();
      ++growths;
      ASSERT_TRUE(t.CheckLayout()) << "seed " << seed << ", after " << i + 1 << " inserts";
      for (uint64_t k : keys) {
        const Profile* q = t.Find(k);
        ASSERT_NE(q, nullptr);
        ASSERT_EQ(q->last_s, k % 1000003);
      }
    }
    EXPECT_GT(growths, 200u);  // 16 segments, each grown from 8 slots many times
  }
}

// An insert that does not grow its segment writes one slot and moves no other entry (what
// makes inserts into a table at 72-90% load cheap: docs/benchmarks.md, seventh session).
TEST(ProfileTable, InsertsWithoutGrowthMoveNoOtherEntry) {
  ProfileTable t(1 << 14);
  std::vector<std::pair<uint64_t, const Profile*>> placed;
  const size_t slots = t.slots();
  for (uint64_t i = 0; t.size() < slots * 85 / 100; ++i) {
    placed.emplace_back(Key(i), t.FindOrInsert(Key(i)));
    ASSERT_EQ(t.slots(), slots) << "the table grew; start it larger";
  }
  for (const auto& [k, at] : placed) ASSERT_EQ(t.Find(k), at);
  ASSERT_TRUE(t.CheckLayout());
}

TEST(ProfileTable, PutRestoresCompleteProfiles) {
  ProfileTable a(1024), b(1024);
  for (uint64_t i = 0; i < 5000; ++i) {
    Profile* p = a.FindOrInsert(Key(i));
    p->attempts[2] = static_cast<float>(i);
    p->share[Profile::kAnswered] = static_cast<uint16_t>(i);
  }
  a.ForEach([&](const Profile& p) { b.Put(p); });
  ASSERT_EQ(b.size(), 5000u);
  for (uint64_t i = 0; i < 5000; ++i) {
    const Profile* p = b.Find(Key(i));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->attempts[2], static_cast<float>(i));
    EXPECT_EQ(p->share[Profile::kAnswered], i);
  }
}

TEST(ProfileTable, MemoryPerNumberAtItsRealLoad) {
  // Grown from small, as in production: the load factor is whatever growth left.
  ProfileTable t(1024);
  const uint64_t n = 400000;
  for (uint64_t i = 0; i < n; ++i) t.FindOrInsert(Key(i));
  double per = static_cast<double>(t.memory_bytes()) / t.size();
  // 48 bytes and a tag byte per slot; growth by 25% at 90% load keeps the load above 72%.
  EXPECT_LE(per, 49 / 0.72 + 1);
  EXPECT_GE(per, 49.0);
}

// Segments of a huge page or more fill their last huge page with slots: the memory a table
// reserves is all usable, and every such segment can take a freed one's pages when it grows.
TEST(ProfileTable, LargeSegmentsFillWholeHugePages) {
  ProfileTable t(1 << 16);
  for (uint64_t i = 0; i < 1500000; ++i) t.FindOrInsert(Key(i));
  const size_t segments_overhead = 1024;  // the 16 segment headers
  const size_t tags = t.slots();          // one byte per slot, in small pages (rounded up to 4 KiB)
  EXPECT_GE(t.memory_bytes(), t.slots() * sizeof(Profile) + tags);
  EXPECT_LE(t.memory_bytes(), t.slots() * sizeof(Profile) + 16 * sizeof(Profile) + tags +
                                  16 * 4096 + segments_overhead);
  EXPECT_GT(GetHugePageStats().reused_bytes, 0u);  // growth took freed segments' pages
  ASSERT_TRUE(t.CheckLayout());
}

TEST(HugePages, RoundingAndZeroFill) {
  constexpr size_t MiB = size_t{1} << 20;
  EXPECT_EQ(HugeRoundUp(100 << 10), size_t{100} << 10);  // calloc: as asked
  EXPECT_EQ(HugeRoundUp(300 << 10), size_t{300} << 10);  // own mapping, whole pages
  EXPECT_EQ(HugeRoundUp((300 << 10) + 1), (size_t{300} << 10) + 4096);
  EXPECT_EQ(HugeRoundUp(2 * MiB), 2 * MiB);                // one huge page exactly
  EXPECT_EQ(HugeRoundUp(2 * MiB + 4096), 2 * MiB + 4096);  // a second would waste half
  EXPECT_EQ(HugeRoundUp(3 * MiB + MiB / 2), 4 * MiB);      // waste under a quarter
  EXPECT_EQ(HugeRoundUp(9 * MiB + 1), 10 * MiB);
  EXPECT_FALSE(UseHugePages(2 * MiB - 1));
  EXPECT_TRUE(UseHugePages(64 * MiB));
  for (size_t bytes : {size_t{1000}, size_t{300} << 10, 2 * MiB + 4096, 9 * MiB + 1}) {
    auto* p = static_cast<unsigned char*>(AllocateHuge(bytes));
    EXPECT_EQ(p[0], 0);
    EXPECT_EQ(p[bytes / 2], 0);
    EXPECT_EQ(p[bytes - 1], 0);
    p[bytes - 1] = 1;  // writable to the last byte
    FreeHuge(p, bytes);
  }
}

// A freed huge-page block is taken by the next request it fits in: its pages move to the start
// of the new block, which still comes back all zero, and only the rest is new memory.
TEST(HugePages, FreedBlocksAreReusedAndComeBackZero) {
  constexpr size_t MiB = size_t{1} << 20;
  ReleaseKeptHugePages();
  EXPECT_EQ(GetHugePageStats().kept_bytes, 0u);
  // Fill the pool with blocks too large to reuse below.
  void* big[kReuseBlocks];
  for (auto& q : big) q = AllocateHuge(64 * MiB);
  for (auto* q : big) FreeHuge(q, 64 * MiB);
  EXPECT_EQ(GetHugePageStats().kept_bytes, kReuseBlocks * 64 * MiB);
  auto* a = static_cast<unsigned char*>(AllocateHuge(8 * MiB));  // takes nothing: all too large
  std::memset(a, 0xAB, 8 * MiB);
  const HugePageStats before = GetHugePageStats();
  FreeHuge(a, 8 * MiB);  // kept; the oldest 64 MiB block goes back to the kernel
  EXPECT_EQ(GetHugePageStats().kept_bytes, before.kept_bytes + 8 * MiB - 64 * MiB);
  auto* b = static_cast<unsigned char*>(AllocateHuge(10 * MiB));
  const HugePageStats after = GetHugePageStats();
  EXPECT_EQ(after.reused_bytes - before.reused_bytes, 8 * MiB);
  EXPECT_EQ(after.new_bytes - before.new_bytes, 2 * MiB);
  for (size_t i = 0; i < 10 * MiB; i += 4093) ASSERT_EQ(b[i], 0) << "byte " << i;
  EXPECT_EQ(b[8 * MiB - 1], 0);
  EXPECT_EQ(b[10 * MiB - 1], 0);
  b[10 * MiB - 1] = 1;  // writable to the last byte
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % kHugePage, 0u);
  // The same size again: the block itself comes back, cleared.
  std::memset(b, 0xCD, 10 * MiB);
  FreeHuge(b, 10 * MiB);
  auto* c = static_cast<unsigned char*>(AllocateHuge(10 * MiB));
  for (size_t i = 0; i < 10 * MiB; i += 4093) ASSERT_EQ(c[i], 0) << "byte " << i;
  FreeHuge(c, 10 * MiB);
  ReleaseKeptHugePages();
  EXPECT_EQ(GetHugePageStats().kept_bytes, 0u);
}

TEST(PairFilter, NoFalseNegativesAndFewFalsePositives) {
  PairFilter f(1 << 20);      // 1 MiB
  const uint64_t n = 200000;  // about 42 bits per pair
  for (uint64_t i = 0; i < n; ++i) f.Insert(Key(i), Key(i + 1));
  for (uint64_t i = 0; i < n; ++i) ASSERT_TRUE(f.Contains(Key(i), Key(i + 1)));
  // Ordered: the reverse pairs were never inserted.
  uint64_t fp = 0;
  for (uint64_t i = 0; i < n; ++i) fp += f.Contains(Key(i + 1), Key(i));
  double rate = static_cast<double>(fp) / n;
  EXPECT_LT(rate, 0.001);
  EXPECT_LT(f.EstimatedFpr(), 0.001);
  f.Clear();
  EXPECT_FALSE(f.Contains(Key(1), Key(2)));
}

TEST(ActiveCalls, CountsCallsInProgressToTheSecond) {
  ActiveCalls a;
  a.Advance(1000000);
  a.Add(7, 1000000 + 30000);  // ends 30 s later
  a.Add(7, 1000000 + 90000);
  a.Add(8, 1000000 + 10000);
  EXPECT_EQ(a.Count(7), 2u);
  EXPECT_EQ(a.Count(8), 1u);
  a.Advance(1000000 + 20000);
  EXPECT_EQ(a.Count(8), 0u);
  EXPECT_EQ(a.Count(7), 2u);
  a.Advance(1000000 + 60000);
  EXPECT_EQ(a.Count(7), 1u);
  a.Advance(1000000 + 50000);  // time does not go back
  EXPECT_EQ(a.Count(7), 1u);
  a.Advance(1000000 + 91000);
  EXPECT_EQ(a.Count(7), 0u);
  EXPECT_EQ(a.size(), 0u);
}

TEST(ActiveCalls, VeryLongCallsAndJumpsInTime) {
  ActiveCalls a;
  a.Advance(0);
  a.Add(1, 10LL * 3600 * 1000);  // 10 h: beyond the wheel
  a.Add(2, 5000);
  EXPECT_EQ(a.Count(1), 1u);
  a.Advance(5LL * 3600 * 1000);
  EXPECT_EQ(a.Count(1), 1u);
  EXPECT_EQ(a.Count(2), 0u);
  a.Advance(10LL * 3600 * 1000 + 1000);
  EXPECT_EQ(a.Count(1), 0u);
  // Many keys: the count map grows and deletes without losing any.
  for (uint64_t k = 1; k <= 5000; ++k)
    a.Add(k, 11LL * 3600 * 1000 + static_cast<int64_t>(k) * 1000);
  for (uint64_t k = 1; k <= 5000; ++k) ASSERT_EQ(a.Count(k), 1u);
  a.Advance(11LL * 3600 * 1000 + 2500 * 1000);
  for (uint64_t k = 1; k <= 5000; ++k) ASSERT_EQ(a.Count(k), k <= 2500 ? 0u : 1u) << k;
  EXPECT_EQ(a.Entries().size(), 2500u);
}

}  // namespace
}  // namespace callguard
