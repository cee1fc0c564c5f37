// Merges a sample's native call stack with its Python frames into one mixed stack, the way
// the calls really nested: each C-level call of the interpreter's eval loop is replaced by
// the Python frames it was running. In 3.11+ one eval-loop call runs several Python frames
// (Python-to-Python calls are inlined): from the innermost one up to and including the next
// frame marked as entry. Runs on the drain thread (normal context).
#pragma once

#include <cstdint>
#include <vector>

#include "pyrometer/profile_format.h"
#include "pyrometer/walker_api.h"
#include "raw_sample.h"

namespace pyro {

struct MixedFrame {
  format::FrameKind kind;
  uint32_t function_id;  // kPython
  int32_t line;          // kPython
  uint64_t address;      // kNative (return address) / kNativePc (interrupted PC)
};

enum class MergeResult { kPythonOnly, kMerged, kMismatch };

// Writes the stack innermost first. Without native frames, or when the native stack does
// not match the Python frames (kMismatch), the result is the Python frames alone.
MergeResult merge_stacks(const RawSample& sample, const PyroCodeRange& eval_loop, std::vector<MixedFrame>* out);

}  // namespace pyro
