#include "memory_aggregator.h"

#include <algorithm>
#include <climits>

namespace pyro {
namespace {
constexpr int64_t kUnset = INT64_MIN;
constexpr uint64_t kEarlyFreeCycles = 8;  // how long a free waits for its allocation
}  // namespace

void MemoryAggregator::add_allocation(uint64_t seq, size_t stack, uint64_t bytes, uint64_t at_ns) {
  events_.push_back({seq, seq, stack, bytes, at_ns, false, false});
}

void MemoryAggregator::add_free(uint64_t seq, uint64_t id) { events_.push_back({seq, id, 0, 0, 0, true, false}); }

void MemoryAggregator::grow_to(size_t stack) {
  if (stack < live_.size()) return;
  live_.resize(stack + 1, 0);
  peak_live_.resize(stack + 1, 0);
  touched_flag_.resize(stack + 1, 0);
  series_index_.resize(stack + 1, -1);
}

void MemoryAggregator::touch(size_t stack) {
  if (!touched_flag_[stack]) {
    touched_flag_[stack] = 1;
    touched_.push_back(stack);
  }
}

void MemoryAggregator::apply(Event& e, Aggregator& agg) {
  if (!e.is_free) {
    grow_to(e.stack);
    touch(e.stack);
    auto early = early_frees_.find(e.seq);
    if (early != early_frees_.end()) {
      // Freed before we saw it: allocated and freed within the cycle.
      early_frees_.erase(early);
      agg.add_to_counter(e.stack, format::kFreeBytes, e.bytes);
      return;
    }
    allocations_.emplace(e.seq, LiveAllocation{e.stack, e.bytes});
    live_[e.stack] += static_cast<int64_t>(e.bytes);
    live_total_ += static_cast<int64_t>(e.bytes);
    e.applied = true;
    return;
  }
  auto it = allocations_.find(e.id);
  if (it == allocations_.end()) {
    early_frees_.emplace(e.id, cycle_);
    return;
  }
  e.stack = it->second.stack;
  e.bytes = it->second.bytes;
  allocations_.erase(it);
  agg.add_to_counter(e.stack, format::kFreeBytes, e.bytes);
  live_[e.stack] -= static_cast<int64_t>(e.bytes);
  live_total_ -= static_cast<int64_t>(e.bytes);
  touch(e.stack);
  e.applied = true;
}

void MemoryAggregator::snapshot_peak(size_t peak_event) {
  // live_ now holds the end of the cycle: undo the events after the peak.
  peak_live_ = live_;
  for (size_t i = events_.size(); i-- > peak_event + 1;) {
    const Event& e = events_[i];
    if (!e.applied) continue;
    peak_live_[e.stack] += e.is_free ? static_cast<int64_t>(e.bytes) : -static_cast<int64_t>(e.bytes);
  }
}

void MemoryAggregator::end_cycle(uint64_t now_ns, Aggregator& agg) {
  ++cycle_;
  std::sort(events_.begin(), events_.end(), [](const Event& a, const Event& b) { return a.seq < b.seq; });
  size_t peak_event = SIZE_MAX;
  for (size_t i = 0; i < events_.size(); ++i) {
    apply(events_[i], agg);
    if (live_total_ > live_peak_) {
      live_peak_ = live_total_;
      live_peak_t_ns_ = events_[i].at_ns > start_ns_ ? events_[i].at_ns - start_ns_ : 0;
      peak_event = i;
    }
  }
  if (peak_event != SIZE_MAX) snapshot_peak(peak_event);
  events_.clear();
  for (auto it = early_frees_.begin(); it != early_frees_.end();) {
    it = cycle_ - it->second > kEarlyFreeCycles ? early_frees_.erase(it) : std::next(it);
  }
  record_series(now_ns);
}

void MemoryAggregator::record_series(uint64_t now_ns) {
  const uint64_t elapsed = now_ns > start_ns_ ? now_ns - start_ns_ : 0;
  while (elapsed / series_bucket_ns_ >= kSeriesBuckets) {
    // Halve the resolution: each merged bucket keeps its later value (live at its end).
    for (auto& s : series_) {
      for (size_t i = 0; i < kSeriesBuckets / 2; ++i) s[i] = s[2 * i + 1] != kUnset ? s[2 * i + 1] : s[2 * i];
      std::fill(s.begin() + kSeriesBuckets / 2, s.end(), kUnset);
    }
    series_bucket_ns_ *= 2;
    series_used_ = (series_used_ + 1) / 2;
  }
  const size_t bucket = elapsed / series_bucket_ns_;
  series_used_ = std::max(series_used_, bucket + 1);
  for (size_t stack : touched_) {
    touched_flag_[stack] = 0;
    int32_t& index = series_index_[stack];
    if (index < 0) {
      if (series_.size() >= kMaxSeriesStacks) continue;
      index = static_cast<int32_t>(series_.size());
      series_.emplace_back(kSeriesBuckets, kUnset);
    }
    series_[static_cast<size_t>(index)][bucket] = live_[stack];
  }
  touched_.clear();
}

std::vector<int64_t> MemoryAggregator::series(size_t stack) const {
  if (stack >= series_index_.size() || series_index_[stack] < 0) return {};
  const std::vector<int64_t>& raw = series_[static_cast<size_t>(series_index_[stack])];
  // Every series covers the same buckets (up to the last cycle's), unset ones carry the
  // previous value forward.
  std::vector<int64_t> out(series_used_);
  int64_t last = 0;
  for (size_t i = 0; i < series_used_; ++i) {
    if (raw[i] != kUnset) last = raw[i];
    out[i] = last;
  }
  return out;
}

void MemoryAggregator::add_heap_point(uint64_t now_ns, int64_t heap, uint64_t rss) {
  const uint64_t t = now_ns > start_ns_ ? now_ns - start_ns_ : 0;
  if (heap > peak_heap_) {
    peak_heap_ = heap;
    peak_heap_t_ns_ = t;
  }
  if (!timeline_.empty() && t - timeline_.back().t_ns < point_spacing_ns_) {
    // Closer than the current resolution: fold into the last point, keeping the higher.
    HeapPoint& last = timeline_.back();
    if (heap >= last.heap) {
      last.heap = heap;
      last.t_ns = t;
    }
    last.rss = std::max(last.rss, rss);
    return;
  }
  if (timeline_.size() >= kMaxTimelinePoints) {
    // Halve the resolution, keeping the higher point of each pair (peaks survive).
    std::vector<HeapPoint> merged;
    merged.reserve(timeline_.size() / 2 + 1);
    for (size_t i = 0; i + 1 < timeline_.size(); i += 2) {
      HeapPoint p = timeline_[i].heap >= timeline_[i + 1].heap ? timeline_[i] : timeline_[i + 1];
      p.rss = std::max(timeline_[i].rss, timeline_[i + 1].rss);
      merged.push_back(p);
    }
    if (timeline_.size() % 2) merged.push_back(timeline_.back());
    timeline_.swap(merged);
    point_spacing_ns_ = std::max<uint64_t>(2 * point_spacing_ns_, t / kMaxTimelinePoints * 2);
  }
  timeline_.push_back({t, heap, rss});
}

void MemoryAggregator::publish(Aggregator& agg) const {
  for (size_t stack = 0; stack < peak_live_.size(); ++stack)
    agg.set_counter(stack, format::kPeakLiveBytes, peak_live_[stack] > 0 ? static_cast<uint64_t>(peak_live_[stack]) : 0);
}

}  // namespace pyro
