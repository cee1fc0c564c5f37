// The speedscope export (`--speedscope FILE`, https://www.speedscope.app/file-format-schema.json):
// shared frames {name, file, line} (StackExport's labels), one "sampled" profile per thread
// named after the thread, unit "seconds", startValue 0, endValue = the thread's total; each
// distinct stack is one sample (frame indices, root first) weighted by its seconds of CPU
// (wall time in wall mode). activeProfileIndex points at the busiest thread.
#ifndef PYROMETER_REPORT_SPEEDSCOPE_WRITER_H
#define PYROMETER_REPORT_SPEEDSCOPE_WRITER_H

#include <string>

#include "profile.h"
#include "stack_export.h"

namespace pyro::report {

std::string render_speedscope(const Profile& profile, const StackExport& stacks);

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_SPEEDSCOPE_WRITER_H
