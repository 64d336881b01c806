// Mistakes in a rule file, as values: each Diagnostic says where
// (file:line:column), how bad (error or warning) and what, with the source
// line for a caret display. Loading collects all of them, sorted, rather
// than stopping at the first.
#ifndef SWITCHBOARD_DIAGNOSTIC_H_
#define SWITCHBOARD_DIAGNOSTIC_H_

#include <string>
#include <string_view>
#include <vector>

namespace switchboard {

enum class Severity { kError, kWarning };

struct Diagnostic {
  std::string file;  // as given to the loader
  int line = 0;      // 1-based; 0 when the mistake has no position
  int column = 0;    // 1-based, in bytes; 0 when unknown
  Severity severity = Severity::kError;
  std::string message;      // one line, with a hint: "...; did you mean 'x'?"
  std::string source_line;  // the text of `line`, without its newline
  // Non-zero when `line` was too long to show whole: source_line is then a
  // window of it ("..." at a cut end), and the byte at `column` is shown at
  // source_line[column - 1 - source_line_shift].
  int source_line_shift = 0;

  bool is_error() const { return severity == Severity::kError; }
};

// "file:line:column: error: message", then the source line and a caret under
// the column (when the source line is known), each line ending in '\n'.
std::string FormatDiagnostic(const Diagnostic& diagnostic);

// All diagnostics, formatted, in order.
std::string FormatDiagnostics(const std::vector<Diagnostic>& diagnostics);

// Sorts by file, line, column, then errors before warnings, then message;
// removes exact duplicates.
void SortDiagnostics(std::vector<Diagnostic>* diagnostics);

// Counts the errors (not warnings).
int CountErrors(const std::vector<Diagnostic>& diagnostics);

// The "did you mean" of every diagnostic, for callers with names of their
// own (a command line's commands and options, say): the candidate nearest to
// `name` by edit distance (insertions, deletions, substitutions and swaps of
// adjacent characters, case-insensitive), if it is near enough: a distance
// of at most max(1, size/3) (so "chek" finds "check", "--explian" finds
// "--explain"). Empty when none is near, when `name` is empty or longer
// than 64 bytes, or when `name` itself is a candidate. Pure; thread-safe.
std::string NearestName(std::string_view name,
                        const std::vector<std::string>& candidates);

}  // namespace switchboard

#endif  // SWITCHBOARD_DIAGNOSTIC_H_
