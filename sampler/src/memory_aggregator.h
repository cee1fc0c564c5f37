// The drain-side half of memory tracking: turns sampled allocations and their frees into
// per-stack alloc/free/live bytes, the per-stack live bytes at the moment of the peak, a
// bounded per-stack live series (for growth and leak analysis in report/), and the heap
// timeline. Owned by the drain thread (or finish() after it stopped): no locks.
//
// Allocations and frees reach the drain through different channels (each thread's ring,
// one shared free queue), so within a drain cycle they are put back in order by their
// global sequence number before they are applied; a free that arrives before its
// allocation waits for it a few cycles.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "aggregator.h"

namespace pyro {

struct HeapPoint {
  uint64_t t_ns;     // from the start
  int64_t heap;      // bytes allocated and not freed (allocator counters + program mappings)
  uint64_t rss;      // resident set size, bytes
};

class MemoryAggregator {
 public:
  static constexpr size_t kMaxTimelinePoints = 2048;
  static constexpr size_t kSeriesBuckets = 64;
  static constexpr uint64_t kFirstSeriesBucketNs = 50'000'000;
  static constexpr size_t kMaxSeriesStacks = 16384;  // stacks beyond this get no series

  MemoryAggregator(uint64_t start_ns, uint64_t mean_bytes) : start_ns_(start_ns), mean_(mean_bytes) {}

  // One drain cycle: add the allocations (already interned as stacks) and the frees, then
  // end_cycle() applies them in order.
  void add_allocation(uint64_t seq, size_t stack, uint64_t bytes, uint64_t at_ns);
  void add_free(uint64_t seq, uint64_t id);
  void end_cycle(uint64_t now_ns, Aggregator& agg);

  void add_heap_point(uint64_t now_ns, int64_t heap, uint64_t rss);

  // Copies the per-stack memory counters that are not maintained incrementally
  // (kPeakLiveBytes) into the aggregator, before it is written.
  void publish(Aggregator& agg) const;

  uint64_t mean() const { return mean_; }
  int64_t peak_heap() const { return peak_heap_; }
  uint64_t peak_heap_t_ns() const { return peak_heap_t_ns_; }
  uint64_t live_peak_t_ns() const { return live_peak_t_ns_; }
  const std::vector<HeapPoint>& timeline() const { return timeline_; }
  uint64_t series_bucket_ns() const { return series_bucket_ns_; }
  // Live series of a stack, forward-filled; empty when the stack has none.
  std::vector<int64_t> series(size_t stack) const;
  size_t tracked_stacks() const { return live_.size(); }
  size_t live_allocations() const { return allocations_.size(); }

 private:
  struct Event {
    uint64_t seq;
    uint64_t id;        // frees: the allocation freed
    size_t stack;       // allocations; frees once matched
    uint64_t bytes;     // allocations; frees once matched
    uint64_t at_ns;     // allocations
    bool is_free;
    bool applied;
  };
  struct LiveAllocation {
    size_t stack;
    uint64_t bytes;
  };

  void grow_to(size_t stack);
  void touch(size_t stack);
  void apply(Event& e, Aggregator& agg);
  void snapshot_peak(size_t peak_event);
  void record_series(uint64_t now_ns);

  uint64_t start_ns_;
  uint64_t mean_;
  uint64_t cycle_ = 0;
  std::vector<Event> events_;                       // this cycle's, reused
  std::unordered_map<uint64_t, LiveAllocation> allocations_;  // live sampled allocations by id
  std::unordered_map<uint64_t, uint64_t> early_frees_;        // id -> cycle the free arrived
  std::vector<int64_t> live_;       // per stack
  std::vector<int64_t> peak_live_;  // per stack, at the live peak
  int64_t live_total_ = 0;
  int64_t live_peak_ = 0;
  uint64_t live_peak_t_ns_ = 0;
  std::vector<size_t> touched_;     // stacks changed this cycle
  std::vector<uint8_t> touched_flag_;
  std::vector<int32_t> series_index_;  // per stack: index into series_, -1 none
  std::vector<std::vector<int64_t>> series_;  // kUnset where no value was recorded
  uint64_t series_bucket_ns_ = kFirstSeriesBucketNs;
  size_t series_used_ = 0;  // buckets with data so far (the same for every series)
  std::vector<HeapPoint> timeline_;
  uint64_t point_spacing_ns_ = 0;  // minimum distance between timeline points, grows when halving
  int64_t peak_heap_ = 0;
  uint64_t peak_heap_t_ns_ = 0;
};

}  // namespace pyro
