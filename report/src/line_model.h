// The per-file, per-line table of SPEC.md, computed from a Profile: each stack's counters
// are charged to the innermost Python frame that lies in profiled code (ProfiledCodeFilter).
// Stacks without such a frame are "unattributed": they still count in total_cpu_ns, so
//   sum over lines of (python + native + system) + unattributed_cpu_ns == total_cpu_ns.
//
// The model also owns the stacks as the reports show them (NativeStacks: symbolized native
// frames, interpreter glue dropped), since a line's gil_wait needs them: a stack whose native
// frames are in the GIL acquisition path adds its time (wall in wall mode, CPU in cpu mode)
// to the line's gil_wait_ns, on top of the stack's own gil_wait counter.
#ifndef PYROMETER_REPORT_LINE_MODEL_H
#define PYROMETER_REPORT_LINE_MODEL_H

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "code_filter.h"
#include "native_frames.h"
#include "profile.h"
#include "symbolizer.h"

namespace pyro::report {

struct LineCounters {
  uint64_t samples = 0;
  uint64_t cpu_python_ns = 0;
  uint64_t cpu_native_ns = 0;
  uint64_t cpu_system_ns = 0;
  uint64_t wall_ns = 0;
  uint64_t gil_held_ns = 0;
  uint64_t gil_wait_ns = 0;
  // Memory: unbiased estimates from sampled allocations (0 without memory tracking).
  uint64_t alloc_bytes = 0;
  uint64_t alloc_samples = 0;
  uint64_t free_bytes = 0;
  uint64_t peak_bytes = 0;  // live bytes when the sampled live total peaked

  uint64_t cpu_ns() const { return cpu_python_ns + cpu_native_ns + cpu_system_ns; }
  // alloc - free; frees are matched to sampled allocations, so a well-formed profile never
  // frees more than it allocated: clamp rather than wrap if one does.
  uint64_t live_bytes() const { return alloc_bytes > free_bytes ? alloc_bytes - free_bytes : 0; }
  void add(const StackCounters& counters);
  void add_memory(const StackCounters& counters);  // the memory fields alone
};

struct FunctionTotals {
  std::string name;  // co_qualname
  int32_t first_line = 0;
  uint64_t cpu_ns = 0;
  uint64_t samples = 0;
  uint64_t alloc_bytes = 0;
};

struct FileLines {
  std::string path;                      // absolute, normalized
  std::map<int32_t, LineCounters> lines;  // by line number; only lines that were charged
  std::vector<FunctionTotals> functions;  // by first_line, then name
  uint64_t cpu_ns = 0;
  uint64_t samples = 0;
  uint64_t alloc_bytes = 0;
};

class LineModel {
 public:
  // Symbolizes with libdw from the profile's Module records unless symbols is given (tests
  // pass a fake). The symbols are only used during construction.
  explicit LineModel(const Profile& profile, SymbolSource* symbols = nullptr);

  const std::vector<FileLines>& files() const { return files_; }  // by CPU, descending
  const ProfiledCodeFilter& filter() const { return filter_; }
  const NativeStacks& native() const { return *native_; }
  bool wall_mode() const { return wall_mode_; }

  // What a stack weighs in the native views and exports: its CPU, or its wall time in wall
  // mode. Indexed like Profile::stacks.
  uint64_t stack_weight(size_t stack) const { return stack_weights_[stack]; }
  // The part of a stack's weight spent outside the interpreter's bytecode execution
  // (native + system CPU; all of it in wall mode): what native hotspots are made of.
  uint64_t native_weight(size_t stack) const { return native_weights_[stack]; }
  uint64_t total_weight() const { return wall_mode_ ? total_wall_ns_ : total_cpu_ns_; }

  uint64_t total_cpu_ns() const { return total_cpu_ns_; }
  uint64_t total_wall_ns() const { return total_wall_ns_; }
  uint64_t total_samples() const { return total_samples_; }
  uint64_t unattributed_cpu_ns() const { return unattributed_cpu_ns_; }
  uint64_t unattributed_samples() const { return unattributed_samples_; }
  // Memory counters of all stacks, attributed or not (0 without memory tracking).
  const LineCounters& memory_totals() const { return memory_totals_; }

  // Where a stack's counters went: the file index into files() and the line, or
  // file == kUnattributed. Indexed like Profile::stacks.
  static constexpr size_t kUnattributed = static_cast<size_t>(-1);
  struct Charge {
    size_t file = kUnattributed;
    int32_t line = 0;
  };
  const std::vector<Charge>& charges() const { return charges_; }

 private:
  ProfiledCodeFilter filter_;
  std::unique_ptr<NativeStacks> native_;
  bool wall_mode_ = false;
  std::vector<uint64_t> stack_weights_;
  std::vector<uint64_t> native_weights_;
  std::vector<FileLines> files_;
  std::vector<Charge> charges_;
  uint64_t total_cpu_ns_ = 0;
  uint64_t total_wall_ns_ = 0;
  uint64_t total_samples_ = 0;
  uint64_t unattributed_cpu_ns_ = 0;
  uint64_t unattributed_samples_ = 0;
  LineCounters memory_totals_;  // only its memory fields are filled
};

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_LINE_MODEL_H
