#include "dwarf_inlines.h"

#include <dwarf.h>

#include <algorithm>
#include <cstdlib>

namespace pyro::report {

namespace {

// A DIE's function name: a C++ linkage name demangled (the qualified name with parameters,
// as the ELF symbol has it), else DW_AT_name; both looked up through DW_AT_abstract_origin /
// DW_AT_specification, which is where inlined instances keep them. An unmangled linkage name
// is an asm label (glibc's internal "__GI_qsort" for qsort): the source name reads better.
std::string die_function_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int name : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (dwarf_attr_integrate(die, name, &attr) != nullptr) {
      const char* s = dwarf_formstring(&attr);
      if (s != nullptr && s[0] == '_' && s[1] == 'Z') return demangle(s);
    }
  }
  if (dwarf_attr_integrate(die, DW_AT_name, &attr) != nullptr) {
    if (const char* s = dwarf_formstring(&attr)) return s;
  }
  return {};
}

void set_declaration(NativeLocation& frame, Dwarf_Die* die) {
  if (const char* file = dwarf_decl_file(die)) frame.decl_path = file;
  int line = 0;
  if (dwarf_decl_line(die, &line) == 0 && line > 0) frame.decl_line = line;
}

// Where an inlined call was made: DW_AT_call_file (an index into the CU's file table) and
// DW_AT_call_line. Unknown parts come back empty / 0.
void call_site(Dwarf_Die* cudie, Dwarf_Die* inlined, std::string& path, int32_t& line) {
  path.clear();
  line = 0;
  Dwarf_Attribute attr;
  Dwarf_Word value = 0;
  if (dwarf_attr(inlined, DW_AT_call_line, &attr) != nullptr && dwarf_formudata(&attr, &value) == 0 &&
      value <= 0x7fffffff) {
    line = static_cast<int32_t>(value);
  }
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (dwarf_attr(inlined, DW_AT_call_file, &attr) != nullptr && dwarf_formudata(&attr, &value) == 0 &&
      dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && value < nfiles) {
    if (const char* file = dwarf_filesrc(files, value, nullptr, nullptr)) path = file;
  }
}

// Scopes that can hold functions at the top of a CU (C++ namespaces and classes).
bool is_container(int tag) {
  return tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
         tag == DW_TAG_union_type || tag == DW_TAG_module;
}

}  // namespace

const DwarfInlines::CuIndex& DwarfInlines::cu_index(Dwarf_Die* cudie) {
  auto it = cu_indexes_.find(cudie->addr);
  if (it != cu_indexes_.end()) return it->second;
  CuIndex index;
  std::vector<Dwarf_Die> pending{*cudie};
  while (!pending.empty()) {
    Dwarf_Die parent = pending.back();
    pending.pop_back();
    Dwarf_Die child;
    if (dwarf_child(&parent, &child) != 0) continue;
    do {
      const int tag = dwarf_tag(&child);
      if (tag == DW_TAG_subprogram) {
        Dwarf_Addr base = 0, start = 0, end = 0;
        ptrdiff_t offset = 0;
        while ((offset = dwarf_ranges(&child, offset, &base, &start, &end)) > 0) {
          if (start < end) index.push_back(FunctionRange{start, end, child});
        }
      } else if (is_container(tag)) {
        pending.push_back(child);
      }
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  std::sort(index.begin(), index.end(),
            [](const FunctionRange& a, const FunctionRange& b) { return a.low < b.low; });
  return cu_indexes_.emplace(cudie->addr, std::move(index)).first->second;
}

bool DwarfInlines::indexed_scopes(Dwarf_Die* cudie, Dwarf_Addr pc, std::vector<Dwarf_Die>& scopes) {
  const CuIndex& index = cu_index(cudie);
  auto it = std::upper_bound(index.begin(), index.end(), pc,
                             [](Dwarf_Addr a, const FunctionRange& f) { return a < f.low; });
  if (it == index.begin() || pc >= (it - 1)->high) return false;
  // Down from the function: at each level, the one child scope (lexical block, inlined
  // call) whose ranges hold pc.
  std::vector<Dwarf_Die> chain{(it - 1)->die};
  for (;;) {
    Dwarf_Die child;
    if (dwarf_child(&chain.back(), &child) != 0) break;
    bool found = false;
    do {
      const int tag = dwarf_tag(&child);
      if ((tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block ||
           tag == DW_TAG_try_block || tag == DW_TAG_catch_block) &&
          dwarf_haspc(&child, pc) == 1) {
        found = true;
        break;
      }
    } while (dwarf_siblingof(&child, &child) == 0);
    if (!found) break;
    chain.push_back(child);
  }
  scopes.assign(chain.rbegin(), chain.rend());
  return true;
}

std::vector<NativeLocation> DwarfInlines::logical_frames(Dwfl_Module* module, Dwarf_Addr address,
                                                         const std::string& symbol_name) {
  // The executing line comes from the line table; it belongs to the innermost frame.
  std::string path;
  int32_t line = 0;
  if (Dwfl_Line* entry = dwfl_module_getsrc(module, address)) {
    int lineno = 0;
    if (const char* file = dwfl_lineinfo(entry, nullptr, &lineno, nullptr, nullptr, nullptr)) {
      path = file;
      if (lineno > 0) line = lineno;
    }
  }

  std::vector<Dwarf_Die> scopes;
  Dwarf_Addr bias = 0;
  Dwarf_Die* cudie = dwfl_module_addrdie(module, address, &bias);
  if (cudie != nullptr && !indexed_scopes(cudie, address - bias, scopes)) {
    // dwarf_getscopes finds the innermost scope, but above an inlined instance it continues
    // with its abstract definition's scopes, not the concrete ones it was inlined into:
    // dwarf_getscopes_die on that innermost DIE gives the physical nesting.
    Dwarf_Die* found = nullptr;
    int n = dwarf_getscopes(cudie, address - bias, &found);
    if (n > 0) {
      Dwarf_Die innermost = found[0];
      std::free(found);
      found = nullptr;
      n = dwarf_getscopes_die(&innermost, &found);
    }
    for (int i = 0; i < n; ++i) scopes.push_back(found[i]);
    std::free(found);
  }

  // scopes[0] is the innermost: each inlined_subroutine is a logical frame at the current
  // position, and its call site is the position of the frame that contains it.
  std::vector<NativeLocation> frames;
  Dwarf_Die* subprogram = nullptr;
  for (Dwarf_Die& scope : scopes) {
    const int tag = dwarf_tag(&scope);
    if (tag == DW_TAG_subprogram) {
      subprogram = &scope;
      break;
    }
    if (tag != DW_TAG_inlined_subroutine) continue;  // lexical blocks and the like
    NativeLocation frame;
    frame.function = die_function_name(&scope);
    frame.path = path;
    frame.line = line;
    frame.inlined = true;
    set_declaration(frame, &scope);
    frames.push_back(std::move(frame));
    call_site(cudie, &scope, path, line);
  }

  // The source's name for the function when DWARF has it: the ELF symbol may be a GCC clone
  // (foo.constprop.0, foo.cold) of the function the user wrote.
  NativeLocation outer;
  if (subprogram != nullptr) {
    outer.function = die_function_name(subprogram);
    set_declaration(outer, subprogram);
  }
  if (outer.function.empty()) outer.function = symbol_name;
  outer.path = std::move(path);
  outer.line = line;
  frames.push_back(std::move(outer));
  return frames;
}

}  // namespace pyro::report
