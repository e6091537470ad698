// TransactionCache: what the screener answered to recent INVITE transactions, so that a
// retransmission (same Call-ID, CSeq, top Via branch and From tag) is answered identically
// without being scored twice, and a CANCEL can be matched.
//
// It keeps the decision (code, action, score, top reason), not the answer's bytes: the answer is
// rebuilt from the retransmitted request, which gives the same bytes, at ~40 bytes per entry
// instead of a heap-allocated copy. Fixed capacity, allocated once (zero-filled, so untouched
// memory costs nothing): no rehash or allocation ever stalls the screening thread. Entries live
// in a ring in arrival order; since the TTL is the same for all, the oldest expires first; when
// the ring is full the oldest is dropped early (counted). The index is open addressing with
// linear probing and backward-shift deletion. Not thread-safe (the screening thread owns it).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/huge_pages.h"

namespace callguard::sip {

struct CachedAnswer {
  uint16_t code = 0;    // SIP status code sent
  uint8_t action = 0;   // Action, for 302 and blocks
  uint8_t kind = 0;     // how the answer was made (the screener's AnswerKind)
  uint8_t verstat = 0;  // STIR/SHAKEN outcome: 0 not verified, 1 passed, 2 failed, 3 none
  double score = 0;
  const char* reason = nullptr;  // top reason code (static storage), or null
  uint16_t reason_len = 0;
  std::string_view reason_code() const {
    return reason ? std::string_view(reason, reason_len) : std::string_view();
  }
};

class TransactionCache {
 public:
  TransactionCache(int64_t ttl_ms, size_t capacity);
  // The answer of a live transaction, or null.
  const CachedAnswer* Find(uint64_t key, int64_t now_ms);
  void Insert(uint64_t key, const CachedAnswer& answer, int64_t now_ms);
  size_t size() const { return count_; }
  size_t capacity() const { return ring_.size(); }
  uint64_t evicted_early() const { return evicted_early_; }

 private:
  struct Entry {
    uint64_t key;
    int64_t expires_ms;
    CachedAnswer answer;
  };
  struct Slot {
    uint64_t key;   // 0 = empty (keys are never 0: see Fix())
    uint32_t ring;  // position in ring_
    uint32_t pad;
  };
  static uint64_t Fix(uint64_t key) { return key == 0 ? 1 : key; }
  void Expire(int64_t now_ms);
  void DropOldest();
  size_t Lookup(uint64_t key) const;  // slot index, or index_.size() when absent
  void EraseSlot(size_t i);

  int64_t ttl_ms_;
  std::vector<Entry, HugePageAllocator<Entry>> ring_;
  std::vector<Slot, HugePageAllocator<Slot>> index_;  // power of two, at least 2x the ring
  size_t mask_ = 0;
  size_t head_ = 0;  // oldest entry
  size_t count_ = 0;
  uint64_t evicted_early_ = 0;
};

}  // namespace callguard::sip
