// Memory for large hot tables (profiles, pair filter), backed by transparent huge pages where
// the kernel allows it (madvise mode): random lookups into hundreds of megabytes otherwise spend
// much of their time on TLB misses.
//
// Every allocation comes back zero-filled (calloc when small, anonymous mappings above
// kMapThreshold), so HugePageAllocator can skip value-initialisation: a table of all-zero-bit
// elements (Profile, pair-filter blocks) costs no second pass over new memory when it grows.
// Only use it for types whose value-initialised state is all zero bits. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
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
//
// Mappings freed by FreeHuge are kept for reuse (at most kReuseBlocks of them): a table that
// grows segment by segment frees each segment's old block, the next segment to grow asks for a
// somewhat larger one, and that request takes the freed block's pages (moved with mremap, no
// copy, then cleared with memset): only the part beyond them is new to the process. New memory is
// what costs: the kernel zeroes it, and on this project's virtual machines the first touch of a
// page is also a fault in the host, measured at about 2.3 s per GiB against 12-25 ms per GiB for
// memset over memory already touched (docs/benchmarks.md).
void* AllocateHuge(size_t bytes);
void FreeHuge(void* p, size_t bytes);

// Freed mappings kept for reuse; the rest are returned to the kernel. A request takes only a
// block with its own page size.
constexpr size_t kReuseBlocks = 2;

struct HugePageStats {
  uint64_t new_bytes = 0;     // bytes faulted in fresh from the kernel
  uint64_t reused_bytes = 0;  // bytes taken from freed mappings instead
  uint64_t kept_bytes = 0;    // freed mappings held for reuse now
};
HugePageStats GetHugePageStats();
// Returns every kept block to the kernel (the engine does at its daily sweep).
void ReleaseKeptHugePages();

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
