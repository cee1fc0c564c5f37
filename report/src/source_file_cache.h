// Source text of profiled files, read from disk at report time (the file may have changed
// since the run; the report shows what is there now). Bounded: at most max_lines lines per
// file, each cut at max_line_bytes, and at most max_file_bytes read.
#ifndef PYROMETER_REPORT_SOURCE_FILE_CACHE_H
#define PYROMETER_REPORT_SOURCE_FILE_CACHE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace pyro::report {

struct SourceText {
  std::vector<std::string> lines;  // lines[0] is line 1; no line terminators
  bool truncated = false;          // the file has more than the cache kept
};

struct SourceLimits {
  size_t max_lines = 20000;
  size_t max_line_bytes = 2000;
  size_t max_file_bytes = size_t{16} << 20;
};

class SourceFileCache {
 public:
  explicit SourceFileCache(SourceLimits limits = {}) : limits_(limits) {}

  // The file's text, or nullptr when it cannot be read (missing, not a regular file).
  const SourceText* get(const std::string& path);

  // One line (1-based), or nothing when the file or the line is not available.
  std::optional<std::string> line(const std::string& path, int32_t line_number);

 private:
  std::optional<SourceText> load(const std::string& path) const;

  SourceLimits limits_;
  std::unordered_map<std::string, std::optional<SourceText>> files_;
};

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_SOURCE_FILE_CACHE_H
