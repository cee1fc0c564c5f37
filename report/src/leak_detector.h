// Finds lines whose live memory keeps growing through the run (`leaks` of SPEC.md), from the
// per-stack live series (LiveSeries records) summed over the stacks charged to each line.
//
// "Still live at exit" is not a leak (module globals, caches filled once are); a leak is a
// trend: live bytes that rise steadily and are still (nearly) all there at the end. The rule,
// documented in docs/report.md ("Leaks"):
//   1. the line's series is cut into at most kMaxPoints equal parts of the run, each read at
//      its end, so a slow leak that the byte sampling catches only now and then still rises
//      from part to part; the window runs from the first part with live bytes to the end
//      and needs kMinPoints parts;
//   2. least squares over the window: the slope (bytes/s) must be positive; R² says how well
//      a straight line explains the series (a step kept flat has no trend: R² 0);
//   3. the fraction of consecutive parts in which live bytes increased (churn and steps rise
//      in one part at most, a leak in most);
//   4. live bytes at the end >= kKeptShare x their maximum (grow-then-free is not a leak);
//   5. the rise the slope accounts for over the window >= 1 MiB, or 1 % of the heap peak
//      when that is smaller (sampling noise on a small line is not a leak);
//   confidence = R² x increasing fraction; a leak needs confidence >= kMinConfidence.
#ifndef PYROMETER_REPORT_LEAK_DETECTOR_H
#define PYROMETER_REPORT_LEAK_DETECTOR_H

#include <cstddef>
#include <cstdint>
#include <vector>

#include "line_model.h"
#include "profile.h"

namespace pyro::report {

struct LeakRule {
  size_t max_points = 20;
  size_t min_points = 4;
  double kept_share = 0.8;
  uint64_t min_rise_bytes = uint64_t{1} << 20;
  double min_rise_heap_share = 0.01;
  double min_confidence = 0.5;
};

// One line's live bytes at the end of each bucket of bucket_ns from the start of the run
// (doubles: a sum of estimates, and sums of untrusted int64 values must not overflow).
struct LeakInput {
  std::vector<double> live_bytes;
  uint64_t bucket_ns = 0;
  uint64_t duration_ns = 0;      // the run's: the last bucket may end after it
  uint64_t peak_heap_bytes = 0;  // 0 when unknown
};

struct LeakAssessment {
  bool leak = false;
  double growth_bytes_per_s = 0;  // the least-squares slope over the window
  double r_squared = 0;
  double increasing_fraction = 0;
  double confidence = 0;     // r_squared x increasing_fraction, 0..1
  size_t window_points = 0;  // parts from the first with live bytes to the end
};

// The rule above applied to one line. Pure.
LeakAssessment assess_leak(const LeakInput& input, const LeakRule& rule = {});

// A series of bucket from_ns read at the end of each bucket of to_ns (>= from_ns): live
// bytes are a level, so the coarser series takes the value of the last finer bucket that
// ended by then (0 before the first one did).
std::vector<int64_t> resample_series(const std::vector<int64_t>& series, uint64_t from_ns, uint64_t to_ns);

struct Leak {
  size_t file = 0;  // index into LineModel::files()
  int32_t line = 0;
  uint64_t live_bytes = 0;  // the line's live_bytes (alloc - free at the end)
  double growth_bytes_per_s = 0;
  double confidence = 0;
};

// Every line of the model that the rule calls a leak, fastest growth first. Series of
// stacks with different bucket widths are resampled to the coarsest before they are summed.
// Empty without memory tracking.
std::vector<Leak> find_leaks(const Profile& profile, const LineModel& model, const LeakRule& rule = {});

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_LEAK_DETECTOR_H
