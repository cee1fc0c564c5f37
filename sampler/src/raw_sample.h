// What the signal handler records for one sample. Fixed size, no pointers into the
// interpreter: everything the drain thread needs was copied or interned in the handler.
#pragma once

#include <cstdint>

namespace pyro {

inline constexpr int kMaxPythonFrames = 128;  // deeper stacks keep their innermost frames
inline constexpr int kMaxNativeFrames = 96;   // deeper native stacks keep their innermost frames

struct PythonFrameRef {
  uint32_t function_id;  // FunctionTable id (or FunctionTable::kLost)
  int32_t line;
};

enum SampleFlags : uint32_t {
  kSampleNativePc = 1u << 0,    // the interrupted PC was in compiled code, not the interpreter
  kSampleGilHeld = 1u << 1,
  kSampleGilWait = 1u << 2,
  kSampleTruncated = 1u << 3,   // frames beyond kMaxPythonFrames were dropped (at the root)
  kSampleWalkFaulted = 1u << 4, // the walk hit a fault; the Python frames are missing
  kSampleNativeSkipped = 1u << 5,  // no native unwind: the thread was inside the dynamic loader
  kSampleAllocation = 1u << 6,     // a sampled allocation, not a CPU/wall sample (alloc_* below)
  kSampleReturnAddresses = 1u << 7,  // native[0] is a return address too (not an interrupted PC)
};

struct RawSample {
  uint64_t wall_ns;          // CLOCK_MONOTONIC at capture
  uint64_t cpu_ns;           // thread CPU consumed since the previous sample
  uint64_t system_ns;        // of cpu_ns, the part spent in the kernel
  uint64_t wall_delta_ns;    // wall mode: wall time this sample stands for
  uint64_t idle_before_ns;   // wall mode: blocked time to charge to the previous sample's stack
  uint32_t flags;            // SampleFlags
  uint32_t python_depth;
  uint32_t native_depth;
  // Allocation samples only (kSampleAllocation).
  uint64_t alloc_id;     // the allocation's sequence number: frees name it
  uint64_t alloc_size;   // bytes requested
  uint64_t alloc_mean;   // the sampling mean the countdown was drawn with
  uint64_t alloc_carried;  // estimated bytes of this thread's samples dropped since its last one
  uint64_t python_entry_mask[kMaxPythonFrames / 64];  // bit i: python[i] began its eval-loop call
  PythonFrameRef python[kMaxPythonFrames];  // innermost first
  uintptr_t native[kMaxNativeFrames];       // innermost (the interrupted PC) first
};

inline bool is_entry_frame(const RawSample& s, uint32_t i) { return (s.python_entry_mask[i / 64] >> (i % 64)) & 1; }

}  // namespace pyro
