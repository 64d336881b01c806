// The CEL type checker: an Expr and an Env -> the type of every node, the
// variable or extension each name resolves to, and every type error with the
// operand types (cel-go's wording: "found no matching overload for '_+_'
// applied to '(int, string)'"), plus "did you mean" hints for near names.
// This file's external interface is just Check().
#ifndef SWITCHBOARD_ENGINE_CEL_CHECKER_H_
#define SWITCHBOARD_ENGINE_CEL_CHECKER_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/cel/ast.h"
#include "engine/cel/env.h"
#include "engine/cel/types.h"

namespace switchboard::cel {

struct CheckResult {
  // Every type error, in source order; empty when the expression checks.
  std::vector<Issue> issues;
  // The type of the whole expression (Type::Error() when there are issues).
  Type type;
  // The type of each node, by Expr::id.
  absl::flat_hash_map<int64_t, Type> types;
  // Nodes that name an Env variable: a kIdent, or the outermost kSelect of a
  // qualified name such as `a.b.c` declared as one variable. Value: the
  // variable's index. Comprehension variables are not in this map.
  absl::flat_hash_map<int64_t, int> variables;
  // kCall nodes that call a host extension. Value: ExtensionDecl::id.
  absl::flat_hash_map<int64_t, int> extensions;

  bool ok() const { return issues.empty(); }
};

// Type-checks `expr` against `env`. Never fails as a system: mistakes are
// issues. Thread-safe.
CheckResult Check(const Expr& expr, const Env& env);

}  // namespace switchboard::cel

#endif  // SWITCHBOARD_ENGINE_CEL_CHECKER_H_
