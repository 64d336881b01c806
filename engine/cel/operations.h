// Operations on values that both the evaluator (evaluator.cc) performs at
// run time and constant folding (fold.cc) performs at compile time: one
// definition of each, so that a folded constant is exactly the value that
// evaluating the expression would give. Also the values of the leaves that
// are constant before any evaluation (literals, undeclared names).
//
// Internal to engine/cel. The three tiny ones are inline; the others are
// out of line, as they were before they were shared, so that the
// evaluator's loop compiles as it did.
#ifndef SWITCHBOARD_ENGINE_CEL_OPERATIONS_H_
#define SWITCHBOARD_ENGINE_CEL_OPERATIONS_H_

#include <string>

#include "absl/types/span.h"
#include "engine/cel/ast.h"
#include "engine/cel/instructions.h"
#include "engine/cel/types.h"
#include "engine/cel/value.h"

namespace switchboard::cel::program_internal {

// The first error among `args`, or null.
inline const Value* FirstError(absl::Span<const Value> args) {
  for (const Value& v : args) {
    if (v.is_error()) return &v;
  }
  return nullptr;
}

inline Value NoSuchOverload() {
  return Value::Error(ErrorCode::kNoSuchOverload);
}

// `v` as an operand of && / || / ?:, where anything but a bool is an error.
inline Value AsLogicError(const Value& v) {
  return v.is_error() ? v : NoSuchOverload();
}

// Combines `left && right` when left is not false.
Value AndMerge(const Value& left, const Value& right);

// Combines `left || right` when left is not true.
Value OrMerge(const Value& left, const Value& right);

// operand.name (or has(operand.name) when `test`) by name or field index.
Value SelectField(const Value& operand, const FieldRef& ref, bool test);

// A list of `elements` (moved from), or the first error among them.
Value MakeList(absl::Span<Value> elements);

// A map of the key/value pairs in `kv` (moved from), or the first error.
Value MakeMap(absl::Span<Value> kv);

// The value of a literal. A string views the literal's own bytes (the
// caller keeps the Constant alive, or copies the value first).
Value LiteralValue(const Constant& c);

// The value of a name that resolves to nothing (unchecked expressions only:
// the checker reports such names).
Value UndeclaredReference(const std::string& name);

}  // namespace switchboard::cel::program_internal

#endif  // SWITCHBOARD_ENGINE_CEL_OPERATIONS_H_
