// The raw profile file (.pyro): what the agent writes and report/ reads. The layout is
// documented for humans in docs/profile-format.md; keep the two in step.
//
// File   := Header Record* EndRecord
// Header := magic "PYROPROF" (8 bytes), u32 format_version, u32 reserved (0)
// Record := u32 type, u32 payload_length, payload
// All integers little-endian; str := u32 byte_length + UTF-8 bytes (no terminator).
// A reader skips record types it does not know, so new record types do not break old readers;
// a file without the End record is truncated.
#ifndef PYROMETER_PROFILE_FORMAT_H
#define PYROMETER_PROFILE_FORMAT_H

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace pyro::format {

inline constexpr char kMagic[8] = {'P', 'Y', 'R', 'O', 'P', 'R', 'O', 'F'};
inline constexpr uint32_t kVersion = 1;

enum class RecordType : uint32_t {
  kMeta = 1,      // str key, str value
  kRun = 2,       // see RunRecord
  kFunction = 3,  // u32 id, str path, str name, i32 first_line
  kThread = 4,    // u32 pid, u32 tid, str name, u64 cpu_ns, u64 wall_ns, u64 samples
  kStack = 5,     // u32 pid, u32 tid, u32 nframes, Frame[nframes] (root first),
                  // u32 ncounters, u64 counters[ncounters] (StackCounter order)
  kTimeline = 6,  // u32 count, {u64 t_ns, u64 cpu_ns}[count]: CPU used per timeline bucket
  kModule = 7,    // str path, u64 load_bias, str build_id (hex, may be empty),
                  // u32 nranges, {u64 start, u64 end}[nranges]: executable mappings (runtime addresses)
  kCaptureStats = 8,  // u32 nbuckets, u64 counts[nbuckets]: signal-handler durations,
                      // bucket i counts captures that took [2^i, 2^(i+1)) ns
  kMemory = 9,        // see MemoryRecord: allocation tracking settings, peak, heap timeline
  kLiveSeries = 10,   // u32 stack_ordinal, u64 bucket_ns, u32 count, i64 live_bytes[count]:
                      // the estimated live bytes of the stack_ordinal-th Stack record (0-based,
                      // in file order) at the end of each bucket of bucket_ns from the start
  kEnd = 0xFFFF,  // u64 number of records before it
};

// Child processes write their own profiles into a directory next to the root's:
// BASE.pyro -> BASE.pyro.children/<pid>.<start_unix_ns>.pyro. Readers merge them.
inline constexpr char kChildrenDirSuffix[] = ".children";

// RunRecord payload, in order:
//   u32 pid, u8 mode (0 cpu, 1 wall), u64 interval_ns, u64 start_unix_ns, u64 duration_ns,
//   u64 samples, u64 dropped_samples, u64 truncated_stacks, u64 lost_functions
enum class Mode : uint8_t { kCpu = 0, kWall = 1 };

// Frame := u8 kind, then for kPython: u32 function_id, i32 line; for kNative and
// kNativePc: u64 address. kNative addresses are return addresses (symbolize address - 1 to
// get the call site); kNativePc is the exact interrupted PC (the innermost frame).
enum class FrameKind : uint8_t { kPython = 0, kNative = 1, kTruncated = 2, kNativePc = 3 };

// Counters of a stack record, in file order. Readers take the first n they know.
enum StackCounter : uint32_t {
  kSamples = 0,
  kCpuPythonNs,
  kCpuNativeNs,
  kCpuSystemNs,
  kWallNs,
  kGilHeldNs,
  kGilWaitNs,
  // Memory (zero without allocation tracking). Byte counts are unbiased estimates from
  // sampled allocations: each sampled allocation of s bytes stands for s / (1 - e^(-s/mean)).
  kAllocBytes,      // bytes allocated by this stack
  kAllocSamples,    // sampled allocations behind kAllocBytes
  kFreeBytes,       // of those, bytes freed again (matched by pointer)
  kPeakLiveBytes,   // this stack's live bytes (alloc - free) at the moment of the peak
  kStackCounterCount
};

// MemoryRecord payload, in order:
//   u64 sample_interval_bytes (mean bytes between samples), u64 peak_heap_bytes,
//   u64 peak_t_ns (from the start), u64 live_at_peak_t_ns (when the sampled live bytes
//   peaked: the moment kPeakLiveBytes describes), u64 untracked_frees (sampled frees that
//   could not be matched: ring full), u64 dropped_allocations (sampled but not recorded),
//   u32 count, {u64 t_ns, u64 heap_bytes, u64 rss_bytes}[count] (timeline, peaks kept).

// Appends little-endian fields to a byte buffer. Not for signal handlers (allocates).
class ByteWriter {
 public:
  void u8(uint8_t v) { bytes_.push_back(v); }
  void u32(uint32_t v) { raw(&v, sizeof v); }
  void i32(int32_t v) { raw(&v, sizeof v); }
  void u64(uint64_t v) { raw(&v, sizeof v); }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  void raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  void clear() { bytes_.clear(); }

 private:
  std::vector<uint8_t> bytes_;  // x86-64 and aarch64 are little-endian: raw copies suffice
};

// Reads little-endian fields from a bounded span. Every read is bounds-checked: on
// overrun it returns 0/empty and sets failed(), so corrupt files can never read out of
// bounds (the profile reader is fuzzed).
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t u8() { uint8_t v = 0; raw(&v, 1); return v; }
  uint32_t u32() { uint32_t v = 0; raw(&v, 4); return v; }
  int32_t i32() { int32_t v = 0; raw(&v, 4); return v; }
  uint64_t u64() { uint64_t v = 0; raw(&v, 8); return v; }
  std::string str() {
    uint32_t n = u32();
    if (failed_ || n > remaining()) { failed_ = true; return {}; }
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  bool raw(void* out, size_t n) {
    if (failed_ || n > remaining()) { failed_ = true; return false; }
    std::memcpy(out, data_ + pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return size_ - pos_; }
  size_t position() const { return pos_; }
  bool failed() const { return failed_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace pyro::format

#endif  // PYROMETER_PROFILE_FORMAT_H
