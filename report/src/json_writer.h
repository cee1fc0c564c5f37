// Writes the JSON export of SPEC.md ("schema": "pyrometer/1") from a Profile and its
// LineModel. The HTML page embeds the same document, with source text added.
#ifndef PYROMETER_REPORT_JSON_WRITER_H
#define PYROMETER_REPORT_JSON_WRITER_H

#include <string>

#include "json_builder.h"
#include "line_model.h"
#include "profile.h"
#include "source_file_cache.h"

namespace pyro::report {

struct JsonOptions {
  bool include_stacks = true;
  // When set, every file gets "source": [its lines] (null when unreadable) and
  // "source_truncated": bool.
  SourceFileCache* sources = nullptr;
  JsonEscapeOptions escape;
};

class JsonWriter {
 public:
  JsonWriter(const Profile& profile, const LineModel& model) : profile_(profile), model_(model) {}

  std::string render(const JsonOptions& options = {}) const;

 private:
  void write_run(JsonBuilder& json) const;
  void write_threads(JsonBuilder& json) const;
  void write_memory(JsonBuilder& json) const;
  void write_processes(JsonBuilder& json) const;
  void write_files(JsonBuilder& json, SourceFileCache* sources) const;
  void write_native_hotspots(JsonBuilder& json) const;
  void write_leaks(JsonBuilder& json) const;
  void write_stacks(JsonBuilder& json) const;
  int64_t charged_frame(size_t stack, const std::vector<DisplayFrame>& frames) const;
  void write_frame(JsonBuilder& json, const DisplayFrame& frame) const;

  const Profile& profile_;
  const LineModel& model_;
};

// Nanoseconds as the float seconds the JSON carries.
inline double seconds(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_JSON_WRITER_H
