// The stacks as the reports show them: each native address symbolized and expanded into its
// logical frames (inlined calls included), interpreter glue and the profiler's own frames
// dropped, and each stack marked when it is waiting for the GIL.
//
// The display rule (docs/report.md, "Native frames"):
//   - frames of libpyrometer_preload.so are dropped everywhere (the profiler, not the program);
//   - native frames of the interpreter (meta `interpreter_path`) that lie between two Python
//     frames are glue (_PyEval_Vector, PyObject_Vectorcall, ...) and are dropped;
//   - everything else stays: interpreter frames on the leaf side of the innermost Python
//     frame (list_sort_impl under a sorted() call), those on the root side of the outermost
//     one (how the thread started), and every frame outside the interpreter.
//
// A stack waits for the GIL when its native frames (all of them, before the rule above)
// contain take_gil, or PyEval_RestoreThread / PyEval_AcquireThread / PyGILState_Ensure right
// above a leaf in libc / libpthread (interpreter frames without a symbol may sit between:
// a stripped python executable has no name for the static take_gil).
#ifndef PYROMETER_REPORT_NATIVE_FRAMES_H
#define PYROMETER_REPORT_NATIVE_FRAMES_H

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "profile.h"
#include "symbolizer.h"

namespace pyro::report {

// One logical native frame, as a stack shows it.
struct NativeFrameInfo {
  NativeLocation location;  // function, source path:line, inlined, declaration
  int32_t module = SymbolizedAddress::kNoModule;  // index into Profile::modules
};

struct DisplayFrame {
  enum class Kind : uint8_t { kPython, kNative, kTruncated };
  Kind kind = Kind::kPython;
  uint32_t function_id = 0;  // kPython: the Function record
  int32_t line = 0;          // kPython: <= 0 when unknown
  uint32_t native = 0;       // kNative: index into NativeStacks::native_frame()
};

class NativeStacks {
 public:
  NativeStacks(const Profile& profile, SymbolSource& symbols);

  // Indexed like Profile::stacks; frames root first.
  const std::vector<DisplayFrame>& frames(size_t stack) const { return stacks_[stack].frames; }
  bool gil_wait(size_t stack) const { return stacks_[stack].gil_wait; }

  const NativeFrameInfo& native_frame(uint32_t index) const { return native_frames_[index]; }
  size_t native_frame_count() const { return native_frames_.size(); }

  // The module's path as recorded, or "" for kNoModule; its last component.
  const std::string& module_path(int32_t module) const;
  std::string module_basename(int32_t module) const;
  bool is_interpreter(int32_t module) const;

 private:
  struct Stack {
    std::vector<DisplayFrame> frames;
    bool gil_wait = false;
  };
  enum class ModuleRole : uint8_t { kOther, kInterpreter, kProfiler, kLibc };

  void classify_modules(const Profile& profile);
  ModuleRole role(int32_t module) const;
  const std::vector<uint32_t>& expand(uint64_t address, bool return_address, SymbolSource& symbols);
  bool waits_for_gil(const std::vector<DisplayFrame>& frames) const;

  std::vector<std::string> module_paths_;  // copied: a LineModel may outlive its Profile
  std::vector<ModuleRole> roles_;
  // Per (address, return_address): the logical frames it expands to, innermost first.
  std::unordered_map<uint64_t, std::vector<uint32_t>> expansions_[2];
  std::vector<NativeFrameInfo> native_frames_;
  std::vector<Stack> stacks_;
};

// The last component of a path ("/usr/lib/libc.so.6" -> "libc.so.6").
std::string path_basename(const std::string& path);

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_NATIVE_FRAMES_H
