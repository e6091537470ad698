// RobinHoodTable<Entry>: the engine's table for tens of millions of small per-number entries
// (behaviour profiles, threshold counters).
//
// The table is split into 16 segments, each an open-addressing Robin Hood hash table that grows
// on its own by 25% at 90% load: growth never copies the whole table at once (no pause for the
// screening path) and the load stays between 72% and 90%, which keeps the memory per entry near
// sizeof(Entry) / 0.8 bytes. Pointers returned by Find/FindOrInsert are valid until the next
// insert, erase or sweep. Single-threaded, like the engine that owns it.
//
// Entry: trivially copyable, all-zero bits when empty, its first member `uint64_t key`: the
// entry's key in the low 56 bits (never 0). Inside the table the key's top byte holds the slot's
// probe distance; entries handed out by ForEach have it cleared.
//
// The member functions are defined in robin_hood_table_impl.h and instantiated, out of line,
// once per entry type (profile_table.cc, thresholds.cc), as the profile table's were before it
// became a template: the code the benchmarks measured, and one copy in the binary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/huge_pages.h"

namespace callguard {

// The table's hash of a key (out of line on purpose: inlined into Prefetch/Find it made the
// state benchmark's warm lookups about 40% slower, measured side by side).
uint64_t RobinHoodHash(uint64_t key);

template <typename Entry>
class RobinHoodTable {
  static_assert(std::is_trivially_copyable_v<Entry>, "entries are moved with memmove");

 public:
  static constexpr int kSegmentBits = 4;
  static constexpr size_t kSegments = size_t{1} << kSegmentBits;
  static constexpr int kDistShift = 56;
  static constexpr uint64_t kKeyBits = (1ULL << kDistShift) - 1;
  // Cache lines Prefetch loads: the home slot and the seven slots after it.
  static constexpr size_t kPrefetchLines = (8 * sizeof(Entry) + 63) / 64;

  explicit RobinHoodTable(size_t expected_entries = 1 << 20);

  Entry* Find(uint64_t key);
  const Entry* Find(uint64_t key) const;
  // Starts loading the slot where `key` would live (a cache hint; changes nothing).
  void Prefetch(uint64_t key) const {
    uint64_t h = RobinHoodHash(key);
    const Segment& seg = SegmentFor(h);
    // A lookup reads on from the home slot to the entry, or to the first slot that ends the
    // search: at 72-90% load that is about 3-5 slots on average (linear probing's mean
    // displacement, which Robin Hood order does not change). Fetching the lines of the home
    // slot and the seven after it beat three lines by 10-20% in the behaviour detector's stage
    // (docs/benchmarks.md, sixth session).
    const char* p = reinterpret_cast<const char*>(seg.slots.data() + Home(h, seg.slots.size()));
    for (size_t line = 0; line < kPrefetchLines; ++line) __builtin_prefetch(p + 64 * line);
  }
  // Returns the entry of `key`, inserting a zeroed one when absent. `key` must not be 0.
  Entry* FindOrInsert(uint64_t key);
  // Inserts a complete entry (snapshot restore); replaces an existing one.
  void Put(const Entry& e);
  // Removes the entry of `key`; false when there was none.
  bool Erase(uint64_t key);
  // Removes every entry for which `drop(entry)` is true (its key clean); returns how many.
  template <typename F>
  size_t EraseIf(F drop);
  void Clear();

  size_t size() const { return size_; }
  size_t slots() const;
  // Bytes held by the table (slots and segment headers).
  size_t memory_bytes() const;

  template <typename F>
  void ForEach(F f) const {
    for (const auto& seg : segments_) {
      for (Entry e : seg.slots) {
        if (e.key == 0) continue;
        e.key &= kKeyBits;
        f(e);
      }
    }
  }
  // For tests: every entry sits at its recorded distance from its home, in Robin Hood order,
  // and is found where it sits.
  bool CheckLayout() const;

 private:
  struct Segment {
    std::vector<Entry, HugePageAllocator<Entry>> slots;
    uint32_t count = 0;
  };
  static uint32_t Home(uint64_t h, size_t cap) {
    return static_cast<uint32_t>(((h & 0xffffffffULL) * cap) >> 32);
  }
  Segment& SegmentFor(uint64_t h) { return segments_[h >> (64 - kSegmentBits)]; }
  const Segment& SegmentFor(uint64_t h) const { return segments_[h >> (64 - kSegmentBits)]; }
  static size_t SegmentSlots(size_t slots);
  // Walks from the home slot of hash `h` to `key` (found), or to where `key` would be inserted
  // (the first empty slot, or the first resident nearer its home than `key` would be to its).
  struct ProbeResult {
    uint32_t slot;
    uint64_t dist;
    bool found;
  };
  static ProbeResult Probe(const Segment& seg, uint64_t h, uint64_t key);
  void Grow(Segment& seg);
  // Moves every entry of `from` into the empty, larger `to`; false (with `to` partly filled)
  // when a probe distance would not fit in the top byte.
  static bool Rehash(const Segment& from, Segment& to);
  // Robin Hood insert of an entry known to be absent (its top byte clear); returns where `e`
  // landed, or nullptr, with the segment unchanged, when a probe distance would not fit in the
  // top byte (the caller grows the segment and tries again).
  static Entry* InsertNew(Segment& seg, Entry e);
  // The second half of InsertNew: puts `e` (absent, its top byte clear) into slot i at probe
  // distance `dist`, moving the run from i up by one; nullptr, with the segment unchanged, when
  // a resident's distance would not fit.
  static Entry* PlaceAt(Segment& seg, uint32_t i, uint64_t dist, Entry e);
  // Inserts an entry known to be absent; returns its slot.
  Entry* Insert(Segment& seg, Entry e);

  std::vector<Segment> segments_;
  size_t size_ = 0;
};

template <typename Entry>
template <typename F>
size_t RobinHoodTable<Entry>::EraseIf(F drop) {
  size_t removed = 0;
  for (auto& seg : segments_) {
    bool any = false;
    for (Entry e : seg.slots) {
      if (e.key == 0) continue;
      e.key &= kKeyBits;
      if (drop(static_cast<const Entry&>(e))) {
        any = true;
        break;
      }
    }
    if (!any) continue;
    // Rebuild the segment without them (simpler than backward-shift deletion of each, and just
    // as fast for a periodic sweep).
    std::vector<Entry> keep;
    keep.reserve(seg.count);
    for (Entry e : seg.slots) {
      if (e.key == 0) continue;
      e.key &= kKeyBits;
      if (drop(static_cast<const Entry&>(e))) {
        ++removed;
      } else {
        keep.push_back(e);
      }
    }
    std::fill(seg.slots.begin(), seg.slots.end(), Entry());
    seg.count = 0;
    for (const auto& e : keep) Insert(seg, e);
  }
  size_ -= removed;
  return removed;
}

}  // namespace callguard
