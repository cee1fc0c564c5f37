// Fault-tolerant execution of code that reads interpreter memory from a signal handler.
//
// The Python walker follows pointers of the interrupted thread, which may be mid-update
// (a frame being popped can point into a just-unmapped data-stack chunk). Validation
// catches most garbage; this guard catches the rest: a SIGSEGV/SIGBUS raised while the
// guard is armed on the faulting thread jumps back out of the walk instead of killing the
// process. Faults anywhere else go to the program's own handler — installed before ours or
// after it (signal_chain.h keeps ours in the kernel) — or get the default action, exactly
// as without the profiler. SIGSEGV and SIGBUS are unblocked for the guarded call when the
// thread has them blocked (the drain thread, a sample inside the program's fault handler):
// a fault could not be caught otherwise and would kill the process.
#pragma once

namespace pyro {

class SafeAccess {
 public:
  // Installs the SIGSEGV/SIGBUS handlers (normal context, once).
  static bool install();

  // Calls fn(arg) with the guard armed; returns false when it faulted. Signal-safe.
  template <typename Fn>
  static bool run(Fn&& fn);

  static unsigned long faults();  // how many walks a fault aborted
};

}  // namespace pyro

#include "safe_access_inl.h"
