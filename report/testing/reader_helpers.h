// Reading profile bytes in tests: the parsed profile, or the reader's error.
#ifndef PYROMETER_REPORT_TESTING_READER_HELPERS_H
#define PYROMETER_REPORT_TESTING_READER_HELPERS_H

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "profile_reader.h"

namespace pyro::report::testing {

inline Profile parse(const std::vector<uint8_t>& bytes) { return ProfileReader::parse(bytes.data(), bytes.size()); }

// The reader's error for bytes it must reject (a test failure when it accepts them).
// Errors are one line: they end up as one `pyrometer: error:` line on stderr.
inline std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    parse(bytes);
  } catch (const ProfileError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << "errors are one line";
    return what;
  }
  ADD_FAILURE() << "the profile was accepted";
  return {};
}

}  // namespace pyro::report::testing

#endif  // PYROMETER_REPORT_TESTING_READER_HELPERS_H
