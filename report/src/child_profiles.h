// Child processes write their own profiles next to the root's (BASE.pyro.children/
// <pid>.<start_unix_ns>.pyro, see docs/profile-format.md). The reports show one merged
// profile: every child's threads and stacks keep their pid, and what is only meaningful
// inside one process is translated into the root profile's terms —
//   - function ids: re-interned by content (path, name, first line); a relative path of a
//     child that ran in another directory is made absolute against the child's cwd;
//   - native addresses: a child's module that the merged profile already has (same path
//     and build-id, e.g. the interpreter in a spawned child, loaded elsewhere by ASLR) is
//     mapped onto it; any other module is added, moved to free addresses when its ranges
//     collide with the ones already there;
//   - the CPU timeline: shifted by the child's start time, re-bucketed onto one grid.
// The root's Meta (argv, cwd, duration...) stays the report's; exclude_prefixes gain the
// children's (a child may run another interpreter with its own standard library).
#ifndef PYROMETER_REPORT_CHILD_PROFILES_H
#define PYROMETER_REPORT_CHILD_PROFILES_H

#include <string>
#include <vector>

#include "profile.h"

namespace pyro::report {

// The directory the children of the profile at `path` write into.
std::string children_directory(const std::string& path);

// The child profiles of the profile at `path`, sorted by file name; empty when none.
std::vector<std::string> child_profile_paths(const std::string& path);

// Merges `child` (a whole profile, possibly itself merged) into `into`.
void merge_child_profile(Profile& into, const Profile& child);

// Reads the profile at `path` and merges every child profile found beside it. A child
// profile that cannot be read is skipped with a line in *warnings (the root's own
// profile failing to read throws ProfileError as ProfileReader::read_file does).
Profile read_profile_with_children(const std::string& path, std::vector<std::string>* warnings);

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_CHILD_PROFILES_H
