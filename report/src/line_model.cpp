#include "line_model.h"

#include <algorithm>
#include <tuple>
#include <utility>
#include <unordered_map>

namespace pyro::report {

using format::FrameKind;
namespace sc = format;

void LineCounters::add(const StackCounters& c) {
  samples += c[sc::kSamples];
  cpu_python_ns += c[sc::kCpuPythonNs];
  cpu_native_ns += c[sc::kCpuNativeNs];
  cpu_system_ns += c[sc::kCpuSystemNs];
  wall_ns += c[sc::kWallNs];
  gil_held_ns += c[sc::kGilHeldNs];
  gil_wait_ns += c[sc::kGilWaitNs];
  add_memory(c);
}

void LineCounters::add_memory(const StackCounters& c) {
  alloc_bytes += c[sc::kAllocBytes];
  alloc_samples += c[sc::kAllocSamples];
  free_bytes += c[sc::kFreeBytes];
  peak_bytes += c[sc::kPeakLiveBytes];
}

namespace {

// The line a frame is charged to. When the interpreter did not know the line (-1), the
// function's first line stands in, so the time stays visible in the right function.
int32_t charged_line(const Frame& frame, const FunctionInfo& function) {
  if (frame.line > 0) return frame.line;
  return function.first_line > 0 ? function.first_line : 0;
}

bool has_anything(const StackCounters& c) {
  return std::any_of(c.values.begin(), c.values.end(), [](uint64_t v) { return v != 0; });
}

}  // namespace

LineModel::LineModel(const Profile& profile, SymbolSource* symbols)
    : filter_(profile), wall_mode_(!profile.runs.empty() && profile.run().mode == sc::Mode::kWall) {
  if (symbols != nullptr) {
    native_ = std::make_unique<NativeStacks>(profile, *symbols);
  } else {
    Symbolizer symbolizer(profile.modules);  // released once the stacks are resolved
    native_ = std::make_unique<NativeStacks>(profile, symbolizer);
  }

  std::unordered_map<std::string, size_t> file_index;  // by resolved path
  // Per function id: (file index, function totals index), filled lazily.
  std::unordered_map<uint32_t, std::pair<size_t, size_t>> function_slot;
  std::vector<FileLines> files;
  std::vector<std::map<std::pair<std::string, int32_t>, size_t>> function_index;  // per file

  charges_.resize(profile.stacks.size());
  stack_weights_.resize(profile.stacks.size());
  native_weights_.resize(profile.stacks.size());
  for (size_t s = 0; s < profile.stacks.size(); ++s) {
    const StackRecord& stack = profile.stacks[s];
    const StackCounters& counters = stack.counters;
    stack_weights_[s] = wall_mode_ ? counters[sc::kWallNs] : counters.cpu_ns();
    native_weights_[s] = wall_mode_ ? counters[sc::kWallNs] : counters[sc::kCpuNativeNs] + counters[sc::kCpuSystemNs];
    total_cpu_ns_ += counters.cpu_ns();
    total_wall_ns_ += counters[sc::kWallNs];
    total_samples_ += counters[sc::kSamples];
    memory_totals_.add_memory(counters);

    const Frame* target = nullptr;
    const FunctionInfo* function = nullptr;
    int32_t line = 0;
    for (auto it = stack.frames.rbegin(); it != stack.frames.rend(); ++it) {
      if (it->kind != FrameKind::kPython) continue;
      auto fn = profile.functions.find(it->function_id);
      if (fn == profile.functions.end()) continue;  // the reader rejects these; be safe anyway
      if (!filter_.is_profiled(fn->second.path)) continue;
      line = charged_line(*it, fn->second);
      if (line <= 0) continue;
      target = &*it;
      function = &fn->second;
      break;
    }
    if (target == nullptr || !has_anything(counters)) {
      if (target == nullptr) {
        unattributed_cpu_ns_ += counters.cpu_ns();
        unattributed_samples_ += counters[sc::kSamples];
      }
      continue;
    }

    auto slot = function_slot.find(function->id);
    if (slot == function_slot.end()) {
      std::string path = filter_.resolve(function->path);
      auto [fit, inserted] = file_index.emplace(path, files.size());
      if (inserted) {
        files.emplace_back();
        files.back().path = std::move(path);
        function_index.emplace_back();
      }
      FileLines& file = files[fit->second];
      // Several function ids can name the same function (a code object recreated, or
      // one per process): merge them by (name, first line).
      auto key = std::make_pair(function->name, function->first_line);
      auto [nit, fn_inserted] = function_index[fit->second].emplace(key, file.functions.size());
      if (fn_inserted) {
        file.functions.push_back(FunctionTotals{function->name, function->first_line, 0, 0, 0});
      }
      const size_t fn_index = nit->second;
      slot = function_slot.emplace(function->id, std::make_pair(fit->second, fn_index)).first;
    }
    FileLines& file = files[slot->second.first];
    FunctionTotals& totals = file.functions[slot->second.second];
    LineCounters& line_counters = file.lines[line];
    line_counters.add(counters);
    if (native_->gil_wait(s)) line_counters.gil_wait_ns += stack_weights_[s];
    file.cpu_ns += counters.cpu_ns();
    file.samples += counters[sc::kSamples];
    file.alloc_bytes += counters[sc::kAllocBytes];
    totals.cpu_ns += counters.cpu_ns();
    totals.samples += counters[sc::kSamples];
    totals.alloc_bytes += counters[sc::kAllocBytes];
    charges_[s] = Charge{slot->second.first, line};
  }

  // Sort files by CPU (ties: samples, then path) and remap the charges to the new order.
  std::vector<size_t> order(files.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(files[b].cpu_ns, files[b].samples, files[a].path) <
           std::tie(files[a].cpu_ns, files[a].samples, files[b].path);
  });
  std::vector<size_t> new_index(files.size());
  files_.reserve(files.size());
  for (size_t i = 0; i < order.size(); ++i) {
    new_index[order[i]] = i;
    files_.push_back(std::move(files[order[i]]));
  }
  for (Charge& charge : charges_) {
    if (charge.file != kUnattributed) charge.file = new_index[charge.file];
  }
  for (FileLines& file : files_) {
    std::sort(file.functions.begin(), file.functions.end(),
              [](const FunctionTotals& a, const FunctionTotals& b) {
                return std::tie(a.first_line, a.name) < std::tie(b.first_line, b.name);
              });
  }
}

}  // namespace pyro::report
