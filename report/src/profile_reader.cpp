#include "profile_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace pyro::report {

namespace fmtspec = pyro::format;
using fmtspec::ByteReader;
using fmtspec::RecordType;

std::vector<std::string> split_meta_list(const std::string& value) {
  std::vector<std::string> parts;
  if (value.empty()) return parts;
  size_t start = 0;
  for (;;) {
    size_t sep = value.find('\x1f', start);
    parts.push_back(value.substr(start, sep == std::string::npos ? sep : sep - start));
    if (sep == std::string::npos) break;
    start = sep + 1;
  }
  return parts;
}

namespace {

constexpr size_t kHeaderSize = 16;
constexpr size_t kRecordHeaderSize = 8;
// A python frame is the smallest frame the format has: u8 kind (+ payload); use the kind
// byte alone as the lower bound so the check is valid for every kind.
constexpr size_t kMinFrameSize = 1;
constexpr size_t kTimelinePointSize = 16;
constexpr size_t kAddressRangeSize = 16;
constexpr size_t kMemoryPointSize = 24;
// Bucket i of CaptureStats stands for [2^i, 2^(i+1)) ns: past 64 the bounds overflow a u64.
constexpr uint32_t kMaxCaptureBuckets = 64;

// Counters of several processes added up: one process's cannot overflow, a sum could.
uint64_t saturating_add(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }

[[noreturn]] void corrupt(const std::string& what) {
  throw ProfileError("corrupt profile: " + what);
}

class RecordParser {
 public:
  explicit RecordParser(Profile& profile) : profile_(profile) {}

  void parse(uint32_t type, ByteReader& in, size_t offset) {
    offset_ = offset;
    switch (static_cast<RecordType>(type)) {
      case RecordType::kMeta: meta(in); break;
      case RecordType::kRun: run(in); break;
      case RecordType::kFunction: function(in); break;
      case RecordType::kThread: thread(in); break;
      case RecordType::kStack: stack(in); break;
      case RecordType::kTimeline: timeline(in); break;
      case RecordType::kModule: module(in); break;
      case RecordType::kCaptureStats: capture_stats(in); break;
      case RecordType::kMemory: memory(in); break;
      case RecordType::kLiveSeries: live_series(in); break;
      default: return;  // unknown record types are skipped (forward compatibility)
    }
    // Trailing bytes after the known fields are allowed: a newer writer may append fields.
    if (in.failed()) corrupt(fmt::format("{} at offset {} is shorter than its fields", name(type), offset));
  }

  // Checks that need the whole file: records may come in any order.
  void finish() {
    if (profile_.runs.empty()) corrupt("no Run record");
    for (const StackRecord& stack : profile_.stacks) {
      for (const Frame& frame : stack.frames) {
        if (frame.kind == fmtspec::FrameKind::kPython &&
            profile_.functions.find(frame.function_id) == profile_.functions.end()) {
          corrupt(fmt::format("a stack frame refers to unknown function id {}", frame.function_id));
        }
      }
    }
    // LiveSeries records name their stack by ordinal; Stack records may come after them.
    std::vector<bool> has_series(profile_.stacks.size(), false);
    for (PendingSeries& pending : pending_series_) {
      if (pending.stack_ordinal >= profile_.stacks.size()) {
        corrupt(fmt::format("LiveSeries record at offset {} refers to stack {}, the file has {}",
                            pending.offset, pending.stack_ordinal, profile_.stacks.size()));
      }
      if (has_series[pending.stack_ordinal]) {
        corrupt(fmt::format("LiveSeries record at offset {} is the second one of stack {}",
                            pending.offset, pending.stack_ordinal));
      }
      has_series[pending.stack_ordinal] = true;
      profile_.stacks[pending.stack_ordinal].live = std::move(pending.series);
    }
    pending_series_.clear();
  }

 private:
  static const char* name(uint32_t type) {
    switch (static_cast<RecordType>(type)) {
      case RecordType::kMeta: return "Meta record";
      case RecordType::kRun: return "Run record";
      case RecordType::kFunction: return "Function record";
      case RecordType::kThread: return "Thread record";
      case RecordType::kStack: return "Stack record";
      case RecordType::kTimeline: return "Timeline record";
      case RecordType::kModule: return "Module record";
      case RecordType::kCaptureStats: return "CaptureStats record";
      case RecordType::kMemory: return "Memory record";
      case RecordType::kLiveSeries: return "LiveSeries record";
      default: return "record";
    }
  }

  void meta(ByteReader& in) {
    std::string key = in.str();
    std::string value = in.str();
    if (!in.failed()) profile_.meta[std::move(key)] = std::move(value);
  }

  void run(ByteReader& in) {
    RunInfo r;
    r.pid = in.u32();
    uint8_t mode = in.u8();
    r.interval_ns = in.u64();
    r.start_unix_ns = in.u64();
    r.duration_ns = in.u64();
    r.samples = in.u64();
    r.dropped_samples = in.u64();
    r.truncated_stacks = in.u64();
    r.lost_functions = in.u64();
    // Fields added with native stacks: files written before them end here and stay valid.
    if (in.remaining() >= sizeof(uint64_t)) r.native_fallbacks = in.u64();
    if (in.remaining() >= sizeof(uint64_t)) r.native_skipped = in.u64();
    if (in.failed()) return;
    if (mode > static_cast<uint8_t>(fmtspec::Mode::kWall)) {
      corrupt(fmt::format("Run record at offset {} has unknown mode {}", offset_, mode));
    }
    r.mode = static_cast<fmtspec::Mode>(mode);
    profile_.runs.push_back(r);
  }

  void function(ByteReader& in) {
    FunctionInfo f;
    f.id = in.u32();
    f.path = in.str();
    f.name = in.str();
    f.first_line = in.i32();
    if (in.failed()) return;
    auto [it, inserted] = profile_.functions.emplace(f.id, f);
    if (!inserted && (it->second.path != f.path || it->second.name != f.name ||
                      it->second.first_line != f.first_line)) {
      corrupt(fmt::format("function id {} is defined twice, differently", f.id));
    }
  }

  void thread(ByteReader& in) {
    ThreadInfo t;
    t.pid = in.u32();
    t.tid = in.u32();
    t.name = in.str();
    t.cpu_ns = in.u64();
    t.wall_ns = in.u64();
    t.samples = in.u64();
    if (!in.failed()) profile_.threads.push_back(std::move(t));
  }

  void stack(ByteReader& in) {
    StackRecord s;
    s.pid = in.u32();
    s.tid = in.u32();
    uint32_t nframes = in.u32();
    if (in.failed()) return;
    if (nframes > in.remaining() / kMinFrameSize) {
      corrupt(fmt::format("Stack record at offset {} claims {} frames in {} bytes", offset_,
                          nframes, in.remaining()));
    }
    s.frames.reserve(nframes);
    for (uint32_t i = 0; i < nframes && !in.failed(); ++i) {
      Frame f;
      uint8_t kind = in.u8();
      switch (static_cast<fmtspec::FrameKind>(kind)) {
        case fmtspec::FrameKind::kPython:
          f.kind = fmtspec::FrameKind::kPython;
          f.function_id = in.u32();
          f.line = in.i32();
          break;
        case fmtspec::FrameKind::kNative:
        case fmtspec::FrameKind::kNativePc:
          f.kind = static_cast<fmtspec::FrameKind>(kind);
          f.address = in.u64();
          break;
        case fmtspec::FrameKind::kTruncated:
          f.kind = fmtspec::FrameKind::kTruncated;
          break;
        default:
          if (in.failed()) return;
          corrupt(fmt::format("Stack record at offset {} has a frame of unknown kind {}", offset_, kind));
      }
      s.frames.push_back(f);
    }
    uint32_t ncounters = in.u32();
    if (in.failed()) return;
    if (ncounters > in.remaining() / sizeof(uint64_t)) {
      corrupt(fmt::format("Stack record at offset {} claims {} counters in {} bytes", offset_,
                          ncounters, in.remaining()));
    }
    for (uint32_t i = 0; i < ncounters; ++i) {
      uint64_t v = in.u64();
      if (i < fmtspec::kStackCounterCount) s.counters.values[i] = v;
    }
    if (!in.failed()) profile_.stacks.push_back(std::move(s));
  }

  void timeline(ByteReader& in) {
    uint32_t count = in.u32();
    if (in.failed()) return;
    if (count > in.remaining() / kTimelinePointSize) {
      corrupt(fmt::format("Timeline record at offset {} claims {} points in {} bytes", offset_,
                          count, in.remaining()));
    }
    profile_.timeline.reserve(profile_.timeline.size() + count);
    for (uint32_t i = 0; i < count; ++i) {
      TimelinePoint p;
      p.t_ns = in.u64();
      p.cpu_ns = in.u64();
      profile_.timeline.push_back(p);
    }
  }

  void module(ByteReader& in) {
    ModuleInfo m;
    m.path = in.str();
    m.load_bias = in.u64();
    m.build_id = in.str();
    uint32_t nranges = in.u32();
    if (in.failed()) return;
    if (nranges > in.remaining() / kAddressRangeSize) {
      corrupt(fmt::format("Module record at offset {} claims {} ranges in {} bytes", offset_,
                          nranges, in.remaining()));
    }
    m.ranges.reserve(nranges);
    for (uint32_t i = 0; i < nranges; ++i) {
      AddressRange r;
      r.start = in.u64();
      r.end = in.u64();
      if (r.start > r.end) {
        corrupt(fmt::format("Module record at offset {} has a range that ends before it starts "
                            "(0x{:x} > 0x{:x})", offset_, r.start, r.end));
      }
      if (r.start < r.end) m.ranges.push_back(r);  // an empty mapping maps nothing
    }
    if (!in.failed()) profile_.modules.push_back(std::move(m));
  }

  void capture_stats(ByteReader& in) {
    uint32_t nbuckets = in.u32();
    if (in.failed()) return;
    if (nbuckets > kMaxCaptureBuckets || nbuckets > in.remaining() / sizeof(uint64_t)) {
      corrupt(fmt::format("CaptureStats record at offset {} claims {} buckets in {} bytes",
                          offset_, nbuckets, in.remaining()));
    }
    std::vector<uint64_t>& histogram = profile_.capture_histogram;
    if (histogram.size() < nbuckets) histogram.resize(nbuckets, 0);
    for (uint32_t i = 0; i < nbuckets; ++i) {
      histogram[i] = saturating_add(histogram[i], in.u64());
    }
  }

  void memory(ByteReader& in) {
    MemoryInfo m;
    m.sample_interval_bytes = in.u64();
    m.peak_heap_bytes = in.u64();
    m.peak_t_ns = in.u64();
    m.live_peak_t_ns = in.u64();
    m.untracked_frees = in.u64();
    m.dropped_allocations = in.u64();
    const uint32_t count = in.u32();
    if (in.failed()) return;
    if (count > in.remaining() / kMemoryPointSize) {
      corrupt(fmt::format("Memory record at offset {} claims {} timeline points in {} bytes", offset_,
                          count, in.remaining()));
    }
    m.timeline.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      MemoryPoint p;
      p.t_ns = in.u64();
      p.heap_bytes = in.u64();
      p.rss_bytes = in.u64();
      m.timeline.push_back(p);
    }
    if (in.failed()) return;
    if (!profile_.memory) {
      m.records = 1;
      profile_.memory = std::move(m);
      return;
    }
    // A child process's record (merged files): its timeline runs on another clock and its
    // heap is another process's, so only the loss counters are added (see MemoryInfo).
    MemoryInfo& first = *profile_.memory;
    first.untracked_frees = saturating_add(first.untracked_frees, m.untracked_frees);
    first.dropped_allocations = saturating_add(first.dropped_allocations, m.dropped_allocations);
    ++first.records;
  }

  void live_series(ByteReader& in) {
    PendingSeries pending;
    pending.offset = offset_;
    pending.stack_ordinal = in.u32();
    pending.series.bucket_ns = in.u64();
    const uint32_t count = in.u32();
    if (in.failed()) return;
    if (count > in.remaining() / sizeof(int64_t)) {
      corrupt(fmt::format("LiveSeries record at offset {} claims {} buckets in {} bytes", offset_,
                          count, in.remaining()));
    }
    // Bucket times are (i + 1) * bucket_ns: a zero width would put every bucket at t = 0.
    if (count > 0 && pending.series.bucket_ns == 0) {
      corrupt(fmt::format("LiveSeries record at offset {} has buckets of 0 ns", offset_));
    }
    pending.series.live_bytes.reserve(count);
    for (uint32_t i = 0; i < count; ++i) pending.series.live_bytes.push_back(static_cast<int64_t>(in.u64()));
    if (!in.failed()) pending_series_.push_back(std::move(pending));
  }

  struct PendingSeries {
    uint32_t stack_ordinal = 0;
    size_t offset = 0;
    LiveSeries series;
  };

  Profile& profile_;
  size_t offset_ = 0;
  std::vector<PendingSeries> pending_series_;  // attached to their stacks by finish()
};

void check_header(const uint8_t* data, size_t size) {
  const size_t magic_size = sizeof fmtspec::kMagic;
  size_t have = size < magic_size ? size : magic_size;
  if (size == 0) throw ProfileError("not a pyrometer profile (empty file)");
  if (std::memcmp(data, fmtspec::kMagic, have) != 0) {
    throw ProfileError("not a pyrometer profile (bad magic)");
  }
  if (size < kHeaderSize) throw ProfileError("truncated profile (incomplete header)");
  ByteReader header(data + magic_size, kHeaderSize - magic_size);
  uint32_t version = header.u32();
  if (version != fmtspec::kVersion) {
    throw ProfileError(fmt::format(
        "unsupported profile format version {} (this pyrometer reads version {})", version,
        fmtspec::kVersion));
  }
}

}  // namespace

Profile ProfileReader::parse(const uint8_t* data, size_t size) {
  static const uint8_t kEmpty[1] = {0};
  if (data == nullptr) {
    data = kEmpty;
    size = 0;
  }
  check_header(data, size);

  Profile profile;
  RecordParser parser(profile);
  uint64_t records = 0;
  size_t pos = kHeaderSize;  // ByteReader cannot skip, so the record walk keeps its own offset
  for (;;) {
    const size_t left = size - pos;
    if (left == 0) throw ProfileError("truncated profile (no End record)");
    if (left < kRecordHeaderSize) {
      throw ProfileError(fmt::format("truncated profile (partial record header at offset {})", pos));
    }
    ByteReader header(data + pos, kRecordHeaderSize);
    const uint32_t type = header.u32();
    const uint32_t length = header.u32();
    if (length > left - kRecordHeaderSize) {
      throw ProfileError(fmt::format("truncated profile (record at offset {} needs {} bytes, {} left)",
                                     pos, length, left - kRecordHeaderSize));
    }
    ByteReader payload(data + pos + kRecordHeaderSize, length);
    if (type == static_cast<uint32_t>(RecordType::kEnd)) {
      const uint64_t declared = payload.u64();
      if (payload.failed()) corrupt(fmt::format("End record at offset {} is too short", pos));
      if (declared != records) {
        corrupt(fmt::format("End record counts {} records, the file has {}", declared, records));
      }
      if (pos + kRecordHeaderSize + length != size) {
        corrupt(fmt::format("{} bytes after the End record", size - (pos + kRecordHeaderSize + length)));
      }
      break;
    }
    parser.parse(type, payload, pos);
    ++records;
    pos += kRecordHeaderSize + length;
  }
  parser.finish();
  return profile;
}

Profile ProfileReader::read_file(const std::string& path) {
  // O_NONBLOCK: a FIFO given as the profile must not hang the command before the check below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw ProfileError(fmt::format("cannot open profile {}: {}", path, std::strerror(errno)));
  struct stat st {};
  const char* problem = nullptr;
  if (::fstat(fd, &st) != 0) {
    problem = std::strerror(errno);
  } else if (S_ISDIR(st.st_mode)) {
    problem = "is a directory";
  } else if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  }
  if (problem != nullptr) {
    ::close(fd);
    throw ProfileError(fmt::format("cannot read profile {}: {}", path, problem));
  }
  std::vector<uint8_t> bytes;
  bytes.reserve(static_cast<size_t>(st.st_size));
  uint8_t chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      throw ProfileError(fmt::format("cannot read profile {}: {}", path, std::strerror(err)));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  ::close(fd);
  try {
    return parse(bytes.data(), bytes.size());
  } catch (const ProfileError& e) {
    throw ProfileError(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace pyro::report
