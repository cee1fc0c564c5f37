// The expiry sequence of the CPU timer (step_expiries): what a sample accounts, and where
// the next expiry falls when the signal arrives late.
#include <gtest/gtest.h>

#include <cstdint>

#include "cpu_timer.h"

namespace pyro {
namespace {

constexpr uint64_t kInterval = 10'000'000;  // 10 ms

TEST(CpuTimerExpiries, SignalNotFromOurTimerAccountsUpToNow) {
  uint64_t rng = 7;
  const uint64_t now = 5 * kInterval;
  const ExpiryStep step = step_expiries(0, now, kInterval, rng);
  EXPECT_EQ(step.accounted_to, now);
  EXPECT_GE(step.next, now + kInterval / 2);
  EXPECT_LT(step.next, now + 3 * kInterval / 2);
}

TEST(CpuTimerExpiries, LateDeliveryAccountsUpToTheExpiryPoint) {
  uint64_t rng = 11;
  const uint64_t armed = 40 * kInterval, now = armed + 2'000'000;  // one tick late
  const ExpiryStep step = step_expiries(armed, now, kInterval, rng);
  EXPECT_EQ(step.accounted_to, armed);  // the 2 ms after the point go to the next sample
  EXPECT_GT(step.next, now);
  EXPECT_GE(step.next, armed + kInterval / 2);
}

TEST(CpuTimerExpiries, PointsPassedDuringALongCallAreFoldedIn) {
  uint64_t rng = 13;
  const uint64_t armed = 40 * kInterval, now = armed + 7 * kInterval;
  const ExpiryStep step = step_expiries(armed, now, kInterval, rng);
  EXPECT_GT(step.accounted_to, armed);
  EXPECT_LE(step.accounted_to, now);
  EXPECT_GT(step.accounted_to + 3 * kInterval / 2, now);  // the last point that passed
  EXPECT_GT(step.next, now);
}

// The regression: after a late delivery the next expiry must be able to fall anywhere
// after now, as for a sequence that never saw the delivery (residual time to the next
// point of a renewal sequence with intervals uniform in [I/2, 3I/2): P(< I/4) = 1/4).
// Restarting from now left no expiry within I/2 of the end of every long system call.
TEST(CpuTimerExpiries, NoGapAfterALongSystemCall) {
  uint64_t rng = 17;
  uint64_t lcg = 1;
  int soon = 0;
  constexpr int kTrials = 20000;
  for (int i = 0; i < kTrials; ++i) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    const uint64_t armed = 100 * kInterval;
    const uint64_t late = 2 * kInterval + (lcg >> 33) % (3 * kInterval);  // 20-50 ms in a call
    const ExpiryStep step = step_expiries(armed, armed + late, kInterval, rng);
    ASSERT_GT(step.next, armed + late);
    if (step.next - (armed + late) < kInterval / 4) ++soon;
  }
  EXPECT_NEAR(double(soon) / kTrials, 0.25, 0.03);
}

TEST(CpuTimerExpiries, HoursBehindTakesAFewStepsAndStaysConsistent) {
  uint64_t rng = 19;
  const uint64_t armed = kInterval, now = armed + 360'000 * kInterval;  // an hour of CPU
  const ExpiryStep step = step_expiries(armed, now, kInterval, rng);
  EXPECT_LE(step.accounted_to, now);
  EXPECT_GT(step.accounted_to + 3 * kInterval / 2, now);
  EXPECT_GT(step.next, now);
  EXPECT_LT(step.next, now + 3 * kInterval / 2);
}

}  // namespace
}  // namespace pyro
