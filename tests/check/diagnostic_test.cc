// Diagnostics as values (include/switchboard/diagnostic.h): formatting with
// the source line and caret, sorting, de-duplication, counting.
#include "switchboard/diagnostic.h"

#include <vector>

#include "gtest/gtest.h"

namespace switchboard {
namespace {

Diagnostic Make(std::string file, int line, int column, Severity severity,
                std::string message, std::string source = "") {
  Diagnostic d;
  d.file = std::move(file);
  d.line = line;
  d.column = column;
  d.severity = severity;
  d.message = std::move(message);
  d.source_line = std::move(source);
  return d;
}

TEST(DiagnosticTest, FormatsPositionSourceAndCaret) {
  EXPECT_EQ(FormatDiagnostic(Make("a.yaml", 3, 5, Severity::kError,
                                  "unknown key 'x'", "    x: 1")),
            "a.yaml:3:5: error: unknown key 'x'\n"
            "    x: 1\n"
            "    ^\n");
  EXPECT_EQ(FormatDiagnostic(
                Make("a.yaml", 3, 1, Severity::kWarning, "unused", "x: 1")),
            "a.yaml:3:1: warning: unused\nx: 1\n^\n");
}

TEST(DiagnosticTest, FormatsWithoutPosition) {
  EXPECT_EQ(FormatDiagnostic(Make("a.yaml", 0, 0, Severity::kError, "missing")),
            "a.yaml: error: missing\n");
  EXPECT_EQ(FormatDiagnostic(
                Make("a.yaml", 2, 0, Severity::kError, "bad line", "x: 1")),
            "a.yaml:2: error: bad line\nx: 1\n");
}

TEST(DiagnosticTest, CaretKeepsTabsAndSkipsUtf8ContinuationBytes) {
  // "\tcafé: x": the caret under 'x' (byte column 9) needs a tab and 6
  // columns (é is two bytes, one character).
  EXPECT_EQ(FormatDiagnostic(Make("a.yaml", 1, 9, Severity::kError, "m",
                                  "\tcaf\xc3\xa9: x")),
            "a.yaml:1:9: error: m\n\tcaf\xc3\xa9: x\n\t      ^\n");
}

TEST(DiagnosticTest, CaretHonoursAShiftedWindow) {
  Diagnostic d = Make("a.yaml", 1, 1003, Severity::kError, "m", "...abcdef...");
  d.source_line_shift = 997;  // source_line[3] shows byte column 1001
  EXPECT_EQ(FormatDiagnostic(d),
            "a.yaml:1:1003: error: m\n...abcdef...\n     ^\n");
}

TEST(DiagnosticTest, SortsByFileLineColumnSeverityMessageAndDedupes) {
  std::vector<Diagnostic> all = {
      Make("b.yaml", 1, 1, Severity::kError, "z"),
      Make("a.yaml", 2, 1, Severity::kWarning, "w"),
      Make("a.yaml", 2, 1, Severity::kError, "e"),
      Make("a.yaml", 1, 9, Severity::kError, "later column"),
      Make("a.yaml", 1, 2, Severity::kError, "b"),
      Make("a.yaml", 1, 2, Severity::kError, "a"),
      Make("a.yaml", 1, 2, Severity::kError, "a"),
  };
  SortDiagnostics(&all);
  std::vector<std::string> order;
  for (const Diagnostic& d : all) order.push_back(d.file + ":" + d.message);
  EXPECT_EQ(order, (std::vector<std::string>{"a.yaml:a", "a.yaml:b",
                                             "a.yaml:later column", "a.yaml:e",
                                             "a.yaml:w", "b.yaml:z"}));
  EXPECT_EQ(CountErrors(all), 5);
  EXPECT_EQ(FormatDiagnostics({}), "");
  EXPECT_EQ(FormatDiagnostics(all).find("a.yaml:1:2: error: a\n"), 0u);
}

}  // namespace
}  // namespace switchboard
