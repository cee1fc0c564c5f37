#include <gtest/gtest.h>

#include <random>

#include "line_model.h"
#include "path_utils.h"
#include "profile_reader.h"
#include "testing/profile_builder.h"

namespace pyro::report {
namespace {

using testing::Counters;
using testing::native;
using testing::ProfileBuilder;
using testing::py;
using testing::truncated;

constexpr const char* kStdlib = "/usr/lib/python3.11";
constexpr const char* kSitePackages = "/usr/lib/python3/dist-packages";

Profile parse(const ProfileBuilder& b) {
  const std::vector<uint8_t> bytes = b.bytes();
  return ProfileReader::parse(bytes.data(), bytes.size());
}

// A user script calling into json (stdlib), plus helpers every test shares.
ProfileBuilder base(bool profile_all = false) {
  ProfileBuilder b;
  b.meta("cwd", "/home/u/proj")
      .meta("exclude_prefixes", std::string(kStdlib) + "\x1f" + kSitePackages)
      .run()
      .function(1, "app.py", "<module>", 1)
      .function(2, "app.py", "work", 10)
      .function(3, "/usr/lib/python3.11/json/encoder.py", "JSONEncoder.encode", 180)
      .function(4, "<string>", "<module>", 1)
      .function(5, "<frozen os>", "getenv", 770)
      .function(6, "/home/u/proj/lib/util.py", "helper", 3);
  if (profile_all) b.meta("profile_all", "1");
  return b;
}

Counters cpu(uint64_t python_ns, uint64_t native_ns = 0, uint64_t system_ns = 0) {
  Counters c;
  c.cpu_python_ns = python_ns;
  c.cpu_native_ns = native_ns;
  c.cpu_system_ns = system_ns;
  return c;
}

TEST(report_LineModel, ChargesInnermostProfiledFrame) {
  ProfileBuilder b = base();
  // app.py:<module>:30 -> work:12 -> json encode:200 -> native code
  b.stack(1, 1, {py(1, 30), py(2, 12), py(3, 200), native(0x1234)}, cpu(1000, 5000, 300));
  const LineModel m(parse(b));
  ASSERT_EQ(m.files().size(), 1u);
  const FileLines& app = m.files()[0];
  EXPECT_EQ(app.path, "/home/u/proj/app.py");
  ASSERT_EQ(app.lines.size(), 1u);
  const LineCounters& line = app.lines.at(12);
  EXPECT_EQ(line.cpu_python_ns, 1000u);
  EXPECT_EQ(line.cpu_native_ns, 5000u);
  EXPECT_EQ(line.cpu_system_ns, 300u);
  EXPECT_EQ(m.unattributed_cpu_ns(), 0u);
  ASSERT_EQ(app.functions.size(), 1u);
  EXPECT_EQ(app.functions[0].name, "work");
  EXPECT_EQ(app.functions[0].first_line, 10);
  EXPECT_EQ(app.functions[0].cpu_ns, 6300u);
}

TEST(report_LineModel, ProfileAllChargesTheLibraryLine) {
  ProfileBuilder b = base(true);
  b.stack(1, 1, {py(1, 30), py(2, 12), py(3, 200), native(0x1234)}, cpu(1000));
  const LineModel m(parse(b));
  ASSERT_EQ(m.files().size(), 1u);
  EXPECT_EQ(m.files()[0].path, "/usr/lib/python3.11/json/encoder.py");
  EXPECT_EQ(m.files()[0].lines.count(200), 1u);
}

TEST(report_LineModel, PseudoFilesAreNeverProfiled) {
  for (bool all : {false, true}) {
    ProfileBuilder b = base(all);
    b.stack(1, 1, {py(1, 5), py(4, 1), py(5, 780)}, cpu(700));
    const LineModel m(parse(b));
    ASSERT_EQ(m.files().size(), 1u) << "profile_all=" << all;
    EXPECT_EQ(m.files()[0].path, "/home/u/proj/app.py");
    EXPECT_EQ(m.files()[0].lines.at(5).cpu_python_ns, 700u);
  }
}

TEST(report_LineModel, StacksWithoutProfiledFrameAreUnattributed) {
  ProfileBuilder b = base();
  b.stack(1, 1, {py(3, 200)}, cpu(400, 100));
  b.stack(1, 1, {native(0x1), native(0x2)}, cpu(0, 50, 25));
  b.stack(1, 1, {py(4, 1)}, cpu(9));
  const LineModel m(parse(b));
  EXPECT_TRUE(m.files().empty());
  EXPECT_EQ(m.unattributed_cpu_ns(), 584u);
  EXPECT_EQ(m.total_cpu_ns(), 584u);
}

TEST(report_LineModel, ExcludePrefixMatchesWholeComponents) {
  ProfileBuilder b;
  b.meta("cwd", "/").meta("exclude_prefixes", "/opt/py/lib/").run();
  b.function(1, "/opt/py/lib/os.py", "f", 1).function(2, "/opt/py/lib2/mine.py", "g", 1);
  b.stack(1, 1, {py(2, 4), py(1, 8)}, cpu(10));
  const LineModel m(parse(b));
  ASSERT_EQ(m.files().size(), 1u);
  EXPECT_EQ(m.files()[0].path, "/opt/py/lib2/mine.py");
}

TEST(report_LineModel, RelativePathsResolveAgainstCwdAndNormalize) {
  ProfileBuilder b;
  b.meta("cwd", "/home/u/proj/").run();
  b.function(1, "./sub/../tools//run.py", "f", 1);
  b.stack(1, 1, {py(1, 2)}, cpu(10));
  const LineModel m(parse(b));
  ASSERT_EQ(m.files().size(), 1u);
  EXPECT_EQ(m.files()[0].path, "/home/u/proj/tools/run.py");
}

TEST(report_LineModel, UnknownLineFallsBackToFirstLine) {
  ProfileBuilder b = base();
  b.stack(1, 1, {py(2, -1)}, cpu(10));
  const LineModel m(parse(b));
  ASSERT_EQ(m.files().size(), 1u);
  EXPECT_EQ(m.files()[0].lines.count(10), 1u);
}

TEST(report_LineModel, FilesSortedByCpuLinesByNumber) {
  ProfileBuilder b = base();
  b.stack(1, 1, {py(6, 9)}, cpu(100));
  b.stack(1, 1, {py(1, 40)}, cpu(300));
  b.stack(2, 7, {truncated(), py(1, 3)}, cpu(200));
  const LineModel m(parse(b));
  ASSERT_EQ(m.files().size(), 2u);
  EXPECT_EQ(m.files()[0].path, "/home/u/proj/app.py");
  EXPECT_EQ(m.files()[1].path, "/home/u/proj/lib/util.py");
  std::vector<int32_t> lines;
  for (const auto& [line, c] : m.files()[0].lines) lines.push_back(line);
  EXPECT_EQ(lines, (std::vector<int32_t>{3, 40}));
  EXPECT_EQ(m.charges()[0].file, 1u);
  EXPECT_EQ(m.charges()[1].file, 0u);
  EXPECT_EQ(m.charges()[1].line, 40);
}

TEST(report_LineModel, WallOnlySamplesStillMakeRows) {
  ProfileBuilder b = base();
  Counters wall;
  wall.wall_ns = 5'000'000;
  b.stack(1, 1, {py(2, 15)}, wall);
  const LineModel m(parse(b));
  ASSERT_EQ(m.files().size(), 1u);
  EXPECT_EQ(m.files()[0].lines.at(15).wall_ns, 5'000'000u);
}

TEST(report_LineModel, CpuInvariantHoldsOnRandomStacks) {
  ProfileBuilder b = base();
  std::mt19937 rng(7);
  uint64_t expected_total = 0;
  for (int i = 0; i < 500; ++i) {
    std::vector<testing::FrameSpec> frames;
    const int depth = static_cast<int>(rng() % 6);
    for (int d = 0; d < depth; ++d) {
      if (rng() % 4 == 0) {
        frames.push_back(native(rng()));
      } else {
        frames.push_back(py(1 + rng() % 6, static_cast<int32_t>(rng() % 50) - 1));
      }
    }
    const Counters c = cpu(rng() % 1'000'000, rng() % 1'000'000, rng() % 1'000'000);
    expected_total += c.cpu_python_ns + c.cpu_native_ns + c.cpu_system_ns;
    b.stack(1, 1 + rng() % 3, frames, c);
  }
  const LineModel m(parse(b));
  uint64_t lines_total = 0;
  for (const FileLines& f : m.files()) {
    uint64_t file_total = 0;
    for (const auto& [line, c] : f.lines) file_total += c.cpu_ns();
    EXPECT_EQ(file_total, f.cpu_ns);
    lines_total += file_total;
  }
  EXPECT_EQ(m.total_cpu_ns(), expected_total);
  EXPECT_EQ(lines_total + m.unattributed_cpu_ns(), m.total_cpu_ns());
}

TEST(report_PathUtils, Normalization) {
  EXPECT_EQ(absolute_normalized_path("a/b/../c", "/x"), "/x/a/c");
  EXPECT_EQ(absolute_normalized_path("/../a/./b/", "/x"), "/a/b");
  EXPECT_EQ(absolute_normalized_path("", "/x/y"), "/x/y");
  EXPECT_EQ(absolute_normalized_path("..", "/"), "/");
  EXPECT_TRUE(path_is_under("/usr/lib/x.py", "/usr/lib"));
  EXPECT_TRUE(path_is_under("/usr/lib", "/usr/lib/"));
  EXPECT_FALSE(path_is_under("/usr/lib64/x.py", "/usr/lib"));
  EXPECT_FALSE(path_is_under("/usr/lib/x.py", ""));
}

}  // namespace
}  // namespace pyro::report
