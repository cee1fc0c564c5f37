// The stacks as flame-graph exports want them (collapsed_writer, speedscope_writer): per
// thread, the displayed stacks (NativeStacks) with identical frame lists merged, each frame
// given one label:
//   Python  "qualname (path:line)"  (path relative to the program's cwd when under it;
//                                    "qualname (path)" when the line is unknown)
//   native  "function [module-basename]"  ("function" alone outside any module)
//   "<truncated>" for frames dropped at the root of a too-deep stack.
// Weights are the LineModel's stack weights (CPU; wall time in wall mode); stacks that weigh
// nothing are left out.
#ifndef PYROMETER_REPORT_STACK_EXPORT_H
#define PYROMETER_REPORT_STACK_EXPORT_H

#include <cstdint>
#include <string>
#include <vector>

#include "line_model.h"
#include "profile.h"

namespace pyro::report {

struct ExportFrame {
  std::string label;
  std::string file;  // Python: the absolute path; native: the source file, else the module
  int32_t line = 0;  // 0 when unknown
};

struct ExportStack {
  std::vector<uint32_t> frames;  // indices into StackExport::frames(), root first
  uint64_t weight_ns = 0;
};

struct ExportThread {
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::string name;  // threading name / OS name, or "thread <tid>" without a Thread record
  std::vector<ExportStack> stacks;  // by frame list (lexicographic by frame index)
  uint64_t total_ns = 0;
};

class StackExport {
 public:
  StackExport(const Profile& profile, const LineModel& model);

  const std::vector<ExportFrame>& frames() const { return frames_; }
  // Threads in Thread-record order, then those only the stacks name; none without weight.
  const std::vector<ExportThread>& threads() const { return threads_; }

 private:
  std::vector<ExportFrame> frames_;
  std::vector<ExportThread> threads_;
};

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_STACK_EXPORT_H
