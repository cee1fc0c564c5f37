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
  // glibc 2.36 has no sigev_notify_thread_id macro; the field is _sigev_un._tid.
  sev._sigev_un._tid = slot->tid;
  timer_t timer;
  if (timer_create(clock, &sev, &timer) != 0) {
    *error = std::string("timer_create: ") + std::strerror(errno);
    return false;
  }
  slot->timer = timer;
  itimerspec spec = make_spec(jittered_interval(slot->rng_state, interval_ns), interval_ns);
  if (timer_settime(timer, 0, &spec, nullptr) != 0) {
    *error = std::string("timer_settime: ") + std::strerror(errno);
    timer_delete(timer);
    return false;
  }
  slot->has_timer.store(true, std::memory_order_release);
  return true;
}

void rearm_cpu_timer(ThreadSlot* slot, uint64_t interval_ns) {
  if (!slot->has_timer.load(std::memory_order_acquire)) return;
  itimerspec spec = make_spec(jittered_interval(slot->rng_state, interval_ns), interval_ns);
  timer_settime(slot->timer, 0, &spec, nullptr);
}

void delete_cpu_timer(ThreadSlot* slot) {
  bool had = slot->has_timer.exchange(false, std::memory_order_acq_rel);
  if (had) timer_delete(slot->timer);
}

}  // namespace pyro
