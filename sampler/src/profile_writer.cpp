#include "profile_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "pyrometer/temp_file.h"

namespace pyro {
namespace {

using format::ByteWriter;
using format::RecordType;

class RecordStream {
 public:
  RecordStream() {
    out_.raw(format::kMagic, sizeof format::kMagic);
    out_.u32(format::kVersion);
    out_.u32(0);
  }
  ByteWriter& begin() {
    payload_.clear();
    return payload_;
  }
  void end(RecordType type) {
    out_.u32(static_cast<uint32_t>(type));
    out_.u32(static_cast<uint32_t>(payload_.bytes().size()));
    out_.raw(payload_.bytes().data(), payload_.bytes().size());
    ++records_;
  }
  std::vector<uint8_t> finish() {
    begin().u64(records_);
    end(RecordType::kEnd);
    return out_.bytes();
  }

 private:
  ByteWriter out_;
  ByteWriter payload_;
  uint64_t records_ = 0;
};

bool write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Memory record (settings, peak, heap timeline) and one LiveSeries record per stack that
// allocated: docs/profile-format.md.
void write_memory(RecordStream& rs, const MemoryAggregator& memory, const ProfileExtras& extras) {
  {
    ByteWriter& w = rs.begin();
    w.u64(memory.mean());
    w.u64(memory.peak_heap() > 0 ? static_cast<uint64_t>(memory.peak_heap()) : 0);
    w.u64(memory.peak_heap_t_ns());
    w.u64(memory.live_peak_t_ns());
    w.u64(extras.untracked_frees);
    w.u64(extras.dropped_allocations);
    const auto& points = memory.timeline();
    w.u32(static_cast<uint32_t>(points.size()));
    for (const HeapPoint& p : points) {
      w.u64(p.t_ns);
      w.u64(p.heap > 0 ? static_cast<uint64_t>(p.heap) : 0);
      w.u64(p.rss);
    }
    rs.end(RecordType::kMemory);
  }
  for (size_t stack = 0; stack < memory.tracked_stacks(); ++stack) {
    const std::vector<int64_t> series = memory.series(stack);
    if (series.empty()) continue;
    ByteWriter& w = rs.begin();
    w.u32(static_cast<uint32_t>(stack));
    w.u64(memory.series_bucket_ns());
    w.u32(static_cast<uint32_t>(series.size()));
    for (int64_t v : series) w.u64(static_cast<uint64_t>(v));
    rs.end(RecordType::kLiveSeries);
  }
}

}  // namespace

std::vector<uint8_t> ProfileWriter::serialize(const RunInfo& run,
                                              const std::vector<std::pair<std::string, std::string>>& meta,
                                              const Aggregator& agg, const FunctionTable& functions,
                                              const ProfileExtras& extras) {
  RecordStream rs;
  for (const auto& [key, value] : meta) {
    ByteWriter& w = rs.begin();
    w.str(key);
    w.str(value);
    rs.end(RecordType::kMeta);
  }
  {
    ByteWriter& w = rs.begin();
    w.u32(static_cast<uint32_t>(run.pid));
    w.u8(static_cast<uint8_t>(run.mode));
    w.u64(run.interval_ns);
    w.u64(run.start_unix_ns);
    w.u64(run.duration_ns);
    w.u64(agg.samples());
    w.u64(run.dropped_samples);
    w.u64(agg.truncated_stacks());
    w.u64(functions.lost());
    w.u64(agg.native_fallbacks());
    w.u64(agg.native_skipped());
    rs.end(RecordType::kRun);
  }

  // Only the functions some stack refers to; ids that cannot be resolved become <unknown>.
  std::set<uint32_t> used;
  for (const AggregatedStack& st : agg.stacks())
    for (const MixedFrame& f : st.frames)
      if (f.kind == format::FrameKind::kPython) used.insert(f.function_id);
  for (uint32_t id : used) {
    FunctionInfo info;
    if (!functions.lookup(id, &info)) info = FunctionInfo{"<unknown>", "<unknown>", 0};
    ByteWriter& w = rs.begin();
    w.u32(id);
    w.str(info.path);
    w.str(info.name);
    w.i32(info.first_line);
    rs.end(RecordType::kFunction);
  }

  for (const AggregatedThread& t : agg.threads()) {
    ByteWriter& w = rs.begin();
    w.u32(static_cast<uint32_t>(run.pid));
    w.u32(static_cast<uint32_t>(t.tid));
    w.str(t.name);
    w.u64(t.cpu_ns);
    w.u64(t.wall_ns);
    w.u64(t.samples);
    rs.end(RecordType::kThread);
  }

  for (const AggregatedStack& st : agg.stacks()) {
    ByteWriter& w = rs.begin();
    w.u32(static_cast<uint32_t>(run.pid));
    w.u32(static_cast<uint32_t>(st.tid));
    const uint32_t nframes = static_cast<uint32_t>(st.frames.size()) + (st.truncated ? 1 : 0);
    w.u32(nframes);
    if (st.truncated) w.u8(static_cast<uint8_t>(format::FrameKind::kTruncated));
    for (auto it = st.frames.rbegin(); it != st.frames.rend(); ++it) {  // root first
      w.u8(static_cast<uint8_t>(it->kind));
      if (it->kind == format::FrameKind::kPython) {
        w.u32(it->function_id);
        w.i32(it->line);
      } else {
        w.u64(it->address);
      }
    }
    w.u32(format::kStackCounterCount);
    for (uint64_t v : st.counters.values) w.u64(v);
    rs.end(RecordType::kStack);
  }

  {
    ByteWriter& w = rs.begin();
    const auto& buckets = agg.timeline();
    w.u32(static_cast<uint32_t>(buckets.size()));
    for (size_t i = 0; i < buckets.size(); ++i) {
      w.u64(i * agg.timeline_bucket_ns());
      w.u64(buckets[i]);
    }
    rs.end(RecordType::kTimeline);
  }
  for (const LoadedModule& m : extras.modules) {
    ByteWriter& w = rs.begin();
    w.str(m.path);
    w.u64(m.load_bias);
    w.str(m.build_id);
    w.u32(static_cast<uint32_t>(m.executable_ranges.size()));
    for (const auto& [start, end] : m.executable_ranges) {
      w.u64(start);
      w.u64(end);
    }
    rs.end(RecordType::kModule);
  }
  if (!extras.capture_durations.empty()) {
    ByteWriter& w = rs.begin();
    w.u32(static_cast<uint32_t>(extras.capture_durations.size()));
    for (uint64_t count : extras.capture_durations) w.u64(count);
    rs.end(RecordType::kCaptureStats);
  }
  if (extras.memory) write_memory(rs, *extras.memory, extras);
  return rs.finish();
}

std::string ProfileWriter::write(const std::string& path, const RunInfo& run,
                                 const std::vector<std::pair<std::string, std::string>>& meta,
                                 const Aggregator& agg, const FunctionTable& functions,
                                 const ProfileExtras& extras) {
  std::vector<uint8_t> bytes = serialize(run, meta, agg, functions, extras);
  std::string tmp;
  int fd = open_temp_beside(path, &tmp);
  if (fd < 0) return "cannot write " + path + ": " + std::strerror(errno);
  bool ok = write_all(fd, bytes.data(), bytes.size());
  int saved = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok) {
    ::unlink(tmp.c_str());
    return "cannot write " + path + ": " + std::strerror(saved);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    saved = errno;
    ::unlink(tmp.c_str());
    return "cannot write " + path + ": " + std::strerror(saved);
  }
  return {};
}

}  // namespace pyro
