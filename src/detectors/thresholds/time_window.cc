#include "detectors/thresholds/time_window.h"

#include <cctype>

namespace callguard {

namespace {

bool ParseHm(std::string_view s, int* minutes) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || s.size() - colon != 3)
    return false;
  int h = 0, m = 0;
  for (size_t i = 0; i < colon; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    h = h * 10 + (s[i] - '0');
  }
  for (size_t i = colon + 1; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    m = m * 10 + (s[i] - '0');
  }
  if (h > 23 || m > 59) return false;
  *minutes = h * 60 + m;
  return true;
}

int Day(std::string_view s) {
  static constexpr std::string_view kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  if (s.size() != 3) return -1;
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (int i = 0; i < 7; ++i)
    if (lower == kDays[i]) return i;
  return -1;
}

}  // namespace

Result<TimeWindow> TimeWindow::Parse(std::string_view start_hour, std::string_view end_hour,
                                     std::string_view days) {
  TimeWindow w;
  if (!start_hour.empty() && !ParseHm(start_hour, &w.start_))
    return Status::InvalidArgument("start_hour '" + std::string(start_hour) + "' is not HH:MM");
  if (!end_hour.empty() && !ParseHm(end_hour, &w.end_))
    return Status::InvalidArgument("end_hour '" + std::string(end_hour) + "' is not HH:MM");
  if (!days.empty()) {
    w.days_.reset();
    std::string_view rest = days;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      auto dash = item.find('-');
      int a = Day(item.substr(0, dash));
      int b = dash == std::string_view::npos ? a : Day(item.substr(dash + 1));
      if (a < 0 || b < 0)
        return Status::InvalidArgument("daysoftheweek '" + std::string(days) +
                                       "': expected days such as Mon, Fri-Sun");
      for (int d = a;; d = (d + 1) % 7) {
        w.days_.set(d);
        if (d == b) break;
      }
    }
  }
  return w;
}

bool TimeWindow::Contains(int minute, int weekday) const {
  if (start_ <= end_) return days_.test(weekday) && minute >= start_ && minute <= end_;
  // Overnight: the part after midnight belongs to the window that began the day before.
  if (minute >= start_) return days_.test(weekday);
  if (minute <= end_) return days_.test((weekday + 6) % 7);
  return false;
}

}  // namespace callguard
