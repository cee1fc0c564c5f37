#include "collapsed_writer.h"

#include <map>

#include <fmt/format.h>

namespace pyro::report {

namespace {

std::string folded_label(const std::string& label) {
  std::string out = label;
  for (char& c : out) {
    if (c == ';') c = ',';
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

std::string render_collapsed(const StackExport& stacks) {
  std::vector<std::string> labels;
  labels.reserve(stacks.frames().size());
  for (const ExportFrame& frame : stacks.frames()) labels.push_back(folded_label(frame.label));

  std::string out;
  for (const ExportThread& thread : stacks.threads()) {
    const std::string root = folded_label(fmt::format("{} ({})", thread.name, thread.tid));
    // Two stacks may fold to the same text (labels that differ only in ';'): add them up.
    std::map<std::string, uint64_t> lines;
    for (const ExportStack& stack : thread.stacks) {
      std::string text = root;
      for (uint32_t frame : stack.frames) {
        text += ';';
        text += labels[frame];
      }
      lines[text] += stack.weight_ns;
    }
    for (const auto& [text, ns] : lines) {
      const uint64_t us = ns / 1000 + (ns % 1000 >= 500 ? 1 : 0);
      if (us == 0) continue;
      fmt::format_to(std::back_inserter(out), "{} {}\n", text, us);
    }
  }
  return out;
}

}  // namespace pyro::report
