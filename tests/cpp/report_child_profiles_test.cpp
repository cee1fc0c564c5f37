// Merging child processes' profiles into the root's (report/src/child_profiles.h).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "child_profiles.h"
#include "json_writer.h"
#include "line_model.h"
#include "profile_reader.h"
#include "source_file_cache.h"
#include "text_summary.h"
#include "testing/fake_symbols.h"
#include "testing/mini_json.h"
#include "testing/profile_builder.h"

namespace pyro::report {
namespace {

using testing::Counters;
using testing::ModuleSpec;
using testing::native;
using testing::native_pc;
using testing::ProfileBuilder;
using testing::py;
using testing::RunSpec;

constexpr uint32_t kRootPid = 100;
constexpr uint32_t kChildPid = 200;
constexpr uint64_t kStart = 1'700'000'000'000'000'000ull;

Profile parse(const ProfileBuilder& b) {
  const std::vector<uint8_t> bytes = b.bytes();
  return ProfileReader::parse(bytes.data(), bytes.size());
}

Counters cpu(uint64_t python_ns) {
  Counters c;
  c.cpu_python_ns = python_ns;
  return c;
}

ProfileBuilder root_profile() {
  RunSpec run;
  run.pid = kRootPid;
  run.start_unix_ns = kStart;
  ProfileBuilder b;
  b.meta("argv", "app.py").meta("cwd", "/work").meta("exclude_prefixes", "/usr/lib/python3.11/");
  b.run(run)
      .function(1, "app.py", "main", 1)
      .function(2, "app.py", "work", 10)
      .thread(kRootPid, kRootPid, "MainThread", 300, 0, 3)
      .stack(kRootPid, kRootPid, {py(1, 5), py(2, 12)}, cpu(300))
      .timeline({{0, 100}, {100'000'000, 200}})
      .module(ModuleSpec{"/usr/bin/python3.11", 0x1000, "abcd", {{0x2000, 0x3000}}})
      .capture_stats({1, 2});
  return b;
}

// A child with its own function ids (7 is "work" again, 8 is new) and a later start.
ProfileBuilder child_profile(const std::string& cwd = "/work") {
  RunSpec run;
  run.pid = kChildPid;
  run.start_unix_ns = kStart + 250'000'000;
  run.samples = 5;
  ProfileBuilder b;
  b.meta("argv", std::string("-c\x1f") + "x").meta("cwd", cwd);
  b.meta("exclude_prefixes", std::string("/usr/lib/python3.11/\x1f") + "/opt/py/lib/");
  b.run(run)
      .function(7, "app.py", "work", 10)
      .function(8, "child.py", "burn", 3)
      .thread(kChildPid, kChildPid, "MainThread", 500, 0, 5)
      .stack(kChildPid, kChildPid, {py(7, 12)}, cpu(200))
      .stack(kChildPid, kChildPid, {py(8, 4)}, cpu(300))
      .timeline({{0, 50}, {100'000'000, 60}, {200'000'000, 70}})
      .capture_stats({0, 1, 5});
  return b;
}

const FunctionInfo& function_of(const Profile& p, uint32_t id) { return p.functions.at(id); }

TEST(ChildProfiles, FunctionsAreReinternedByContentAndStacksKeepTheirPid) {
  Profile merged = parse(root_profile());
  merge_child_profile(merged, parse(child_profile()));

  ASSERT_EQ(merged.stacks.size(), 3u);
  const StackRecord& same_function = merged.stacks[1];
  EXPECT_EQ(same_function.pid, kChildPid);
  EXPECT_EQ(same_function.frames[0].function_id, 2u) << "app.py:work already had id 2";
  const StackRecord& new_function = merged.stacks[2];
  const FunctionInfo& burn = function_of(merged, new_function.frames[0].function_id);
  EXPECT_EQ(burn.path, "child.py");
  EXPECT_EQ(burn.name, "burn");
  EXPECT_NE(new_function.frames[0].function_id, 1u);
  EXPECT_NE(new_function.frames[0].function_id, 2u);

  ASSERT_EQ(merged.threads.size(), 2u);
  EXPECT_EQ(merged.threads[1].pid, kChildPid);
  ASSERT_EQ(merged.runs.size(), 2u);
  EXPECT_EQ(merged.run().pid, kRootPid) << "the root stays the report's run";
  EXPECT_EQ(merged.runs[1].pid, kChildPid);
  EXPECT_EQ(merged.runs[1].argv, std::string("-c\x1f") + "x");
  EXPECT_EQ(merged.meta_value("argv"), "app.py");
  EXPECT_EQ(merged.capture_histogram, (std::vector<uint64_t>{1, 3, 5}));
  EXPECT_EQ(split_meta_list(merged.meta_value("exclude_prefixes")),
            (std::vector<std::string>{"/usr/lib/python3.11/", "/opt/py/lib/"}));
}

TEST(ChildProfiles, RelativePathsOfAChildInAnotherDirectoryBecomeAbsolute) {
  Profile merged = parse(root_profile());
  merge_child_profile(merged, parse(child_profile("/elsewhere")));
  EXPECT_EQ(function_of(merged, merged.stacks[1].frames[0].function_id).path, "/elsewhere/app.py");
  EXPECT_EQ(function_of(merged, merged.stacks[2].frames[0].function_id).path, "/elsewhere/child.py");
}

TEST(ChildProfiles, LinesSumCpuAcrossProcesses) {
  Profile merged = parse(root_profile());
  merge_child_profile(merged, parse(child_profile()));
  testing::FakeSymbols symbols;
  const LineModel model(merged, &symbols);
  EXPECT_EQ(model.total_cpu_ns(), 800u);
  uint64_t line12 = 0;
  for (const FileLines& file : model.files())
    if (file.path == "/work/app.py") line12 = file.lines.at(12).cpu_python_ns;
  EXPECT_EQ(line12, 500u) << "root 300 + child 200 on app.py:12";
}

TEST(ChildProfiles, SpawnedChildAddressesMapOntoTheRootsModule) {
  // The same interpreter loaded 0x100000 higher in the child (ASLR).
  ProfileBuilder child = child_profile();
  child.module(ModuleSpec{"/usr/bin/python3.11", 0x101000, "abcd", {{0x102000, 0x103000}}});
  child.stack(kChildPid, kChildPid, {py(7, 12), native(0x102500), native_pc(0x102800)}, cpu(10));
  Profile merged = parse(root_profile());
  merge_child_profile(merged, parse(child));
  EXPECT_EQ(merged.modules.size(), 1u) << "no second copy of the interpreter";
  const StackRecord& stack = merged.stacks.back();
  EXPECT_EQ(stack.frames[1].address, 0x2500u);
  EXPECT_EQ(stack.frames[2].address, 0x2800u);
}

TEST(ChildProfiles, ReturnAddressAtAModuleEndStaysInThatModule) {
  ProfileBuilder child = child_profile();
  child.module(ModuleSpec{"/usr/bin/python3.11", 0x101000, "abcd", {{0x102000, 0x103000}}});
  child.stack(kChildPid, kChildPid, {native(0x103000)}, cpu(10));
  Profile merged = parse(root_profile());
  merge_child_profile(merged, parse(child));
  EXPECT_EQ(merged.stacks.back().frames[0].address, 0x3000u);
}

TEST(ChildProfiles, AnUnknownModuleThatCollidesIsMovedToFreeAddresses) {
  ProfileBuilder child = child_profile();
  child.module(ModuleSpec{"/opt/ext.so", 0x2000, "ffff", {{0x2400, 0x2800}}});  // overlaps the interpreter
  child.module(ModuleSpec{"/opt/other.so", 0x9000, "eeee", {{0x9000, 0x9100}}});  // free: kept
  child.stack(kChildPid, kChildPid, {native_pc(0x2450), native_pc(0x9010)}, cpu(10));
  Profile merged = parse(root_profile());
  merge_child_profile(merged, parse(child));
  ASSERT_EQ(merged.modules.size(), 3u);
  const ModuleInfo& moved = merged.modules[1];
  EXPECT_EQ(moved.path, "/opt/ext.so");
  ASSERT_EQ(moved.ranges.size(), 1u);
  EXPECT_GE(moved.ranges[0].start, 0x3000u) << "above everything that was there";
  EXPECT_EQ(moved.ranges[0].start - moved.load_bias, 0x2400u - 0x2000u) << "file offsets unchanged";
  const StackRecord& stack = merged.stacks.back();
  EXPECT_EQ(stack.frames[0].address, moved.ranges[0].start + 0x50);
  EXPECT_EQ(stack.frames[1].address, 0x9010u);
  EXPECT_EQ(merged.modules[2].load_bias, 0x9000u);
}

TEST(ChildProfiles, TimelineIsShiftedByTheChildsStartAndRebucketed) {
  Profile merged = parse(root_profile());
  merge_child_profile(merged, parse(child_profile()));
  // Child points at 250, 350, 450 ms fall into the root's 100 ms buckets 2, 3, 4.
  ASSERT_EQ(merged.timeline.size(), 5u);
  EXPECT_EQ(merged.timeline[0].cpu_ns, 100u);
  EXPECT_EQ(merged.timeline[1].cpu_ns, 200u);
  EXPECT_EQ(merged.timeline[2].cpu_ns, 50u);
  EXPECT_EQ(merged.timeline[4].t_ns, 400'000'000u);
  EXPECT_EQ(merged.timeline[4].cpu_ns, 70u);
}

TEST(ChildProfiles, JsonListsProcessesAndPidsOfThreadsAndStacks) {
  Profile merged = parse(root_profile());
  merge_child_profile(merged, parse(child_profile()));
  testing::FakeSymbols symbols;
  const LineModel model(merged, &symbols);
  const auto json = testing::Json::parse(JsonWriter(merged, model).render());
  const auto& processes = json["processes"];
  ASSERT_EQ(processes.items.size(), 2u);
  EXPECT_EQ(processes[0]["pid"].number, 100);
  EXPECT_TRUE(processes[0]["root"].boolean);
  EXPECT_EQ(processes[1]["pid"].number, 200);
  EXPECT_EQ(processes[1]["argv"][1].text, "x");
  EXPECT_DOUBLE_EQ(processes[1]["start_s"].number, 0.25);
  EXPECT_EQ(json["threads"][1]["pid"].number, 200);
  EXPECT_EQ(json["stacks"][2]["pid"].number, 200);
  EXPECT_DOUBLE_EQ(json["duration_s"].number, 2.0) << "the root's duration";
  EXPECT_DOUBLE_EQ(json["cpu_s"].number, 800e-9) << "children included";
}

TEST(ChildProfiles, TextSummarySaysHowManyProcesses) {
  Profile merged = parse(root_profile());
  merge_child_profile(merged, parse(child_profile()));
  testing::FakeSymbols symbols;
  const LineModel model(merged, &symbols);
  SourceFileCache sources;
  const std::string text = TextSummary(merged, model, sources).render(TextSummaryOptions{});
  EXPECT_NE(text.find("2 threads in 2 processes"), std::string::npos) << text;
}

class ChildProfileFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/pyro-children-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    root_ = dir_ + "/p.pyro";
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  static void write(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  std::string dir_, root_;
};

TEST_F(ChildProfileFiles, ReadsTheRootAloneWhenThereAreNoChildren) {
  write(root_, root_profile().bytes());
  std::vector<std::string> warnings;
  const Profile p = read_profile_with_children(root_, &warnings);
  EXPECT_EQ(p.runs.size(), 1u);
  EXPECT_EQ(p.run().argv, "app.py");
  EXPECT_TRUE(warnings.empty());
}

TEST_F(ChildProfileFiles, MergesEveryChildAndSkipsTempAndCorruptFiles) {
  write(root_, root_profile().bytes());
  const std::string children = children_directory(root_);
  ASSERT_EQ(mkdir(children.c_str(), 0700), 0);
  write(children + "/200.5.pyro", child_profile().bytes());
  write(children + "/200.5.pyro.tmp.200", child_profile().bytes());  // a writer's temp file
  write(children + "/300.9.pyro", {'P', 'Y', 'R', 'O'});             // corrupt
  std::vector<std::string> warnings;
  const Profile p = read_profile_with_children(root_, &warnings);
  EXPECT_EQ(p.runs.size(), 2u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("300.9.pyro"), std::string::npos) << warnings[0];
  EXPECT_EQ(child_profile_paths(root_), (std::vector<std::string>{children + "/200.5.pyro", children + "/300.9.pyro"}));
}

}  // namespace
}  // namespace pyro::report
