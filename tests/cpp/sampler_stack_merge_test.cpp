#include <gtest/gtest.h>

#include <cstring>

#include "stack_merge.h"

namespace pyro {
namespace {

constexpr PyroCodeRange kEval{0x1000, 0x2000};

struct Builder {
  RawSample s;
  Builder() { std::memset(&s, 0, sizeof s); }
  Builder& py(uint32_t id, bool entry) {
    if (entry) s.python_entry_mask[s.python_depth / 64] |= uint64_t(1) << (s.python_depth % 64);
    s.python[s.python_depth++] = {id, static_cast<int32_t>(id * 10)};
    return *this;
  }
  Builder& native(uintptr_t ip) {
    s.native[s.native_depth++] = ip;
    return *this;
  }
};

std::string describe(const std::vector<MixedFrame>& frames) {
  std::string out;
  for (const MixedFrame& f : frames) {
    if (!out.empty()) out += " ";
    if (f.kind == format::FrameKind::kPython) {
      out += "py" + std::to_string(f.function_id);
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%lx", f.kind == format::FrameKind::kNativePc ? "pc" : "n",
                    static_cast<unsigned long>(f.address));
      out += buf;
    }
  }
  return out;
}

TEST(StackMerge, EvalFramesAreReplacedByThePythonFramesTheyRun) {
  // Python: cmp (entry, called back from qsort) ← main ← <module> (entry)
  // Native: leaf in C, eval(cmp), qsort, ffi glue, eval(main+module), python main
  Builder b;
  b.py(3, true).py(2, false).py(1, true);
  b.native(0x9000).native(0x1100).native(0x7000).native(0x7100).native(0x1200).native(0x5000);
  std::vector<MixedFrame> out;
  EXPECT_EQ(merge_stacks(b.s, kEval, &out), MergeResult::kMerged);
  EXPECT_EQ(describe(out), "pc9000 py3 n7000 n7100 py2 py1 n5000");
}

TEST(StackMerge, LeafInTheEvalLoopIsPython) {
  Builder b;
  b.py(1, true).native(0x1300).native(0x5000);
  std::vector<MixedFrame> out;
  EXPECT_EQ(merge_stacks(b.s, kEval, &out), MergeResult::kMerged);
  EXPECT_EQ(describe(out), "py1 n5000");
}

TEST(StackMerge, MismatchFallsBackToPythonOnly) {
  Builder b;
  b.py(2, true).py(1, true).native(0x9000).native(0x1100).native(0x5000);  // one eval, two entries
  std::vector<MixedFrame> out;
  EXPECT_EQ(merge_stacks(b.s, kEval, &out), MergeResult::kMismatch);
  EXPECT_EQ(describe(out), "py2 py1");
  Builder extra;
  extra.py(1, true).native(0x1100).native(0x1200);  // two evals, one entry
  EXPECT_EQ(merge_stacks(extra.s, kEval, &out), MergeResult::kMismatch);
  EXPECT_EQ(describe(out), "py1");
}

TEST(StackMerge, NoNativeFramesOrNoPythonFrames) {
  Builder py_only;
  py_only.py(1, true);
  std::vector<MixedFrame> out;
  EXPECT_EQ(merge_stacks(py_only.s, kEval, &out), MergeResult::kPythonOnly);
  EXPECT_EQ(describe(out), "py1");
  Builder native_thread;  // a thread created in C: native frames only
  native_thread.native(0x9000).native(0x9100);
  EXPECT_EQ(merge_stacks(native_thread.s, kEval, &out), MergeResult::kMerged);
  EXPECT_EQ(describe(out), "pc9000 n9100");
}

TEST(StackMerge, CutNativeStackKeepsRootPythonFrames) {
  Builder b;
  b.py(3, true).py(2, true).py(1, true);
  b.native(0x9000).native(0x1100);  // unwinding stopped after the first eval frame
  for (int i = b.s.native_depth; i < kMaxNativeFrames; ++i) b.native(0x1100);  // pretend full buffer
  b.s.native_depth = 2;
  std::vector<MixedFrame> out;
  EXPECT_EQ(merge_stacks(b.s, kEval, &out), MergeResult::kMerged);
  EXPECT_EQ(describe(out), "pc9000 py3 py2 py1");
}

}  // namespace
}  // namespace pyro
