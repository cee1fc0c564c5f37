// Signals the agent keeps in the kernel for itself while the program may want them too:
// SIGPROF (sampling) and SIGSEGV/SIGBUS (the walker's fault guard).
//
// Once the agent has taken a signal over, the program's own sigaction()/signal() calls for
// it (seen by preload/signal_hooks.cpp) no longer reach the kernel: they set the signal's
// *program action*, which is what the program reads back, and which the agent's handler
// runs for every such signal that is not the agent's own (a fault outside a guarded walk,
// the program's setitimer(ITIMER_PROF), a kill). So a handler the program installs after
// the profiler started keeps working, and the agent's handler stays in place: a later
// SIGSEGV handler cannot take the fault guard away from the walker.
//
// Everything callable from a handler here is async-signal-safe: programs do call
// sigaction() from their own handlers (faulthandler restores the default before re-raising).
#pragma once

#include <signal.h>

namespace pyro {

using SigactionFn = int (*)(int, const struct sigaction*, struct sigaction*);

class SignalChain {
 public:
  // The sigaction that reaches the kernel. preload sets it to libc's (bypassing its own
  // interposer) in its earliest constructor; without preload (unit tests) it is ::sigaction.
  static void set_real_sigaction(SigactionFn fn);
  static int real_sigaction(int sig, const struct sigaction* act, struct sigaction* old);

  // Normal context. Installs `ours` for sig in the kernel; the action it replaces becomes
  // the program action (unless the agent already owned sig).
  static bool take_over(int sig, const struct sigaction& ours);
  static bool owns(int sig);

  // The program's sigaction() for an owned signal: sets (act) and reads (old) the program
  // action, as the kernel would. Signal-safe.
  static void program_sigaction(int sig, const struct sigaction* act, struct sigaction* old);

  enum class Outcome { kHandled, kDefault };
  // Signal context: runs the program action for a signal that is not the agent's, with the
  // program's sa_mask (and the signal itself unless SA_NODEFER) blocked and SA_RESETHAND
  // honoured. kDefault: the program action is SIG_DFL and the caller must emulate it
  // (see die_by_default).
  static Outcome forward(int sig, siginfo_t* info, void* ucontext);

  // Signal context: the default action of a terminating signal. Restores SIG_DFL in the
  // kernel; a signal sent by a process (kill, raise, tgkill) is sent again and kills once
  // the handler returns; a real fault kills when the faulting instruction runs again.
  static void die_by_default(int sig, const siginfo_t* info);
};

}  // namespace pyro
