#include "leak_detector.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

namespace pyro::report {

namespace {

struct Point {
  double t_s = 0;
  double live = 0;
};

// The series cut into at most max_points parts, each read at its end (see the header).
std::vector<Point> coarse_points(const LeakInput& input, size_t max_points) {
  const std::vector<double>& series = input.live_bytes;
  const size_t per_point = (series.size() + max_points - 1) / max_points;
  const double bucket_s = static_cast<double>(input.bucket_ns) / 1e9;
  const double duration_s = static_cast<double>(input.duration_ns) / 1e9;
  std::vector<Point> points;
  for (size_t end = per_point;; end += per_point) {
    const size_t e = std::min(end, series.size());
    double t = static_cast<double>(e) * bucket_s;
    // The last bucket is cut short by the end of the run; keep the times increasing.
    if (duration_s > 0 && t > duration_s && (points.empty() || duration_s > points.back().t_s)) t = duration_s;
    points.push_back(Point{t, series[e - 1]});
    if (e == series.size()) break;
  }
  return points;
}

}  // namespace

LeakAssessment assess_leak(const LeakInput& input, const LeakRule& rule) {
  LeakAssessment result;
  if (input.live_bytes.empty() || input.bucket_ns == 0 || rule.max_points == 0) return result;
  const std::vector<Point> points = coarse_points(input, rule.max_points);
  size_t first = 0;
  while (first < points.size() && !(points[first].live > 0)) ++first;
  const size_t n = points.size() - first;
  result.window_points = n;
  if (n < std::max<size_t>(rule.min_points, 2)) return result;

  double mean_t = 0;
  double mean_v = 0;
  for (size_t i = first; i < points.size(); ++i) {
    mean_t += points[i].t_s;
    mean_v += points[i].live;
  }
  mean_t /= static_cast<double>(n);
  mean_v /= static_cast<double>(n);
  double sxx = 0;
  double sxy = 0;
  double syy = 0;
  size_t increases = 0;
  for (size_t i = first; i < points.size(); ++i) {
    const double dt = points[i].t_s - mean_t;
    const double dv = points[i].live - mean_v;
    sxx += dt * dt;
    sxy += dt * dv;
    syy += dv * dv;
    if (i > first && points[i].live > points[i - 1].live) ++increases;
  }
  if (!(sxx > 0)) return result;
  result.growth_bytes_per_s = sxy / sxx;
  // No variance at all (a step kept flat) explains nothing: R² 0, not 0/0.
  result.r_squared = syy > 0 ? std::clamp(sxy * sxy / (sxx * syy), 0.0, 1.0) : 0.0;
  result.increasing_fraction = static_cast<double>(increases) / static_cast<double>(n - 1);
  result.confidence = result.r_squared * result.increasing_fraction;

  const double max_live = *std::max_element(input.live_bytes.begin(), input.live_bytes.end());
  const double final_live = points.back().live;
  const double rise = result.growth_bytes_per_s * (points.back().t_s - points[first].t_s);
  double min_rise = static_cast<double>(rule.min_rise_bytes);
  if (input.peak_heap_bytes > 0) {
    min_rise = std::min(min_rise, rule.min_rise_heap_share * static_cast<double>(input.peak_heap_bytes));
  }
  result.leak = result.growth_bytes_per_s > 0 && final_live >= rule.kept_share * max_live &&
                rise >= min_rise && result.confidence >= rule.min_confidence;
  return result;
}

std::vector<int64_t> resample_series(const std::vector<int64_t>& series, uint64_t from_ns, uint64_t to_ns) {
  if (series.empty() || from_ns == 0 || to_ns <= from_ns) return series;
  // 128-bit products: bucket widths come from the file, and the file is not trusted.
  using u128 = unsigned __int128;
  const u128 span = static_cast<u128>(series.size()) * from_ns;
  const u128 count = (span + to_ns - 1) / to_ns;  // <= series.size(), since to_ns > from_ns
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(count));
  for (u128 j = 0; j < count; ++j) {
    const u128 done = (j + 1) * to_ns / from_ns;  // fine buckets that ended by then
    if (done == 0) {
      out.push_back(0);
    } else {
      out.push_back(series[static_cast<size_t>(std::min<u128>(done, series.size()) - 1)]);
    }
  }
  return out;
}

std::vector<Leak> find_leaks(const Profile& profile, const LineModel& model, const LeakRule& rule) {
  std::vector<Leak> leaks;
  if (!profile.memory) return leaks;
  // The stacks with a series, per charged line.
  std::map<std::pair<size_t, int32_t>, std::vector<size_t>> by_line;
  for (size_t s = 0; s < profile.stacks.size(); ++s) {
    const LineModel::Charge charge = model.charges()[s];
    if (charge.file == LineModel::kUnattributed || profile.stacks[s].live.empty()) continue;
    by_line[{charge.file, charge.line}].push_back(s);
  }
  for (const auto& [at, stacks] : by_line) {
    uint64_t bucket_ns = 0;
    for (size_t s : stacks) bucket_ns = std::max(bucket_ns, profile.stacks[s].live.bucket_ns);
    std::vector<std::vector<int64_t>> resampled;
    size_t length = 0;
    for (size_t s : stacks) {
      const LiveSeries& live = profile.stacks[s].live;
      resampled.push_back(resample_series(live.live_bytes, live.bucket_ns, bucket_ns));
      length = std::max(length, resampled.back().size());
    }
    LeakInput input;
    input.bucket_ns = bucket_ns;
    input.duration_ns = profile.run().duration_ns;
    input.peak_heap_bytes = profile.memory->peak_heap_bytes;
    // Summed as doubles: the values come from the file, and int64 sums could overflow. A
    // series that ended early keeps its last level.
    input.live_bytes.assign(length, 0.0);
    for (const std::vector<int64_t>& series : resampled) {
      for (size_t i = 0; i < length; ++i) {
        input.live_bytes[i] += static_cast<double>(series[std::min(i, series.size() - 1)]);
      }
    }
    const LeakAssessment verdict = assess_leak(input, rule);
    if (!verdict.leak) continue;
    const LineCounters& counters = model.files()[at.first].lines.at(at.second);
    leaks.push_back(Leak{at.first, at.second, counters.live_bytes(), verdict.growth_bytes_per_s, verdict.confidence});
  }
  std::sort(leaks.begin(), leaks.end(), [](const Leak& a, const Leak& b) {
    return std::tie(b.growth_bytes_per_s, b.confidence, a.file, a.line) <
           std::tie(a.growth_bytes_per_s, a.confidence, b.file, b.line);
  });
  return leaks;
}

}  // namespace pyro::report
