// Test support: Module records for the test process itself, as the agent writes them — one
// per loaded object from dl_iterate_phdr: its path, load bias (dlpi_addr), executable PT_LOAD
// ranges and GNU build-id (from its PT_NOTE segments, read in memory).
#ifndef PYROMETER_REPORT_TESTING_SELF_MODULES_H
#define PYROMETER_REPORT_TESTING_SELF_MODULES_H

#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "profile.h"
#include "testing/profile_builder.h"

namespace pyro::report::testing {

inline std::string build_id_of(const dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const auto* p = reinterpret_cast<const uint8_t*>(info->dlpi_addr + ph.p_vaddr);
    const uint8_t* end = p + ph.p_memsz;
    const auto align4 = [](size_t n) { return (n + 3) & ~size_t{3}; };
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
      const uint8_t* name = p + sizeof(ElfW(Nhdr));
      const uint8_t* desc = name + align4(note->n_namesz);
      if (desc + note->n_descsz > end) break;
      if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
          std::string(reinterpret_cast<const char*>(name), 3) == "GNU") {
        std::string hex;
        for (uint32_t b = 0; b < note->n_descsz; ++b) hex += fmt::format("{:02x}", desc[b]);
        return hex;
      }
      p = desc + align4(note->n_descsz);
    }
  }
  return {};
}

inline std::vector<ModuleSpec> self_modules() {
  std::vector<ModuleSpec> modules;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        ModuleSpec m;
        m.path = info->dlpi_name != nullptr ? info->dlpi_name : "";
        if (m.path.empty()) {  // the main program
          char exe[PATH_MAX];
          const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
          if (n > 0) m.path.assign(exe, static_cast<size_t>(n));
        }
        m.load_bias = info->dlpi_addr;
        m.build_id = build_id_of(info);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) != 0) {
            m.ranges.emplace_back(info->dlpi_addr + ph.p_vaddr, info->dlpi_addr + ph.p_vaddr + ph.p_memsz);
          }
        }
        if (!m.ranges.empty()) static_cast<std::vector<ModuleSpec>*>(data)->push_back(std::move(m));
        return 0;
      },
      &modules);
  return modules;
}

// The same, as the reader's ModuleInfo.
inline std::vector<ModuleInfo> self_module_infos() {
  std::vector<ModuleInfo> out;
  for (const ModuleSpec& spec : self_modules()) {
    ModuleInfo m;
    m.path = spec.path;
    m.load_bias = spec.load_bias;
    m.build_id = spec.build_id;
    for (const auto& [start, end] : spec.ranges) m.ranges.push_back(AddressRange{start, end});
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace pyro::report::testing

#endif  // PYROMETER_REPORT_TESTING_SELF_MODULES_H
