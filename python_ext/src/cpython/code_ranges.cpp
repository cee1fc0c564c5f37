#include "cpython/code_ranges.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <cstdint>

namespace pyro::cpython {
namespace {

struct SegmentSearch {
  uintptr_t address;
  PyroCodeRange found;
};

int find_executable_segment(struct dl_phdr_info* info, size_t, void* data) {
  auto* search = static_cast<SegmentSearch*>(data);
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD || !(segment.p_flags & PF_X)) continue;
    uintptr_t start = info->dlpi_addr + segment.p_vaddr;
    uintptr_t end = start + segment.p_memsz;
    if (search->address >= start && search->address < end) {
      search->found = PyroCodeRange{start, end};
      return 1;  // stops the iteration
    }
  }
  return 0;
}

}  // namespace

bool find_code_ranges(const void* eval_function, PyroCodeRange* eval_loop,
                      PyroCodeRange* interpreter, std::string* error) {
  Dl_info info{};
  void* symbol_entry = nullptr;
  int found = dladdr1(eval_function, &info, &symbol_entry, RTLD_DL_SYMENT);
  const auto* symbol = static_cast<const ElfW(Sym)*>(symbol_entry);
  if (found == 0 || symbol == nullptr || info.dli_saddr == nullptr) {
    *error = "dladdr1 finds no symbol for the interpreter's eval function";
    return false;
  }
  if (symbol->st_size == 0) {
    *error = "the interpreter's eval function symbol has no size";
    return false;
  }
  uintptr_t start = reinterpret_cast<uintptr_t>(info.dli_saddr);
  *eval_loop = PyroCodeRange{start, start + static_cast<uintptr_t>(symbol->st_size)};

  SegmentSearch search{start, PyroCodeRange{0, 0}};
  dl_iterate_phdr(find_executable_segment, &search);
  if (search.found.start == search.found.end) {
    *error = "no executable segment contains the interpreter's eval function";
    return false;
  }
  *interpreter = search.found;
  return true;
}

}  // namespace pyro::cpython
