#include "text_summary.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "hotspots.h"
#include "json_writer.h"
#include "leak_detector.h"
#include "path_utils.h"

namespace pyro::report {

namespace {

struct HotLine {
  const FileLines* file;
  int32_t line;
  const LineCounters* counters;
};

std::string trim(const std::string& s) {
  const char* space = " \t\r\n\f\v";
  size_t begin = s.find_first_not_of(space);
  if (begin == std::string::npos) return {};
  size_t end = s.find_last_not_of(space);
  return s.substr(begin, end - begin + 1);
}

// Terminal-safe: control characters (an escape sequence in a source line) become '?'.
std::string printable(std::string s, size_t max_bytes) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  if (s.size() > max_bytes) {
    size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    s.resize(end);
    s += "\xE2\x80\xA6";
  }
  return s;
}

std::string seconds_text(uint64_t ns) { return fmt::format("{:.3f}s", seconds(ns)); }

// In the table a dash reads better than a column of zeros.
std::string cell_seconds(uint64_t ns) { return ns == 0 ? "-" : seconds_text(ns); }

// Wall durations read better with a unit that fits.
std::string duration_text(uint64_t ns) {
  const double s = seconds(ns);
  if (s < 1.0) return fmt::format("{:.0f} ms", s * 1e3);
  if (s < 120.0) return fmt::format("{:.2f} s", s);
  return fmt::format("{}m{:02.0f}s", static_cast<uint64_t>(s / 60), s - 60.0 * static_cast<uint64_t>(s / 60));
}

// Byte counts in binary units, three significant digits or so.
std::string bytes_text(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  size_t unit = 0;
  while (bytes >= 1024.0 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024.0;
    ++unit;
  }
  if (unit == 0) return fmt::format("{:.0f} B", bytes);
  return fmt::format(bytes < 10 ? "{:.2f} {}" : bytes < 100 ? "{:.1f} {}" : "{:.0f} {}", bytes, kUnits[unit]);
}

}  // namespace

std::string TextSummary::display_path(const std::string& path) const {
  const std::string cwd = profile_.meta_value("cwd");
  if (!cwd.empty() && path_is_under(path, cwd) && path.size() > cwd.size()) {
    size_t skip = cwd.size() + (cwd.back() == '/' ? 0 : 1);
    return path.substr(skip);
  }
  return path;
}

std::string TextSummary::header_line() const {
  const RunInfo& run = profile_.run();
  std::vector<std::string> argv = split_meta_list(profile_.meta_value("argv"));
  std::string program;
  for (const std::string& arg : argv) {
    if (!program.empty()) program += ' ';
    program += arg;
  }
  if (program.empty()) program = "(unknown program)";
  uint64_t samples = 0;
  uint64_t dropped = 0;
  for (const RunInfo& r : profile_.runs) {
    samples += r.samples;
    dropped += r.dropped_samples;
  }
  const uint64_t cpu_ns = model_.total_cpu_ns();
  std::string utilisation;
  if (run.duration_ns > 0) {
    utilisation = fmt::format(" ({:.0f}% of one core)",
                              100.0 * static_cast<double>(cpu_ns) / static_cast<double>(run.duration_ns));
  }
  size_t threads = profile_.threads.size();
  // Child processes merged in (child_profiles.h): say so, the CPU above includes theirs.
  const std::string processes =
      profile_.runs.size() > 1 ? fmt::format(" in {} processes", profile_.runs.size()) : std::string();
  return fmt::format("{}: {} wall, {} CPU{}, {} samples ({} dropped), {} thread{}{}{}",
                     printable(program, 120), duration_text(run.duration_ns),
                     seconds_text(cpu_ns), utilisation, samples, dropped, threads,
                     threads == 1 ? "" : "s", processes, run.mode == format::Mode::kWall ? ", wall mode" : "");
}

std::string TextSummary::location(const FileLines& file, int32_t line) const {
  return fmt::format("{}:{}", printable(display_path(file.path), 70), line);
}

std::string TextSummary::source_text(const FileLines& file, int32_t line) const {
  auto source = sources_.line(file.path, line);
  return source ? printable(trim(*source), 60) : std::string();
}

std::string TextSummary::memory_line() const {
  if (!profile_.memory) return "Memory: not tracked (--no-memory)";
  const MemoryInfo& memory = *profile_.memory;
  const LineCounters& totals = model_.memory_totals();
  return fmt::format("Memory: peak heap {} at {}, {} allocated, {} still live (sampled every {})",
                     bytes_text(static_cast<double>(memory.peak_heap_bytes)), duration_text(memory.peak_t_ns),
                     bytes_text(static_cast<double>(totals.alloc_bytes)),
                     bytes_text(static_cast<double>(totals.live_bytes())),
                     bytes_text(static_cast<double>(memory.sample_interval_bytes)));
}

std::string TextSummary::memory_section(const TextSummaryOptions& options) const {
  if (!profile_.memory || options.top_memory_lines == 0) return {};
  const char* bold = options.colour ? "\x1b[1m" : "";
  const char* dim = options.colour ? "\x1b[2m" : "";
  const char* reset = options.colour ? "\x1b[0m" : "";
  // Lines by what they still hold at the end: the net growth they are responsible for.
  std::vector<HotLine> growing;
  for (const FileLines& file : model_.files()) {
    for (const auto& [number, counters] : file.lines) {
      if (counters.live_bytes() > 0) growing.push_back(HotLine{&file, number, &counters});
    }
  }
  const size_t shown = std::min(options.top_memory_lines, growing.size());
  std::partial_sort(growing.begin(), growing.begin() + static_cast<std::ptrdiff_t>(shown), growing.end(),
                    [](const HotLine& a, const HotLine& b) {
                      const uint64_t la = a.counters->live_bytes(), lb = b.counters->live_bytes();
                      if (la != lb) return la > lb;
                      if (a.file->path != b.file->path) return a.file->path < b.file->path;
                      return a.line < b.line;
                    });
  growing.resize(shown);
  std::string out;
  if (!growing.empty()) {
    std::vector<std::string> locations;
    size_t width = 8;
    for (const HotLine& h : growing) {
      locations.push_back(location(*h.file, h.line));
      width = std::max(width, locations.back().size());
    }
    out += fmt::format("{}Top lines by memory growth{}\n", bold, reset);
    out += fmt::format("  {}{:<{}} {:>10} {:>10}{}\n", dim, "line", width, "live", "allocated", reset);
    for (size_t i = 0; i < growing.size(); ++i) {
      const LineCounters& c = *growing[i].counters;
      out += fmt::format("  {:<{}} {:>10} {:>10}  {}{}{}\n", locations[i], width,
                         bytes_text(static_cast<double>(c.live_bytes())), bytes_text(static_cast<double>(c.alloc_bytes)),
                         dim, source_text(*growing[i].file, growing[i].line), reset);
    }
  }
  const std::vector<Leak> leaks = find_leaks(profile_, model_);
  if (!leaks.empty()) {
    out += fmt::format("{}Possible leaks (live memory that kept growing){}\n", bold, reset);
    for (size_t i = 0; i < leaks.size() && i < options.top_memory_lines; ++i) {
      const Leak& leak = leaks[i];
      const FileLines& file = model_.files()[leak.file];
      out += fmt::format("  {}  +{}/s, {} live, confidence {:.0f}%  {}{}{}\n", location(file, leak.line),
                         bytes_text(leak.growth_bytes_per_s), bytes_text(static_cast<double>(leak.live_bytes)),
                         100.0 * leak.confidence, dim, source_text(file, leak.line), reset);
    }
  }
  return out;
}

std::string TextSummary::native_section(const TextSummaryOptions& options) const {
  std::vector<NativeHotspot> hotspots = compute_native_hotspots(model_);
  size_t shown = 0;
  while (shown < hotspots.size() && shown < options.top_native && hotspots[shown].self_ns > 0) ++shown;
  if (shown == 0) return {};
  hotspots.resize(shown);
  const char* bold = options.colour ? "\x1b[1m" : "";
  const char* dim = options.colour ? "\x1b[2m" : "";
  const char* reset = options.colour ? "\x1b[0m" : "";
  const bool wall = model_.wall_mode();
  const double total = static_cast<double>(std::max<uint64_t>(model_.total_weight(), 1));
  std::vector<std::string> functions;
  std::vector<std::string> modules;
  size_t function_width = 8;
  size_t module_width = 6;
  for (const NativeHotspot& h : hotspots) {
    functions.push_back(printable(h.function, 60));
    modules.push_back(printable(model_.native().module_basename(h.module), 40));
    if (modules.back().empty()) modules.back() = "?";
    function_width = std::max(function_width, functions.back().size());
    module_width = std::max(module_width, modules.back().size());
  }
  std::string out =
      fmt::format("{}Top native functions by self {}{}\n", bold, wall ? "wall time" : "CPU", reset);
  out += fmt::format("  {}{:>8} {:>6}  {:<{}}  {:<{}}  {}{}\n", dim, "self", "%", "function", function_width,
                     "module", module_width, "source", reset);
  for (size_t i = 0; i < hotspots.size(); ++i) {
    const NativeHotspot& h = hotspots[i];
    out += fmt::format("  {:>8} {:>6}  {:<{}}  {:<{}}  {}{}{}\n", seconds_text(h.self_ns),
                       fmt::format("{:.1f}%", 100.0 * static_cast<double>(h.self_ns) / total), functions[i],
                       function_width, modules[i], module_width, dim, printable(h.source(), 60), reset);
  }
  return out;
}

std::string TextSummary::render(const TextSummaryOptions& options) const {
  const char* bold = options.colour ? "\x1b[1m" : "";
  const char* dim = options.colour ? "\x1b[2m" : "";
  const char* reset = options.colour ? "\x1b[0m" : "";
  std::string out;
  auto line = [&out](const std::string& s) {
    out += s;
    out += '\n';
  };
  line(fmt::format("{}pyrometer{} {}", bold, reset, header_line()));
  line(memory_line());

  // Lines rank by CPU; in wall mode by wall time, where waiting and sleeping are the point.
  const bool wall = profile_.run().mode == format::Mode::kWall;
  const auto rank = [wall](const LineCounters& c) { return wall ? c.wall_ns : c.cpu_ns(); };
  std::vector<HotLine> hot;
  for (const FileLines& file : model_.files()) {
    for (const auto& [number, counters] : file.lines) {
      if (rank(counters) > 0) hot.push_back(HotLine{&file, number, &counters});
    }
  }
  const size_t shown = std::min(options.top_lines, hot.size());
  std::partial_sort(hot.begin(), hot.begin() + static_cast<std::ptrdiff_t>(shown), hot.end(),
                    [&rank](const HotLine& a, const HotLine& b) {
                      const uint64_t ra = rank(*a.counters), rb = rank(*b.counters);
                      if (ra != rb) return ra > rb;
                      if (a.file->path != b.file->path) return a.file->path < b.file->path;
                      return a.line < b.line;
                    });
  hot.resize(shown);

  const double total_cpu = static_cast<double>(std::max<uint64_t>(model_.total_cpu_ns(), 1));
  if (hot.empty()) {
    line(fmt::format("No {} samples in profiled code{}.", wall ? "wall-clock" : "CPU",
                     model_.unattributed_cpu_ns() > 0 ? " (all CPU time was outside it; try --profile-all)" : ""));
  } else {
    std::vector<std::string> locations;
    size_t width = 8;
    for (const HotLine& h : hot) {
      locations.push_back(location(*h.file, h.line));
      width = std::max(width, locations.back().size());
    }
    const double total = wall ? static_cast<double>(std::max<uint64_t>(model_.total_wall_ns(), 1)) : total_cpu;
    line(fmt::format("{}Top lines by {}{}", bold, wall ? "wall time" : "CPU", reset));
    // Right-aligned number columns; wall mode leads with wall time and its share.
    const auto columns = [](const std::vector<std::string>& cells) {
      std::string row;
      for (size_t i = 0; i < cells.size(); ++i) {
        row += fmt::format(i == 1 ? " {:>6}" : " {:>8}", cells[i]);
        if (i == 1) row += ' ';
      }
      return row;
    };
    std::vector<std::string> head = {"CPU", "%", "python", "native", "system"};
    if (wall) head = {"wall", "%", "CPU", "python", "native", "system"};
    line(fmt::format("  {}{:<{}} {}{}", dim, "line", width, columns(head), reset));
    for (size_t i = 0; i < hot.size(); ++i) {
      const LineCounters& c = *hot[i].counters;
      const std::string text = source_text(*hot[i].file, hot[i].line);
      const std::string share = fmt::format("{:.1f}%", 100.0 * static_cast<double>(rank(c)) / total);
      std::vector<std::string> cells = {seconds_text(c.cpu_ns()), share};
      if (wall) cells = {seconds_text(c.wall_ns), share, cell_seconds(c.cpu_ns())};
      cells.push_back(cell_seconds(c.cpu_python_ns));
      cells.push_back(cell_seconds(c.cpu_native_ns));
      cells.push_back(cell_seconds(c.cpu_system_ns));
      line(fmt::format("  {:<{}} {}  {}{}{}", locations[i], width, columns(cells), dim, text, reset));
    }
    if (model_.unattributed_cpu_ns() > 0) {
      line(fmt::format("  {}{} CPU ({:.1f}% of it) outside profiled code{}", dim,
                       seconds_text(model_.unattributed_cpu_ns()),
                       100.0 * static_cast<double>(model_.unattributed_cpu_ns()) / total_cpu, reset));
    }
  }

  out += memory_section(options);
  out += native_section(options);

  if (!options.written_files.empty()) {
    line(fmt::format("{}Wrote{}", bold, reset));
    for (const std::string& path : options.written_files) line("  " + printable(path, 4096));
  }
  return out;
}

}  // namespace pyro::report
