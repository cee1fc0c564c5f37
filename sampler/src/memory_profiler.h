// Memory tracking as the agent drives it: configuration at process start, the allocator's
// per-thread counters for the exact heap total, draining sampled allocations and frees into
// the aggregators, and the heap timeline. The hook side lives in memory_tracker.h, the
// drain-side tables in memory_aggregator.h; this class ties them to the agent's lifecycle.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "aggregator.h"
#include "memory_aggregator.h"
#include "memory_tracker.h"
#include "thread_registry.h"

namespace pyro {

class MemoryProfiler {
 public:
  // Process start: false (memory tracking stays off) when the allocation shim is not
  // loaded into this process or its tables cannot be reserved.
  bool configure(uint64_t mean_bytes, std::string* error);
  bool enabled() const { return enabled_; }
  uint64_t mean() const { return mean_; }

  // On the thread itself: where its allocator counters are, and their final value.
  void attach_thread(ThreadSlot* slot);
  void detach_thread(ThreadSlot* slot);

  void start(uint64_t start_ns, int wake_fd);
  // In a fork child (atfork handler: no allocation, no locks): the drain-owned tables may be
  // torn, so they are abandoned; start() makes new ones. The exited threads' heap stays
  // counted: the child inherited that memory.
  void on_fork_child() {
    (void)tables_.release();
    MemoryTracker::instance().set_recording(false);
  }
  void stop();  // no new samples; in-flight ones are waited for by the caller (in_memory_hook)

  // Drain thread: one slot's sampled allocations; then, once per cycle, the frees, the
  // heap total and the bookkeeping of the cycle.
  void drain_slot(ThreadSlot& slot, uint32_t thread_index, Aggregator& agg);
  void retire_slot(ThreadSlot& slot);
  void end_cycle(uint64_t now_ns, Aggregator& agg, ThreadRegistry& registry);

  const MemoryAggregator* tables() const { return tables_.get(); }
  MemoryAggregator* tables() { return tables_.get(); }
  uint64_t dropped_allocations() const;
  uint64_t untracked_frees() const;

 private:
  int64_t heap_bytes(ThreadRegistry& registry);

  bool enabled_ = false;
  uint64_t mean_ = 0;
  int (*mallctl_)(const char*, void*, size_t*, void*, size_t) = nullptr;
  std::unique_ptr<MemoryAggregator> tables_;
  int64_t retired_net_bytes_ = 0;  // exited threads' allocated - freed
  int statm_fd_ = -1;
};

}  // namespace pyro
