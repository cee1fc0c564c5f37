#include <gtest/gtest.h>

#include <cstring>

#include "aggregator.h"

namespace pyro {
namespace {

RawSample sample(std::initializer_list<PythonFrameRef> frames, uint64_t cpu, uint64_t system, uint32_t flags) {
  RawSample s;
  std::memset(&s, 0, sizeof s);
  s.cpu_ns = cpu;
  s.system_ns = system;
  s.flags = flags;
  for (const auto& f : frames) s.python[s.python_depth++] = f;
  return s;
}

TEST(Aggregator, SplitsCpuIntoPythonNativeSystem) {
  Aggregator agg(format::Mode::kCpu, 0);
  uint32_t t = agg.add_thread(7, "MainThread");
  agg.add_sample(t, sample({{1, 10}}, 1000, 100, 0));
  agg.add_sample(t, sample({{1, 10}}, 500, 0, kSampleNativePc | kSampleGilHeld));
  ASSERT_EQ(agg.stacks().size(), 1u);
  const uint64_t* c = agg.stacks()[0].counters.values;
  EXPECT_EQ(c[format::kSamples], 2u);
  EXPECT_EQ(c[format::kCpuPythonNs], 900u);
  EXPECT_EQ(c[format::kCpuNativeNs], 500u);
  EXPECT_EQ(c[format::kCpuSystemNs], 100u);
  EXPECT_EQ(c[format::kGilHeldNs], 500u);
  EXPECT_EQ(agg.threads()[t].cpu_ns, 1500u);
  EXPECT_EQ(agg.samples(), 2u);
}

TEST(Aggregator, DistinctStacksAndThreadsStayApart) {
  Aggregator agg(format::Mode::kCpu, 0);
  uint32_t a = agg.add_thread(1, "a"), b = agg.add_thread(2, "b");
  agg.add_sample(a, sample({{1, 10}, {2, 20}}, 1, 0, 0));
  agg.add_sample(a, sample({{1, 11}, {2, 20}}, 1, 0, 0));  // other line
  agg.add_sample(b, sample({{1, 10}, {2, 20}}, 1, 0, 0));  // other thread
  agg.add_sample(a, sample({{1, 10}, {2, 20}}, 1, 0, 0));
  EXPECT_EQ(agg.stacks().size(), 3u);
}

TEST(Aggregator, IdleTimeGoesToTheLastStack) {
  Aggregator agg(format::Mode::kWall, 0);
  uint32_t t = agg.add_thread(1, "a");
  agg.add_idle(t, 50);  // before any sample: counted for the thread only
  RawSample s = sample({{1, 5}}, 0, 0, 0);
  s.wall_delta_ns = 10;
  agg.add_sample(t, s);
  RawSample next = sample({{1, 6}}, 0, 0, 0);
  next.wall_delta_ns = 10;
  next.idle_before_ns = 1000;  // blocked at line 5 before moving to line 6
  agg.add_sample(t, next);
  ASSERT_EQ(agg.stacks().size(), 2u);
  EXPECT_EQ(agg.stacks()[0].counters.values[format::kWallNs], 1010u);
  EXPECT_EQ(agg.stacks()[1].counters.values[format::kWallNs], 10u);
  EXPECT_EQ(agg.threads()[t].wall_ns, 1070u);
}

TEST(Aggregator, StackTableIsBounded) {
  Aggregator agg(format::Mode::kCpu, 0);
  uint32_t t = agg.add_thread(1, "a");
  for (uint32_t i = 0; i < Aggregator::kMaxStacks + 5000; ++i) {
    agg.add_sample(t, sample({{7, 1}, {i, static_cast<int32_t>(i)}}, 1, 0, 0));
  }
  // Past the limit, new stacks fold by their innermost frame (here always {7, 1}).
  EXPECT_EQ(agg.stacks().size(), Aggregator::kMaxStacks + 1);
  EXPECT_EQ(agg.stacks().back().frames.size(), 1u);
  EXPECT_EQ(agg.stacks().back().counters.values[format::kSamples], 5000u);
}

TEST(Aggregator, LeafPcsPerStackAreBounded) {
  Aggregator agg(format::Mode::kCpu, 0);
  agg.set_eval_loop({0x1000, 0x2000});
  uint32_t t = agg.add_thread(1, "a");
  auto native_sample = [](uint64_t leaf_pc) {
    RawSample s = sample({{1, 10}}, 1, 0, kSampleNativePc);
    s.native[0] = leaf_pc;      // interrupted in a C function...
    s.native[1] = 0x900000;     // ...called from another one...
    s.native[2] = 0x1500;       // ...called from the eval loop running {1, 10}
    s.native_depth = 3;
    return s;
  };
  // A long run in one 800-byte C function: 100 distinct PCs, seen 50 times each.
  for (uint64_t i = 0; i < 5000; ++i) agg.add_sample(t, native_sample(0x700000 + (i * 8) % 800));
  EXPECT_EQ(agg.stacks().size(), Aggregator::kExactLeafPcs);
  EXPECT_EQ(agg.folded_leaf_pcs(), 50u * (100u - Aggregator::kExactLeafPcs));
  uint64_t samples = 0;
  for (const auto& st : agg.stacks()) samples += st.counters.values[format::kSamples];
  EXPECT_EQ(samples, 5000u);
  // A PC far from all of them (another function behind the same call site) stays apart.
  agg.add_sample(t, native_sample(0x7a0000));
  EXPECT_EQ(agg.stacks().size(), Aggregator::kExactLeafPcs + 1);
  EXPECT_EQ(agg.stacks().back().frames.front().address, 0x7a0000u);
}

TEST(Aggregator, TimelineDownsamplesInsteadOfGrowing) {
  Aggregator agg(format::Mode::kCpu, 0);
  uint32_t t = agg.add_thread(1, "a");
  uint64_t total = 0;
  for (uint64_t i = 0; i < 10000; ++i) {
    RawSample s = sample({{1, 1}}, 3, 0, 0);
    s.wall_ns = i * 100'000'000ULL;  // 1000 s of run
    agg.add_sample(t, s);
    total += 3;
  }
  EXPECT_LE(agg.timeline().size(), Aggregator::kMaxTimelineBuckets);
  uint64_t sum = 0;
  for (uint64_t v : agg.timeline()) sum += v;
  EXPECT_EQ(sum, total);
}

}  // namespace
}  // namespace pyro

namespace pyro {
namespace {

TEST(Aggregator, TailCpuJoinsTheLastStackWithItsClass) {
  Aggregator agg(format::Mode::kCpu, 0);
  uint32_t t = agg.add_thread(1, "a");
  agg.add_sample(t, sample({{1, 5}}, 1000, 0, kSampleNativePc));
  agg.add_tail_cpu(t, 300);
  EXPECT_EQ(agg.threads()[t].cpu_ns, 1300u);
  EXPECT_EQ(agg.stacks()[0].counters.values[format::kCpuNativeNs], 1300u);
  uint32_t quick = agg.add_thread(2, "quick");
  agg.add_tail_cpu(quick, 100);  // never sampled: kept on a frameless stack of its own
  EXPECT_EQ(agg.threads()[quick].cpu_ns, 100u);
  EXPECT_EQ(agg.stacks().size(), 2u);
  EXPECT_TRUE(agg.stacks()[1].frames.empty());
}

}  // namespace
}  // namespace pyro
