// The pyrometer-report command line:
//   pyrometer-report PROFILE [--json FILE] [--html FILE] [--collapsed FILE] [--speedscope FILE]
//                    [--text] [--summary] [--wrote FILE]...
// Kept out of main.cpp so tests can drive it in-process.
#ifndef PYROMETER_REPORT_REPORT_COMMAND_H
#define PYROMETER_REPORT_REPORT_COMMAND_H

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace pyro::report {

class CommandLineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CommandLine {
  std::string profile;
  std::string json_path;  // empty: no JSON
  std::string html_path;  // empty: no HTML
  std::string collapsed_path;   // empty: no folded stacks
  std::string speedscope_path;  // empty: no speedscope file
  bool text = false;      // text summary on stdout
  bool summary = false;   // text summary on stderr
  std::vector<std::string> wrote;  // extra paths the summary lists (e.g. the .pyro)
  bool help = false;
};

extern const char kReportUsage[];

// args excludes the program name. Throws CommandLineError. Without any output option the
// text summary goes to stdout (as with --text).
CommandLine parse_command_line(const std::vector<std::string>& args);

// Runs the command; returns the exit status (0 success, 2 on any error, reported as one
// line "pyrometer: error: <what>" on err). Never throws.
int run_report_command(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_REPORT_COMMAND_H
