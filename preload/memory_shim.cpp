// The allocation shim (libpyrometer_memory.so): replaces the malloc family, and mmap/munmap,
// for the whole process when memory tracking is on. jemalloc does the allocating; this file
// only decides which allocations are sampled:
//
//   fast path = jemalloc's own call + one thread-local subtraction and a branch (allocate),
//               or one byte probe of the free filter (release).
//
// A thread's countdown is drawn from an exponential distribution with the sampling mean
// (bytes); an allocation that takes it below zero is sampled and handed to the agent, which
// records its stack and tracks the pointer until it is freed (pyrometer/memory_hooks.h).
//
// Hard cases, and how they are handled:
// - Bootstrap: jemalloc's plain entry points (malloc, free, ...) are looked up with dlsym,
//   which itself allocates. Until the lookup is done every call goes through jemalloc's
//   non-standard API (mallocx & co.), which needs no lookup at all; both allocate from the
//   same jemalloc, so a block may be allocated by one and freed by the other.
// - Memory allocated before the shim was ready: there is none outside jemalloc. The shim is
//   preloaded from process start and jemalloc is its dependency, so the first malloc of the
//   process already lands here.
// - Thread teardown: the thread-locals are initial-exec TLS, valid until the thread is gone.
// - Recursion: the agent may allocate while recording a sample (it should not, but libraries
//   it calls might): t_in_hook makes such nested allocations plain jemalloc calls.
// - fork: nothing here takes a lock; jemalloc has its own atfork handlers.
// - The profiler's own memory: its threads draw no countdown worth sampling (the agent
//   ignores samples from threads it does not track) and the heap total excludes them.
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <math.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "exports.h"
#include "pyrometer/memory_hooks.h"

// jemalloc's non-standard API (libjemalloc.so.2 exports it unprefixed). Declared here
// rather than through <jemalloc/jemalloc.h>, which would re-declare malloc & co.
extern "C" {
void* mallocx(size_t size, int flags);
void* rallocx(void* ptr, size_t size, int flags);
size_t sallocx(const void* ptr, int flags);
void dallocx(void* ptr, int flags);
}

namespace {

constexpr int kMallocxZero = 0x40;
int mallocx_align(size_t alignment) { return __builtin_ctzl(alignment); }  // MALLOCX_ALIGN

#define PYRO_TLS __attribute__((tls_model("initial-exec")))
__thread int64_t t_countdown PYRO_TLS = 0;  // bytes until the next sample; < 0: sample now
__thread uint64_t t_rng PYRO_TLS = 0;
__thread bool t_in_hook PYRO_TLS = false;
// A thread's countdown starts at 0 (TLS must be constant-initialised), so its first
// allocation always reaches on_countdown: the first real draw happens there, and that
// allocation is sampled only if the draw says so — else every new thread would sample its
// first allocation with probability 1 and overcount it (~the mean per thread).
__thread bool t_drawn PYRO_TLS = false;

// Until the agent tells the mean, sample sparsely (these are the interpreter's start-up
// allocations, which the agent ignores anyway).
constexpr int64_t kCountdownBeforeAgent = 1 << 20;
size_t g_mean = 0;

// calloc sizes served as malloc + memset. jemalloc zeroes a recycled large extent (over
// 16 KiB) by purging it with madvise, so every page faults in again when the program
// writes it: `np.zeros(40_000)` in a loop ran 35x slower under the shim than without it
// (1.6 M page faults), where glibc memsets a reused heap chunk and takes none. Up to the
// size jemalloc keeps for reuse (malloc_conf below: 32 MiB, glibc's largest mmap threshold);
// above, blocks come fresh from the kernel, and jemalloc's calloc keeps them lazy.
constexpr size_t kCallocMemsetFrom = 16 * 1024, kCallocMemsetUpTo = 32 * 1024 * 1024;

// jemalloc's plain entry points, once looked up (bootstrap: the mallocx family).
void* (*g_malloc)(size_t) = nullptr;
void (*g_free)(void*) = nullptr;
void* (*g_calloc)(size_t, size_t) = nullptr;
void* (*g_realloc)(void*, size_t) = nullptr;

// The executable ranges of libjemalloc, of the agent and of libunwind: their own
// mmap/munmap calls are heap management or profiler memory, not program mappings — and
// libunwind maps memory while it unwinds inside our SIGPROF handler, where sampling it
// would unwind again, re-entering libunwind. Known after the constructor; until then no
// mapping is counted.
struct CodeRange {
  uintptr_t start = 0, end = 0;
  bool contains(uintptr_t pc) const { return pc >= start && pc < end; }
};
CodeRange g_jemalloc, g_agent, g_unwinder;
bool g_ready = false;

int64_t draw_countdown(size_t mean) {
  // xorshift64*, seeded per thread from its TLS address and the clock.
  if (t_rng == 0) {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t_rng = (reinterpret_cast<uintptr_t>(&t_rng) * 0x9E3779B97F4A7C15ULL) ^ uint64_t(ts.tv_nsec) ^ 1;
  }
  t_rng ^= t_rng >> 12;
  t_rng ^= t_rng << 25;
  t_rng ^= t_rng >> 27;
  const uint64_t r = t_rng * 0x2545F4914F6CDD1DULL;
  const double u = (double(r >> 11) + 1.0) * (1.0 / 9007199254740992.0);  // (0, 1]
  return static_cast<int64_t>(-log(u) * double(mean)) + 1;
}

// The countdown ran out on an allocation of `size` bytes at `ptr`.
__attribute__((noinline)) void on_countdown(void* ptr, size_t size, uintptr_t caller, int kind) {
  size_t mean = g_mean;
  if (mean == 0) {
    mean = pyrometer_memory_interval();
    if (mean == 0) {
      t_countdown = kCountdownBeforeAgent;
      return;
    }
    g_mean = mean;
  }
  if (!t_drawn) {
    t_drawn = true;
    t_countdown = draw_countdown(mean) - static_cast<int64_t>(size);
    if (t_countdown >= 0) return;  // this allocation did not reach the first sample point
  }
  t_countdown = draw_countdown(mean);
  if (!ptr || t_in_hook) return;
  t_in_hook = true;
  pyrometer_memory_sample(ptr, size, mean, caller, kind);
  t_in_hook = false;
}

inline void account(void* ptr, size_t size, uintptr_t caller) {
  t_countdown -= static_cast<int64_t>(size);
  if (__builtin_expect(t_countdown < 0, 0)) on_countdown(ptr, size, caller, PYRO_ALLOC_MALLOC);
}

inline void forget(void* ptr) {
  if (__builtin_expect(pyrometer_free_filter[pyrometer_filter_index(ptr)] != 0, 0) && !t_in_hook)
    pyrometer_memory_free(ptr);
}

#define CALLER reinterpret_cast<uintptr_t>(__builtin_return_address(0))

void* raw_malloc(size_t size) {
  if (g_malloc) return g_malloc(size);
  void* p = mallocx(size ? size : 1, 0);
  if (!p) errno = ENOMEM;
  return p;
}

void raw_free(void* ptr) {
  if (g_free) {
    g_free(ptr);
  } else {
    dallocx(ptr, 0);
  }
}

void* aligned(size_t alignment, size_t size) {
  void* p = mallocx(size ? size : 1, mallocx_align(alignment));
  if (!p) errno = ENOMEM;
  return p;
}

bool valid_alignment(size_t alignment) { return alignment && (alignment & (alignment - 1)) == 0; }

// aligned_alloc and memalign (glibc accepts any power of two for both).
void* checked_aligned(size_t alignment, size_t size, uintptr_t caller) {
  if (!valid_alignment(alignment)) {
    errno = EINVAL;
    return nullptr;
  }
  void* p = aligned(alignment, size);
  account(p, size, caller);
  return p;
}

struct RangeQuery {
  uintptr_t address;
  CodeRange* out;
};

int find_code_range(dl_phdr_info* info, size_t, void* data) {
  auto* query = static_cast<RangeQuery*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    const uintptr_t start = info->dlpi_addr + ph.p_vaddr, end = start + ph.p_memsz;
    if (query->address >= start && query->address < end) {
      *query->out = {start, end};
      return 1;
    }
  }
  return 0;
}

void find_code_range_of(const void* function, CodeRange* out) {
  RangeQuery query{reinterpret_cast<uintptr_t>(function), out};
  dl_iterate_phdr(find_code_range, &query);
}

bool internal_caller(uintptr_t caller) {
  return g_jemalloc.contains(caller) || g_agent.contains(caller) || g_unwinder.contains(caller);
}

// Priority 101: before other constructors of preloaded code, which may allocate a lot.
__attribute__((constructor(101))) void init_shim() {
  find_code_range_of(reinterpret_cast<const void*>(&mallocx), &g_jemalloc);
  find_code_range_of(reinterpret_cast<const void*>(&pyrometer_memory_sample), &g_agent);
  if (const void* unwinder = dlsym(RTLD_DEFAULT, "unw_backtrace")) find_code_range_of(unwinder, &g_unwinder);
  // dlsym allocates: those calls are served by the bootstrap path above.
  if (void* je = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_NOLOAD)) {
    auto m = reinterpret_cast<void* (*)(size_t)>(dlsym(je, "malloc"));
    auto f = reinterpret_cast<void (*)(void*)>(dlsym(je, "free"));
    auto c = reinterpret_cast<void* (*)(size_t, size_t)>(dlsym(je, "calloc"));
    auto r = reinterpret_cast<void* (*)(void*, size_t)>(dlsym(je, "realloc"));
    if (m && f && c && r) {
      g_free = f;
      g_calloc = c;
      g_realloc = r;
      g_malloc = m;
    }
  }
  g_ready = true;
}

}  // namespace

// jemalloc's options for the program; MALLOC_CONF in the environment still overrides them
// (jemalloc reads this symbol first). Its defaults cost programs that recycle big blocks
// page faults glibc does not take: blocks over 8 MiB go to an arena that purges them on
// free, and a freed extent that coalesces past that size is purged at once — numpy
// temporaries of 16 MB ran 2.8x slower, asyncio's streams 2x (docs/benchmarks.md).
// - oversize_threshold 32 MiB: blocks up to glibc's largest mmap threshold are kept for
//   reuse, as glibc keeps them in its heap; larger ones still go back to the kernel on free.
// - muzzy_decay_ms -1: unused pages decay (10 s) to MADV_FREE, which the kernel reclaims
//   under pressure and which a reuse takes back without a fault; never purged by force.
//   The price: RSS after a big free drops when the kernel reclaims, not at once.
extern "C" {
__attribute__((visibility("default"))) const char* malloc_conf = "oversize_threshold:33554432,muzzy_decay_ms:-1";
}

// Tells the agent that the shim is loaded (memory tracking needs it).
PYRO_EXPORT const int pyrometer_memory_shim_version = 1;

PYRO_EXPORT void* malloc(size_t size) {
  void* p = raw_malloc(size);
  account(p, size, CALLER);
  return p;
}

PYRO_EXPORT void free(void* ptr) {
  if (!ptr) return;
  forget(ptr);
  raw_free(ptr);
}

PYRO_EXPORT void* calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  void* p;
  if (total > kCallocMemsetFrom && total <= kCallocMemsetUpTo) {
    p = raw_malloc(total);
    if (p) memset(p, 0, total);
  } else if (g_calloc) {
    p = g_calloc(n, size);
  } else {
    p = mallocx(total ? total : 1, kMallocxZero);
    if (!p) errno = ENOMEM;
  }
  account(p, total, CALLER);
  return p;
}

PYRO_EXPORT void* realloc(void* ptr, size_t size) {
  if (!ptr) {
    void* p = raw_malloc(size);
    account(p, size, CALLER);
    return p;
  }
  if (size == 0) {  // glibc's behaviour: free and return NULL
    forget(ptr);
    raw_free(ptr);
    return nullptr;
  }
  // A sampled block that moves or shrinks is freed from the agent's point of view; the
  // result is a new allocation of `size` bytes for sampling.
  forget(ptr);
  void* p;
  if (g_realloc) {
    p = g_realloc(ptr, size);
  } else {
    p = rallocx(ptr, size, 0);
    if (!p) errno = ENOMEM;
  }
  account(p, size, CALLER);
  return p;
}

PYRO_EXPORT void* reallocarray(void* ptr, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(ptr, total);
}

PYRO_EXPORT int posix_memalign(void** out, size_t alignment, size_t size) {
  if (!valid_alignment(alignment) || alignment % sizeof(void*) != 0) return EINVAL;
  void* p = mallocx(size ? size : 1, mallocx_align(alignment));
  if (!p) return ENOMEM;
  account(p, size, CALLER);
  *out = p;
  return 0;
}

PYRO_EXPORT void* aligned_alloc(size_t alignment, size_t size) { return checked_aligned(alignment, size, CALLER); }

PYRO_EXPORT void* memalign(size_t alignment, size_t size) { return checked_aligned(alignment, size, CALLER); }

PYRO_EXPORT void* valloc(size_t size) {
  void* p = aligned(size_t(sysconf(_SC_PAGESIZE)), size);
  account(p, size, CALLER);
  return p;
}

PYRO_EXPORT void* pvalloc(size_t size) {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  const size_t rounded = (size + page - 1) & ~(page - 1);
  void* p = aligned(page, rounded ? rounded : page);
  account(p, rounded, CALLER);
  return p;
}

PYRO_EXPORT size_t malloc_usable_size(void* ptr) { return ptr ? sallocx(ptr, 0) : 0; }

// Anonymous mappings the program (or a library) makes itself are heap too: OpenBLAS
// buffers, Python's mmap module, allocators of their own. File mappings are not, and
// jemalloc's own mappings are already counted as the allocations they hold.
PYRO_EXPORT void* mmap(void* addr, size_t len, int prot, int flags, int fd, off_t offset) {
  void* p = reinterpret_cast<void*>(syscall(SYS_mmap, addr, len, prot, flags, fd, offset));
  const uintptr_t caller = CALLER;
  if (p != MAP_FAILED && (flags & MAP_ANONYMOUS) && g_ready && !internal_caller(caller) && !t_in_hook) {
    pyrometer_memory_mapped(p, len);
    t_countdown -= static_cast<int64_t>(len);
    if (__builtin_expect(t_countdown < 0, 0)) on_countdown(p, len, caller, PYRO_ALLOC_MMAP);
  }
  return p;
}

PYRO_EXPORT void* mmap64(void* addr, size_t len, int prot, int flags, int fd, off_t offset)
    __attribute__((alias("mmap")));

PYRO_EXPORT int munmap(void* addr, size_t len) {
  if (g_ready && !internal_caller(CALLER) && !t_in_hook) {
    forget(addr);
    pyrometer_memory_unmapped(addr, len);
  }
  return static_cast<int>(syscall(SYS_munmap, addr, len));
}
