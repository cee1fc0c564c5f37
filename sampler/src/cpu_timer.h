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

// Normal context. Creates and arms the slot's timer; on failure returns false and sets *error.
bool create_cpu_timer(ThreadSlot* slot, uint64_t interval_ns, std::string* error);
// Signal-safe (timer_settime is): arms the next expiry with a fresh jittered delay.
void rearm_cpu_timer(ThreadSlot* slot, uint64_t interval_ns);
// Normal context, any thread.
void delete_cpu_timer(ThreadSlot* slot);

}  // namespace pyro
