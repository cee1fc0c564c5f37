#include "stack_export.h"

#include <map>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "native_frames.h"
#include "path_utils.h"

namespace pyro::report {

namespace {

struct FrameKey {
  std::string label;
  std::string file;
  int32_t line;
  bool operator<(const FrameKey& o) const {
    return std::tie(label, file, line) < std::tie(o.label, o.file, o.line);
  }
};

// Paths under the program's directory read better relative, as the text summary shows them.
std::string display_path(const std::string& path, const std::string& cwd) {
  if (!cwd.empty() && path.size() > cwd.size() && path_is_under(path, cwd)) {
    return path.substr(cwd.size() + (cwd.back() == '/' ? 0 : 1));
  }
  return path;
}

}  // namespace

StackExport::StackExport(const Profile& profile, const LineModel& model) {
  const NativeStacks& native = model.native();
  const std::string cwd = profile.meta_value("cwd");
  std::map<FrameKey, uint32_t> frame_index;
  auto intern = [&](ExportFrame frame) {
    FrameKey key{frame.label, frame.file, frame.line};
    auto [it, inserted] = frame_index.emplace(std::move(key), static_cast<uint32_t>(frames_.size()));
    if (inserted) frames_.push_back(std::move(frame));
    return it->second;
  };
  // Display frames map to the same export frame every time: cache by identity.
  std::map<std::pair<uint32_t, int32_t>, uint32_t> python_cache;  // (function id, line)
  std::unordered_map<uint32_t, uint32_t> native_cache;             // native frame index
  auto export_frame = [&](const DisplayFrame& f) -> uint32_t {
    switch (f.kind) {
      case DisplayFrame::Kind::kPython: {
        auto cached = python_cache.find({f.function_id, f.line});
        if (cached != python_cache.end()) return cached->second;
        ExportFrame e;
        auto fn = profile.functions.find(f.function_id);
        const std::string name = fn == profile.functions.end() ? "<unknown>" : fn->second.name;
        e.file = fn == profile.functions.end() ? "" : model.filter().resolve(fn->second.path);
        e.line = f.line > 0 ? f.line : 0;
        const std::string shown = display_path(e.file, cwd);
        e.label = e.line > 0 ? fmt::format("{} ({}:{})", name, shown, e.line)
                             : fmt::format("{} ({})", name, shown);
        return python_cache[{f.function_id, f.line}] = intern(std::move(e));
      }
      case DisplayFrame::Kind::kNative: {
        auto cached = native_cache.find(f.native);
        if (cached != native_cache.end()) return cached->second;
        const NativeFrameInfo& info = native.native_frame(f.native);
        ExportFrame e;
        const std::string module = native.module_basename(info.module);
        e.label = module.empty() ? info.location.function
                                 : fmt::format("{} [{}]", info.location.function, module);
        e.file = info.location.path.empty() ? native.module_path(info.module) : info.location.path;
        e.line = info.location.path.empty() ? 0 : info.location.line;
        return native_cache[f.native] = intern(std::move(e));
      }
      case DisplayFrame::Kind::kTruncated:
        break;
    }
    return intern(ExportFrame{"<truncated>", "", 0});
  };

  // Threads: the recorded ones first, in file order; then any the stacks alone name.
  std::map<std::pair<uint32_t, uint32_t>, size_t> thread_index;
  std::vector<std::map<std::vector<uint32_t>, uint64_t>> merged;
  auto thread_slot = [&](uint32_t pid, uint32_t tid, const std::string* name) {
    auto [it, inserted] = thread_index.emplace(std::make_pair(pid, tid), threads_.size());
    if (inserted) {
      threads_.push_back(ExportThread{pid, tid, name ? *name : fmt::format("thread {}", tid), {}, 0});
      merged.emplace_back();
    }
    return it->second;
  };
  for (const ThreadInfo& t : profile.threads) thread_slot(t.pid, t.tid, &t.name);

  std::vector<uint32_t> frames;
  for (size_t s = 0; s < profile.stacks.size(); ++s) {
    const uint64_t weight = model.stack_weight(s);
    if (weight == 0) continue;
    frames.clear();
    for (const DisplayFrame& f : native.frames(s)) frames.push_back(export_frame(f));
    const size_t t = thread_slot(profile.stacks[s].pid, profile.stacks[s].tid, nullptr);
    merged[t][frames] += weight;
    threads_[t].total_ns += weight;
  }
  std::vector<ExportThread> kept;
  for (size_t t = 0; t < threads_.size(); ++t) {
    if (threads_[t].total_ns == 0) continue;
    for (auto& [stack, weight] : merged[t]) threads_[t].stacks.push_back(ExportStack{stack, weight});
    kept.push_back(std::move(threads_[t]));
  }
  threads_ = std::move(kept);
}

}  // namespace pyro::report
