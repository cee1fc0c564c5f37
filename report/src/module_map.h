// Which Module record an address belongs to, from the executable ranges the agent saved.
// Lookups are binary searches; overlapping ranges (a writer bug, or two processes) resolve
// to the range that starts last, i.e. the most specific one.
#ifndef PYROMETER_REPORT_MODULE_MAP_H
#define PYROMETER_REPORT_MODULE_MAP_H

#include <cstdint>
#include <vector>

#include "profile.h"

namespace pyro::report {

class ModuleMap {
 public:
  static constexpr int32_t kNoModule = -1;

  explicit ModuleMap(const std::vector<ModuleInfo>& modules);

  // The index into the modules given whose ranges contain address, or kNoModule.
  int32_t find(uint64_t address) const;

 private:
  struct Entry {
    uint64_t start;
    uint64_t end;
    int32_t module;
  };
  std::vector<Entry> entries_;      // by start
  std::vector<uint64_t> max_end_;   // max_end_[i]: the largest end among entries_[0..i]
};

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_MODULE_MAP_H
