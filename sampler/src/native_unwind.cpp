#include "native_unwind.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

namespace pyro {
namespace {
__thread int t_loader_depth __attribute__((tls_model("initial-exec"))) = 0;
__thread bool t_unwinding __attribute__((tls_model("initial-exec"))) = false;
constexpr int kHandlerFrames = 8;  // our own frames above the signal frame, at most
constexpr int kHookFrames = 12;    // our own frames above an allocation hook's caller, at most

// Unwinds the current thread and keeps the frames from `first_frame` on (innermost first).
int unwind_from(uintptr_t first_frame, int own_frames, uintptr_t* out, int max) {
  if (t_loader_depth > 0 || t_unwinding) return kSkippedInLoader;
  if (max <= 0) return 0;
  constexpr int kBuffer = 256 + kHookFrames;
  void* frames[kBuffer];
  const int limit = max + own_frames < kBuffer ? max + own_frames : kBuffer;
  t_unwinding = true;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  const int n = unw_backtrace(frames, limit);
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  t_unwinding = false;
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
}  // namespace

void enter_dynamic_loader() { ++t_loader_depth; }
void leave_dynamic_loader() { --t_loader_depth; }

void prepare_native_unwinding() {
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
  void* warm[64];
  unw_backtrace(warm, 64);
}

int capture_native_stack(uintptr_t interrupted_pc, uintptr_t* out, int max) {
  // unw_backtrace starts in this handler; the interrupted frames follow the kernel's
  // signal frame. Keep everything from the interrupted PC on.
  return unwind_from(interrupted_pc, kHandlerFrames, out, max);
}

int capture_native_stack_from(uintptr_t return_address, uintptr_t* out, int max) {
  return unwind_from(return_address, kHookFrames, out, max);
}

}  // namespace pyro
