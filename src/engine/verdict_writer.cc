#include "engine/verdict_writer.h"

#include <cerrno>
#include <cmath>
#include <cstring>

#include "core/time.h"

namespace callguard {

namespace {

// Verdict lines are built in place: the line's worst-case size is reserved once, then pieces are
// written through a pointer, with no capacity check per piece (one verdict per call record).
constexpr size_t kMaxDecimalChars = 32;  // "-" + 19 digits + "." + 4 digits
constexpr char kHex[] = "0123456789abcdef";

size_t JsonStringBound(std::string_view s) { return 6 * s.size() + 2; }  // "\u00XX" per byte

char* PutRaw(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* PutJsonString(char* p, std::string_view s) {
  *p++ = '"';
  size_t plain = 0;
  while (plain < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[plain]);
    if (c < 0x20 || c == '"' || c == '\\') break;
    ++plain;
  }
  p = PutRaw(p, s.substr(0, plain));  // usually the whole string
  for (char ch : s.substr(plain)) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != '"' && c != '\\') {
      *p++ = ch;
      continue;
    }
    *p++ = '\\';
    switch (c) {
      case '"':
      case '\\':
        *p++ = ch;
        break;
      case '\n':
        *p++ = 'n';
        break;
      case '\r':
        *p++ = 'r';
        break;
      case '\t':
        *p++ = 't';
        break;
      default:
        p = PutRaw(p, "u00");
        *p++ = kHex[c >> 4];
        *p++ = kHex[c & 15];
    }
  }
  *p++ = '"';
  return p;
}

char* PutDecimal(char* p, double v) {
  if (!std::isfinite(v)) {
    *p++ = '0';
    return p;
  }
  long long scaled = std::llround(v * 10000.0);
  if (scaled < 0) {
    *p++ = '-';
    scaled = -scaled;
  }
  long long ip = scaled / 10000;
  int frac = static_cast<int>(scaled % 10000);
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + ip % 10);
    ip /= 10;
  } while (ip > 0);
  while (n > 0) *p++ = buf[--n];
  if (frac == 0) return p;
  char f[4] = {static_cast<char>('0' + frac / 1000), static_cast<char>('0' + frac / 100 % 10),
               static_cast<char>('0' + frac / 10 % 10), static_cast<char>('0' + frac % 10)};
  int len = 4;
  while (len > 0 && f[len - 1] == '0') --len;
  *p++ = '.';
  return PutRaw(p, std::string_view(f, static_cast<size_t>(len)));
}

// Reserves `bound` bytes at the end of `out`, lets `write` fill them from a pointer, and keeps
// what it wrote.
template <typename F>
void AppendBounded(std::string* out, size_t bound, F write) {
  const size_t at = out->size();
  out->resize(at + bound);
  char* end = write(out->data() + at);
  out->resize(static_cast<size_t>(end - out->data()));
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  AppendBounded(out, JsonStringBound(s), [&](char* p) { return PutJsonString(p, s); });
}

void AppendDecimal(double v, std::string* out) {
  AppendBounded(out, kMaxDecimalChars, [&](char* p) { return PutDecimal(p, v); });
}

void AppendVerdictJson(const Call& call, const Decision& d, const Evidence& ev, bool shadow,
                       std::string* out) {
  constexpr size_t kFixed = 160;  // the keys, punctuation and action names of one line
  size_t bound = kFixed + kRfc3339MaxChars + kMaxDecimalChars + JsonStringBound(call.call_id) +
                 JsonStringBound(call.caller.text) + JsonStringBound(call.callee.text);
  for (const Reason& r : ev)
    bound += 64 + r.detector.size() + r.code.size() + kMaxDecimalChars + JsonStringBound(r.detail);
  AppendBounded(out, bound, [&](char* p) {
    p = PutRaw(p, "{\"call_id\":");
    p = PutJsonString(p, call.call_id);
    p = PutRaw(p, ",\"start_time\":\"");
    p = PutRfc3339(call.start_ms, p);
    p = PutRaw(p, "\",\"caller\":");
    p = PutJsonString(p, call.caller.text);
    p = PutRaw(p, ",\"callee\":");
    p = PutJsonString(p, call.callee.text);
    p = PutRaw(p, ",\"score\":");
    p = PutDecimal(p, d.score);
    p = PutRaw(p, ",\"action\":\"");
    p = PutRaw(p, ToString(d.action));
    *p++ = '"';
    if (shadow) {
      p = PutRaw(p, ",\"decided\":\"");
      p = PutRaw(p, ToString(d.decided));
      *p++ = '"';
    }
    p = PutRaw(p, ",\"reasons\":[");
    bool first = true;
    for (const Reason& r : ev) {
      if (!first) *p++ = ',';
      first = false;
      p = PutRaw(p, "{\"detector\":\"");
      p = PutRaw(p, r.detector);
      p = PutRaw(p, "\",\"code\":\"");
      p = PutRaw(p, r.code);
      p = PutRaw(p, "\",\"weight\":");
      p = PutDecimal(p, r.weight);
      p = PutRaw(p, ",\"detail\":");
      p = PutJsonString(p, r.detail);
      *p++ = '}';
    }
    return PutRaw(p, "]}");
  });
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
