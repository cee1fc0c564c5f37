// The stacks as the reports show them (NativeStacks): interpreter glue between Python frames
// dropped, interpreter work on the leaf side kept, the profiler's frames dropped, inlined
// frames expanded — and the GIL-wait rule, which feeds the lines' gil_wait.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "line_model.h"
#include "native_frames.h"
#include "profile_reader.h"
#include "testing/native_fixture.h"

namespace pyro::report {
namespace {

using testing::Counters;
using testing::native;
using testing::native_pc;
using testing::ProfileBuilder;
using testing::py;
namespace fake = testing::fake;

Profile parse(const ProfileBuilder& b) {
  const std::vector<uint8_t> bytes = b.bytes();
  return ProfileReader::parse(bytes.data(), bytes.size());
}

ProfileBuilder base(uint8_t mode = 0) {
  testing::RunSpec run;
  run.mode = mode;
  ProfileBuilder b;
  b.meta("cwd", "/app");
  fake::add_modules(b);
  b.run(run).function(1, "/app/main.py", "<module>", 1).function(2, "/app/main.py", "work", 18);
  return b;
}

// What a stack shows, root first: "name:line" for Python, the function for native frames.
std::vector<std::string> shown(const Profile& profile, const LineModel& model, size_t stack) {
  std::vector<std::string> out;
  for (const DisplayFrame& f : model.native().frames(stack)) {
    if (f.kind == DisplayFrame::Kind::kPython) {
      out.push_back(profile.functions.at(f.function_id).name + ":" + std::to_string(f.line));
    } else if (f.kind == DisplayFrame::Kind::kNative) {
      out.push_back(model.native().native_frame(f.native).location.function);
    } else {
      out.push_back("<truncated>");
    }
  }
  return out;
}

using Names = std::vector<std::string>;

TEST(report_NativeStacks, GlueBetweenPythonFramesIsDroppedLeafSideKept) {
  ProfileBuilder b = base();
  b.stack(1, 1,
          {native(fake::kLibcStartMain), native(fake::kPyRunMain), py(1, 10), native(fake::kEvalVector),
           native(fake::kVectorcall), py(2, 20), native(fake::kBuiltinSorted), native(fake::kListSort),
           native_pc(fake::kLongCompare)},
          Counters{1, 0, 1000, 0, 0, 0, 0});
  const Profile p = parse(b);
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  EXPECT_EQ(shown(p, model, 0), (Names{"__libc_start_main", "Py_RunMain", "<module>:10", "work:20",
                                       "builtin_sorted", "list_sort_impl", "unsafe_long_compare"}));
  EXPECT_FALSE(model.native().gil_wait(0));
}

TEST(report_NativeStacks, ExtensionFramesStayProfilerFramesGoInlinedExpand) {
  ProfileBuilder b = base();
  b.stack(1, 1,
          {py(1, 10), native(fake::kVectorcall), native(fake::kExtDot), native(fake::kVectorcall), py(2, 30),
           native(fake::kPreloadMalloc), native_pc(fake::kLibcMalloc)},
          Counters{1, 0, 1000, 0, 0, 0, 0});
  // An address no module holds stays, named by its address.
  b.stack(1, 1, {py(1, 10), native(fake::kUnknown), py(2, 20)}, Counters{1, 1000, 0, 0, 0, 0, 0});
  // A thread started by the interpreter keeps its root-side frames.
  b.stack(1, 2, {native(fake::kStartThread), native(fake::kThreadRun), native(fake::kVectorcall), py(2, 21)},
          Counters{1, 1000, 0, 0, 0, 0, 0});
  const Profile p = parse(b);
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  // dot() with blas_kernel() inlined: outer first, as every stack reads root first.
  EXPECT_EQ(shown(p, model, 0), (Names{"<module>:10", "dot", "blas_kernel", "work:30", "malloc"}));
  const NativeStacks& n = model.native();
  const std::vector<DisplayFrame>& frames = n.frames(0);
  EXPECT_EQ(n.native_frame(frames[1].native).module, fake::kExtension);
  EXPECT_FALSE(n.native_frame(frames[1].native).location.inlined);
  EXPECT_TRUE(n.native_frame(frames[2].native).location.inlined);
  EXPECT_EQ(n.native_frame(frames[4].native).module, fake::kLibc);
  EXPECT_EQ(shown(p, model, 1), (Names{"<module>:10", "0x9999", "work:20"}));
  EXPECT_EQ(n.native_frame(model.native().frames(1)[1].native).module, SymbolizedAddress::kNoModule);
  EXPECT_EQ(shown(p, model, 2), (Names{"start_thread", "thread_run", "PyObject_Vectorcall", "work:21"}));
  EXPECT_TRUE(n.is_interpreter(fake::kInterpreter));
  EXPECT_EQ(n.module_basename(fake::kLibc), "libc.so.6");
  EXPECT_EQ(n.module_path(SymbolizedAddress::kNoModule), "");
}

TEST(report_NativeStacks, WithoutInterpreterPathNothingIsGlue) {
  ProfileBuilder b;
  b.module(testing::ModuleSpec{fake::kInterpreterPath, 0, "", {{0x2000, 0x3000}}});
  b.run().function(1, "/app/main.py", "<module>", 1).function(2, "/app/main.py", "work", 18);
  b.stack(1, 1, {py(1, 10), native(fake::kVectorcall), py(2, 20)}, Counters{1, 1000, 0, 0, 0, 0, 0});
  const Profile p = parse(b);
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  EXPECT_EQ(shown(p, model, 0), (Names{"<module>:10", "PyObject_Vectorcall", "work:20"}));
}

TEST(report_NativeStacks, PythonOnlyStacksAreUnchanged) {
  ProfileBuilder b = base();
  b.stack(1, 1, {testing::truncated(), py(1, 10), py(2, 20)}, Counters{1, 1000, 0, 0, 0, 0, 0});
  const Profile p = parse(b);
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  EXPECT_EQ(shown(p, model, 0), (Names{"<truncated>", "<module>:10", "work:20"}));
  EXPECT_EQ(symbols.lookups(), 0u);
}

TEST(report_NativeStacks, EachDistinctAddressIsSymbolizedOnce) {
  ProfileBuilder b = base();
  for (int i = 0; i < 5; ++i) {
    b.stack(1, 1, {py(1, 10 + i), native(fake::kBuiltinSorted), native_pc(fake::kListSort)}, Counters{});
  }
  b.stack(1, 1, {py(1, 10), native(fake::kListSort)}, Counters{});  // same address, other kind
  const Profile p = parse(b);
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  EXPECT_EQ(symbols.lookups(), 3u);
}

// GIL wait: (stack, counters) pairs and whether each one waits.
struct GilCase {
  std::vector<testing::FrameSpec> native_frames;  // below py(2, line)
  bool waits;
};

void check_gil_rule(uint8_t mode) {
  const std::vector<GilCase> cases = {
      {{native(fake::kRestoreThread), native(fake::kTakeGil), native(fake::kCondWait), native_pc(fake::kFutexWait)}, true},
      {{native(fake::kRestoreThread), native(fake::kCondWait), native_pc(fake::kFutexWait)}, true},
      {{native(fake::kRestoreThread), native(fake::kUnnamedInterp), native_pc(fake::kFutexWait)}, true},
      {{native(fake::kGilStateEnsure), native_pc(fake::kCondWait)}, true},
      {{native(fake::kTakeGil)}, true},  // spinning in take_gil itself
      {{native(fake::kGilStateEnsure), native(fake::kThreadStateNew), native_pc(fake::kLibcMalloc)}, false},
      {{native_pc(fake::kRestoreThread)}, false},  // running, not waiting
      {{native(fake::kListSort), native_pc(fake::kMemcpy)}, false},
  };
  ProfileBuilder b = base(mode);
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<testing::FrameSpec> frames = {py(1, 5), py(2, static_cast<int32_t>(100 + i))};
    frames.insert(frames.end(), cases[i].native_frames.begin(), cases[i].native_frames.end());
    // 3 ms of CPU, 50 ms of wall time, and 1 ms the sampler itself counted as GIL wait.
    b.stack(1, 1, frames, Counters{1, 1'000'000, 1'000'000, 1'000'000, 50'000'000, 0, 1'000'000});
  }
  const Profile p = parse(b);
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  ASSERT_EQ(model.files().size(), 1u);
  const uint64_t weight = mode == 1 ? 50'000'000 : 3'000'000;
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    EXPECT_EQ(model.native().gil_wait(i), cases[i].waits);
    const LineCounters& line = model.files()[0].lines.at(static_cast<int32_t>(100 + i));
    EXPECT_EQ(line.gil_wait_ns, 1'000'000 + (cases[i].waits ? weight : 0));
  }
}

TEST(report_NativeStacks, GilWaitRuleInCpuMode) { check_gil_rule(0); }
TEST(report_NativeStacks, GilWaitRuleInWallMode) { check_gil_rule(1); }

}  // namespace
}  // namespace pyro::report
