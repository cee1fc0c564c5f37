#include "capture_stats.h"

#include <algorithm>
#include <cmath>

namespace pyro::report {

uint64_t capture_bucket_midpoint(size_t bucket) {
  if (bucket == 0) return 1;
  if (bucket >= 64) return UINT64_MAX;
  return (uint64_t{1} << bucket) + (uint64_t{1} << (bucket - 1));
}

std::optional<CaptureSummary> summarize_capture(const std::vector<uint64_t>& histogram) {
  // Counts are added in double: the reader saturates at UINT64_MAX, and the percentile
  // ranks only need to be near, not exact, for counts that large.
  double total = 0;
  uint64_t exact = 0;  // saturating
  for (uint64_t count : histogram) {
    total += static_cast<double>(count);
    exact = count > UINT64_MAX - exact ? UINT64_MAX : exact + count;
  }
  if (exact == 0) return std::nullopt;
  // The bucket that holds the rank-ceil(q * total) capture (nearest-rank percentile).
  auto percentile = [&](double q) {
    const double rank = std::max(1.0, std::ceil(q * total));
    double seen = 0;
    for (size_t i = 0; i < histogram.size(); ++i) {
      seen += static_cast<double>(histogram[i]);
      if (seen >= rank) return capture_bucket_midpoint(i);
    }
    return capture_bucket_midpoint(histogram.size() - 1);
  };
  CaptureSummary summary;
  summary.median_ns = percentile(0.5);
  summary.p90_ns = percentile(0.9);
  summary.p99_ns = percentile(0.99);
  summary.count = exact;
  return summary;
}

}  // namespace pyro::report
