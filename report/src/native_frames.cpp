#include "native_frames.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "path_utils.h"

namespace pyro::report {

using format::FrameKind;

namespace {

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The interpreter's GIL entry points other than take_gil. They also run without waiting
// (the GIL is free), so they count only when the stack ends in a libc wait below them.
bool is_gil_entry(const std::string& function) {
  return function == "PyEval_RestoreThread" || function == "PyEval_AcquireThread" ||
         function == "PyGILState_Ensure";
}

// A symbolizer that could not name a frame gives it its address ("0x...").
bool is_unnamed(const std::string& function) { return starts_with(function, "0x"); }

}  // namespace

std::string path_basename(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

NativeStacks::NativeStacks(const Profile& profile, SymbolSource& symbols) {
  classify_modules(profile);
  stacks_.resize(profile.stacks.size());
  std::vector<DisplayFrame> all;  // every logical frame of one stack, root first
  for (size_t s = 0; s < profile.stacks.size(); ++s) {
    all.clear();
    for (const Frame& frame : profile.stacks[s].frames) {
      DisplayFrame shown;
      if (frame.kind == FrameKind::kPython) {
        shown.kind = DisplayFrame::Kind::kPython;
        shown.function_id = frame.function_id;
        shown.line = frame.line;
        all.push_back(shown);
      } else if (frame.kind == FrameKind::kTruncated) {
        shown.kind = DisplayFrame::Kind::kTruncated;
        all.push_back(shown);
      } else {
        const std::vector<uint32_t>& logical =
            expand(frame.address, frame.kind == FrameKind::kNative, symbols);
        shown.kind = DisplayFrame::Kind::kNative;
        for (auto it = logical.rbegin(); it != logical.rend(); ++it) {  // outermost first
          shown.native = *it;
          all.push_back(shown);
        }
      }
    }
    Stack& stack = stacks_[s];
    stack.gil_wait = waits_for_gil(all);

    size_t first_python = all.size();
    size_t last_python = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i].kind != DisplayFrame::Kind::kPython) continue;
      first_python = std::min(first_python, i);
      last_python = i;
    }
    stack.frames.reserve(all.size());
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i].kind == DisplayFrame::Kind::kNative) {
        const ModuleRole r = role(native_frames_[all[i].native].module);
        if (r == ModuleRole::kProfiler) continue;
        if (r == ModuleRole::kInterpreter && i > first_python && i < last_python) continue;
      }
      stack.frames.push_back(all[i]);
    }
  }
}

void NativeStacks::classify_modules(const Profile& profile) {
  const std::string interpreter = profile.meta_value("interpreter_path");
  std::optional<std::string> interpreter_real;
  if (!interpreter.empty()) interpreter_real = real_path(interpreter);
  for (const ModuleInfo& module : profile.modules) {
    module_paths_.push_back(module.path);
    const std::string base = path_basename(module.path);
    ModuleRole r = ModuleRole::kOther;
    if (!interpreter.empty() &&
        (module.path == interpreter ||
         (interpreter_real && real_path(module.path) == interpreter_real))) {
      r = ModuleRole::kInterpreter;
    } else if (starts_with(base, "libpyrometer_preload")) {
      r = ModuleRole::kProfiler;
    } else if (starts_with(base, "libc.so") || starts_with(base, "libc-") ||
               starts_with(base, "libpthread")) {
      r = ModuleRole::kLibc;
    }
    roles_.push_back(r);
  }
}

NativeStacks::ModuleRole NativeStacks::role(int32_t module) const {
  if (module < 0 || static_cast<size_t>(module) >= roles_.size()) return ModuleRole::kOther;
  return roles_[static_cast<size_t>(module)];
}

const std::vector<uint32_t>& NativeStacks::expand(uint64_t address, bool return_address,
                                                  SymbolSource& symbols) {
  auto& cache = expansions_[return_address ? 1 : 0];
  auto it = cache.find(address);
  if (it != cache.end()) return it->second;
  const SymbolizedAddress& symbolized = symbols.lookup(address, return_address);
  std::vector<uint32_t> indices;
  for (const NativeLocation& location : symbolized.frames) {
    indices.push_back(static_cast<uint32_t>(native_frames_.size()));
    native_frames_.push_back(NativeFrameInfo{location, symbolized.module});
  }
  if (indices.empty()) {  // a SymbolSource must not do this; stay total anyway
    indices.push_back(static_cast<uint32_t>(native_frames_.size()));
    NativeLocation unknown;
    unknown.function = fmt::format("0x{:x}", address);
    native_frames_.push_back(NativeFrameInfo{unknown, symbolized.module});
  }
  return cache.emplace(address, std::move(indices)).first->second;
}

bool NativeStacks::waits_for_gil(const std::vector<DisplayFrame>& frames) const {
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].kind != DisplayFrame::Kind::kNative) continue;
    const NativeFrameInfo& info = native_frames_[frames[i].native];
    if (info.location.function == "take_gil") return true;
    if (!is_gil_entry(info.location.function)) continue;
    // Leafward: unnamed interpreter frames may sit between (see the header), then a frame in
    // libc, and nothing but libc (or unknown code, e.g. the vDSO) down to the leaf.
    size_t j = i + 1;
    while (j < frames.size() && frames[j].kind == DisplayFrame::Kind::kNative) {
      const NativeFrameInfo& below = native_frames_[frames[j].native];
      if (role(below.module) != ModuleRole::kInterpreter || !is_unnamed(below.location.function)) break;
      ++j;
    }
    bool in_libc = j < frames.size();
    for (size_t k = j; k < frames.size() && in_libc; ++k) {
      in_libc = frames[k].kind == DisplayFrame::Kind::kNative &&
                (k == j ? role(native_frames_[frames[k].native].module) == ModuleRole::kLibc
                        : role(native_frames_[frames[k].native].module) != ModuleRole::kInterpreter);
    }
    if (in_libc) return true;
  }
  return false;
}

const std::string& NativeStacks::module_path(int32_t module) const {
  static const std::string kNone;
  if (module < 0 || static_cast<size_t>(module) >= module_paths_.size()) return kNone;
  return module_paths_[static_cast<size_t>(module)];
}

std::string NativeStacks::module_basename(int32_t module) const {
  return path_basename(module_path(module));
}

bool NativeStacks::is_interpreter(int32_t module) const {
  return role(module) == ModuleRole::kInterpreter;
}

}  // namespace pyro::report
