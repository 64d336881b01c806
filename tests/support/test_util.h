// Helpers shared by the tests: locating the source tree, reading files.
#ifndef SWITCHBOARD_TESTS_SUPPORT_TEST_UTIL_H_
#define SWITCHBOARD_TESTS_SUPPORT_TEST_UTIL_H_

#include <string>

namespace switchboard::testing {

// The project's source directory: $SWITCHBOARD_SOURCE_DIR, else the current
// directory (ctest runs the tests from the source directory).
std::string SourceDir();

// The whole file, or "" when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_SUPPORT_TEST_UTIL_H_
