// Writes the HTML report: one self-contained page (no network access, a strict
// Content-Security-Policy) whose script draws everything from the JSON embedded in
// <script type="application/json" id="pyro-data">.
#ifndef PYROMETER_REPORT_HTML_WRITER_H
#define PYROMETER_REPORT_HTML_WRITER_H

#include <string>

#include "line_model.h"
#include "profile.h"
#include "source_file_cache.h"

namespace pyro::report {

class HtmlWriter {
 public:
  HtmlWriter(const Profile& profile, const LineModel& model, SourceFileCache& sources)
      : profile_(profile), model_(model), sources_(sources) {}

  std::string render() const;

 private:
  const Profile& profile_;
  const LineModel& model_;
  SourceFileCache& sources_;
};

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_HTML_WRITER_H
