// Hash mixing for the engine's tables. Number keys are structured (digit values with a length
// field), so every table mixes them with the splitmix64 finaliser before indexing. Pure.
#pragma once

#include <cstdint>

namespace callguard {

// The splitmix64 finaliser: a bijection on 64 bits with good avalanche.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// An ordered pair of keys mixed into one hash (Mix64(a, b) != Mix64(b, a) in general).
inline uint64_t Mix64(uint64_t a, uint64_t b) {
  return Mix64(a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL + (a << 6) + (a >> 2)));
}

}  // namespace callguard
