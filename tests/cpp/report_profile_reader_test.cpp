#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "profile_reader.h"
#include "testing/profile_builder.h"
#include "testing/reader_helpers.h"

namespace pyro::report {
namespace {

using testing::Counters;
using testing::native;
using testing::error_of;
using testing::parse;
using testing::ProfileBuilder;
using testing::py;
using testing::truncated;

ProfileBuilder small_profile() {
  ProfileBuilder b;
  b.meta("argv", std::string("app.py\x1f--n\x1f") + "3")
      .meta("python_version", "3.11.7")
      .meta("cwd", "/home/u/proj")
      .run(testing::RunSpec{})
      .function(1, "app.py", "main", 1)
      .function(2, "/usr/lib/python3.11/json/encoder.py", "JSONEncoder.encode", 180)
      .thread(4242, 4242, "MainThread", 1'500'000'000, 2'000'000'000, 150)
      .stack(4242, 4242, {py(1, 12), py(2, 200), native(0x7f00deadbeef)},
             Counters{3, 10'000'000, 20'000'000, 5'000'000, 40'000'000, 30'000'000, 0})
      .timeline({{0, 5'000'000}, {100'000'000, 7'000'000}});
  return b;
}

TEST(report_ProfileReader, RoundTrip) {
  const Profile p = parse(small_profile().bytes());
  EXPECT_EQ(p.meta_value("python_version"), "3.11.7");
  EXPECT_EQ(split_meta_list(p.meta_value("argv")), (std::vector<std::string>{"app.py", "--n", "3"}));
  ASSERT_EQ(p.runs.size(), 1u);
  EXPECT_EQ(p.run().pid, 4242u);
  EXPECT_EQ(p.run().mode, format::Mode::kCpu);
  EXPECT_EQ(p.run().interval_ns, 10'000'000u);
  EXPECT_EQ(p.run().duration_ns, 2'000'000'000u);
  EXPECT_EQ(p.run().samples, 100u);
  ASSERT_EQ(p.functions.size(), 2u);
  EXPECT_EQ(p.functions.at(2).name, "JSONEncoder.encode");
  EXPECT_EQ(p.functions.at(2).first_line, 180);
  ASSERT_EQ(p.threads.size(), 1u);
  EXPECT_EQ(p.threads[0].name, "MainThread");
  EXPECT_EQ(p.threads[0].cpu_ns, 1'500'000'000u);
  ASSERT_EQ(p.stacks.size(), 1u);
  const StackRecord& s = p.stacks[0];
  ASSERT_EQ(s.frames.size(), 3u);
  EXPECT_EQ(s.frames[0].function_id, 1u);
  EXPECT_EQ(s.frames[0].line, 12);
  EXPECT_EQ(s.frames[2].kind, format::FrameKind::kNative);
  EXPECT_EQ(s.frames[2].address, 0x7f00deadbeefu);
  EXPECT_EQ(s.counters[format::kSamples], 3u);
  EXPECT_EQ(s.counters[format::kCpuNativeNs], 20'000'000u);
  EXPECT_EQ(s.counters[format::kWallNs], 40'000'000u);
  EXPECT_EQ(s.counters.cpu_ns(), 35'000'000u);
  ASSERT_EQ(p.timeline.size(), 2u);
  EXPECT_EQ(p.timeline[1].t_ns, 100'000'000u);
}

TEST(report_ProfileReader, RecordsMayComeInAnyOrder) {
  ProfileBuilder b;
  b.stack(1, 1, {py(7, 3)}, Counters{}).function(7, "/a.py", "f", 1).run();
  const Profile p = parse(b.bytes());
  EXPECT_EQ(p.stacks.size(), 1u);
}

TEST(report_ProfileReader, UnknownRecordIsSkipped) {
  ProfileBuilder b = small_profile();
  b.raw_record(77, {1, 2, 3, 4, 5});
  b.raw_record(0x8000, {});
  const Profile p = parse(b.bytes());
  EXPECT_EQ(p.stacks.size(), 1u);
}

TEST(report_ProfileReader, ExtraCountersAreIgnoredMissingOnesAreZero) {
  ProfileBuilder b;
  b.run().function(1, "/a.py", "f", 1);
  b.stack(1, 1, {py(1, 2)}, std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  b.stack(1, 1, {py(1, 2)}, std::vector<uint64_t>{5, 100});
  const Profile p = parse(b.bytes());
  ASSERT_EQ(p.stacks.size(), 2u);
  EXPECT_EQ(p.stacks[0].counters[format::kGilWaitNs], 7u);
  EXPECT_EQ(p.stacks[1].counters[format::kCpuPythonNs], 100u);
  EXPECT_EQ(p.stacks[1].counters[format::kCpuNativeNs], 0u);
}

TEST(report_ProfileReader, TrailingFieldsInAKnownRecordAreAllowed) {
  format::ByteWriter w;
  w.u32(9);
  w.str("/x.py");
  w.str("g");
  w.i32(4);
  w.u64(12345);  // a field from a newer writer
  ProfileBuilder b;
  b.run().raw_record(static_cast<uint32_t>(format::RecordType::kFunction), w.bytes());
  EXPECT_EQ(parse(b.bytes()).functions.at(9).name, "g");
}

TEST(report_ProfileReader, RejectsBadMagic) {
  std::vector<uint8_t> bytes = small_profile().bytes();
  bytes[0] = 'X';
  EXPECT_NE(error_of(bytes).find("not a pyrometer profile"), std::string::npos);
  const std::string text = "#!/usr/bin/env python\nprint('hello')\n";
  EXPECT_NE(error_of(std::vector<uint8_t>(text.begin(), text.end())).find("not a pyrometer profile"),
            std::string::npos);
  EXPECT_NE(error_of({}).find("not a pyrometer profile"), std::string::npos);
}

TEST(report_ProfileReader, RejectsOtherVersions) {
  const std::string what = error_of(small_profile().bytes(true, 2));
  EXPECT_NE(what.find("unsupported profile format version 2"), std::string::npos) << what;
}

TEST(report_ProfileReader, RejectsMissingEndRecord) {
  const std::string what = error_of(small_profile().bytes(false));
  EXPECT_NE(what.find("truncated"), std::string::npos) << what;
}

TEST(report_ProfileReader, EveryPrefixIsRejectedAsTruncated) {
  const std::vector<uint8_t> bytes = small_profile().bytes();
  for (size_t n = 1; n < bytes.size(); ++n) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    const std::string what = error_of(prefix);
    EXPECT_NE(what.find("truncated"), std::string::npos) << "prefix " << n << ": " << what;
  }
}

TEST(report_ProfileReader, RejectsHugeFrameCountWithoutAllocating) {
  format::ByteWriter w;
  w.u32(1);
  w.u32(1);
  w.u32(0xFFFFFFFFu);  // nframes
  w.u8(0);
  ProfileBuilder b;
  b.run().raw_record(static_cast<uint32_t>(format::RecordType::kStack), w.bytes());
  const std::string what = error_of(b.bytes());
  EXPECT_NE(what.find("corrupt"), std::string::npos) << what;
  EXPECT_NE(what.find("4294967295 frames"), std::string::npos) << what;
}

TEST(report_ProfileReader, RejectsHugeCounterAndTimelineCounts) {
  format::ByteWriter stack;
  stack.u32(1);
  stack.u32(1);
  stack.u32(0);
  stack.u32(0x20000000u);  // ncounters
  ProfileBuilder b1;
  b1.run().raw_record(static_cast<uint32_t>(format::RecordType::kStack), stack.bytes());
  EXPECT_NE(error_of(b1.bytes()).find("counters"), std::string::npos);

  format::ByteWriter timeline;
  timeline.u32(0x7FFFFFFFu);
  timeline.u64(1);
  ProfileBuilder b2;
  b2.run().raw_record(static_cast<uint32_t>(format::RecordType::kTimeline), timeline.bytes());
  EXPECT_NE(error_of(b2.bytes()).find("points"), std::string::npos);

  format::ByteWriter meta;
  meta.u32(0xFFFFFFF0u);  // string length far past the payload
  ProfileBuilder b3;
  b3.run().raw_record(static_cast<uint32_t>(format::RecordType::kMeta), meta.bytes());
  EXPECT_NE(error_of(b3.bytes()).find("corrupt"), std::string::npos);
}

TEST(report_ProfileReader, RejectsRecordLengthPastEndOfFile) {
  std::vector<uint8_t> bytes = small_profile().bytes();
  // The first record's length field sits right after the 16-byte header and its type.
  bytes[20] = 0xFF;
  bytes[21] = 0xFF;
  bytes[22] = 0xFF;
  bytes[23] = 0x7F;
  EXPECT_NE(error_of(bytes).find("truncated"), std::string::npos);
}

TEST(report_ProfileReader, RejectsUnknownFunctionId) {
  ProfileBuilder b;
  b.run().function(1, "/a.py", "f", 1).stack(1, 1, {py(1, 2), py(99, 3)}, Counters{});
  const std::string what = error_of(b.bytes());
  EXPECT_NE(what.find("unknown function id 99"), std::string::npos) << what;
}

TEST(report_ProfileReader, RejectsUnknownFrameKindAndMode) {
  format::ByteWriter w;
  w.u32(1);
  w.u32(1);
  w.u32(1);
  w.u8(9);
  w.u32(0);
  ProfileBuilder b;
  b.run().raw_record(static_cast<uint32_t>(format::RecordType::kStack), w.bytes());
  EXPECT_NE(error_of(b.bytes()).find("unknown kind 9"), std::string::npos);

  testing::RunSpec run;
  run.mode = 5;
  ProfileBuilder b2;
  b2.run(run);
  EXPECT_NE(error_of(b2.bytes()).find("unknown mode 5"), std::string::npos);
}

TEST(report_ProfileReader, RejectsEndCountMismatchAndTrailingData) {
  std::vector<uint8_t> bytes = small_profile().bytes();
  bytes[bytes.size() - 8] += 1;  // the End record's count
  EXPECT_NE(error_of(bytes).find("End record counts"), std::string::npos);

  bytes = small_profile().bytes();
  bytes.push_back(0);
  EXPECT_NE(error_of(bytes).find("after the End record"), std::string::npos);
}

TEST(report_ProfileReader, RejectsShortPayloadAndMissingRun) {
  ProfileBuilder b;
  b.run().raw_record(static_cast<uint32_t>(format::RecordType::kThread), {1, 0, 0, 0});
  EXPECT_NE(error_of(b.bytes()).find("Thread record"), std::string::npos);

  ProfileBuilder b2;
  b2.meta("k", "v");
  EXPECT_NE(error_of(b2.bytes()).find("no Run record"), std::string::npos);
}

TEST(report_ProfileReader, ConflictingFunctionDefinitionsAreCorrupt) {
  ProfileBuilder b;
  b.run().function(1, "/a.py", "f", 1).function(1, "/a.py", "f", 1);
  EXPECT_EQ(parse(b.bytes()).functions.size(), 1u);
  b.function(1, "/b.py", "g", 1);
  EXPECT_NE(error_of(b.bytes()).find("defined twice"), std::string::npos);
}

// Random damage must end in a ProfileError or a Profile, never in a crash (run under ASan
// to make this mean more).
TEST(report_ProfileReader, SurvivesRandomCorruption) {
  const std::vector<uint8_t> good = small_profile().bytes();
  std::mt19937 rng(12345);
  for (int round = 0; round < 5000; ++round) {
    std::vector<uint8_t> bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      const size_t at = 16 + rng() % (bytes.size() - 16);
      bytes[at] = static_cast<uint8_t>(rng());
    }
    if (rng() % 8 == 0) bytes.resize(rng() % bytes.size());
    try {
      parse(bytes);
    } catch (const ProfileError&) {
    }
  }
}

TEST(report_ProfileReader, ReadFileNamesTheFile) {
  try {
    ProfileReader::read_file("/nonexistent/dir/x.pyro");
    FAIL();
  } catch (const ProfileError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.pyro"), std::string::npos);
  }
  try {
    ProfileReader::read_file("/");
    FAIL();
  } catch (const ProfileError& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos);
  }
}

TEST(report_ProfileReader, SplitMetaList) {
  EXPECT_TRUE(split_meta_list("").empty());
  EXPECT_EQ(split_meta_list("a"), std::vector<std::string>{"a"});
  EXPECT_EQ(split_meta_list("a\x1f\x1f" "b"), (std::vector<std::string>{"a", "", "b"}));
}

}  // namespace
}  // namespace pyro::report
