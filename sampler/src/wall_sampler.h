// Wall mode: a sampler thread interrupts every registered thread once per (jittered)
// interval so that off-CPU time shows. A thread whose CPU clock did not move since the
// last tick is blocked: its stack cannot have changed, so the tick is accounted as idle
// time of its last stack without a signal. Each blocking call is interrupted at most
// once (its first tick), which bounds the EINTR exposure (SA_RESTART covers the rest).
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>

#include "thread_registry.h"

namespace pyro {

class WallSampler {
 public:
  // spawn: creates the thread (the agent's internal-thread spawner).
  bool start(ThreadRegistry* registry, uint64_t interval_ns, bool (*spawn)(pthread_t*, void* (*)(void*), void*));
  void stop();
  // In a fork child (lock-free): the sampler thread was not copied, so there is nothing to
  // stop or join.
  void forget_after_fork() { running_.store(false, std::memory_order_relaxed); }

 private:
  static void* run(void* self);
  void tick(uint64_t now);

  ThreadRegistry* registry_ = nullptr;
  uint64_t interval_ns_ = 0;
  uint64_t rng_ = 0x5DEECE66DULL;
  std::atomic<bool> running_{false};
  pthread_t thread_{};
};

}  // namespace pyro
