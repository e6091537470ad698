// ProfileTable: the per-number behaviour state, built for tens of millions of numbers.
//
// A Profile is 48 bytes: the packed number key, time-decayed counters for three windows, shares
// kept as running averages in 16-bit fixed point, and a few bytes for sequential dialling. The
// table is split into 16 segments, each an open-addressing Robin Hood hash table that grows on
// its own by 25% at 90% load: growth never copies the whole table at once (no pause for the
// screening path) and the load stays between 72% and 90%, which keeps the memory per tracked
// number near 48 / 0.8 bytes. Pointers returned by Find/FindOrInsert are valid until the next
// insert or sweep. Single-threaded, like the engine that owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/huge_pages.h"

namespace callguard {

struct Profile {
  // Fixed-point scale of the shares: 65535 = 1.0.
  static constexpr float kShareScale = 65535.0f;
  enum Share { kAnswered = 0, kShort, kLong, kNight, kNewContact, kReciprocal, kShareCount };

  // The packed number key (low 56 bits; 0 = empty slot). Inside the table the top byte holds
  // the slot's Robin Hood probe distance; profiles handed out by ForEach have it cleared.
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

class ProfileTable {
 public:
  static constexpr int kSegmentBits = 4;
  static constexpr size_t kSegments = size_t{1} << kSegmentBits;

  explicit ProfileTable(size_t expected_numbers = 1 << 20);

  Profile* Find(uint64_t key);
  // Starts loading the slot where `key` would live (a cache hint; changes nothing).
  void Prefetch(uint64_t key) const {
    uint64_t h = Hash(key);
    const Segment& seg = SegmentFor(h);
    // A 48-byte slot may straddle two cache lines, and a probe reads on (at 72-90% load a
    // lookup often needs the next slot or two): fetch three lines.
    const char* p = reinterpret_cast<const char*>(seg.slots.data() + Home(h, seg.slots.size()));
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
    __builtin_prefetch(p + 128);
  }
  const Profile* Find(uint64_t key) const;
  // Returns the profile of `key`, inserting a zeroed one when absent. `key` must not be 0.
  Profile* FindOrInsert(uint64_t key);
  // Removes profiles not updated since `older_than_s`; returns how many were removed.
  size_t Sweep(uint32_t older_than_s);
  void Clear();

  size_t size() const { return size_; }
  size_t slots() const;
  // Bytes held by the table (slots and segment headers).
  size_t memory_bytes() const;

  template <typename F>
  void ForEach(F f) const {
    for (const auto& seg : segments_) {
      for (Profile p : seg.slots) {
        if (p.key == 0) continue;
        p.key &= kKeyBits;
        f(p);
      }
    }
  }
  // Inserts a complete profile (snapshot restore); replaces an existing one.
  void Put(const Profile& p);
  // For tests: every profile sits at its recorded distance from its home, in Robin Hood order,
  // and is found where it sits.
  bool CheckLayout() const;

 private:
  struct Segment {
    std::vector<Profile, HugePageAllocator<Profile>> slots;
    uint32_t count = 0;
  };
  static constexpr int kDistShift = 56;
  static constexpr uint64_t kKeyBits = (1ULL << kDistShift) - 1;
  // Out of line on purpose: inlined into Prefetch/Find it made the state benchmark's warm
  // lookups about 40% slower (bench/state_bench, measured side by side).
  static uint64_t Hash(uint64_t key);
  static uint32_t Home(uint64_t h, size_t cap) {
    return static_cast<uint32_t>(((h & 0xffffffffULL) * cap) >> 32);
  }
  Segment& SegmentFor(uint64_t h) { return segments_[h >> (64 - kSegmentBits)]; }
  const Segment& SegmentFor(uint64_t h) const { return segments_[h >> (64 - kSegmentBits)]; }
  void Grow(Segment& seg);
  // Moves every profile of `from` into the empty, larger `to`; false (with `to` partly
  // filled) when a probe distance would not fit in the top byte.
  static bool Rehash(const Segment& from, Segment& to);
  // Robin Hood insert of a profile known to be absent (its top byte clear); returns where `p`
  // landed, or nullptr, with the segment unchanged, when a probe distance would not fit in the
  // top byte (the caller grows the segment and tries again).
  static Profile* InsertNew(Segment& seg, Profile p);
  // Inserts a profile known to be absent; returns its slot.
  Profile* Insert(Segment& seg, Profile p);

  std::vector<Segment> segments_;
  size_t size_ = 0;
};

}  // namespace callguard
