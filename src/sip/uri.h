// Pieces of SIP header values (RFC 3261 §19, §25.1): URIs, name-addr / addr-spec, parameters,
// comma-separated lists and linear white space (LWS, which includes a CRLF followed by a space
// or tab: a folded line). Every function works on views into the message buffer and never reads
// outside the view it is given. Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>

namespace callguard::sip {

// A SIP, SIPS or tel URI, or any other absoluteURI (then only scheme and text are set).
// Parts are raw (still %-escaped); use Unescape() to compare user parts.
struct Uri {
  std::string_view text;    // the whole URI
  std::string_view scheme;  // "sip", "sips", "tel", or another scheme
  std::string_view user;    // user part (may contain ';' as in "user;par=x@host"); tel: the number
  std::string_view password;
  std::string_view host;  // hostname, IPv4, or [IPv6] with brackets
  std::string_view port;
  std::string_view params;   // ";lr;transport=udp" (after the host, or after a tel number)
  std::string_view headers;  // after '?', without it
  bool IsSip() const;        // sip: or sips:
  bool IsTel() const;
};

// A From, To, Contact or P-Asserted-Identity value.
struct NameAddr {
  std::string_view display;  // without the quotes, still backslash-escaped
  Uri uri;
  std::string_view params;  // header parameters after the URI (";tag=...;expires=...")
  std::string_view tag;
  bool bracketed = false;
};

bool IsLwsChar(char c);  // SP, HT, CR or LF
// Skips linear white space (SP, HT and folded line breaks) in s from i; returns the new index.
size_t SkipLws(std::string_view s, size_t i);
// Case-insensitive ASCII comparison.
bool EqualsNoCase(std::string_view a, std::string_view b);
// Trims SP, HT and folded line breaks from both ends.
std::string_view TrimLws(std::string_view s);
// RFC 3261 token characters.
bool IsTokenChar(char c);
bool IsToken(std::string_view s);

// Parses a URI with no surrounding white space. Returns false (and sets *err) when it is not a
// URI, or, for sip/sips/tel, when a part is malformed.
bool ParseUri(std::string_view text, Uri* out, const char** err);

// Parses a name-addr ("Display" <uri>;params), or an addr-spec (uri;params, where the
// parameters belong to the header, not the URI). `liberal` accepts what RFC 4475 §3.1.2.13-15
// lets a liberal element accept: unquoted display names with commas, spaces inside the <>.
bool ParseNameAddr(std::string_view value, bool liberal, NameAddr* out, const char** err);

// Checks a parameter list (";name[=value]..." with LWS allowed around ';' and '='): every name
// a token, every value a token, quoted string or host. Empty parameters are errors.
bool ValidParams(std::string_view params);
// The value of parameter `name` (case-insensitive) in a valid list; *found says whether it
// appeared at all (a flag parameter has an empty value).
std::string_view FindParam(std::string_view params, std::string_view name, bool* found);

// Splits a comma-separated header value into its elements (trimmed), respecting quoted strings
// and <...>. Stores at most `max` in out[] and returns how many there are; *empty_element is set
// when one is empty (",," or a trailing comma), which callers reject.
int SplitList(std::string_view value, std::string_view* out, int max, bool* empty_element);

// Appends `s` with %HH escapes decoded (an invalid escape is copied as is).
void Unescape(std::string_view s, std::string* out);

}  // namespace callguard::sip
