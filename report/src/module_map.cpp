#include "module_map.h"

#include <algorithm>

namespace pyro::report {

ModuleMap::ModuleMap(const std::vector<ModuleInfo>& modules) {
  for (size_t m = 0; m < modules.size(); ++m) {
    for (const AddressRange& r : modules[m].ranges) {
      if (r.start < r.end) entries_.push_back(Entry{r.start, r.end, static_cast<int32_t>(m)});
    }
  }
  std::sort(entries_.begin(), entries_.end(),
            [](const Entry& a, const Entry& b) { return a.start < b.start; });
  max_end_.reserve(entries_.size());
  uint64_t max_end = 0;
  for (const Entry& e : entries_) {
    max_end = std::max(max_end, e.end);
    max_end_.push_back(max_end);
  }
}

int32_t ModuleMap::find(uint64_t address) const {
  // The entries that start at or before address, latest first; stop once no earlier entry
  // can reach address (max_end_ is a running maximum, so one check covers all of them).
  auto it = std::upper_bound(entries_.begin(), entries_.end(), address,
                             [](uint64_t a, const Entry& e) { return a < e.start; });
  for (size_t i = static_cast<size_t>(it - entries_.begin()); i-- > 0;) {
    if (max_end_[i] <= address) break;
    if (address < entries_[i].end) return entries_[i].module;
  }
  return kNoModule;
}

}  // namespace pyro::report
