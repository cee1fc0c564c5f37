// The reader's side of memory tracking: Memory and LiveSeries records and the memory stack
// counters (docs/profile-format.md), round trip and corrupt records.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "json_writer.h"
#include "line_model.h"
#include "profile_reader.h"
#include "testing/profile_builder.h"
#include "testing/reader_helpers.h"

namespace pyro::report {
namespace {

using testing::allocated;
using testing::Counters;
using testing::MemorySpec;
using testing::native;
using testing::error_of;
using testing::parse;
using testing::ProfileBuilder;
using testing::py;

std::vector<uint8_t> payload(const format::ByteWriter& w) { return w.bytes(); }

ProfileBuilder memory_profile() {
  MemorySpec memory;
  memory.untracked_frees = 3;
  memory.dropped_allocations = 4;
  memory.timeline = {{0, 1 << 20, 9 << 20}, {500'000'000, 40 << 20, 50 << 20}, {1'000'000'000, 64 << 20, 80 << 20}};
  Counters both = allocated(6 << 20, 2 << 20, 3 << 20);
  both.samples = 2;
  both.cpu_python_ns = 20'000'000;
  ProfileBuilder b;
  b.meta("memory", "1")
      .run()
      .function(1, "app.py", "main", 1)
      // The series of stack 1 comes before the Stack record it names: records may come in
      // any order.
      .live_series(1, 100'000'000, {0, 1 << 20, 3 << 20})
      .stack(4242, 4242, {py(1, 12), native(0x7f0000001000)}, both)
      .stack(4242, 4242, {py(1, 14)}, allocated(5 << 20))
      .memory(memory)
      .live_series(0, 100'000'000, {2 << 20, 4 << 20, -1});
  return b;
}

TEST(report_MemoryReader, RoundTrip) {
  const Profile p = parse(memory_profile().bytes());
  ASSERT_TRUE(p.memory.has_value());
  const MemoryInfo& m = *p.memory;
  EXPECT_EQ(m.sample_interval_bytes, 512u * 1024);
  EXPECT_EQ(m.peak_heap_bytes, 64u << 20);
  EXPECT_EQ(m.peak_t_ns, 1'000'000'000u);
  EXPECT_EQ(m.live_peak_t_ns, 900'000'000u);
  EXPECT_EQ(m.untracked_frees, 3u);
  EXPECT_EQ(m.dropped_allocations, 4u);
  EXPECT_EQ(m.records, 1u);
  ASSERT_EQ(m.timeline.size(), 3u);
  EXPECT_EQ(m.timeline[1].t_ns, 500'000'000u);
  EXPECT_EQ(m.timeline[1].heap_bytes, 40u << 20);
  EXPECT_EQ(m.timeline[1].rss_bytes, 50u << 20);

  ASSERT_EQ(p.stacks.size(), 2u);
  const StackCounters& c = p.stacks[0].counters;
  EXPECT_EQ(c[format::kAllocBytes], 6u << 20);
  EXPECT_EQ(c[format::kAllocSamples], 13u);
  EXPECT_EQ(c[format::kFreeBytes], 2u << 20);
  EXPECT_EQ(c[format::kPeakLiveBytes], 3u << 20);
  EXPECT_EQ(c[format::kCpuPythonNs], 20'000'000u);
  EXPECT_EQ(p.stacks[1].counters[format::kSamples], 0u);

  EXPECT_EQ(p.stacks[0].live.bucket_ns, 100'000'000u);
  EXPECT_EQ(p.stacks[0].live.live_bytes, (std::vector<int64_t>{2 << 20, 4 << 20, -1}));
  EXPECT_EQ(p.stacks[1].live.live_bytes, (std::vector<int64_t>{0, 1 << 20, 3 << 20}));
}

TEST(report_MemoryReader, NoMemoryRecordMeansNotTracked) {
  ProfileBuilder b;
  b.run().function(1, "app.py", "main", 1).stack(1, 1, {py(1, 2)}, Counters{});
  const Profile p = parse(b.bytes());
  EXPECT_FALSE(p.memory.has_value());
  EXPECT_EQ(p.stacks[0].counters[format::kAllocBytes], 0u);
  EXPECT_TRUE(p.stacks[0].live.empty());
}

TEST(report_MemoryReader, ChildProcessRecordsAddTheirLossCounters) {
  MemorySpec child;
  child.peak_heap_bytes = 1u << 30;  // another process's heap: not the program's peak
  child.untracked_frees = 10;
  child.dropped_allocations = 20;
  child.timeline = {{0, 1, 2}};
  ProfileBuilder b = memory_profile();
  b.run(testing::RunSpec{4300}).memory(child);
  const Profile p = parse(b.bytes());
  ASSERT_TRUE(p.memory.has_value());
  EXPECT_EQ(p.memory->records, 2u);
  EXPECT_EQ(p.memory->peak_heap_bytes, 64u << 20);
  EXPECT_EQ(p.memory->timeline.size(), 3u);
  EXPECT_EQ(p.memory->untracked_frees, 13u);
  EXPECT_EQ(p.memory->dropped_allocations, 24u);
}

TEST(report_MemoryReader, NewerWritersMayAppendFields) {
  format::ByteWriter w;
  for (int i = 0; i < 6; ++i) w.u64(7);
  w.u32(0);
  w.u64(0xABCD);  // a field of a future format
  ProfileBuilder b;
  b.run().raw_record(static_cast<uint32_t>(format::RecordType::kMemory), payload(w));
  const Profile p = parse(b.bytes());
  ASSERT_TRUE(p.memory.has_value());
  EXPECT_EQ(p.memory->sample_interval_bytes, 7u);
  EXPECT_TRUE(p.memory->timeline.empty());
}

TEST(report_MemoryReader, RejectsShortMemoryRecords) {
  format::ByteWriter w;
  for (int i = 0; i < 5; ++i) w.u64(1);  // one u64 and the count missing
  ProfileBuilder b;
  b.run().raw_record(static_cast<uint32_t>(format::RecordType::kMemory), payload(w));
  std::string what = error_of(b.bytes());
  EXPECT_NE(what.find("Memory record"), std::string::npos) << what;

  format::ByteWriter series;
  series.u32(0);
  series.u32(5);  // half of bucket_ns
  ProfileBuilder b2;
  b2.run().raw_record(static_cast<uint32_t>(format::RecordType::kLiveSeries), payload(series));
  what = error_of(b2.bytes());
  EXPECT_NE(what.find("LiveSeries record"), std::string::npos) << what;
}

TEST(report_MemoryReader, RejectsHugeCountsWithoutAllocating) {
  format::ByteWriter w;
  for (int i = 0; i < 6; ++i) w.u64(1);
  w.u32(0xFFFFFFFFu);
  w.u64(1);
  ProfileBuilder b;
  b.run().raw_record(static_cast<uint32_t>(format::RecordType::kMemory), payload(w));
  std::string what = error_of(b.bytes());
  EXPECT_NE(what.find("4294967295 timeline points"), std::string::npos) << what;

  format::ByteWriter series;
  series.u32(0);
  series.u64(1'000'000);
  series.u32(0x40000000u);
  series.u64(1);
  ProfileBuilder b2;
  b2.run().raw_record(static_cast<uint32_t>(format::RecordType::kLiveSeries), payload(series));
  what = error_of(b2.bytes());
  EXPECT_NE(what.find("1073741824 buckets"), std::string::npos) << what;
}

TEST(report_MemoryReader, RejectsSeriesOfMissingOrAlreadySeriesStacks) {
  ProfileBuilder b = memory_profile();
  b.live_series(2, 100'000'000, {1});
  std::string what = error_of(b.bytes());
  EXPECT_NE(what.find("refers to stack 2, the file has 2"), std::string::npos) << what;

  ProfileBuilder b2 = memory_profile();
  b2.live_series(0, 100'000'000, {1});
  what = error_of(b2.bytes());
  EXPECT_NE(what.find("second one of stack 0"), std::string::npos) << what;

  ProfileBuilder b3;
  b3.run().function(1, "a.py", "f", 1).stack(1, 1, {py(1, 2)}, allocated(10)).live_series(0, 0, {1, 2});
  what = error_of(b3.bytes());
  EXPECT_NE(what.find("buckets of 0 ns"), std::string::npos) << what;
}

TEST(report_MemoryReader, EveryPrefixIsRejected) {
  const std::vector<uint8_t> good = memory_profile().bytes();
  for (size_t n = 0; n < good.size(); ++n) {
    const std::vector<uint8_t> prefix(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_THROW(parse(prefix), ProfileError) << "prefix of " << n << " bytes";
  }
}

// Random damage to memory records: a ProfileError or a Profile, never a crash (ASan/UBSan
// make this mean more). What is read must also go through the line model, the leak rule and
// the JSON writer safely: hostile series values and bucket widths reach them unchecked.
TEST(report_MemoryReader, SurvivesRandomCorruption) {
  const std::vector<uint8_t> good = memory_profile().bytes();
  std::mt19937 rng(4242);
  for (int round = 0; round < 5000; ++round) {
    std::vector<uint8_t> bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) bytes[16 + rng() % (bytes.size() - 16)] = static_cast<uint8_t>(rng());
    try {
      const Profile p = parse(bytes);
      const LineModel model(p);
      EXPECT_FALSE(JsonWriter(p, model).render().empty());
    } catch (const ProfileError&) {
    }
  }
}

}  // namespace
}  // namespace pyro::report
