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

bool unblock_fault_signals(sigset_t* saved) {
  if (pthread_sigmask(SIG_BLOCK, nullptr, saved) != 0) return false;
  if (!sigismember(saved, SIGSEGV) && !sigismember(saved, SIGBUS)) return false;
  sigset_t faults;
  sigemptyset(&faults);
  sigaddset(&faults, SIGSEGV);
  sigaddset(&faults, SIGBUS);
  return pthread_sigmask(SIG_UNBLOCK, &faults, nullptr) == 0;
}

void restore_signal_mask(const sigset_t* saved) { pthread_sigmask(SIG_SETMASK, saved, nullptr); }

static void on_fault(int sig, siginfo_t* info, void* ucontext) {
  // Only a fault raised by an instruction (si_code > 0) is the guarded code's: a SIGSEGV
  // sent with kill() that was pending while the guard unblocked it is the program's.
  sigjmp_buf* env = t_fault_guard;
  if (env && info && info->si_code > 0) {
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
