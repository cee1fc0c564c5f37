// Lexical path helpers for the POSIX paths found in profiles.
#ifndef PYROMETER_REPORT_PATH_UTILS_H
#define PYROMETER_REPORT_PATH_UTILS_H

#include <optional>
#include <string>
#include <string_view>

namespace pyro::report {

// Joins a relative path to base (absolute paths are returned as they are), then removes
// ".", "..", and repeated or trailing slashes without touching the file system.
std::string absolute_normalized_path(std::string_view path, std::string_view base);

// True when path is prefix itself or lies below it, comparing whole components
// ("/usr/lib/python3.11" does not contain "/usr/lib/python3.11-extra/x.py").
bool path_is_under(std::string_view path, std::string_view prefix);

// realpath(3), or nothing when the path does not exist (anymore).
std::optional<std::string> real_path(const std::string& path);

// The current working directory of this process, or "/" when it cannot be read.
std::string current_directory();

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_PATH_UTILS_H
