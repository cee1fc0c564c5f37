#include "symbolizer.h"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>

#include <algorithm>
#include <cstdlib>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "dwarf_inlines.h"
#include "module_map.h"
#include "symbol_table.h"

namespace pyro::report {

std::string demangle(const char* symbol) {
  if (symbol == nullptr) return {};
  if (symbol[0] != '_' || symbol[1] != 'Z') return symbol;
  int status = -1;
  char* plain = abi::__cxa_demangle(symbol, nullptr, nullptr, &status);
  std::string out = status == 0 && plain != nullptr ? plain : symbol;
  std::free(plain);
  return out;
}

namespace {

// Local files and the standard debug directories only. dwfl_standard_find_debuginfo would
// also ask a debuginfod server when DEBUGINFOD_URLS is set (Debian's profile.d sets it);
// the report never uses the network, so the Symbolizer clears that variable first.
char* debuginfo_path = nullptr;  // libdw's default: ":.debug:/usr/lib/debug"
const Dwfl_Callbacks kCallbacks = {
    dwfl_build_id_find_elf,
    dwfl_standard_find_debuginfo,
    dwfl_offline_section_address,
    &debuginfo_path,
};

std::string hex(const unsigned char* bytes, int n) {
  std::string out;
  out.reserve(static_cast<size_t>(n) * 2);
  for (int i = 0; i < n; ++i) fmt::format_to(std::back_inserter(out), "{:02x}", bytes[i]);
  return out;
}

struct AddressKey {
  uint64_t address;
  bool return_address;
  bool operator==(const AddressKey& o) const {
    return address == o.address && return_address == o.return_address;
  }
};

struct AddressKeyHash {
  size_t operator()(const AddressKey& k) const {
    return std::hash<uint64_t>()(k.address * 2 + (k.return_address ? 1 : 0));
  }
};

}  // namespace

std::string strip_clone_suffix(std::string name) {
  // C++ (demangled): "f(int) [clone .constprop.0]".
  if (const size_t clone = name.find(" [clone ."); clone != std::string::npos) name.resize(clone);
  // C: "f.constprop.0", "f.isra.0", "f.part.1", "f.cold", "f.lto_priv.0", in any sequence.
  static const char* const kParts[] = {"constprop", "isra", "part", "cold", "lto_priv", "localalias", "hot"};
  for (size_t dot = name.find('.'); dot != std::string::npos && dot > 0; dot = name.find('.', dot + 1)) {
    // Every token after the dot is a clone keyword or a number, and the first a keyword.
    bool clone_tail = true;
    for (size_t p = dot; p < name.size() && clone_tail;) {
      const size_t next = std::min(name.find('.', p + 1), name.size());
      const std::string token = name.substr(p + 1, next - p - 1);
      bool known = p != dot && !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
      for (const char* part : kParts) known = known || token == part;
      clone_tail = known;
      p = next;
    }
    if (clone_tail) {
      name.resize(dot);
      break;
    }
  }
  return name;
}

struct Symbolizer::Impl {
  struct ModuleState {
    bool reported = false;             // dwfl_report_elf was tried
    Dwfl_Module* dwfl_module = nullptr;  // null: symbols unusable (see problem)
    std::unique_ptr<SymbolTable> symbols;
    std::string problem;
  };

  explicit Impl(const std::vector<ModuleInfo>& mods)
      : modules(mods), map(mods), states(mods.size()) {}
  ~Impl() {
    states.clear();  // the symbol tables point into libdw's data
    inlines = DwarfInlines();
    if (dwfl != nullptr) dwfl_end(dwfl);
  }

  // Reports a module to libdw the first time one of its addresses is looked up: most
  // mapped objects of a process never show in a stack, and opening each costs file I/O.
  ModuleState* usable_module(int32_t index);
  SymbolizedAddress symbolize(uint64_t address, bool return_address);

  const std::vector<ModuleInfo> modules;  // a copy: the Symbolizer may outlive the Profile
  ModuleMap map;
  std::vector<ModuleState> states;
  DwarfInlines inlines;
  Dwfl* dwfl = nullptr;
  bool dwfl_failed = false;
  std::unordered_map<AddressKey, SymbolizedAddress, AddressKeyHash> cache;
};

Symbolizer::Impl::ModuleState* Symbolizer::Impl::usable_module(int32_t index) {
  ModuleState& state = states[static_cast<size_t>(index)];
  if (state.reported) return state.dwfl_module != nullptr ? &state : nullptr;
  state.reported = true;
  const ModuleInfo& info = modules[static_cast<size_t>(index)];
  if (dwfl == nullptr && !dwfl_failed) {
    dwfl = dwfl_begin(&kCallbacks);
    dwfl_failed = dwfl == nullptr;
  }
  if (dwfl == nullptr) {
    state.problem = fmt::format("libdw: {}", dwfl_errmsg(-1));
    return nullptr;
  }
  if (info.path.empty() || info.path.front() != '/') {
    state.problem = "no file to read (not a path)";  // e.g. linux-vdso.so.1
    return nullptr;
  }
  // add_p_vaddr=true: libdw then takes base as the bias (runtime address minus ELF virtual
  // address), which is what load_bias is (dl_iterate_phdr's dlpi_addr). With false, base
  // would be where the first PT_LOAD starts — the same only when its p_vaddr is 0.
  // ET_EXEC files ignore base either way (their bias is 0).
  dwfl_report_begin_add(dwfl);
  Dwfl_Module* mod = dwfl_report_elf(dwfl, info.path.c_str(), info.path.c_str(), -1, info.load_bias, true);
  dwfl_report_end(dwfl, nullptr, nullptr);
  if (mod == nullptr) {
    state.problem = fmt::format("cannot read {}: {}", info.path, dwfl_errmsg(-1));
    return nullptr;
  }
  if (!info.build_id.empty()) {
    const unsigned char* bits = nullptr;
    GElf_Addr vaddr = 0;
    const int n = dwfl_module_build_id(mod, &bits, &vaddr);
    const std::string found = n > 0 ? hex(bits, n) : std::string();
    if (found != info.build_id) {
      // The file changed since the run (a package upgrade): its symbols would lie.
      state.problem = fmt::format("build-id of {} is {}, the profile recorded {}", info.path,
                                  found.empty() ? "missing" : found, info.build_id);
      return nullptr;
    }
  }
  state.dwfl_module = mod;
  state.symbols = std::make_unique<SymbolTable>(mod);
  return &state;
}

SymbolizedAddress Symbolizer::Impl::symbolize(uint64_t address, bool return_address) {
  // A return address points after the call; the call instruction (and its line, and its
  // inlining context) is at address - 1.
  const uint64_t lookup = return_address && address > 0 ? address - 1 : address;
  SymbolizedAddress out;
  out.module = map.find(lookup);
  if (out.module == ModuleMap::kNoModule) {
    out.frames.push_back(NativeLocation{fmt::format("0x{:x}", address)});
    return out;
  }
  const std::string offset_name =
      fmt::format("0x{:x}", address - modules[static_cast<size_t>(out.module)].load_bias);
  const ModuleState* state = usable_module(out.module);
  if (state == nullptr) {
    out.frames.push_back(NativeLocation{offset_name});
    return out;
  }
  out.frames = inlines.logical_frames(state->dwfl_module, lookup,
                                      strip_clone_suffix(demangle(state->symbols->find(lookup))));
  for (NativeLocation& frame : out.frames) {
    if (frame.function.empty()) frame.function = offset_name;
  }
  return out;
}

Symbolizer::Symbolizer(const std::vector<ModuleInfo>& modules)
    : impl_(std::make_unique<Impl>(modules)) {
  ::unsetenv("DEBUGINFOD_URLS");  // see kCallbacks
}

Symbolizer::~Symbolizer() = default;

const SymbolizedAddress& Symbolizer::lookup(uint64_t address, bool return_address) {
  const AddressKey key{address, return_address};
  auto it = impl_->cache.find(key);
  if (it != impl_->cache.end()) return it->second;
  return impl_->cache.emplace(key, impl_->symbolize(address, return_address)).first->second;
}

std::string Symbolizer::module_problem(size_t module) const {
  return module < impl_->states.size() ? impl_->states[module].problem : std::string();
}

}  // namespace pyro::report
