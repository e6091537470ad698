#include "core/time.h"

#include <time.h>

#include <charconv>
#include <cstring>

namespace callguard {

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseUtcOffset(std::string_view s, int* minutes) {
  if (s == "Z" || s == "z" || s == "UTC") {
    *minutes = 0;
    return true;
  }
  int h, m;
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !Digits(s, 1, 2, &h) ||
      !Digits(s, 4, 2, &m) || h > 23 || m > 59)
    return false;
  *minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
  return true;
}

bool ParseTimestamp(std::string_view s, int naive_offset_min, int64_t* unix_ms) {
  if (s.empty()) return false;
  // Integer (optionally fractional) Unix seconds.
  if (s.size() <= 20 && s[0] >= '0' && s[0] <= '9' && s.find('-') == std::string_view::npos &&
      s.find(':') == std::string_view::npos) {
    int64_t secs = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
    if (ec != std::errc()) return false;
    int64_t ms = 0;
    if (p != s.data() + s.size()) {
      if (*p != '.') return false;
      ++p;
      int scale = 100;
      const char* end = s.data() + s.size();
      if (p == end) return false;
      for (; p != end; ++p) {
        if (*p < '0' || *p > '9') return false;
        ms += (*p - '0') * scale;
        scale /= 10;
      }
    }
    *unix_ms = secs * 1000 + ms;
    return true;
  }
  int y, mo, d, h, mi, sec;
  if (!Digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') ||
      !Digits(s, 11, 2, &h) || s[13] != ':' || !Digits(s, 14, 2, &mi) || s[16] != ':' ||
      !Digits(s, 17, 2, &sec))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 || mi > 59 || sec > 60)
    return false;
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return false;
  }
  int offset = naive_offset_min;
  if (pos < s.size()) {
    if (!ParseUtcOffset(s.substr(pos), &offset)) return false;
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + (sec == 60 ? 59 : sec) - offset * 60;
  *unix_ms = secs * 1000 + ms;
  return true;
}

void AppendRfc3339(int64_t unix_ms, std::string* out) {
  char buf[kRfc3339MaxChars];
  out->append(buf, PutRfc3339(unix_ms, buf) - buf);
}

char* PutRfc3339(int64_t unix_ms, char* buf) {
  int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  int ms = static_cast<int>(unix_ms - secs * 1000);
  int64_t z = (secs >= 0 ? secs : secs - 86399) / 86400;
  int64_t rem = secs - z * 86400;
  auto put2 = [](char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  // Verdict files write one time per call, and calls come a day at a time: the date of the
  // previous call, per thread, is usually this call's.
  thread_local int64_t cached_day = INT64_MIN;
  thread_local char cached_date[10];
  if (z != cached_day) {
    cached_day = z;
    // civil_from_days
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y < 0 || y > 9999) y = y < 0 ? 0 : 9999;
    unsigned yy = static_cast<unsigned>(y);
    put2(cached_date, yy / 100);
    put2(cached_date + 2, yy % 100);
    cached_date[4] = '-';
    put2(cached_date + 5, m);
    cached_date[7] = '-';
    put2(cached_date + 8, d);
  }
  std::memcpy(buf, cached_date, 10);
  buf[10] = 'T';
  put2(buf + 11, static_cast<unsigned>(rem / 3600));
  buf[13] = ':';
  put2(buf + 14, static_cast<unsigned>(rem / 60 % 60));
  buf[16] = ':';
  put2(buf + 17, static_cast<unsigned>(rem % 60));
  size_t n = 19;
  if (ms != 0) {
    buf[19] = '.';
    buf[20] = static_cast<char>('0' + ms / 100);
    put2(buf + 21, static_cast<unsigned>(ms % 100));
    n = 23;
  }
  buf[n++] = 'Z';
  return buf + n;
}

int64_t WallClockNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string FormatRfc3339(int64_t unix_ms) {
  std::string s;
  AppendRfc3339(unix_ms, &s);
  return s;
}

LocalTime ToLocal(int64_t unix_s, int offset_min) {
  int64_t t = unix_s + offset_min * 60;
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t rem = t - days * 86400;
  LocalTime lt;
  lt.hour = static_cast<int>(rem / 3600);
  lt.minute = static_cast<int>(rem / 60 % 60);
  // 1970-01-01 was a Thursday (4).
  lt.weekday = static_cast<int>(((days % 7) + 11) % 7);
  return lt;
}

bool ParseDurationSeconds(std::string_view s, double* seconds) {
  if (s.empty()) return false;
  double mult = 1;
  char unit = s.back();
  if (s.size() > 2 && s.substr(s.size() - 2) == "ms") {
    mult = 0.001;
    s.remove_suffix(2);
  } else if (unit == 's' || unit == 'm' || unit == 'h' || unit == 'd') {
    mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400;
    s.remove_suffix(1);
  }
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return false;
  *seconds = v * mult;
  return true;
}

}  // namespace callguard
