// The short terminal summary: one header line, the memory peak (or "not tracked"), the
// hottest lines by CPU with their source, the lines that grew memory the most and the
// possible leaks (with memory tracking), the hottest native functions (when the profile has
// native stacks), and the files that were written.
#ifndef PYROMETER_REPORT_TEXT_SUMMARY_H
#define PYROMETER_REPORT_TEXT_SUMMARY_H

#include <cstddef>
#include <string>
#include <vector>

#include "line_model.h"
#include "profile.h"
#include "source_file_cache.h"

namespace pyro::report {

struct TextSummaryOptions {
  size_t top_lines = 10;
  size_t top_native = 5;                 // "Top native functions" rows (by self time)
  size_t top_memory_lines = 5;           // "Top lines by memory growth" and leak rows
  bool colour = false;                   // minimal ANSI: bold headings, dim details
  std::vector<std::string> written_files;  // listed at the end, in this order
};

class TextSummary {
 public:
  TextSummary(const Profile& profile, const LineModel& model, SourceFileCache& sources)
      : profile_(profile), model_(model), sources_(sources) {}

  std::string render(const TextSummaryOptions& options) const;

 private:
  std::string header_line() const;
  std::string display_path(const std::string& path) const;
  std::string location(const FileLines& file, int32_t line) const;     // "path:line"
  std::string source_text(const FileLines& file, int32_t line) const;  // trimmed, or ""
  std::string memory_line() const;
  std::string memory_section(const TextSummaryOptions& options) const;
  std::string native_section(const TextSummaryOptions& options) const;

  const Profile& profile_;
  const LineModel& model_;
  SourceFileCache& sources_;
};

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_TEXT_SUMMARY_H
