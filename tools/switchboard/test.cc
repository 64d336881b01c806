// switchboard test TESTS... [--coverage]: rule authors' tests
// (docs/testing.md). Runs every test of each test file (a folder: its
// *.yaml / *.yml files with a top-level `tests:`), printing "FILE: PASS
// name" or "FILE: FAIL name" and an indented report per test on stdout;
// with --coverage, then for each ruleset the number of tests in which each
// rule ran and the rules no test ran; last "N passed, M failed". Exit 1 when
// any test failed (a malformed or unreadable test file counts as one failed
// test). --trace FILE writes the engine's trace of every failed test.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fmt/format.h"
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
    "Prints 'FILE: PASS name' or 'FILE: FAIL name' per test, each failure\n"
    "followed by an indented report (what was not found after which\n"
    "decision, the closest decision and the members that differ, the\n"
    "decisions made), then the line 'N passed, M failed'. A malformed test\n"
    "file is reported as file:line:column: error: ... and counts as one\n"
    "failed test. Exits 0 when every test passed, 1 otherwise.\n"
    "\n"
    "  --coverage   before the last line, for each ruleset the tests used:\n"
    "               the number of tests in which each rule ran (its\n"
    "               conditions held and its actions ran), and the rules no\n"
    "               test ran\n"
    "  --trace FILE for each failed test that ran events, the engine's\n"
    "               trace to FILE ('-': stderr): one JSON line per trigger\n"
    "               evaluated, with the test's file and name, each rule\n"
    "               considered and its outcome (as run --trace)\n";

namespace {

// The coverage report: per ruleset, each rule with the number of tests in
// which it ran, then the rules no test ran.
void PrintCoverage(const RuleCoverage& coverage, Output& out) {
  if (coverage.rulesets().empty()) {
    out.Write("coverage: no test ran events on a ruleset\n");
  }
  for (const RuleCoverage::RulesetCoverage& ruleset : coverage.rulesets()) {
    const std::vector<std::string> never = ruleset.NeverRan();
    out.Print("coverage of {} (ruleset {}, {}): {} of {} ran\n", ruleset.path,
              ruleset.name, Plural(ruleset.tests, "test"),
              ruleset.rules.size() - never.size(),
              Plural(static_cast<int64_t>(ruleset.rules.size()), "rule"));
    size_t width = 0;
    for (const auto& rule : ruleset.rules) {
      width = std::max(width, rule.name.size());
    }
    for (const auto& rule : ruleset.rules) {
      out.Print("  {:<{}}  {}\n", rule.name, width, Plural(rule.tests, "test"));
    }
    if (!never.empty()) {
      out.Print("  no test ran: {}\n", fmt::join(never, ", "));
    }
  }
}

}  // namespace

int Test(const std::vector<std::string>& args, Output& out) {
  bool coverage_wanted = false;
  std::optional<std::string> trace_path;
  Flags flags("test");
  flags.Switch("--coverage", &coverage_wanted);
  flags.Value("--trace", &trace_path);
  std::vector<std::string> paths;
  if (auto rc = flags.Parse(args, &paths, out)) return *rc;
  if (paths.empty()) return UsageError("test", "missing TESTS");
  if (trace_path.has_value() && trace_path->empty()) {
    return UsageError("test", "--trace needs a file (or -)");
  }
  FilePtr trace_file(nullptr, &std::fclose);
  std::unique_ptr<Output> trace;
  if (trace_path.has_value()) {
    std::FILE* const f = OpenTraceFile(*trace_path, &trace_file);
    if (f == nullptr) return kExitProblem;
    trace = std::make_unique<Output>(f);
  }
  int passed = 0;
  int failed = 0;
  // Each path on its own, so that a missing one is one failure among the
  // others' results.
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    absl::StatusOr<std::vector<std::string>> found = FindRuleTestFiles({path});
    if (!found.ok()) {
      ++failed;
      out.Print("{}: FAIL {}\n  {}\n", path, path, Message(found.status()));
      continue;
    }
    files.insert(files.end(), found->begin(), found->end());
  }
  RuleCoverage coverage;
  for (const std::string& file : files) {
    if (out.failed()) break;  // no one reads the rest
    absl::StatusOr<std::vector<RuleTestResult>> results = RunRuleTestFile(file);
    if (!results.ok()) {
      ++failed;
      out.Print("{}: FAIL {}\n  {}\n", file, file, Message(results.status()));
      continue;
    }
    for (const RuleTestResult& r : *results) {
      (r.passed ? passed : failed) += 1;
      out.Print("{}: {} {}\n{}", r.file, r.passed ? "PASS" : "FAIL", r.name,
                r.report);
      if (trace != nullptr && !r.trace.empty()) trace->Write(r.trace);
      coverage.Add(r);
    }
    out.Flush();  // a file's results as soon as they are known
  }
  if (files.empty() && failed == 0) {
    out.Write("no test files (*.yaml with a top-level 'tests:') found\n");
  }
  if (coverage_wanted) PrintCoverage(coverage, out);
  out.Print("{} passed, {} failed\n", passed, failed);
  if (trace != nullptr && !trace->Flush()) {
    fmt::print(stderr, "switchboard: cannot write the trace '{}': {}\n",
               *trace_path, trace->error());
    return kExitWriteError;
  }
  return failed > 0 ? kExitProblem : kExitOk;
}

}  // namespace switchboard::cli
