#include "engine/profile_table.h"

#include <algorithm>
#include <utility>

#include "core/hash.h"

namespace callguard {

uint64_t ProfileTable::Hash(uint64_t x) { return Mix64(x); }

namespace {
constexpr double kMaxLoad = 0.9;
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
  for (const auto& s : segments_) n += HugeRoundUp(s.slots.capacity() * sizeof(Profile));
  return n;
}

const Profile* ProfileTable::Find(uint64_t key) const {
  uint64_t h = Hash(key);
  const Segment& seg = SegmentFor(h);
  size_t cap = seg.slots.size();
  uint32_t i = Home(h, cap);
  const Profile* slots = seg.slots.data();
  for (uint64_t dist = 0;; ++dist) {
    uint64_t tagged = slots[i].key;
    if ((tagged & kKeyBits) == key && tagged != 0) return &slots[i];
    // Robin Hood invariant: stop at an empty slot, or once the resident is closer to its home
    // than we would be to ours.
    if (tagged == 0 || (tagged >> kDistShift) < dist) return nullptr;
    if (++i == cap) i = 0;
  }
}

Profile* ProfileTable::Find(uint64_t key) {
  return const_cast<Profile*>(static_cast<const ProfileTable*>(this)->Find(key));
}

Profile* ProfileTable::InsertNew(Segment& seg, Profile p, Profile* carried) {
  size_t cap = seg.slots.size();
  uint32_t i = Home(Hash(p.key), cap);
  uint64_t dist = 0;
  Profile* placed = nullptr;
  for (;;) {
    if (dist > 255) {
      *carried = p;  // the profile still looking for a slot (maybe a displaced resident)
      return nullptr;
    }
    Profile& slot = seg.slots[i];
    if (slot.key == 0) {
      slot = p;
      slot.key |= dist << kDistShift;
      ++seg.count;
      return placed ? placed : &slot;
    }
    uint64_t sdist = slot.key >> kDistShift;
    if (sdist < dist) {
      p.key |= dist << kDistShift;
      std::swap(slot, p);
      p.key &= kKeyBits;
      if (!placed) placed = &slot;
      dist = sdist;
    }
    if (++i == cap) i = 0;
    ++dist;
  }
}

void ProfileTable::Grow(Segment& seg) {
  for (size_t next = std::max(seg.slots.size() + 8, seg.slots.size() + seg.slots.size() / 4);;
       next += next / 4) {
    std::vector<Profile, HugePageAllocator<Profile>> fresh(next);
    Segment grown{std::move(fresh), 0};
    bool ok = true;
    Profile carried;
    for (Profile p : seg.slots) {
      if (p.key == 0) continue;
      p.key &= kKeyBits;
      if (!InsertNew(grown, p, &carried)) {
        ok = false;
        break;
      }
    }
    if (ok) {
      seg = std::move(grown);
      return;
    }
  }
}

Profile* ProfileTable::FindOrInsert(uint64_t key) {
  if (Profile* p = Find(key)) return p;
  uint64_t h = Hash(key);
  Segment& seg = SegmentFor(h);
  if (seg.count + 1 > seg.slots.size() * kMaxLoad) Grow(seg);
  Profile fresh;
  fresh.key = key;
  ++size_;
  return Insert(seg, fresh);
}

Profile* ProfileTable::Insert(Segment& seg, Profile p) {
  // A probe distance past 255 (practically impossible below 90% load) forces growth; the
  // profile that was still homeless then goes into the grown segment.
  const uint64_t key = p.key & kKeyBits;
  Profile carried;
  if (Profile* at = InsertNew(seg, p, &carried)) return at;
  do {
    Grow(seg);
    p = carried;
  } while (!InsertNew(seg, p, &carried));
  return Find(key);
}

void ProfileTable::Put(const Profile& p) {
  Profile* slot = FindOrInsert(p.key & kKeyBits);
  uint64_t tag = slot->key;
  *slot = p;
  slot->key = tag;  // keep the slot's probe distance
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
    for (Profile p : seg.slots) {
      if (p.key == 0) continue;
      if (p.last_s < older_than_s) {
        ++removed;
      } else {
        p.key &= kKeyBits;
        keep.push_back(p);
      }
    }
    std::fill(seg.slots.begin(), seg.slots.end(), Profile());
    seg.count = 0;
    for (const auto& p : keep) Insert(seg, p);
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
