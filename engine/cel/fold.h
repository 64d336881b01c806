// Constant folding: the compiler's pass over the (checked) expression before
// lowering. It finds every node whose value does not depend on the
// activation and computes that value once, at compile time, with the same
// operations the evaluator runs (operations.h), so that folding never
// changes a result:
//   - literals, and names that resolve to nothing (an error value);
//   - calls of built-ins whose arguments are all known, errors first;
//     `s.matches(p)` with both known and a pattern RE2 accepts;
//   - lists and maps of known elements; field selections on known operands;
//   - `false && x`, `true || x` (whatever x is), and && / || of two known
//     operands;
//   - `c ? a : b` with c known: the branch taken, when it is known; an error
//     when c is not a bool.
// Host extension calls, unknown functions, variables and comprehensions are
// never known. Lowering (compiler.cc) emits a known node as one constant.
//
// Internal to engine/cel; its external interface is just FoldConstants().
#ifndef SWITCHBOARD_ENGINE_CEL_FOLD_H_
#define SWITCHBOARD_ENGINE_CEL_FOLD_H_

#include <optional>

#include "absl/container/flat_hash_map.h"
#include "engine/cel/ast.h"
#include "engine/cel/checker.h"
#include "engine/cel/env.h"
#include "engine/cel/value.h"

namespace switchboard::cel::program_internal {

// The nodes of one expression whose values are known before evaluation.
class FoldedConstants {
 public:
  // The value of node `e`, or nullopt when it depends on the activation. A
  // string in it may view the expression's literals: copy it before the
  // Expr goes.
  std::optional<Value> Find(const Expr& e) const;

 private:
  friend FoldedConstants FoldConstants(const Expr& expr, const Env& env,
                                       const CheckResult* checked);
  // The known nodes but literals, which are known by what they say (and
  // most of the known nodes: not storing them keeps the common condition,
  // which folds nothing, from allocating here).
  absl::flat_hash_map<const Expr*, Value> values_;
};

// Folds `expr`, resolving names as the compiler does (resolve.h) against
// `env` and `checked` (the result of Check on the same expr and env, without
// issues; null for an unchecked expression). The operands of a node are
// folded whether or not the node turns out known, so that every known node
// is found, also in a branch that is never taken (lowering still lowers it,
// to report its mistakes). Never fails: a constant pattern that RE2 rejects
// is left unfolded, for lowering to report. `expr`, `env` and `checked` are
// only read during the call.
FoldedConstants FoldConstants(const Expr& expr, const Env& env,
                              const CheckResult* checked);

}  // namespace switchboard::cel::program_internal

#endif  // SWITCHBOARD_ENGINE_CEL_FOLD_H_
