#include "signal_chain.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace pyro {
namespace {

constexpr int kMaxSignal = 65;  // signal numbers are 1..64 on Linux
// The program action is read by handlers while the program may be replacing it: each write
// goes to the next of these copies and then publishes its index, so a reader copies a
// stable action unless kVersions writes land during its copy.
constexpr unsigned kVersions = 8;

struct ProgramAction {
  std::atomic<bool> owned{false};
  std::atomic<unsigned> current{0};
  std::atomic<unsigned> next{0};
  struct sigaction versions[kVersions];
};

ProgramAction g_actions[kMaxSignal];
SigactionFn g_real_sigaction = nullptr;

bool valid(int sig) { return sig > 0 && sig < kMaxSignal; }

void read_action(int sig, struct sigaction* out) {
  const ProgramAction& pa = g_actions[sig];
  std::memcpy(out, &pa.versions[pa.current.load(std::memory_order_acquire) % kVersions], sizeof *out);
}

void write_action(int sig, const struct sigaction& act) {
  ProgramAction& pa = g_actions[sig];
  const unsigned index = pa.next.fetch_add(1, std::memory_order_acq_rel) + 1;
  std::memcpy(&pa.versions[index % kVersions], &act, sizeof act);
  pa.current.store(index, std::memory_order_release);
}

}  // namespace

void SignalChain::set_real_sigaction(SigactionFn fn) { g_real_sigaction = fn; }

int SignalChain::real_sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  return g_real_sigaction ? g_real_sigaction(sig, act, old) : ::sigaction(sig, act, old);
}

bool SignalChain::take_over(int sig, const struct sigaction& ours) {
  if (!valid(sig)) return false;
  ProgramAction& pa = g_actions[sig];
  if (pa.owned.load(std::memory_order_acquire)) return real_sigaction(sig, &ours, nullptr) == 0;
  struct sigaction previous;
  if (real_sigaction(sig, &ours, &previous) != 0) return false;
  std::memcpy(&pa.versions[0], &previous, sizeof previous);
  pa.next.store(0, std::memory_order_relaxed);
  pa.current.store(0, std::memory_order_release);
  pa.owned.store(true, std::memory_order_release);
  return true;
}

bool SignalChain::owns(int sig) { return valid(sig) && g_actions[sig].owned.load(std::memory_order_acquire); }

void SignalChain::program_sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  if (!valid(sig)) return;
  struct sigaction previous;
  read_action(sig, &previous);
  if (act) write_action(sig, *act);
  if (old) std::memcpy(old, &previous, sizeof previous);
}

SignalChain::Outcome SignalChain::forward(int sig, siginfo_t* info, void* ucontext) {
  struct sigaction act;
  read_action(sig, &act);
  // sa_handler and sa_sigaction share storage: SIG_DFL is null, SIG_IGN is 1 in both.
  if (act.sa_handler == SIG_IGN) return Outcome::kHandled;
  if (act.sa_handler == SIG_DFL) return Outcome::kDefault;
  if (act.sa_flags & SA_RESETHAND) {
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    write_action(sig, dfl);
  }
  // What the kernel would block while the program's handler runs. If the handler leaves
  // by siglongjmp, the mask is the program's to restore, as without the profiler.
  sigset_t block = act.sa_mask, saved;
  if (!(act.sa_flags & SA_NODEFER)) sigaddset(&block, sig);
  pthread_sigmask(SIG_BLOCK, &block, &saved);
  if (act.sa_flags & SA_SIGINFO) {
    act.sa_sigaction(sig, info, ucontext);
  } else {
    act.sa_handler(sig);
  }
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  return Outcome::kHandled;
}

void SignalChain::die_by_default(int sig, const siginfo_t* info) {
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  real_sigaction(sig, &dfl, nullptr);
  const bool synchronous_fault = (sig == SIGSEGV || sig == SIGBUS) && info && info->si_code > 0;
  if (!synchronous_fault) syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
}

}  // namespace pyro
