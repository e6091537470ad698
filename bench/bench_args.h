// Command-line numbers for the benchmark tools: a whole number or a clear error, never a
// silent 0 from atoi.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace callguard::bench {

// Parses `s` (argument or variable `what` of `tool`) as a whole number of at least `min` into
// *out; prints "tool: what: expected a whole number >= min, got 's'" and returns false if not.
inline bool ParseCount(const char* tool, const char* what, const char* s, uint64_t min,
                       uint64_t* out) {
  const char* end = s + std::strlen(s);
  auto [p, ec] = std::from_chars(s, end, *out);
  if (ec == std::errc() && p == end && p != s && *out >= min) return true;
  std::fprintf(stderr, "%s: %s: expected a whole number >= %llu, got '%s'\n", tool, what,
               static_cast<unsigned long long>(min), s);
  return false;
}

}  // namespace callguard::bench
