// Writes the HTML report: one self-contained page (no network access, a strict
// Content-Security-Policy) whose script draws everything from the JSON embedded in
// <script type="application/json" id="pyro-data"> (see html_page_data.h for its shape).
#ifndef PYROMETER_REPORT_HTML_WRITER_H
#define PYROMETER_REPORT_HTML_WRITER_H

#include <string>

#include "html_page_data.h"
#include "line_model.h"
#include "profile.h"
#include "source_file_cache.h"

namespace pyro::report {

class HtmlWriter {
 public:
  HtmlWriter(const Profile& profile, const LineModel& model, SourceFileCache& sources,
             HtmlPageOptions options = {})
      : profile_(profile), model_(model), sources_(sources), options_(options) {}

  std::string render() const;

  // The page's data alone (what render() puts into #pyro-data).
  std::string render_data() const;

 private:
  const Profile& profile_;
  const LineModel& model_;
  SourceFileCache& sources_;
  HtmlPageOptions options_;
};

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_HTML_WRITER_H
