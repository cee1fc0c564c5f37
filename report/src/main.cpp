// pyrometer-report: turns a .pyro profile into JSON, HTML and text reports.
// See report/README.md; the work is in report_command.cpp.
#include <cstdio>
#include <string>
#include <vector>

#include "report_command.h"

int main(int argc, char** argv) {
  std::vector<std::string> args;
  try {
    args.assign(argv + 1, argv + argc);
  } catch (...) {
    std::fputs("pyrometer: error: out of memory\n", stderr);
    return 2;
  }
  return pyro::report::run_report_command(args, stdout, stderr);
}
