// Tests of the CEL parser (engine/cel/parser.h) and of DebugString.
//
// Most cases are data files under tests/data/cel/parse/:
//   trees.txt               expression -> DebugString of its tree
//   errors.txt              expression -> every issue, with its offset
//   conformance_exprs.json  the CEL conformance suite's expressions
// The tests here cover what does not fit a line of text: positions and ids,
// multi-line strings, NUL bytes and invalid UTF-8, the depth and length
// limits, and random input.
#include "engine/cel/parser.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cel/ast.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/support/test_util.h"

namespace switchboard::cel {
namespace {

using ::testing::HasSubstr;

std::string DataPath(const std::string& name) {
  return testing::SourceDir() + "/tests/data/cel/parse/" + name;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::string text = testing::ReadFileOrEmpty(path);
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The tree (or the issues) of `text`, as one string for messages.
std::string Render(const ParseResult& r) {
  if (r.expr != nullptr) return DebugString(*r.expr);
  std::string out;
  for (const Issue& i : r.issues) {
    out += std::to_string(i.offset) + ": " + i.message + "\n";
  }
  return out;
}

// Visits every node of the tree, with its depth (the root is 1).
void Walk(const Expr* e, int depth,
          const std::function<void(const Expr&, int)>& visit) {
  if (e == nullptr) return;
  visit(*e, depth);
  Walk(e->target.get(), depth + 1, visit);
  for (const auto& a : e->args) Walk(a.get(), depth + 1, visit);
  Walk(e->iter_range.get(), depth + 1, visit);
  Walk(e->accu_init.get(), depth + 1, visit);
  Walk(e->loop_condition.get(), depth + 1, visit);
  Walk(e->loop_step.get(), depth + 1, visit);
  Walk(e->result.get(), depth + 1, visit);
}

int Depth(const Expr& e) {
  int depth = 0;
  Walk(&e, 1, [&](const Expr&, int d) { depth = std::max(depth, d); });
  return depth;
}

// The first node (pre-order) satisfying `pred`, or null.
const Expr* Find(const Expr& root,
                 const std::function<bool(const Expr&)>& pred) {
  const Expr* found = nullptr;
  Walk(&root, 1, [&](const Expr& e, int) {
    if (found == nullptr && pred(e)) found = &e;
  });
  return found;
}

const Expr* FindNamed(const Expr& root, ExprKind kind, std::string_view name) {
  return Find(root,
              [&](const Expr& e) { return e.kind == kind && e.name == name; });
}

// Checks the invariants every parse result must hold, whatever the input.
void CheckInvariants(std::string_view text, const ParseResult& r,
                     const ParseOptions& options = {}) {
  if (r.expr == nullptr) {
    ASSERT_FALSE(r.issues.empty()) << text;
  } else {
    ASSERT_TRUE(r.issues.empty()) << text;
  }
  Offset previous = 0;
  for (const Issue& issue : r.issues) {
    EXPECT_GE(issue.offset, previous) << "issues out of order: " << text;
    EXPECT_LE(issue.offset, static_cast<Offset>(text.size())) << text;
    EXPECT_FALSE(issue.message.empty());
    previous = issue.offset;
  }
  if (r.expr == nullptr) return;
  EXPECT_LE(Depth(*r.expr), options.max_depth) << text;
  std::set<int64_t> ids;
  Walk(r.expr.get(), 1, [&](const Expr& e, int) {
    EXPECT_GT(e.id, 0);
    EXPECT_TRUE(ids.insert(e.id).second) << "duplicate id " << e.id;
    EXPECT_GE(e.offset, 0);
    EXPECT_LE(e.offset, static_cast<Offset>(text.size()));
  });
}

ParseResult ParseOk(std::string_view text) {
  ParseResult r = Parse(text);
  EXPECT_NE(r.expr, nullptr) << text << "\n" << Render(r);
  CheckInvariants(text, r);
  return r;
}

std::string Tree(std::string_view text) {
  ParseResult r = ParseOk(text);
  return r.expr ? DebugString(*r.expr) : "";
}

// The issues of a parse that must fail, as "offset: message" lines.
std::string Errors(std::string_view text, const ParseOptions& options = {}) {
  ParseResult r = Parse(text, options);
  EXPECT_EQ(r.expr, nullptr) << text;
  CheckInvariants(text, r, options);
  return Render(r);
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  out.reserve(s.size() * n);
  for (int i = 0; i < n; ++i) out.append(s);
  return out;
}

// ---- data files ----

TEST(ParserTest, ParsesGoldenTrees) {
  std::vector<std::string> lines = ReadLines(DataPath("trees.txt"));
  ASSERT_FALSE(lines.empty()) << "cannot read trees.txt";
  int cases = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& expr = lines[i];
    if (expr.empty() || expr[0] == '#') continue;
    ASSERT_LT(i + 1, lines.size()) << "no '=> ' line after: " << expr;
    ASSERT_EQ(lines[i + 1].rfind("=> ", 0), 0u) << "after: " << expr;
    std::string expected = lines[i + 1].substr(3);
    ++i;
    ++cases;
    EXPECT_EQ(Tree(expr), expected) << "expression: " << expr;
  }
  EXPECT_GT(cases, 100);
}

TEST(ParserTest, ReportsGoldenErrors) {
  std::vector<std::string> lines = ReadLines(DataPath("errors.txt"));
  ASSERT_FALSE(lines.empty()) << "cannot read errors.txt";
  int cases = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& expr = lines[i];
    if (expr.empty() || expr[0] == '#') continue;
    std::string expected;
    while (i + 1 < lines.size() && lines[i + 1].rfind("!! ", 0) == 0) {
      expected += lines[i + 1].substr(3) + "\n";
      ++i;
    }
    ASSERT_FALSE(expected.empty()) << "no '!! ' line after: " << expr;
    ++cases;
    EXPECT_EQ(Errors(expr), expected) << "expression: " << expr;
  }
  EXPECT_GT(cases, 80);
}

TEST(ParserTest, ParsesEveryConformanceExpression) {
  simdjson::dom::parser json;
  simdjson::dom::element doc;
  ASSERT_EQ(json.load(DataPath("conformance_exprs.json")).get(doc),
            simdjson::SUCCESS);
  simdjson::dom::array cases;
  ASSERT_EQ(doc["cases"].get(cases), simdjson::SUCCESS);
  int count = 0;
  for (simdjson::dom::element c : cases) {
    std::string_view expr, test;
    ASSERT_EQ(c["expr"].get(expr), simdjson::SUCCESS);
    ASSERT_EQ(c["test"].get(test), simdjson::SUCCESS);
    ParseResult r = Parse(expr);
    EXPECT_NE(r.expr, nullptr) << test << ": " << expr << "\n" << Render(r);
    CheckInvariants(expr, r);
    ++count;
  }
  EXPECT_GT(count, 800);
}

// ---- literals that do not fit on one line of a data file ----

TEST(ParserTest, ParsesMultiLineStrings) {
  EXPECT_EQ(Tree("'''a\nb'''"), R"("a\nb")");
  EXPECT_EQ(Tree("\"\"\"a\r\nb\rc\"\"\""), R"("a\nb\nc")");  // normalized
  EXPECT_EQ(Tree("r'''\\n\n'''"), R"("\\n\n")");
  EXPECT_EQ(Tree("b'''\n'''"), R"(b"\n")");
  EXPECT_EQ(Tree("'''a''' + \n '''b'''"), R"(_+_("a", "b"))");
  EXPECT_EQ(Errors("'a\nb'"),
            "0: unterminated string (only triple-quoted strings may span "
            "lines)\n3: unterminated string\n");  // b' starts bytes
  EXPECT_THAT(Errors("\"a\rb\""), HasSubstr("0: unterminated string"));
  EXPECT_THAT(Errors("r'a\n'"), HasSubstr("0: unterminated string"));
}

TEST(ParserTest, KeepsControlCharactersAndNulInStrings) {
  std::string text = "'\x01\t\x7f'";
  EXPECT_EQ(Tree(text), R"("\x01\t\x7F")");
  std::string with_nul("'a\0b'", 5);
  ParseResult r = ParseOk(with_nul);
  ASSERT_NE(r.expr, nullptr);
  EXPECT_EQ(r.expr->constant.string_value, std::string("a\0b", 3));
  std::string escaped = "'\\000\\x00\\u0000'";
  r = ParseOk(escaped);
  ASSERT_NE(r.expr, nullptr);
  EXPECT_EQ(r.expr->constant.string_value, std::string(3, '\0'));
}

TEST(ParserTest, DecodesEscapesToUtf8OrBytes) {
  ParseResult r = ParseOk(R"("\xff\377\u00e9\U0001F600")");
  ASSERT_NE(r.expr, nullptr);
  EXPECT_EQ(r.expr->constant.kind, Constant::Kind::kString);
  EXPECT_EQ(r.expr->constant.string_value,
            "\xC3\xBF\xC3\xBF\xC3\xA9\xF0\x9F\x98\x80");
  r = ParseOk(R"(b"\xff\377é")");
  ASSERT_NE(r.expr, nullptr);
  EXPECT_EQ(r.expr->constant.kind, Constant::Kind::kBytes);
  EXPECT_EQ(r.expr->constant.string_value, "\xFF\xFF\xC3\xA9");
}

TEST(ParserTest, ParsesNumberConstants) {
  ParseResult r = ParseOk("-9223372036854775808");
  ASSERT_NE(r.expr, nullptr);
  EXPECT_EQ(r.expr->constant.kind, Constant::Kind::kInt);
  EXPECT_EQ(r.expr->constant.int_value, std::numeric_limits<int64_t>::min());
  r = ParseOk("18446744073709551615u");
  ASSERT_NE(r.expr, nullptr);
  EXPECT_EQ(r.expr->constant.kind, Constant::Kind::kUint);
  EXPECT_EQ(r.expr->constant.uint_value, std::numeric_limits<uint64_t>::max());
  r = ParseOk("-.5e-1");
  ASSERT_NE(r.expr, nullptr);
  EXPECT_EQ(r.expr->constant.kind, Constant::Kind::kDouble);
  EXPECT_EQ(r.expr->constant.double_value, -0.05);
  EXPECT_EQ(Errors("9223372036854775808").substr(0, 33),
            "0: integer literal out of range (");
  // The minus of -(...) is an operator, so the literal alone is too big.
  EXPECT_THAT(Errors("-(9223372036854775808)"),
              HasSubstr("2: integer literal out of range"));
}

// ---- positions and ids ----

TEST(ParserTest, RecordsNodePositions) {
  //                        1         2         3         4
  //              0123456789012345678901234567890123456789012345
  std::string t = "a.b.f(1) + x[2] * -y == !z ? [3] : {4: .q}";
  ParseResult r = ParseOk(t);
  ASSERT_NE(r.expr, nullptr);
  const Expr& e = *r.expr;
  EXPECT_EQ(e.offset, t.find('?'));  // the ternary: its '?'
  auto at = [&](ExprKind kind, std::string_view name) {
    const Expr* n = FindNamed(e, kind, name);
    return n ? n->offset : -1;
  };
  EXPECT_EQ(at(ExprKind::kIdent, "a"), 0);
  EXPECT_EQ(at(ExprKind::kSelect, "b"), 2);  // the field name
  EXPECT_EQ(at(ExprKind::kCall, "f"), 4);    // the function name
  EXPECT_EQ(at(ExprKind::kCall, op::kAdd), 9);
  EXPECT_EQ(at(ExprKind::kIdent, "x"), 11);
  EXPECT_EQ(at(ExprKind::kCall, op::kIndex), 12);  // the '['
  EXPECT_EQ(at(ExprKind::kCall, op::kMultiply), 16);
  EXPECT_EQ(at(ExprKind::kCall, op::kNegate), 18);
  EXPECT_EQ(at(ExprKind::kIdent, "y"), 19);
  EXPECT_EQ(at(ExprKind::kCall, op::kEquals), 21);
  EXPECT_EQ(at(ExprKind::kCall, op::kLogicalNot), 24);
  EXPECT_EQ(at(ExprKind::kIdent, ".q"), 40);  // the name, after the dot
  const Expr* list =
      Find(e, [](const Expr& n) { return n.kind == ExprKind::kList; });
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->offset, 29);
  EXPECT_EQ(list->args[0]->offset, 30);  // the literal 3
  const Expr* map =
      Find(e, [](const Expr& n) { return n.kind == ExprKind::kMap; });
  ASSERT_NE(map, nullptr);
  EXPECT_EQ(map->offset, 35);
  EXPECT_EQ(map->args[0]->offset, 36);
}

TEST(ParserTest, FoldedNegativeLiteralStartsAtTheMinus) {
  ParseResult r = ParseOk("1 + - 5");
  ASSERT_NE(r.expr, nullptr);
  ASSERT_EQ(r.expr->args.size(), 2u);
  EXPECT_EQ(r.expr->args[1]->kind, ExprKind::kConstant);
  EXPECT_EQ(r.expr->args[1]->constant.int_value, -5);
  EXPECT_EQ(r.expr->args[1]->offset, 4);
}

TEST(ParserTest, PutsMacroNodesAtTheMacroName) {
  //              0123456789012345678901234
  std::string t = "xs.exists(x, x > 0) && has(m.f)";
  ParseResult r = ParseOk(t);
  ASSERT_NE(r.expr, nullptr);
  const Expr* c = Find(*r.expr, [](const Expr& e) {
    return e.kind == ExprKind::kComprehension;
  });
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->offset, 3);
  EXPECT_EQ(c->iter_var, "x");
  EXPECT_EQ(c->accu_var, kAccumulatorName);
  EXPECT_EQ(c->iter_range->offset, 0);
  EXPECT_EQ(c->accu_init->offset, 3);
  EXPECT_EQ(c->loop_step->offset, 3);
  EXPECT_EQ(c->loop_step->args[1]->offset, 15);  // the user's '>'
  const Expr* has = Find(*r.expr, [](const Expr& e) { return e.test_only; });
  ASSERT_NE(has, nullptr);
  EXPECT_EQ(has->kind, ExprKind::kSelect);
  EXPECT_EQ(has->name, "f");
  EXPECT_EQ(has->offset, t.find("has"));
  EXPECT_EQ(r.expr->offset, t.find("&&"));
}

TEST(ParserTest, GivesUniqueIdsIncludingMacroExpansions) {
  ParseResult r = ParseOk(
      "[1, 2].map(x, x * 2).filter(y, y > 1).exists_one(z, z == 4) || "
      "{'a': [1]}.all(k, k.size() > 0)");
  ASSERT_NE(r.expr, nullptr);  // CheckInvariants checked the ids
  int nodes = 0;
  Walk(r.expr.get(), 1, [&](const Expr&, int) { ++nodes; });
  EXPECT_GT(nodes, 40);
}

TEST(ParserTest, ReportsErrorPositionsAcrossLines) {
  std::string t = "a &&\n  (b ||\n   c";
  EXPECT_EQ(Errors(t), std::to_string(t.size()) +
                           ": syntax error: expected ')', found end of "
                           "expression\n");
}

// ---- hostile input ----

TEST(ParserTest, RejectsNulAndControlCharactersOutsideStrings) {
  EXPECT_EQ(Errors(std::string("a +\0 b", 6)), "3: unexpected NUL byte\n");
  EXPECT_EQ(Errors(std::string("\0", 1)), "0: unexpected NUL byte\n");
  EXPECT_EQ(Errors("a\x01"), "1: unexpected control character U+0001\n");
  EXPECT_EQ(Errors("a \x7f b"), "2: unexpected control character U+007F\n");
  EXPECT_EQ(Errors("a \v b"), "2: unexpected control character U+000B\n");
  // Space, tab, line feed, carriage return and form feed are whitespace.
  EXPECT_EQ(Tree("\ta\r\n+\fb "), "_+_(a, b)");
  EXPECT_EQ(Tree(std::string("a // \x01 \0 comment\n + b", 21)), "_+_(a, b)");
}

TEST(ParserTest, RejectsInvalidUtf8Everywhere) {
  EXPECT_EQ(Errors("a + \xff"), "4: invalid UTF-8\n");
  EXPECT_EQ(Errors("'\xc3'"), "1: invalid UTF-8\n");  // truncated
  EXPECT_EQ(Errors("'\xc0\x80'"), "1: invalid UTF-8\n2: invalid UTF-8\n");
  EXPECT_EQ(Errors("'\xed\xa0\x80'"),  // surrogate
            "1: invalid UTF-8\n2: invalid UTF-8\n3: invalid UTF-8\n");
  EXPECT_EQ(Errors("'\xf4\x90\x80\x80'").substr(0, 19), "1: invalid UTF-8\n2:");
  EXPECT_EQ(Errors("b'\x80'"), "2: invalid UTF-8\n");
  EXPECT_EQ(Errors("r'\xfe'"), "2: invalid UTF-8\n");
  EXPECT_EQ(Errors("a + // \xff\nb"), "7: invalid UTF-8\n");
  EXPECT_EQ(Errors("a.`\xc3\xa9`").substr(0, 40),
            "3: invalid character in quoted identifie");
  // Valid UTF-8 in strings and comments is fine, and kept as is.
  EXPECT_EQ(Tree("'\xf0\x9f\x98\x80' // \xc3\xa9"), "\"\xf0\x9f\x98\x80\"");
  EXPECT_EQ(Errors("\xe2\x88\xa7"), "0: unexpected character '\xe2\x88\xa7'\n");
  EXPECT_EQ(Errors("a\xc2\xa0"), "1: unexpected character U+00A0\n");  // nbsp
}

TEST(ParserTest, ReportsEveryLexicalErrorButNoCascade) {
  EXPECT_EQ(Errors("'\\q' + '\\w' + '\\e'"),
            "1: invalid escape sequence '\\q'\n"
            "8: invalid escape sequence '\\w'\n"
            "15: invalid escape sequence '\\e'\n");
  // The parser stops at the first syntax error: one message, not three.
  EXPECT_EQ(Errors("a b c d )"), "2: syntax error: unexpected 'b'\n");
  // A bad character is reported once, not again as a syntax error.
  EXPECT_EQ(Errors("a # b"), "2: unexpected character '#'\n");
  // A run of stray characters is one mistake.
  EXPECT_EQ(Errors("a @@@\x01\xff b"), "2: unexpected character '@'\n");
  // Lexical errors after the first syntax error are left out: here the
  // apostrophe of it's opens a string that never ends.
  EXPECT_EQ(Errors("x == 'it's' || y == 'b'"),
            "9: syntax error: unexpected 's'\n");
  // Lexical errors are capped.
  std::string many = Repeat("# ", 500);
  ParseResult r = Parse(many);
  EXPECT_EQ(r.expr, nullptr);
  EXPECT_LE(r.issues.size(), 25u);
  EXPECT_THAT(r.issues.back().message, HasSubstr("too many errors"));
}

TEST(ParserTest, RefusesTooLongExpressions) {
  std::string text(100 * 1024 + 1, ' ');
  text[0] = '1';
  EXPECT_EQ(Errors(text),
            "0: expression too long (102401 bytes; the limit is 102400)\n");
  ParseOptions small;
  small.max_length = 10;
  EXPECT_THAT(Errors("1 + 2 + 3 + 4", small), HasSubstr("too long"));
  EXPECT_NE(Parse("1 + 2", small).expr, nullptr);
}

// ---- depth ----

constexpr char kTooDeep[] =
    "expression nested too deeply (more than 250 levels)";

// Parses `text`, expecting only the depth error.
void ExpectTooDeep(const std::string& text) {
  ParseOptions options;
  options.max_length = 1 << 24;  // the depth, not the length, is tested
  ParseResult r = Parse(text, options);
  EXPECT_EQ(r.expr, nullptr) << text.substr(0, 40);
  ASSERT_EQ(r.issues.size(), 1u) << text.substr(0, 40) << "\n" << Render(r);
  EXPECT_EQ(r.issues[0].message, kTooDeep);
}

TEST(ParserTest, RefusesHugeNestingWithoutCrashing) {
  constexpr int kN = 100000;
  ExpectTooDeep(Repeat("(", kN) + "1" + Repeat(")", kN));
  ExpectTooDeep(Repeat("[", kN) + Repeat("]", kN));
  ExpectTooDeep(Repeat("{1:", kN) + "1" + Repeat("}", kN));
  ExpectTooDeep(Repeat("f(", kN) + Repeat(")", kN));
  ExpectTooDeep(Repeat("!", kN) + "true");
  ExpectTooDeep(Repeat("-", kN) + "1");
  ExpectTooDeep(Repeat("-(", kN) + "1" + Repeat(")", kN));
  ExpectTooDeep(Repeat("a[", kN) + "0" + Repeat("]", kN));
  ExpectTooDeep(Repeat("true ? 1 : ", kN / 10) + "2");
  ExpectTooDeep(Repeat("[x].all(x, ", kN / 10) + "true" + Repeat(")", kN / 10));
  // Unclosed nesting: the depth error comes first.
  ExpectTooDeep(Repeat("(", kN));
  ExpectTooDeep(Repeat("[", kN));
}

TEST(ParserTest, CountsTheDepthOfTheTree) {
  // Left-deep chains are as deep as they are long.
  ExpectTooDeep("a" + Repeat(" + a", 300));
  ExpectTooDeep("a" + Repeat(".b", 300));
  ExpectTooDeep("a" + Repeat("[0]", 300));
  ExpectTooDeep("a" + Repeat(".f()", 300));
  ExpectTooDeep("a" + Repeat(" == a", 300));
  // 248 levels of + plus the two leaves of the deepest one: just fits.
  EXPECT_NE(Parse("a" + Repeat(" + a", 249)).expr, nullptr);
  ExpectTooDeep("a" + Repeat(" + a", 250));
  EXPECT_NE(Parse(Repeat("(", 249) + "1" + Repeat(")", 249)).expr, nullptr);
  ExpectTooDeep(Repeat("(", 250) + "1" + Repeat(")", 250));
  EXPECT_NE(Parse(Repeat("!", 249) + "true").expr, nullptr);
  ExpectTooDeep(Repeat("!", 250) + "true");
}

TEST(ParserTest, BalancesLogicalChains) {
  ParseResult r = ParseOk("a" + Repeat(" || a", 999));
  ASSERT_NE(r.expr, nullptr);
  EXPECT_LE(Depth(*r.expr), 12);
  r = ParseOk("a" + Repeat(" && a", 999));
  ASSERT_NE(r.expr, nullptr);
  EXPECT_LE(Depth(*r.expr), 12);
  r = ParseOk("a" + Repeat(" && b || c", 500));
  ASSERT_NE(r.expr, nullptr);
  EXPECT_LE(Depth(*r.expr), 12);
}

TEST(ParserTest, HonorsMaxDepthOption) {
  ParseOptions options;
  options.max_depth = 5;
  EXPECT_NE(Parse("a + b + c + d", options).expr, nullptr);  // depth 4
  EXPECT_EQ(Errors("a + b + c + d + e + f", options),
            "18: expression nested too deeply (more than 5 levels)\n");
  EXPECT_THAT(Errors("[[[[[1]]]]]", options), HasSubstr("nested too deeply"));
  // all() adds levels: __comprehension__ -> _&&_ -> _>_ -> x.
  EXPECT_NE(Parse("xs.all(x, x > 0)", options).expr, nullptr);
  options.max_depth = 3;
  EXPECT_THAT(Errors("xs.all(x, x > 0)", options),
              HasSubstr("nested too deeply"));
  options.max_depth = 0;  // as 1: only leaves fit
  EXPECT_NE(Parse("-1", options).expr, nullptr);
  EXPECT_EQ(Errors("-a", options),
            "0: expression nested too deeply (more than 1 levels)\n");
}

// ---- random input ----

TEST(ParserTest, SurvivesRandomBytes) {
  std::mt19937 rng(20260101);
  std::uniform_int_distribution<int> len(0, 40);
  std::uniform_int_distribution<int> byte(0, 255);
  // Mostly the bytes that matter to the lexer, sometimes anything.
  const std::string interesting =
      "()[]{}.,:?!-+*/%<>=&|'\"`\\ \n\rrbxuU0719ae_";
  std::uniform_int_distribution<size_t> pick(0, interesting.size() - 1);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    int n = len(rng);
    for (int j = 0; j < n; ++j) {
      text.push_back(byte(rng) < 200 ? interesting[pick(rng)]
                                     : static_cast<char>(byte(rng)));
    }
    ParseResult r = Parse(text);
    CheckInvariants(text, r);
    if (r.expr != nullptr) DebugString(*r.expr);
  }
}

TEST(ParserTest, SurvivesRandomTokenSoup) {
  const std::vector<std::string> tokens = {"a",
                                           "b.c",
                                           "f",
                                           "(",
                                           ")",
                                           "[",
                                           "]",
                                           "{",
                                           "}",
                                           ".",
                                           ",",
                                           ":",
                                           "?",
                                           "!",
                                           "-",
                                           "+",
                                           "*",
                                           "/",
                                           "%",
                                           "==",
                                           "!=",
                                           "<",
                                           "<=",
                                           ">",
                                           ">=",
                                           "&&",
                                           "||",
                                           "in",
                                           "1",
                                           "2.5",
                                           "3u",
                                           "-9223372036854775808",
                                           "'s'",
                                           "b'\\x00'",
                                           "r'\\d'",
                                           "'''x\ny'''",
                                           "true",
                                           "null",
                                           "has",
                                           "all",
                                           "exists",
                                           "exists_one",
                                           "map",
                                           "filter",
                                           "x",
                                           "if",
                                           "`k-v`",
                                           "0x1F",
                                           "\"\\u00e9\"",
                                           "'\\q'",
                                           "'open",
                                           "\xff",
                                           "#"};
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> len(1, 30);
  std::uniform_int_distribution<size_t> pick(0, tokens.size() - 1);
  std::uniform_int_distribution<int> space(0, 3);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    int n = len(rng);
    for (int j = 0; j < n; ++j) {
      text += tokens[pick(rng)];
      if (space(rng) > 0) text += ' ';
    }
    ParseResult r = Parse(text);
    CheckInvariants(text, r);
    if (r.expr != nullptr) {
      ++parsed;
      DebugString(*r.expr);
    }
  }
  EXPECT_GT(parsed, 0);
}

// Random well-formed expressions: must parse, and parse again identically
// from their own DebugString where that is CEL (no macros, no operators).
TEST(ParserTest, ParsesRandomWellFormedExpressions) {
  std::mt19937 rng(42);
  const std::vector<std::string> binary = {"+",  "-",  "*",  "/",  "%",
                                           "==", "!=", "<",  "<=", ">",
                                           ">=", "in", "&&", "||"};
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    int choice =
        depth > 4 ? static_cast<int>(rng() % 4) : static_cast<int>(rng() % 12);
    switch (choice) {
      case 0:
        return "x";
      case 1:
        return std::to_string(rng() % 100);
      case 2:
        return "'s" + std::to_string(rng() % 10) + "'";
      case 3:
        return "a.b";
      case 4:
        return gen(depth + 1) + " " + binary[rng() % binary.size()] + " " +
               gen(depth + 1);
      case 5:
        return "!" + gen(depth + 1);
      case 6:
        return "-" + gen(depth + 1);
      case 7:
        return "(" + gen(depth + 1) + ")";
      case 8:
        return "[" + gen(depth + 1) + ", " + gen(depth + 1) + "]";
      case 9:
        return "{" + gen(depth + 1) + ": " + gen(depth + 1) + "}";
      case 10:
        return "(" + gen(depth + 1) + " ? " + gen(depth + 1) + " : " +
               gen(depth + 1) + ")";
      default:
        return "f(" + gen(depth + 1) + ")[" + gen(depth + 1) + "]";
    }
  };
  for (int i = 0; i < 2000; ++i) {
    std::string text = gen(0);
    ParseResult r = Parse(text);
    ASSERT_NE(r.expr, nullptr) << text << "\n" << Render(r);
    CheckInvariants(text, r);
  }
}

TEST(ParserTest, ParsesManyExpressionsQuickly) {
  // 20,000 rule conditions: parsing is linear, so this is fast.
  std::string text =
      "session.cart_items > 0 && !session.chat_offered && "
      "event.intent in ['billing', 'sales'] && size(event.items) < 10";
  for (int i = 0; i < 20000; ++i) {
    ParseResult r = Parse(text);
    ASSERT_NE(r.expr, nullptr);
  }
  // One long flat list near the length limit.
  std::string list = "[" + Repeat("1,", 50000) + "1]";
  ParseResult r = ParseOk(list);
  ASSERT_NE(r.expr, nullptr);
  EXPECT_EQ(r.expr->args.size(), 50001u);
}

// ---- DebugString of trees the parser cannot produce ----

TEST(ParserTest, DebugStringRendersEveryConstant) {
  Expr e;
  e.kind = ExprKind::kConstant;
  e.constant.kind = Constant::Kind::kDouble;
  e.constant.double_value = 100;
  EXPECT_EQ(DebugString(e), "100.0");
  e.constant.double_value = 1e300;
  EXPECT_EQ(DebugString(e), "1e+300");
  e.constant.double_value = -0.0;
  EXPECT_EQ(DebugString(e), "-0.0");
  e.constant.double_value = std::numeric_limits<double>::infinity();
  EXPECT_EQ(DebugString(e), "double(\"inf\")");
  e.constant.double_value = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(DebugString(e), "double(\"nan\")");
  e.constant.kind = Constant::Kind::kBytes;
  e.constant.string_value = std::string("a\0\"\\\xff", 5);
  EXPECT_EQ(DebugString(e), R"(b"a\x00\"\\\xFF")");
  e.constant.kind = Constant::Kind::kUint;
  e.constant.uint_value = 7;
  EXPECT_EQ(DebugString(e), "7u");
  Expr missing;
  missing.kind = ExprKind::kSelect;
  missing.name = "f";
  EXPECT_EQ(DebugString(missing), "<missing>.f");
}

}  // namespace
}  // namespace switchboard::cel
