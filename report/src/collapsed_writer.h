// The folded-stack export (`--collapsed FILE`), as flamegraph.pl and inferno read it: one
// line per distinct stack per thread, "frame;frame;... weight", root first, the thread as
// root frame ("MainThread (4242)"), weight in integer microseconds of CPU (wall time in wall
// mode). Frame labels are StackExport's; ';' in a label becomes ',' and line breaks become
// spaces, so a label can never split a frame or a line. Lines are sorted within a thread;
// stacks that round to 0 µs are left out.
#ifndef PYROMETER_REPORT_COLLAPSED_WRITER_H
#define PYROMETER_REPORT_COLLAPSED_WRITER_H

#include <string>

#include "stack_export.h"

namespace pyro::report {

std::string render_collapsed(const StackExport& stacks);

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_COLLAPSED_WRITER_H
