// ProfileTable: the per-number behaviour state, built for tens of millions of numbers.
//
// A Profile is 48 bytes: the packed number key, time-decayed counters for three windows, shares
// kept as running averages in 16-bit fixed point, and a few bytes for sequential dialling. The
// profiles live in a StateTable (state_table.h): 16 segments that grow on their own by 25% at
// 90% load, which keeps the memory per tracked number near (48 + 1 tag byte) / 0.8 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/state_table.h"

namespace callguard {

struct Profile {
  // Fixed-point scale of the shares: 65535 = 1.0.
  static constexpr float kShareScale = 65535.0f;
  enum Share { kAnswered = 0, kShort, kLong, kNight, kNewContact, kReciprocal, kShareCount };

  // The packed number key (low 56 bits, never 0).
  uint64_t key = 0;
  uint32_t last_s = 0;     // time of the last update (Unix seconds)
  float attempts[3] = {};  // outgoing call attempts, decayed per window (short, medium, long)
  float incoming = 0;      // incoming calls, decayed over the long window
  float callbacks = 0;     // incoming calls from numbers this one had called, long window
  uint16_t share[kShareCount] = {};  // running shares over outgoing calls
  uint16_t last_callee_low = 0;      // low 16 bits of the last callee's digits (sequential)
  uint8_t seq_run = 0;               // length of the current run of consecutive callee numbers
  uint8_t outgoing_seen = 0;         // outgoing calls observed, saturating at 255

  float Share(int i) const { return share[i] / kShareScale; }
};
static_assert(sizeof(Profile) == 48, "Profile must stay 48 bytes");

// The behaviour detector's table of profiles (state_table.h).
class ProfileTable : public StateTable<Profile> {
 public:
  explicit ProfileTable(size_t expected_numbers = 1 << 20) : StateTable(expected_numbers) {}
  // Removes profiles not updated since `older_than_s`; returns how many were removed.
  size_t Sweep(uint32_t older_than_s) {
    return EraseIf([&](const Profile& p) { return p.last_s < older_than_s; });
  }
};

}  // namespace callguard
