// Tests of the rule authors' test runner (include/switchboard/rule_test.h):
// each feature of the test-file format (expect in relative order, never,
// only, until, events_file, load_errors, times compared as instants) passing
// and failing, malformed test files, and the report text. Fixtures are in
// tests/data/rule_tests/ (shop.yaml, broken.yaml, purchase.jsonl); small test
// files are also written to a temporary folder, naming the fixtures by
// absolute path.
#include "switchboard/rule_test.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_util.h"

namespace switchboard {
namespace {

using ::switchboard::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string DataDir() {
  return std::filesystem::absolute(std::filesystem::path(testing::SourceDir()) /
                                   "tests" / "data" / "rule_tests")
      .lexically_normal()
      .string();
}

// Writes a test file whose `ruleset:` is the shop fixture (absolute path),
// followed by `body` (the `tests:` list), and returns its path.
std::string WriteTests(const std::string& name, const std::string& body,
                       const std::string& ruleset = "shop.yaml") {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "rule_test_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / (name + ".yaml")).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!ruleset.empty())
    out << "ruleset: " << DataDir() << "/" << ruleset << "\n";
  out << body;
  return path;
}

std::vector<RuleTestResult> RunFile(const std::string& path) {
  absl::StatusOr<std::vector<RuleTestResult>> results = RunRuleTestFile(path);
  EXPECT_TRUE(results.ok()) << results.status();
  return results.ok() ? *results : std::vector<RuleTestResult>{};
}

// Runs a one-test file and returns its single result.
RuleTestResult RunOne(const std::string& name, const std::string& body,
                      const std::string& ruleset = "shop.yaml") {
  std::vector<RuleTestResult> results =
      RunFile(WriteTests(name, body, ruleset));
  EXPECT_EQ(results.size(), 1u);
  return results.empty() ? RuleTestResult{} : results[0];
}

constexpr char kCartEvents[] = R"(    events:
      - {time: "2026-11-23T10:00:00Z", type: cart.updated, visitor: a, cart_items: 2}
      - {time: "2026-11-23T10:01:00Z", type: page.view, visitor: a}
)";

TEST(RuleTestTest, PassingFixtureFilePassesEveryTest) {
  std::vector<RuleTestResult> results =
      RunFile("tests/data/rule_tests/passing.yaml");
  ASSERT_EQ(results.size(), 4u);
  for (const RuleTestResult& r : results) {
    EXPECT_TRUE(r.passed) << r.name << "\n" << r.report;
    EXPECT_EQ(r.report, "");
    EXPECT_EQ(r.file, "tests/data/rule_tests/passing.yaml");
  }
  EXPECT_EQ(results[0].name, "quiet cart gets a chat offer, then a reminder");
  EXPECT_EQ(results[3].name, "a typo is a load error");
}

TEST(RuleTestTest, FailingFixtureFileFailsEveryTest) {
  std::vector<RuleTestResult> results =
      RunFile("tests/data/rule_tests/failing.yaml");
  ASSERT_EQ(results.size(), 9u);
  int passed = 0;
  for (const RuleTestResult& r : results) passed += r.passed ? 1 : 0;
  EXPECT_EQ(passed, 0);
}

TEST(RuleTestTest, ExpectMatchesInRelativeOrder) {
  const RuleTestResult ok = RunOne("order_ok", std::string(R"(tests:
  - name: in order
)") + kCartEvents + R"(    until: "2026-11-23T15:00:00Z"
    expect:
      - {rule: cart-abandonment}
      - {rule: cart-reminder}
)");
  EXPECT_TRUE(ok.passed) << ok.report;

  const RuleTestResult bad = RunOne("order_bad", std::string(R"(tests:
  - name: reversed
)") + kCartEvents + R"(    until: "2026-11-23T15:00:00Z"
    expect:
      - {rule: cart-reminder}
      - {rule: cart-abandonment}
)");
  EXPECT_FALSE(bad.passed);
  EXPECT_EQ(bad.name, "reversed");
  EXPECT_THAT(bad.report,
              HasSubstr("expect[2] {\"rule\":\"cart-abandonment\"} not found "
                        "after decision #2 (matched by expect[1])"));
  EXPECT_THAT(bad.report,
              HasSubstr("decision #1 matches, but comes too early"));
  EXPECT_THAT(bad.report, HasSubstr("decisions (2):"));
  EXPECT_THAT(bad.report, HasSubstr("#2 {\"time\":\"2026-11-23T14:00:00Z\""));
}

TEST(RuleTestTest, ExpectReportsClosestDecisionAndDifferingMembers) {
  const RuleTestResult r = RunOne("closest", R"(tests:
  - name: wrong priority
    events:
      - {time: "2026-11-23T10:03:00Z", type: message.received, visitor: b, intent: billing}
    expect:
      - {rule: billing, action: route, priority: 3, agent: x}
)");
  EXPECT_FALSE(r.passed);
  EXPECT_THAT(r.report, HasSubstr("not found among the decisions"));
  EXPECT_THAT(r.report, HasSubstr("closest: decision #1 {"));
  EXPECT_THAT(r.report, HasSubstr("priority: expected 3, got 2"));
  EXPECT_THAT(r.report,
              HasSubstr("agent: expected \"x\", but the decision has no "
                        "'agent' member"));
  EXPECT_THAT(r.report, Not(HasSubstr("rule: expected")));
}

TEST(RuleTestTest, ValuesCompareExactlyByType) {
  // A quoted "2" is a string, not the int 2; lists compare whole.
  const RuleTestResult quoted = RunOne("quoted", R"(tests:
  - name: quoted int
    events:
      - {time: "2026-11-23T10:03:00Z", type: message.received, visitor: b, intent: billing}
    expect: [{action: route, priority: "2"}]
)");
  EXPECT_FALSE(quoted.passed);
  EXPECT_THAT(quoted.report, HasSubstr("priority: expected \"2\", got 2"));

  const RuleTestResult partial_list = RunOne("partial_list", R"(tests:
  - name: list prefix
    events:
      - {time: "2026-11-23T10:03:00Z", type: message.received, visitor: b, intent: billing}
    expect: [{action: tag, labels: [billing]}]
)");
  EXPECT_FALSE(partial_list.passed);
  EXPECT_THAT(partial_list.report,
              HasSubstr("labels: expected [\"billing\"], got "
                        "[\"billing\",\"first_contact\"]"));

  const RuleTestResult list = RunOne("list", R"(tests:
  - name: whole list
    events:
      - {time: "2026-11-23T10:03:00Z", type: message.received, visitor: b, intent: billing}
    expect: [{action: tag, labels: [billing, first_contact]}]
)");
  EXPECT_TRUE(list.passed) << list.report;
}

TEST(RuleTestTest, TimesCompareAsInstants) {
  const RuleTestResult offset = RunOne("instant", std::string(R"(tests:
  - name: offset time
)") + kCartEvents + R"(    expect:
      - {time: "2026-11-23T11:02:30+01:00", rule: cart-abandonment}
    until: "2026-11-23T10:10:00Z"
)");
  EXPECT_TRUE(offset.passed) << offset.report;

  const RuleTestResult other = RunOne("instant_bad", std::string(R"(tests:
  - name: other instant
)") + kCartEvents + R"(    expect:
      - {time: "2026-11-23T10:02:30+01:00", rule: cart-abandonment}
    until: "2026-11-23T10:10:00Z"
)");
  EXPECT_FALSE(other.passed);
  EXPECT_THAT(other.report,
              HasSubstr("time: expected \"2026-11-23T10:02:30+01:00\", got "
                        "\"2026-11-23T10:02:30Z\""));
}

TEST(RuleTestTest, NeverFailsOnAMatchingDecision) {
  const RuleTestResult ok = RunOne("never_ok", std::string(R"(tests:
  - name: not at that time
)") + kCartEvents + R"(    until: "2026-11-23T10:10:00Z"
    never: [{rule: cart-abandonment, time: "2026-11-23T10:05:00Z"}]
)");
  EXPECT_TRUE(ok.passed) << ok.report;

  const RuleTestResult bad = RunOne("never_bad", std::string(R"(tests:
  - name: forbidden offer
)") + kCartEvents + R"(    until: "2026-11-23T10:10:00Z"
    never:
      - {rule: cart-reminder}
      - {rule: cart-abandonment, time: "2026-11-23T11:02:30+01:00"}
)");
  EXPECT_FALSE(bad.passed);
  EXPECT_THAT(bad.report,
              HasSubstr("never[2] {\"rule\":\"cart-abandonment\",\"time\":"
                        "\"2026-11-23T11:02:30+01:00\"} matches decision #1 "
                        "{\"time\":\"2026-11-23T10:02:30Z\""));
  EXPECT_THAT(bad.report, Not(HasSubstr("never[1]")));
}

TEST(RuleTestTest, OnlyRejectsDecisionsBeyondExpect) {
  const RuleTestResult bad = RunOne("only_bad", R"(tests:
  - name: route only
    events:
      - {time: "2026-11-23T10:03:00Z", type: message.received, visitor: b, intent: billing}
    expect: [{action: route}]
    only: true
)");
  EXPECT_FALSE(bad.passed);
  EXPECT_THAT(bad.report,
              HasSubstr("only: 1 decision beyond those matched by expect:\n"
                        "    #2 {"));
  EXPECT_THAT(bad.report, HasSubstr("\"action\":\"tag\""));

  const RuleTestResult ok = RunOne("only_ok", R"(tests:
  - name: both
    events:
      - {time: "2026-11-23T10:03:00Z", type: message.received, visitor: b, intent: billing}
    expect: [{action: route}, {action: tag}]
    only: true
)");
  EXPECT_TRUE(ok.passed) << ok.report;

  // only: true without expect: no decision at all.
  const RuleTestResult none = RunOne("only_none", R"(tests:
  - name: quiet
    events:
      - {time: "2026-11-23T10:03:00Z", type: message.received, visitor: b, intent: other}
    only: true
)");
  EXPECT_TRUE(none.passed) << none.report;
}

TEST(RuleTestTest, UntilFiresTimersAfterTheEvents) {
  const std::string without = std::string(R"(tests:
  - name: no until
)") + kCartEvents + R"(    expect: [{rule: cart-abandonment, trigger: idle}]
)";
  const RuleTestResult r1 = RunOne("until_none", without);
  EXPECT_FALSE(r1.passed);
  EXPECT_THAT(r1.report, HasSubstr("decisions: none"));

  const RuleTestResult r2 =
      RunOne("until_set", without + "    until: \"2026-11-23T10:02:30Z\"\n");
  EXPECT_TRUE(r2.passed) << r2.report;
}

TEST(RuleTestTest, EventsFileIsReadRelativeToTheTestFile) {
  const std::string body = std::string("tests:\n  - name: purchase\n") +
                           "    events_file: " + DataDir() +
                           "/purchase.jsonl\n" +
                           "    until: \"2026-11-23T15:00:00Z\"\n";
  const RuleTestResult ok =
      RunOne("events_file_ok", body + "    never: [{rule: cart-reminder}]\n");
  EXPECT_TRUE(ok.passed) << ok.report;
  const RuleTestResult bad =
      RunOne("events_file_bad", body + "    expect: [{rule: cart-reminder}]\n");
  EXPECT_FALSE(bad.passed);

  // The fixture file names it relatively; a missing file is reported.
  const RuleTestResult missing = RunOne("events_file_missing", R"(tests:
  - name: missing
    events_file: no_such_events.jsonl
    only: true
)");
  EXPECT_FALSE(missing.passed);
  EXPECT_THAT(missing.report, HasSubstr("cannot read events file"));
  EXPECT_THAT(missing.report, HasSubstr("no_such_events.jsonl"));
}

TEST(RuleTestTest, BadEventLinesInEventsFileAreReportedWithLineNumbers) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "rule_test_test";
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "bad.jsonl", std::ios::binary | std::ios::trunc);
    out << "{\"time\":\"2026-11-23T10:00:00Z\",\"type\":\"page.view\","
           "\"visitor\":\"a\"}\n\n{\"type\":\"page.view\"}\n";
  }
  const RuleTestResult r = RunOne("events_file_lines", R"(tests:
  - name: bad line
    events_file: bad.jsonl
    only: true
)");
  EXPECT_FALSE(r.passed);
  EXPECT_THAT(r.report, HasSubstr("bad.jsonl:3: error: "));
}

TEST(RuleTestTest, InlineEventsAreTypedByTheSchema) {
  const RuleTestResult r = RunOne("typed", R"(tests:
  - name: bad int
    events:
      - {time: "2026-11-23T10:00:00Z", type: cart.updated, visitor: a, cart_items: two}
      - {type: cart.updated, visitor: a}
      - [not, a, map]
    only: true
)");
  EXPECT_FALSE(r.passed);
  EXPECT_THAT(r.report, HasSubstr(":5:9: error: event 1: "));
  EXPECT_THAT(r.report, HasSubstr("cart_items"));
  EXPECT_THAT(r.report, HasSubstr(":6:9: error: event 2: "));
  EXPECT_THAT(r.report, HasSubstr("time"));
  EXPECT_THAT(r.report,
              HasSubstr(":7:9: error: event 3: an event must be a map"));

  // Plain (unquoted) times and numbers work as in JSON Lines.
  const RuleTestResult plain = RunOne("plain", R"(tests:
  - name: plain scalars
    events:
      - time: 2026-11-23T10:00:00Z
        type: cart.updated
        visitor: a
        cart_items: 3
    until: 2026-11-23T10:05:00Z
    expect: [{rule: cart-abandonment, session: a}]
)");
  EXPECT_TRUE(plain.passed) << plain.report;
}

TEST(RuleTestTest, LoadErrorsPassWhenTheDiagnosticIsThere) {
  const RuleTestResult ok = RunOne("load_ok", R"(tests:
  - name: typo
    load_errors: [{line: 13, column: 15, message: "did you mean 'intent'", file: broken.yaml}]
)",
                                   "broken.yaml");
  EXPECT_TRUE(ok.passed) << ok.report;

  const RuleTestResult wrong_line = RunOne("load_line", R"(tests:
  - name: typo
    load_errors: [{line: 12, message: "did you mean 'intent'"}]
)",
                                           "broken.yaml");
  EXPECT_FALSE(wrong_line.passed);
  EXPECT_THAT(wrong_line.report,
              HasSubstr("no load error at line 12 whose message contains "
                        "\"did you mean 'intent'\""));
  EXPECT_THAT(wrong_line.report, HasSubstr("the load errors were:"));
  EXPECT_THAT(wrong_line.report, HasSubstr("broken.yaml:13:15: error: "));

  const RuleTestResult wrong_column = RunOne("load_column", R"(tests:
  - name: typo
    load_errors: [{line: 13, column: 3, message: "intnt"}]
)",
                                             "broken.yaml");
  EXPECT_FALSE(wrong_column.passed);

  const RuleTestResult loads = RunOne("load_fine", R"(tests:
  - name: clean
    load_errors: [{line: 1, message: "x"}]
)");
  EXPECT_FALSE(loads.passed);
  EXPECT_THAT(loads.report, HasSubstr("the ruleset loaded without errors"));
}

TEST(RuleTestTest, RulesetThatFailsToLoadFailsAnEventTest) {
  const RuleTestResult r = RunOne("broken_events", R"(tests:
  - name: needs a ruleset
    only: true
)",
                                  "broken.yaml");
  EXPECT_FALSE(r.passed);
  EXPECT_THAT(r.report, HasSubstr("the ruleset failed to load"));
  EXPECT_THAT(r.report,
              HasSubstr("broken.yaml:13:15: error: unknown attribute"));
}

TEST(RuleTestTest, MalformedTestsFailWithPositions) {
  const RuleTestResult typo = RunOne("key_typo", R"(tests:
  - name: misspelt
    expcet: [{rule: billing}]
)");
  EXPECT_FALSE(typo.passed);
  EXPECT_THAT(typo.report,
              HasSubstr(":4:5: error: unknown key 'expcet' in a test; did you "
                        "mean 'expect'?"));
  EXPECT_THAT(typo.report, HasSubstr("the test checks nothing"));

  const RuleTestResult both = RunOne("both_events", R"(tests:
  - name: both
    events: []
    events_file: x.jsonl
    only: true
)");
  EXPECT_FALSE(both.passed);
  EXPECT_THAT(both.report,
              HasSubstr("give 'events' or 'events_file', not both"));

  const RuleTestResult bad_until = RunOne("bad_until", R"(tests:
  - name: until
    until: tomorrow
    only: true
)");
  EXPECT_FALSE(bad_until.passed);
  EXPECT_THAT(bad_until.report, HasSubstr("'until' must be an RFC 3339 time"));

  const RuleTestResult unnamed = RunOne("unnamed", R"(tests:
  - only: true
)");
  EXPECT_EQ(unnamed.name, "test 1");
  EXPECT_TRUE(unnamed.passed) << unnamed.report;
}

TEST(RuleTestTest, MalformedFileIsOneFailure) {
  std::vector<RuleTestResult> yaml =
      RunFile("tests/data/rule_tests/malformed/yaml_error.yaml");
  ASSERT_EQ(yaml.size(), 1u);
  EXPECT_FALSE(yaml[0].passed);
  EXPECT_EQ(yaml[0].name, "tests/data/rule_tests/malformed/yaml_error.yaml");
  EXPECT_THAT(yaml[0].report,
              HasSubstr("tests/data/rule_tests/malformed/yaml_error.yaml:7:1: "
                        "error: YAML syntax error"));

  std::vector<RuleTestResult> key =
      RunFile("tests/data/rule_tests/malformed/unknown_key.yaml");
  ASSERT_EQ(key.size(), 1u);
  EXPECT_FALSE(key[0].passed);
  EXPECT_THAT(key[0].report,
              HasSubstr("unknown_key.yaml:2:1: error: unknown top-level key "
                        "'rulset'; did you mean 'ruleset'?"));

  std::vector<RuleTestResult> empty = RunFile(WriteTests("empty", "", ""));
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_FALSE(empty[0].passed);
}

TEST(RuleTestTest, MissingRulesetFailsOnlyThatTest) {
  std::vector<RuleTestResult> results =
      RunFile("tests/data/rule_tests/malformed/no_ruleset.yaml");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_THAT(results[0].report,
              HasSubstr("no_ruleset.yaml:3:5: error: no ruleset"));
  EXPECT_TRUE(results[1].passed) << results[1].report;
}

TEST(RuleTestTest, UnreadableFileIsAnError) {
  absl::StatusOr<std::vector<RuleTestResult>> r =
      RunRuleTestFile("tests/data/rule_tests/no_such_file.yaml");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kNotFound));
  r = RunRuleTestFile("tests/data/rule_tests");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RuleTestTest, FindRuleTestFilesKeepsOnlyTestFiles) {
  absl::StatusOr<std::vector<std::string>> files =
      FindRuleTestFiles({"tests/data/rule_tests"});
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(*files, (std::vector<std::string>{
                        "tests/data/rule_tests/failing.yaml",
                        "tests/data/rule_tests/malformed/no_ruleset.yaml",
                        "tests/data/rule_tests/malformed/unknown_key.yaml",
                        "tests/data/rule_tests/malformed/yaml_error.yaml",
                        "tests/data/rule_tests/passing.yaml"}));
  files = FindRuleTestFiles({"tests/data/rule_tests/shop.yaml"});
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 1u);  // a file is taken as given
  EXPECT_THAT(FindRuleTestFiles({"no/such/path"}),
              StatusIs(absl::StatusCode::kNotFound));
}

// Writes `yaml` as a ruleset beside the temporary test files; returns its
// path.
std::string WriteRuleset(const std::string& name, const std::string& yaml) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "rule_test_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / (name + ".yaml")).string();
  std::ofstream(path, std::ios::binary | std::ios::trunc) << yaml;
  return path;
}

TEST(RuleTestTest, DurationsCompareAsDurations) {
  const std::string rules = WriteRuleset("callback", R"(ruleset: desk
rules:
  - name: call-back
    on: call.missed
    then: [{callback: {within: 16h}}]
)");
  const std::string events = R"(    events:
      - {time: "2026-11-23T10:00:00Z", type: call.missed, conversation: c}
)";
  // The decision says "57600s"; 16h, 960m and "57600s" all match it.
  for (const char* within : {"16h", "960m", "\"57600s\"", "15h60m"}) {
    const RuleTestResult r =
        RunOne("durations",
               "ruleset: " + rules + "\ntests:\n  - name: within\n" + events +
                   "    expect: [{within: " + within + "}]\n",
               "");
    EXPECT_TRUE(r.passed) << within << "\n" << r.report;
  }
  // Another length does not, nor does a string that is not a duration.
  for (const char* within : {"15h", "fast"}) {
    const RuleTestResult r =
        RunOne("durations_bad",
               "ruleset: " + rules + "\ntests:\n  - name: within\n" + events +
                   "    expect: [{within: " + within + "}]\n",
               "");
    EXPECT_FALSE(r.passed) << within;
    EXPECT_THAT(r.report,
                HasSubstr("within: expected \"" + std::string(within) +
                          "\", got \"57600s\""));
  }
  // never compares the same way.
  const RuleTestResult never =
      RunOne("durations_never",
             "ruleset: " + rules + "\ntests:\n  - name: within\n" + events +
                 "    never: [{within: 16h}]\n",
             "");
  EXPECT_FALSE(never.passed);
  EXPECT_THAT(never.report, HasSubstr("never[1] {\"within\":\"16h\"} "
                                      "matches decision #1"));
}

TEST(RuleTestTest, ResultsSayWhichRulesRan) {
  std::vector<RuleTestResult> results =
      RunFile("tests/data/rule_tests/passing.yaml");
  ASSERT_EQ(results.size(), 4u);
  const RuleTestResult& first = results[0];
  EXPECT_EQ(first.ruleset_path, "tests/data/rule_tests/shop.yaml");
  EXPECT_EQ(first.ruleset_name, "shop");
  EXPECT_EQ(first.rules,
            (std::vector<std::string>{"track-cart", "cart-abandonment",
                                      "cart-reminder", "billing"}));
  EXPECT_EQ(first.rules_ran,
            (std::vector<std::string>{"track-cart", "cart-abandonment",
                                      "cart-reminder"}));
  // A load_errors test runs no engine: no coverage.
  EXPECT_TRUE(results[3].ruleset_path.empty());
  EXPECT_TRUE(results[3].rules_ran.empty());

  RuleCoverage coverage;
  for (const RuleTestResult& r : results) coverage.Add(r);
  ASSERT_EQ(coverage.rulesets().size(), 1u);
  const RuleCoverage::RulesetCoverage& shop = coverage.rulesets()[0];
  EXPECT_EQ(shop.path, "tests/data/rule_tests/shop.yaml");
  EXPECT_EQ(shop.name, "shop");
  EXPECT_EQ(shop.tests, 3);
  ASSERT_EQ(shop.rules.size(), 4u);
  EXPECT_EQ(shop.rules[0].name, "track-cart");
  EXPECT_EQ(shop.rules[0].tests, 2);
  EXPECT_EQ(shop.rules[2].name, "cart-reminder");
  EXPECT_EQ(shop.rules[2].tests, 1);
  EXPECT_EQ(shop.rules[3].name, "billing");
  EXPECT_EQ(shop.rules[3].tests, 1);
  EXPECT_TRUE(shop.NeverRan().empty());

  // Without the billing test, billing is a rule no test ran.
  RuleCoverage partial;
  partial.Add(results[0]);
  partial.Add(results[2]);
  ASSERT_EQ(partial.rulesets().size(), 1u);
  EXPECT_EQ(partial.rulesets()[0].NeverRan(),
            (std::vector<std::string>{"billing"}));
}

TEST(RuleTestTest, HostileInputDoesNotCrash) {
  // Alias bomb, deep nesting, NUL bytes: each is a failure, not a crash.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [*" + char(c - 1) + ", *" +
            char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" +
            char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" +
            char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + "]\n";
  }
  std::vector<RuleTestResult> r1 = RunFile(WriteTests("bomb", bomb, ""));
  ASSERT_EQ(r1.size(), 1u);
  EXPECT_FALSE(r1[0].passed);

  std::vector<RuleTestResult> r2 = RunFile(
      WriteTests("deep", "tests: " + std::string(10000, '[') + "\n", ""));
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_FALSE(r2[0].passed);

  std::vector<RuleTestResult> r3 =
      RunFile(WriteTests("nul", std::string("tests:\0\n", 8), ""));
  ASSERT_EQ(r3.size(), 1u);
  EXPECT_FALSE(r3[0].passed);

  // An alias-expanded event is bounded too.
  const RuleTestResult big = RunOne(
      "big_event", R"(x: &x [a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a]
tests:
  - name: big
    events:
      - {time: "2026-11-23T10:00:00Z", type: page.view, visitor: a, junk: *x}
    only: true
)");
  EXPECT_FALSE(big.passed);  // 'x' is an unknown top-level key
}

}  // namespace
}  // namespace switchboard
