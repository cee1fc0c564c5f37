// The signal handler's cost as the report states it: percentiles of the CaptureStats
// histogram (bucket i counts captures of [2^i, 2^(i+1)) ns; a bucket stands for its midpoint).
#ifndef PYROMETER_REPORT_CAPTURE_STATS_H
#define PYROMETER_REPORT_CAPTURE_STATS_H

#include <cstdint>
#include <optional>
#include <vector>

namespace pyro::report {

struct CaptureSummary {
  uint64_t median_ns = 0;
  uint64_t p90_ns = 0;
  uint64_t p99_ns = 0;
  uint64_t count = 0;
};

// Nothing when the histogram is empty or counts no capture.
std::optional<CaptureSummary> summarize_capture(const std::vector<uint64_t>& histogram);

// The midpoint of bucket i: 1 for [1, 2), else 2^i + 2^(i-1).
uint64_t capture_bucket_midpoint(size_t bucket);

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_CAPTURE_STATS_H
