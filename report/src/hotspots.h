// native_hotspots (SPEC.md): the native functions the program spent its time in, each with
// the Python lines that led there. Computed from the displayed stacks (NativeStacks), so
// interpreter glue between Python frames never shows, while interpreter work on the leaf
// side does (a sorted() call shows list_sort_impl).
//
// Per function (name + module), with w = a stack's native weight: its native + system CPU
// (the interpreter running bytecode through helpers such as PyLong_FromLong is Python time,
// not a native hotspot); all of its wall time in wall mode:
//   self_ns  = sum of w over stacks whose leaf is native and whose innermost logical frame is
//              this function;
//   total_ns = sum of w over stacks that contain it (once per stack, however often);
//   callers  = total_ns split by the stack's attributed line (LineModel), largest first;
//              stacks with no attributed line are in total_ns but in no caller;
//   source   = "file.c:123" of its hottest self location, else of its definition, else none.
#ifndef PYROMETER_REPORT_HOTSPOTS_H
#define PYROMETER_REPORT_HOTSPOTS_H

#include <cstdint>
#include <string>
#include <vector>

#include "line_model.h"
#include "profile.h"

namespace pyro::report {

struct NativeHotspot {
  std::string function;
  int32_t module = SymbolizedAddress::kNoModule;  // index into Profile::modules
  std::string source_path;  // empty when unknown
  int32_t source_line = 0;
  uint64_t self_ns = 0;
  uint64_t total_ns = 0;
  struct Caller {
    size_t file = 0;  // index into LineModel::files()
    int32_t line = 0;
    uint64_t ns = 0;
  };
  std::vector<Caller> callers;  // by ns, descending

  // "listobject.c:2229" (the file's last component), or "" when unknown.
  std::string source() const;
};

struct HotspotLimits {
  size_t top_by_self = 200;         // always kept
  double min_total_share = 0.01;    // also kept: total >= this share of the run's weight
};

// Sorted by self_ns, descending (then total_ns, then name).
std::vector<NativeHotspot> compute_native_hotspots(const LineModel& model,
                                                   const HotspotLimits& limits = {});

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_HOTSPOTS_H
