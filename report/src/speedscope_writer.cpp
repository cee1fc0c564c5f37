#include "speedscope_writer.h"

#include "json_builder.h"
#include "json_writer.h"
#include "native_frames.h"

#ifndef PYROMETER_VERSION
#define PYROMETER_VERSION "unknown"
#endif

namespace pyro::report {

std::string render_speedscope(const Profile& profile, const StackExport& stacks) {
  JsonBuilder json;
  json.begin_object();
  json.field("$schema", "https://www.speedscope.app/file-format-schema.json");
  std::string name = "pyrometer profile";
  const std::vector<std::string> argv = split_meta_list(profile.meta_value("argv"));
  if (!argv.empty()) name = path_basename(argv.front());
  json.field("name", name);
  json.field("exporter", "pyrometer " PYROMETER_VERSION);

  json.key("shared").begin_object().key("frames").begin_array();
  for (const ExportFrame& frame : stacks.frames()) {
    json.begin_object().field("name", frame.label);
    if (!frame.file.empty()) json.field("file", frame.file);
    if (frame.line > 0) json.field("line", frame.line);
    json.end_object();
  }
  json.end_array().end_object();

  size_t busiest = 0;
  json.key("profiles").begin_array();
  for (size_t t = 0; t < stacks.threads().size(); ++t) {
    const ExportThread& thread = stacks.threads()[t];
    if (thread.total_ns > stacks.threads()[busiest].total_ns) busiest = t;
    json.begin_object();
    json.field("type", "sampled").field("name", thread.name).field("unit", "seconds");
    json.field("startValue", uint64_t{0}).field("endValue", seconds(thread.total_ns));
    json.key("samples").begin_array();
    for (const ExportStack& stack : thread.stacks) {
      json.begin_array();
      for (uint32_t frame : stack.frames) json.value(frame);
      json.end_array();
    }
    json.end_array();
    json.key("weights").begin_array();
    for (const ExportStack& stack : thread.stacks) json.value(seconds(stack.weight_ns));
    json.end_array();
    json.end_object();
  }
  json.end_array();
  json.field("activeProfileIndex", static_cast<uint64_t>(busiest));
  json.end_object();
  return json.take();
}

}  // namespace pyro::report
