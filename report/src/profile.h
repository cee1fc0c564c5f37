// The in-memory form of a .pyro profile, as ProfileReader produces it. Plain data: every
// report (JSON, HTML, text) is computed from this and nothing else.
#ifndef PYROMETER_REPORT_PROFILE_H
#define PYROMETER_REPORT_PROFILE_H

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pyrometer/profile_format.h"

namespace pyro::report {

struct RunInfo {
  uint32_t pid = 0;
  format::Mode mode = format::Mode::kCpu;
  uint64_t interval_ns = 0;
  uint64_t start_unix_ns = 0;
  uint64_t duration_ns = 0;
  uint64_t samples = 0;
  uint64_t dropped_samples = 0;
  uint64_t truncated_stacks = 0;
  uint64_t lost_functions = 0;
  // Format additions: absent (and 0 here) in files written before native stacks.
  uint64_t native_fallbacks = 0;  // samples whose native stack could not be merged
  uint64_t native_skipped = 0;    // samples not unwound (thread inside the dynamic loader)
  // Not in the Run record: the process's Meta argv (U+001F separated), set when child
  // profiles are merged (child_profiles.h), so each process keeps its command line.
  std::string argv;
};

struct FunctionInfo {
  uint32_t id = 0;
  std::string path;  // co_filename exactly as recorded (may be relative or "<string>")
  std::string name;  // co_qualname
  int32_t first_line = 0;
};

struct ThreadInfo {
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::string name;
  uint64_t cpu_ns = 0;
  uint64_t wall_ns = 0;
  uint64_t samples = 0;
};

struct Frame {
  format::FrameKind kind = format::FrameKind::kPython;
  uint32_t function_id = 0;  // kPython only
  int32_t line = 0;          // kPython only; <= 0 when the interpreter did not know it
  uint64_t address = 0;      // kNative (a return address) and kNativePc (the exact PC)

  bool is_native() const {
    return kind == format::FrameKind::kNative || kind == format::FrameKind::kNativePc;
  }
};

// An executable mapping range [start, end) at runtime addresses.
struct AddressRange {
  uint64_t start = 0;
  uint64_t end = 0;
};

// One loaded object of the profiled process (Module record): what the symbolizer needs.
struct ModuleInfo {
  std::string path;      // as the process saw it (may be a pseudo name like linux-vdso.so.1)
  uint64_t load_bias = 0;  // runtime address - ELF virtual address
  std::string build_id;  // lowercase hex; empty when the object has none
  std::vector<AddressRange> ranges;  // executable mappings, non-empty ranges only
};

// The counters of one stack record, indexed by format::StackCounter. Counters the file
// did not carry are 0; counters this reader does not know are dropped.
struct StackCounters {
  std::array<uint64_t, format::kStackCounterCount> values{};

  uint64_t operator[](format::StackCounter c) const { return values[c]; }
  uint64_t& operator[](format::StackCounter c) { return values[c]; }
  uint64_t cpu_ns() const {
    return values[format::kCpuPythonNs] + values[format::kCpuNativeNs] +
           values[format::kCpuSystemNs];
  }
};

// A stack's estimated live bytes (alloc - free) at the end of each bucket of bucket_ns from
// the start of its process's run (LiveSeries record). Empty for stacks that never allocated.
struct LiveSeries {
  uint64_t bucket_ns = 0;
  std::vector<int64_t> live_bytes;

  bool empty() const { return live_bytes.empty(); }
};

struct StackRecord {
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::vector<Frame> frames;  // root first
  StackCounters counters;
  LiveSeries live;
};

struct TimelinePoint {
  uint64_t t_ns = 0;    // from the start of the run
  uint64_t cpu_ns = 0;  // CPU used by all threads in this bucket
};

struct MemoryPoint {
  uint64_t t_ns = 0;        // from the start of the run
  uint64_t heap_bytes = 0;  // exact heap footprint (allocated - freed, allocator sizes)
  uint64_t rss_bytes = 0;
};

// Allocation tracking (Memory record): present only when the agent tracked memory. With
// several Memory records (child processes merged into one file) the first one, the profiled
// program's, gives the settings, the peak and the timeline; the loss counters add up.
struct MemoryInfo {
  uint64_t sample_interval_bytes = 0;  // mean bytes between allocation samples
  uint64_t peak_heap_bytes = 0;
  uint64_t peak_t_ns = 0;
  uint64_t live_peak_t_ns = 0;  // when the sampled live total peaked (what kPeakLiveBytes describes)
  uint64_t untracked_frees = 0;      // sampled frees that could not be matched
  uint64_t dropped_allocations = 0;  // sampled allocations that were not recorded
  uint32_t records = 0;              // Memory records merged here
  std::vector<MemoryPoint> timeline;
};

struct Profile {
  std::map<std::string, std::string> meta;
  std::vector<RunInfo> runs;  // never empty once read; runs[0] is the profiled program,
                              // then one per merged child process
  std::unordered_map<uint32_t, FunctionInfo> functions;
  std::vector<ThreadInfo> threads;
  std::vector<StackRecord> stacks;
  std::vector<TimelinePoint> timeline;
  std::vector<ModuleInfo> modules;
  // Signal-handler durations: capture_histogram[i] counts captures of [2^i, 2^(i+1)) ns.
  // CaptureStats records (one per process) add up; empty when the file has none.
  std::vector<uint64_t> capture_histogram;
  // Absent when the file has no Memory record (--no-memory, or a profile from before it).
  std::optional<MemoryInfo> memory;

  const RunInfo& run() const { return runs.front(); }

  // The meta value for key, or fallback when absent.
  std::string meta_value(const std::string& key, const std::string& fallback = {}) const {
    auto it = meta.find(key);
    return it == meta.end() ? fallback : it->second;
  }
};

// Splits a meta value on U+001F (the separator of argv and exclude_prefixes).
std::vector<std::string> split_meta_list(const std::string& value);

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_PROFILE_H
