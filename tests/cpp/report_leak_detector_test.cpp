// The leak rule (report/src/leak_detector.h) on synthetic live series: what is a leak and,
// as much, what is not (a step kept, churn, grow-then-free, too little, too short).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "leak_detector.h"

namespace pyro::report {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr uint64_t kBucketNs = 100'000'000;  // 100 buckets: a 10 s run

// A series of n buckets from f(fraction of the run at the bucket's end).
template <typename F>
LeakInput series(size_t n, F f, uint64_t peak_heap = 0) {
  LeakInput in;
  in.bucket_ns = kBucketNs;
  in.duration_ns = kBucketNs * n;
  in.peak_heap_bytes = peak_heap;
  for (size_t i = 0; i < n; ++i) in.live_bytes.push_back(f(static_cast<double>(i + 1) / static_cast<double>(n)));
  return in;
}

TEST(report_LeakDetector, LinearGrowthIsALeak) {
  const LeakAssessment a = assess_leak(series(100, [](double x) { return 200 * kMiB * x; }));
  EXPECT_TRUE(a.leak);
  EXPECT_GT(a.confidence, 0.8);
  EXPECT_NEAR(a.r_squared, 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(a.increasing_fraction, 1.0);
  EXPECT_NEAR(a.growth_bytes_per_s, 20 * kMiB, 1.0);  // 200 MiB over 10 s
}

TEST(report_LeakDetector, GrowthThatStartsLateIsStillALeak) {
  const LeakAssessment a = assess_leak(series(100, [](double x) { return x < 0.5 ? 0.0 : 100 * kMiB * (x - 0.5); }));
  EXPECT_TRUE(a.leak);
  EXPECT_EQ(a.window_points, 10u);
  EXPECT_NEAR(a.growth_bytes_per_s, 10 * kMiB, 1.0);  // 50 MiB over the last 5 s
}

TEST(report_LeakDetector, AStepKeptIsNotALeak) {
  // 500 MB allocated once at 10 % of the run and kept.
  const LeakAssessment a = assess_leak(series(100, [](double x) { return x < 0.1 ? 0.0 : 500e6; }));
  EXPECT_FALSE(a.leak);
  EXPECT_EQ(a.r_squared, 0.0);
  // The same step caught half-way through a part of the run: one rise, then flat.
  const LeakAssessment b = assess_leak(series(100, [](double x) { return x < 0.1 ? 0.0 : x < 0.15 ? 250e6 : 500e6; }));
  EXPECT_FALSE(b.leak);
  EXPECT_LT(b.confidence, 0.2);
  // Late in the run, with only four parts left.
  const LeakAssessment c = assess_leak(series(100, [](double x) { return x < 0.8 ? 0.0 : x < 0.85 ? 250e6 : 500e6; }));
  EXPECT_FALSE(c.leak);
}

TEST(report_LeakDetector, ChurnIsNotALeak) {
  // Allocated and freed within a bucket: live stays near zero.
  std::mt19937 rng(7);
  LeakInput churn = series(100, [&](double) { return static_cast<double>(rng() % 4096); });
  EXPECT_FALSE(assess_leak(churn).leak);
  // A sawtooth: grows to 50 MiB and is freed, again and again.
  const LeakAssessment saw = assess_leak(series(100, [](double x) { return 50 * kMiB * std::fmod(x * 7.3, 1.0); }));
  EXPECT_FALSE(saw.leak) << saw.confidence;
}

TEST(report_LeakDetector, GrowThenFreeIsNotALeak) {
  const LeakAssessment a = assess_leak(series(100, [](double x) { return x < 0.7 ? 300 * kMiB * x : 10 * kMiB; }));
  EXPECT_FALSE(a.leak);
  // Freed only partly: still more than a fifth below the maximum.
  const LeakAssessment b = assess_leak(series(100, [](double x) { return x < 0.9 ? 300 * kMiB * x : 180 * kMiB; }));
  EXPECT_FALSE(b.leak);
}

TEST(report_LeakDetector, NoisyGrowthIsALeakWithLowerConfidence) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> noise(-8 * kMiB, 8 * kMiB);
  const LeakAssessment a = assess_leak(series(100, [&](double x) { return 100 * kMiB * x + 8 * kMiB + noise(rng); }));
  EXPECT_TRUE(a.leak) << a.confidence;
  EXPECT_LT(a.confidence, 0.9);
  EXPECT_GE(a.confidence, 0.5);
  EXPECT_NEAR(a.growth_bytes_per_s, 10 * kMiB, 2 * kMiB);
}

TEST(report_LeakDetector, SparselySampledGrowthIsALeak) {
  // A slow leak that the byte sampling catches about 40 times in the run: a staircase.
  std::mt19937 rng(3);
  double live = 0;
  const LeakAssessment a = assess_leak(series(1000, [&](double) {
    if (rng() % 25 == 0) live += 512 * 1024;
    return live;
  }));
  EXPECT_TRUE(a.leak) << a.confidence;
}

TEST(report_LeakDetector, ShortOrSmallGrowthIsNotALeak) {
  // Three buckets: too few to see a trend.
  EXPECT_FALSE(assess_leak(series(3, [](double x) { return 100 * kMiB * x; })).leak);
  // Growth over only the last 14 % of the run: three parts.
  const LeakAssessment late = assess_leak(series(100, [](double x) { return x < 0.86 ? 0.0 : 100 * kMiB * x; }));
  EXPECT_FALSE(late.leak);
  EXPECT_EQ(late.window_points, 3u);
  // A steady 512 KiB: under 1 MiB, and under 1 % of a 1 GiB heap.
  EXPECT_FALSE(assess_leak(series(100, [](double x) { return 512 * 1024 * x; }, uint64_t{1} << 30)).leak);
  // The same growth is a leak in a program whose heap peaked at 20 MiB (1 % = 200 KiB).
  EXPECT_TRUE(assess_leak(series(100, [](double x) { return 512 * 1024 * x; }, uint64_t{20} << 20)).leak);
  // Nothing, or nothing usable.
  EXPECT_FALSE(assess_leak(LeakInput{}).leak);
  EXPECT_FALSE(assess_leak(series(100, [](double) { return 0.0; })).leak);
}

TEST(report_LeakDetector, ResampleReadsTheLevelAtEachCoarseBucketEnd) {
  const std::vector<int64_t> fine = {1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(resample_series(fine, 10, 20), (std::vector<int64_t>{2, 4, 6, 7}));
  EXPECT_EQ(resample_series(fine, 10, 25), (std::vector<int64_t>{2, 5, 7}));
  EXPECT_EQ(resample_series(fine, 10, 10), fine);
  EXPECT_EQ(resample_series(fine, 10, 1000), (std::vector<int64_t>{7}));
  // Hostile widths do not overflow.
  EXPECT_EQ(resample_series(fine, UINT64_MAX / 2, UINT64_MAX), (std::vector<int64_t>{2, 4, 6, 7}));
}

}  // namespace
}  // namespace pyro::report
