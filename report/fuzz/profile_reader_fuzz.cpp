// libFuzzer target: a .pyro file from an untrusted source must end in a ProfileError (one
// line for the user) or in reports, never in a crash, a hang or unbounded memory. Whatever
// the reader accepts is also fed to every writer `pyrometer report` runs, since a profile
// the reader lets through reaches them. Built by scripts/fuzz.sh (PYROMETER_FUZZ=ON, clang);
// profile_parse_fuzz is the same with PYRO_FUZZ_PARSE_ONLY: the reader alone, ~100x faster.
#include <cstddef>
#include <cstdint>

#include "collapsed_writer.h"
#include "html_writer.h"
#include "json_writer.h"
#include "line_model.h"
#include "profile_reader.h"
#include "source_file_cache.h"
#include "speedscope_writer.h"
#include "stack_export.h"
#include "text_summary.h"

using namespace pyro::report;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Profile profile;
  try {
    profile = ProfileReader::parse(data, size);
  } catch (const ProfileError&) {
    return 0;  // the expected way to refuse a file
  }
#ifndef PYRO_FUZZ_PARSE_ONLY
  const LineModel model(profile);
  SourceFileCache sources;
  (void)JsonWriter(profile, model).render();
  (void)HtmlWriter(profile, model, sources).render();
  const StackExport stacks(profile, model);
  (void)render_collapsed(stacks);
  (void)render_speedscope(profile, stacks);
  TextSummaryOptions options;
  (void)TextSummary(profile, model, sources).render(options);
#endif
  return 0;
}
