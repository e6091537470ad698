// StateTable<Entry>: the engine's table for tens of millions of small per-number entries
// (behaviour profiles, threshold counters).
//
// The table is split into 16 segments, each an open-addressing hash table with linear probing
// that grows on its own by 25% at 90% load: growth never copies the whole table at once (no
// pause for the screening path) and the load stays between 72% and 90%, which keeps the memory
// per entry near (sizeof(Entry) + 1) / 0.8 bytes. Beside its entries each segment keeps one tag
// byte per slot (empty, or seven bits of the key's hash): a walk reads the tags, 64 slots to a
// cache line, and looks at an entry only when its tag matches, so a lookup that misses touches
// no entry and an insert writes one entry and moves none. (Until 2026-11-30 this was a Robin Hood
// table without tags, whose inserts at 72-90% load moved a run of entries up by one slot: the
// tags made a growing table's inserts 1.5x as fast, docs/benchmarks.md.) Pointers returned by
// Find/FindOrInsert are valid until the next insert, erase or sweep. Single-threaded, like the
// engine that owns it.
//
// Entry: trivially copyable, all-zero bits when empty, its first member `uint64_t key`: the
// entry's key in the low 56 bits (never 0; the top byte is kept clear).
//
// The member functions are defined in state_table_impl.h and instantiated, out of line, once
// per entry type (profile_table.cc, thresholds.cc): the code the benchmarks measured, and one
// copy in the binary.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/huge_pages.h"

namespace callguard {

// The table's hash of a key (out of line on purpose: inlined into Prefetch/Find it made the
// state benchmark's warm lookups about 40% slower, measured side by side).
uint64_t StateTableHash(uint64_t key);

template <typename Entry>
class StateTable {
  static_assert(std::is_trivially_copyable_v<Entry>, "entries are copied bytewise (growth, erase)");

 public:
  static constexpr int kSegmentBits = 4;
  static constexpr size_t kSegments = size_t{1} << kSegmentBits;
  static constexpr uint64_t kKeyBits = (1ULL << 56) - 1;
  // Cache lines of entries Prefetch loads: the home slot and the seven after it.
  static constexpr size_t kPrefetchLines = (8 * sizeof(Entry) + 63) / 64;

  explicit StateTable(size_t expected_entries = 1 << 20);

  Entry* Find(uint64_t key);
  const Entry* Find(uint64_t key) const;
  // Starts loading the tags and the slots where `key` would live (a cache hint; changes
  // nothing).
  void Prefetch(uint64_t key) const {
    const uint64_t h = StateTableHash(key);
    const Segment& seg = SegmentFor(h);
    const uint32_t home = Home(h, seg.slots.size());
    __builtin_prefetch(seg.tags.data() + home);
    // A hit is on average 1-5 slots past its home at 72-90% load (linear probing's mean
    // displacement), and the entry is not known until the tags are read: fetching the home slot
    // and the seven after it beat three lines by 10-20% in the behaviour detector's stage (sixth
    // session), and beat reading the tags here to fetch the entry's own lines (warm x0.69,
    // seventh session; docs/benchmarks.md).
    const char* p = reinterpret_cast<const char*>(seg.slots.data() + home);
    for (size_t line = 0; line < kPrefetchLines; ++line) __builtin_prefetch(p + 64 * line);
  }
  // Returns the entry of `key`, inserting a zeroed one when absent. `key` must not be 0.
  Entry* FindOrInsert(uint64_t key);
  // Inserts a complete entry (snapshot restore); replaces an existing one.
  void Put(const Entry& e);
  // Removes the entry of `key`; false when there was none.
  bool Erase(uint64_t key);
  // Removes every entry for which `drop(entry)` is true; returns how many.
  template <typename F>
  size_t EraseIf(F drop);
  void Clear();

  size_t size() const { return size_; }
  size_t slots() const;
  // Bytes held by the table (slots, tags and segment headers).
  size_t memory_bytes() const;

  template <typename F>
  void ForEach(F f) const {
    for (const auto& seg : segments_) {
      for (size_t i = 0; i < seg.slots.size(); ++i)
        if (seg.tags[i] != 0) f(static_cast<const Entry&>(seg.slots[i]));
    }
  }
  // For tests: every entry is in its segment, carries its key's tag, sits in the run that
  // starts at its home (no empty slot between), and is found where it sits.
  bool CheckLayout() const;

 private:
  struct Segment {
    std::vector<Entry, HugePageAllocator<Entry>> slots;
    // One byte per slot: 0 when the slot is empty, else 0x80 and seven bits of its key's hash.
    // Walks read these (64 slots to a cache line) and look at an entry only when its tag
    // matches: a miss and an insert touch no entry but the one written.
    std::vector<uint8_t, HugePageAllocator<uint8_t>> tags;
    uint32_t count = 0;
  };
  static uint32_t Home(uint64_t h, size_t cap) {
    return static_cast<uint32_t>(((h & 0xffffffffULL) * cap) >> 32);
  }
  static uint8_t Tag(uint64_t h) { return static_cast<uint8_t>(0x80 | ((h >> 32) & 0x7f)); }
  Segment& SegmentFor(uint64_t h) { return segments_[h >> (64 - kSegmentBits)]; }
  const Segment& SegmentFor(uint64_t h) const { return segments_[h >> (64 - kSegmentBits)]; }
  static size_t SegmentSlots(size_t slots);
  static Segment NewSegment(size_t slots);
  // Walks from the home slot of hash `h` to `key` (found) or to the first empty slot, where
  // `key` would be inserted.
  struct ProbeResult {
    uint32_t slot;
    bool found;
  };
  static ProbeResult Probe(const Segment& seg, uint64_t h, uint64_t key);
  void Grow(Segment& seg);
  // Puts `e` (absent) into the first empty slot from its home; returns it. The segment must
  // have an empty slot (its load stays at or under kMaxLoad).
  static Entry* Insert(Segment& seg, uint64_t h, const Entry& e);
  // Puts `e` (absent, of hash `h`) into empty slot i.
  static Entry* PlaceAt(Segment& seg, uint32_t i, uint64_t h, const Entry& e);

  std::vector<Segment> segments_;
  size_t size_ = 0;
};

template <typename Entry>
template <typename F>
size_t StateTable<Entry>::EraseIf(F drop) {
  size_t removed = 0;
  for (auto& seg : segments_) {
    bool any = false;
    for (size_t i = 0; i < seg.slots.size() && !any; ++i)
      any = seg.tags[i] != 0 && drop(static_cast<const Entry&>(seg.slots[i]));
    if (!any) continue;
    // Rebuild the segment without them (simpler than deleting each, and just as fast for a
    // periodic sweep).
    std::vector<Entry> keep;
    keep.reserve(seg.count);
    for (size_t i = 0; i < seg.slots.size(); ++i) {
      if (seg.tags[i] == 0) continue;
      if (drop(static_cast<const Entry&>(seg.slots[i]))) {
        ++removed;
      } else {
        keep.push_back(seg.slots[i]);
      }
    }
    std::fill(seg.tags.begin(), seg.tags.end(), uint8_t{0});
    seg.count = 0;
    for (const auto& e : keep) Insert(seg, StateTableHash(e.key), e);
  }
  size_ -= removed;
  return removed;
}

}  // namespace callguard
