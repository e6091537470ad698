// Memory for large hot tables (profiles, pair filter), backed by transparent huge pages where
// the kernel allows it (madvise mode): random lookups into hundreds of megabytes otherwise spend
// much of their time on TLB misses.
//
// Every allocation comes back zero-filled (calloc when small, fresh anonymous mappings above
// kMapThreshold), so HugePageAllocator can skip value-initialisation: a table of all-zero-bit
// elements (Profile, pair-filter blocks) costs no second pass over new memory when it grows.
// Only use it for types whose value-initialised state is all zero bits. Thread-safe.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

namespace callguard {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kSmallPage = size_t{4} << 10;
// Requests at least this large get their own mapping, faulted in at once (below it, calloc).
constexpr size_t kMapThreshold = size_t{256} << 10;

// Huge pages when rounding up to whole ones wastes at most a quarter of the request.
inline bool UseHugePages(size_t bytes) {
  if (bytes < kHugePage) return false;
  size_t rounded = (bytes + kHugePage - 1) & ~(kHugePage - 1);
  return rounded - bytes <= bytes / 4;
}

// Bytes actually reserved for a request of `bytes` (what memory figures should count).
inline size_t HugeRoundUp(size_t bytes) {
  if (UseHugePages(bytes)) return (bytes + kHugePage - 1) & ~(kHugePage - 1);
  if (bytes >= kMapThreshold) return (bytes + kSmallPage - 1) & ~(kSmallPage - 1);
  return bytes;
}

// Zero-filled memory of at least `bytes`; throws std::bad_alloc like operator new.
inline void* AllocateHuge(size_t bytes) {
  if (bytes < kMapThreshold) {
    void* p = std::calloc(1, bytes ? bytes : 1);
    if (!p) throw std::bad_alloc();
    return p;
  }
  const size_t size = HugeRoundUp(bytes);
  const bool huge = UseHugePages(bytes);
  // For huge pages, map an extra huge page so that the region can start on a 2 MiB boundary,
  // then unmap the slack on both sides: huge pages need aligned regions.
  const size_t slack = huge ? kHugePage : 0;
  void* raw =
      mmap(nullptr, size + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  void* p = raw;
  if (huge) {
    uintptr_t start = reinterpret_cast<uintptr_t>(raw);
    uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
    if (aligned > start) munmap(raw, aligned - start);
    size_t tail = (start + size + kHugePage) - (aligned + size);
    if (tail > 0) munmap(reinterpret_cast<void*>(aligned + size), tail);
    p = reinterpret_cast<void*>(aligned);
    madvise(p, size, MADV_HUGEPAGE);  // a hint: failure (no THP) only costs speed
  }
#ifdef MADV_POPULATE_WRITE
  // These tables are dense and written everywhere soon (a grown hash table is filled at once):
  // fault the whole region in now, in one call, instead of one fault per page on first touch.
  // Linux 5.14+; on older kernels this fails harmlessly and pages fault in as they are used.
  madvise(p, size, MADV_POPULATE_WRITE);
#endif
  return p;
}

inline void FreeHuge(void* p, size_t bytes) {
  if (!p) return;
  if (bytes < kMapThreshold) {
    std::free(p);
  } else {
    munmap(p, HugeRoundUp(bytes));
  }
}

// A std allocator over AllocateHuge. Value-initialisation is a no-op (the memory is already
// zero); other constructions are real.
template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: allocator conversion
  T* allocate(size_t n) { return static_cast<T*>(AllocateHuge(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { FreeHuge(p, n * sizeof(T)); }
  template <typename U>
  void construct(U*) noexcept {}
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

}  // namespace callguard
