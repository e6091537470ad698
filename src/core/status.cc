#include "callguard/status.h"

namespace callguard {

std::string Status::ToString() const {
  if (ok()) return "OK";
  const char* name = "error";
  switch (rep_->code) {
    case Code::kOk:
      name = "OK";
      break;
    case Code::kInvalidArgument:
      name = "invalid argument";
      break;
    case Code::kNotFound:
      name = "not found";
      break;
    case Code::kIoError:
      name = "I/O error";
      break;
    case Code::kParseError:
      name = "parse error";
      break;
    case Code::kUnavailable:
      name = "unavailable";
      break;
  }
  return std::string(name) + ": " + rep_->message;
}

}  // namespace callguard
