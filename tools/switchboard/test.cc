// switchboard test TESTS...: rule authors' tests (docs/testing.md). Runs
// every test of each test file (a folder: its *.yaml / *.yml files with a
// top-level `tests:`), printing "PASS name" or "FAIL name" and an indented
// report per test on stdout, then "N passed, M failed". Exit 1 when any test
// failed (a malformed or unreadable test file counts as one failed test).
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "switchboard/rule_test.h"
#include "tools/switchboard/cli.h"
#include "tools/switchboard/commands.h"

namespace switchboard::cli {

extern const char kTestHelp[] =
    "TESTS are test files (YAML, see docs/testing.md) or folders, searched\n"
    "recursively for *.yaml and *.yml files with a top-level 'tests:' key.\n"
    "A test file names a ruleset (relative to itself) and lists tests; each\n"
    "test feeds events (inline, or a JSON Lines events_file) to a fresh\n"
    "engine, optionally advances the clock ('until'), and checks the\n"
    "decisions: 'expect' (subset matches, in relative order), 'never' (no\n"
    "decision may match), 'only: true' (no decision beyond 'expect'); or\n"
    "checks that the ruleset fails to load ('load_errors').\n"
    "\n"
    "Prints 'PASS name' or 'FAIL name' per test, each failure followed by\n"
    "an indented report (what was not found after which decision, the\n"
    "closest decision and the members that differ, the decisions made),\n"
    "then the line 'N passed, M failed'. A malformed test file is reported\n"
    "as file:line:column: error: ... and counts as one failed test.\n"
    "Exits 0 when every test passed, 1 otherwise.\n";

int Test(const std::vector<std::string>& args, Output& out) {
  Flags flags("test");
  std::vector<std::string> paths;
  if (auto rc = flags.Parse(args, &paths, out)) return *rc;
  if (paths.empty()) return UsageError("test", "missing TESTS");
  int passed = 0;
  int failed = 0;
  // Each path on its own, so that a missing one is one failure among the
  // others' results.
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    absl::StatusOr<std::vector<std::string>> found = FindRuleTestFiles({path});
    if (!found.ok()) {
      ++failed;
      out.Print("FAIL {}\n  {}\n", path, Message(found.status()));
      continue;
    }
    files.insert(files.end(), found->begin(), found->end());
  }
  for (const std::string& file : files) {
    if (out.failed()) break;  // no one reads the rest
    absl::StatusOr<std::vector<RuleTestResult>> results = RunRuleTestFile(file);
    if (!results.ok()) {
      ++failed;
      out.Print("FAIL {}\n  {}\n", file, Message(results.status()));
      continue;
    }
    for (const RuleTestResult& r : *results) {
      (r.passed ? passed : failed) += 1;
      out.Print("{} {}\n{}", r.passed ? "PASS" : "FAIL", r.name, r.report);
    }
    out.Flush();  // a file's results as soon as they are known
  }
  if (files.empty() && failed == 0) {
    out.Write("no test files (*.yaml with a top-level 'tests:') found\n");
  }
  out.Print("{} passed, {} failed\n", passed, failed);
  return failed > 0 ? kExitProblem : kExitOk;
}

}  // namespace switchboard::cli
