// Test support: assembles .pyro profiles in memory with the format's own ByteWriter, so
// tests (and, later, fuzz seeds) can describe a profile record by record.
#ifndef PYROMETER_REPORT_TESTING_PROFILE_BUILDER_H
#define PYROMETER_REPORT_TESTING_PROFILE_BUILDER_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pyrometer/profile_format.h"

namespace pyro::report::testing {

struct FrameSpec {
  format::FrameKind kind = format::FrameKind::kPython;
  uint32_t function_id = 0;
  int32_t line = 0;
  uint64_t address = 0;
};

inline FrameSpec py(uint32_t function_id, int32_t line) {
  return {format::FrameKind::kPython, function_id, line, 0};
}
// A native return address (the call site is address - 1).
inline FrameSpec native(uint64_t address) { return {format::FrameKind::kNative, 0, 0, address}; }
// The exact interrupted PC (the innermost native frame).
inline FrameSpec native_pc(uint64_t address) {
  return {format::FrameKind::kNativePc, 0, 0, address};
}
inline FrameSpec truncated() { return {format::FrameKind::kTruncated, 0, 0, 0}; }

// Stack counters in file order: samples, cpu_python_ns, cpu_native_ns, cpu_system_ns,
// wall_ns, gil_held_ns, gil_wait_ns, then (written only when one is non-zero, as files
// without memory tracking may omit them) alloc_bytes, alloc_samples, free_bytes,
// peak_live_bytes.
struct Counters {
  uint64_t samples = 1;
  uint64_t cpu_python_ns = 0;
  uint64_t cpu_native_ns = 0;
  uint64_t cpu_system_ns = 0;
  uint64_t wall_ns = 0;
  uint64_t gil_held_ns = 0;
  uint64_t gil_wait_ns = 0;
  uint64_t alloc_bytes = 0;
  uint64_t alloc_samples = 0;
  uint64_t free_bytes = 0;
  uint64_t peak_live_bytes = 0;
  std::vector<uint64_t> as_vector() const {
    std::vector<uint64_t> v = {samples, cpu_python_ns, cpu_native_ns, cpu_system_ns, wall_ns, gil_held_ns, gil_wait_ns};
    if (alloc_bytes != 0 || alloc_samples != 0 || free_bytes != 0 || peak_live_bytes != 0) {
      v.insert(v.end(), {alloc_bytes, alloc_samples, free_bytes, peak_live_bytes});
    }
    return v;
  }
};

// An allocation-only stack's counters: no CPU sample, only sampled allocations.
inline Counters allocated(uint64_t alloc_bytes, uint64_t free_bytes = 0, uint64_t peak_live_bytes = 0) {
  Counters c;
  c.samples = 0;
  c.alloc_bytes = alloc_bytes;
  c.alloc_samples = alloc_bytes == 0 ? 0 : 1 + alloc_bytes / (512 * 1024);
  c.free_bytes = free_bytes;
  c.peak_live_bytes = peak_live_bytes;
  return c;
}

struct RunSpec {
  uint32_t pid = 4242;
  uint8_t mode = 0;
  uint64_t interval_ns = 10'000'000;
  uint64_t start_unix_ns = 1'700'000'000'000'000'000ull;
  uint64_t duration_ns = 2'000'000'000;
  uint64_t samples = 100;
  uint64_t dropped_samples = 0;
  uint64_t truncated_stacks = 0;
  uint64_t lost_functions = 0;
  // The fields added with native stacks; false writes a Run record as older files have it.
  bool with_native_counts = true;
  uint64_t native_fallbacks = 0;
  uint64_t native_skipped = 0;
};

struct MemorySpec {
  uint64_t sample_interval_bytes = 512 * 1024;
  uint64_t peak_heap_bytes = 64 << 20;
  uint64_t peak_t_ns = 1'000'000'000;
  uint64_t live_peak_t_ns = 900'000'000;
  uint64_t untracked_frees = 0;
  uint64_t dropped_allocations = 0;
  struct Point {
    uint64_t t_ns, heap_bytes, rss_bytes;
  };
  std::vector<Point> timeline = {{0, 1 << 20, 8 << 20}, {1'000'000'000, 64 << 20, 80 << 20}};
};

struct ModuleSpec {
  std::string path;
  uint64_t load_bias = 0;
  std::string build_id;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;  // [start, end)
};

class ProfileBuilder {
 public:
  using Type = format::RecordType;

  ProfileBuilder& meta(const std::string& key, const std::string& value) {
    format::ByteWriter w;
    w.str(key);
    w.str(value);
    return record(Type::kMeta, w);
  }

  ProfileBuilder& run(const RunSpec& r = {}) {
    format::ByteWriter w;
    w.u32(r.pid);
    w.u8(r.mode);
    w.u64(r.interval_ns);
    w.u64(r.start_unix_ns);
    w.u64(r.duration_ns);
    w.u64(r.samples);
    w.u64(r.dropped_samples);
    w.u64(r.truncated_stacks);
    w.u64(r.lost_functions);
    if (r.with_native_counts) {
      w.u64(r.native_fallbacks);
      w.u64(r.native_skipped);
    }
    return record(Type::kRun, w);
  }

  ProfileBuilder& function(uint32_t id, const std::string& path, const std::string& name,
                           int32_t first_line) {
    format::ByteWriter w;
    w.u32(id);
    w.str(path);
    w.str(name);
    w.i32(first_line);
    return record(Type::kFunction, w);
  }

  ProfileBuilder& thread(uint32_t pid, uint32_t tid, const std::string& name, uint64_t cpu_ns,
                         uint64_t wall_ns, uint64_t samples) {
    format::ByteWriter w;
    w.u32(pid);
    w.u32(tid);
    w.str(name);
    w.u64(cpu_ns);
    w.u64(wall_ns);
    w.u64(samples);
    return record(Type::kThread, w);
  }

  ProfileBuilder& stack(uint32_t pid, uint32_t tid, const std::vector<FrameSpec>& frames,
                        const std::vector<uint64_t>& counters) {
    format::ByteWriter w;
    w.u32(pid);
    w.u32(tid);
    w.u32(static_cast<uint32_t>(frames.size()));
    for (const FrameSpec& f : frames) {
      w.u8(static_cast<uint8_t>(f.kind));
      if (f.kind == format::FrameKind::kPython) {
        w.u32(f.function_id);
        w.i32(f.line);
      } else if (f.kind == format::FrameKind::kNative || f.kind == format::FrameKind::kNativePc) {
        w.u64(f.address);
      }
    }
    w.u32(static_cast<uint32_t>(counters.size()));
    for (uint64_t c : counters) w.u64(c);
    return record(Type::kStack, w);
  }

  ProfileBuilder& stack(uint32_t pid, uint32_t tid, const std::vector<FrameSpec>& frames,
                        const Counters& counters) {
    return stack(pid, tid, frames, counters.as_vector());
  }

  ProfileBuilder& timeline(const std::vector<std::pair<uint64_t, uint64_t>>& points) {
    format::ByteWriter w;
    w.u32(static_cast<uint32_t>(points.size()));
    for (const auto& [t, cpu] : points) {
      w.u64(t);
      w.u64(cpu);
    }
    return record(Type::kTimeline, w);
  }

  ProfileBuilder& module(const ModuleSpec& m) {
    format::ByteWriter w;
    w.str(m.path);
    w.u64(m.load_bias);
    w.str(m.build_id);
    w.u32(static_cast<uint32_t>(m.ranges.size()));
    for (const auto& [start, end] : m.ranges) {
      w.u64(start);
      w.u64(end);
    }
    return record(Type::kModule, w);
  }

  ProfileBuilder& capture_stats(const std::vector<uint64_t>& buckets) {
    format::ByteWriter w;
    w.u32(static_cast<uint32_t>(buckets.size()));
    for (uint64_t count : buckets) w.u64(count);
    return record(Type::kCaptureStats, w);
  }

  ProfileBuilder& memory(const MemorySpec& m = {}) {
    format::ByteWriter w;
    w.u64(m.sample_interval_bytes);
    w.u64(m.peak_heap_bytes);
    w.u64(m.peak_t_ns);
    w.u64(m.live_peak_t_ns);
    w.u64(m.untracked_frees);
    w.u64(m.dropped_allocations);
    w.u32(static_cast<uint32_t>(m.timeline.size()));
    for (const MemorySpec::Point& p : m.timeline) {
      w.u64(p.t_ns);
      w.u64(p.heap_bytes);
      w.u64(p.rss_bytes);
    }
    return record(Type::kMemory, w);
  }

  // The live series of the stack_ordinal-th Stack record (0-based, in file order).
  ProfileBuilder& live_series(uint32_t stack_ordinal, uint64_t bucket_ns, const std::vector<int64_t>& live_bytes) {
    format::ByteWriter w;
    w.u32(stack_ordinal);
    w.u64(bucket_ns);
    w.u32(static_cast<uint32_t>(live_bytes.size()));
    for (int64_t v : live_bytes) w.u64(static_cast<uint64_t>(v));
    return record(Type::kLiveSeries, w);
  }

  // Any record, with a payload given as bytes.
  ProfileBuilder& raw_record(uint32_t type, const std::vector<uint8_t>& payload) {
    records_.emplace_back(type, payload);
    return *this;
  }

  // The file: header, the records, and (unless told otherwise) the End record.
  std::vector<uint8_t> bytes(bool with_end = true, uint32_t version = format::kVersion) const {
    format::ByteWriter w;
    w.raw(format::kMagic, sizeof format::kMagic);
    w.u32(version);
    w.u32(0);
    for (const auto& [type, payload] : records_) {
      w.u32(type);
      w.u32(static_cast<uint32_t>(payload.size()));
      w.raw(payload.data(), payload.size());
    }
    if (with_end) {
      w.u32(static_cast<uint32_t>(Type::kEnd));
      w.u32(8);
      w.u64(records_.size());
    }
    return w.bytes();
  }

 private:
  ProfileBuilder& record(Type type, const format::ByteWriter& w) {
    records_.emplace_back(static_cast<uint32_t>(type), w.bytes());
    return *this;
  }

  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> records_;
};

}  // namespace pyro::report::testing

#endif  // PYROMETER_REPORT_TESTING_PROFILE_BUILDER_H
