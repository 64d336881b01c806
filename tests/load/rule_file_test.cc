// The first loading stage: YAML text -> RuleFile (positions, scalar styles,
// mapping of offsets inside scalars back to the file), and the pre-scan of
// the raw text (encoding, nesting depth).
#include "engine/load/rule_file.h"

#include <memory>
#include <string>
#include <vector>

#include "engine/load/text_scan.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace {

using ::switchboard::load::FindEncodingProblem;
using ::switchboard::load::FindExcessiveNesting;
using ::switchboard::load::ParseRuleFile;
using ::switchboard::load::RuleFile;
using ::switchboard::load::YamlLimits;
using ::switchboard::load::YamlNode;

std::unique_ptr<RuleFile> Parse(const std::string& text,
                                std::vector<Diagnostic>* diagnostics,
                                YamlLimits limits = {}) {
  return ParseRuleFile("test.yaml", text, limits, diagnostics);
}

std::unique_ptr<RuleFile> ParseOk(const std::string& text) {
  std::vector<Diagnostic> diagnostics;
  auto file = Parse(text, &diagnostics);
  EXPECT_NE(file, nullptr) << FormatDiagnostics(diagnostics);
  EXPECT_TRUE(diagnostics.empty()) << FormatDiagnostics(diagnostics);
  return file;
}

TEST(RuleFileTest, KeepsPositionsAndStyles) {
  auto file = ParseOk(
      "a: plain text\n"
      "b: \"double\"\n"
      "c: 'single'\n"
      "d: |\n"
      "  literal\n"
      "e: >-\n"
      "  folded\n"
      "f: [1, {x: y}]\n"
      "g:\n");
  ASSERT_NE(file, nullptr);
  const YamlNode& root = file->root();
  ASSERT_TRUE(root.is_map());
  ASSERT_EQ(root.entries.size(), 7u);
  const YamlNode* a = root.Find("a");
  EXPECT_EQ(a->value, "plain text");
  EXPECT_EQ(a->style, YamlNode::Style::kPlain);
  EXPECT_EQ(a->line, 1);
  EXPECT_EQ(a->column, 4);
  EXPECT_EQ(root.Find("b")->style, YamlNode::Style::kDoubleQuoted);
  EXPECT_EQ(root.Find("b")->column, 4);
  EXPECT_EQ(root.Find("c")->style, YamlNode::Style::kSingleQuoted);
  EXPECT_EQ(root.Find("d")->style, YamlNode::Style::kLiteral);
  EXPECT_EQ(root.Find("d")->value, "literal\n");
  EXPECT_EQ(root.Find("e")->style, YamlNode::Style::kFolded);
  const YamlNode* f = root.Find("f");
  ASSERT_TRUE(f->is_sequence());
  EXPECT_EQ(f->style, YamlNode::Style::kFlow);
  ASSERT_EQ(f->items.size(), 2u);
  EXPECT_EQ(f->items[1]->Find("x")->value, "y");
  EXPECT_EQ(f->items[1]->Find("x")->column, 12);
  // An empty value is placed at its key, not at the next token.
  const YamlNode* g = root.Find("g");
  EXPECT_TRUE(g->is_null());
  EXPECT_EQ(g->line, 9);
  EXPECT_EQ(root.entries[6].key->line, 9);
}

TEST(RuleFileTest, EmptyFileHasNullRoot) {
  auto file = ParseOk("# only a comment\n");
  ASSERT_NE(file, nullptr);
  EXPECT_TRUE(file->root().is_null());
}

TEST(RuleFileTest, StripsByteOrderMark) {
  auto file = ParseOk(
      "\xEF\xBB\xBF"
      "a: 1\n");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->root().Find("a")->column, 4);
  EXPECT_EQ(file->Line(1), "a: 1");
}

TEST(RuleFileTest, HandlesCrLf) {
  auto file = ParseOk("a: 1\r\nb: x y\r\n");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->Line(2), "b: x y");
  EXPECT_EQ(file->root().Find("b")->line, 2);
}

TEST(RuleFileTest, AliasesCopyTheAnchoredNodeAtTheirPosition) {
  auto file = ParseOk("base: &b {x: 1}\nother: *b\n");
  ASSERT_NE(file, nullptr);
  const YamlNode* other = file->root().Find("other");
  ASSERT_TRUE(other->is_map());
  EXPECT_EQ(other->Find("x")->value, "1");
  EXPECT_EQ(other->line, 2);
  EXPECT_EQ(other->column, 8);
}

TEST(RuleFileTest, AppliesMergeKeys) {
  auto file = ParseOk(
      "base: &b {x: 1, y: 2}\n"
      "more: &m {z: 3}\n"
      "one: {<<: *b, y: 9}\n"
      "two: {<<: [*b, *m], w: 0}\n");
  ASSERT_NE(file, nullptr);
  const YamlNode* one = file->root().Find("one");
  ASSERT_EQ(one->entries.size(), 2u);
  EXPECT_EQ(one->Find("y")->value, "9");  // its own key wins
  EXPECT_EQ(one->Find("x")->value, "1");
  const YamlNode* two = file->root().Find("two");
  ASSERT_EQ(two->entries.size(), 4u);
  EXPECT_EQ(two->entries[0].key->value, "w");
  EXPECT_EQ(two->Find("z")->value, "3");

  std::vector<Diagnostic> diagnostics;
  Parse("a: {<<: 1}\n", &diagnostics);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_NE(diagnostics[0].message.find("merge key"), std::string::npos);
}

TEST(RuleFileTest, MarksTaggedScalars) {
  auto file = ParseOk("a: !x y\nb: \"!x y\"\n");
  ASSERT_NE(file, nullptr);
  EXPECT_TRUE(file->root().Find("a")->tagged);
  EXPECT_EQ(file->root().Find("a")->column, 4);
  EXPECT_FALSE(file->root().Find("b")->tagged);
}

// Locate: offsets inside a scalar's value -> file positions.
TEST(RuleFileTest, LocatesOffsetsInPlainAndQuotedScalars) {
  auto file = ParseOk(
      "a: x + yy\n"
      "b: \"x + yy\"\n"
      "c: 'it''s + yy'\n"
      "d: \"\\u00e9 + yy\"\n");
  ASSERT_NE(file, nullptr);
  const YamlNode& root = file->root();
  EXPECT_EQ(file->Locate(*root.Find("a"), 4), std::make_pair(1, 8));
  EXPECT_EQ(file->Locate(*root.Find("b"), 4), std::make_pair(2, 9));
  // 'it''s + yy' -> "it's + yy": offset 7 ('y') is at column 13.
  EXPECT_EQ(file->Locate(*root.Find("c"), 7), std::make_pair(3, 13));
  // "\u00e9 + yy" -> "é + yy" (é is 2 bytes): offset 5 ('y') is column 14.
  EXPECT_EQ(file->Locate(*root.Find("d"), 5), std::make_pair(4, 14));
}

TEST(RuleFileTest, LocatesOffsetsInMultiLineScalars) {
  auto file = ParseOk(
      "folded: >-\n"
      "  first line\n"
      "  second line\n"
      "literal: |\n"
      "  one\n"
      "    two\n"
      "plain: a b\n"
      "  c d\n"
      "quoted: \"a b\n"
      "  c d\"\n");
  ASSERT_NE(file, nullptr);
  const YamlNode& root = file->root();
  // "first line second line": offset 11 is 's' of "second".
  EXPECT_EQ(file->Locate(*root.Find("folded"), 11), std::make_pair(3, 3));
  // "one\n  two\n": offset 6 is 't'.
  EXPECT_EQ(file->Locate(*root.Find("literal"), 6), std::make_pair(6, 5));
  // "a b c d": offset 6 is 'd'.
  EXPECT_EQ(file->Locate(*root.Find("plain"), 6), std::make_pair(8, 5));
  EXPECT_EQ(file->Locate(*root.Find("quoted"), 4), std::make_pair(10, 3));
  // The end of the value is just after its last character.
  EXPECT_EQ(file->Locate(*root.Find("plain"), 7), std::make_pair(8, 6));
}

TEST(RuleFileTest, ReportsYamlSyntaxErrorsWithPosition) {
  std::vector<Diagnostic> diagnostics;
  EXPECT_EQ(Parse("a: [1, 2\nb: 3\n", &diagnostics), nullptr);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].file, "test.yaml");
  EXPECT_GT(diagnostics[0].line, 0);
  EXPECT_NE(diagnostics[0].message.find("YAML syntax error"),
            std::string::npos);
}

TEST(RuleFileTest, ReportsDuplicateAndComplexKeys) {
  std::vector<Diagnostic> diagnostics;
  auto file = Parse("a: 1\nb: 2\na: 3\n? [x]\n: 4\n", &diagnostics);
  ASSERT_NE(file, nullptr);
  SortDiagnostics(&diagnostics);
  ASSERT_EQ(diagnostics.size(), 2u) << FormatDiagnostics(diagnostics);
  EXPECT_EQ(diagnostics[0].message, "duplicate key 'a' (first at line 1)");
  EXPECT_EQ(diagnostics[0].line, 3);
  EXPECT_NE(diagnostics[1].message.find("a key must be a plain name"),
            std::string::npos);
  // The duplicate and the bad key are left out; the first 'a' stays.
  EXPECT_EQ(file->root().entries.size(), 2u);
  EXPECT_EQ(file->root().Find("a")->value, "1");
}

TEST(RuleFileTest, DuplicateKeyCheckIsLinear) {
  // 50,000 keys in one map: a quadratic check would take minutes.
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "k" + std::to_string(i) + ": 1\n";
  text += "k7: 2\n";
  std::vector<Diagnostic> diagnostics;
  auto file = Parse(text, &diagnostics);
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].line, 50001);
}

TEST(RuleFileTest, RefusesSecondDocument) {
  std::vector<Diagnostic> diagnostics;
  EXPECT_EQ(Parse("a: 1\n---\nb: 2\n", &diagnostics), nullptr);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].line, 2);
  EXPECT_NE(diagnostics[0].message.find("one YAML document"),
            std::string::npos);
}

TEST(RuleFileTest, RefusesRecursiveAlias) {
  std::vector<Diagnostic> diagnostics;
  EXPECT_EQ(Parse("a: &r [1, *r]\n", &diagnostics), nullptr);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_NE(diagnostics[0].message.find("recursive alias"), std::string::npos);
}

TEST(RuleFileTest, RefusesAliasBombWithoutExpandingIt) {
  // 10^12 nodes once expanded; refused after a few thousand events.
  std::string text = "l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n";
  for (int i = 1; i <= 12; ++i) {
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) {
      text += (k ? ", *l" : "*l") + std::to_string(i - 1);
    }
    text += "]\n";
  }
  std::vector<Diagnostic> diagnostics;
  EXPECT_EQ(Parse(text, &diagnostics), nullptr);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_NE(diagnostics[0].message.find("nodes once aliases are expanded"),
            std::string::npos);
  // A small limit catches a small bomb too.
  YamlLimits limits;
  limits.max_nodes = 100;
  diagnostics.clear();
  EXPECT_EQ(Parse("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"
                  "b: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
                  &diagnostics, limits),
            nullptr);
  EXPECT_EQ(diagnostics.size(), 1u);
}

TEST(RuleFileTest, RefusesTooLargeText) {
  YamlLimits limits;
  limits.max_file_size = 10;
  std::vector<Diagnostic> diagnostics;
  EXPECT_EQ(Parse("a: 12345678901\n", &diagnostics, limits), nullptr);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_NE(diagnostics[0].message.find("file too large"), std::string::npos);
}

TEST(RuleFileTest, ReportsInvalidUtf8AndNulWithPosition) {
  std::vector<Diagnostic> diagnostics;
  EXPECT_EQ(Parse("a: ok\nb: caf\xe9\n", &diagnostics), nullptr);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].line, 2);
  EXPECT_EQ(diagnostics[0].column, 7);
  EXPECT_EQ(diagnostics[0].message, "invalid UTF-8 (byte 0xe9)");
  EXPECT_EQ(diagnostics[0].source_line, "b: caf?");  // printable

  diagnostics.clear();
  EXPECT_EQ(Parse(std::string("a: x\0y\n", 7), &diagnostics), nullptr);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].column, 5);
  EXPECT_EQ(diagnostics[0].message, "NUL byte in the text");
}

TEST(RuleFileTest, CutsVeryLongSourceLinesAroundTheColumn) {
  // A mistake far into a 100 KB line: the diagnostic shows a window.
  std::string text = "a: [" + std::string(100000, 'x') + ", &]\n";
  std::vector<Diagnostic> diagnostics;
  Parse(text, &diagnostics);
  ASSERT_FALSE(diagnostics.empty());
  const Diagnostic& d = diagnostics[0];
  EXPECT_LT(d.source_line.size(), 300u);
  EXPECT_GT(d.column, 100000);
  const std::string formatted = FormatDiagnostic(d);
  EXPECT_LT(formatted.size(), 800u);
  // The caret is under the byte at the column.
  const size_t caret_line = formatted.rfind('\n', formatted.size() - 2) + 1;
  const size_t caret = formatted.find('^', caret_line) - caret_line;
  EXPECT_EQ(d.source_line[caret], text[d.column - 1]);
}

// ---- text_scan ---------------------------------------------------------

TEST(TextScanTest, AcceptsValidUtf8) {
  EXPECT_FALSE(FindEncodingProblem("plain ascii\n"));
  EXPECT_FALSE(
      FindEncodingProblem("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
}

TEST(TextScanTest, RefusesMalformedUtf8) {
  EXPECT_TRUE(FindEncodingProblem("\xc0\xaf"));          // overlong '/'
  EXPECT_TRUE(FindEncodingProblem("\xed\xa0\x80"));      // surrogate
  EXPECT_TRUE(FindEncodingProblem("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_TRUE(FindEncodingProblem("\xe2\x82"));          // truncated
  EXPECT_TRUE(FindEncodingProblem("\x80"));              // stray continuation
  auto p = FindEncodingProblem("ab\xff");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->offset, 2);
}

TEST(TextScanTest, CountsFlowAndBlockNesting) {
  EXPECT_FALSE(FindExcessiveNesting("a: [[[1]]]\n", 4));
  EXPECT_TRUE(FindExcessiveNesting("a: [[[[1]]]]\n", 4));
  EXPECT_FALSE(FindExcessiveNesting("a:\n b:\n  c: 1\n", 3));
  EXPECT_TRUE(FindExcessiveNesting("a:\n b:\n  c:\n   d: 1\n", 3));
  EXPECT_TRUE(FindExcessiveNesting("- - - - x\n", 3));
  EXPECT_FALSE(FindExcessiveNesting("- - x\n", 3));
}

TEST(TextScanTest, IgnoresBracketsInStringsCommentsAndBlockScalars) {
  const std::string deep = std::string(50, '[');
  EXPECT_FALSE(FindExcessiveNesting("a: \"" + deep + "\"\n", 5));
  EXPECT_FALSE(FindExcessiveNesting("a: '" + deep + "'\n", 5));
  EXPECT_FALSE(FindExcessiveNesting("a: x # " + deep + "\n", 5));
  EXPECT_FALSE(FindExcessiveNesting("a: |\n  " + deep + "\nb: 1\n", 5));
  EXPECT_FALSE(FindExcessiveNesting("a: x[0] + y[1]\n", 5));
  // ...but brackets after a block scalar ends count again.
  EXPECT_TRUE(FindExcessiveNesting("a: |\n  x\nb: " + deep + "\n", 5));
}

// 100,000 levels deep, in flow and block style: refused by the pre-scan, and
// yaml-cpp itself (the pre-scan switched off) fails cleanly rather than
// overflowing the stack.
TEST(RuleFileTest, SurvivesHundredThousandDeepNesting) {
  const int n = 100000;
  const std::vector<std::string> texts = {
      std::string(n, '[') + std::string(n, ']'),
      [&] {
        std::string s;
        for (int i = 0; i < n; ++i) s += "{a: ";
        s += "1";
        s += std::string(n, '}');
        return s;
      }(),
      [&] {
        std::string s;
        for (int i = 0; i < n; ++i) s += "- ";
        return s + "x\n";
      }(),
      [&] {  // block indentation, 3,000 deep (deeper is quadratic in size)
        std::string s;
        for (int i = 0; i < 3000; ++i) s += std::string(i, ' ') + "a:\n";
        return s;
      }(),
  };
  for (const std::string& text : texts) {
    std::vector<Diagnostic> diagnostics;
    EXPECT_EQ(Parse(text, &diagnostics), nullptr);
    ASSERT_EQ(diagnostics.size(), 1u);
    EXPECT_NE(diagnostics[0].message.find("nested too deeply"),
              std::string::npos);

    YamlLimits no_prescan;
    no_prescan.max_depth = 1 << 30;
    diagnostics.clear();
    EXPECT_EQ(Parse(text, &diagnostics, no_prescan), nullptr);
    EXPECT_EQ(diagnostics.size(), 1u);
  }
}

}  // namespace
}  // namespace switchboard
