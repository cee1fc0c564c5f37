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
// point this sample stands for and arms the next one a jittered interval after it.
//
// Expiries are armed at absolute points of the thread's CPU clock, and a sample accounts
// the CPU up to the point that fired — not up to the moment the signal arrived. A timer
// that expires inside a long system call is only delivered when the call returns; counting
// up to the delivery would give that line the CPU of the line before it, at every
// transition. Periods a periodic timer would have passed meanwhile count too; the rest
// (less than one period) carries over to the next sample.
uint64_t account_and_rearm_cpu_timer(ThreadSlot* slot, uint64_t cpu_now_ns, uint64_t interval_ns);
// Normal context, any thread.
void delete_cpu_timer(ThreadSlot* slot);

}  // namespace pyro
