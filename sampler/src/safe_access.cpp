#include "safe_access.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstring>

#include "signal_chain.h"

namespace pyro::detail {
__thread sigjmp_buf* t_fault_guard __attribute__((tls_model("initial-exec"))) = nullptr;
namespace {
std::atomic<unsigned long> g_faults{0};
}  // namespace
void count_fault() { g_faults.fetch_add(1, std::memory_order_relaxed); }

bool faults_catchable() {
  // A fault raised while SIGSEGV or SIGBUS is blocked (the program's own fault handler is
  // running on this thread, or the program blocked them) would kill the process instead
  // of reaching on_fault: walk only when both can be delivered.
  sigset_t blocked;
  if (pthread_sigmask(SIG_BLOCK, nullptr, &blocked) != 0) return false;
  return !sigismember(&blocked, SIGSEGV) && !sigismember(&blocked, SIGBUS);
}

static void on_fault(int sig, siginfo_t* info, void* ucontext) {
  if (sigjmp_buf* env = t_fault_guard) {
    t_fault_guard = nullptr;
    siglongjmp(*env, 1);
  }
  // Not ours: the program's handler (installed before or after ours, see signal_chain.h),
  // or the default action, exactly as without the profiler.
  if (SignalChain::forward(sig, info, ucontext) == SignalChain::Outcome::kDefault)
    SignalChain::die_by_default(sig, info);
}
}  // namespace pyro::detail

namespace pyro {

bool SafeAccess::install() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = detail::on_fault;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
  return SignalChain::take_over(SIGSEGV, sa) && SignalChain::take_over(SIGBUS, sa);
}

unsigned long SafeAccess::faults() { return detail::g_faults.load(std::memory_order_relaxed); }

}  // namespace pyro
