#include "stack_merge.h"

#include <algorithm>

namespace pyro {
namespace {

void python_only(const RawSample& s, uint32_t from, std::vector<MixedFrame>* out) {
  const uint32_t depth = std::min<uint32_t>(s.python_depth, kMaxPythonFrames);
  for (uint32_t i = from; i < depth; ++i)
    out->push_back({format::FrameKind::kPython, s.python[i].function_id, s.python[i].line, 0});
}

}  // namespace

MergeResult merge_stacks(const RawSample& s, const PyroCodeRange& eval_loop, std::vector<MixedFrame>* out) {
  out->clear();
  const uint32_t python_depth = std::min<uint32_t>(s.python_depth, kMaxPythonFrames);
  const uint32_t native_depth = std::min<uint32_t>(s.native_depth, kMaxNativeFrames);
  if (native_depth == 0 || eval_loop.start == eval_loop.end) {
    python_only(s, 0, out);
    return MergeResult::kPythonOnly;
  }
  uint32_t next_python = 0;
  for (uint32_t k = 0; k < native_depth; ++k) {
    const uintptr_t ip = s.native[k];
    if (ip < eval_loop.start || ip >= eval_loop.end) {
      out->push_back({k == 0 && !(s.flags & kSampleReturnAddresses) ? format::FrameKind::kNativePc : format::FrameKind::kNative, 0, 0, ip});
      continue;
    }
    // An eval-loop C frame: the Python frames it runs.
    if (next_python >= python_depth) {
      // More eval calls than Python frames: either the Python stack was cut at 128 frames
      // (then the rest of the native stack is root-side noise we cannot place), or the two
      // captures disagree.
      if (s.flags & kSampleTruncated) return MergeResult::kMerged;
      next_python = python_depth + 1;  // mark the mismatch
      break;
    }
    bool entry = false;
    while (next_python < python_depth && !entry) {
      entry = is_entry_frame(s, next_python);
      out->push_back({format::FrameKind::kPython, s.python[next_python].function_id, s.python[next_python].line, 0});
      ++next_python;
    }
    if (k + 1 == native_depth && next_python < python_depth) {
      // The native stack was cut (deeper than kMaxNativeFrames): the remaining Python
      // frames are root-side and keep their order.
      python_only(s, next_python, out);
      return MergeResult::kMerged;
    }
  }
  if (next_python == python_depth) return MergeResult::kMerged;
  out->clear();
  python_only(s, 0, out);
  return MergeResult::kMismatch;
}

}  // namespace pyro
