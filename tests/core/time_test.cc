#include "core/time.h"

#include <gtest/gtest.h>

namespace callguard {
namespace {

int64_t Ms(const std::string& s, int naive_offset = 0) {
  int64_t ms = 0;
  EXPECT_TRUE(ParseTimestamp(s, naive_offset, &ms)) << s;
  return ms;
}

TEST(ParseTimestamp, Rfc3339Forms) {
  EXPECT_EQ(Ms("2026-03-02T09:15:04Z"), 1772442904000);
  EXPECT_EQ(Ms("2026-03-02T17:15:04+08:00"), 1772442904000);
  EXPECT_EQ(Ms("2026-03-02T04:15:04-05:00"), 1772442904000);
  EXPECT_EQ(Ms("2026-03-02T09:15:04.25Z"), 1772442904250);
  EXPECT_EQ(Ms("2026-03-02 09:15:04Z"), 1772442904000);
  EXPECT_EQ(Ms("1772442904"), 1772442904000);
  EXPECT_EQ(Ms("1772442904.5"), 1772442904500);
}

TEST(ParseTimestamp, NaiveLocalTimeUsesTheOffset) {
  EXPECT_EQ(Ms("2026-03-02 17:15:04", 480), 1772442904000);
  EXPECT_EQ(Ms("2026-03-02 09:15:04", 0), 1772442904000);
}

TEST(ParseTimestamp, RejectsNonsense) {
  int64_t ms;
  for (const char* s : {"", "bad", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                        "2026-03-02T25:00:00Z", "2026-03-02T09:15:04+8", "2026-03-02T09:15",
                        "2026-03-02T09:15:04Zjunk", "12abc", "2026-03-02T09:15:04."}) {
    EXPECT_FALSE(ParseTimestamp(s, 0, &ms)) << s;
  }
}

TEST(FormatRfc3339, RoundTrips) {
  EXPECT_EQ(FormatRfc3339(1772442904000), "2026-03-02T09:15:04Z");
  EXPECT_EQ(FormatRfc3339(1772442904250), "2026-03-02T09:15:04.250Z");
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(951782400000), "2000-02-29T00:00:00Z");
  for (int64_t t = 0; t < 4102444800; t += 86400 * 37 + 3671)
    EXPECT_EQ(Ms(FormatRfc3339(t * 1000)), t * 1000);
}

// The date part is remembered from the previous call: times within a day, across midnight, back
// to an earlier day and before 1970 must each still get their own date.
TEST(FormatRfc3339, SameDayAndDayChangesInAnyOrder) {
  EXPECT_EQ(FormatRfc3339(1772495999000), "2026-03-02T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(1772442904000), "2026-03-02T09:15:04Z");
  EXPECT_EQ(FormatRfc3339(1772496000000), "2026-03-03T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1772495999999), "2026-03-02T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339(-1000), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(-86400000), "1969-12-31T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(-86400001), "1969-12-30T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  for (int64_t t = 1772409600; t < 1772409600 + 3 * 86400; t += 3599)
    EXPECT_EQ(Ms(FormatRfc3339(t * 1000 + 7)), t * 1000 + 7);
}

TEST(ToLocal, HourAndWeekday) {
  LocalTime lt = ToLocal(1772442904, 480);  // 2026-03-02 17:15 in China, a Monday
  EXPECT_EQ(lt.hour, 17);
  EXPECT_EQ(lt.minute, 15);
  EXPECT_EQ(lt.weekday, 1);
  EXPECT_EQ(ToLocal(0, 0).weekday, 4);  // 1970-01-01 was a Thursday
}

TEST(ParseDuration, Units) {
  double s;
  ASSERT_TRUE(ParseDurationSeconds("90", &s));
  EXPECT_EQ(s, 90);
  ASSERT_TRUE(ParseDurationSeconds("15m", &s));
  EXPECT_EQ(s, 900);
  ASSERT_TRUE(ParseDurationSeconds("2h", &s));
  EXPECT_EQ(s, 7200);
  ASSERT_TRUE(ParseDurationSeconds("1d", &s));
  EXPECT_EQ(s, 86400);
  EXPECT_FALSE(ParseDurationSeconds("-5s", &s));
  EXPECT_FALSE(ParseDurationSeconds("5 minutes", &s));
  int off;
  ASSERT_TRUE(ParseUtcOffset("+08:00", &off));
  EXPECT_EQ(off, 480);
  ASSERT_TRUE(ParseUtcOffset("-05:30", &off));
  EXPECT_EQ(off, -330);
  EXPECT_FALSE(ParseUtcOffset("+8", &off));
}

}  // namespace
}  // namespace callguard
