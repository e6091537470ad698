// TimeWindow: the hour-of-day and day-of-week window of a threshold rule, in the notation of
// OpenSIPS's fraud_detection table: start_hour/end_hour "HH:MM" (end inclusive, to the minute;
// start after end wraps past midnight) and daysoftheweek "Mon-Fri, Sun" (ranges may wrap:
// "Fri-Mon"). Immutable after parsing.
#pragma once

#include <bitset>
#include <string>
#include <string_view>

#include "callguard/status.h"

namespace callguard {

class TimeWindow {
 public:
  static Result<TimeWindow> Parse(std::string_view start_hour, std::string_view end_hour,
                                  std::string_view days);
  // `minute_of_day` 0..1439, `weekday` 0 = Sunday.
  bool Contains(int minute_of_day, int weekday) const;
  // Every minute of every day (the rule applies at any time).
  bool Always() const { return start_ == 0 && end_ == 1439 && days_.all(); }

 private:
  int start_ = 0;
  int end_ = 1439;
  std::bitset<7> days_ = 0x7f;
};

}  // namespace callguard
