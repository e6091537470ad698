#include "sip/transaction_cache.h"

#include "core/hash.h"

namespace callguard::sip {

TransactionCache::TransactionCache(int64_t ttl_ms, size_t capacity)
    : ttl_ms_(ttl_ms), ring_(capacity < 16 ? 16 : capacity) {
  size_t n = 1;
  while (n < ring_.size() * 2) n <<= 1;
  index_.resize(n);
  mask_ = n - 1;
}

size_t TransactionCache::Lookup(uint64_t key) const {
  size_t i = Mix64(key) & mask_;
  while (index_[i].key != 0) {
    if (index_[i].key == key) return i;
    i = (i + 1) & mask_;
  }
  return index_.size();
}

void TransactionCache::EraseSlot(size_t i) {
  // Backward-shift deletion keeps every probe sequence unbroken without tombstones.
  size_t j = i;
  while (true) {
    j = (j + 1) & mask_;
    if (index_[j].key == 0) break;
    size_t home = Mix64(index_[j].key) & mask_;
    // Move j back to i when i lies cyclically in [home, j).
    bool between = i <= j ? (home <= i || home > j) : (home <= i && home > j);
    if (between) {
      index_[i] = index_[j];
      i = j;
    }
  }
  index_[i] = Slot{0, 0, 0};
}

void TransactionCache::DropOldest() {
  Entry& e = ring_[head_];
  size_t s = Lookup(e.key);
  if (s != index_.size() && index_[s].ring == head_) EraseSlot(s);
  head_ = (head_ + 1) % ring_.size();
  --count_;
}

void TransactionCache::Expire(int64_t now_ms) {
  while (count_ > 0 && ring_[head_].expires_ms <= now_ms) DropOldest();
}

const CachedAnswer* TransactionCache::Find(uint64_t key, int64_t now_ms) {
  Expire(now_ms);
  size_t s = Lookup(Fix(key));
  return s == index_.size() ? nullptr : &ring_[index_[s].ring].answer;
}

void TransactionCache::Insert(uint64_t key, const CachedAnswer& answer, int64_t now_ms) {
  key = Fix(key);
  Expire(now_ms);
  size_t existing = Lookup(key);
  if (existing != index_.size()) {  // a new answer for a known transaction replaces the old
    ring_[index_[existing].ring].answer = answer;
    return;
  }
  if (count_ == ring_.size()) {
    DropOldest();
    ++evicted_early_;
  }
  size_t pos = (head_ + count_) % ring_.size();
  ring_[pos] = Entry{key, now_ms + ttl_ms_, answer};
  ++count_;
  size_t i = Mix64(key) & mask_;
  while (index_[i].key != 0) i = (i + 1) & mask_;
  index_[i] = Slot{key, static_cast<uint32_t>(pos), 0};
}

}  // namespace callguard::sip
