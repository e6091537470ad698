#include "sip/uri.h"

#include <cstring>

namespace callguard::sip {

namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int HexVal(char c) {
  if (IsDigit(c)) return c - '0';
  return (c | 0x20) - 'a' + 10;
}

// Characters allowed anywhere in a URI (RFC 3261 §25.1 unreserved / reserved / escaped), plus
// '[' ']' for IPv6 references. No white space, no controls, no quotes, no '<' '>'.
struct CharTable {
  bool v[256] = {};
  constexpr CharTable(const char* extra) {
    for (int c = 'a'; c <= 'z'; ++c) v[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) v[c] = true;
    for (int c = '0'; c <= '9'; ++c) v[c] = true;
    for (const char* p = extra; *p; ++p) v[static_cast<unsigned char>(*p)] = true;
  }
  bool operator()(char c) const { return v[static_cast<unsigned char>(c)]; }
};
constexpr CharTable kUriChars("-_.!~*'()%;/?:@&=+$,[]#");
constexpr CharTable kTokenChars("-.!%*_+`'~");

bool IsUriChar(char c) { return kUriChars(c); }

// Reads a quoted string starting at s[i] == '"'; returns the position after the closing quote,
// or npos when it never closes.
size_t SkipQuoted(std::string_view s, size_t i) {
  ++i;
  while (i < s.size()) {
    if (s[i] == '\\') {
      i += 2;
      continue;
    }
    if (s[i] == '"') return i + 1;
    ++i;
  }
  return std::string_view::npos;
}

bool ValidHost(std::string_view h) {
  if (h.empty()) return false;
  if (h.front() == '[') {
    if (h.back() != ']' || h.size() < 4) return false;
    for (size_t i = 1; i + 1 < h.size(); ++i) {
      char c = h[i];
      if (!(IsHex(c) || c == ':' || c == '.')) return false;
    }
    return true;
  }
  for (char c : h)
    if (!(IsAlpha(c) || IsDigit(c) || c == '-' || c == '.')) return false;
  return true;
}

bool ValidPort(std::string_view p) {
  if (p.empty() || p.size() > 5) return false;
  unsigned v = 0;
  for (char c : p) {
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v <= 65535;
}

}  // namespace

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

size_t SkipLws(std::string_view s, size_t i) {
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t') {
      ++i;
    } else if (c == '\r' && i + 2 < s.size() && s[i + 1] == '\n' &&
               (s[i + 2] == ' ' || s[i + 2] == '\t')) {
      i += 3;
    } else if (c == '\n' && i + 1 < s.size() && (s[i + 1] == ' ' || s[i + 1] == '\t')) {
      i += 2;
    } else {
      break;
    }
  }
  return i;
}

bool Uri::IsSip() const { return EqualsNoCase(scheme, "sip") || EqualsNoCase(scheme, "sips"); }
bool Uri::IsTel() const { return EqualsNoCase(scheme, "tel"); }

bool IsLwsChar(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimLws(std::string_view s) {
  while (!s.empty() && IsLwsChar(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsLwsChar(s.back())) s.remove_suffix(1);
  return s;
}

bool IsTokenChar(char c) { return kTokenChars(c); }

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!IsTokenChar(c)) return false;
  return true;
}

bool ParseUri(std::string_view text, Uri* out, const char** err) {
  *out = Uri{};
  out->text = text;
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !IsAlpha(text[0])) {
    *err = "not a URI (no scheme)";
    return false;
  }
  for (size_t i = 0; i < colon; ++i) {
    char c = text[i];
    if (!(IsAlpha(c) || IsDigit(c) || c == '+' || c == '-' || c == '.')) {
      *err = "bad URI scheme";
      return false;
    }
  }
  for (char c : text) {
    if (!IsUriChar(c)) {
      *err = "character not allowed in a URI";
      return false;
    }
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && (i + 2 >= text.size() || !IsHex(text[i + 1]) || !IsHex(text[i + 2]))) {
      *err = "bad %-escape in URI";
      return false;
    }
  }
  out->scheme = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  if (rest.empty()) {
    *err = "empty URI";
    return false;
  }
  if (out->IsTel()) {
    size_t semi = rest.find(';');
    out->user = rest.substr(0, semi);
    if (semi != std::string_view::npos) out->params = rest.substr(semi);
    if (out->user.empty()) {
      *err = "tel URI without a number";
      return false;
    }
    return true;
  }
  if (!out->IsSip()) return true;  // another absoluteURI: opaque

  // The user part may hold '?', ';', ',' and '/' (RFC 3261 §25.1 user-unreserved) but never a
  // raw '@', nor can the headers after the host: the first '@' ends the user part.
  size_t at = rest.find('@');
  std::string_view hostport = rest;
  if (at != std::string_view::npos) hostport = rest.substr(at + 1);
  size_t q = hostport.find('?');
  if (q != std::string_view::npos) {
    out->headers = hostport.substr(q + 1);
    hostport = hostport.substr(0, q);
  }
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    // The user part may hold ';' (RFC 4475 §3.1.1.9); a password follows the first ':'.
    size_t pc = userinfo.find(':');
    out->user = userinfo.substr(0, pc);
    if (pc != std::string_view::npos) out->password = userinfo.substr(pc + 1);
    if (out->user.empty()) {
      *err = "empty user part";
      return false;
    }
  }
  size_t semi = hostport.find(';');
  if (semi != std::string_view::npos) {
    out->params = hostport.substr(semi);
    hostport = hostport.substr(0, semi);
  }
  size_t pcolon = std::string_view::npos;
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close != std::string_view::npos && close + 1 < hostport.size() &&
        hostport[close + 1] == ':')
      pcolon = close + 1;
  } else {
    pcolon = hostport.find(':');
  }
  out->host = hostport.substr(0, pcolon);
  if (pcolon != std::string_view::npos) {
    out->port = hostport.substr(pcolon + 1);
    if (!ValidPort(out->port)) {
      *err = "bad port";
      return false;
    }
  }
  if (!ValidHost(out->host)) {
    *err = "bad host";
    return false;
  }
  if (!out->params.empty() && !ValidParams(out->params)) {
    *err = "bad URI parameters";
    return false;
  }
  return true;
}

bool ParseNameAddr(std::string_view value, bool liberal, NameAddr* out, const char** err) {
  *out = NameAddr{};
  std::string_view v = TrimLws(value);
  if (v.empty()) {
    *err = "empty value";
    return false;
  }
  size_t lt = std::string_view::npos;
  size_t i = 0;
  if (v[0] == '"') {
    size_t end = SkipQuoted(v, 0);
    if (end == std::string_view::npos) {
      *err = "unterminated quoted display name";
      return false;
    }
    out->display = v.substr(1, end - 2);
    i = SkipLws(v, end);
    if (i >= v.size() || v[i] != '<') {
      *err = "quoted display name without <URI>";
      return false;
    }
    lt = i;
  } else {
    // A '<' outside quotes starts a name-addr; everything before it is an unquoted display
    // name (tokens and LWS; a liberal reading also allows other characters such as ',').
    for (size_t k = 0; k < v.size(); ++k) {
      if (v[k] == '<') {
        lt = k;
        break;
      }
      if (v[k] == '"') break;
    }
    if (lt != std::string_view::npos) {
      std::string_view dn = TrimLws(v.substr(0, lt));
      for (char c : dn) {
        if (!(IsTokenChar(c) || IsLwsChar(c) || (liberal && c != '"' && c >= 0x20))) {
          *err = "bad display name";
          return false;
        }
      }
      out->display = dn;
    }
  }
  std::string_view uri_text;
  std::string_view after;
  if (lt != std::string_view::npos) {
    size_t gt = v.find('>', lt);
    if (gt == std::string_view::npos) {
      *err = "'<' without '>'";
      return false;
    }
    uri_text = v.substr(lt + 1, gt - lt - 1);
    std::string_view trimmed = TrimLws(uri_text);
    if (trimmed.size() != uri_text.size() && !liberal) {
      *err = "white space inside <>";
      return false;
    }
    uri_text = trimmed;
    after = v.substr(gt + 1);
    out->bracketed = true;
  } else {
    // addr-spec: the URI ends at the first ';' after the host (or at white space); the
    // parameters after it are header parameters (RFC 3261 §20.10).
    size_t at = v.find('@');
    size_t from = at == std::string_view::npos ? 0 : at;
    size_t end = v.size();
    for (size_t k = from; k < v.size(); ++k) {
      if (v[k] == ';' || IsLwsChar(v[k])) {
        end = k;
        break;
      }
    }
    uri_text = v.substr(0, end);
    after = v.substr(end);
    // An unbracketed URI cannot carry '?' headers or ',' (RFC 3261 §20.10).
    if (uri_text.find('?') != std::string_view::npos && !liberal) {
      *err = "URI with headers must be in <>";
      return false;
    }
  }
  if (!ParseUri(uri_text, &out->uri, err)) return false;
  std::string_view params = TrimLws(after);
  if (!params.empty()) {
    if (params[0] != ';' || !ValidParams(params)) {
      *err = "bad header parameters";
      return false;
    }
    out->params = params;
    bool found = false;
    out->tag = FindParam(params, "tag", &found);
  }
  return true;
}

namespace {

// Walks one parameter list. Calls f(name, value, has_value) for each; false on syntax error.
template <typename F>
bool WalkParams(std::string_view s, F f) {
  size_t i = SkipLws(s, 0);
  while (i < s.size()) {
    if (s[i] != ';') return false;
    i = SkipLws(s, i + 1);
    size_t n0 = i;
    while (i < s.size() && IsTokenChar(s[i])) ++i;
    std::string_view name = s.substr(n0, i - n0);
    if (name.empty()) return false;
    i = SkipLws(s, i);
    std::string_view value;
    bool has_value = false;
    if (i < s.size() && s[i] == '=') {
      has_value = true;
      i = SkipLws(s, i + 1);
      if (i < s.size() && s[i] == '"') {
        size_t end = SkipQuoted(s, i);
        if (end == std::string_view::npos) return false;
        value = s.substr(i + 1, end - i - 2);
        i = end;
      } else {
        size_t v0 = i;
        while (i < s.size() &&
               (IsTokenChar(s[i]) || s[i] == ':' || s[i] == '[' || s[i] == ']' || s[i] == '/' ||
                s[i] == '@' || s[i] == '?' || s[i] == '&' || s[i] == '$' || s[i] == '='))
          ++i;
        value = s.substr(v0, i - v0);
        if (value.empty()) return false;
      }
      i = SkipLws(s, i);
    }
    if (!f(name, value, has_value)) return true;
  }
  return true;
}

}  // namespace

bool ValidParams(std::string_view params) {
  return WalkParams(params, [](std::string_view, std::string_view, bool) { return true; });
}

std::string_view FindParam(std::string_view params, std::string_view name, bool* found) {
  *found = false;
  std::string_view result;
  WalkParams(params, [&](std::string_view n, std::string_view v, bool) {
    if (EqualsNoCase(n, name)) {
      *found = true;
      result = v;
      return false;
    }
    return true;
  });
  return result;
}

int SplitList(std::string_view value, std::string_view* out, int max, bool* empty_element) {
  *empty_element = false;
  int n = 0;
  std::string_view s = value;
  if (TrimLws(s).empty()) return 0;
  while (true) {
    size_t i = 0;
    bool in_angle = false;
    while (i < s.size()) {
      char c = s[i];
      if (c == '"') {
        size_t end = SkipQuoted(s, i);
        i = end == std::string_view::npos ? s.size() : end;
        continue;
      }
      if (c == '<') in_angle = true;
      if (c == '>') in_angle = false;
      if (c == ',' && !in_angle) break;
      ++i;
    }
    std::string_view e = TrimLws(s.substr(0, i));
    if (e.empty()) *empty_element = true;
    if (n < max) out[n] = e;
    ++n;
    if (i >= s.size()) break;
    s = s.substr(i + 1);
  }
  return n;
}

void Unescape(std::string_view s, std::string* out) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2])) {
      out->push_back(static_cast<char>(HexVal(s[i + 1]) * 16 + HexVal(s[i + 2])));
      i += 2;
    } else {
      out->push_back(s[i]);
    }
  }
}

}  // namespace callguard::sip
