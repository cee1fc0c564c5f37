// One POSIX timer per thread on that thread's own CPU clock, delivering the sample signal
// to that very thread (SIGEV_THREAD_ID). A blocked thread consumes no CPU, so it gets no
// signal: blocking syscalls are never interrupted in CPU mode.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <string>

#include "thread_registry.h"

namespace pyro {

// The CPU clock of any thread of this process, by tid. Unlike pthread_getcpuclockid it
// needs no pthread_t, which may already be freed for a detached thread that exited:
// clock_gettime on the clock of a dead thread just fails with EINVAL.
inline clockid_t thread_cpu_clock(pid_t tid) {
  constexpr clockid_t kPerThread = 4, kSched = 2;  // linux/posix-timers.h CPUCLOCK_*
  return static_cast<clockid_t>((~static_cast<clockid_t>(tid) << 3) | kPerThread | kSched);
}

// Normal context. Creates the slot's timer and arms it a jittered interval after the CPU
// time in slot->last_cpu_ns; on failure returns false and sets *error.
bool create_cpu_timer(ThreadSlot* slot, uint64_t interval_ns, std::string* error);

// Signal-safe. Called by the handler with the thread's CPU time now: returns the expiry
// point this sample stands for and arms the next one (step_expiries).
uint64_t account_and_rearm_cpu_timer(ThreadSlot* slot, uint64_t cpu_now_ns, uint64_t interval_ns);

// The expiry points of a thread's timer form one sequence on its CPU clock, each a jittered
// interval after the one before, whatever the delivery does; a sample accounts the CPU up
// to the last point that has passed — not up to the moment the signal arrived.
//
// The kernel delivers a CPU-time signal late: it notices the expiry at the next scheduler
// tick (up to one tick of CPU later, bench/timer_lag), and in a system call only when the
// call returns; meanwhile further points pass with the one signal still pending. Those
// points are folded into this sample (their CPU went to the line in the call), and the
// next point is the first of the same sequence after now. Restarting the sequence from the
// delivery instead (next = now + jitter, or + half a period when the jittered point had
// passed) put a gap after every long system call in which no sample could fall, and the
// line right after such calls lost most of its samples (docs/benchmarks.md, `phases`).
struct ExpiryStep {
  uint64_t accounted_to;  // the CPU the sample accounts up to
  uint64_t next;          // the next expiry point, > cpu_now_ns
};
ExpiryStep step_expiries(uint64_t armed_ns, uint64_t cpu_now_ns, uint64_t interval_ns, uint64_t& rng_state);

// Normal context, any thread.
void delete_cpu_timer(ThreadSlot* slot);

}  // namespace pyro
