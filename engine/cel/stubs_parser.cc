// STUB (to be replaced by parser.cc and ast.cc).
#include "engine/cel/parser.h"
namespace switchboard::cel {
ParseResult Parse(std::string_view, const ParseOptions&) {
  ParseResult r;
  r.issues.push_back({0, "parser not implemented"});
  return r;
}
std::string DebugString(const Expr&) { return ""; }
}  // namespace switchboard::cel
