#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <string>

#include "capture.h"
#include "cpu_timer.h"
#include "safe_access.h"
#include "thread_registry.h"

namespace pyro {
namespace {

const std::string kFile = "/app/main.py";
const std::string kOuter = "outer", kInner = "inner";
uint32_t g_fake_flags = 0;
void* g_bad_address = nullptr;

int fake_walk(PyroPyFrame* out, int max, uint32_t* flags) {
  if (max < 2) return 0;
  auto fill = [](PyroPyFrame& f, const std::string& name, int first, int line) {
    std::memset(&f, 0, sizeof f);
    f.file = kFile.data();
    f.file_len = static_cast<uint32_t>(kFile.size());
    f.file_kind = 1;
    f.name = name.data();
    f.name_len = static_cast<uint32_t>(name.size());
    f.name_kind = 1;
    f.first_line = first;
    f.line = line;
  };
  fill(out[0], kInner, 10, 12);
  fill(out[1], kOuter, 1, 4);
  *flags = g_fake_flags;
  return 2;
}

int faulting_walk(PyroPyFrame*, int, uint32_t*) {
  return *static_cast<volatile int*>(g_bad_address);  // an unmapped page: SIGSEGV
}

class CaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static bool once = [] {
      capture_state().functions.init(1 << 12, 1 << 20);
      return SafeAccess::install();
    }();
    ASSERT_TRUE(once);
    slot_ = registry_.register_current();
    ASSERT_NE(slot_, nullptr);
    walker_ = PyroWalker{PYRO_WALKER_ABI_VERSION, fake_walk, {0x1000, 0x2000}, {0x1000, 0x9000}};
    capture_state().walker.store(&walker_);
    capture_state().mode = format::Mode::kCpu;
  }
  void TearDown() override { capture_state().walker.store(nullptr); }

  RawSample take_one() {
    RawSample out{};
    int n = 0;
    slot_->ring->drain([&](const RawSample& s) {
      out = s;
      ++n;
    });
    EXPECT_EQ(n, 1);
    return out;
  }

  ThreadRegistry registry_;
  ThreadSlot* slot_ = nullptr;
  PyroWalker walker_{};
};

TEST_F(CaptureTest, RecordsInternedFramesInnermostFirst) {
  g_fake_flags = PYRO_WALK_GIL_HELD;
  capture_sample(slot_, 0x1500);
  RawSample s = take_one();
  ASSERT_EQ(s.python_depth, 2u);
  EXPECT_EQ(s.python[0].line, 12);
  EXPECT_EQ(s.python[1].line, 4);
  FunctionInfo info;
  ASSERT_TRUE(capture_state().functions.lookup(s.python[0].function_id, &info));
  EXPECT_EQ(info.name, "inner");
  EXPECT_TRUE(s.flags & kSampleGilHeld);
  EXPECT_FALSE(s.flags & kSampleNativePc);  // PC in the eval loop
}

TEST_F(CaptureTest, ClassifiesPcAsPythonOrNative) {
  g_fake_flags = 0;
  capture_sample(slot_, 0x5000);  // interpreter helper, not in a call: Python
  EXPECT_FALSE(take_one().flags & kSampleNativePc);
  g_fake_flags = PYRO_WALK_IN_CALL;
  capture_sample(slot_, 0x5000);  // interpreter code run by a call instruction: a C builtin
  EXPECT_TRUE(take_one().flags & kSampleNativePc);
  g_fake_flags = 0;
  capture_sample(slot_, 0x7f0000001000);  // an extension module or libc
  EXPECT_TRUE(take_one().flags & kSampleNativePc);
}

TEST_F(CaptureTest, FaultInWalkerIsContained) {
  g_bad_address = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(g_bad_address, MAP_FAILED);
  walker_.walk_current_thread = faulting_walk;
  unsigned long before = SafeAccess::faults();
  capture_sample(slot_, 0x1500);
  RawSample s = take_one();
  EXPECT_EQ(s.python_depth, 0u);
  EXPECT_TRUE(s.flags & kSampleWalkFaulted);
  EXPECT_EQ(SafeAccess::faults(), before + 1);
  // And the guard is re-armable: a second fault is contained too.
  capture_sample(slot_, 0x1500);
  EXPECT_TRUE(take_one().flags & kSampleWalkFaulted);
  munmap(g_bad_address, 4096);
}

TEST_F(CaptureTest, FaultWithEverySignalBlockedIsContained) {
  // The drain thread runs with every signal blocked, and a sample can interrupt the
  // program's own SIGSEGV handler: a guarded read must still catch its fault there, and
  // leave the mask as it found it.
  void* bad = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(bad, MAP_FAILED);
  sigset_t all, before, after;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &before);
  int value = 0;
  const bool completed = SafeAccess::run([&] { value = *static_cast<volatile int*>(bad); });
  const bool fine = SafeAccess::run([&] { value = 42; });
  pthread_sigmask(SIG_SETMASK, &before, &after);
  EXPECT_FALSE(completed);
  EXPECT_TRUE(fine);
  EXPECT_EQ(value, 42);
  EXPECT_EQ(sigismember(&after, SIGSEGV), 1);
  EXPECT_EQ(sigismember(&after, SIGUSR1), 1);
  munmap(bad, 4096);
}

TEST_F(CaptureTest, FullRingDropsAndCounts) {
  for (uint32_t i = 0; i < kRingCapacity + 3; ++i) capture_sample(slot_, 0x1500);
  EXPECT_EQ(slot_->dropped.load(), 3u);
  uint32_t n = slot_->ring->drain([](const RawSample&) {});
  EXPECT_EQ(n, kRingCapacity);
}

TEST_F(CaptureTest, CpuTimerDeliversSamplesToThisThread) {
  ASSERT_TRUE(install_sample_handler());
  set_current_slot(slot_);
  capture_state().sampling.store(true);
  slot_->last_cpu_ns = thread_cpu_ns();
  std::string error;
  ASSERT_TRUE(create_cpu_timer(slot_, 5'000'000, &error)) << error;
  uint64_t cpu_samples = 0, total_cpu = 0;
  const uint64_t begin = thread_cpu_ns();
  volatile uint64_t sink = 0;
  while (thread_cpu_ns() - begin < 300'000'000ULL) {
    for (int i = 0; i < 10000; ++i) sink = sink + i;
    slot_->ring->drain([&](const RawSample& s) {
      ++cpu_samples;
      total_cpu += s.cpu_ns;
    });
  }
  delete_cpu_timer(slot_);
  capture_state().sampling.store(false);
  set_current_slot(nullptr);
  // 300 ms of CPU at a 5 ms mean: dozens of samples, and their CPU deltas add up to the
  // CPU actually used (minus the part after the last sample).
  EXPECT_GT(cpu_samples, 10u);
  EXPECT_GT(total_cpu, 150'000'000ULL);
  EXPECT_LE(total_cpu, 400'000'000ULL);
}

}  // namespace
}  // namespace pyro
