// The flame-graph exports: folded stacks (--collapsed) and speedscope (--speedscope).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "collapsed_writer.h"
#include "line_model.h"
#include "profile_reader.h"
#include "speedscope_writer.h"
#include "stack_export.h"
#include "testing/mini_json.h"
#include "testing/native_fixture.h"

namespace pyro::report {
namespace {

using testing::Counters;
using testing::Json;
using testing::native;
using testing::native_pc;
using testing::ProfileBuilder;
using testing::py;
namespace fake = testing::fake;

Counters cpu_ns(uint64_t python_ns, uint64_t native_ns = 0) {
  Counters c;
  c.cpu_python_ns = python_ns;
  c.cpu_native_ns = native_ns;
  return c;
}

Profile export_profile(uint8_t mode = 0) {
  testing::RunSpec run;
  run.mode = mode;
  ProfileBuilder b;
  b.meta("cwd", "/app").meta("argv", "/app/main.py\x1f--fast");
  fake::add_modules(b);
  b.run(run);
  b.function(1, "/app/main.py", "<module>", 1).function(2, "/app/lib/util.py", "work", 18);
  b.function(3, "/usr/lib/python3.11/json/__init__.py", "dumps", 183);
  b.thread(1, 1, "MainThread", 0, 0, 0).thread(1, 2, "worker", 0, 0, 0);
  const std::vector<testing::FrameSpec> sort_root = {native(fake::kLibcStartMain), native(fake::kPyRunMain), py(1, 10)};
  // Two records that show the same once the glue is gone: merged.
  auto s1 = sort_root;
  s1.insert(s1.end(), {native(fake::kEvalVector), native(fake::kVectorcall), py(2, 20), native(fake::kBuiltinSorted),
                       native_pc(fake::kListSort)});
  b.stack(1, 1, s1, cpu_ns(500'000, 1'000'000));
  auto s2 = sort_root;
  s2.insert(s2.end(), {native(fake::kVectorcall), py(2, 20), native(fake::kBuiltinSorted), native_pc(fake::kListSort)});
  b.stack(1, 1, s2, cpu_ns(0, 500'400));
  b.stack(1, 1, {native(fake::kLibcStartMain), native(fake::kPyRunMain), py(1, 11), native(fake::kExtDot), native_pc(fake::kMemcpy)},
          cpu_ns(0, 250'600));
  b.stack(1, 1, {py(3, 0)}, cpu_ns(1'000'000));       // line unknown
  b.stack(1, 1, {py(1, 12)}, cpu_ns(400));            // rounds to 0 µs
  b.stack(1, 1, {py(1, 14)}, Counters{1, 0, 0, 0, 0, 0, 0});  // weighs nothing
  b.stack(1, 2, {native(fake::kStartThread), native(fake::kThreadRun), native(fake::kVectorcall), py(2, 21), native_pc(fake::kUnknown)},
          cpu_ns(0, 3'000'000));
  b.stack(1, 3, {py(1, 13)}, cpu_ns(2'000'000));      // a thread without a Thread record
  const std::vector<uint8_t> bytes = b.bytes();
  return ProfileReader::parse(bytes.data(), bytes.size());
}

TEST(report_NativeExport, CollapsedText) {
  const Profile p = export_profile();
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  const std::string expected =
      "MainThread (1);__libc_start_main [libc.so.6];Py_RunMain [libpython3.11.so.1.0];<module> (main.py:10);"
      "work (lib/util.py:20);builtin_sorted [libpython3.11.so.1.0];list_sort_impl [libpython3.11.so.1.0] 2000\n"
      "MainThread (1);__libc_start_main [libc.so.6];Py_RunMain [libpython3.11.so.1.0];<module> (main.py:11);"
      "dot [_core.so];blas_kernel [_core.so];memcpy [libc.so.6] 251\n"
      "MainThread (1);dumps (/usr/lib/python3.11/json/__init__.py) 1000\n"
      "worker (2);start_thread [libc.so.6];thread_run [libpython3.11.so.1.0];"
      "PyObject_Vectorcall [libpython3.11.so.1.0];work (lib/util.py:21);0x9999 3000\n"
      "thread 3 (3);<module> (main.py:13) 2000\n";
  EXPECT_EQ(render_collapsed(StackExport(p, model)), expected);
}

TEST(report_NativeExport, CollapsedLabelsCannotSplitFrames) {
  ProfileBuilder b;
  b.meta("cwd", "/app").run().function(1, "/app/we;ird\nname.py", "f", 1);
  b.stack(1, 1, {py(1, 2)}, cpu_ns(5'000));
  const std::vector<uint8_t> bytes = b.bytes();
  const Profile p = ProfileReader::parse(bytes.data(), bytes.size());
  testing::FakeSymbols symbols;
  const LineModel model(p, &symbols);
  EXPECT_EQ(render_collapsed(StackExport(p, model)), "thread 1 (1);f (we,ird name.py:2) 5\n");
}

TEST(report_NativeExport, WallModeWeighsWallTime) {
  ProfileBuilder b;
  testing::RunSpec run;
  run.mode = 1;
  b.meta("cwd", "/app").run(run).function(1, "/app/main.py", "<module>", 1);
  b.stack(1, 1, {py(1, 2)}, Counters{1, 1'000, 0, 0, 7'000'000, 0, 0});
  const std::vector<uint8_t> bytes = b.bytes();
  const Profile p = ProfileReader::parse(bytes.data(), bytes.size());
  testing::FakeSymbols symbols;
  const LineModel model(p, &symbols);
  EXPECT_EQ(render_collapsed(StackExport(p, model)), "thread 1 (1);<module> (main.py:2) 7000\n");
}

TEST(report_NativeExport, Speedscope) {
  const Profile p = export_profile();
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  const StackExport stacks(p, model);
  const Json doc = Json::parse(render_speedscope(p, stacks));
  EXPECT_EQ(doc["$schema"].text, "https://www.speedscope.app/file-format-schema.json");
  EXPECT_EQ(doc["name"].text, "main.py");
  EXPECT_EQ(doc["exporter"].text.rfind("pyrometer ", 0), 0u);
  const Json& frames = doc["shared"]["frames"];
  ASSERT_EQ(frames.type, Json::kArray);
  ASSERT_EQ(frames.items.size(), stacks.frames().size());
  std::set<std::string> names;
  for (const Json& f : frames.items) {
    EXPECT_EQ(f["name"].type, Json::kString);
    names.insert(f["name"].text);
    if (f["name"].text == "<module> (main.py:10)") {
      EXPECT_EQ(f["file"].text, "/app/main.py");
      EXPECT_EQ(f["line"].number, 10);
    }
    if (f["name"].text == "list_sort_impl [libpython3.11.so.1.0]") {
      EXPECT_EQ(f["file"].text, "/src/Objects/listobject.c");
      EXPECT_EQ(f["line"].number, 2229);
    }
    if (f["name"].text == "Py_RunMain [libpython3.11.so.1.0]") {
      EXPECT_EQ(f["file"].text, fake::kInterpreterPath);  // no source: the module
      EXPECT_FALSE(f.has("line"));
    }
    if (f["name"].text == "0x9999") {
      EXPECT_FALSE(f.has("file"));
    }
  }
  EXPECT_EQ(names.size(), frames.items.size()) << "each frame once";
  EXPECT_EQ(names.count("PyObject_Vectorcall [libpython3.11.so.1.0]"), 1u);  // the worker's root side
  EXPECT_EQ(names.count("_PyEval_Vector [libpython3.11.so.1.0]"), 0u);       // glue

  const Json& profiles = doc["profiles"];
  ASSERT_EQ(profiles.items.size(), 3u);
  const std::vector<std::string> thread_names = {"MainThread", "worker", "thread 3"};
  const std::vector<size_t> sample_counts = {4, 1, 1};  // the 0.4 µs stack stays here
  const std::vector<double> totals = {0.0032514, 0.003, 0.002};
  for (size_t t = 0; t < 3; ++t) {
    const Json& profile = profiles[t];
    SCOPED_TRACE(thread_names[t]);
    EXPECT_EQ(profile["type"].text, "sampled");
    EXPECT_EQ(profile["name"].text, thread_names[t]);
    EXPECT_EQ(profile["unit"].text, "seconds");
    EXPECT_EQ(profile["startValue"].number, 0);
    EXPECT_NEAR(profile["endValue"].number, totals[t], 1e-12);
    const Json& samples = profile["samples"];
    const Json& weights = profile["weights"];
    ASSERT_EQ(samples.items.size(), sample_counts[t]);
    ASSERT_EQ(weights.items.size(), sample_counts[t]);
    double sum = 0;
    for (size_t i = 0; i < samples.items.size(); ++i) {
      EXPECT_FALSE(samples[i].items.empty());
      for (const Json& index : samples[i].items) {
        ASSERT_EQ(index.type, Json::kInt);
        EXPECT_GE(index.number, 0);
        EXPECT_LT(index.number, static_cast<double>(frames.items.size()));
      }
      EXPECT_GT(weights[i].number, 0);
      sum += weights[i].number;
    }
    EXPECT_NEAR(sum, totals[t], 1e-12);
  }
  // The worker's one sample, root first.
  std::vector<std::string> worker;
  for (const Json& index : profiles[1]["samples"][0].items) {
    worker.push_back(frames[static_cast<size_t>(index.number)]["name"].text);
  }
  EXPECT_EQ(worker, (std::vector<std::string>{"start_thread [libc.so.6]", "thread_run [libpython3.11.so.1.0]",
                                              "PyObject_Vectorcall [libpython3.11.so.1.0]",
                                              "work (lib/util.py:21)", "0x9999"}));
  EXPECT_EQ(doc["activeProfileIndex"].number, 0);
}

TEST(report_NativeExport, EmptyProfileGivesValidOutputs) {
  ProfileBuilder b;
  b.run();
  const std::vector<uint8_t> bytes = b.bytes();
  const Profile p = ProfileReader::parse(bytes.data(), bytes.size());
  const LineModel model(p);
  const StackExport stacks(p, model);
  EXPECT_EQ(render_collapsed(stacks), "");
  const Json doc = Json::parse(render_speedscope(p, stacks));
  EXPECT_TRUE(doc["profiles"].items.empty());
  EXPECT_EQ(doc["activeProfileIndex"].number, 0);
}

}  // namespace
}  // namespace pyro::report
