// Member functions of StateTable (state_table.h). Include only where the table is
// instantiated for an entry type: `template class StateTable<MyEntry>;`.
#pragma once

#include <algorithm>
#include <cstring>
#include <utility>

#include "engine/state_table.h"

namespace callguard {

namespace state_table_internal {
constexpr double kMaxLoad = 0.9;
}  // namespace state_table_internal

// A segment of `slots` entries, enlarged to fill its last huge page when it is at least one
// huge page: the memory is reserved either way (HugeRoundUp), every such segment is backed by
// huge pages, and a freed one can be reused for the next segment to grow (core/huge_pages.h).
template <typename Entry>
size_t StateTable<Entry>::SegmentSlots(size_t slots) {
  const size_t bytes = slots * sizeof(Entry);
  if (bytes < kHugePage) return slots;
  return ((bytes + kHugePage - 1) & ~(kHugePage - 1)) / sizeof(Entry);
}

template <typename Entry>
typename StateTable<Entry>::Segment StateTable<Entry>::NewSegment(size_t slots) {
  Segment s;
  s.slots.resize(slots);
  s.tags.resize(slots);
  return s;
}

template <typename Entry>
StateTable<Entry>::StateTable(size_t expected_entries) : segments_(kSegments) {
  size_t per = std::max<size_t>(8, static_cast<size_t>(expected_entries / kSegments / 0.8));
  for (auto& s : segments_) s = NewSegment(SegmentSlots(per));
}

template <typename Entry>
size_t StateTable<Entry>::slots() const {
  size_t n = 0;
  for (const auto& s : segments_) n += s.slots.size();
  return n;
}

template <typename Entry>
size_t StateTable<Entry>::memory_bytes() const {
  size_t n = segments_.capacity() * sizeof(Segment);
  for (const auto& s : segments_)
    n += HugeRoundUp(s.slots.capacity() * sizeof(Entry)) + HugeRoundUp(s.tags.capacity());
  return n;
}

template <typename Entry>
typename StateTable<Entry>::ProbeResult StateTable<Entry>::Probe(const Segment& seg, uint64_t h,
                                                                 uint64_t key) {
  const uint32_t cap = static_cast<uint32_t>(seg.slots.size());
  const uint8_t* tags = seg.tags.data();
  const uint8_t tag = Tag(h);
  uint32_t i = Home(h, cap);
  for (;;) {
    const uint8_t t = tags[i];
    if (t == 0) return {i, false};
    if (t == tag && seg.slots[i].key == key) return {i, true};
    if (++i == cap) i = 0;
  }
}

template <typename Entry>
const Entry* StateTable<Entry>::Find(uint64_t key) const {
  const uint64_t h = StateTableHash(key);
  const Segment& seg = SegmentFor(h);
  const ProbeResult r = Probe(seg, h, key);
  return r.found ? seg.slots.data() + r.slot : nullptr;
}

template <typename Entry>
Entry* StateTable<Entry>::Find(uint64_t key) {
  return const_cast<Entry*>(static_cast<const StateTable<Entry>*>(this)->Find(key));
}

template <typename Entry>
Entry* StateTable<Entry>::Insert(Segment& seg, uint64_t h, const Entry& e) {
  const uint32_t cap = static_cast<uint32_t>(seg.slots.size());
  uint8_t* tags = seg.tags.data();
  uint32_t i = Home(h, cap);
  while (tags[i] != 0)
    if (++i == cap) i = 0;
  return PlaceAt(seg, i, h, e);
}

template <typename Entry>
Entry* StateTable<Entry>::PlaceAt(Segment& seg, uint32_t i, uint64_t h, const Entry& e) {
  seg.tags[i] = Tag(h);
  seg.slots[i] = e;
  ++seg.count;
  return &seg.slots[i];
}

template <typename Entry>
void StateTable<Entry>::Grow(Segment& seg) {
  const size_t next =
      SegmentSlots(std::max(seg.slots.size() + 8, seg.slots.size() + seg.slots.size() / 4));
  Segment grown = NewSegment(next);
  // Read in slot order, the entries come nearly in the order of their new homes, so each
  // insert walks only a slot or two and writes next to the last one. (Placing them without the
  // walk while their homes keep increasing, as the Robin Hood table did, measured no faster:
  // growth is bound by moving the bytes. docs/benchmarks.md, seventh session.)
  for (size_t i = 0; i < seg.slots.size(); ++i)
    if (seg.tags[i] != 0) Insert(grown, StateTableHash(seg.slots[i].key), seg.slots[i]);
  seg = std::move(grown);
}

template <typename Entry>
Entry* StateTable<Entry>::FindOrInsert(uint64_t key) {
  // One walk: a lookup that misses stops at the first empty slot after the key's home, which
  // is where the key goes.
  const uint64_t h = StateTableHash(key);
  Segment& seg = SegmentFor(h);
  const ProbeResult r = Probe(seg, h, key);
  if (r.found) return seg.slots.data() + r.slot;
  Entry fresh;
  fresh.key = key;
  ++size_;
  if (seg.count + 1 <= seg.slots.size() * state_table_internal::kMaxLoad)
    return PlaceAt(seg, r.slot, h, fresh);
  Grow(seg);
  return Insert(seg, h, fresh);
}

template <typename Entry>
bool StateTable<Entry>::CheckLayout() const {
  for (const auto& seg : segments_) {
    const size_t cap = seg.slots.size();
    if (seg.tags.size() != cap) return false;
    size_t count = 0;
    for (size_t i = 0; i < cap; ++i) {
      if (seg.tags[i] == 0) continue;
      ++count;
      const uint64_t key = seg.slots[i].key;
      if (key == 0 || (key & ~kKeyBits) != 0) return false;
      const uint64_t h = StateTableHash(key);
      if (&SegmentFor(h) != &seg || seg.tags[i] != Tag(h)) return false;
      // Linear probing: every slot from the home to the entry is taken.
      for (size_t j = Home(h, cap); j != i; j = j + 1 == cap ? 0 : j + 1)
        if (seg.tags[j] == 0) return false;
      if (Find(key) != &seg.slots[i]) return false;
    }
    if (count != seg.count) return false;
  }
  return true;
}

template <typename Entry>
void StateTable<Entry>::Put(const Entry& p) {
  Entry* slot = FindOrInsert(p.key & kKeyBits);
  *slot = p;
  slot->key &= kKeyBits;
}

template <typename Entry>
bool StateTable<Entry>::Erase(uint64_t key) {
  const uint64_t h = StateTableHash(key);
  Segment& seg = SegmentFor(h);
  const ProbeResult r = Probe(seg, h, key);
  if (!r.found) return false;
  const uint32_t cap = static_cast<uint32_t>(seg.slots.size());
  uint8_t* tags = seg.tags.data();
  Entry* slots = seg.slots.data();
  // Deletion without tombstones (Knuth, TAOCP 6.4, algorithm R): walk the run after the hole;
  // an entry whose home is not cyclically in (hole, its slot] would no longer be found past
  // the hole, so it moves into the hole, which moves to where it was.
  uint32_t hole = r.slot;
  for (uint32_t j = hole + 1 == cap ? 0 : hole + 1; tags[j] != 0; j = j + 1 == cap ? 0 : j + 1) {
    const uint32_t home = Home(StateTableHash(slots[j].key), cap);
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    slots[hole] = slots[j];
    tags[hole] = tags[j];
    hole = j;
  }
  tags[hole] = 0;
  slots[hole] = Entry();
  --seg.count;
  --size_;
  return true;
}

template <typename Entry>
void StateTable<Entry>::Clear() {
  for (auto& s : segments_) {
    std::fill(s.tags.begin(), s.tags.end(), uint8_t{0});
    s.count = 0;
  }
  size_ = 0;
}

}  // namespace callguard
