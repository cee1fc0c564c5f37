/* The C ABI between the allocation shim (preload/libpyrometer_memory.so, which replaces
 * malloc & co.) and the agent (preload/libpyrometer_preload.so, which owns everything
 * else). The shim keeps only the fast path: a thread-local byte countdown for sampling and
 * a one-byte filter probe on free. Everything that happens to a sampled allocation is the
 * agent's. Both sides are loaded with LD_PRELOAD from process start; the shim links the
 * agent, so these symbols resolve before the first allocation.
 *
 * Every function here is called from inside malloc/free: no allocation, no locks, no
 * Python API. */
#ifndef PYROMETER_MEMORY_HOOKS_H
#define PYROMETER_MEMORY_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Probe of the free filter: a nonzero byte at pyrometer_free_filter[pyrometer_filter_index(p)]
 * means p may be a live sampled allocation, and the shim calls pyrometer_memory_free(p)
 * before releasing it. Counting filter: the agent increments on insert, decrements on
 * remove; a false positive costs one hash-table probe, never a wrong answer. */
#define PYROMETER_FREE_FILTER_BITS 16
extern uint8_t pyrometer_free_filter[1u << PYROMETER_FREE_FILTER_BITS];

static inline uint32_t pyrometer_filter_index(const void* p) {
  /* Allocations are 16-byte aligned: drop those bits, then a multiplicative hash. */
  return (uint32_t)((((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull) >> (64 - PYROMETER_FREE_FILTER_BITS));
}

/* Which allocator call a sample came from (kept for statistics and tests). */
enum PyroAllocKind { PYRO_ALLOC_MALLOC = 0, PYRO_ALLOC_MMAP = 1 };

/* A sampled allocation: `size` bytes at `ptr`, made by the function that `caller` (the
 * return address out of the shim's entry point) lies in. `mean` is the sampling mean in
 * bytes the countdown was drawn with. */
void pyrometer_memory_sample(void* ptr, size_t size, size_t mean, uintptr_t caller, int kind);

/* `ptr` passed the filter and is about to be released (free, realloc, munmap). */
void pyrometer_memory_free(void* ptr);

/* An anonymous mapping of `len` bytes the program made itself (not jemalloc), and its
 * removal: counted in the heap total. */
void pyrometer_memory_mapped(void* addr, size_t len);
void pyrometer_memory_unmapped(void* addr, size_t len);

/* The mean sampling interval the shim should use (bytes), from the agent's settings; 0
 * when memory tracking is off for this process. */
size_t pyrometer_memory_interval(void);

#ifdef __cplusplus
}
#endif

#endif /* PYROMETER_MEMORY_HOOKS_H */
