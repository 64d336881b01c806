#include "tests/support/test_util.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace switchboard::testing {

std::string SourceDir() {
  const char* dir = std::getenv("SWITCHBOARD_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace switchboard::testing
