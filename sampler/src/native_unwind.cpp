#include "native_unwind.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

namespace pyro {
namespace {
__thread int t_loader_depth __attribute__((tls_model("initial-exec"))) = 0;
constexpr int kHandlerFrames = 8;  // our own frames above the signal frame, at most
}  // namespace

void enter_dynamic_loader() { ++t_loader_depth; }
void leave_dynamic_loader() { --t_loader_depth; }

void prepare_native_unwinding() {
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
  void* warm[64];
  unw_backtrace(warm, 64);
}

int capture_native_stack(uintptr_t interrupted_pc, uintptr_t* out, int max) {
  if (t_loader_depth > 0) return kSkippedInLoader;
  if (max <= 0) return 0;
  // unw_backtrace starts in this handler; the interrupted frames follow the kernel's
  // signal frame. Unwind into a buffer with room for our own frames, then keep
  // everything from the interrupted PC on.
  constexpr int kBuffer = 256 + kHandlerFrames;
  void* frames[kBuffer];
  const int limit = max + kHandlerFrames < kBuffer ? max + kHandlerFrames : kBuffer;
  const int n = unw_backtrace(frames, limit);
  int first = -1;
  for (int i = 0; i < n && i <= kHandlerFrames; ++i) {
    if (reinterpret_cast<uintptr_t>(frames[i]) == interrupted_pc) {
      first = i;
      break;
    }
  }
  if (first < 0) return 0;
  int count = 0;
  for (int i = first; i < n && count < max; ++i) out[count++] = reinterpret_cast<uintptr_t>(frames[i]);
  return count;
}

}  // namespace pyro
