// The CEL parser: text -> Expr, with every mistake as an Issue.
// This file's external interface is just Parse().
#ifndef SWITCHBOARD_ENGINE_CEL_PARSER_H_
#define SWITCHBOARD_ENGINE_CEL_PARSER_H_

#include <memory>
#include <string_view>
#include <vector>

#include "engine/cel/ast.h"

namespace switchboard::cel {

struct ParseOptions {
  // Deepest nesting of the tree accepted (parentheses, operators, calls,
  // lists...). Deeper input is refused with "expression nested too deeply"
  // rather than overflowing the stack. Default: 250 (as cel-go).
  int max_depth = 250;
  // Longest expression text accepted, in bytes. Default: 100 KiB.
  int max_length = 100 * 1024;
};

struct ParseResult {
  // Null when there are issues.
  std::unique_ptr<Expr> expr;
  // Every syntax error found, in source order. Never empty when expr is null.
  std::vector<Issue> issues;
};

// Parses `text` (UTF-8; invalid UTF-8 is an issue, never a crash) into an
// expression tree with macros expanded. Thread-safe; no global state.
ParseResult Parse(std::string_view text, const ParseOptions& options = {});

}  // namespace switchboard::cel

#endif  // SWITCHBOARD_ENGINE_CEL_PARSER_H_
