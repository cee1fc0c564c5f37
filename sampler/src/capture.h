// The SIGPROF handler: captures one sample of the interrupted thread into its ring.
// Everything here is async-signal-safe: no allocation, no locks, no stdio, errno saved.
#pragma once

#include <signal.h>

#include <atomic>
#include <cstdint>

#include "function_table.h"
#include "pyrometer/profile_format.h"
#include "pyrometer/walker_api.h"
#include "thread_registry.h"

namespace pyro {

inline constexpr int kSampleSignal = SIGPROF;
// Carried in si_value by every sample signal the agent sends (timers, wall sampler), so the
// handler can tell them from the program's own SIGPROF (setitimer, kill), which it passes
// on to the program's handler (signal_chain.h).
inline constexpr uintptr_t kSampleSignalTag = 0x7079726f6d657472;  // "pyrometr"
inline bool is_sample_signal(const siginfo_t* info) {
  return info && (info->si_code == SI_TIMER || info->si_code == SI_QUEUE) &&
         reinterpret_cast<uintptr_t>(info->si_value.sival_ptr) == kSampleSignalTag;
}

// State the handler reads. Written in normal context before sampling starts (or with
// sampling stopped), read by handlers afterwards.
struct CaptureState {
  std::atomic<bool> sampling{false};
  format::Mode mode = format::Mode::kCpu;
  uint64_t interval_ns = 10'000'000;
  std::atomic<const PyroWalker*> walker{nullptr};
  FunctionTable functions;
  bool native = true;  // capture native stacks too
  // The allocator's code (jemalloc and the allocation shim) under memory tracking: the
  // interpreter allocates objects through it, so a PC there counts like one in the
  // interpreter (Python time unless the frame is in a call), as pymalloc's would.
  static constexpr int kMaxAllocatorRanges = 2;
  PyroCodeRange allocator[kMaxAllocatorRanges] = {};
  std::atomic<uint64_t> signals_without_slot{0};  // threads we never registered
  // How long captures take: bucket i counts [2^i, 2^(i+1)) ns.
  static constexpr int kDurationBuckets = 32;
  std::atomic<uint64_t> capture_durations[kDurationBuckets] = {};
};

CaptureState& capture_state();

// The calling thread's slot (initial-exec TLS: safe to read in a signal handler).
ThreadSlot* current_slot();
void set_current_slot(ThreadSlot* slot);

bool install_sample_handler();

// Exposed for tests: capture as the handler would, with an explicit interrupted PC.
void capture_sample(ThreadSlot* slot, uintptr_t pc);

// The stack of the calling thread into `s` (Python frames, and native frames from the
// function `caller` returns into when native capture is on): an allocation sample. Same
// rules as the handler: no allocation, no locks.
void capture_stack_here(RawSample* s, uintptr_t caller);

uint64_t monotonic_ns();
uint64_t thread_cpu_ns();
// Next jittered interval: uniform in [interval/2, 3*interval/2) so that loops cannot
// alias with the sampling period.
uint64_t jittered_interval(uint64_t& rng_state, uint64_t interval_ns);

}  // namespace pyro
