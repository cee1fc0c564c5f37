#include "json_writer.h"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "capture_stats.h"
#include "hotspots.h"
#include "leak_detector.h"

namespace pyro::report {

namespace sc = format;

namespace {

// Everything the stacks say per thread, for threads the profile has no Thread record of.
struct StackThreadTotals {
  uint64_t cpu_ns = 0;
  uint64_t wall_ns = 0;
  uint64_t samples = 0;
};

}  // namespace

std::string JsonWriter::render(const JsonOptions& options) const {
  JsonBuilder json(options.escape);
  json.begin_object();
  json.field("schema", "pyrometer/1");
  json.key("program").begin_array();
  for (const std::string& arg : split_meta_list(profile_.meta_value("argv"))) json.value(arg);
  json.end_array();
  json.field("python_version", profile_.meta_value("python_version"));
  write_run(json);
  write_threads(json);
  write_processes(json);
  write_memory(json);
  write_files(json, options.sources);
  write_native_hotspots(json);
  write_leaks(json);
  if (options.include_stacks) write_stacks(json);
  json.end_object();
  return json.take();
}

void JsonWriter::write_run(JsonBuilder& json) const {
  const RunInfo& run = profile_.run();
  uint64_t samples = 0;
  uint64_t dropped = 0;
  uint64_t truncated = 0;
  uint64_t lost_functions = 0;
  for (const RunInfo& r : profile_.runs) {
    samples += r.samples;
    dropped += r.dropped_samples;
    truncated += r.truncated_stacks;
    lost_functions += r.lost_functions;
  }
  json.field("mode", run.mode == sc::Mode::kWall ? "wall" : "cpu");
  json.field("interval_s", seconds(run.interval_ns));
  json.field("duration_s", seconds(run.duration_ns));
  json.field("cpu_s", seconds(model_.total_cpu_ns()));
  json.field("samples", samples);
  json.field("dropped_samples", dropped);
  // Extras beyond SPEC.md.
  json.field("pid", run.pid);
  json.field("start_unix_s", seconds(run.start_unix_ns));
  json.field("wall_s", seconds(model_.total_wall_ns()));
  json.field("unattributed_cpu_s", seconds(model_.unattributed_cpu_ns()));
  json.field("truncated_stacks", truncated);
  json.field("lost_functions", lost_functions);
  json.field("profile_all", profile_.meta_value("profile_all") == "1");
  // Native stacks (extras): whether they were captured, what could not be, and what the
  // capture cost in the signal handler.
  uint64_t native_fallbacks = 0;
  uint64_t native_skipped = 0;
  for (const RunInfo& r : profile_.runs) {
    native_fallbacks += r.native_fallbacks;
    native_skipped += r.native_skipped;
  }
  json.field("native", profile_.meta_value("native") == "1");
  json.field("native_fallbacks", native_fallbacks);
  json.field("native_skipped", native_skipped);
  json.key("capture_ns");
  if (auto capture = summarize_capture(profile_.capture_histogram)) {
    json.begin_object();
    json.field("median", capture->median_ns).field("p90", capture->p90_ns);
    json.field("p99", capture->p99_ns).field("count", capture->count);
    json.end_object();
  } else {
    json.null();
  }
  json.key("cpu_timeline").begin_array();
  for (const TimelinePoint& p : profile_.timeline) {
    json.begin_array().value(seconds(p.t_ns)).value(seconds(p.cpu_ns)).end_array();
  }
  json.end_array();
}

void JsonWriter::write_threads(JsonBuilder& json) const {
  std::map<std::pair<uint32_t, uint32_t>, StackThreadTotals> unnamed;
  for (const StackRecord& stack : profile_.stacks) {
    StackThreadTotals& t = unnamed[{stack.pid, stack.tid}];
    t.cpu_ns += stack.counters.cpu_ns();
    t.wall_ns += stack.counters[sc::kWallNs];
    t.samples += stack.counters[sc::kSamples];
  }
  json.key("threads").begin_array();
  for (const ThreadInfo& t : profile_.threads) {
    unnamed.erase({t.pid, t.tid});
    json.begin_object();
    json.field("tid", t.tid).field("pid", t.pid).field("name", t.name);
    json.field("cpu_s", seconds(t.cpu_ns)).field("wall_s", seconds(t.wall_ns));
    json.field("samples", t.samples);
    json.end_object();
  }
  // A thread seen in stacks but never described (the writer lost its record): still list it.
  for (const auto& [id, t] : unnamed) {
    json.begin_object();
    json.field("tid", id.second).field("pid", id.first).field("name", fmt::format("thread {}", id.second));
    json.field("cpu_s", seconds(t.cpu_ns)).field("wall_s", seconds(t.wall_ns));
    json.field("samples", t.samples);
    json.end_object();
  }
  json.end_array();
}

void JsonWriter::write_processes(JsonBuilder& json) const {
  // Extra: the root process and every merged child (child_profiles.h), in merge order.
  std::map<uint32_t, uint64_t> cpu_by_pid;
  for (const StackRecord& stack : profile_.stacks) cpu_by_pid[stack.pid] += stack.counters.cpu_ns();
  const uint64_t root_start = profile_.run().start_unix_ns;
  json.key("processes").begin_array();
  for (size_t i = 0; i < profile_.runs.size(); ++i) {
    const RunInfo& r = profile_.runs[i];
    json.begin_object();
    json.field("pid", r.pid).field("root", i == 0);
    json.key("argv").begin_array();
    for (const std::string& arg : split_meta_list(r.argv)) json.value(arg);
    json.end_array();
    json.field("start_s", seconds(r.start_unix_ns > root_start ? r.start_unix_ns - root_start : 0));
    json.field("duration_s", seconds(r.duration_ns)).field("samples", r.samples);
    // Per pid: an exec'd image keeps its pid, so two runs may share one.
    json.field("pid_cpu_s", seconds(cpu_by_pid[r.pid]));
    json.end_object();
  }
  json.end_array();
}

void JsonWriter::write_files(JsonBuilder& json, SourceFileCache* sources) const {
  json.key("files").begin_array();
  for (const FileLines& file : model_.files()) {
    json.begin_object();
    json.field("path", file.path);
    json.key("lines").begin_array();
    for (const auto& [line, c] : file.lines) {
      json.begin_object();
      json.field("line", line);
      json.field("cpu_python_s", seconds(c.cpu_python_ns));
      json.field("cpu_native_s", seconds(c.cpu_native_ns));
      json.field("cpu_system_s", seconds(c.cpu_system_ns));
      json.field("wall_s", seconds(c.wall_ns));
      json.field("gil_held_s", seconds(c.gil_held_ns));
      json.field("gil_wait_s", seconds(c.gil_wait_ns));
      // Zeros without memory tracking (the keys stay: SPEC.md's shape does not depend on it).
      json.field("alloc_bytes", c.alloc_bytes).field("free_bytes", c.free_bytes);
      json.field("live_bytes", c.live_bytes()).field("peak_bytes", c.peak_bytes);
      json.field("samples", c.samples);
      json.end_object();
    }
    json.end_array();
    json.key("functions").begin_array();
    for (const FunctionTotals& fn : file.functions) {
      json.begin_object();
      json.field("name", fn.name).field("line", fn.first_line);
      json.field("cpu_s", seconds(fn.cpu_ns)).field("alloc_bytes", fn.alloc_bytes);
      json.end_object();
    }
    json.end_array();
    json.field("cpu_s", seconds(file.cpu_ns)).field("samples", file.samples);
    if (sources != nullptr) {
      const SourceText* text = sources->get(file.path);
      json.key("source");
      if (text == nullptr) {
        json.null();
      } else {
        json.begin_array();
        for (const std::string& line : text->lines) json.value(line);
        json.end_array();
      }
      json.field("source_truncated", text != nullptr && text->truncated);
    }
    json.end_object();
  }
  json.end_array();
}

void JsonWriter::write_memory(JsonBuilder& json) const {
  json.key("memory");
  if (!profile_.memory) {  // --no-memory, or a profile without allocation tracking
    json.null();
    return;
  }
  const MemoryInfo& memory = *profile_.memory;
  json.begin_object();
  json.field("sample_interval_bytes", memory.sample_interval_bytes);
  json.field("peak_bytes", memory.peak_heap_bytes).field("peak_t_s", seconds(memory.peak_t_ns));
  json.key("timeline").begin_array();
  for (const MemoryPoint& p : memory.timeline) {
    json.begin_array().value(seconds(p.t_ns)).value(p.heap_bytes).value(p.rss_bytes).end_array();
  }
  json.end_array();
  // Extras: the sampled totals over all stacks (attributed or not), when the sampled live
  // total peaked (what the lines' peak_bytes describe), and what the agent lost.
  const LineCounters& totals = model_.memory_totals();
  json.field("alloc_bytes", totals.alloc_bytes).field("free_bytes", totals.free_bytes);
  json.field("live_bytes", totals.live_bytes()).field("alloc_samples", totals.alloc_samples);
  json.field("live_peak_t_s", seconds(memory.live_peak_t_ns));
  json.field("untracked_frees", memory.untracked_frees);
  json.field("dropped_allocations", memory.dropped_allocations);
  json.end_object();
}

void JsonWriter::write_leaks(JsonBuilder& json) const {
  json.key("leaks").begin_array();
  for (const Leak& leak : find_leaks(profile_, model_)) {
    json.begin_object();
    json.field("path", model_.files()[leak.file].path).field("line", leak.line);
    json.field("live_bytes", leak.live_bytes);
    json.field("growth_bytes_per_s", leak.growth_bytes_per_s).field("confidence", leak.confidence);
    json.end_object();
  }
  json.end_array();
}

void JsonWriter::write_native_hotspots(JsonBuilder& json) const {
  const NativeStacks& native = model_.native();
  json.key("native_hotspots").begin_array();
  for (const NativeHotspot& h : compute_native_hotspots(model_)) {
    json.begin_object();
    json.field("function", h.function);
    // SPEC.md makes a hotspot's module a string: "[unknown]" (perf's word) when no module
    // held the address (stack frames say null there).
    json.field("module", h.module == SymbolizedAddress::kNoModule ? std::string("[unknown]")
                                                                   : native.module_path(h.module));
    json.key("source");
    const std::string source = h.source();
    if (source.empty()) {
      json.null().key("source_path").null();
    } else {
      json.value(source).field("source_path", h.source_path);
    }
    json.field("self_s", seconds(h.self_ns)).field("total_s", seconds(h.total_ns));
    json.key("callers").begin_array();
    for (const NativeHotspot::Caller& c : h.callers) {
      json.begin_object();
      json.field("path", model_.files()[c.file].path).field("line", c.line).field("s", seconds(c.ns));
      json.end_object();
    }
    json.end_array();
    json.end_object();
  }
  json.end_array();
}

void JsonWriter::write_stacks(JsonBuilder& json) const {
  json.key("stacks").begin_array();
  for (size_t s = 0; s < profile_.stacks.size(); ++s) {
    const StackRecord& stack = profile_.stacks[s];
    json.begin_object();
    json.field("pid", stack.pid).field("tid", stack.tid);
    const std::vector<DisplayFrame>& frames = model_.native().frames(s);
    json.key("frames").begin_array();
    for (const DisplayFrame& frame : frames) write_frame(json, frame);
    json.end_array();
    json.field("cpu_s", seconds(stack.counters.cpu_ns()));
    json.field("wall_s", seconds(stack.counters[sc::kWallNs]));
    const uint64_t alloc = stack.counters[sc::kAllocBytes];
    const uint64_t freed = stack.counters[sc::kFreeBytes];
    json.field("alloc_bytes", alloc);
    json.field("samples", stack.counters[sc::kSamples]);
    // Extras: what of the stack's allocations was freed, and what is left (clamped like a line's).
    json.field("free_bytes", freed).field("live_bytes", alloc > freed ? alloc - freed : uint64_t{0});
    // Extras: the split the line table got from this stack, and which frame it charged.
    json.field("cpu_python_s", seconds(stack.counters[sc::kCpuPythonNs]));
    json.field("cpu_native_s", seconds(stack.counters[sc::kCpuNativeNs]));
    json.field("cpu_system_s", seconds(stack.counters[sc::kCpuSystemNs]));
    json.field("gil_held_s", seconds(stack.counters[sc::kGilHeldNs]));
    const uint64_t gil_wait = stack.counters[sc::kGilWaitNs] +
                              (model_.native().gil_wait(s) ? model_.stack_weight(s) : 0);
    json.field("gil_wait_s", seconds(gil_wait));
    json.key("charged_frame");
    const int64_t charged = charged_frame(s, frames);
    if (charged >= 0) {
      json.value(charged);
    } else {
      json.null();
    }
    json.end_object();
  }
  json.end_array();
}

int64_t JsonWriter::charged_frame(size_t stack, const std::vector<DisplayFrame>& frames) const {
  // The innermost Python frame in profiled code: the same rule the line table used.
  if (model_.charges()[stack].file == LineModel::kUnattributed) return -1;
  for (size_t i = frames.size(); i-- > 0;) {
    if (frames[i].kind != DisplayFrame::Kind::kPython) continue;
    auto fn = profile_.functions.find(frames[i].function_id);
    if (fn != profile_.functions.end() && model_.filter().is_profiled(fn->second.path)) return static_cast<int64_t>(i);
  }
  return -1;
}

void JsonWriter::write_frame(JsonBuilder& json, const DisplayFrame& frame) const {
  json.begin_object();
  switch (frame.kind) {
    case DisplayFrame::Kind::kPython: {
      auto fn = profile_.functions.find(frame.function_id);
      json.field("kind", "python");
      if (fn == profile_.functions.end()) {  // the reader rejects these; stay total anyway
        json.field("name", "<unknown>").key("path").null();
      } else {
        json.field("name", fn->second.name);
        json.field("path", model_.filter().resolve(fn->second.path));
      }
      json.key("line");
      if (frame.line > 0) {
        json.value(frame.line);
      } else {
        json.null();
      }
      break;
    }
    case DisplayFrame::Kind::kNative: {
      const NativeFrameInfo& info = model_.native().native_frame(frame.native);
      const NativeLocation& at = info.location;
      json.field("kind", "native").field("name", at.function);
      json.key("path");
      if (at.path.empty()) {
        json.null();
      } else {
        json.value(at.path);
      }
      json.key("line");
      if (at.line > 0) {
        json.value(at.line);
      } else {
        json.null();
      }
      json.key("module");
      if (info.module == SymbolizedAddress::kNoModule) {
        json.null();
      } else {
        json.value(model_.native().module_path(info.module));
      }
      if (at.inlined) json.field("inlined", true);
      json.end_object();
      return;
    }
    case DisplayFrame::Kind::kTruncated:
      // Frames dropped at the root of a too-deep stack.
      json.field("kind", "python").field("name", "<truncated>");
      json.key("path").null().key("line").null();
      break;
  }
  json.key("module").null();
  json.end_object();
}

}  // namespace pyro::report
