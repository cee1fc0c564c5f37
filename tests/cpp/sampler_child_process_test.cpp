// The environment an exec'd image gets (sampler/src/child_process.h).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "child_process.h"

namespace pyro {
namespace {

constexpr char kLibrary[] = "/opt/pyro/libpyrometer_preload.so";

class ExecEnvironmentTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.prepare("out=/p/x.pyro;mode=cpu;role=root", "{\"argv\":[]}", kLibrary); }

  // Builds from a list of "NAME=value" strings; returns the resulting entries.
  std::vector<std::string> build(std::vector<std::string> entries, AgentRole role = AgentRole::kChild) {
    storage_ = std::move(entries);
    std::vector<char*> envp;
    for (std::string& e : storage_) envp.push_back(e.data());
    envp.push_back(nullptr);
    buffers_ = std::make_unique<ExecEnvironment::Buffers>();
    char* const* out = env_.build(envp.data(), role, buffers_.get());
    unchanged_ = out == envp.data();
    std::vector<std::string> result;
    for (char* const* e = out; *e != nullptr; ++e) result.emplace_back(*e);
    return result;
  }

  ExecEnvironment env_;
  std::vector<std::string> storage_;
  std::unique_ptr<ExecEnvironment::Buffers> buffers_;
  bool unchanged_ = false;
};

TEST_F(ExecEnvironmentTest, AddsOurVariablesAsAChild) {
  const auto env = build({"HOME=/root", "PATH=/bin"});
  EXPECT_EQ(env, (std::vector<std::string>{"HOME=/root", "PATH=/bin",
                                           std::string("LD_PRELOAD=") + kLibrary,
                                           "PYROMETER_AGENT=out=/p/x.pyro;mode=cpu;role=child",
                                           "PYROMETER_RUN={\"argv\":[]}"}));
}

TEST_F(ExecEnvironmentTest, KeepsTheProgramsPreloadAfterOurs) {
  const auto env = build({"LD_PRELOAD=/lib/a.so:/lib/b.so", "X=1"});
  EXPECT_EQ(env[0], "X=1");
  EXPECT_EQ(env[1], std::string("LD_PRELOAD=") + kLibrary + ":/lib/a.so:/lib/b.so");
}

TEST_F(ExecEnvironmentTest, DoesNotAddTheLibraryTwice) {
  // Ours first (our interposers must win), the program's others after it.
  const auto env = build({std::string("LD_PRELOAD=/lib/a.so ") + kLibrary});
  EXPECT_EQ(env[0], std::string("LD_PRELOAD=") + kLibrary + ":/lib/a.so");
}

TEST(ExecEnvironmentMemory, ShimFirstAndPythonMallocCarried) {
  ExecEnvironment env;
  env.prepare("out=/p/x.pyro;memory=1", "{}", "/lib/agent.so", "/lib/shim.so");
  ExecEnvironment::Buffers buffers;
  std::vector<std::string> input = {"PYTHONMALLOC=debug", "LD_PRELOAD=/lib/shim.so:/lib/agent.so:/lib/a.so", "A=b"};
  std::vector<char*> envp;
  for (auto& e : input) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> out;
  for (char* const* e = env.build(envp.data(), AgentRole::kChild, &buffers); *e; ++e) out.emplace_back(*e);
  const std::vector<std::string> expected = {
      "A=b", "LD_PRELOAD=/lib/shim.so:/lib/agent.so:/lib/a.so", "PYTHONMALLOC=malloc",
      "PYROMETER_PYTHONMALLOC=debug", "PYROMETER_AGENT=out=/p/x.pyro;memory=1;role=child", "PYROMETER_RUN={}"};
  EXPECT_EQ(out, expected);
}

TEST_F(ExecEnvironmentTest, ReplacesAStaleRunVariable) {
  const auto env = build({"PYROMETER_RUN=old", "A=b"});
  EXPECT_EQ(env.size(), 4u);
  EXPECT_EQ(env.back(), "PYROMETER_RUN={\"argv\":[]}");
}

TEST_F(ExecEnvironmentTest, SuccessorRole) {
  const auto env = build({}, AgentRole::kSuccessor);
  EXPECT_EQ(env[1], "PYROMETER_AGENT=out=/p/x.pyro;mode=cpu;role=successor");
}

TEST_F(ExecEnvironmentTest, LeavesAnEnvironmentThatSetsUpProfilingItself) {
  build({"PYROMETER_AGENT=out=/q.pyro", "A=b"});
  EXPECT_TRUE(unchanged_) << "a nested `pyrometer run` keeps its own settings";
}

TEST_F(ExecEnvironmentTest, TooLongPreloadLeavesTheEnvironmentUnchanged) {
  build({"LD_PRELOAD=" + std::string(ExecEnvironment::kPreloadBytes, 'x')});
  EXPECT_TRUE(unchanged_);
}

TEST(ExecEnvironment, NotPreparedMeansUnchanged) {
  ExecEnvironment env;
  char entry[] = "A=b";
  char* envp[] = {entry, nullptr};
  ExecEnvironment::Buffers buffers;
  EXPECT_EQ(env.build(envp, AgentRole::kChild, &buffers), envp);
}

TEST(ChildProcess, ProfilePathAndRoles) {
  EXPECT_EQ(child_profile_path("/p/x.pyro.children", 42, 7), "/p/x.pyro.children/42.7.pyro");
  AgentRole role = AgentRole::kRoot;
  EXPECT_TRUE(parse_agent_role("successor", &role));
  EXPECT_EQ(role, AgentRole::kSuccessor);
  EXPECT_FALSE(parse_agent_role("grandchild", &role));
  EXPECT_FALSE(process_is_python()) << "this test binary embeds no interpreter";
}

}  // namespace
}  // namespace pyro
