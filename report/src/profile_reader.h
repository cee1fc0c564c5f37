// Reads a .pyro file (docs/profile-format.md) into a Profile. The reader trusts nothing in
// the file: every count is checked against the bytes that remain before anything is
// allocated, so a corrupt or hostile file ends in a ProfileError, never in a crash.
#ifndef PYROMETER_REPORT_PROFILE_READER_H
#define PYROMETER_REPORT_PROFILE_READER_H

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "profile.h"

namespace pyro::report {

// Why a profile cannot be read: one line of text, fit for "pyrometer: error: <what>".
class ProfileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ProfileReader {
 public:
  // Reads and parses the file at path. Errors name the file.
  static Profile read_file(const std::string& path);

  // Parses an in-memory profile.
  static Profile parse(const uint8_t* data, size_t size);
};

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_PROFILE_READER_H
