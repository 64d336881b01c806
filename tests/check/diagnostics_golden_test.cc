// Golden diagnostics: every tests/data/diagnostics/<case>.yaml is loaded and
// the formatted diagnostics (FormatDiagnostics, file names relative to the
// source directory) must equal <case>.expected byte for byte. The .expected
// files are the specification of the messages: review them by eye.
//
// SWITCHBOARD_UPDATE_GOLDEN=1 rewrites the .expected files from the current
// output (then review the diff).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "switchboard/diagnostic.h"
#include "switchboard/ruleset.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_util.h"

namespace switchboard {
namespace {

using ::switchboard::testing::StatusIs;

constexpr char kDir[] = "tests/data/diagnostics";

std::vector<std::string> Cases() {
  std::vector<std::string> cases;
  std::error_code ec;
  const std::filesystem::path dir =
      std::filesystem::path(testing::SourceDir()) / kDir;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".yaml") {
      cases.push_back(entry.path().stem().string());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

bool UpdateGolden() {
  const char* v = std::getenv("SWITCHBOARD_UPDATE_GOLDEN");
  return v != nullptr && std::string(v) == "1";
}

// Loads a case with a path relative to the source directory, as a user
// running `switchboard check tests/data/diagnostics/x.yaml` from there.
LoadResult LoadCase(const std::string& name) {
  std::filesystem::current_path(testing::SourceDir());
  return LoadRuleset(std::string(kDir) + "/" + name + ".yaml");
}

class GoldenDiagnosticsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenDiagnosticsTest, MatchesExpected) {
  const std::string name = GetParam();
  const LoadResult result = LoadCase(name);
  const std::string actual = FormatDiagnostics(result.diagnostics());
  const std::string expected_path =
      testing::SourceDir() + "/" + kDir + "/" + name + ".expected";
  if (UpdateGolden()) {
    std::ofstream(expected_path, std::ios::binary) << actual;
    GTEST_SKIP() << "rewrote " << expected_path;
  }
  const std::string expected = testing::ReadFileOrEmpty(expected_path);
  ASSERT_FALSE(expected.empty())
      << "no " << expected_path
      << " (run with SWITCHBOARD_UPDATE_GOLDEN=1 and review it); actual:\n"
      << actual;
  EXPECT_EQ(actual, expected) << "diagnostics of " << name << ".yaml differ";
  // Every case is a mistake: it reports something, and only the warnings
  // case loads.
  EXPECT_FALSE(result.diagnostics().empty());
  if (name.rfind("field_warnings", 0) == 0) {
    EXPECT_TRUE(result.ok()) << actual;
  } else {
    EXPECT_FALSE(result.ok()) << actual;
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(std::string(result.status().message()), actual);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenDiagnosticsTest,
                         ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(GoldenDiagnosticsTest, HasTheCases) {
  const std::vector<std::string> cases = Cases();
  EXPECT_GE(cases.size(), 25u);
  EXPECT_NE(std::find(cases.begin(), cases.end(), "many_mistakes"),
            cases.end());
}

TEST(GoldenDiagnosticsTest, ManyMistakesAreAllReported) {
  const LoadResult result = LoadCase("many_mistakes");
  std::set<int> lines;
  for (const Diagnostic& d : result.diagnostics()) {
    if (d.is_error()) lines.insert(d.line);
  }
  // The file marks 17 mistakes on 17 different lines.
  EXPECT_GE(lines.size(), 17u) << FormatDiagnostics(result.diagnostics());
}

TEST(GoldenDiagnosticsTest, DiagnosticsAreSortedAndPositioned) {
  for (const std::string& name : Cases()) {
    const LoadResult result = LoadCase(name);
    const std::vector<Diagnostic>& all = result.diagnostics();
    std::vector<Diagnostic> sorted = all;
    SortDiagnostics(&sorted);
    ASSERT_EQ(FormatDiagnostics(sorted), FormatDiagnostics(all)) << name;
    for (const Diagnostic& d : all) {
      EXPECT_EQ(d.file, std::string(kDir) + "/" + name + ".yaml");
      if (d.line > 0) {
        EXPECT_GT(d.column, 0) << name << ": " << d.message;
        EXPECT_FALSE(d.source_line.empty()) << name << ": " << d.message;
      }
    }
  }
}

}  // namespace
}  // namespace switchboard
