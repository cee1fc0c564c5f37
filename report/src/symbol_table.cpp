#include "symbol_table.h"

#include <gelf.h>

#include <algorithm>
#include <tuple>

namespace pyro::report {

namespace {

// Among aliases at one address, the name a user expects: a global one, then weak, then local.
int binding_rank(unsigned char info) {
  switch (GELF_ST_BIND(info)) {
    case STB_GLOBAL: return 0;
    case STB_WEAK: return 1;
    default: return 2;
  }
}

// How far back to look for a sized symbol that encloses a smaller one (rare: a local label
// symbol inside a function).
constexpr size_t kEnclosingScan = 16;

}  // namespace

SymbolTable::SymbolTable(Dwfl_Module* module) {
  struct Candidate {
    uint64_t start;
    uint64_t size;
    int rank;
    const char* name;
  };
  std::vector<Candidate> all;
  const int count = dwfl_module_getsymtab(module);
  for (int i = 1; i < count; ++i) {  // entry 0 is the null symbol
    GElf_Sym sym;
    GElf_Addr address = 0;
    GElf_Word shndx = 0;
    const char* name = dwfl_module_getsym_info(module, i, &sym, &address, &shndx, nullptr, nullptr);
    if (name == nullptr || name[0] == '\0' || sym.st_shndx == SHN_UNDEF) continue;
    const int type = GELF_ST_TYPE(sym.st_info);
    // Sizeless symbols (_init, hand-written assembly without .size) would claim everything
    // up to the next symbol, PLT stubs and padding included: an honest 0x<offset> is better.
    if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_size == 0) continue;
    all.push_back(Candidate{address, sym.st_size, binding_rank(sym.st_info), name});
  }
  std::sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.start, a.rank) < std::tie(b.start, b.rank);
  });
  symbols_.reserve(all.size());
  for (const Candidate& c : all) {
    if (!symbols_.empty() && symbols_.back().start == c.start) continue;  // a worse alias
    symbols_.push_back(Symbol{c.start, c.size, c.name});
  }
}

const char* SymbolTable::find(uint64_t address) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.start; });
  if (it == symbols_.begin()) return nullptr;
  const size_t index = static_cast<size_t>(it - symbols_.begin()) - 1;
  for (size_t back = 0; back <= kEnclosingScan && back <= index; ++back) {
    const Symbol& s = symbols_[index - back];
    if (address - s.start < s.size) return s.name;
  }
  return nullptr;
}

}  // namespace pyro::report
