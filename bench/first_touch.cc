// first_touch: what new memory costs on this machine, against memory already touched.
//
// Maps MIB mebibytes (default 1024) with transparent huge pages, faults them in with
// MADV_POPULATE_WRITE and times it; unmaps and does it again ROUNDS times (the same pages come
// back from the kernel's free lists, already touched); then times a memset over the last
// mapping; then, after IDLE_S seconds (default 5) with the memory freed, populates it once more.
// On a virtual machine that backs guest memory lazily the first populate includes the host's
// faults, and so does the last where the host takes freed memory back. `make bench` runs it last,
// so that it does not warm memory for the other measurements. Prints one JSON object.
//
// usage: first_touch [MIB] [ROUNDS] [IDLE_S]
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bench_args.h"

namespace {

double Ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Maps n bytes with transparent huge pages and faults them in; returns the milliseconds the
// faulting took, or -1 when the mapping failed. With memset_ms, also times a memset over the
// pages (touched by then). Unmaps them.
double PopulateMs(size_t n, double* memset_ms) {
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::perror("first_touch: mmap");
    return -1;
  }
  madvise(p, n, MADV_HUGEPAGE);
  auto t0 = std::chrono::steady_clock::now();
#ifdef MADV_POPULATE_WRITE
  if (madvise(p, n, MADV_POPULATE_WRITE) != 0)
#endif
    std::memset(p, 0, n);  // kernels before 5.14: fault the pages in by writing them
  const double ms = Ms(t0);
  if (memset_ms) {
    t0 = std::chrono::steady_clock::now();
    std::memset(p, 1, n);
    *memset_ms = Ms(t0);
  }
  munmap(p, n);
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t mib = 1024, rounds = 3, idle_s = 5;
  if ((argc > 1 && !callguard::bench::ParseCount("first_touch", "MIB", argv[1], 1, &mib)) ||
      (argc > 2 && !callguard::bench::ParseCount("first_touch", "ROUNDS", argv[2], 1, &rounds)) ||
      (argc > 3 && !callguard::bench::ParseCount("first_touch", "IDLE_S", argv[3], 0, &idle_s))) {
    std::fprintf(stderr, "usage: first_touch [MIB] [ROUNDS] [IDLE_S]\n");
    return 2;
  }
  const size_t n = mib << 20;
  std::vector<double> populate_ms;
  double memset_ms = 0;
  for (uint64_t r = 0; r <= rounds; ++r) {
    populate_ms.push_back(PopulateMs(n, r == rounds ? &memset_ms : nullptr));
    if (populate_ms.back() < 0) return 1;
  }
  // Once more after the memory has been free for idle_s seconds: a host that takes freed guest
  // memory back (virtio free page reporting) makes it cost as much as the first touch again.
  double after_idle_ms = 0;
  if (idle_s > 0) {
    sleep(static_cast<unsigned>(idle_s));
    after_idle_ms = PopulateMs(n, nullptr);
    if (after_idle_ms < 0) return 1;
  }
  const double gib = static_cast<double>(mib) / 1024;
  std::printf("{\"mib\":%llu,\"first_populate_ms_per_gib\":%.0f,\"again_populate_ms_per_gib\":[",
              static_cast<unsigned long long>(mib), populate_ms[0] / gib);
  for (size_t i = 1; i < populate_ms.size(); ++i)
    std::printf("%s%.0f", i > 1 ? "," : "", populate_ms[i] / gib);
  std::printf(
      "],\"memset_ms_per_gib\":%.0f,\"idle_s\":%llu,\"after_idle_populate_ms_per_gib\":%.0f}\n",
      memset_ms / gib, static_cast<unsigned long long>(idle_s), after_idle_ms / gib);
  return 0;
}
