#include "native_unwind.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <time.h>

#include <atomic>

namespace pyro {
namespace {
__thread int t_loader_depth __attribute__((tls_model("initial-exec"))) = 0;
__thread bool t_unwinding_in_handler __attribute__((tls_model("initial-exec"))) = false;
constexpr int kHandlerFrames = 8;  // our own frames above the signal frame, at most
constexpr int kHookFrames = 12;    // our own frames above an allocation hook's caller, at most
constexpr int kBuffer = 256 + kHookFrames;

// A Dekker handshake (sequentially consistent): a normal caller announces itself, then
// waits for handlers already unwinding; a handler announces itself, then backs off when a
// normal caller (or a fork) is announced. At least one side always sees the other.
std::atomic<int> g_normal_iterations{0};
std::atomic<int> g_handler_unwinds{0};
std::atomic<bool> g_fork_pending{false};

void pause_briefly() {
  timespec ts{0, 50'000};
  nanosleep(&ts, nullptr);
}

// Keeps frames[first..] from the one equal to `first_frame` (searched among the first
// `own_frames`, which are ours) into out; 0 when it is not there.
int keep_from(void* const* frames, int n, uintptr_t first_frame, int own_frames, uintptr_t* out, int max) {
  int first = -1;
  for (int i = 0; i < n && i <= own_frames; ++i) {
    if (reinterpret_cast<uintptr_t>(frames[i]) == first_frame) {
      first = i;
      break;
    }
  }
  if (first < 0) return 0;
  int count = 0;
  for (int i = first; i < n && count < max; ++i) out[count++] = reinterpret_cast<uintptr_t>(frames[i]);
  return count;
}
// The calling thread's frames from `first_frame` on, for the handler or an allocation hook:
// announced as an unwind (see begin_phdr_iteration), so libunwind's own dl_iterate_phdr
// calls pass the loader interposer without waiting; backs off (kSkippedInLoader) while a
// normal caller iterates or a fork is being prepared.
int unwind_own_thread(uintptr_t first_frame, int own_frames, uintptr_t* out, int max) {
  if (t_loader_depth > 0) return kSkippedInLoader;
  if (max <= 0) return 0;
  g_handler_unwinds.fetch_add(1);
  if (g_normal_iterations.load() > 0 || g_fork_pending.load()) {
    g_handler_unwinds.fetch_sub(1);
    return kSkippedInLoader;
  }
  void* frames[kBuffer];
  const int limit = max + own_frames < kBuffer ? max + own_frames : kBuffer;
  t_unwinding_in_handler = true;
  const int n = unw_backtrace(frames, limit);
  t_unwinding_in_handler = false;
  g_handler_unwinds.fetch_sub(1);
  return keep_from(frames, n, first_frame, own_frames, out, max);
}
}  // namespace

void enter_dynamic_loader() { ++t_loader_depth; }
void leave_dynamic_loader() { --t_loader_depth; }

void begin_phdr_iteration() {
  for (;;) {
    while (g_fork_pending.load()) pause_briefly();
    g_normal_iterations.fetch_add(1);
    if (!g_fork_pending.load()) break;
    g_normal_iterations.fetch_sub(1);
  }
  while (g_handler_unwinds.load() > 0) pause_briefly();  // handlers finish in microseconds
}

void end_phdr_iteration() { g_normal_iterations.fetch_sub(1); }

bool unwinding_in_handler() { return t_unwinding_in_handler; }

void block_phdr_iteration_for_fork() {
  g_fork_pending.store(true);
  // Bounded (~1 s): a caller stuck in a callback must not hang the program's fork().
  for (int i = 0; i < 20'000 && (g_normal_iterations.load() > 0 || g_handler_unwinds.load() > 0); ++i)
    pause_briefly();
}

void unblock_phdr_iteration_after_fork(bool in_child) {
  if (in_child) {  // only this thread exists now
    g_normal_iterations.store(0);
    g_handler_unwinds.store(0);
  }
  g_fork_pending.store(false);
}

void prepare_native_unwinding() {
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
  void* warm[64];
  unw_backtrace(warm, 64);
}

int capture_native_stack(uintptr_t interrupted_pc, uintptr_t* out, int max) {
  // unw_backtrace starts in this handler; the interrupted frames follow the kernel's
  // signal frame. Keep everything from the interrupted PC on.
  return unwind_own_thread(interrupted_pc, kHandlerFrames, out, max);
}

int capture_native_stack_from(uintptr_t return_address, uintptr_t* out, int max) {
  // An allocation hook (normal context, but CPU samples skip a thread inside one). It
  // takes part in the handshake exactly like a handler: libunwind holds its own lock while
  // it calls dl_iterate_phdr, and a handler on another thread may be waiting for that lock
  // — so this unwind must not wait for handlers in begin_phdr_iteration either.
  return unwind_own_thread(return_address, kHookFrames, out, max);
}

}  // namespace pyro
