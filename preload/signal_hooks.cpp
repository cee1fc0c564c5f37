// sigaction/signal/sysv_signal interposers: once the agent has taken over a signal
// (SIGPROF for sampling, SIGSEGV/SIGBUS for the walker's fault guard), the program's calls
// for it set the program action that the agent's handler chains to, instead of replacing
// the agent's handler in the kernel (see sampler/src/signal_chain.h). Every other signal,
// and every signal while the agent is dormant, goes straight to libc.
//
// Decision for SIGPROF: both keep working. Samples are recognised by the tag in si_value;
// every other SIGPROF (the program's setitimer(ITIMER_PROF), its own timer, a kill) runs
// the program's handler. The conflict is reported once, in one line on stderr.
#include <dlfcn.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "exports.h"
#include "signal_chain.h"

namespace {

using pyro::SignalChain;
using SignalFn = sighandler_t (*)(int, sighandler_t);
using SetitimerFn = int (*)(int, const itimerval*, itimerval*);

// Resolved in the earliest constructor: the agent's own take-over needs libc's sigaction,
// and dlsym must never run inside a handler (programs call sigaction from handlers).
pyro::SigactionFn g_sigaction;
SignalFn g_signal;
SignalFn g_sysv_signal;
SetitimerFn g_setitimer;

__attribute__((constructor(101))) void resolve_signal_functions() {
  g_sigaction = reinterpret_cast<pyro::SigactionFn>(dlsym(RTLD_NEXT, "sigaction"));
  g_signal = reinterpret_cast<SignalFn>(dlsym(RTLD_NEXT, "signal"));
  g_sysv_signal = reinterpret_cast<SignalFn>(dlsym(RTLD_NEXT, "sysv_signal"));
  g_setitimer = reinterpret_cast<SetitimerFn>(dlsym(RTLD_NEXT, "setitimer"));
  SignalChain::set_real_sigaction(g_sigaction);
}

void warn_sigprof_conflict() {
  static std::atomic<bool> warned{false};
  if (warned.exchange(true, std::memory_order_acq_rel)) return;
  static const char kMessage[] =
      "pyrometer: warning: the program uses SIGPROF itself; pyrometer keeps sampling with its own "
      "timers and passes the program's SIGPROF signals on to the program's handler\n";
  ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  (void)ignored;
}

bool installs_handler(const struct sigaction* act) {
  return act && act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
}

// signal() and sysv_signal() for an owned signal, with glibc's flags for each.
sighandler_t program_signal(int sig, sighandler_t handler, int flags, bool mask_self) {
  struct sigaction act, old;
  std::memset(&act, 0, sizeof act);
  act.sa_handler = handler;
  sigemptyset(&act.sa_mask);
  if (mask_self) sigaddset(&act.sa_mask, sig);
  act.sa_flags = flags;
  if (sig == SIGPROF && installs_handler(&act)) warn_sigprof_conflict();
  SignalChain::program_sigaction(sig, &act, &old);
  return old.sa_handler;
}

}  // namespace

PYRO_EXPORT int sigaction(int sig, const struct sigaction* act, struct sigaction* old) noexcept {
  if (!SignalChain::owns(sig)) {
    if (!g_sigaction) {
      errno = ENOSYS;
      return -1;
    }
    return g_sigaction(sig, act, old);
  }
  if (sig == SIGPROF && installs_handler(act)) warn_sigprof_conflict();
  SignalChain::program_sigaction(sig, act, old);
  return 0;
}

PYRO_EXPORT sighandler_t signal(int sig, sighandler_t handler) noexcept {
  if (SignalChain::owns(sig)) return program_signal(sig, handler, SA_RESTART, true);
  return g_signal ? g_signal(sig, handler) : SIG_ERR;
}

PYRO_EXPORT sighandler_t bsd_signal(int sig, sighandler_t handler) noexcept { return signal(sig, handler); }

PYRO_EXPORT sighandler_t sysv_signal(int sig, sighandler_t handler) noexcept {
  if (SignalChain::owns(sig)) return program_signal(sig, handler, SA_RESETHAND | SA_NODEFER, false);
  return g_sysv_signal ? g_sysv_signal(sig, handler) : SIG_ERR;
}

// Only watched: ITIMER_PROF's signals reach the program's handler through the chain.
PYRO_EXPORT int setitimer(__itimer_which_t which, const itimerval* value, itimerval* old) noexcept {
  if (which == ITIMER_PROF && value && SignalChain::owns(SIGPROF) &&
      (value->it_value.tv_sec != 0 || value->it_value.tv_usec != 0))
    warn_sigprof_conflict();
  if (!g_setitimer) {
    errno = ENOSYS;
    return -1;
  }
  return g_setitimer(which, value, old);
}
