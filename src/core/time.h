// Time helpers: parsing the timestamps of call records and formatting verdict times.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace callguard {

// Parses an RFC 3339 timestamp ("2026-03-02T09:15:04Z", "2026-03-02T17:15:04.250+08:00", a space
// instead of 'T' is accepted), integer Unix seconds ("1772442904"), or a naive local timestamp
// without offset ("2026-03-02 09:15:04", as Asterisk and FreeSWITCH write), which is read in
// `naive_offset_min` minutes east of UTC. Returns false when `s` is none of these.
bool ParseTimestamp(std::string_view s, int naive_offset_min, int64_t* unix_ms);

// "2026-03-02T09:15:04Z", with ".250" when the milliseconds are not zero.
std::string FormatRfc3339(int64_t unix_ms);
// Wall-clock time (CLOCK_REALTIME) in nanoseconds since the Unix epoch: the clock of kernel
// packet timestamps (SO_TIMESTAMPNS), so the two can be subtracted.
int64_t WallClockNs();
inline int64_t WallClockMs() { return WallClockNs() / 1000000; }
void AppendRfc3339(int64_t unix_ms, std::string* out);
// The same text written at `buf`, which must have room for kRfc3339MaxChars; returns its end.
constexpr size_t kRfc3339MaxChars = 24;
char* PutRfc3339(int64_t unix_ms, char* buf);

// Parses a UTC offset "+08:00", "-05:30", "Z" or "UTC" into minutes east of UTC.
bool ParseUtcOffset(std::string_view s, int* minutes);

// Local calendar fields for a Unix time and a UTC offset.
struct LocalTime {
  int hour;     // 0..23
  int minute;   // 0..59
  int weekday;  // 0 = Sunday .. 6 = Saturday
};
LocalTime ToLocal(int64_t unix_s, int offset_min);

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

// Parses a duration such as "90", "90s", "15m", "2h", "7d" into seconds.
bool ParseDurationSeconds(std::string_view s, double* seconds);

}  // namespace callguard
