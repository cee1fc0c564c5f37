#include "thread_registry.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <new>

namespace pyro {

namespace {
template <typename Ring>
Ring* map_ring() {
  void* mem = mmap(nullptr, sizeof(Ring), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return mem == MAP_FAILED ? nullptr : new (mem) Ring();
}
}  // namespace

ThreadSlot* ThreadRegistry::register_current(bool with_alloc_ring) {
  for (uint32_t i = 0; i < kMaxThreads; ++i) {
    ThreadSlot& s = slots_[i];
    SlotState expected = SlotState::kFree;
    if (!s.state.compare_exchange_strong(expected, SlotState::kClaimed, std::memory_order_acq_rel)) continue;
    if (!s.ring) s.ring = map_ring<ThreadRing>();
    if (with_alloc_ring && !s.alloc_ring) s.alloc_ring = map_ring<AllocRing>();
    if (!s.ring || (with_alloc_ring && !s.alloc_ring)) {
      s.state.store(SlotState::kFree, std::memory_order_release);
      break;
    }
    s.ring->reset();
    if (s.alloc_ring) s.alloc_ring->reset();
    s.allocated_counter = s.deallocated_counter = nullptr;
    s.exit_net_bytes = 0;
    s.in_memory_hook.store(0, std::memory_order_relaxed);
    ++s.generation;
    s.tid = static_cast<pid_t>(syscall(SYS_gettid));
    s.has_timer.store(false, std::memory_order_relaxed);
    s.timer_claimed.store(false, std::memory_order_relaxed);
    s.last_cpu_ns = s.last_user_ns = s.last_system_ns = s.last_wall_ns = 0;
    s.armed_expiry_cpu_ns = 0;
    s.have_rusage_baseline = false;
    s.rng_state = 0x9E3779B97F4A7C15ULL ^ (uint64_t(s.tid) << 17) ^ uint64_t(i);
    s.idle_ns.store(0, std::memory_order_relaxed);
    s.tail_cpu_ns = 0;
    s.dropped_alloc_bytes = 0;
    s.wall_sampler_last_cpu_ns = s.wall_sampler_last_tick_ns = 0;
    s.in_handler.store(0, std::memory_order_relaxed);
    s.dropped.store(0, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(name_lock_);
      s.has_python_name = false;
      prctl(PR_GET_NAME, s.name, 0, 0, 0);  // the OS name until Python names it
    }
    uint32_t hw = high_water_.load(std::memory_order_relaxed);
    while (hw < i + 1 && !high_water_.compare_exchange_weak(hw, i + 1, std::memory_order_acq_rel)) {
    }
    s.state.store(SlotState::kActive, std::memory_order_release);
    return &s;
  }
  unregistered_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

void ThreadRegistry::mark_exited(ThreadSlot* slot) {
  {
    std::lock_guard<std::mutex> lock(name_lock_);
    if (!slot->has_python_name) prctl(PR_GET_NAME, slot->name, 0, 0, 0);  // may have been renamed
  }
  slot->state.store(SlotState::kExited, std::memory_order_release);
}

void ThreadRegistry::release(ThreadSlot* slot) { slot->state.store(SlotState::kFree, std::memory_order_release); }

void ThreadRegistry::set_name(ThreadSlot* slot, const char* name, bool from_python) {
  std::lock_guard<std::mutex> lock(name_lock_);
  std::strncpy(slot->name, name, sizeof(slot->name) - 1);
  slot->name[sizeof(slot->name) - 1] = '\0';
  slot->has_python_name = slot->has_python_name || from_python;
}

bool ThreadRegistry::set_name_by_tid(pid_t tid, const char* name) {
  bool found = false;
  for_each_used([&](ThreadSlot& s) {
    if (!found && s.tid == tid && s.state.load(std::memory_order_acquire) == SlotState::kActive) {
      set_name(&s, name, true);
      found = true;
    }
  });
  return found;
}

std::string ThreadRegistry::name_of(ThreadSlot* slot) {
  std::lock_guard<std::mutex> lock(name_lock_);
  return std::string(slot->name);
}

void ThreadRegistry::reset_after_fork(ThreadSlot* survivor) {
  for (uint32_t i = 0; i < kMaxThreads; ++i) {
    if (&slots_[i] != survivor) slots_[i].state.store(SlotState::kFree, std::memory_order_relaxed);
  }
  // The name lock may have been held by a thread that no longer exists in the child.
  new (&name_lock_) std::mutex();
  if (!survivor) return;
  // The survivor is a new thread of a new process: new tid, fresh CPU clock and rusage
  // (both start at zero), no timer (POSIX timers are not inherited), and none of the
  // parent's undrained samples. A new generation makes the drain give it a new record.
  ThreadSlot& s = *survivor;
  ++s.generation;
  s.tid = static_cast<pid_t>(syscall(SYS_gettid));
  s.ring->reset();
  if (s.alloc_ring) s.alloc_ring->reset();
  s.in_memory_hook.store(0, std::memory_order_relaxed);
  s.has_timer.store(false, std::memory_order_relaxed);
  s.timer_claimed.store(false, std::memory_order_relaxed);
  s.last_cpu_ns = s.last_user_ns = s.last_system_ns = s.last_wall_ns = 0;
  s.armed_expiry_cpu_ns = 0;
  s.have_rusage_baseline = false;
  s.idle_ns.store(0, std::memory_order_relaxed);
  s.tail_cpu_ns = 0;
  s.dropped_alloc_bytes = 0;
  s.wall_sampler_last_cpu_ns = s.wall_sampler_last_tick_ns = 0;
  s.in_handler.store(0, std::memory_order_relaxed);
  s.dropped.store(0, std::memory_order_relaxed);
}

}  // namespace pyro
