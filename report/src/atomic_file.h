// Writes an output file so that readers see either the old file or the whole new one:
// the bytes go to a new temporary beside it (pyrometer/temp_file.h), which is then renamed.
#ifndef PYROMETER_REPORT_ATOMIC_FILE_H
#define PYROMETER_REPORT_ATOMIC_FILE_H

#include <stdexcept>
#include <string>
#include <string_view>

namespace pyro::report {

class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws OutputError ("cannot write <path>: <reason>") and leaves no temporary behind.
void write_file_atomically(const std::string& path, std::string_view content);

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_ATOMIC_FILE_H
