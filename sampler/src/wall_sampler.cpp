#include "wall_sampler.h"

#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "capture.h"
#include "cpu_timer.h"

namespace pyro {
namespace {

// tgkill with a payload: si_value carries kSampleSignalTag so the handler knows the signal
// is ours and not the program's own SIGPROF.
void send_sample_signal(pid_t pid, pid_t tid) {
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  info.si_signo = kSampleSignal;
  info.si_code = SI_QUEUE;
  info.si_pid = pid;
  info.si_uid = getuid();
  info.si_value.sival_ptr = reinterpret_cast<void*>(kSampleSignalTag);
  syscall(SYS_rt_tgsigqueueinfo, pid, tid, kSampleSignal, &info);
}

}  // namespace

bool WallSampler::start(ThreadRegistry* registry, uint64_t interval_ns,
                        bool (*spawn)(pthread_t*, void* (*)(void*), void*)) {
  registry_ = registry;
  interval_ns_ = interval_ns;
  running_.store(true, std::memory_order_release);
  if (!spawn(&thread_, &WallSampler::run, this)) {
    running_.store(false);
    return false;
  }
  return true;
}

void WallSampler::stop() {
  if (!running_.exchange(false, std::memory_order_acq_rel)) return;
  pthread_join(thread_, nullptr);
}

void* WallSampler::run(void* arg) {
  auto* self = static_cast<WallSampler*>(arg);
  while (self->running_.load(std::memory_order_acquire)) {
    uint64_t delay = jittered_interval(self->rng_, self->interval_ns_);
    timespec ts{static_cast<time_t>(delay / 1'000'000'000ULL), static_cast<long>(delay % 1'000'000'000ULL)};
    while (nanosleep(&ts, &ts) != 0) {
    }
    self->tick(monotonic_ns());
  }
  return nullptr;
}

void WallSampler::tick(uint64_t now) {
  const pid_t pid = getpid();
  // Below this much CPU per tick a thread counts as blocked; it covers the few
  // microseconds the thread spends in our own signal handler.
  const uint64_t idle_threshold = interval_ns_ / 100 < 100'000 ? interval_ns_ / 100 : 100'000;
  registry_->for_each_used([&](ThreadSlot& slot) {
    if (slot.state.load(std::memory_order_acquire) != SlotState::kActive) return;
    timespec cpu_ts;
    if (clock_gettime(thread_cpu_clock(slot.tid), &cpu_ts) != 0) return;  // thread gone
    const uint64_t cpu = uint64_t(cpu_ts.tv_sec) * 1'000'000'000ULL + uint64_t(cpu_ts.tv_nsec);
    const bool seen_before = slot.wall_sampler_last_tick_ns != 0;
    const bool blocked = seen_before && cpu - slot.wall_sampler_last_cpu_ns < idle_threshold;
    if (blocked) {
      slot.idle_ns.fetch_add(now - slot.wall_sampler_last_tick_ns, std::memory_order_acq_rel);
    } else {
      send_sample_signal(pid, slot.tid);
    }
    slot.wall_sampler_last_cpu_ns = cpu;
    slot.wall_sampler_last_tick_ns = now;
  });
}

}  // namespace pyro
