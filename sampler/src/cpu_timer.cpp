#include "cpu_timer.h"

#include <signal.h>
#include <time.h>

#include <cerrno>
#include <cstring>

#include "capture.h"

namespace pyro {
namespace {

itimerspec make_spec(uint64_t first_ns, uint64_t interval_ns) {
  itimerspec spec;
  spec.it_value.tv_sec = static_cast<time_t>(first_ns / 1'000'000'000ULL);
  spec.it_value.tv_nsec = static_cast<long>(first_ns % 1'000'000'000ULL);
  // A periodic fallback: if a handler ever fails to re-arm, sampling continues at the mean.
  spec.it_interval.tv_sec = static_cast<time_t>(interval_ns / 1'000'000'000ULL);
  spec.it_interval.tv_nsec = static_cast<long>(interval_ns % 1'000'000'000ULL);
  return spec;
}

}  // namespace

bool create_cpu_timer(ThreadSlot* slot, uint64_t interval_ns, std::string* error) {
  const clockid_t clock = thread_cpu_clock(slot->tid);
  sigevent sev;
  std::memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = kSampleSignal;
  sev.sigev_value.sival_ptr = reinterpret_cast<void*>(kSampleSignalTag);
  // glibc 2.36 has no sigev_notify_thread_id macro; the field is _sigev_un._tid.
  sev._sigev_un._tid = slot->tid;
  timer_t timer;
  if (timer_create(clock, &sev, &timer) != 0) {
    *error = std::string("timer_create: ") + std::strerror(errno);
    return false;
  }
  slot->timer = timer;
  const uint64_t first = slot->last_cpu_ns + jittered_interval(slot->rng_state, interval_ns);
  itimerspec spec = make_spec(first, interval_ns);
  slot->armed_expiry_cpu_ns = first;
  if (timer_settime(timer, TIMER_ABSTIME, &spec, nullptr) != 0) {
    *error = std::string("timer_settime: ") + std::strerror(errno);
    timer_delete(timer);
    return false;
  }
  slot->has_timer.store(true, std::memory_order_release);
  return true;
}

ExpiryStep step_expiries(uint64_t armed_ns, uint64_t cpu_now_ns, uint64_t interval_ns, uint64_t& rng_state) {
  if (armed_ns == 0 || armed_ns > cpu_now_ns || interval_ns == 0) {
    // Not an expiry of ours (e.g. a signal sent by someone else): up to now, and a new
    // sequence from here.
    return {cpu_now_ns, cpu_now_ns + jittered_interval(rng_state, interval_ns)};
  }
  uint64_t point = armed_ns;
  // A thread deep in one system call for many periods: skip whole periods first, so the
  // walk below stays a few steps long (those expiries all fell inside that call anyway).
  constexpr uint64_t kMaxSteps = 16;
  if (cpu_now_ns - point > kMaxSteps * interval_ns)
    point += ((cpu_now_ns - point) / interval_ns - kMaxSteps / 2) * interval_ns;
  uint64_t next = point + jittered_interval(rng_state, interval_ns);
  while (next <= cpu_now_ns) {
    point = next;
    next = point + jittered_interval(rng_state, interval_ns);
  }
  return {point, next};
}

uint64_t account_and_rearm_cpu_timer(ThreadSlot* slot, uint64_t cpu_now_ns, uint64_t interval_ns) {
  const ExpiryStep step = step_expiries(slot->armed_expiry_cpu_ns, cpu_now_ns, interval_ns, slot->rng_state);
  if (!slot->has_timer.load(std::memory_order_acquire)) return step.accounted_to;
  itimerspec spec = make_spec(step.next, interval_ns);
  if (timer_settime(slot->timer, TIMER_ABSTIME, &spec, nullptr) == 0) slot->armed_expiry_cpu_ns = step.next;
  return step.accounted_to;
}

void delete_cpu_timer(ThreadSlot* slot) {
  bool had = slot->has_timer.exchange(false, std::memory_order_acq_rel);
  if (had) timer_delete(slot->timer);
}

}  // namespace pyro
