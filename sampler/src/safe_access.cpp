#include "safe_access.h"

#include <signal.h>

#include <atomic>
#include <cstring>

namespace pyro::detail {
__thread sigjmp_buf* t_fault_guard __attribute__((tls_model("initial-exec"))) = nullptr;
namespace {
std::atomic<unsigned long> g_faults{0};
struct sigaction g_previous[2];  // SIGSEGV, SIGBUS as they were before install()
}  // namespace
void count_fault() { g_faults.fetch_add(1, std::memory_order_relaxed); }

static struct sigaction* previous_for(int sig) { return &g_previous[sig == SIGBUS ? 1 : 0]; }

static void on_fault(int sig, siginfo_t* info, void* ucontext) {
  if (sigjmp_buf* env = t_fault_guard) {
    t_fault_guard = nullptr;
    siglongjmp(*env, 1);
  }
  // Not ours: behave as if we were never installed.
  struct sigaction* prev = previous_for(sig);
  if (prev->sa_flags & SA_SIGINFO) {
    if (prev->sa_sigaction) return prev->sa_sigaction(sig, info, ucontext);
  } else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
    return prev->sa_handler(sig);
  }
  // Default action: restore it and return; the faulting instruction runs again and the
  // kernel delivers the signal with its default disposition (core dump and all).
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(sig, &dfl, nullptr);
}
}  // namespace pyro::detail

namespace pyro {

bool SafeAccess::install() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = detail::on_fault;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
  return sigaction(SIGSEGV, &sa, detail::previous_for(SIGSEGV)) == 0 &&
         sigaction(SIGBUS, &sa, detail::previous_for(SIGBUS)) == 0;
}

unsigned long SafeAccess::faults() { return detail::g_faults.load(std::memory_order_relaxed); }

}  // namespace pyro
