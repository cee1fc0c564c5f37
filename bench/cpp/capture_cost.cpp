// Cost of the native part of a sample, measured where it runs: inside a SIGPROF handler,
// on a thread whose stack is `depth` frames deep. Prints the median and p90 over many
// signals. Usage: capture_cost [depth] [samples]
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "native_unwind.h"

namespace {

std::vector<long> g_costs;
volatile int g_frames_seen = 0;
volatile sig_atomic_t g_count = 0;  // what the spinning loop watches (the vector is invisible to it)

long now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

void on_prof(int, siginfo_t*, void* uc) {
  uintptr_t pc = static_cast<uintptr_t>(static_cast<ucontext_t*>(uc)->uc_mcontext.gregs[REG_RIP]);
  uintptr_t frames[96];
  long begin = now_ns();
  int n = pyro::capture_native_stack(pc, frames, 96);
  long took = now_ns() - begin;
  if (g_costs.size() < g_costs.capacity()) g_costs.push_back(took);
  g_count = static_cast<sig_atomic_t>(g_costs.size());
  g_frames_seen = n;
}

long spin_at_depth(int depth, size_t samples);
// Called through a volatile pointer so the compiler cannot turn the recursion into a loop.
long (*volatile g_recurse)(int, size_t) = spin_at_depth;

__attribute__((noinline)) long spin_at_depth(int depth, size_t samples) {
  if (depth > 1) return g_recurse(depth - 1, samples) + 1;
  volatile long sink = 0;
  while (static_cast<size_t>(g_count) < samples) sink = sink + 1;
  return sink;
}

}  // namespace

int main(int argc, char** argv) {
  const int depth = argc > 1 ? std::atoi(argv[1]) : 50;
  const size_t samples = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 2000;
  g_costs.reserve(samples);
  pyro::prepare_native_unwinding();
  struct sigaction sa {};
  sa.sa_sigaction = on_prof;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGPROF, &sa, nullptr);
  itimerval it{{0, 1000}, {0, 1000}};
  setitimer(ITIMER_PROF, &it, nullptr);
  spin_at_depth(depth, samples);
  itimerval off{};
  setitimer(ITIMER_PROF, &off, nullptr);
  std::vector<long> sorted(g_costs.begin() + 10, g_costs.end());  // first unwinds fill caches
  std::sort(sorted.begin(), sorted.end());
  std::printf("native unwind in SIGPROF handler: depth %d (%d frames captured), %zu samples: median %ld ns, p90 %ld ns\n",
              depth, g_frames_seen, sorted.size(), sorted[sorted.size() / 2], sorted[sorted.size() * 9 / 10]);
}
