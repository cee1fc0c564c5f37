// Decides which Python files are "profiled code" — the files whose lines get rows in the
// report — and turns co_filename values into the absolute paths the reports show.
//
// By default every real file is profiled except those under a meta `exclude_prefixes`
// entry (the writer lists the stdlib, site-packages and pyrometer itself); with meta
// `profile_all`=1 every real file is. Pseudo-files ("<string>", "<frozen os>", "") never
// are: there is no source line to show.
#ifndef PYROMETER_REPORT_CODE_FILTER_H
#define PYROMETER_REPORT_CODE_FILTER_H

#include <string>
#include <unordered_map>
#include <vector>

#include "profile.h"

namespace pyro::report {

class ProfiledCodeFilter {
 public:
  explicit ProfiledCodeFilter(const Profile& profile);
  ProfiledCodeFilter(std::string cwd, const std::vector<std::string>& exclude_prefixes,
                     bool profile_all);

  static bool is_pseudo_file(const std::string& co_filename);

  // Absolute, normalized path of a co_filename (relative ones resolve against the
  // program's cwd); pseudo-file names come back unchanged.
  std::string resolve(const std::string& co_filename) const;

  // Takes a co_filename as recorded. Results are cached per name.
  bool is_profiled(const std::string& co_filename) const;

 private:
  bool compute_is_profiled(const std::string& co_filename) const;

  std::string cwd_;
  bool profile_all_ = false;
  std::vector<std::string> prefixes_;       // normalized, lexical
  std::vector<std::string> real_prefixes_;  // realpath of those that exist
  mutable std::unordered_map<std::string, bool> cache_;
};

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_CODE_FILTER_H
