// Memory from the profile to the reports: per-line attribution with the CPU's charged-frame
// rule, the JSON's memory fields and leaks, the text summary and the HTML page's data.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "html_writer.h"
#include "json_writer.h"
#include "leak_detector.h"
#include "line_model.h"
#include "profile_reader.h"
#include "text_summary.h"
#include "testing/mini_json.h"
#include "testing/profile_builder.h"

namespace pyro::report {
namespace {

using testing::allocated;
using testing::Counters;
using testing::Json;
using testing::MemorySpec;
using testing::native;
using testing::ProfileBuilder;
using testing::py;

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kBucketNs = 100'000'000;  // 20 buckets: the default 2 s run

Profile parse(const ProfileBuilder& b) {
  const std::vector<uint8_t> bytes = b.bytes();
  return ProfileReader::parse(bytes.data(), bytes.size());
}

ProfileBuilder base() {
  ProfileBuilder b;
  b.meta("argv", "app.py")
      .meta("cwd", "/home/u/proj")
      .meta("exclude_prefixes", "/usr/lib/python3.11")
      .meta("memory", "1")
      .run()
      .function(1, "app.py", "<module>", 1)
      .function(2, "app.py", "work", 10)
      .function(3, "/usr/lib/python3.11/json/decoder.py", "JSONDecoder.decode", 330);
  return b;
}

// The stacks of the memory tests: stack 0 allocates inside json and native code called
// from app.py:12 (and used CPU), stack 1 only allocates (app.py:14), stack 2 allocates
// outside profiled code, stack 3 is CPU only.
ProfileBuilder memory_profile() {
  Counters json_call = allocated(8 * kMiB, 2 * kMiB, 5 * kMiB);
  json_call.samples = 4;
  json_call.cpu_native_ns = 40'000'000;
  ProfileBuilder b = base();
  b.stack(1, 1, {py(1, 30), py(2, 12), py(3, 340), native(0x7f0000001234)}, json_call)
      .stack(1, 1, {py(1, 30), py(2, 14), native(0x7f0000005678)}, allocated(20 * kMiB, 0, 10 * kMiB))
      .stack(1, 1, {py(3, 333)}, allocated(3 * kMiB, 3 * kMiB))
      .stack(1, 1, {py(1, 31)}, Counters{2, 20'000'000})
      .memory();
  return b;
}

std::vector<int64_t> ramp(size_t n, int64_t total) {
  std::vector<int64_t> v;
  for (size_t i = 0; i < n; ++i) v.push_back(total * static_cast<int64_t>(i + 1) / static_cast<int64_t>(n));
  return v;
}

TEST(report_MemoryLines, AllocationInALibraryIsChargedToTheUserLine) {
  const Profile p = parse(memory_profile());
  const LineModel m(p);
  ASSERT_EQ(m.files().size(), 1u);
  const FileLines& app = m.files()[0];
  const LineCounters& line = app.lines.at(12);
  EXPECT_EQ(line.alloc_bytes, 8 * kMiB);
  EXPECT_EQ(line.free_bytes, 2 * kMiB);
  EXPECT_EQ(line.live_bytes(), 6 * kMiB);
  EXPECT_EQ(line.peak_bytes, 5 * kMiB);
  EXPECT_EQ(line.cpu_native_ns, 40'000'000u);
  EXPECT_EQ(app.alloc_bytes, 28 * kMiB);
  ASSERT_EQ(app.functions.size(), 2u);
  EXPECT_EQ(app.functions[1].name, "work");
  EXPECT_EQ(app.functions[1].alloc_bytes, 28 * kMiB);
  // Everything counts in the totals, profiled code or not.
  EXPECT_EQ(m.memory_totals().alloc_bytes, 31 * kMiB);
  EXPECT_EQ(m.memory_totals().free_bytes, 5 * kMiB);
  EXPECT_EQ(m.total_cpu_ns(), 60'000'000u);
}

TEST(report_MemoryLines, AnAllocationOnlyLineAppears) {
  const LineModel m(parse(memory_profile()));
  const LineCounters& line = m.files()[0].lines.at(14);
  EXPECT_EQ(line.samples, 0u);
  EXPECT_EQ(line.cpu_ns(), 0u);
  EXPECT_EQ(line.alloc_bytes, 20 * kMiB);
  EXPECT_EQ(line.live_bytes(), 20 * kMiB);
  EXPECT_EQ(m.files()[0].lines.count(31), 1u);
  EXPECT_EQ(m.files()[0].lines.at(31).alloc_bytes, 0u);
}

TEST(report_MemoryLines, MoreFreedThanAllocatedClampsLiveAtZero) {
  ProfileBuilder b = base();
  b.stack(1, 1, {py(2, 12)}, allocated(kMiB, 2 * kMiB)).memory();
  const LineModel m(parse(b));
  EXPECT_EQ(m.files()[0].lines.at(12).live_bytes(), 0u);
}

TEST(report_MemoryJson, NullWithoutAMemoryRecordAndTheKeysStay) {
  ProfileBuilder b = base();
  b.stack(1, 1, {py(2, 12)}, Counters{2, 20'000'000});
  const Profile p = parse(b);
  const Json doc = Json::parse(JsonWriter(p, LineModel(p)).render());
  EXPECT_EQ(doc["memory"].type, Json::kNull);
  EXPECT_TRUE(doc["leaks"].items.empty());
  const Json& line = doc["files"][0]["lines"][0];
  for (const char* key : {"alloc_bytes", "free_bytes", "live_bytes", "peak_bytes"}) {
    EXPECT_EQ(line[key].type, Json::kInt) << key;
    EXPECT_EQ(line[key].number, 0) << key;
  }
  EXPECT_EQ(doc["stacks"][0]["alloc_bytes"].type, Json::kInt);
}

TEST(report_MemoryJson, SpecKeysWithMemory) {
  const Profile p = parse(memory_profile());
  const LineModel model(p);
  const Json doc = Json::parse(JsonWriter(p, model).render());
  const Json& memory = doc["memory"];
  ASSERT_EQ(memory.type, Json::kObject);
  EXPECT_EQ(memory["sample_interval_bytes"].type, Json::kInt);
  EXPECT_EQ(memory["sample_interval_bytes"].number, 512 * 1024);
  EXPECT_EQ(memory["peak_bytes"].type, Json::kInt);
  EXPECT_EQ(memory["peak_bytes"].number, 64 * kMiB);
  EXPECT_EQ(memory["peak_t_s"].type, Json::kFloat);
  EXPECT_DOUBLE_EQ(memory["peak_t_s"].number, 1.0);
  ASSERT_EQ(memory["timeline"].items.size(), 2u);
  const Json& point = memory["timeline"][1];
  EXPECT_EQ(point[0].type, Json::kFloat);
  EXPECT_EQ(point[1].type, Json::kInt);
  EXPECT_EQ(point[1].number, 64 * kMiB);
  EXPECT_EQ(point[2].number, 80 * kMiB);
  // Extras.
  EXPECT_DOUBLE_EQ(memory["live_peak_t_s"].number, 0.9);
  EXPECT_EQ(memory["alloc_bytes"].number, 31 * kMiB);
  EXPECT_EQ(memory["free_bytes"].number, 5 * kMiB);
  EXPECT_EQ(memory["live_bytes"].number, 26 * kMiB);
  EXPECT_EQ(memory["untracked_frees"].type, Json::kInt);
  EXPECT_EQ(memory["dropped_allocations"].type, Json::kInt);

  const Json& file = doc["files"][0];
  ASSERT_EQ(file["lines"].items.size(), 3u);
  const Json& line12 = file["lines"][0];
  EXPECT_EQ(line12["line"].number, 12);
  EXPECT_EQ(line12["alloc_bytes"].number, 8 * kMiB);
  EXPECT_EQ(line12["free_bytes"].number, 2 * kMiB);
  EXPECT_EQ(line12["live_bytes"].number, 6 * kMiB);
  EXPECT_EQ(line12["peak_bytes"].number, 5 * kMiB);
  const Json& line14 = file["lines"][1];
  EXPECT_EQ(line14["line"].number, 14);
  EXPECT_EQ(line14["cpu_python_s"].number, 0.0);
  EXPECT_EQ(line14["alloc_bytes"].type, Json::kInt);
  EXPECT_EQ(line14["alloc_bytes"].number, 20 * kMiB);
  EXPECT_EQ(file["functions"][1]["alloc_bytes"].number, 28 * kMiB);

  const Json& stack = doc["stacks"][1];
  EXPECT_EQ(stack["alloc_bytes"].number, 20 * kMiB);
  EXPECT_EQ(stack["free_bytes"].number, 0);
  EXPECT_EQ(stack["live_bytes"].number, 20 * kMiB);
  EXPECT_EQ(stack["charged_frame"].number, 1);
  EXPECT_EQ(doc["stacks"][2]["alloc_bytes"].number, 3 * kMiB);
  EXPECT_EQ(doc["stacks"][2]["charged_frame"].type, Json::kNull);
}

TEST(report_MemoryJson, LeaksFollowTheLiveSeriesOfTheChargedLine) {
  ProfileBuilder b = memory_profile();
  // Line 14 grows all run long; line 12 allocates once early and keeps it.
  b.live_series(1, kBucketNs, ramp(20, 20 * kMiB));
  std::vector<int64_t> step(20, 6 * kMiB);
  step[0] = 0;
  b.live_series(0, kBucketNs, step);
  const Profile p = parse(b);
  const LineModel model(p);
  const Json doc = Json::parse(JsonWriter(p, model).render());
  const Json& leaks = doc["leaks"];
  ASSERT_EQ(leaks.items.size(), 1u);
  const Json& leak = leaks[0];
  EXPECT_EQ(leak["path"].text, "/home/u/proj/app.py");
  EXPECT_EQ(leak["line"].number, 14);
  EXPECT_EQ(leak["live_bytes"].type, Json::kInt);
  EXPECT_EQ(leak["live_bytes"].number, 20 * kMiB);
  EXPECT_EQ(leak["growth_bytes_per_s"].type, Json::kFloat);
  EXPECT_NEAR(leak["growth_bytes_per_s"].number, 10.0 * kMiB, 1.0);
  EXPECT_GT(leak["confidence"].number, 0.8);
  EXPECT_LE(leak["confidence"].number, 1.0);
}

TEST(report_MemoryJson, SeriesOfOneLineAreSummedAtTheCoarsestBucket) {
  // Two stacks of line 14 (a child process with wider buckets): each grows half as fast.
  ProfileBuilder b = base();
  b.stack(1, 1, {py(2, 14)}, allocated(10 * kMiB))
      .stack(2, 2, {py(2, 14)}, allocated(10 * kMiB))
      .live_series(0, kBucketNs, ramp(20, 10 * kMiB))
      .live_series(1, 2 * kBucketNs, ramp(10, 10 * kMiB))
      .memory();
  const Profile p = parse(b);
  const std::vector<Leak> leaks = find_leaks(p, LineModel(p));
  ASSERT_EQ(leaks.size(), 1u);
  EXPECT_EQ(leaks[0].line, 14);
  EXPECT_NEAR(leaks[0].growth_bytes_per_s, 10.0 * kMiB, 1.0);
}

TEST(report_MemoryText, PeakTopGrowthAndLeaks) {
  ProfileBuilder b = memory_profile();
  b.live_series(1, kBucketNs, ramp(20, 20 * kMiB));
  const Profile p = parse(b);
  const LineModel model(p);
  SourceFileCache sources;
  const std::string text = TextSummary(p, model, sources).render(TextSummaryOptions{});
  EXPECT_NE(text.find("Memory: peak heap 64.0 MiB at 1.00 s, 31.0 MiB allocated, 26.0 MiB still live"), std::string::npos) << text;
  const size_t growth = text.find("Top lines by memory growth");
  ASSERT_NE(growth, std::string::npos) << text;
  // Line 14 holds the most at the end, then line 12.
  EXPECT_LT(text.find("app.py:14", growth), text.find("app.py:12", growth)) << text;
  const size_t leaks = text.find("Possible leaks");
  ASSERT_NE(leaks, std::string::npos) << text;
  EXPECT_NE(text.find("app.py:14  +10.0 MiB/s, 20.0 MiB live, confidence 100%", leaks), std::string::npos) << text;
}

TEST(report_MemoryText, NotTracked) {
  ProfileBuilder b = base();
  b.stack(1, 1, {py(2, 12)}, Counters{2, 20'000'000});
  const Profile p = parse(b);
  const LineModel model(p);
  SourceFileCache sources;
  const std::string text = TextSummary(p, model, sources).render(TextSummaryOptions{});
  EXPECT_NE(text.find("Memory: not tracked"), std::string::npos) << text;
  EXPECT_EQ(text.find("memory growth"), std::string::npos) << text;
}

TEST(report_MemoryHtml, PageDataCarriesMemoryLinesLeaksAndAllocWeights) {
  ProfileBuilder b = memory_profile();
  b.live_series(1, kBucketNs, ramp(20, 20 * kMiB));
  const Profile p = parse(b);
  const LineModel model(p);
  SourceFileCache sources;
  const Json data = Json::parse(HtmlWriter(p, model, sources).render_data());
  EXPECT_EQ(data["memory"]["peak_bytes"].number, 64 * kMiB);
  EXPECT_EQ(data["memory"]["timeline"].items.size(), 2u);
  EXPECT_EQ(data["files"][0]["lines"][1]["alloc_bytes"].number, 20 * kMiB);
  EXPECT_EQ(data["files"][0]["lines"][1]["peak_bytes"].number, 10 * kMiB);
  ASSERT_EQ(data["leaks"].items.size(), 1u);
  EXPECT_EQ(data["leaks"][0]["line"].number, 14);
  // The flame graph's alloc metric: every stack's allocated bytes, in the "alloc_bytes"
  // column of page.stacks.
  const Json& page = data["page"];
  size_t alloc_column = 0;
  while (page["counters"][alloc_column].text != "alloc_bytes") ++alloc_column;
  double alloc = 0;
  for (const Json& row : page["stacks"].items) alloc += row[3 + alloc_column].number;
  EXPECT_EQ(alloc, 31.0 * kMiB);
}

}  // namespace
}  // namespace pyro::report
