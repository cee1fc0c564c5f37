// The data the HTML page embeds: the JSON export's document, minus its "stacks", plus a
// "page" member with what only the page needs, in a form whose size is bounded by the
// number of distinct stacks and profiled lines, never by the length of the run:
//
//   page.funcs    each distinct frame of the JSON export without its "line", once
//   page.frames   each distinct frame once, as [index into funcs, line]
//   page.nodes    the stacks as a prefix tree, flat pairs [back, frame, back, frame, ...]:
//                 node n's parent is node n - back (back 0: a root), so shared callers are
//                 written once
//   page.stacks   [thread, leaf node, charged, samples, cpu_python_us, cpu_native_us,
//                  cpu_system_us, wall_us, gil_held_us, gil_wait_us, alloc_bytes]; charged
//                 says which frame the line table charged, as its number of steps up from
//                 the leaf (0: the leaf itself; -1: no frame in profiled code)
//   page.threads  [pid, tid] per thread index
//   page.sources  per file of the line table, its source text as [first line, [lines]]
//                 chunks (all of it while the source budget lasts, then the lines around
//                 the sampled ones)
//
// At most stack_cap stacks are kept, the heaviest (by their largest share of CPU, wall time
// or allocated bytes); the rest are merged per thread and charged line into stacks of two
// frames, "(other stacks)" above the charged frame, so per-line and per-thread totals stay
// exact while the tree stays small.
#ifndef PYROMETER_REPORT_HTML_PAGE_DATA_H
#define PYROMETER_REPORT_HTML_PAGE_DATA_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "json_escape.h"
#include "line_model.h"
#include "profile.h"
#include "source_file_cache.h"

namespace pyro::report {

struct HtmlPageOptions {
  size_t stack_cap = 20000;
  size_t source_budget_bytes = size_t{2} << 20;  // source text embedded whole, all files
  int32_t source_window = 12;  // past the budget: lines kept around each sampled line
  JsonEscapeOptions escape;    // must match the options the document was written with
};

class HtmlPageData {
 public:
  HtmlPageData(const Profile& profile, const LineModel& model, SourceFileCache* sources,
               HtmlPageOptions options = {})
      : profile_(profile), model_(model), sources_(sources), options_(options) {}

  // document: what JsonWriter rendered with include_stacks (and the same escape options).
  // Throws std::runtime_error when it is not the JSON object expected.
  std::string build(std::string_view document) const;

 private:
  void append_stacks(std::string& out, std::string_view stacks) const;
  void append_sources(std::string& out) const;

  const Profile& profile_;
  const LineModel& model_;
  SourceFileCache* sources_;
  HtmlPageOptions options_;
};

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_HTML_PAGE_DATA_H
