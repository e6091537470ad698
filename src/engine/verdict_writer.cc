#include "engine/verdict_writer.h"

#include <cerrno>
#include <cmath>
#include <cstring>

#include "core/time.h"

namespace callguard {

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t plain = 0;
  while (plain < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[plain]);
    if (c < 0x20 || c == '"' || c == '\\') break;
    ++plain;
  }
  // One append for the common case: the whole string needs no escaping.
  size_t at = out->size();
  out->resize(at + plain + 2);
  char* p = out->data() + at;
  p[0] = '"';
  std::memcpy(p + 1, s.data(), plain);
  if (plain == s.size()) {
    p[plain + 1] = '"';
    return;
  }
  out->resize(at + plain + 1);
  s.remove_prefix(plain);
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void AppendDecimal(double v, std::string* out) {
  if (!std::isfinite(v)) {
    out->push_back('0');
    return;
  }
  long long scaled = std::llround(v * 10000.0);
  if (scaled < 0) {
    out->push_back('-');
    scaled = -scaled;
  }
  long long ip = scaled / 10000;
  int frac = static_cast<int>(scaled % 10000);
  char buf[32];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + ip % 10);
    ip /= 10;
  } while (ip > 0);
  while (n > 0) out->push_back(buf[--n]);
  if (frac == 0) return;
  char f[4] = {static_cast<char>('0' + frac / 1000), static_cast<char>('0' + frac / 100 % 10),
               static_cast<char>('0' + frac / 10 % 10), static_cast<char>('0' + frac % 10)};
  int len = 4;
  while (len > 0 && f[len - 1] == '0') --len;
  out->push_back('.');
  out->append(f, len);
}

void AppendVerdictJson(const Call& call, const Decision& d, const Evidence& ev, bool shadow,
                       std::string* out) {
  out->append("{\"call_id\":");
  AppendJsonString(call.call_id, out);
  out->append(",\"start_time\":\"");
  AppendRfc3339(call.start_ms, out);
  out->append("\",\"caller\":");
  AppendJsonString(call.caller.text, out);
  out->append(",\"callee\":");
  AppendJsonString(call.callee.text, out);
  out->append(",\"score\":");
  AppendDecimal(d.score, out);
  out->append(",\"action\":\"");
  out->append(ToString(d.action));
  out->push_back('"');
  if (shadow) {
    out->append(",\"decided\":\"");
    out->append(ToString(d.decided));
    out->push_back('"');
  }
  out->append(",\"reasons\":[");
  bool first = true;
  for (const Reason& r : ev) {
    if (!first) out->push_back(',');
    first = false;
    out->append("{\"detector\":\"");
    out->append(r.detector);
    out->append("\",\"code\":\"");
    out->append(r.code);
    out->append("\",\"weight\":");
    AppendDecimal(r.weight, out);
    out->append(",\"detail\":");
    AppendJsonString(r.detail, out);
    out->push_back('}');
  }
  out->append("]}");
}

VerdictWriter::~VerdictWriter() {
  if (f_) Close();
}

Status VerdictWriter::Open(const std::string& path, bool shadow) {
  path_ = path;
  shadow_ = shadow;
  if (path == "-") {
    f_ = stdout;
    owns_ = false;
  } else {
    f_ = std::fopen(path.c_str(), "w");
    if (!f_) return Status::IoError(path + ": cannot create: " + std::strerror(errno));
    owns_ = true;
  }
  buf_.reserve(1 << 20);
  return Status::Ok();
}

void VerdictWriter::Flush() {
  if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) failed_ = true;
  buf_.clear();
}

void VerdictWriter::Write(const Call& call, const Decision& d, const Evidence& ev) {
  AppendVerdictJson(call, d, ev, shadow_, &buf_);
  buf_.push_back('\n');
  if (buf_.size() >= (1 << 20)) Flush();
}

Status VerdictWriter::Close() {
  if (!f_) return Status::Ok();
  Flush();
  int rc = owns_ ? std::fclose(f_) : std::fflush(f_);
  f_ = nullptr;
  if (failed_ || rc != 0) return Status::IoError(path_ + ": write failed: " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace callguard
