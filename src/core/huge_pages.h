// Memory for large hot tables (profiles, pair filter), backed by transparent huge pages where
// the kernel allows it (madvise mode): random lookups into hundreds of megabytes otherwise spend
// much of their time on TLB misses. Small requests use the ordinary heap. Thread-safe.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace callguard {

constexpr size_t kHugePage = size_t{2} << 20;
// Requests at least this large are huge-page backed (rounding up wastes at most 1/4).
constexpr size_t kHugeThreshold = size_t{8} << 20;

inline size_t HugeRoundUp(size_t bytes) {
  return bytes >= kHugeThreshold ? (bytes + kHugePage - 1) & ~(kHugePage - 1) : bytes;
}

inline void* AllocateHuge(size_t bytes) {
  if (bytes < kHugeThreshold) return ::operator new(bytes);
  size_t size = HugeRoundUp(bytes);
  void* p = std::aligned_alloc(kHugePage, size);
  if (!p) throw std::bad_alloc();
  madvise(p, size, MADV_HUGEPAGE);  // a hint: failure (no THP) only costs speed
  return p;
}

inline void FreeHuge(void* p, size_t bytes) {
  if (!p) return;
  if (bytes < kHugeThreshold) {
    ::operator delete(p);
  } else {
    std::free(p);
  }
}

// A std allocator over AllocateHuge, for std::vector of large tables.
template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: allocator conversion
  T* allocate(size_t n) { return static_cast<T*>(AllocateHuge(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { FreeHuge(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

}  // namespace callguard
