// Every thread of the profiled process that can be sampled has a ThreadSlot: its timer,
// its sample ring and the bookkeeping its signal handler needs. Slots live in a fixed
// array (no allocation on registration except the ring's one-time mmap) so the handler can
// reach its slot through a thread-local pointer without locks.
#pragma once

#include <pthread.h>
#include <sys/types.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "sample_ring.h"

namespace pyro {

inline constexpr uint32_t kRingCapacity = 32;  // ~0.3 s of samples at 100 Hz
using ThreadRing = SampleRing<kRingCapacity>;
// Sampled allocations come in bursts (a loop of large allocations samples every one): the
// thread wakes the drain thread when its ring is half full.
inline constexpr uint32_t kAllocRingCapacity = 256;
using AllocRing = SampleRing<kAllocRingCapacity>;

enum class SlotState : uint32_t { kFree = 0, kClaimed, kActive, kExited };

struct ThreadSlot {
  std::atomic<SlotState> state{SlotState::kFree};
  uint32_t generation = 0;  // bumped on every claim, so the drain notices slot reuse
  pid_t tid = 0;
  ThreadRing* ring = nullptr;  // mmap'ed on first use of the slot, reused afterwards
  AllocRing* alloc_ring = nullptr;  // memory tracking only: mmap'ed like `ring`

  // Memory tracking: the allocator's per-thread byte counters (jemalloc's thread.allocatedp
  // and thread.deallocatedp), valid while the thread runs; at exit, their final difference.
  const uint64_t* allocated_counter = nullptr;
  const uint64_t* deallocated_counter = nullptr;
  int64_t exit_net_bytes = 0;
  std::atomic<uint32_t> in_memory_hook{0};  // finish() waits for in-flight allocation samples

  // Timer (CPU mode). Created by start() or by the thread itself when it registers later.
  timer_t timer{};
  std::atomic<bool> timer_claimed{false};  // whoever flips it creates the timer (start() or the thread)
  std::atomic<bool> has_timer{false};

  // Owned by the thread's own signal handler.
  uint64_t last_cpu_ns = 0;        // CPU accounted so far (CPU mode: the last expiry point)
  uint64_t armed_expiry_cpu_ns = 0;  // CPU mode: the thread-CPU time the timer is armed for
  uint64_t last_user_ns = 0;
  uint64_t last_system_ns = 0;
  uint64_t last_wall_ns = 0;
  bool have_rusage_baseline = false;
  uint64_t rng_state = 0;

  // Wall mode: blocked time the wall sampler accounted without interrupting the thread.
  std::atomic<uint64_t> idle_ns{0};
  uint64_t wall_sampler_last_cpu_ns = 0;   // owned by the wall sampler thread
  uint64_t wall_sampler_last_tick_ns = 0;  // owned by the wall sampler thread

  uint64_t tail_cpu_ns = 0;  // CPU after the last sample, set once the handler is detached

  std::atomic<uint32_t> in_handler{0};  // finish() waits for in-flight handlers
  std::atomic<uint64_t> dropped{0};     // ring full
  // Memory: estimated bytes of allocation samples this thread dropped (ring full, live table
  // full), carried into its next recorded one so that totals stay unbiased. Owner thread only.
  uint64_t dropped_alloc_bytes = 0;

  // Owned by the drain thread: which aggregated thread record this slot feeds.
  uint32_t drain_generation = 0;
  uint32_t drain_thread_index = 0;

  // Thread name: written in normal context only, under the registry's name lock.
  char name[64] = {0};
  bool has_python_name = false;
};

class ThreadRegistry {
 public:
  static constexpr uint32_t kMaxThreads = 4096;

  // Claims a slot for the calling thread (normal context). nullptr when all are taken.
  ThreadSlot* register_current(bool with_alloc_ring = false);
  // The calling thread is about to exit: its handler must no longer touch the slot.
  void mark_exited(ThreadSlot* slot);
  // Drain thread: the exited slot's samples are consumed; the slot may be reused.
  void release(ThreadSlot* slot);

  void set_name(ThreadSlot* slot, const char* name, bool from_python);
  bool set_name_by_tid(pid_t tid, const char* name);
  std::string name_of(ThreadSlot* slot);

  template <typename Fn>
  void for_each_used(Fn&& fn) {
    uint32_t n = high_water_.load(std::memory_order_acquire);
    for (uint32_t i = 0; i < n; ++i) {
      SlotState s = slots_[i].state.load(std::memory_order_acquire);
      if (s == SlotState::kActive || s == SlotState::kExited) fn(slots_[i]);
    }
  }

  // After fork (lock-free, for the atfork child handler): only the calling thread
  // survives; drop every other slot and reset the survivor's per-process state.
  void reset_after_fork(ThreadSlot* survivor);

  uint64_t unregistered_threads() const { return unregistered_.load(std::memory_order_relaxed); }

 private:
  ThreadSlot slots_[kMaxThreads];
  std::atomic<uint32_t> high_water_{0};
  std::atomic<uint64_t> unregistered_{0};
  std::mutex name_lock_;
};

}  // namespace pyro
