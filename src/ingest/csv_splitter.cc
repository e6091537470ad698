#include "ingest/csv_splitter.h"

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace callguard {

bool CsvSplitter::SplitUnquoted(std::string_view rec) {
  const char* p = rec.data();
  const size_t n = rec.size();
  size_t start = 0, i = 0;
#if defined(__SSE2__)
  // Whole 16-byte blocks: one compare each for separators and quotes, then one field per set
  // bit. (bench/micro_bench BM_CsvSplit measures this against the byte loop below.)
  const __m128i sep = _mm_set1_epi8(sep_), quote = _mm_set1_epi8('"');
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) != 0) return false;
    unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, sep)));
    while (m != 0) {
      size_t at = i + static_cast<size_t>(__builtin_ctz(m));
      fields_.emplace_back(p + start, at - start);
      start = at + 1;
      m &= m - 1;
    }
  }
#endif
  for (; i < n; ++i) {
    if (p[i] == '"') return false;
    if (p[i] == sep_) {
      fields_.emplace_back(p + start, i - start);
      start = i + 1;
    }
  }
  fields_.emplace_back(p + start, n - start);  // the last field (empty after a trailing comma)
  return true;
}

bool CsvSplitter::Split(std::string_view rec, std::string* error) {
  fields_.clear();
  unescaped_used_ = 0;
  if (SplitUnquoted(rec)) return true;
  fields_.clear();
  size_t i = 0, n = rec.size();
  for (;;) {
    if (i < n && rec[i] == '"') {
      // Quoted field.
      size_t start = ++i;
      bool has_escape = false;
      for (;;) {
        if (i >= n) {
          *error = "unclosed quote in field " + std::to_string(fields_.size() + 1);
          return false;
        }
        if (rec[i] == '"') {
          if (i + 1 < n && rec[i + 1] == '"') {
            has_escape = true;
            i += 2;
            continue;
          }
          break;
        }
        ++i;
      }
      std::string_view raw = rec.substr(start, i - start);
      ++i;  // closing quote
      if (has_escape) {
        if (unescaped_used_ == unescaped_.size()) unescaped_.emplace_back();
        std::string& s = unescaped_[unescaped_used_++];
        s.clear();
        for (size_t k = 0; k < raw.size(); ++k) {
          s.push_back(raw[k]);
          if (raw[k] == '"') ++k;
        }
        fields_.push_back(s);
      } else {
        fields_.push_back(raw);
      }
      if (i < n && rec[i] != sep_) {
        *error =
            "unexpected text after the closing quote of field " + std::to_string(fields_.size());
        return false;
      }
    } else {
      size_t start = i;
      while (i < n && rec[i] != sep_) ++i;
      fields_.push_back(rec.substr(start, i - start));
    }
    if (i >= n) break;
    ++i;  // separator
    if (i == n) {
      fields_.emplace_back();  // trailing separator: an empty last field
      break;
    }
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto* e = p + s.size();
  while (p < e) {
    // ASCII fast path, 8 bytes at a time.
    while (e - p >= 8) {
      uint64_t w;
      __builtin_memcpy(&w, p, 8);
      if (w & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p >= e) break;
    uint8_t c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (e - p < len) return false;
    for (int k = 1; k < len; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    p += len;
  }
  return true;
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o.push_back('"');
    o.push_back(c);
  }
  return o + "\"";
}

}  // namespace callguard
