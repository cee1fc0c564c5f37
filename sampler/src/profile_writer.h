// Serialises the aggregated tables into the .pyro format (docs/profile-format.md) and
// replaces the file atomically (temp file in the same directory + rename), so a reader
// or a crash never sees a half-written profile. Normal context only (allocates, does I/O).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "aggregator.h"
#include "memory_aggregator.h"
#include "function_table.h"
#include "module_map.h"

namespace pyro {

struct RunInfo {
  pid_t pid = 0;
  format::Mode mode = format::Mode::kCpu;
  uint64_t interval_ns = 0;
  uint64_t start_unix_ns = 0;
  uint64_t duration_ns = 0;
  uint64_t dropped_samples = 0;
};

// What the writer needs besides the aggregated tables.
struct ProfileExtras {
  std::vector<LoadedModule> modules;        // for symbolizing native frames later
  std::vector<uint64_t> capture_durations;  // log2-ns histogram of signal-handler times
  const MemoryAggregator* memory = nullptr;  // memory tracking: Memory + LiveSeries records
  uint64_t dropped_allocations = 0;
  uint64_t untracked_frees = 0;
};

class ProfileWriter {
 public:
  // Returns an empty string on success, else what went wrong (one line).
  static std::string write(const std::string& path, const RunInfo& run,
                           const std::vector<std::pair<std::string, std::string>>& meta,
                           const Aggregator& aggregator, const FunctionTable& functions,
                           const ProfileExtras& extras = {});

  // The serialised bytes (exposed for tests).
  static std::vector<uint8_t> serialize(const RunInfo& run,
                                        const std::vector<std::pair<std::string, std::string>>& meta,
                                        const Aggregator& aggregator, const FunctionTable& functions,
                                        const ProfileExtras& extras = {});
};

}  // namespace pyro
