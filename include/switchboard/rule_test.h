// Rule authors' tests (`switchboard test`; the file format is
// documented in docs/testing.md): a YAML test file names a ruleset and lists
// tests, each feeding events to a fresh Engine and checking the decisions
// (subset matches in relative order, decisions that must never happen, no
// decision beyond the expected ones) or checking that the ruleset fails to
// load with given diagnostics.
//
//   absl::StatusOr<std::vector<switchboard::RuleTestResult>> results =
//       switchboard::RunRuleTestFile("rules/shop/tests.yaml");
//   if (!results.ok()) { ... the file could not be read ... }
//   for (const auto& r : *results) {
//     std::cout << (r.passed ? "PASS " : "FAIL ") << r.name << "\n" <<
//     r.report;
//   }
//
// Nothing here throws (yaml-cpp's exceptions are caught inside) and no input
// crashes it: every problem in a test file is a failed result whose report
// says `file:line:column: error: ...`.
#ifndef SWITCHBOARD_RULE_TEST_H_
#define SWITCHBOARD_RULE_TEST_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace switchboard {

// The outcome of one test.
struct RuleTestResult {
  std::string file;  // the test file, as given
  // The test's `name` ("test N", 1-based, when it has none). When the file
  // as a whole is malformed (YAML error, unknown top-level key, no `tests:`
  // list), the file yields one failed result whose name is the file path.
  std::string name;
  bool passed = false;
  // Empty when passed. Otherwise a readable account, each line indented by
  // two spaces and ending in '\n': diagnostics (file:line:column: error:
  // ...), the expected decision that was not found after which position,
  // the closest candidate and the members that differ, unwanted decisions,
  // and the actual decisions as JSON lines (all of them when at most 20).
  std::string report;
  // For a failed test that ran events: the engine's trace of the test
  // (`switchboard test --trace FILE`), one JSON line per trigger the engine
  // evaluated, as TriggerTrace::AppendJson writes it but starting with
  // "file" and "test" (this result's). Empty otherwise.
  std::string trace;

  // Coverage (`switchboard test --coverage`), for a test that ran events on
  // an engine, passed or not; empty otherwise (a load_errors test, a ruleset
  // that did not load, a malformed test):
  // The ruleset's path, as resolved from the test file
  // ("rules/shop/tests/../shop.yaml" is "rules/shop/shop.yaml"), and its
  // `ruleset:` name.
  std::string ruleset_path;
  std::string ruleset_name;
  // Every rule of the ruleset, in rule order.
  std::vector<std::string> rules;
  // The rules that ran in this test (EngineStats::rule_runs > 0: their
  // conditions held and their actions ran, at least once), in rule order.
  std::vector<std::string> rules_ran;
};

// How many tests ran each rule, over any number of test results.
//
//   switchboard::RuleCoverage coverage;
//   for (const auto& r : results) coverage.Add(r);
//   for (const auto& ruleset : coverage.rulesets()) ...
class RuleCoverage {
 public:
  struct RuleCount {
    std::string name;
    int tests = 0;  // tests in which the rule ran
  };
  struct RulesetCoverage {
    std::string path;              // RuleTestResult::ruleset_path
    std::string name;              // RuleTestResult::ruleset_name
    int tests = 0;                 // tests that ran events on it
    std::vector<RuleCount> rules;  // in rule order (the first test's)

    // The names of the rules no test ran, in rule order.
    std::vector<std::string> NeverRan() const;
  };

  // Counts `result` (nothing for a result without coverage).
  void Add(const RuleTestResult& result);
  // The rulesets in the order tests first used them.
  const std::vector<RulesetCoverage>& rulesets() const { return rulesets_; }

 private:
  std::vector<RulesetCoverage> rulesets_;
};

// Runs every test of the test file at `path`, in file order, each with a
// fresh Engine (rulesets are loaded once per file and shared). Returns one
// result per test. Errors (no results): NotFound when `path` does not exist,
// PermissionDenied / Unavailable when it cannot be read, InvalidArgument
// when it is not a regular file. Never throws. Thread-safe.
absl::StatusOr<std::vector<RuleTestResult>> RunRuleTestFile(
    const std::string& path);

// Runs the tests of a test file whose contents are `text`, exactly as
// RunRuleTestFile does with a file's contents (text over 64 MiB is one
// failed result); `path` names the file in reports, and relative `ruleset`
// and `events_file` paths are resolved from its folder (the file itself need
// not exist). Never throws. Thread-safe.
std::vector<RuleTestResult> RunRuleTestText(std::string_view text,
                                            const std::string& path);

// Expands the command line's TESTS: a file is taken as given (whatever its
// name); a folder contributes, recursively and in path (byte) order, every
// *.yaml and *.yml file with a top-level `tests:` key (a line starting with
// "tests:"), so rule files beside the tests are skipped. Errors: NotFound
// naming the first path that does not exist. Never throws.
absl::StatusOr<std::vector<std::string>> FindRuleTestFiles(
    const std::vector<std::string>& paths);

}  // namespace switchboard

#endif  // SWITCHBOARD_RULE_TEST_H_
