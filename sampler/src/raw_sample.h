// What the signal handler records for one sample. Fixed size, no pointers into the
// interpreter: everything the drain thread needs was copied or interned in the handler.
#pragma once

#include <cstdint>

namespace pyro {

inline constexpr int kMaxPythonFrames = 128;  // deeper stacks keep their innermost frames

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
};

struct RawSample {
  uint64_t wall_ns;          // CLOCK_MONOTONIC at capture
  uint64_t cpu_ns;           // thread CPU consumed since the previous sample
  uint64_t system_ns;        // of cpu_ns, the part spent in the kernel
  uint64_t wall_delta_ns;    // wall mode: wall time this sample stands for
  uint64_t idle_before_ns;   // wall mode: blocked time to charge to the previous sample's stack
  uint32_t flags;            // SampleFlags
  uint32_t python_depth;
  PythonFrameRef python[kMaxPythonFrames];  // innermost first
};

}  // namespace pyro
