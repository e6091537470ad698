#include "callguard/call.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

namespace callguard {

std::string_view ToString(NumberStatus s) {
  switch (s) {
    case NumberStatus::kValid:
      return "valid";
    case NumberStatus::kWithheld:
      return "withheld";
    case NumberStatus::kShortCode:
      return "short_code";
    case NumberStatus::kInvalid:
      return "invalid";
    case NumberStatus::kUnparsable:
      return "unparsable";
  }
  return "unknown";
}

std::string_view ToString(NumberType t) {
  static constexpr std::string_view kNames[] = {
      "fixed_line",  "mobile", "fixed_line_or_mobile", "toll_free", "premium_rate",
      "shared_cost", "voip",   "personal_number",      "pager",     "uan",
      "voicemail",   "unknown"};
  return kNames[static_cast<int>(t)];
}

std::string_view ToString(Ingress i) {
  switch (i) {
    case Ingress::kUnknown:
      return "";
    case Ingress::kMobile:
      return "mobile";
    case Ingress::kFixed:
      return "fixed";
    case Ingress::kVoip:
      return "voip";
    case Ingress::kInternational:
      return "international";
    case Ingress::kInterconnect:
      return "interconnect";
  }
  return "";
}

bool ParseIngress(std::string_view s, Ingress* out) {
  for (Ingress i : {Ingress::kUnknown, Ingress::kMobile, Ingress::kFixed, Ingress::kVoip,
                    Ingress::kInternational, Ingress::kInterconnect}) {
    if (s == ToString(i)) {
      *out = i;
      return true;
    }
  }
  return false;
}

bool IpAddress::is_v4() const {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(bytes, kPrefix, 12) == 0;
}

bool ParseIp(std::string_view s, IpAddress* out) {
  if (s.empty() || s.size() > 45) return false;
  char buf[46];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  *out = IpAddress();
  in_addr v4;
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    out->bytes[10] = out->bytes[11] = 0xff;
    std::memcpy(out->bytes + 12, &v4, 4);
    out->present = true;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out->bytes) == 1) {
    out->present = true;
    return true;
  }
  return false;
}

int64_t Call::end_ms() const {
  double secs = (ring_s > 0 ? ring_s : 0) + (answered ? duration_s : 0);
  return start_ms + static_cast<int64_t>(secs * 1000);
}

}  // namespace callguard
