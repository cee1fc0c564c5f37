// The DWARF half of symbolization: for an address in a module with debug info, the chain of
// inlined calls the instruction sits in, each with its source position, and the enclosing
// function's definition. Kept apart from symbolizer.cpp, which owns the libdwfl session.
//
// dwarf_getscopes walks a compilation unit from its first DIE on every call (≈375 µs per
// address in libpython's ceval.c, measured), so each CU's function ranges are indexed once
// and a lookup only descends through the one function that holds the address; addresses the
// index does not cover fall back to dwarf_getscopes.
#ifndef PYROMETER_REPORT_DWARF_INLINES_H
#define PYROMETER_REPORT_DWARF_INLINES_H

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "symbolizer.h"

namespace pyro::report {

class DwarfInlines {
 public:
  // Logical frames for the instruction at address (a runtime address inside module),
  // innermost first. The last frame is the physical function: its DWARF name, else
  // symbol_name (the ELF symbol, demangled); it stays empty when both are missing (the
  // caller names it). Without DWARF: one frame with the name only.
  // Valid only while the module's Dwfl lives.
  std::vector<NativeLocation> logical_frames(Dwfl_Module* module, Dwarf_Addr address,
                                             const std::string& symbol_name);

 private:
  struct FunctionRange {
    Dwarf_Addr low;
    Dwarf_Addr high;
    Dwarf_Die die;
  };
  using CuIndex = std::vector<FunctionRange>;  // by low

  const CuIndex& cu_index(Dwarf_Die* cudie);
  // Scopes that contain pc, innermost first, ending with the subprogram; false when the
  // index has no function for pc.
  bool indexed_scopes(Dwarf_Die* cudie, Dwarf_Addr pc, std::vector<Dwarf_Die>& scopes);

  std::unordered_map<const void*, CuIndex> cu_indexes_;  // by the CU DIE's data address
};

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_DWARF_INLINES_H
