#include "engine/pair_filter.h"

#include <cmath>
#include <cstring>

#include "core/hash.h"

namespace callguard {

PairFilter::PairFilter(size_t bytes) : blocks_(bytes / sizeof(Block) ? bytes / sizeof(Block) : 1) {
  // Already zero: the allocator hands out zero-filled memory, touched only when used.
}

uint64_t PairFilter::Mix(uint64_t a, uint64_t b) { return Mix64(a, b); }

bool PairFilter::Contains(uint64_t a, uint64_t b) const {
  uint64_t h = Mix(a, b);
  const Block& blk = blocks_[BlockIndex(h)];
  uint64_t bits = h * 0xD6E8FEB86659FD93ULL;
  for (int i = 0; i < 8; ++i) {
    if (!(blk.w[i] & (1ULL << ((bits >> (i * 6)) & 63)))) return false;
  }
  return true;
}

void PairFilter::Insert(uint64_t a, uint64_t b) {
  uint64_t h = Mix(a, b);
  Block& blk = blocks_[BlockIndex(h)];
  uint64_t bits = h * 0xD6E8FEB86659FD93ULL;
  for (int i = 0; i < 8; ++i) blk.w[i] |= 1ULL << ((bits >> (i * 6)) & 63);
  ++inserted_;
}

double PairFilter::EstimatedFpr() const {
  // Each word of a block sees (pairs per block) inserts of one bit out of 64.
  double per_block = static_cast<double>(inserted_) / blocks_.size();
  double word_fill = 1 - std::exp(-per_block / 64.0);
  return std::pow(word_fill, 8);
}

void PairFilter::Clear() {
  std::memset(static_cast<void*>(blocks_.data()), 0, blocks_.size() * sizeof(Block));
  inserted_ = 0;
}

std::vector<uint64_t> PairFilter::Words() const {
  std::vector<uint64_t> out(blocks_.size() * 8);
  std::memcpy(out.data(), blocks_.data(), out.size() * 8);
  return out;
}

bool PairFilter::SetWords(const std::vector<uint64_t>& words, uint64_t inserted) {
  if (words.size() != blocks_.size() * 8) return false;
  std::memcpy(static_cast<void*>(blocks_.data()), words.data(), words.size() * 8);
  inserted_ = inserted;
  return true;
}

}  // namespace callguard
