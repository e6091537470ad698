#include "core/number.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <vector>

namespace callguard {
namespace {

class NormaliserTest : public ::testing::Test {
 protected:
  void SetUp() override { norm_ = std::move(Normaliser::Create("CN").value()); }
  Number N(const std::string& raw) {
    Number n;
    norm_->Normalise(raw, &n);
    return n;
  }
  std::unique_ptr<Normaliser> norm_;
};

TEST_F(NormaliserTest, FormatsOfOneNumberGiveOneKey) {
  Number e164 = N("+8613800138000");
  EXPECT_EQ(e164.status, NumberStatus::kValid);
  EXPECT_EQ(e164.text, "+8613800138000");
  EXPECT_EQ(e164.type, NumberType::kMobile);
  EXPECT_TRUE(e164.domestic);
  EXPECT_EQ(e164.country_code, 86);
  for (const char* raw :
       {"13800138000", "008613800138000", "+86 138 0013 8000", "86-138-0013-8000"}) {
    Number n = N(raw);
    EXPECT_EQ(n.key, e164.key) << raw;
    EXPECT_EQ(n.text, "+8613800138000") << raw;
    EXPECT_EQ(n.status, NumberStatus::kValid) << raw;
  }
}

TEST_F(NormaliserTest, FixedLineWithNationalPrefix) {
  Number n = N("010 6552 1234");
  EXPECT_EQ(n.status, NumberStatus::kValid);
  EXPECT_EQ(n.text, "+861065521234");
  EXPECT_EQ(n.type, NumberType::kFixedLine);
}

TEST_F(NormaliserTest, ForeignNumbersAreNotDomestic) {
  Number kh = N("+85512345678");
  EXPECT_EQ(kh.status, NumberStatus::kValid);
  EXPECT_FALSE(kh.domestic);
  EXPECT_EQ(kh.country_code, 855);
  Number us = N("+16502530000");
  EXPECT_EQ(us.country_code, 1);
  EXPECT_FALSE(us.domestic);
}

TEST_F(NormaliserTest, WithheldSpellings) {
  for (const char* raw : {"", "anonymous", "Anonymous", "PRIVATE", "unknown", " restricted "}) {
    Number n = N(raw);
    EXPECT_EQ(n.status, NumberStatus::kWithheld) << raw;
    EXPECT_EQ(n.key, 0u);
  }
}

TEST_F(NormaliserTest, InvalidNumbersStayWithAReason) {
  Number short_code = N("110");
  EXPECT_EQ(short_code.status, NumberStatus::kShortCode);
  EXPECT_EQ(short_code.e164, "+86110");
  EXPECT_EQ(short_code.text, "110");  // raw text kept: not a valid number
  EXPECT_NE(short_code.key, 0u);

  Number too_short = N("+861380013");
  EXPECT_EQ(too_short.status, NumberStatus::kInvalid);
  EXPECT_EQ(too_short.text, "+861380013");

  Number junk = N("hello world");
  EXPECT_EQ(junk.status, NumberStatus::kUnparsable);
  EXPECT_EQ(junk.text, "hello world");
  EXPECT_FALSE(IsE164Key(junk.key));
  EXPECT_NE(junk.key, 0u);
  EXPECT_EQ(junk.key, N("hello world").key);  // stable
  EXPECT_NE(junk.key, N("hello there").key);
}

// PackE164 reads eight digits at a time; it must equal the digit-by-digit value for every
// length and every digit in every position.
TEST(NumberKey, PackingEqualsTheDigitValue) {
  std::mt19937_64 rng(11);
  auto check = [](const std::string& d) {
    uint64_t v = 0;
    for (char c : d) v = v * 10 + static_cast<uint64_t>(c - '0');
    ASSERT_EQ(PackE164(d), (static_cast<uint64_t>(d.size()) << 50) | v) << d;
  };
  for (size_t len = 0; len <= 15; ++len) {
    check(std::string(len, '0'));
    check(std::string(len, '9'));
    for (size_t pos = 0; pos < len; ++pos) {
      for (char c = '0'; c <= '9'; ++c) {
        std::string d(len, '5');
        d[pos] = c;
        check(d);
      }
    }
    for (int i = 0; i < 2000; ++i) {
      std::string d;
      for (size_t k = 0; k < len; ++k) d.push_back(static_cast<char>('0' + rng() % 10));
      check(d);
    }
  }
}

TEST(NumberKey, PackingIsUniqueAndReversible) {
  EXPECT_NE(PackE164("1234"), PackE164("01234"));
  EXPECT_NE(PackE164("861"), PackE164("8610"));
  std::string digits;
  ASSERT_TRUE(UnpackE164(PackE164("8613800138000"), &digits));
  EXPECT_EQ(digits, "8613800138000");
  ASSERT_TRUE(UnpackE164(PackE164("999999999999999"), &digits));
  EXPECT_EQ(digits, "999999999999999");
  EXPECT_FALSE(UnpackE164(PackRaw("x"), &digits));
  EXPECT_EQ(PackE164("999999999999999") & ~kKeyMask, 0u);
  EXPECT_EQ(PackRaw("anything at all") & ~kKeyMask, 0u);
}

TEST_F(NormaliserTest, RepeatedNumbersCostNoParse) {
  N("+8613800138000");
  N("13800138000");
  N("010 6552 1234");
  uint64_t parses = norm_->stats().libphonenumber_parses;
  for (int i = 0; i < 1000; ++i) {
    N("+8613800138000");
    N("13800138000");
    N("010 6552 1234");
    N("+8613800138123");  // same class as the first: no parse either
  }
  EXPECT_EQ(norm_->stats().libphonenumber_parses, parses);
}

// The class cache assumes validity and type depend only on the leading digits and the length.
// Check it against libphonenumber itself on random numbers of several countries and formats.
TEST_F(NormaliserTest, CachedAnswersEqualLibphonenumber) {
  std::mt19937_64 rng(42);
  const char* prefixes[] = {"+86",  "+8613", "+8618",  "+8610", "+86400", "+1",  "+1650", "+44",
                            "+447", "+855",  "+85512", "+63",   "+639",   "+62", "+6281", "+81"};
  int checked = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string raw = prefixes[rng() % std::size(prefixes)];
    int extra = 4 + static_cast<int>(rng() % 9);
    for (int d = 0; d < extra && raw.size() < 16; ++d) raw.push_back('0' + rng() % 10);
    if (i % 3 == 0 && raw.compare(0, 3, "+86") == 0) raw = raw.substr(3);  // national digits
    if (raw.empty() || raw[0] == '0') continue;
    Number cached, direct;
    norm_->Normalise(raw, &cached);
    norm_->NormaliseUncached(raw, &direct);
    ASSERT_EQ(cached.status, direct.status) << raw;
    ASSERT_EQ(cached.e164, direct.e164) << raw;
    ASSERT_EQ(cached.key, direct.key) << raw;
    if (cached.valid()) {
      ASSERT_EQ(cached.type, direct.type) << raw;
    }
    ++checked;
  }
  EXPECT_GT(checked, 15000);
}

// Real numbering plans give the class cache hundreds of thousands of classes (one per 9-digit
// prefix of every mobile range). Fill it well past its first size, then ask again: every answer
// comes from the cache and equals the first one; a second normaliser warmed by
// MergeClassCache answers the same without parsing.
TEST_F(NormaliserTest, ManyClassesAreKeptAndShared) {
  std::vector<std::string> raws;
  for (int block : {130, 138, 159, 186}) {
    for (int i = 0; i < 3000; ++i) {
      char b[32];
      std::snprintf(b, sizeof b, "+86%d%04d%04d", block, i, (i * 7919) % 10000);
      raws.push_back(b);
    }
  }
  std::vector<Number> first(raws.size());
  for (size_t i = 0; i < raws.size(); ++i) norm_->Normalise(raws[i], &first[i]);
  EXPECT_EQ(norm_->class_cache_size(), raws.size());  // one class per 9-digit prefix
  const uint64_t parses = norm_->stats().libphonenumber_parses;
  auto warm = std::move(Normaliser::Create("CN").value());
  warm->MergeClassCache(*norm_);
  EXPECT_EQ(warm->class_cache_size(), raws.size());
  for (size_t i = 0; i < raws.size(); ++i) {
    for (Normaliser* n : {norm_.get(), warm.get()}) {
      Number again;
      n->Normalise(raws[i], &again);
      ASSERT_EQ(again.key, first[i].key) << raws[i];
      ASSERT_EQ(again.status, first[i].status) << raws[i];
      ASSERT_EQ(again.type, first[i].type) << raws[i];
    }
  }
  EXPECT_EQ(norm_->stats().libphonenumber_parses, parses);
  EXPECT_EQ(warm->stats().libphonenumber_parses, 0u);
}

TEST(NormaliserCreate, RejectsUnknownRegion) {
  EXPECT_FALSE(Normaliser::Create("XX").ok());
  EXPECT_TRUE(Normaliser::Create("US").ok());
}

}  // namespace
}  // namespace callguard
