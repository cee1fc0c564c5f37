// Native addresses → functions, source lines and inlined frames, read with libdw from the
// objects the Module records name (offline: the files are opened at report time).
//
// One physical frame may expand into several logical frames: the function the address is
// in, plus one frame per call that the compiler inlined there (innermost first). Results are
// cached per address: libdw's symbol lookup costs tens of microseconds.
#ifndef PYROMETER_REPORT_SYMBOLIZER_H
#define PYROMETER_REPORT_SYMBOLIZER_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "profile.h"

namespace pyro::report {

// One logical native frame.
struct NativeLocation {
  // Demangled. "0x<offset in module>" when the module's symbols cannot be used (file
  // missing, build-id changed, stripped), "0x<address>" when no module contains it.
  std::string function;
  std::string path;        // source file of the executing line; empty when unknown
  int32_t line = 0;        // 0 when unknown
  bool inlined = false;    // inlined into the next frame (its caller)
  std::string decl_path;   // where the function is defined (DWARF); empty when unknown
  int32_t decl_line = 0;
};

struct SymbolizedAddress {
  static constexpr int32_t kNoModule = -1;
  int32_t module = kNoModule;          // index into the modules the source was built from
  std::vector<NativeLocation> frames;  // innermost first; never empty
};

// What the report's native views need from a symbolizer; tests substitute a fake.
class SymbolSource {
 public:
  virtual ~SymbolSource() = default;
  // return_address: a frame of kind 1, whose call site is address - 1.
  virtual const SymbolizedAddress& lookup(uint64_t address, bool return_address) = 0;
};

class Symbolizer final : public SymbolSource {
 public:
  explicit Symbolizer(const std::vector<ModuleInfo>& modules);
  ~Symbolizer() override;
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  const SymbolizedAddress& lookup(uint64_t address, bool return_address) override;

  // Why a module's symbols are not used ("cannot open ...", "build-id differs ..."); empty
  // when they are, or when no address in it was looked up yet.
  std::string module_problem(size_t module) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// C++ symbols demangled (abi::__cxa_demangle); anything else unchanged.
std::string demangle(const char* symbol);

// The function a GCC clone was made from: "f.constprop.0" and "f.cold" -> "f",
// "f(int) [clone .isra.0]" -> "f(int)"; other names unchanged.
std::string strip_clone_suffix(std::string name);

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_SYMBOLIZER_H
