// Formatting, sorting and counting of rule-file diagnostics (the functions
// declared in include/switchboard/diagnostic.h).
#include "switchboard/diagnostic.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

namespace switchboard {
namespace {

// The caret line: the source line's tabs are kept so that the caret lines up
// under the column in a terminal; every other byte before the column becomes
// a space. UTF-8 continuation bytes take no space, so the caret stays under
// the right character for multi-byte text.
std::string CaretLine(const std::string& source_line, int column) {
  std::string caret;
  const int limit = std::min<int>(column - 1, source_line.size());
  for (int i = 0; i < limit; ++i) {
    const unsigned char c = source_line[i];
    if (c == '\t') {
      caret += '\t';
    } else if ((c & 0xC0) != 0x80) {
      caret += ' ';
    }
  }
  caret += '^';
  return caret;
}

}  // namespace

std::string FormatDiagnostic(const Diagnostic& diagnostic) {
  std::string out = diagnostic.file;
  if (diagnostic.line > 0) {
    out += ':';
    out += std::to_string(diagnostic.line);
    if (diagnostic.column > 0) {
      out += ':';
      out += std::to_string(diagnostic.column);
    }
  }
  out += diagnostic.is_error() ? ": error: " : ": warning: ";
  out += diagnostic.message;
  out += '\n';
  if (diagnostic.line > 0 && !diagnostic.source_line.empty()) {
    out += diagnostic.source_line;
    out += '\n';
    if (diagnostic.column > 0) {
      out += CaretLine(diagnostic.source_line,
                       diagnostic.column - diagnostic.source_line_shift);
      out += '\n';
    }
  }
  return out;
}

std::string FormatDiagnostics(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) out += FormatDiagnostic(d);
  return out;
}

void SortDiagnostics(std::vector<Diagnostic>* diagnostics) {
  auto key = [](const Diagnostic& d) {
    return std::tie(d.file, d.line, d.column, d.severity, d.message);
  };
  std::stable_sort(diagnostics->begin(), diagnostics->end(),
                   [&](const Diagnostic& a, const Diagnostic& b) {
                     return key(a) < key(b);
                   });
  diagnostics->erase(std::unique(diagnostics->begin(), diagnostics->end(),
                                 [&](const Diagnostic& a, const Diagnostic& b) {
                                   return key(a) == key(b);
                                 }),
                     diagnostics->end());
}

int CountErrors(const std::vector<Diagnostic>& diagnostics) {
  return static_cast<int>(
      std::count_if(diagnostics.begin(), diagnostics.end(),
                    [](const Diagnostic& d) { return d.is_error(); }));
}

}  // namespace switchboard
