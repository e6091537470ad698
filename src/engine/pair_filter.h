// PairFilter: a probabilistic set of ordered number pairs (A called B), answering "has B ever
// called A" (reciprocity, callbacks) and "has A called B before" (new contacts) in one cache line.
//
// A split-block Bloom filter: each pair hashes to one 64-byte block and sets one bit in each of
// its eight 64-bit words. No false negatives; the false-positive rate depends on pairs per byte
// (about 0.3% at 8 bits per pair, well under 0.01% at 32) and is reported by EstimatedFpr().
// It never forgets, so memory is sized up front (engine.pair_filter_mb). Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/huge_pages.h"

namespace callguard {

class PairFilter {
 public:
  explicit PairFilter(size_t bytes);
  bool Contains(uint64_t a, uint64_t b) const;
  void Insert(uint64_t a, uint64_t b);
  // Starts loading the block of (a, b) (a cache hint; changes nothing).
  void Prefetch(uint64_t a, uint64_t b) const {
    __builtin_prefetch(&blocks_[BlockIndex(Mix(a, b))]);
  }
  size_t bytes() const { return blocks_.size() * sizeof(Block); }
  uint64_t inserted() const { return inserted_; }
  double EstimatedFpr() const;
  void Clear();

  // Raw access for snapshots.
  std::vector<uint64_t> Words() const;
  bool SetWords(const std::vector<uint64_t>& words, uint64_t inserted);

 private:
  struct alignas(64) Block {
    uint64_t w[8];
  };
  static uint64_t Mix(uint64_t a, uint64_t b);
  size_t BlockIndex(uint64_t h) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(h) * blocks_.size()) >> 64);
  }
  std::vector<Block, HugePageAllocator<Block>> blocks_;
  uint64_t inserted_ = 0;
};

}  // namespace callguard
