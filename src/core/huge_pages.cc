#include "core/huge_pages.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace callguard {
namespace {

struct Block {
  void* p = nullptr;
  size_t size = 0;  // whole huge pages, or whole small pages when !huge
  bool huge = false;
};

struct ReusePool {
  std::mutex mu;
  std::vector<Block> kept;  // at most kReuseBlocks, oldest first
  std::atomic<uint64_t> new_bytes{0}, reused_bytes{0}, kept_bytes{0};
};

ReusePool& Pool() {
  static ReusePool* pool = new ReusePool;  // never destroyed: tables may outlive statics
  return *pool;
}

// An anonymous mapping of `size` bytes (huge: starting on a 2 MiB boundary, THP hinted), not
// faulted in.
void* MapRegion(size_t size, bool huge) {
  // For huge pages, map an extra huge page so that the region can start on a 2 MiB boundary,
  // then unmap the slack on both sides: huge pages need aligned regions.
  const size_t slack = huge ? kHugePage : 0;
  void* raw =
      mmap(nullptr, size + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  if (!huge) return raw;
  uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
  if (aligned > start) munmap(raw, aligned - start);
  size_t tail = (start + size + kHugePage) - (aligned + size);
  if (tail > 0) munmap(reinterpret_cast<void*>(aligned + size), tail);
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, size, MADV_HUGEPAGE);  // a hint: failure (no THP) only costs speed
  return p;
}

// Faults [p, p + size) in now, in one call, instead of one fault per page on first touch: these
// tables are dense and written everywhere soon (a grown hash table is filled at once). Linux
// 5.14+; on older kernels this fails harmlessly and pages fault in as they are used.
void Populate(void* p, size_t size) {
  if (size == 0) return;
#ifdef MADV_POPULATE_WRITE
  madvise(p, size, MADV_POPULATE_WRITE);
#endif
  Pool().new_bytes.fetch_add(size, std::memory_order_relaxed);
}

// The largest kept block no larger than `size` with the same page size, removed from the
// pool; {} when none. (Small pages moved into a huge-page region would stay small.)
Block TakeKept(size_t size, bool huge) {
  ReusePool& pool = Pool();
  std::lock_guard<std::mutex> lock(pool.mu);
  auto best = pool.kept.end();
  for (auto it = pool.kept.begin(); it != pool.kept.end(); ++it)
    if (it->huge == huge && it->size <= size && (best == pool.kept.end() || it->size > best->size))
      best = it;
  if (best == pool.kept.end()) return {};
  Block b = *best;
  pool.kept.erase(best);
  pool.kept_bytes.fetch_sub(b.size, std::memory_order_relaxed);
  return b;
}

}  // namespace

void* AllocateHuge(size_t bytes) {
  if (bytes < kMapThreshold) {
    void* p = std::calloc(1, bytes ? bytes : 1);
    if (!p) throw std::bad_alloc();
    return p;
  }
  const size_t size = HugeRoundUp(bytes);
  const bool huge = UseHugePages(bytes);
  Block b = TakeKept(size, huge);
  if (b.p && b.size == size) {
    std::memset(b.p, 0, size);
    Pool().reused_bytes.fetch_add(size, std::memory_order_relaxed);
    return b.p;
  }
  void* p = MapRegion(size, huge);
  if (b.p) {
    // Move the kept block's pages (page tables only: 2 MiB-aligned huge pages move whole) to
    // the start of the new region, replacing that part of it.
    void* moved = mremap(b.p, b.size, b.size, MREMAP_MAYMOVE | MREMAP_FIXED, p);
    if (moved == p) {
      std::memset(p, 0, b.size);
      Pool().reused_bytes.fetch_add(b.size, std::memory_order_relaxed);
      Populate(static_cast<char*>(p) + b.size, size - b.size);
      return p;
    }
    // Could not move it (never seen). A failed move may already have unmapped part of the
    // new region, so start over with new memory.
    munmap(b.p, b.size);
    munmap(p, size);
    p = MapRegion(size, huge);
  }
  Populate(p, size);
  return p;
}

void FreeHuge(void* p, size_t bytes) {
  if (!p) return;
  if (bytes < kMapThreshold) {
    std::free(p);
    return;
  }
  const size_t size = HugeRoundUp(bytes);
  Block evict;
  {
    ReusePool& pool = Pool();
    std::lock_guard<std::mutex> lock(pool.mu);
    pool.kept.push_back({p, size, UseHugePages(bytes)});
    pool.kept_bytes.fetch_add(size, std::memory_order_relaxed);
    if (pool.kept.size() > kReuseBlocks) {
      evict = pool.kept.front();
      pool.kept.erase(pool.kept.begin());
      pool.kept_bytes.fetch_sub(evict.size, std::memory_order_relaxed);
    }
  }
  if (evict.p) munmap(evict.p, evict.size);
}

void ReleaseKeptHugePages() {
  std::vector<Block> kept;
  {
    ReusePool& pool = Pool();
    std::lock_guard<std::mutex> lock(pool.mu);
    kept.swap(pool.kept);
    pool.kept_bytes.store(0, std::memory_order_relaxed);
  }
  for (const Block& b : kept) munmap(b.p, b.size);
}

HugePageStats GetHugePageStats() {
  ReusePool& pool = Pool();
  HugePageStats s;
  s.new_bytes = pool.new_bytes.load(std::memory_order_relaxed);
  s.reused_bytes = pool.reused_bytes.load(std::memory_order_relaxed);
  s.kept_bytes = pool.kept_bytes.load(std::memory_order_relaxed);
  return s;
}

}  // namespace callguard
