// The hostile input corpus (tests/data/hostile/, docs/reliability.md): what
// a client or a careless rule author may send, and what the engine must do
// with it.
//
// Events (tests/data/hostile/events/hostile.jsonl, against ruleset.yaml):
// valid lines mixed with malformed JSON, NUL bytes, invalid UTF-8, deep
// nesting, huge numbers, impossible times, duplicate keys, wrong types, a
// byte order mark, CRLF and blank lines; huge lines, very deep nesting and
// values past each ReaderOptions limit are generated here. Each bad line is
// an InvalidArgument whose message is pinned (hostile.errors, by line
// number), and the valid lines keep exactly the decisions they make on
// their own (hostile.decisions).
//
// Rule files (tests/data/hostile/rules/*.yaml): alias bombs, recursive
// aliases, deep block and flow nesting, tabs, duplicate keys, invalid UTF-8,
// NUL bytes, control characters, a second document, huge numbers; each is
// refused with `file:line:column: error:` diagnostics (pinned in
// <name>.expected) and yields no ruleset, except ok_*.yaml, which load.
//
// SWITCHBOARD_UPDATE_GOLDEN=1 rewrites the pinned files (review the diff).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "engine/common/time_util.h"
#include "engine/io/jsonl_reader.h"
#include "engine/plan/ruleset_access.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/decision.h"
#include "switchboard/diagnostic.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/rule_test.h"
#include "switchboard/ruleset.h"
#include "tests/support/test_util.h"

namespace switchboard {
namespace {

using ::testing::HasSubstr;

constexpr char kEventsDir[] = "tests/data/hostile/events";
constexpr char kRulesDir[] = "tests/data/hostile/rules";
// After the last event, the clock advances here (idle timers fire).
constexpr char kUntil[] = "2026-11-23T12:00:00Z";

bool UpdateGolden() {
  const char* v = std::getenv("SWITCHBOARD_UPDATE_GOLDEN");
  return v != nullptr && std::string(v) == "1";
}

// Compares `actual` with the pinned file at `path` (relative to the source
// directory), or rewrites it under SWITCHBOARD_UPDATE_GOLDEN=1.
void ExpectGolden(const std::string& path, const std::string& actual) {
  const std::string full = testing::SourceDir() + "/" + path;
  if (UpdateGolden()) {
    std::ofstream(full, std::ios::binary) << actual;
    return;
  }
  const std::string expected = testing::ReadFileOrEmpty(full);
  ASSERT_FALSE(expected.empty())
      << "no " << path
      << " (run with SWITCHBOARD_UPDATE_GOLDEN=1 and review it); actual:\n"
      << actual;
  EXPECT_EQ(actual, expected) << path << " differs";
}

class CollectingSink : public DecisionSink {
 public:
  void OnDecision(const Decision& decision) override {
    lines.push_back(decision.ToJson());
  }
  std::vector<std::string> lines;
};

// What feeding a stream did: the decisions (JSON), and each bad line's
// number and message.
struct RunOutcome {
  std::vector<std::string> decisions;
  std::vector<std::pair<int64_t, std::string>> bad;
  std::vector<int64_t> good;  // numbers of the lines that were processed
  int64_t events = 0;         // EngineStats::events
};

// Feeds `text` line by line as `switchboard run` does: lines end at '\n'
// (a trailing '\r' is the reader's to accept), blank lines are skipped, a
// bad line is recorded and skipped. Then advances the clock to kUntil.
RunOutcome Feed(const std::shared_ptr<const Ruleset>& ruleset,
                std::string_view text, const ReaderOptions& options = {}) {
  RunOutcome out;
  EventReader reader(plan::RulesetAccess::Checked(*ruleset), options);
  std::unique_ptr<Engine> engine = *Engine::Create(ruleset);
  CollectingSink sink;
  Event event;
  int64_t number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (EventReader::IsBlankLine(line)) continue;
    absl::Status s = reader.Next(line, &event);
    if (s.ok()) s = engine->Process(event, &sink);
    if (s.ok()) {
      out.good.push_back(number);
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
      out.bad.emplace_back(number, std::string(s.message()));
    }
  }
  engine->AdvanceTo(*ParseTimestamp(kUntil), &sink);
  out.decisions = std::move(sink.lines);
  out.events = engine->stats().events;
  return out;
}

// The lines of `text` whose numbers are in `keep`, joined by '\n'.
std::string KeepLines(std::string_view text, const std::vector<int64_t>& keep) {
  const std::set<int64_t> wanted(keep.begin(), keep.end());
  std::string out;
  int64_t number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++number;
    if (wanted.count(number) > 0) {
      out.append(text.substr(start, end - start));
      out += '\n';
    }
    start = end + 1;
  }
  return out;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

// Control bytes of a message shown as \xNN, as the CLI prints them.
std::string Printable(std::string_view message) {
  std::string out;
  for (char c : message) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\x%02x", u);
      out += esc;
    } else {
      out += c;
    }
  }
  return out;
}

class HostileEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = testing::SourceDir() + "/" + kEventsDir;
    LoadResult loaded = LoadRuleset(dir + "/ruleset.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ruleset_ = loaded.ruleset();
    text_ = testing::ReadFileOrEmpty(dir + "/hostile.jsonl");
    ASSERT_FALSE(text_.empty());
  }

  // A valid event line for session `visitor` at minute `minute` past 10:00.
  static std::string Valid(const std::string& visitor, int minute,
                           std::string_view extra = "") {
    char time[32];
    std::snprintf(time, sizeof(time), "2026-11-23T10:%02d:00Z", minute);
    return std::string(R"({"time":")") + time +
           R"(","type":"cart.updated","visitor":")" + visitor +
           R"(","cart_items":1)" + std::string(extra) + "}";
  }

  std::shared_ptr<const Ruleset> ruleset_;
  std::string text_;
};

TEST_F(HostileEventsTest, EachBadLineIsAClearErrorNamingItsLine) {
  const RunOutcome run = Feed(ruleset_, text_);
  std::string errors;
  for (const auto& [number, message] : run.bad) {
    errors += std::to_string(number) + ": " + Printable(message) + "\n";
  }
  ExpectGolden(std::string(kEventsDir) + "/hostile.errors", errors);
  // The file holds 46 lines: 2 blank, 7 valid, 37 bad.
  EXPECT_EQ(run.bad.size(), 37u) << errors;
  EXPECT_EQ(run.good.size(), 7u);
  EXPECT_EQ(run.events, 7);
  // Every kind of problem is there, with a message a person can act on.
  for (const char* expected :
       {"malformed JSON",
        "a line must be one JSON object",
        "unexpected text after the JSON object",
        "NUL byte",
        "invalid UTF-8",
        "nested deeper than 64",
        "member 'cart_items'",
        "member 'cart_value': number out of range",
        "invalid timestamp '2026-02-30T10:01:10Z': day out of range",
        "hour out of range",
        "time zone offset out of range",
        "second out of range",
        "is outside 0001-01-01..9999-12-31",
        "integer out of range (int64)",
        "duplicate member 'time'",
        "duplicate key 'a'",
        "member 'visitor' must be string, got a number",
        "member 'wait' must be duration",
        "missing the session key 'visitor'",
        "missing member 'type'",
        "member 'type': must not be empty"}) {
    EXPECT_THAT(errors, HasSubstr(expected));
  }
}

TEST_F(HostileEventsTest, ValidLinesKeepTheirDecisions) {
  const RunOutcome hostile = Feed(ruleset_, text_);
  const RunOutcome alone = Feed(ruleset_, KeepLines(text_, hostile.good));
  EXPECT_TRUE(alone.bad.empty());
  EXPECT_EQ(Joined(hostile.decisions), Joined(alone.decisions));
  ExpectGolden(std::string(kEventsDir) + "/hostile.decisions",
               Joined(hostile.decisions));
  // Every valid line decided something, and the idle timers fired.
  EXPECT_GE(hostile.decisions.size(), 7u);
  EXPECT_THAT(Joined(hostile.decisions), HasSubstr(R"("trigger":"idle")"));
}

TEST_F(HostileEventsTest, ByteOrderMarkAndCrlfAreAccepted) {
  const RunOutcome run = Feed(ruleset_, text_);
  ASSERT_GE(run.good.size(), 2u);
  EXPECT_EQ(run.good[0], 1);  // starts with a byte order mark
  EXPECT_EQ(run.good[1], 2);  // ends with "\r"
}

TEST_F(HostileEventsTest, HugeLinesAreRefusedAndTheRunGoesOn) {
  // 2 MiB of string in one line, between two valid lines.
  const std::string huge = Valid(
      "v9", 1, R"(,"intent":")" + std::string(size_t{2} << 20, 'x') + "\"");
  const std::string text =
      Valid("v1", 0) + "\n" + huge + "\n" + Valid("v2", 2) + "\n";
  const RunOutcome run = Feed(ruleset_, text);
  ASSERT_EQ(run.bad.size(), 1u);
  EXPECT_EQ(run.bad[0].first, 2);
  EXPECT_THAT(run.bad[0].second, HasSubstr("line too long: "));
  EXPECT_THAT(run.bad[0].second, HasSubstr(" bytes (the limit is 1048576)"));
  EXPECT_EQ(run.good, (std::vector<int64_t>{1, 3}));
}

TEST_F(HostileEventsTest, VeryDeepNestingIsRefused) {
  const std::string deep =
      Valid("v9", 1,
            R"(,"x":)" + std::string(100000, '[') + std::string(100000, ']'));
  const std::string open_only = std::string(100000, '{');
  const std::string text = Valid("v1", 0) + "\n" + deep + "\n" + open_only +
                           "\n" + Valid("v2", 2) + "\n";
  const RunOutcome run = Feed(ruleset_, text);
  ASSERT_EQ(run.bad.size(), 2u);
  EXPECT_THAT(run.bad[0].second, HasSubstr("nested deeper than 64"));
  EXPECT_THAT(run.bad[1].second, HasSubstr("JSON"));
  EXPECT_EQ(run.good, (std::vector<int64_t>{1, 4}));
}

TEST_F(HostileEventsTest, EachLimitIsAnOptionWithADefault) {
  const ReaderOptions defaults;
  EXPECT_EQ(defaults.max_line_bytes, size_t{1} << 20);
  EXPECT_EQ(defaults.max_depth, 64);
  EXPECT_EQ(defaults.max_string_bytes, size_t{64} << 10);
  EXPECT_EQ(defaults.max_elements, 1000u);

  const auto list = [](int n) {
    std::string s = R"(,"labels":[)";
    for (int i = 0; i < n; ++i) s += std::string(i ? "," : "") + "\"l\"";
    return s + "]";
  };
  const auto map = [](int n) {
    std::string s = R"(,"levels":{)";
    for (int i = 0; i < n; ++i) {
      s += std::string(i ? "," : "") + "\"k" + std::to_string(i) + "\":1";
    }
    return s + "}";
  };
  const std::string long_string(size_t{64} << 10, 's');
  // At the limit: fine. Past it: an error naming the member and the limit.
  const std::string text =
      Valid("v1", 0, list(1000)) + "\n" + Valid("v1", 1, list(1001)) + "\n" +
      Valid("v1", 2, map(1000)) + "\n" + Valid("v1", 3, map(1001)) + "\n" +
      Valid("v1", 4, R"(,"intent":")" + long_string + "\"") + "\n" +
      Valid("v1", 5, R"(,"intent":")" + long_string + "s\"") + "\n" +
      Valid("v1", 6, R"(,"levels":{")" + long_string + "k\":1}") + "\n" +
      Valid(long_string + "v", 7) + "\n" +
      Valid("v1", 8, R"(,"x":)" + std::string(64, '[') + std::string(64, ']')) +
      "\n" +
      Valid("v1", 9, R"(,"x":)" + std::string(65, '[') + std::string(65, ']')) +
      "\n";
  const RunOutcome run = Feed(ruleset_, text);
  EXPECT_EQ(run.good, (std::vector<int64_t>{1, 3, 5, 9}));
  ASSERT_EQ(run.bad.size(), 6u);
  EXPECT_EQ(run.bad[0].second,
            "member 'labels': more than 1000 elements (the limit)");
  EXPECT_EQ(run.bad[1].second,
            "member 'levels': more than 1000 entries (the limit)");
  EXPECT_EQ(run.bad[2].second,
            "member 'intent': string of 65537 bytes (the limit is 65536)");
  EXPECT_EQ(run.bad[3].second,
            "member 'levels': string of 65537 bytes (the limit is 65536)");
  EXPECT_EQ(run.bad[4].second,
            "member 'visitor': string of 65537 bytes (the limit is 65536)");
  EXPECT_EQ(run.bad[5].second, "JSON nested deeper than 64");

  // Every limit can be changed.
  ReaderOptions tight;
  tight.max_line_bytes = 200;
  tight.max_depth = 2;
  tight.max_string_bytes = 24;  // the time and type strings fit
  tight.max_elements = 2;
  const std::string small =
      Valid("v1", 0, list(2) + R"(,"x":[[1]])") + "\n" +  // fine
      Valid("v1", 1, list(3)) + "\n" +                    // 3 elements
      Valid("v1", 2, R"(,"x":[[[1]]])") + "\n" +          // depth 3
      Valid("v1", 3, R"(,"intent":"1234567890123456789012345")") + "\n" +
      Valid("v1", 4, R"(,"y":")" + std::string(200, 'y') + "\"") + "\n";
  const RunOutcome limited = Feed(ruleset_, small, tight);
  EXPECT_EQ(limited.good, (std::vector<int64_t>{1}));
  ASSERT_EQ(limited.bad.size(), 4u);
  EXPECT_THAT(limited.bad[0].second, HasSubstr("more than 2 elements"));
  EXPECT_EQ(limited.bad[1].second, "JSON nested deeper than 2");
  EXPECT_EQ(limited.bad[2].second,
            "member 'intent': string of 25 bytes (the limit is 24)");
  EXPECT_THAT(limited.bad[3].second, HasSubstr("line too long"));
}

// ---- rule files ------------------------------------------------------------

std::vector<std::string> RuleCases() {
  std::vector<std::string> cases;
  std::error_code ec;
  const std::filesystem::path dir =
      std::filesystem::path(testing::SourceDir()) / kRulesDir;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".yaml") {
      cases.push_back(entry.path().stem().string());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

class HostileRulesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(HostileRulesTest, RefusedWithPositionedErrors) {
  const std::string name = GetParam();
  // Relative names, as a user running `switchboard check` from the source
  // directory would see them.
  std::filesystem::current_path(testing::SourceDir());
  const std::string path = std::string(kRulesDir) + "/" + name + ".yaml";
  const LoadResult result = LoadRuleset(path);
  const std::string formatted = FormatDiagnostics(result.diagnostics());
  if (name.rfind("ok_", 0) == 0) {
    EXPECT_TRUE(result.ok()) << formatted;
    return;
  }
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.ruleset(), nullptr);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_GT(result.error_count(), 0);
  const std::regex positioned("^" + path + ":[0-9]+:[0-9]+: error: .+");
  for (const Diagnostic& d : result.diagnostics()) {
    if (!d.is_error()) continue;
    const std::string line = FormatDiagnostic(d);
    EXPECT_TRUE(std::regex_search(line, positioned)) << line;
  }
  ExpectGolden(std::string(kRulesDir) + "/" + name + ".expected", formatted);
}

INSTANTIATE_TEST_SUITE_P(Corpus, HostileRulesTest,
                         ::testing::ValuesIn(RuleCases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(HostileRulesCorpusTest, HasTheCases) {
  const std::vector<std::string> cases = RuleCases();
  for (const char* name :
       {"alias_bomb_maps", "recursive_alias", "deep_block", "deep_flow", "tabs",
        "duplicate_keys", "invalid_utf8_value", "nul_in_comment",
        "control_chars", "two_documents", "huge_numbers", "ok_bom_crlf"}) {
    EXPECT_NE(std::find(cases.begin(), cases.end(), name), cases.end()) << name;
  }
}

// Generated here rather than committed: huge scalars and files.
TEST(HostileRulesGeneratedTest, HugeScalarsAndFilesAreRefused) {
  const std::string head =
      "ruleset: big\nevent:\n  intent: string\nrules:\n  - name: r\n"
      "    on: m\n";
  // A 2 MiB condition: longer than the CEL limit (100 KiB).
  const std::string condition =
      "    if: \"" + std::string(size_t{2} << 20, 'a') + " == 'x'\"\n";
  LoadResult result = LoadRulesetFromString(
      head + condition + "    then: [{tag: [x]}]\n", "big.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(FormatDiagnostics(result.diagnostics()),
              HasSubstr("big.yaml:7:10: error: expression too long"));
  EXPECT_THAT(FormatDiagnostics(result.diagnostics()), HasSubstr("too long"));

  // A file past LoadOptions::max_file_size (64 MiB by default; 1 MiB here).
  LoadOptions options;
  options.max_file_size = 1 << 20;
  const std::string padding = "# " + std::string(size_t{2} << 20, 'p') + "\n";
  result = LoadRulesetFromString(padding + head + "    then: [{tag: [x]}]\n",
                                 "padded.yaml", options);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(FormatDiagnostics(result.diagnostics()), HasSubstr("too large"));

  // More rules than LoadOptions::max_rules.
  options = LoadOptions();
  options.max_rules = 10;
  std::string many = "ruleset: many\nrules:\n";
  for (int i = 0; i < 11; ++i) {
    many +=
        "  - {name: r" + std::to_string(i) + ", on: m, then: [{tag: [x]}]}\n";
  }
  result = LoadRulesetFromString(many, "many.yaml", options);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(FormatDiagnostics(result.diagnostics()), HasSubstr("many.yaml:"));
}

// A device or FIFO given as a rule file must not be read forever.
TEST(HostileRulesGeneratedTest, AnEndlessFileIsCutAtTheSizeLimit) {
  if (!std::filesystem::exists("/dev/zero")) GTEST_SKIP() << "no /dev/zero";
  LoadOptions options;
  options.max_file_size = 1 << 20;
  const LoadResult result = LoadRuleset("/dev/zero", options);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(FormatDiagnostics(result.diagnostics()), HasSubstr("too large"));
}

// ---- test files ------------------------------------------------------------

// RunRuleTestText (what the rule_test_fuzz target calls) runs a test file's
// text exactly as RunRuleTestFile runs the file.
TEST(HostileTestFilesTest, TextRunsAsTheFile) {
  const std::string path =
      testing::SourceDir() + "/tests/data/rule_tests/passing.yaml";
  absl::StatusOr<std::vector<RuleTestResult>> from_file = RunRuleTestFile(path);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  const std::vector<RuleTestResult> from_text =
      RunRuleTestText(testing::ReadFileOrEmpty(path), path);
  ASSERT_EQ(from_text.size(), from_file->size());
  for (size_t i = 0; i < from_text.size(); ++i) {
    EXPECT_EQ(from_text[i].name, (*from_file)[i].name);
    EXPECT_EQ(from_text[i].passed, (*from_file)[i].passed);
    EXPECT_EQ(from_text[i].report, (*from_file)[i].report);
  }
  // Hostile bytes: a failed result with positioned diagnostics, no crash.
  const std::vector<RuleTestResult> bad =
      RunRuleTestText(std::string_view("tests: [\x00\xff", 11), "t.yaml");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_FALSE(bad[0].passed);
  EXPECT_THAT(bad[0].report, HasSubstr("t.yaml:1:"));
}

// An events file that is a device (endless) or a folder fails the test
// instead of blocking or reading forever.
TEST(HostileTestFilesTest, EventsFileMustBeARegularFile) {
  const std::string dir = testing::SourceDir() + "/tests/data/rule_tests";
  for (const char* events : {"/dev/zero", "."}) {
    if (std::string(events) == "/dev/zero" &&
        !std::filesystem::exists("/dev/zero")) {
      continue;
    }
    const std::string text =
        std::string(
            "ruleset: shop.yaml\ntests:\n  - name: t\n    events_file: ") +
        events + "\n    only: true\n";
    const std::vector<RuleTestResult> results =
        RunRuleTestText(text, dir + "/endless.yaml");
    ASSERT_EQ(results.size(), 1u) << events;
    EXPECT_FALSE(results[0].passed) << events;
    EXPECT_THAT(results[0].report, HasSubstr("cannot read events file"))
        << events;
  }
}

}  // namespace
}  // namespace switchboard
