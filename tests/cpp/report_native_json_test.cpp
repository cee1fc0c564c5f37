// Native stacks in the reports: the JSON export's native frames, native_hotspots,
// capture_ns and counters; the text summary's native section; and one run through the real
// libdw symbolizer from Module records to JSON.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capture_stats.h"
#include "json_writer.h"
#include "line_model.h"
#include "profile_reader.h"
#include "source_file_cache.h"
#include "testing/mini_json.h"
#include "testing/native_fixture.h"
#include "testing/self_modules.h"
#include "text_summary.h"

extern "C" __attribute__((noinline)) int pyro_native_json_test_function(int x) {
  volatile int y = x + 1;
  return y * 2;
}

namespace pyro::report {
namespace {

using testing::Counters;
using testing::Json;
using testing::native;
using testing::native_pc;
using testing::ProfileBuilder;
using testing::py;
namespace fake = testing::fake;

constexpr uint64_t kMs = 1'000'000;

Profile native_profile() {
  testing::RunSpec run;
  run.native_fallbacks = 4;
  run.native_skipped = 2;
  ProfileBuilder b;
  b.meta("cwd", "/app").meta("argv", "/app/app.py");
  fake::add_modules(b);
  b.run(run).function(1, "/app/app.py", "<module>", 1).function(2, "/app/app.py", "work", 10);
  b.thread(1, 1, "MainThread", 100 * kMs, 100 * kMs, 10);
  b.capture_stats({0, 0, 0, 0, 0, 0, 0, 0, 5, 90, 4, 1});
  b.stack(1, 1, {py(1, 5), native(fake::kVectorcall), py(2, 12), native(fake::kBuiltinSorted), native_pc(fake::kListSort)},
          Counters{3, 0, 30 * kMs, 0, 0, 0, 0});
  b.stack(1, 1, {py(1, 6), native(fake::kExtDot), native_pc(fake::kUnknown)}, Counters{1, 0, 10 * kMs, 0, 0, 0, 0});
  b.stack(1, 1, {py(1, 7), native(fake::kRestoreThread), native_pc(fake::kCondWait)}, Counters{1, 0, 1 * kMs, 0, 0, 0, 0});
  const std::vector<uint8_t> bytes = b.bytes();
  return ProfileReader::parse(bytes.data(), bytes.size());
}

TEST(report_NativeJson, NativeFramesInStacks) {
  const Profile p = native_profile();
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  const Json doc = Json::parse(JsonWriter(p, model).render());
  const Json& stacks = doc["stacks"];
  ASSERT_EQ(stacks.items.size(), 3u);  // one per record, in file order
  const Json& frames = stacks[0]["frames"];
  ASSERT_EQ(frames.items.size(), 4u);  // the glue between <module> and work is gone
  EXPECT_EQ(frames[1]["kind"].text, "python");
  EXPECT_EQ(frames[1]["module"].type, Json::kNull);
  const Json& sort = frames[3];
  EXPECT_EQ(sort["kind"].text, "native");
  EXPECT_EQ(sort["name"].text, "list_sort_impl");
  EXPECT_EQ(sort["path"].text, "/src/Objects/listobject.c");
  EXPECT_EQ(sort["line"].number, 2229);
  EXPECT_EQ(sort["module"].text, fake::kInterpreterPath);
  EXPECT_FALSE(sort.has("inlined"));
  const Json& builtin = frames[2];
  EXPECT_EQ(builtin["name"].text, "builtin_sorted");

  const Json& ext = stacks[1]["frames"];
  ASSERT_EQ(ext.items.size(), 4u);  // dot() expands into dot + the inlined blas_kernel
  EXPECT_EQ(ext[1]["name"].text, "dot");
  EXPECT_EQ(ext[2]["name"].text, "blas_kernel");
  EXPECT_TRUE(ext[2]["inlined"].boolean);
  EXPECT_EQ(ext[2]["line"].number, 10);
  EXPECT_EQ(ext[3]["name"].text, "0x9999");
  EXPECT_EQ(ext[3]["path"].type, Json::kNull);
  EXPECT_EQ(ext[3]["line"].type, Json::kNull);
  EXPECT_EQ(ext[3]["module"].type, Json::kNull);
}

TEST(report_NativeJson, HotspotsCaptureAndCounters) {
  const Profile p = native_profile();
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  const Json doc = Json::parse(JsonWriter(p, model).render());
  const Json& hotspots = doc["native_hotspots"];
  ASSERT_GE(hotspots.items.size(), 3u);
  const Json& top = hotspots[0];
  EXPECT_EQ(top["function"].text, "list_sort_impl");
  EXPECT_EQ(top["module"].text, fake::kInterpreterPath);
  EXPECT_EQ(top["source"].text, "listobject.c:2229");
  EXPECT_EQ(top["source_path"].text, "/src/Objects/listobject.c");
  EXPECT_DOUBLE_EQ(top["self_s"].number, 0.03);
  EXPECT_DOUBLE_EQ(top["total_s"].number, 0.03);
  ASSERT_EQ(top["callers"].items.size(), 1u);
  EXPECT_EQ(top["callers"][0]["path"].text, "/app/app.py");
  EXPECT_EQ(top["callers"][0]["line"].number, 12);
  EXPECT_DOUBLE_EQ(top["callers"][0]["s"].number, 0.03);
  EXPECT_EQ(hotspots[1]["function"].text, "0x9999");
  EXPECT_EQ(hotspots[1]["module"].text, "[unknown]");
  EXPECT_EQ(hotspots[1]["source"].type, Json::kNull);
  for (const Json& h : hotspots.items) {
    EXPECT_EQ(h["self_s"].type, Json::kFloat);
    EXPECT_EQ(h["total_s"].type, Json::kFloat);
    EXPECT_EQ(h["callers"].type, Json::kArray);
  }

  EXPECT_TRUE(doc["native"].boolean);
  EXPECT_EQ(doc["native_fallbacks"].number, 4);
  EXPECT_EQ(doc["native_fallbacks"].type, Json::kInt);
  EXPECT_EQ(doc["native_skipped"].number, 2);
  const Json& capture = doc["capture_ns"];
  EXPECT_EQ(capture["median"].number, 768);   // bucket 9: [512, 1024)
  EXPECT_EQ(capture["p90"].number, 768);
  EXPECT_EQ(capture["p99"].number, 1536);     // bucket 10
  EXPECT_EQ(capture["count"].number, 100);
  EXPECT_EQ(capture["median"].type, Json::kInt);

  // The GIL-waiting stack adds its CPU to gil_wait_s of its line.
  for (const Json& line : doc["files"][0]["lines"].items) {
    EXPECT_DOUBLE_EQ(line["gil_wait_s"].number, line["line"].number == 7 ? 0.001 : 0.0);
  }
}

TEST(report_NativeJson, OldProfilesHaveNoCaptureStats) {
  ProfileBuilder b;
  testing::RunSpec run;
  run.with_native_counts = false;
  b.run(run);
  const std::vector<uint8_t> bytes = b.bytes();
  const Profile p = ProfileReader::parse(bytes.data(), bytes.size());
  const LineModel model(p);
  const Json doc = Json::parse(JsonWriter(p, model).render());
  EXPECT_EQ(doc["capture_ns"].type, Json::kNull);
  EXPECT_EQ(doc["native_fallbacks"].number, 0);
  EXPECT_FALSE(doc["native"].boolean);
  EXPECT_TRUE(doc["native_hotspots"].items.empty());
}

TEST(report_CaptureStats, Percentiles) {
  EXPECT_FALSE(summarize_capture({}).has_value());
  EXPECT_FALSE(summarize_capture({0, 0}).has_value());
  const auto one = summarize_capture({1});
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->median_ns, 1u);
  EXPECT_EQ(one->count, 1u);
  EXPECT_EQ(capture_bucket_midpoint(1), 3u);
  EXPECT_EQ(capture_bucket_midpoint(10), 1536u);
  const auto s = summarize_capture({0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->median_ns, 6u);
  EXPECT_EQ(s->p90_ns, 6u);
  EXPECT_EQ(s->p99_ns, (1u << 20) + (1u << 19));
  EXPECT_EQ(s->count, 11u);
  // Saturating counts stay finite.
  const auto huge = summarize_capture({UINT64_MAX, UINT64_MAX});
  ASSERT_TRUE(huge.has_value());
  EXPECT_EQ(huge->count, UINT64_MAX);
}

TEST(report_NativeJson, TextSummaryListsTopNativeFunctions) {
  const Profile p = native_profile();
  testing::FakeSymbols symbols = fake::symbols();
  const LineModel model(p, &symbols);
  SourceFileCache sources;
  const std::string text = TextSummary(p, model, sources).render(TextSummaryOptions{});
  const size_t section = text.find("Top native functions by self CPU");
  ASSERT_NE(section, std::string::npos) << text;
  const std::string rest = text.substr(section);
  const size_t sort_row = rest.find("list_sort_impl");
  ASSERT_NE(sort_row, std::string::npos) << rest;
  const std::string row = rest.substr(0, rest.find('\n', sort_row)).substr(rest.rfind('\n', sort_row) + 1);
  EXPECT_NE(row.find("0.030s"), std::string::npos) << row;
  EXPECT_NE(row.find("73.2%"), std::string::npos) << row;  // 30 of 41 ms
  EXPECT_NE(row.find("libpython3.11.so.1.0"), std::string::npos) << row;
  EXPECT_NE(row.find("listobject.c:2229"), std::string::npos) << row;
  EXPECT_NE(rest.find("0x9999"), std::string::npos);
  EXPECT_NE(rest.find("pthread_cond_timedwait"), std::string::npos);
}

TEST(report_NativeJson, NoNativeSectionWithoutNativeFrames) {
  ProfileBuilder b;
  b.run().function(1, "/app/app.py", "<module>", 1).stack(1, 1, {py(1, 2)}, Counters{1, kMs, 0, 0, 0, 0, 0});
  const std::vector<uint8_t> bytes = b.bytes();
  const Profile p = ProfileReader::parse(bytes.data(), bytes.size());
  const LineModel model(p);
  SourceFileCache sources;
  EXPECT_EQ(TextSummary(p, model, sources).render(TextSummaryOptions{}).find("native functions"), std::string::npos);
}

TEST(report_NativeJson, RealSymbolsFromModuleRecords) {
  // This process as the profiled program: its Module records, and a stack whose native
  // frame is a function of this file.
  ProfileBuilder b;
  for (const testing::ModuleSpec& m : testing::self_modules()) b.module(m);
  b.run().function(1, "/app/app.py", "<module>", 1);
  const auto address = reinterpret_cast<uint64_t>(&pyro_native_json_test_function);
  b.stack(1, 1, {py(1, 3), native_pc(address)}, Counters{1, 0, kMs, 0, 0, 0, 0});
  const std::vector<uint8_t> bytes = b.bytes();
  const Profile p = ProfileReader::parse(bytes.data(), bytes.size());
  const LineModel model(p);  // the libdw Symbolizer
  const Json doc = Json::parse(JsonWriter(p, model).render());
  const Json& frame = doc["stacks"][0]["frames"][1];
  EXPECT_EQ(frame["name"].text, "pyro_native_json_test_function");
  const std::string path = frame["path"].text;
  EXPECT_EQ(path.substr(path.find_last_of('/') + 1), "report_native_json_test.cpp");
  EXPECT_EQ(frame["line"].type, Json::kInt);
  const std::string module = frame["module"].text;
  EXPECT_EQ(module.substr(module.find_last_of('/') + 1), "report_tests");
  EXPECT_EQ(doc["native_hotspots"][0]["function"].text, "pyro_native_json_test_function");
  const std::string source = doc["native_hotspots"][0]["source"].text;
  EXPECT_EQ(source.rfind("report_native_json_test.cpp:", 0), 0u) << source;
}

}  // namespace
}  // namespace pyro::report
