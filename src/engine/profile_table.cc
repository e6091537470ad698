#include "engine/profile_table.h"

#include <algorithm>
#include <utility>

namespace callguard {

namespace {
constexpr double kMaxLoad = 0.9;
}

uint64_t ProfileTable::Hash(uint64_t x) {
  // splitmix64 finaliser: keys are structured (digit values), so mix them well.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

ProfileTable::ProfileTable(size_t expected_numbers) : segments_(kSegments) {
  size_t per = std::max<size_t>(8, static_cast<size_t>(expected_numbers / kSegments / 0.8));
  for (auto& s : segments_) s.slots.resize(per);
}

size_t ProfileTable::slots() const {
  size_t n = 0;
  for (const auto& s : segments_) n += s.slots.size();
  return n;
}

size_t ProfileTable::memory_bytes() const {
  size_t n = segments_.capacity() * sizeof(Segment);
  for (const auto& s : segments_) n += s.slots.capacity() * sizeof(Profile);
  return n;
}

const Profile* ProfileTable::Find(uint64_t key) const {
  uint64_t h = Hash(key);
  const Segment& seg = SegmentFor(h);
  size_t cap = seg.slots.size();
  uint32_t i = Home(h, cap);
  for (uint32_t dist = 0;; ++dist) {
    const Profile& p = seg.slots[i];
    if (p.key == key) return &p;
    if (p.key == 0) return nullptr;
    // Robin Hood invariant: stop once the resident is closer to its home than we are to ours.
    uint32_t home = Home(Hash(p.key), cap);
    uint32_t pdist = i >= home ? i - home : static_cast<uint32_t>(i + cap - home);
    if (pdist < dist) return nullptr;
    if (++i == cap) i = 0;
  }
}

Profile* ProfileTable::Find(uint64_t key) {
  return const_cast<Profile*>(static_cast<const ProfileTable*>(this)->Find(key));
}

Profile* ProfileTable::InsertNew(Segment& seg, Profile p) {
  size_t cap = seg.slots.size();
  uint32_t i = Home(Hash(p.key), cap);
  uint32_t dist = 0;
  Profile* placed = nullptr;
  for (;;) {
    Profile& slot = seg.slots[i];
    if (slot.key == 0) {
      slot = p;
      ++seg.count;
      return placed ? placed : &slot;
    }
    uint32_t home = Home(Hash(slot.key), cap);
    uint32_t sdist = i >= home ? i - home : static_cast<uint32_t>(i + cap - home);
    if (sdist < dist) {
      std::swap(slot, p);
      if (!placed) placed = &slot;
      dist = sdist;
    }
    if (++i == cap) i = 0;
    ++dist;
  }
}

void ProfileTable::Grow(Segment& seg) {
  size_t cap = seg.slots.size();
  size_t next = std::max(cap + 8, cap + cap / 4);
  std::vector<Profile> old;
  old.swap(seg.slots);
  seg.slots.assign(next, Profile());
  seg.count = 0;
  for (const Profile& p : old)
    if (p.key != 0) InsertNew(seg, p);
  seg.slots.shrink_to_fit();
}

Profile* ProfileTable::FindOrInsert(uint64_t key) {
  if (Profile* p = Find(key)) return p;
  uint64_t h = Hash(key);
  Segment& seg = SegmentFor(h);
  if (seg.count + 1 > seg.slots.size() * kMaxLoad) Grow(seg);
  Profile fresh;
  fresh.key = key;
  ++size_;
  return InsertNew(seg, fresh);
}

void ProfileTable::Put(const Profile& p) {
  if (Profile* existing = Find(p.key)) {
    *existing = p;
    return;
  }
  Profile* slot = FindOrInsert(p.key);
  *slot = p;
}

size_t ProfileTable::Sweep(uint32_t older_than_s) {
  size_t removed = 0;
  for (auto& seg : segments_) {
    bool any = false;
    for (const auto& p : seg.slots)
      if (p.key != 0 && p.last_s < older_than_s) any = true;
    if (!any) continue;
    // Rebuild the segment without the idle profiles (simpler than backward-shift deletion and
    // just as fast for a periodic sweep).
    std::vector<Profile> keep;
    keep.reserve(seg.count);
    for (const auto& p : seg.slots) {
      if (p.key == 0) continue;
      if (p.last_s < older_than_s) {
        ++removed;
      } else {
        keep.push_back(p);
      }
    }
    std::fill(seg.slots.begin(), seg.slots.end(), Profile());
    seg.count = 0;
    for (const auto& p : keep) InsertNew(seg, p);
  }
  size_ -= removed;
  return removed;
}

void ProfileTable::Clear() {
  for (auto& s : segments_) {
    std::fill(s.slots.begin(), s.slots.end(), Profile());
    s.count = 0;
  }
  size_ = 0;
}

}  // namespace callguard
