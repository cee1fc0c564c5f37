#pragma once
#include <setjmp.h>
#include <signal.h>

namespace pyro::detail {
// Initial-exec TLS: the agent is LD_PRELOADed, so its TLS is static and reading it from a
// signal handler never calls into the dynamic loader (which may hold locks).
extern __thread sigjmp_buf* t_fault_guard __attribute__((tls_model("initial-exec")));
void count_fault();
// A fault raised while SIGSEGV or SIGBUS is blocked kills the process instead of reaching
// the guard: the drain thread runs with every signal blocked, and a sample may interrupt
// the program's own fault handler. Unblocks them if needed (one rt_sigprocmask syscall to
// look, two more when they were blocked); true when *saved must be restored afterwards.
bool unblock_fault_signals(sigset_t* saved);
void restore_signal_mask(const sigset_t* saved);
}  // namespace pyro::detail

namespace pyro {

template <typename Fn>
bool SafeAccess::run(Fn&& fn) {
  sigset_t saved;
  const bool restore = detail::unblock_fault_signals(&saved);
  sigjmp_buf env;
  // savemask=0: no sigprocmask syscall; the fault handler runs with SA_NODEFER so no
  // signal stays blocked after the jump (the mask we changed is put back below).
  if (sigsetjmp(env, 0) != 0) {
    detail::t_fault_guard = nullptr;
    if (restore) detail::restore_signal_mask(&saved);
    detail::count_fault();
    return false;
  }
  detail::t_fault_guard = &env;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  fn();
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  detail::t_fault_guard = nullptr;
  if (restore) detail::restore_signal_mask(&saved);
  return true;
}

}  // namespace pyro
