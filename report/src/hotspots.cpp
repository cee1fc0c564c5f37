#include "hotspots.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "native_frames.h"

namespace pyro::report {

std::string NativeHotspot::source() const {
  if (source_path.empty() || source_line <= 0) return {};
  return fmt::format("{}:{}", path_basename(source_path), source_line);
}

namespace {

struct Accumulator {
  NativeHotspot hotspot;
  std::map<std::pair<std::string, int32_t>, uint64_t> self_locations;  // (path, line) -> ns
  std::map<std::pair<size_t, int32_t>, uint64_t> callers;             // (file, line) -> ns
  std::string decl_path;
  int32_t decl_line = 0;
};

std::string function_key(const NativeFrameInfo& info) {
  return fmt::format("{}\x1f{}", info.location.function, info.module);
}

}  // namespace

std::vector<NativeHotspot> compute_native_hotspots(const LineModel& model, const HotspotLimits& limits) {
  const NativeStacks& native = model.native();
  std::vector<Accumulator> functions;
  std::unordered_map<std::string, size_t> by_key;
  // Native frame index -> accumulator index + 1 (0: not seen yet).
  std::vector<size_t> index_of_frame(native.native_frame_count(), 0);
  std::unordered_set<size_t> seen;     // accumulators already counted for this stack

  auto accumulator = [&](uint32_t frame) -> size_t {
    size_t& slot = index_of_frame[frame];
    if (slot != 0) return slot - 1;
    const NativeFrameInfo& info = native.native_frame(frame);
    auto [it, inserted] = by_key.emplace(function_key(info), functions.size());
    if (inserted) {
      functions.emplace_back();
      functions.back().hotspot.function = info.location.function;
      functions.back().hotspot.module = info.module;
    }
    Accumulator& acc = functions[it->second];
    if (acc.decl_line <= 0 && info.location.decl_line > 0 && !info.location.decl_path.empty()) {
      acc.decl_path = info.location.decl_path;
      acc.decl_line = info.location.decl_line;
    }
    slot = it->second + 1;
    return it->second;
  };

  const size_t stack_count = model.charges().size();
  for (size_t s = 0; s < stack_count; ++s) {
    const uint64_t weight = model.native_weight(s);
    if (weight == 0) continue;
    const std::vector<DisplayFrame>& frames = native.frames(s);
    const LineModel::Charge& charge = model.charges()[s];
    seen.clear();
    for (const DisplayFrame& frame : frames) {
      if (frame.kind != DisplayFrame::Kind::kNative) continue;
      const size_t a = accumulator(frame.native);
      if (!seen.insert(a).second) continue;  // recursion: once per stack
      Accumulator& acc = functions[a];
      acc.hotspot.total_ns += weight;
      if (charge.file != LineModel::kUnattributed) acc.callers[{charge.file, charge.line}] += weight;
    }
    if (!frames.empty() && frames.back().kind == DisplayFrame::Kind::kNative) {
      const NativeFrameInfo& leaf = native.native_frame(frames.back().native);
      Accumulator& acc = functions[accumulator(frames.back().native)];
      acc.hotspot.self_ns += weight;
      acc.self_locations[{leaf.location.path, leaf.location.line}] += weight;
    }
  }

  for (Accumulator& acc : functions) {
    NativeHotspot& h = acc.hotspot;
    // The hottest self location that has a source line (ties: the first in path order).
    uint64_t best = 0;
    for (const auto& [location, ns] : acc.self_locations) {
      if (location.first.empty() || location.second <= 0 || ns <= best) continue;
      best = ns;
      h.source_path = location.first;
      h.source_line = location.second;
    }
    if (h.source_path.empty()) {
      h.source_path = acc.decl_path;
      h.source_line = acc.decl_line;
    }
    for (const auto& [line, ns] : acc.callers) {
      h.callers.push_back(NativeHotspot::Caller{line.first, line.second, ns});
    }
    // Ties keep (file, line) order: the map iterated in it.
    std::stable_sort(h.callers.begin(), h.callers.end(),
                     [](const NativeHotspot::Caller& a, const NativeHotspot::Caller& b) {
                       return a.ns > b.ns;
                     });
  }

  std::vector<NativeHotspot> out;
  out.reserve(functions.size());
  for (Accumulator& acc : functions) out.push_back(std::move(acc.hotspot));
  std::sort(out.begin(), out.end(), [](const NativeHotspot& a, const NativeHotspot& b) {
    return std::tie(b.self_ns, b.total_ns, a.function, a.module) <
           std::tie(a.self_ns, a.total_ns, b.function, b.module);
  });
  const double min_total = limits.min_total_share * static_cast<double>(model.total_weight());
  size_t kept = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const bool keep = i < limits.top_by_self ||
                      (model.total_weight() > 0 && static_cast<double>(out[i].total_ns) >= min_total);
    if (!keep) continue;
    if (kept != i) out[kept] = std::move(out[i]);
    ++kept;
  }
  out.resize(kept);
  return out;
}

}  // namespace pyro::report
