#include "module_map.h"

#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

namespace pyro {
namespace {

std::string executable_path() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The GNU build-id note of a loaded object, read from its mapped PT_NOTE segments.
std::string build_id_of(const dl_phdr_info* info) {
  static const char kHex[] = "0123456789abcdef";
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const auto* p = reinterpret_cast<const unsigned char*>(info->dlpi_addr + ph.p_vaddr);
    const unsigned char* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, p, sizeof note);
      const unsigned char* name = p + sizeof note;
      const unsigned char* desc = name + ((note.n_namesz + 3) & ~3u);
      const unsigned char* next = desc + ((note.n_descsz + 3) & ~3u);
      if (next > end) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
        std::string hex;
        for (unsigned k = 0; k < note.n_descsz; ++k) {
          hex += kHex[desc[k] >> 4];
          hex += kHex[desc[k] & 15];
        }
        return hex;
      }
      p = next;
    }
  }
  return {};
}

struct ScanState {
  unsigned long long seen_adds, seen_subs;  // from the previous scan
  unsigned long long adds = 0, subs = 0;
  bool first = true;
  bool unchanged = false;
};

}  // namespace

void ModuleMap::refresh() {
  ScanState state{seen_adds_, seen_subs_};
  std::vector<LoadedModule> found;
  auto callback = [](dl_phdr_info* info, size_t size, void* data) -> int {
    auto* st = static_cast<std::pair<ScanState*, std::vector<LoadedModule>*>*>(data);
    if (st->first->first) {
      st->first->first = false;
      if (size >= offsetof(dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
        st->first->adds = info->dlpi_adds;
        st->first->subs = info->dlpi_subs;
        if (st->first->adds == st->first->seen_adds && st->first->subs == st->first->seen_subs) {
          st->first->unchanged = true;
          return 1;  // nothing loaded or unloaded since the last scan: stop here
        }
      }
    }
    LoadedModule m;
    m.path = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : "";
    if (m.path.empty()) {
      if (!st->second->empty()) return 0;  // the vDSO and other nameless objects
      m.path = executable_path();          // the first object is the main program
    }
    m.load_bias = info->dlpi_addr;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
      const ElfW(Phdr)& ph = info->dlpi_phdr[i];
      if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X))
        m.executable_ranges.emplace_back(info->dlpi_addr + ph.p_vaddr, info->dlpi_addr + ph.p_vaddr + ph.p_memsz);
    }
    if (m.executable_ranges.empty()) return 0;
    m.build_id = build_id_of(info);
    st->second->push_back(std::move(m));
    return 0;
  };
  std::pair<ScanState*, std::vector<LoadedModule>*> data{&state, &found};
  dl_iterate_phdr(callback, &data);
  if (state.unchanged) return;
  seen_adds_ = state.adds;
  seen_subs_ = state.subs;
  for (LoadedModule& m : found) {
    bool known = false;
    for (const LoadedModule& k : modules_) known |= (k.path == m.path && k.load_bias == m.load_bias);
    if (!known) modules_.push_back(std::move(m));
  }
}

std::string ModuleMap::path_of(uint64_t address) const {
  for (const LoadedModule& m : modules_)
    for (const auto& r : m.executable_ranges)
      if (address >= r.first && address < r.second) return m.path;
  return {};
}

}  // namespace pyro
