#include "engine/verdict_writer.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "core/time.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Length of the prefix of `s` that JSON can carry as it is (no control character, quote or
// backslash), copied to `p` on the way. `p` has room for 6 bytes per byte of `s`.
size_t PutPlainPrefix(char* p, std::string_view s) {
  size_t plain = 0;
#if defined(__SSE2__)
  // 16 bytes per step: store the block, then keep only its plain part. Reason details are
  // most of a verdict line's text (bench/micro_bench BM_VerdictJson).
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                below_space = _mm_set1_epi8(0x1f);
  for (; plain + 16 <= s.size(); plain += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + plain));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + plain), v);
    __m128i bad = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
        _mm_cmpeq_epi8(_mm_max_epu8(v, below_space), below_space));  // unsigned v <= 0x1f
    unsigned m = static_cast<unsigned>(_mm_movemask_epi8(bad));
    if (m != 0) return plain + static_cast<size_t>(__builtin_ctz(m));
  }
#endif
  for (; plain < s.size(); ++plain) {
    unsigned char c = static_cast<unsigned char>(s[plain]);
    if (c < 0x20 || c == '"' || c == '\\') break;
    p[plain] = s[plain];
  }
  return plain;
}

char* PutJsonString(char* p, std::string_view s) {
  *p++ = '"';
  const size_t plain = PutPlainPrefix(p, s);
  p += plain;
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

namespace {

size_t VerdictJsonBound(const Call& call, const Evidence& ev) {
  constexpr size_t kFixed = 160;  // the keys, punctuation and action names of one line
  size_t bound = kFixed + kRfc3339MaxChars + kMaxDecimalChars + JsonStringBound(call.call_id) +
                 JsonStringBound(call.caller.text) + JsonStringBound(call.callee.text);
  for (const Reason& r : ev)
    bound += 64 + r.detector.size() + r.code.size() + kMaxDecimalChars + JsonStringBound(r.detail);
  return bound;
}

char* PutVerdictJson(char* p, const Call& call, const Decision& d, const Evidence& ev,
                     bool shadow) {
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
}

}  // namespace

void AppendVerdictJson(const Call& call, const Decision& d, const Evidence& ev, bool shadow,
                       std::string* out) {
  AppendBounded(out, VerdictJsonBound(call, ev),
                [&](char* p) { return PutVerdictJson(p, call, d, ev, shadow); });
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
  return Status::Ok();
}

void VerdictWriter::Flush() {
  if (used_ > 0 && std::fwrite(buf_.get(), 1, used_, f_) != used_) failed_ = true;
  used_ = 0;
}

void VerdictWriter::Write(const Call& call, const Decision& d, const Evidence& ev) {
  // Lines are written straight into the buffer, within their worst-case size: unlike a
  // std::string grown per line, nothing zero-fills the room first.
  const size_t bound = VerdictJsonBound(call, ev) + 1;
  if (used_ + bound > capacity_) {
    Flush();
    if (bound > capacity_) {
      capacity_ = std::max(bound, kFlushBytes + kFlushBytes / 2);
      buf_.reset(new char[capacity_]);
    }
  }
  char* end = PutVerdictJson(buf_.get() + used_, call, d, ev, shadow_);
  *end++ = '\n';
  used_ = static_cast<size_t>(end - buf_.get());
  if (used_ >= kFlushBytes) Flush();
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
