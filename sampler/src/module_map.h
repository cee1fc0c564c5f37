// The shared objects loaded into the process (path, load bias, build-id, executable
// ranges), so report/ can symbolize native addresses after the process is gone — also for
// libraries loaded with dlopen during the run and unloaded before its end: modules are
// remembered once seen. Normal context (drain thread).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pyro {

struct LoadedModule {
  std::string path;
  uint64_t load_bias = 0;
  std::string build_id;  // lowercase hex
  std::vector<std::pair<uint64_t, uint64_t>> executable_ranges;  // runtime [start, end)
};

class ModuleMap {
 public:
  // Rescans when the loader reports objects added or removed since the last scan.
  void refresh();
  const std::vector<LoadedModule>& modules() const { return modules_; }
  // The path of the module containing address, or empty.
  std::string path_of(uint64_t address) const;

 private:
  std::vector<LoadedModule> modules_;
  unsigned long long seen_adds_ = ~0ULL, seen_subs_ = ~0ULL;
};

}  // namespace pyro
