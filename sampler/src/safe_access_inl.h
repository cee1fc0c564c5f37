#pragma once
#include <setjmp.h>

namespace pyro::detail {
// Initial-exec TLS: the agent is LD_PRELOADed, so its TLS is static and reading it from a
// signal handler never calls into the dynamic loader (which may hold locks).
extern __thread sigjmp_buf* t_fault_guard __attribute__((tls_model("initial-exec")));
void count_fault();
bool faults_catchable();  // one rt_sigprocmask syscall
}  // namespace pyro::detail

namespace pyro {

template <typename Fn>
bool SafeAccess::run(Fn&& fn) {
  if (!detail::faults_catchable()) {
    detail::count_fault();
    return false;
  }
  sigjmp_buf env;
  // savemask=0: no sigprocmask syscall; the fault handler runs with SA_NODEFER so no
  // signal stays blocked after the jump.
  if (sigsetjmp(env, 0) != 0) {
    detail::t_fault_guard = nullptr;
    detail::count_fault();
    return false;
  }
  detail::t_fault_guard = &env;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  fn();
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  detail::t_fault_guard = nullptr;
  return true;
}

}  // namespace pyro
