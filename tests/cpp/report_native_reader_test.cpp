// The profile reader's native-stack additions: Module and CaptureStats records, frame kind 3
// (exact PC), and the Run record's extra fields (absent in older files).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "profile_reader.h"
#include "testing/profile_builder.h"
#include "testing/reader_helpers.h"

namespace pyro::report {
namespace {

using testing::Counters;
using testing::ModuleSpec;
using testing::native;
using testing::native_pc;
using testing::error_of;
using testing::parse;
using testing::ProfileBuilder;
using testing::py;

ProfileBuilder native_profile() {
  testing::RunSpec run;
  run.native_fallbacks = 7;
  run.native_skipped = 3;
  ProfileBuilder b;
  b.meta("native", "1").meta("interpreter_path", "/usr/lib/libpython3.11.so.1.0");
  b.run(run).function(1, "/app/a.py", "main", 1);
  b.module(ModuleSpec{"/usr/lib/libpython3.11.so.1.0", 0x7f0000000000, "0123abcd",
                      {{0x7f0000001000, 0x7f0000200000}, {0x7f0000300000, 0x7f0000300000}}});
  b.module(ModuleSpec{"linux-vdso.so.1", 0x7fff0000, "", {{0x7fff1000, 0x7fff2000}}});
  b.capture_stats({0, 0, 0, 0, 0, 0, 0, 0, 5, 90, 4, 1});
  b.stack(10, 10, {native(0x7f0000001234), py(1, 3), native(0x7f0000002000), native_pc(0x7f0000003001)},
          Counters{1, 1000, 0, 0, 0, 0, 0});
  return b;
}

TEST(report_NativeReader, ModulesCaptureStatsAndPcFramesRoundTrip) {
  const Profile p = parse(native_profile().bytes());
  ASSERT_EQ(p.modules.size(), 2u);
  EXPECT_EQ(p.modules[0].path, "/usr/lib/libpython3.11.so.1.0");
  EXPECT_EQ(p.modules[0].load_bias, 0x7f0000000000u);
  EXPECT_EQ(p.modules[0].build_id, "0123abcd");
  // The empty range maps nothing and is dropped.
  ASSERT_EQ(p.modules[0].ranges.size(), 1u);
  EXPECT_EQ(p.modules[0].ranges[0].start, 0x7f0000001000u);
  EXPECT_EQ(p.modules[0].ranges[0].end, 0x7f0000200000u);
  EXPECT_EQ(p.modules[1].build_id, "");
  ASSERT_EQ(p.capture_histogram.size(), 12u);
  EXPECT_EQ(p.capture_histogram[9], 90u);
  EXPECT_EQ(p.run().native_fallbacks, 7u);
  EXPECT_EQ(p.run().native_skipped, 3u);
  ASSERT_EQ(p.stacks.size(), 1u);
  const std::vector<Frame>& f = p.stacks[0].frames;
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].kind, format::FrameKind::kNative);
  EXPECT_EQ(f[0].address, 0x7f0000001234u);
  EXPECT_TRUE(f[0].is_native());
  EXPECT_EQ(f[3].kind, format::FrameKind::kNativePc);
  EXPECT_EQ(f[3].address, 0x7f0000003001u);
  EXPECT_TRUE(f[3].is_native());
  EXPECT_FALSE(f[1].is_native());
}

TEST(report_NativeReader, CaptureStatsOfSeveralProcessesAddUp) {
  ProfileBuilder b;
  b.run().capture_stats({1, 2, 3}).capture_stats({10, 20, 30, 40, 50});
  const Profile p = parse(b.bytes());
  EXPECT_EQ(p.capture_histogram, (std::vector<uint64_t>{11, 22, 33, 40, 50}));
}

TEST(report_NativeReader, RunRecordWithoutTheExtraFieldsStillReads) {
  testing::RunSpec run;
  run.with_native_counts = false;
  ProfileBuilder b;
  b.run(run).function(1, "/a.py", "f", 1).stack(1, 1, {py(1, 2)}, Counters{});
  const Profile p = parse(b.bytes());
  EXPECT_EQ(p.run().native_fallbacks, 0u);
  EXPECT_EQ(p.run().native_skipped, 0u);
  EXPECT_EQ(p.run().lost_functions, 0u);
  EXPECT_TRUE(p.modules.empty());
  EXPECT_TRUE(p.capture_histogram.empty());
}

TEST(report_NativeReader, RejectsRangeThatEndsBeforeItStarts) {
  ProfileBuilder b;
  b.run().module(ModuleSpec{"/lib/x.so", 0, "", {{0x2000, 0x1000}}});
  const std::string what = error_of(b.bytes());
  EXPECT_NE(what.find("Module record"), std::string::npos) << what;
  EXPECT_NE(what.find("ends before it starts"), std::string::npos) << what;
}

TEST(report_NativeReader, RejectsAbsurdRangeAndBucketCounts) {
  format::ByteWriter module;
  module.str("/lib/x.so");
  module.u64(0);
  module.str("");
  module.u32(0x40000000u);  // nranges: far more than the payload holds
  module.u64(1);
  module.u64(2);
  ProfileBuilder b1;
  b1.run().raw_record(static_cast<uint32_t>(format::RecordType::kModule), module.bytes());
  const std::string what = error_of(b1.bytes());
  EXPECT_NE(what.find("1073741824 ranges"), std::string::npos) << what;

  format::ByteWriter stats;
  stats.u32(0xFFFFFFFFu);
  stats.u64(1);
  ProfileBuilder b2;
  b2.run().raw_record(static_cast<uint32_t>(format::RecordType::kCaptureStats), stats.bytes());
  EXPECT_NE(error_of(b2.bytes()).find("buckets"), std::string::npos);

  // More buckets than a u64 of nanoseconds can need, even when the bytes are there.
  ProfileBuilder b3;
  b3.run().capture_stats(std::vector<uint64_t>(65, 1));
  EXPECT_NE(error_of(b3.bytes()).find("65 buckets"), std::string::npos);
}

TEST(report_NativeReader, TruncatedModuleAndPcFrameAreCorrupt) {
  format::ByteWriter module;
  module.str("/lib/x.so");
  module.u64(0);  // no build-id string, no ranges
  ProfileBuilder b1;
  b1.run().raw_record(static_cast<uint32_t>(format::RecordType::kModule), module.bytes());
  EXPECT_NE(error_of(b1.bytes()).find("Module record"), std::string::npos);

  format::ByteWriter stack;
  stack.u32(1);
  stack.u32(1);
  stack.u32(1);
  stack.u8(3);
  stack.u32(7);  // half an address
  ProfileBuilder b2;
  b2.run().raw_record(static_cast<uint32_t>(format::RecordType::kStack), stack.bytes());
  EXPECT_NE(error_of(b2.bytes()).find("shorter than its fields"), std::string::npos);
}

TEST(report_NativeReader, SurvivesRandomCorruption) {
  const std::vector<uint8_t> good = native_profile().bytes();
  std::mt19937 rng(777);
  for (int round = 0; round < 5000; ++round) {
    std::vector<uint8_t> bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) bytes[16 + rng() % (bytes.size() - 16)] = static_cast<uint8_t>(rng());
    if (rng() % 8 == 0) bytes.resize(rng() % bytes.size());
    try {
      parse(bytes);
    } catch (const ProfileError&) {
    }
  }
}

}  // namespace
}  // namespace pyro::report
