// malloc+free pair cost, for comparing allocators by LD_PRELOAD (bench/alloc_cost.sh runs
// it under glibc, plain jemalloc, and pyrometer's allocation shim). Each size is timed over
// rounds of kPairs pairs with a few live blocks in flight, and the median round is printed.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

constexpr int kPairs = 2'000'000;
constexpr int kRounds = 9;
constexpr int kInFlight = 16;  // a ring of live blocks, so frees are not of the block just made

double now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

double time_pairs(size_t size) {
  void* ring[kInFlight] = {};
  const double start = now_ns();
  for (int i = 0; i < kPairs; ++i) {
    void*& slot = ring[i % kInFlight];
    free(slot);
    slot = malloc(size);
    *static_cast<volatile char*>(slot) = 1;
  }
  const double took = now_ns() - start;
  for (void* p : ring) free(p);
  return took / kPairs;
}

}  // namespace

int main(int argc, char** argv) {
  const char* label = argc > 1 ? argv[1] : "allocator";
  for (size_t size : {16, 64, 256, 1024, 4096}) {
    std::vector<double> rounds;
    for (int r = 0; r < kRounds; ++r) rounds.push_back(time_pairs(size));
    std::sort(rounds.begin(), rounds.end());
    std::printf("%s size %zu: median %.2f ns per malloc+free (min %.2f)\n", label, size, rounds[kRounds / 2], rounds[0]);
  }
  return 0;
}
