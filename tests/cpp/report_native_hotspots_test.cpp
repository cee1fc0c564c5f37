// native_hotspots arithmetic (self, total, callers, source, selection) on a made-up profile.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hotspots.h"
#include "line_model.h"
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

constexpr uint64_t kMs = 1'000'000;

Counters cpu_ms(uint64_t native_ms, uint64_t system_ms = 0) {
  Counters c;
  c.cpu_native_ns = native_ms * kMs;
  c.cpu_system_ns = system_ms * kMs;
  return c;
}

// app.py: <module> (lines 5-8) calls work (lines 11-12); stacks of 30+20+10+15+5+4+6 = 90 ms.
Profile hotspot_profile() {
  ProfileBuilder b;
  b.meta("cwd", "/app");
  fake::add_modules(b);
  b.run().function(1, "/app/app.py", "<module>", 1).function(2, "/app/app.py", "work", 10);
  // A: sorted() comparing ints: the comparison is the leaf.
  b.stack(1, 1, {py(1, 5), py(2, 12), native(fake::kBuiltinSorted), native(fake::kListSort), native_pc(fake::kLongCompare)},
          cpu_ms(25, 5));
  // B and G: list_sort_impl itself is the leaf, at two lines.
  b.stack(1, 1, {py(1, 5), py(2, 12), native(fake::kBuiltinSorted), native_pc(fake::kListSort)}, cpu_ms(20));
  b.stack(1, 1, {py(1, 5), py(2, 12), native(fake::kBuiltinSorted), native_pc(fake::kListSortOther)}, cpu_ms(15));
  // C: sorted(key=...) calling back into Python: the sort lies between two Python frames, so
  // by the display rule it is interpreter glue and counts for nothing.
  b.stack(1, 1, {py(1, 6), native(fake::kBuiltinSorted), native(fake::kListSort), native(fake::kVectorcall), py(2, 11)},
          cpu_ms(10));
  // D: libc.
  b.stack(1, 1, {py(1, 7), native_pc(fake::kMemcpy)}, cpu_ms(5));
  // E: recursion counts once per stack.
  b.stack(1, 1, {py(1, 8), native(fake::kExtRecurse), native(fake::kExtRecurse2), native_pc(fake::kExtRecurse)}, cpu_ms(4));
  // F: a native thread with no Python frame: unattributed, no caller.
  b.stack(1, 2, {native(fake::kStartThread), native_pc(fake::kExtWorker)}, cpu_ms(6));
  // A stack that weighs nothing changes nothing.
  b.stack(1, 1, {py(1, 9), native_pc(fake::kMemcpy)}, Counters{1, 0, 0, 0, 0, 0, 0});
  const std::vector<uint8_t> bytes = b.bytes();
  return ProfileReader::parse(bytes.data(), bytes.size());
}

struct Expected {
  std::string function;
  uint64_t self_ms;
  uint64_t total_ms;
};

TEST(report_NativeHotspots, SelfTotalAndOrder) {
  const Profile p = hotspot_profile();
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  const std::vector<NativeHotspot> hotspots = compute_native_hotspots(model);
  const std::vector<Expected> expected = {
      {"list_sort_impl", 35, 65}, {"unsafe_long_compare", 30, 30}, {"worker_loop", 6, 6},
      {"memcpy", 5, 5},           {"walk_tree", 4, 4},             {"builtin_sorted", 0, 65},
      {"start_thread", 0, 6},
  };
  ASSERT_EQ(hotspots.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(expected[i].function);
    EXPECT_EQ(hotspots[i].function, expected[i].function);
    EXPECT_EQ(hotspots[i].self_ns, expected[i].self_ms * kMs);
    EXPECT_EQ(hotspots[i].total_ns, expected[i].total_ms * kMs);
  }
  EXPECT_EQ(hotspots[0].module, fake::kInterpreter);
  EXPECT_EQ(hotspots[3].module, fake::kLibc);
  // Glue between Python frames is never a hotspot.
  for (const NativeHotspot& h : hotspots) EXPECT_NE(h.function, "PyObject_Vectorcall");
}

TEST(report_NativeHotspots, CallersAreTheAttributedLines) {
  const Profile p = hotspot_profile();
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  const std::vector<NativeHotspot> hotspots = compute_native_hotspots(model);
  const NativeHotspot& sort = hotspots[0];
  ASSERT_EQ(sort.callers.size(), 1u);
  EXPECT_EQ(model.files()[sort.callers[0].file].path, "/app/app.py");
  EXPECT_EQ(sort.callers[0].line, 12);
  EXPECT_EQ(sort.callers[0].ns, 65 * kMs);
  const NativeHotspot& memcpy_spot = hotspots[3];
  ASSERT_EQ(memcpy_spot.callers.size(), 1u);
  EXPECT_EQ(memcpy_spot.callers[0].line, 7);
  EXPECT_TRUE(hotspots[2].callers.empty());  // worker_loop: no Python frame at all
  ASSERT_EQ(hotspots[5].callers.size(), 1u);  // builtin_sorted
  EXPECT_EQ(hotspots[5].callers[0].ns, 65 * kMs);
}

TEST(report_NativeHotspots, SourceIsTheHottestSelfLineElseTheDefinition) {
  const Profile p = hotspot_profile();
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  const std::vector<NativeHotspot> hotspots = compute_native_hotspots(model);
  EXPECT_EQ(hotspots[0].source(), "listobject.c:2229");  // 20 ms there, 15 ms at 2300
  EXPECT_EQ(hotspots[0].source_path, "/src/Objects/listobject.c");
  EXPECT_EQ(hotspots[1].source(), "listobject.c:1290");
  EXPECT_EQ(hotspots[5].source(), "bltinmodule.c:2199");  // no self time: its definition
  EXPECT_EQ(hotspots[6].source(), "");                    // start_thread: nothing known
}

TEST(report_NativeHotspots, TopBySelfPlusEverythingAboveTheTotalShare) {
  const Profile p = hotspot_profile();
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  HotspotLimits limits;
  limits.top_by_self = 2;
  limits.min_total_share = 0.1;  // 9 ms of 90
  const std::vector<NativeHotspot> hotspots = compute_native_hotspots(model, limits);
  ASSERT_EQ(hotspots.size(), 3u);
  EXPECT_EQ(hotspots[0].function, "list_sort_impl");
  EXPECT_EQ(hotspots[1].function, "unsafe_long_compare");
  EXPECT_EQ(hotspots[2].function, "builtin_sorted");
}

TEST(report_NativeHotspots, WallModeWeighsWallTime) {
  testing::RunSpec run;
  run.mode = 1;
  ProfileBuilder b;
  fake::add_modules(b);
  b.run(run).function(1, "/app/app.py", "<module>", 1);
  b.stack(1, 1, {py(1, 3), native(fake::kRestoreThread), native_pc(fake::kCondWait)},
          Counters{1, 0, 1'000, 0, 40 * kMs, 0, 0});
  const std::vector<uint8_t> bytes = b.bytes();
  const Profile p = ProfileReader::parse(bytes.data(), bytes.size());
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  const std::vector<NativeHotspot> hotspots = compute_native_hotspots(model);
  ASSERT_EQ(hotspots.size(), 2u);
  EXPECT_EQ(hotspots[0].function, "pthread_cond_timedwait");
  EXPECT_EQ(hotspots[0].self_ns, 40 * kMs);
  EXPECT_EQ(hotspots[1].total_ns, 40 * kMs);
}

}  // namespace
}  // namespace pyro::report
