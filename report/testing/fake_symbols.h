// Test support: a SymbolSource with symbols given by the test, so the native views (display
// rule, hotspots, exports) can be checked on profiles built in memory with made-up addresses.
#ifndef PYROMETER_REPORT_TESTING_FAKE_SYMBOLS_H
#define PYROMETER_REPORT_TESTING_FAKE_SYMBOLS_H

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "symbolizer.h"

namespace pyro::report::testing {

class FakeSymbols final : public SymbolSource {
 public:
  // address (as recorded, whatever the frame kind) -> one frame in module (index into the
  // profile's Module records, or -1).
  FakeSymbols& add(uint64_t address, int32_t module, const std::string& function,
                   const std::string& path = {}, int32_t line = 0) {
    NativeLocation location;
    location.function = function;
    location.path = path;
    location.line = line;
    return add(address, module, {location});
  }

  // Several logical frames, innermost first (inlined ones first).
  FakeSymbols& add(uint64_t address, int32_t module, std::vector<NativeLocation> frames) {
    SymbolizedAddress s;
    s.module = module;
    s.frames = std::move(frames);
    symbols_[address] = std::move(s);
    return *this;
  }

  const SymbolizedAddress& lookup(uint64_t address, bool return_address) override {
    ++lookups_;
    auto it = symbols_.find(address);
    if (it != symbols_.end()) return it->second;
    SymbolizedAddress unknown;
    unknown.frames.push_back(NativeLocation{fmt::format("0x{:x}", address)});
    (void)return_address;
    return symbols_.emplace(address, std::move(unknown)).first->second;
  }

  size_t lookups() const { return lookups_; }

 private:
  std::map<uint64_t, SymbolizedAddress> symbols_;
  size_t lookups_ = 0;
};

inline NativeLocation location(const std::string& function, const std::string& path = {},
                               int32_t line = 0, bool inlined = false) {
  NativeLocation l;
  l.function = function;
  l.path = path;
  l.line = line;
  l.inlined = inlined;
  return l;
}

}  // namespace pyro::report::testing

#endif  // PYROMETER_REPORT_TESTING_FAKE_SYMBOLS_H
