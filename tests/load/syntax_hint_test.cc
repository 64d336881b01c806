// Tests of the hints for YAML syntax errors (engine/load/syntax_hint.h):
// each usual cause gets its hint after yaml-cpp's message, at the error's
// place, and an error without a recognised cause gets none. The golden
// diagnostics tests/data/diagnostics/yaml_*.yaml show the same through
// LoadRuleset.
#include "engine/load/syntax_hint.h"

#include <memory>
#include <string>
#include <vector>

#include "engine/load/rule_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace {

using ::switchboard::load::ParseRuleFile;
using ::switchboard::load::RuleFile;
using ::switchboard::load::YamlLimits;

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The one diagnostic of parsing `text` (which must fail).
Diagnostic ParseError(const std::string& text) {
  std::vector<Diagnostic> diagnostics;
  std::unique_ptr<RuleFile> file =
      ParseRuleFile("t.yaml", text, YamlLimits(), &diagnostics);
  EXPECT_EQ(diagnostics.size(), 1u) << FormatDiagnostics(diagnostics);
  return diagnostics.empty() ? Diagnostic() : diagnostics[0];
}

TEST(SyntaxHintTest, TabInIndentation) {
  const Diagnostic d = ParseError("rules:\n  - name: a\n\ton: x\n");
  EXPECT_EQ(d.line, 3);
  EXPECT_EQ(d.message,
            "YAML syntax error: illegal tab when looking for indentation; "
            "indent with spaces: YAML does not allow tabs in indentation (a "
            "tab at column 1)");
}

TEST(SyntaxHintTest, AliasMustBeQuoted) {
  const Diagnostic d = ParseError("rules:\n  - then: [{tag: [*vip]}]\n");
  EXPECT_EQ(d.line, 2);
  EXPECT_THAT(d.message,
              EndsWith("; a value starting with '*' is read as an alias by "
                       "YAML: quote it, e.g. \"*vip\""));
}

TEST(SyntaxHintTest, AnchorBeforeAnExpressionMustBeQuoted) {
  const Diagnostic d = ParseError("rules:\n  - if: &session.x > 0\n");
  EXPECT_THAT(d.message, StartsWith("YAML syntax error: "));
  EXPECT_THAT(d.message,
              EndsWith("; a value starting with '&' is read as an anchor by "
                       "YAML: quote it, e.g. \"&session.x\""));
}

TEST(SyntaxHintTest, AnchorOnAnEmptyValueIsAnError) {
  std::vector<Diagnostic> diagnostics;
  std::unique_ptr<RuleFile> file = ParseRuleFile(
      "t.yaml", "a:\n  message: &hello\n  b: c\n", YamlLimits(), &diagnostics);
  ASSERT_NE(file, nullptr);  // the tree is kept, with the error
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].line, 2);
  EXPECT_EQ(diagnostics[0].column, 12);
  EXPECT_EQ(diagnostics[0].message,
            "'&hello' is read as a YAML anchor on an empty value: quote it "
            "if it is the value, e.g. \"&hello\"");
}

TEST(SyntaxHintTest, KeyIndentedMoreThanTheOneAbove) {
  const Diagnostic d = ParseError("rules:\n  - name: a\n     on: x\n");
  EXPECT_EQ(d.line, 3);
  EXPECT_THAT(d.message,
              EndsWith("; line 3 is indented more than line 2 (column 6, not "
                       "5): keys of one map line up"));
}

TEST(SyntaxHintTest, KeyIndentedBetweenTheBlocksAbove) {
  const Diagnostic d =
      ParseError("rules:\n  - name: a\n    on: x\n   then: []\n");
  EXPECT_EQ(d.line, 4);
  EXPECT_THAT(d.message,
              EndsWith("; line 4 starts at column 4, where no key above it "
                       "starts (line 3: column 5): keys of one map line up"));
}

TEST(SyntaxHintTest, ListItemIndentedMoreThanThePreviousOne) {
  const Diagnostic d = ParseError("then:\n  - tag: [a]\n    - tag: [b]\n");
  EXPECT_EQ(d.line, 3);
  EXPECT_THAT(d.message,
              EndsWith("; this list item's '-' is at column 5, the previous "
                       "item's (line 2) at column 3: items of one list line "
                       "up"));
}

TEST(SyntaxHintTest, ColonInAPlainValue) {
  const Diagnostic d = ParseError("description: Greets: everyone\n");
  EXPECT_THAT(d.message,
              EndsWith("; ': ' inside a plain value starts a map: quote the "
                       "value, e.g. description: \"Greets: everyone\""));
}

TEST(SyntaxHintTest, NoHintWithoutARecognisedCause) {
  const Diagnostic d = ParseError("a: [b, c\n");
  EXPECT_THAT(d.message, StartsWith("YAML syntax error: "));
  EXPECT_THAT(d.message, Not(HasSubstr(";")));
}

}  // namespace
}  // namespace switchboard
