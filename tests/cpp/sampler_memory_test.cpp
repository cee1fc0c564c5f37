// Memory tracking: the hook-side tables (live table, free queue), the sampling weight, and
// the drain-side ordering, peak snapshot, series and timeline.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "memory_aggregator.h"
#include "memory_tracker.h"

namespace pyro {
namespace {

TEST(LiveTable, InsertRemoveAndReuse) {
  LiveTable table;
  ASSERT_TRUE(table.init(1024));
  uint64_t id = 0;
  EXPECT_FALSE(table.remove(0x1000, &id));
  ASSERT_TRUE(table.insert(0x1000, 7));
  ASSERT_TRUE(table.insert(0x2000, 8));
  EXPECT_TRUE(table.remove(0x1000, &id));
  EXPECT_EQ(id, 7u);
  EXPECT_FALSE(table.remove(0x1000, &id));  // gone
  EXPECT_TRUE(table.remove(0x2000, &id));
  EXPECT_EQ(id, 8u);
  // Churn far beyond the capacity: tombstones are reused, lookups stay bounded.
  for (uintptr_t round = 0; round < 20; ++round) {
    for (uintptr_t p = 1; p <= 500; ++p) ASSERT_TRUE(table.insert(p << 4 | round << 20, p));
    for (uintptr_t p = 1; p <= 500; ++p) {
      ASSERT_TRUE(table.remove(p << 4 | round << 20, &id));
      ASSERT_EQ(id, p);
    }
  }
}

TEST(LiveTable, RefusesWhenItsNeighbourhoodIsFull) {
  LiveTable table;
  ASSERT_TRUE(table.init(128));
  int inserted = 0;
  for (uintptr_t p = 1; p <= 1000; ++p) inserted += table.insert(p << 4, p) ? 1 : 0;
  EXPECT_LE(inserted, 128);
  EXPECT_GT(inserted, 64);
}

TEST(LiveTable, ConcurrentThreadsNeverLoseOrDuplicate) {
  LiveTable table;
  ASSERT_TRUE(table.init(1 << 16));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uintptr_t i = 1; i < 20000; ++i) {
        const uintptr_t p = (i << 8) | (uintptr_t(t) << 4);
        uint64_t id = 0;
        if (!table.insert(p, i)) continue;
        if (!table.remove(p, &id) || id != i) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(FreeQueue, FifoAndBounded) {
  FreeQueue q;
  ASSERT_TRUE(q.init(8));
  for (uint64_t i = 0; i < 8; ++i) ASSERT_TRUE(q.push({i, 100 + i}));
  EXPECT_FALSE(q.push({9, 9}));  // full
  std::vector<uint64_t> ids;
  q.drain([&](const FreeEvent& e) { ids.push_back(e.id); });
  ASSERT_EQ(ids.size(), 8u);
  for (uint64_t i = 0; i < 8; ++i) EXPECT_EQ(ids[i], 100 + i);
  EXPECT_TRUE(q.push({10, 10}));  // space again
}

TEST(FreeQueue, ManyProducersOneConsumer) {
  FreeQueue q;
  ASSERT_TRUE(q.init(1 << 16));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < 10000; ++i) ASSERT_TRUE(q.push({i, uint64_t(t) * 100000 + i}));
    });
  for (auto& th : threads) th.join();
  std::vector<int> seen(4 * 100000, 0);
  size_t n = q.drain([&](const FreeEvent& e) { seen[e.id]++; });
  EXPECT_EQ(n, 40000u);
  for (int t = 0; t < 4; ++t)
    for (int i = 0; i < 10000; ++i) ASSERT_EQ(seen[t * 100000 + i], 1);
}

// The estimate is unbiased: simulate the exponential countdown over a stream of
// allocations of mixed sizes and compare the weighted sum with the true total.
TEST(AllocationWeight, ExponentialCountdownIsUnbiased) {
  const uint64_t mean = 64 * 1024;
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> next(1.0 / double(mean));
  const uint64_t sizes[] = {16, 48, 200, 4096, 100'000, 3'000'000};
  for (uint64_t size : sizes) {
    double countdown = next(rng), estimate = 0;
    uint64_t truth = 0;
    for (int i = 0; truth < 4'000'000'000ULL; ++i) {
      truth += size;
      countdown -= double(size);
      if (countdown < 0) {
        estimate += allocation_weight(size, mean);
        countdown = next(rng);
      }
    }
    EXPECT_NEAR(estimate / double(truth), 1.0, 0.03) << "size " << size;
  }
  EXPECT_DOUBLE_EQ(allocation_weight(1 << 30, mean), double(1 << 30));  // large: exact
  EXPECT_NEAR(allocation_weight(16, mean), double(mean), 16.0);         // tiny: ~the mean
}

RawSample alloc_sample(uint32_t function_id, int32_t line) {
  RawSample s;
  std::memset(&s, 0, sizeof s);
  s.flags = kSampleAllocation | kSampleReturnAddresses;
  s.python[0] = {function_id, line};
  s.python_depth = 1;
  return s;
}

TEST(MemoryAggregator, AppliesFreesInSequenceOrderAndSnapshotsThePeak) {
  Aggregator agg(format::Mode::kCpu, 0);
  const uint32_t t = agg.add_thread(1, "main");
  MemoryAggregator mem(0, 1024);
  const size_t a = agg.add_allocation(t, alloc_sample(1, 10), 1000);
  const size_t b = agg.add_allocation(t, alloc_sample(1, 20), 5000);
  ASSERT_NE(a, b);
  // Cycle 1: a (seq 1) and b (seq 2) allocated, b freed (seq 3): the peak is after seq 2.
  mem.add_free(3, 2);  // arrives first, applied in order
  mem.add_allocation(1, a, 1000, 100);
  mem.add_allocation(2, b, 5000, 200);
  mem.end_cycle(1'000'000, agg);
  mem.publish(agg);
  EXPECT_EQ(agg.stacks()[a].counters.values[format::kAllocBytes], 1000u);
  EXPECT_EQ(agg.stacks()[b].counters.values[format::kFreeBytes], 5000u);
  EXPECT_EQ(agg.stacks()[a].counters.values[format::kPeakLiveBytes], 1000u);
  EXPECT_EQ(agg.stacks()[b].counters.values[format::kPeakLiveBytes], 5000u);
  EXPECT_EQ(mem.live_peak_t_ns(), 200u);
  EXPECT_EQ(mem.live_allocations(), 1u);
}

TEST(MemoryAggregator, FreeBeforeItsAllocationWaitsForIt) {
  Aggregator agg(format::Mode::kCpu, 0);
  const uint32_t t = agg.add_thread(1, "main");
  MemoryAggregator mem(0, 1024);
  const size_t a = agg.add_allocation(t, alloc_sample(1, 10), 700);
  mem.add_free(9, 5);  // the allocation's sample was still in its thread's ring
  mem.end_cycle(1, agg);
  mem.add_allocation(5, a, 700, 10);
  mem.end_cycle(2, agg);
  EXPECT_EQ(agg.stacks()[a].counters.values[format::kFreeBytes], 700u);
  EXPECT_EQ(mem.live_allocations(), 0u);
}

TEST(MemoryAggregator, SeriesStaysBoundedAndKeepsTheTrend) {
  Aggregator agg(format::Mode::kCpu, 0);
  const uint32_t t = agg.add_thread(1, "main");
  MemoryAggregator mem(0, 1024);
  const size_t a = agg.add_allocation(t, alloc_sample(1, 10), 100);
  uint64_t seq = 1;
  const uint64_t cycle_ns = 20'000'000;
  for (uint64_t c = 1; c <= 1000; ++c) {  // 20 s: a leak of 100 bytes per cycle
    mem.add_allocation(seq++, a, 100, c * cycle_ns);
    mem.end_cycle(c * cycle_ns, agg);
  }
  const std::vector<int64_t> series = mem.series(a);
  ASSERT_FALSE(series.empty());
  EXPECT_LE(series.size(), MemoryAggregator::kSeriesBuckets);
  EXPECT_GT(series.size(), MemoryAggregator::kSeriesBuckets / 4);
  for (size_t i = 1; i < series.size(); ++i) EXPECT_GE(series[i], series[i - 1]);
  EXPECT_EQ(series.back(), 100 * 1000);
}

TEST(MemoryAggregator, TimelineIsBoundedAndKeepsThePeak) {
  MemoryAggregator mem(0, 1024);
  for (uint64_t i = 0; i < 100'000; ++i) mem.add_heap_point(i * 20'000'000, i == 77'777 ? 1'000'000 : 1000, 5);
  EXPECT_LE(mem.timeline().size(), MemoryAggregator::kMaxTimelinePoints);
  EXPECT_EQ(mem.peak_heap(), 1'000'000);
  EXPECT_EQ(mem.peak_heap_t_ns(), 77'777ull * 20'000'000);
  bool peak_kept = false;
  for (const HeapPoint& p : mem.timeline()) peak_kept |= p.heap == 1'000'000;
  EXPECT_TRUE(peak_kept);
}

}  // namespace
}  // namespace pyro
