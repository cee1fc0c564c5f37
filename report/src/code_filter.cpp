#include "code_filter.h"

#include <utility>

#include "path_utils.h"

namespace pyro::report {

ProfiledCodeFilter::ProfiledCodeFilter(const Profile& profile)
    : ProfiledCodeFilter(profile.meta_value("cwd"),
                         split_meta_list(profile.meta_value("exclude_prefixes")),
                         profile.meta_value("profile_all") == "1") {}

ProfiledCodeFilter::ProfiledCodeFilter(std::string cwd,
                                       const std::vector<std::string>& exclude_prefixes,
                                       bool profile_all)
    : cwd_(std::move(cwd)), profile_all_(profile_all) {
  // Without a recorded cwd, the report's own directory is the best guess left.
  if (cwd_.empty() || cwd_.front() != '/') cwd_ = absolute_normalized_path(cwd_, current_directory());
  for (const std::string& prefix : exclude_prefixes) {
    if (prefix.empty()) continue;  // an empty prefix would exclude everything
    std::string normalized = absolute_normalized_path(prefix, cwd_);
    // Compare resolved paths too: the stdlib may be reached through a symlinked prefix
    // (pyenv shims, /usr/lib vs /lib on merged-/usr systems).
    if (auto real = real_path(normalized); real && *real != normalized) real_prefixes_.push_back(*real);
    prefixes_.push_back(std::move(normalized));
  }
}

bool ProfiledCodeFilter::is_pseudo_file(const std::string& co_filename) {
  return co_filename.empty() || co_filename.front() == '<';
}

std::string ProfiledCodeFilter::resolve(const std::string& co_filename) const {
  if (is_pseudo_file(co_filename)) return co_filename;
  return absolute_normalized_path(co_filename, cwd_);
}

bool ProfiledCodeFilter::is_profiled(const std::string& co_filename) const {
  auto it = cache_.find(co_filename);
  if (it != cache_.end()) return it->second;
  bool profiled = compute_is_profiled(co_filename);
  cache_.emplace(co_filename, profiled);
  return profiled;
}

bool ProfiledCodeFilter::compute_is_profiled(const std::string& co_filename) const {
  if (is_pseudo_file(co_filename)) return false;
  if (profile_all_) return true;
  const std::string path = resolve(co_filename);
  for (const std::string& prefix : prefixes_) {
    if (path_is_under(path, prefix)) return false;
  }
  if (real_prefixes_.empty() && prefixes_.empty()) return true;
  if (auto real = real_path(path)) {
    for (const std::string& prefix : prefixes_) {
      if (path_is_under(*real, prefix)) return false;
    }
    for (const std::string& prefix : real_prefixes_) {
      if (path_is_under(*real, prefix)) return false;
    }
  }
  return true;
}

}  // namespace pyro::report
