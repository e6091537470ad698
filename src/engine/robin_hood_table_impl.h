// Member functions of RobinHoodTable (robin_hood_table.h). Include only where the table is
// instantiated for an entry type: `template class RobinHoodTable<MyEntry>;`.
#pragma once

#include <algorithm>
#include <cstring>
#include <utility>

#include "engine/robin_hood_table.h"

namespace callguard {

namespace robin_hood_internal {
constexpr double kMaxLoad = 0.9;
}  // namespace robin_hood_internal

// A segment of `slots` entries, enlarged to fill its last huge page when it is at least one
// huge page: the memory is reserved either way (HugeRoundUp), every such segment is backed by
// huge pages, and a freed one can be reused for the next segment to grow (core/huge_pages.h).
template <typename Entry>
size_t RobinHoodTable<Entry>::SegmentSlots(size_t slots) {
  const size_t bytes = slots * sizeof(Entry);
  if (bytes < kHugePage) return slots;
  return ((bytes + kHugePage - 1) & ~(kHugePage - 1)) / sizeof(Entry);
}

template <typename Entry>
RobinHoodTable<Entry>::RobinHoodTable(size_t expected_entries) : segments_(kSegments) {
  size_t per = std::max<size_t>(8, static_cast<size_t>(expected_entries / kSegments / 0.8));
  for (auto& s : segments_) s.slots.resize(SegmentSlots(per));
}

template <typename Entry>
size_t RobinHoodTable<Entry>::slots() const {
  size_t n = 0;
  for (const auto& s : segments_) n += s.slots.size();
  return n;
}

template <typename Entry>
size_t RobinHoodTable<Entry>::memory_bytes() const {
  size_t n = segments_.capacity() * sizeof(Segment);
  for (const auto& s : segments_) n += HugeRoundUp(s.slots.capacity() * sizeof(Entry));
  return n;
}

template <typename Entry>
typename RobinHoodTable<Entry>::ProbeResult RobinHoodTable<Entry>::Probe(const Segment& seg,
                                                                         uint64_t h, uint64_t key) {
  const uint32_t cap = static_cast<uint32_t>(seg.slots.size());
  const Entry* slots = seg.slots.data();
  uint32_t i = Home(h, cap);
  for (uint64_t dist = 0;; ++dist) {
    const uint64_t tagged = slots[i].key;
    if ((tagged & kKeyBits) == key && tagged != 0) return {i, dist, true};
    // Robin Hood invariant: stop at an empty slot, or once the resident is closer to its home
    // than we would be to ours. That is also where the key would be inserted.
    if (tagged == 0 || (tagged >> kDistShift) < dist) return {i, dist, false};
    if (++i == cap) i = 0;
  }
}

template <typename Entry>
const Entry* RobinHoodTable<Entry>::Find(uint64_t key) const {
  const uint64_t h = RobinHoodHash(key);
  const Segment& seg = SegmentFor(h);
  const ProbeResult r = Probe(seg, h, key);
  return r.found ? seg.slots.data() + r.slot : nullptr;
}

template <typename Entry>
Entry* RobinHoodTable<Entry>::Find(uint64_t key) {
  return const_cast<Entry*>(static_cast<const RobinHoodTable<Entry>*>(this)->Find(key));
}

template <typename Entry>
Entry* RobinHoodTable<Entry>::InsertNew(Segment& seg, Entry p) {
  const uint32_t cap = static_cast<uint32_t>(seg.slots.size());
  Entry* slots = seg.slots.data();
  uint32_t i = Home(RobinHoodHash(p.key), cap);
  // Walk past the residents at least as far from their homes as `p` would be from its own.
  uint64_t dist = 0;
  for (;;) {
    const uint64_t tagged = slots[i].key;
    if (tagged == 0 || (tagged >> kDistShift) < dist) break;
    if (++dist > 255) return nullptr;
    if (++i == cap) i = 0;
  }
  return PlaceAt(seg, i, dist, p);
}

template <typename Entry>
Entry* RobinHoodTable<Entry>::PlaceAt(Segment& seg, uint32_t i, uint64_t dist, Entry p) {
  constexpr uint64_t kOneFarther = uint64_t{1} << kDistShift;
  const uint32_t cap = static_cast<uint32_t>(seg.slots.size());
  Entry* slots = seg.slots.data();
  p.key |= dist << kDistShift;
  if (slots[i].key != 0) {
    // `p` takes slot i; the run of residents from i to the next empty slot moves up by one,
    // each one slot farther from home. (The same table as displacing them one by one, Robin
    // Hood style, but one memmove instead of a swap per slot: at 90% load runs are long.)
    uint32_t e = i;
    do {
      __builtin_prefetch(slots + (e + 6 < cap ? e + 6 : e));
      if ((slots[e].key >> kDistShift) == 255) return nullptr;  // would not fit: grow first
      if (++e == cap) e = 0;
    } while (slots[e].key != 0);
    auto shift_up = [&](uint32_t from, uint32_t to) {  // [from, to) -> [from + 1, to + 1)
      std::memmove(slots + from + 1, slots + from, (to - from) * sizeof(Entry));
      for (uint32_t k = from + 1; k <= to; ++k) slots[k].key += kOneFarther;
    };
    if (e > i) {
      shift_up(i, e);
    } else {  // the run wraps around the end of the segment
      shift_up(0, e);
      slots[0] = slots[cap - 1];
      slots[0].key += kOneFarther;
      shift_up(i, cap - 1);
    }
  }
  slots[i] = p;
  ++seg.count;
  return &slots[i];
}

template <typename Entry>
bool RobinHoodTable<Entry>::Rehash(const Segment& from, Segment& to) {
  // The old segment is in Robin Hood order: homes never decrease along it, except that the run
  // at its start may hold profiles whose homes are at its end (the probe wrapped around). Read
  // in home order (the unwrapped part, then the wrapped head), new homes never decrease either,
  // except between profiles that shared an old home. So almost every profile can simply be
  // placed at its new home or right after the one placed before it: no probing, no shifting.
  // The exceptions (a shared old home whose new homes come out in the other order, and the end
  // of the new segment, where runs wrap) take the general insert.
  const uint32_t old_cap = static_cast<uint32_t>(from.slots.size());
  const uint32_t cap = static_cast<uint32_t>(to.slots.size());
  const Entry* old = from.slots.data();
  Entry* slots = to.slots.data();
  uint32_t wrapped = 0;  // profiles at the old segment's start whose homes are at its end
  while (wrapped < old_cap && old[wrapped].key != 0 && (old[wrapped].key >> kDistShift) > wrapped)
    ++wrapped;
  int64_t last = -1;      // where the previous profile went (every slot after it is empty)
  uint32_t max_home = 0;  // the largest new home placed so far
  bool general = false;   // from here on, every profile takes the general insert
  auto place = [&](Entry p) {
    p.key &= kKeyBits;
    const uint32_t home = Home(RobinHoodHash(p.key), cap);
    if (!general && home >= max_home) {
      const uint64_t at = std::max<int64_t>(home, last + 1);
      if (at < cap) {
        if (at - home > 255) return false;
        p.key |= (at - home) << kDistShift;
        slots[at] = p;
        ++to.count;
        last = static_cast<int64_t>(at);
        max_home = home;
        return true;
      }
      general = true;  // the run reaches the end of the segment and wraps
    }
    if (!InsertNew(to, p)) return false;
    max_home = std::max(max_home, home);
    // The insert moved the run it landed in up by one slot, perhaps onto the slot after `last`.
    if (!general && last + 1 < cap && slots[last + 1].key != 0) ++last;
    return true;
  };
  for (uint32_t i = wrapped; i < old_cap; ++i)
    if (old[i].key != 0 && !place(old[i])) return false;
  for (uint32_t i = 0; i < wrapped; ++i)
    if (!place(old[i])) return false;
  return true;
}

template <typename Entry>
void RobinHoodTable<Entry>::Grow(Segment& seg) {
  for (size_t next = std::max(seg.slots.size() + 8, seg.slots.size() + seg.slots.size() / 4);;
       next += next / 4) {
    next = SegmentSlots(next);
    Segment grown{std::vector<Entry, HugePageAllocator<Entry>>(next), 0};
    if (Rehash(seg, grown)) {
      seg = std::move(grown);
      return;
    }
  }
}

template <typename Entry>
Entry* RobinHoodTable<Entry>::FindOrInsert(uint64_t key) {
  // One walk: a lookup that misses stops exactly where the key belongs (the first empty slot,
  // or the first resident nearer its home than the key would be to its own), so a new entry
  // goes there without walking the run again.
  const uint64_t h = RobinHoodHash(key);
  Segment& seg = SegmentFor(h);
  const ProbeResult r = Probe(seg, h, key);
  if (r.found) return seg.slots.data() + r.slot;
  Entry fresh;
  fresh.key = key;
  ++size_;
  if (seg.count + 1 <= seg.slots.size() * robin_hood_internal::kMaxLoad && r.dist <= 255) {
    if (Entry* at = PlaceAt(seg, r.slot, r.dist, fresh)) return at;
  }
  Grow(seg);  // full, or a probe distance would not fit in the top byte
  return Insert(seg, fresh);
}

template <typename Entry>
Entry* RobinHoodTable<Entry>::Insert(Segment& seg, Entry p) {
  // A probe distance past 255 (practically impossible below 90% load) forces growth.
  Entry* at = InsertNew(seg, p);
  while (!at) {
    Grow(seg);
    at = InsertNew(seg, p);
  }
  return at;
}

template <typename Entry>
bool RobinHoodTable<Entry>::CheckLayout() const {
  for (const auto& seg : segments_) {
    const size_t cap = seg.slots.size();
    size_t count = 0;
    for (size_t i = 0; i < cap; ++i) {
      const uint64_t tagged = seg.slots[i].key;
      if (tagged == 0) continue;
      ++count;
      const uint64_t key = tagged & kKeyBits;
      const uint64_t h = RobinHoodHash(key);
      if (&SegmentFor(h) != &seg) return false;
      const size_t dist = (i + cap - Home(h, cap)) % cap;
      if (dist != (tagged >> kDistShift)) return false;
      // Robin Hood order: the next slot's resident is at most one slot farther from home.
      const uint64_t next = seg.slots[(i + 1) % cap].key;
      if (next != 0 && (next >> kDistShift) > dist + 1) return false;
      if (Find(key) != &seg.slots[i]) return false;
    }
    if (count != seg.count) return false;
  }
  return true;
}

template <typename Entry>
void RobinHoodTable<Entry>::Put(const Entry& p) {
  Entry* slot = FindOrInsert(p.key & kKeyBits);
  uint64_t tag = slot->key;
  *slot = p;
  slot->key = tag;  // keep the slot's probe distance
}

template <typename Entry>
bool RobinHoodTable<Entry>::Erase(uint64_t key) {
  constexpr uint64_t kOneFarther = uint64_t{1} << kDistShift;
  Entry* e = Find(key);
  if (!e) return false;
  Segment& seg = SegmentFor(RobinHoodHash(key));
  const uint32_t cap = static_cast<uint32_t>(seg.slots.size());
  Entry* slots = seg.slots.data();
  // Backward shift: the entries after it that are not at their homes move back one slot each
  // (one nearer home), up to an empty slot or one at its home.
  uint32_t i = static_cast<uint32_t>(e - slots);
  for (;;) {
    uint32_t next = i + 1 == cap ? 0 : i + 1;
    if (slots[next].key == 0 || (slots[next].key >> kDistShift) == 0) break;
    slots[i] = slots[next];
    slots[i].key -= kOneFarther;
    i = next;
  }
  slots[i] = Entry();
  --seg.count;
  --size_;
  return true;
}

template <typename Entry>
void RobinHoodTable<Entry>::Clear() {
  for (auto& s : segments_) {
    std::fill(s.slots.begin(), s.slots.end(), Entry());
    s.count = 0;
  }
  size_ = 0;
}

}  // namespace callguard
