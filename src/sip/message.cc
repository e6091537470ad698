#include "sip/message.h"

#include <cstring>

namespace callguard::sip {

std::string_view ToString(ParseError e) {
  switch (e) {
    case ParseError::kNone:
      return "ok";
    case ParseError::kEmpty:
      return "empty";
    case ParseError::kStartLine:
      return "bad_start_line";
    case ParseError::kVersion:
      return "bad_version";
    case ParseError::kHeader:
      return "bad_header";
    case ParseError::kMissingHeader:
      return "missing_header";
    case ParseError::kDuplicateHeader:
      return "duplicate_header";
    case ParseError::kScalarRange:
      return "scalar_out_of_range";
    case ParseError::kCSeqMismatch:
      return "cseq_method_mismatch";
    case ParseError::kContentLength:
      return "bad_content_length";
    case ParseError::kTooLarge:
      return "too_large";
    case ParseError::kIncomplete:
      return "incomplete";
  }
  return "unknown";
}

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Parses an unsigned decimal with leading zeros allowed; false when not all digits or when the
// value exceeds `max`.
bool ParseUnsigned(std::string_view s, uint64_t max, uint64_t* out, bool* overflow) {
  *overflow = false;
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    if (v > (max - static_cast<uint64_t>(c - '0')) / 10) {
      *overflow = true;
      v = max;  // keep scanning to tell "not a number" from "too large"
      continue;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return !*overflow;
}

// The header names screening reads; everything else is kOther.
enum class Hdr {
  kOther,
  kVia,
  kFrom,
  kTo,
  kCallId,
  kCSeq,
  kContact,
  kMaxForwards,
  kContentLength,
  kContentType,
  kPai,
  kIdentity,
  kPriority,
  kResourcePriority,
  kRequire,
  kDate,
  kXIngress,
  kXTrunk,
  kXOriginIp,
  kXOriginCountry
};

Hdr Classify(std::string_view n) {
  if (n.size() == 1) {
    switch (n[0] | 0x20) {
      case 'v':
        return Hdr::kVia;
      case 'f':
        return Hdr::kFrom;
      case 't':
        return Hdr::kTo;
      case 'i':
        return Hdr::kCallId;
      case 'm':
        return Hdr::kContact;
      case 'l':
        return Hdr::kContentLength;
      case 'c':
        return Hdr::kContentType;
      case 'y':
        return Hdr::kIdentity;  // RFC 8224 §7.1
      default:
        return Hdr::kOther;
    }
  }
  struct Name {
    const char* name;
    Hdr h;
  };
  static constexpr Name kNames[] = {
      {"via", Hdr::kVia},
      {"from", Hdr::kFrom},
      {"to", Hdr::kTo},
      {"call-id", Hdr::kCallId},
      {"cseq", Hdr::kCSeq},
      {"contact", Hdr::kContact},
      {"max-forwards", Hdr::kMaxForwards},
      {"content-length", Hdr::kContentLength},
      {"content-type", Hdr::kContentType},
      {"p-asserted-identity", Hdr::kPai},
      {"identity", Hdr::kIdentity},
      {"priority", Hdr::kPriority},
      {"resource-priority", Hdr::kResourcePriority},
      {"require", Hdr::kRequire},
      {"date", Hdr::kDate},
      {"x-callguard-ingress", Hdr::kXIngress},
      {"x-callguard-trunk", Hdr::kXTrunk},
      {"x-callguard-origin-ip", Hdr::kXOriginIp},
      {"x-callguard-origin-country", Hdr::kXOriginCountry},
  };
  for (const auto& k : kNames)
    if (EqualsNoCase(n, k.name)) return k.h;
  return Hdr::kOther;
}

bool ParseVia(std::string_view v, Via* out) {
  *out = Via{};
  out->value = v;
  // sent-protocol: "SIP" / "2.0" / transport, LWS allowed around the slashes.
  size_t i = SkipLws(v, 0);
  auto token = [&](std::string_view* t) {
    size_t s = i;
    while (i < v.size() && IsTokenChar(v[i])) ++i;
    *t = v.substr(s, i - s);
    i = SkipLws(v, i);
    return !t->empty();
  };
  std::string_view name, version;
  if (!token(&name) || !EqualsNoCase(name, "SIP")) return false;
  if (i >= v.size() || v[i] != '/') return false;
  i = SkipLws(v, i + 1);
  if (!token(&version) || version != "2.0") return false;
  if (i >= v.size() || v[i] != '/') return false;
  i = SkipLws(v, i + 1);
  if (!token(&out->transport)) return false;
  // sent-by: host [":" port]
  size_t s = i;
  while (i < v.size() && v[i] != ';' && v[i] != ' ' && v[i] != '\t' && v[i] != '\r' && v[i] != '\n')
    ++i;
  std::string_view sent_by = v.substr(s, i - s);
  if (sent_by.empty()) return false;
  size_t colon = sent_by.front() == '[' ? sent_by.find("]:") : sent_by.rfind(':');
  if (colon != std::string_view::npos) {
    if (sent_by.front() == '[') ++colon;
    out->host = sent_by.substr(0, colon);
    out->port = sent_by.substr(colon + 1);
    for (char c : out->port)
      if (!IsDigit(c)) return false;
    if (out->port.empty() || out->port.size() > 5) return false;
  } else {
    out->host = sent_by;
  }
  for (char c : out->host)
    if (!(IsTokenChar(c) || c == '[' || c == ']' || c == ':')) return false;
  std::string_view params = v.substr(i);
  if (!TrimLws(params).empty()) {
    if (!ValidParams(params)) return false;
    bool found = false;
    out->branch = FindParam(params, "branch", &found);
    out->received = FindParam(params, "received", &found);
    out->rport = FindParam(params, "rport", &out->has_rport);
  }
  return true;
}

struct Parser {
  const char* data;
  size_t size;
  const ParseOptions& opt;
  Message* m;
  bool seen_from = false, seen_to = false, seen_call_id = false, seen_cseq = false;
  bool seen_mf = false;

  // Records the first error (later ones are not more useful to the peer).
  ParseError Fail(ParseError e, std::string_view where, const char* detail) {
    if (m->error == ParseError::kNone) {
      m->error = e;
      m->error_where = where;
      m->error_detail = detail;
    }
    return e;
  }

  // Finds the end of the line starting at i: returns the index of its first terminator byte
  // and sets *next to the start of the following line.
  size_t LineEnd(size_t i, size_t* next) const {
    const void* p = std::memchr(data + i, '\n', size - i);
    if (p == nullptr) {
      *next = size;
      return size;
    }
    size_t lf = static_cast<const char*>(p) - data;
    *next = lf + 1;
    return (lf > i && data[lf - 1] == '\r') ? lf - 1 : lf;
  }

  ParseError StartLine(std::string_view line) {
    // A method is a token and cannot hold '/', so "SIP/" can only start a Status-Line.
    if (line.size() >= 4 && EqualsNoCase(line.substr(0, 4), "SIP/")) {
      // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
      size_t sp = line.find(' ');
      if (sp == std::string_view::npos)
        return Fail(ParseError::kStartLine, "start-line", "status line without a code");
      std::string_view version = line.substr(0, sp);
      if (!EqualsNoCase(version, "SIP/2.0"))
        return Fail(ParseError::kVersion, "start-line", "version");
      std::string_view rest = line.substr(sp + 1);
      if (rest.size() < 3 || !IsDigit(rest[0]) || !IsDigit(rest[1]) || !IsDigit(rest[2]) ||
          (rest.size() > 3 && rest[3] != ' '))
        return Fail(ParseError::kStartLine, "start-line", "status code is not three digits");
      m->status_code = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
      if (m->status_code < 100) return Fail(ParseError::kStartLine, "start-line", "status code");
      m->reason = rest.size() > 4 ? rest.substr(4) : std::string_view();
      m->is_request = false;
      return ParseError::kNone;
    }
    // Request-Line = Method SP Request-URI SP SIP-Version: exactly one SP between elements.
    m->is_request = true;
    size_t sp1 = line.find(' ');
    size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp1 == sp2)
      return Fail(ParseError::kStartLine, "start-line", "expected 'METHOD URI SIP/2.0'");
    m->method = line.substr(0, sp1);
    m->request_uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (!IsToken(m->method)) return Fail(ParseError::kStartLine, "start-line", "bad method");
    if (version.size() >= 4 && EqualsNoCase(version.substr(0, 4), "SIP/") &&
        !EqualsNoCase(version, "SIP/2.0")) {
      bool numeric = version.size() > 4;
      for (char c : version.substr(4)) numeric &= IsDigit(c) || c == '.';
      return Fail(numeric ? ParseError::kVersion : ParseError::kStartLine, "start-line",
                  "unsupported SIP version");
    }
    if (!EqualsNoCase(version, "SIP/2.0"))
      return Fail(ParseError::kStartLine, "start-line", "bad SIP version");
    const char* err = "";
    if (m->request_uri.empty() || !ParseUri(m->request_uri, &m->ruri, &err))
      return Fail(ParseError::kStartLine, "start-line", err[0] ? err : "bad Request-URI");
    if (m->ruri.IsSip() && !m->ruri.headers.empty())
      return Fail(ParseError::kStartLine, "start-line", "headers are not allowed in a Request-URI");
    return ParseError::kNone;
  }

  ParseError Header(std::string_view name, std::string_view value) {
    ++m->header_count;
    Hdr h = Classify(name);
    const char* err = "";
    switch (h) {
      case Hdr::kOther:
        return ParseError::kNone;
      case Hdr::kVia: {
        if (m->via_header_count < kMaxVias) m->via_headers[m->via_header_count] = value;
        ++m->via_header_count;
        std::string_view parts[kMaxVias];
        bool empty = false;
        int n = SplitList(value, parts, kMaxVias, &empty);
        if (n == 0 || empty) return Fail(ParseError::kHeader, name, "empty Via value");
        for (int k = 0; k < n && k < kMaxVias; ++k) {
          if (m->via_count >= kMaxVias) {
            ++m->via_count;
            continue;
          }
          if (!ParseVia(parts[k], &m->vias[m->via_count]))
            return Fail(ParseError::kHeader, name, "malformed Via");
          ++m->via_count;
        }
        if (n > kMaxVias) m->via_count += n - kMaxVias;
        return ParseError::kNone;
      }
      case Hdr::kFrom:
      case Hdr::kTo: {
        bool& seen = h == Hdr::kFrom ? seen_from : seen_to;
        if (seen) return Fail(ParseError::kDuplicateHeader, name, "appears twice");
        seen = true;
        NameAddr* na = h == Hdr::kFrom ? &m->from : &m->to;
        (h == Hdr::kFrom ? m->from_header : m->to_header) = TrimLws(value);
        if (!ParseNameAddr(value, /*liberal=*/true, na, &err))
          return Fail(ParseError::kHeader, name, err);
        return ParseError::kNone;
      }
      case Hdr::kCallId: {
        if (seen_call_id) return Fail(ParseError::kDuplicateHeader, name, "appears twice");
        seen_call_id = true;
        m->call_id = TrimLws(value);
        if (m->call_id.empty()) return Fail(ParseError::kHeader, name, "empty Call-ID");
        for (char c : m->call_id)
          if (c <= ' ' || c == 0x7f)
            return Fail(ParseError::kHeader, name, "white space in Call-ID");
        return ParseError::kNone;
      }
      case Hdr::kCSeq: {
        if (seen_cseq) return Fail(ParseError::kDuplicateHeader, name, "appears twice");
        seen_cseq = true;
        m->cseq_header = TrimLws(value);
        std::string_view v = m->cseq_header;
        size_t i = 0;
        while (i < v.size() && IsDigit(v[i])) ++i;
        uint64_t n = 0;
        bool overflow = false;
        if (!ParseUnsigned(v.substr(0, i), (uint64_t{1} << 31) - 1, &n, &overflow))
          return Fail(overflow ? ParseError::kScalarRange : ParseError::kHeader, name,
                      overflow ? "sequence number above 2^31-1" : "no sequence number");
        m->cseq = static_cast<uint32_t>(n);
        size_t j = SkipLws(v, i);
        if (j == i) return Fail(ParseError::kHeader, name, "expected 'number METHOD'");
        m->cseq_method = v.substr(j);
        if (!IsToken(m->cseq_method)) return Fail(ParseError::kHeader, name, "bad method");
        return ParseError::kNone;
      }
      case Hdr::kContact: {
        std::string_view v = TrimLws(value);
        if (v == "*") {
          m->contact_star = true;
          return ParseError::kNone;
        }
        std::string_view parts[kMaxContacts];
        bool empty = false;
        int n = SplitList(v, parts, kMaxContacts, &empty);
        if (n == 0 || empty) return Fail(ParseError::kHeader, name, "empty Contact value");
        for (int k = 0; k < n && k < kMaxContacts; ++k) {
          NameAddr na;
          if (!ParseNameAddr(parts[k], true, &na, &err))
            return Fail(ParseError::kHeader, name, err);
          if (m->contact_count < kMaxContacts) m->contacts[m->contact_count++] = na;
        }
        return ParseError::kNone;
      }
      case Hdr::kMaxForwards: {
        if (seen_mf) return Fail(ParseError::kDuplicateHeader, name, "appears twice");
        seen_mf = true;
        uint64_t n = 0;
        bool overflow = false;
        if (!ParseUnsigned(TrimLws(value), 255, &n, &overflow))
          return Fail(overflow ? ParseError::kScalarRange : ParseError::kHeader, name,
                      overflow ? "above 255" : "not a number");
        m->max_forwards = static_cast<int>(n);
        return ParseError::kNone;
      }
      case Hdr::kContentLength: {
        uint64_t n = 0;
        bool overflow = false;
        if (!ParseUnsigned(TrimLws(value), uint64_t{1} << 40, &n, &overflow))
          return Fail(ParseError::kContentLength, name,
                      overflow ? "too large" : "not a non-negative number");
        if (m->content_length >= 0 && static_cast<uint64_t>(m->content_length) != n)
          return Fail(ParseError::kContentLength, name, "two different values");
        m->content_length = static_cast<int64_t>(n);
        return ParseError::kNone;
      }
      case Hdr::kContentType:
        m->content_type = TrimLws(value);
        return ParseError::kNone;
      case Hdr::kPai: {
        std::string_view parts[kMaxPai];
        bool empty = false;
        int n = SplitList(value, parts, kMaxPai, &empty);
        if (n == 0 || empty) return Fail(ParseError::kHeader, name, "empty value");
        for (int k = 0; k < n && k < kMaxPai; ++k) {
          NameAddr na;
          if (!ParseNameAddr(parts[k], true, &na, &err))
            return Fail(ParseError::kHeader, name, err);
          if (m->pai_count < kMaxPai) m->pai[m->pai_count++] = na;
        }
        return ParseError::kNone;
      }
      case Hdr::kIdentity:
        if (m->identity_count < kMaxIdentities) m->identities[m->identity_count++] = TrimLws(value);
        return ParseError::kNone;
      case Hdr::kPriority:
        m->priority = TrimLws(value);
        return ParseError::kNone;
      case Hdr::kResourcePriority:
        m->resource_priority = TrimLws(value);
        return ParseError::kNone;
      case Hdr::kRequire:
        m->require = TrimLws(value);
        return ParseError::kNone;
      case Hdr::kDate:
        m->date = TrimLws(value);
        return ParseError::kNone;
      case Hdr::kXIngress:
        m->x_ingress = TrimLws(value);
        return ParseError::kNone;
      case Hdr::kXTrunk:
        m->x_trunk = TrimLws(value);
        return ParseError::kNone;
      case Hdr::kXOriginIp:
        m->x_origin_ip = TrimLws(value);
        return ParseError::kNone;
      case Hdr::kXOriginCountry:
        m->x_origin_country = TrimLws(value);
        return ParseError::kNone;
    }
    return ParseError::kNone;
  }

  ParseError Run() {
    // Leading CRLFs are keep-alives (RFC 5626 §3.5.1) or stray bytes between messages.
    size_t i = 0;
    while (i < size && (data[i] == '\r' || data[i] == '\n')) ++i;
    if (i >= size) return Fail(ParseError::kEmpty, "start-line", "no message");
    size_t next = 0;
    size_t end = LineEnd(i, &next);
    ParseError e = StartLine(std::string_view(data + i, end - i));
    // A bad Request-Line still lets the headers be read, so that a 400/505 can be sent.
    if (e != ParseError::kNone && (!m->is_request || m->method.empty())) return e;
    i = next;
    // Header fields, each possibly folded over several lines.
    bool terminated = false;
    while (i < size) {
      end = LineEnd(i, &next);
      if (end == i) {  // the empty line
        terminated = true;
        i = next;
        break;
      }
      size_t vend = end;
      size_t after = next;
      while (after < size && (data[after] == ' ' || data[after] == '\t')) {
        vend = LineEnd(after, &next);
        after = next;
      }
      // A bad header is recorded and parsing goes on, so that the headers a 400 needs (Via,
      // From, To, Call-ID, CSeq) are read even when they come after it.
      std::string_view line(data + i, vend - i);
      i = after;
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        Fail(ParseError::kHeader, line.substr(0, std::min<size_t>(line.size(), 32)),
             "header line without ':'");
        continue;
      }
      std::string_view name = line.substr(0, colon);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      if (!IsToken(name)) {
        Fail(ParseError::kHeader, name, "bad header name");
        continue;
      }
      Header(name, line.substr(colon + 1));
    }
    if (m->error != ParseError::kNone) return m->error;
    size_t remaining = size - i;
    if (!terminated && !opt.datagram) return Fail(ParseError::kIncomplete, "", "no empty line");
    if (m->content_length < 0) {
      if (!opt.datagram)
        return Fail(ParseError::kContentLength, "Content-Length", "required on a stream");
      m->body = std::string_view(data + i, remaining);
    } else {
      if (static_cast<uint64_t>(m->content_length) > remaining)
        return Fail(opt.datagram ? ParseError::kContentLength : ParseError::kIncomplete,
                    "Content-Length", "larger than the bytes received");
      m->body = std::string_view(data + i, static_cast<size_t>(m->content_length));
    }
    m->size = i + m->body.size();
    if (m->size > opt.max_size) return Fail(ParseError::kTooLarge, "", "message too large");
    // What a transaction needs (RFC 3261 §8.1.1; Max-Forwards may be absent in RFC 2543).
    if (m->via_count == 0) return Fail(ParseError::kMissingHeader, "Via", "missing");
    if (!seen_from) return Fail(ParseError::kMissingHeader, "From", "missing");
    if (!seen_to) return Fail(ParseError::kMissingHeader, "To", "missing");
    if (!seen_call_id) return Fail(ParseError::kMissingHeader, "Call-ID", "missing");
    if (!seen_cseq) return Fail(ParseError::kMissingHeader, "CSeq", "missing");
    if (m->is_request && m->cseq_method != m->method)
      return Fail(ParseError::kCSeqMismatch, "CSeq", "method differs from the request's");
    return ParseError::kNone;
  }
};

}  // namespace

ParseError Parse(const char* data, size_t size, const ParseOptions& opt, Message* msg) {
  *msg = Message{};
  Parser p{data, size, opt, msg};
  return p.Run();
}

int64_t FrameLength(const char* data, size_t size, size_t max_size) {
  // Skip keep-alive CRLFs; they are a frame of their own.
  size_t i = 0;
  while (i < size && (data[i] == '\r' || data[i] == '\n')) ++i;
  if (i > 0) return static_cast<int64_t>(i);
  // Find the end of the header section.
  std::string_view s(data, size);
  size_t hdr_end = s.find("\r\n\r\n");
  size_t sep = 4;
  size_t lf = s.find("\n\n");
  if (lf != std::string_view::npos && (hdr_end == std::string_view::npos || lf < hdr_end)) {
    hdr_end = lf;
    sep = 2;
  }
  if (hdr_end == std::string_view::npos) return size > max_size ? -1 : 0;
  if (hdr_end + sep > max_size) return -1;
  // Content-Length (or "l") at the start of a line.
  int64_t cl = -1;
  size_t pos = 0;
  while (pos < hdr_end) {
    size_t eol = s.find('\n', pos);
    if (eol == std::string_view::npos || eol > hdr_end) eol = hdr_end;
    std::string_view line = s.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view name = TrimLws(line.substr(0, colon));
      if (EqualsNoCase(name, "content-length") || EqualsNoCase(name, "l")) {
        std::string_view v = TrimLws(line.substr(colon + 1));
        uint64_t n = 0;
        bool overflow = false;
        if (!ParseUnsigned(v, max_size, &n, &overflow)) return -1;
        if (cl >= 0 && static_cast<uint64_t>(cl) != n) return -1;
        cl = static_cast<int64_t>(n);
      }
    }
    pos = eol + 1;
  }
  if (cl < 0) return -1;
  size_t total = hdr_end + sep + static_cast<size_t>(cl);
  if (total > max_size) return -1;
  return total <= size ? static_cast<int64_t>(total) : 0;
}

}  // namespace callguard::sip
