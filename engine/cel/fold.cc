// Constant folding (fold.h): one post-order walk over the expression. Each
// node's value is computed from its operands' values with the evaluator's
// own operations (operations.h, functions.h), and recorded when known.
//
// This file's external interface is just FoldConstants().
#include "engine/cel/fold.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "engine/cel/functions.h"
#include "engine/cel/operations.h"
#include "engine/cel/resolve.h"
#include "re2/re2.h"

namespace switchboard::cel::program_internal {
namespace {

class Folder {
 public:
  Folder(const Env& env, const CheckResult* checked,
         absl::flat_hash_map<const Expr*, Value>* values)
      : resolver_(env, checked), values_(*values) {}

  // The value of `e` when it is known (and recorded), else nullopt. Visits
  // every operand of `e` either way.
  std::optional<Value> Fold(const Expr& e) {
    std::optional<Value> v = Compute(e);
    if (v.has_value() && e.kind != ExprKind::kConstant) values_.emplace(&e, *v);
    return v;
  }

 private:
  std::optional<Value> Compute(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kConstant:
        return LiteralValue(e.constant);
      case ExprKind::kIdent:
        if (resolver_.FindLocal(e.name) != nullptr ||
            resolver_.ResolveVariable(e) >= 0) {
          return std::nullopt;
        }
        return UndeclaredReference(e.name);
      case ExprKind::kSelect:
        return Select(e);
      case ExprKind::kCall:
        return Call(e);
      case ExprKind::kList: {
        Values values;
        if (!FoldAll(e, &values)) return std::nullopt;
        return MakeList(absl::MakeSpan(values));
      }
      case ExprKind::kMap: {
        Values values;
        const bool known = FoldAll(e, &values);
        // An odd count is a malformed tree; cannot come from the parser.
        if (e.args.size() % 2 != 0) return NoSuchOverload();
        if (!known) return std::nullopt;
        return MakeMap(absl::MakeSpan(values));
      }
      case ExprKind::kComprehension:
        if (!e.iter_range || !e.accu_init || !e.loop_condition ||
            !e.loop_step || !e.result) {
          return NoSuchOverload();  // malformed
        }
        Comprehension(e);
        return std::nullopt;
    }
    return NoSuchOverload();
  }

  // The values of a call's or list's operands, without allocating for the
  // common few.
  using Values = absl::InlinedVector<Value, 4>;

  // Folds the receiver (if any) and the arguments of `e`; whether all are
  // known, with their values in `values`.
  bool FoldAll(const Expr& e, Values* values) {
    bool known = true;
    auto fold = [&](const Expr& operand) {
      std::optional<Value> v = Fold(operand);
      if (v.has_value()) {
        values->push_back(std::move(*v));
      } else {
        known = false;
      }
    };
    if (e.target != nullptr) fold(*e.target);
    for (const auto& arg : e.args) fold(*arg);
    return known;
  }

  std::optional<Value> Select(const Expr& e) {
    if (e.target == nullptr) return NoSuchOverload();  // malformed
    if (resolver_.ResolveVariable(e) >= 0) return std::nullopt;
    std::optional<Value> operand = Fold(*e.target);
    if (!operand.has_value()) return std::nullopt;
    return SelectField(*operand, resolver_.SelectedField(e), e.test_only);
  }

  std::optional<Value> Call(const Expr& e) {
    CallTarget call = resolver_.ResolveCall(e);
    switch (call.kind) {
      case CallTarget::Kind::kAnd:
      case CallTarget::Kind::kOr:
        return Logic(e, call.kind == CallTarget::Kind::kAnd);
      case CallTarget::Kind::kConditional: {
        std::optional<Value> cond = Fold(*e.args[0]);
        std::optional<Value> when_true = Fold(*e.args[1]);
        std::optional<Value> when_false = Fold(*e.args[2]);
        if (!cond.has_value()) return std::nullopt;
        if (!cond->is_bool()) return AsLogicError(*cond);
        return cond->bool_value() ? when_true : when_false;
      }
      case CallTarget::Kind::kExtension:
      case CallTarget::Kind::kUnknown: {
        Values values;
        FoldAll(e, &values);
        return std::nullopt;
      }
      case CallTarget::Kind::kBuiltin:
        break;
    }
    Values values;
    if (!FoldAll(e, &values)) return std::nullopt;
    // `s.matches('constant')`, a pattern that lowering would compile once:
    // the match is made here.
    if (call.builtin == Builtin::kMatches && values.size() == 2 &&
        values[1].kind() == ValueKind::kString) {
      const re2::RE2 re(std::string(values[1].string_value()), re2::RE2::Quiet);
      if (!re.ok()) return std::nullopt;  // lowering reports it
      const Value& subject = values[0];
      return subject.is_error() ? subject : MatchesRegex(subject, re);
    }
    if (call.builtin != Builtin::kNotStrictlyFalse) {
      if (const Value* err = FirstError(values)) return *err;
    }
    return CallBuiltin(call.builtin, values);
  }

  // `a && b` (is_and) or `a || b`: false && x = false, true || x = true
  // whatever x is; else known when both are.
  std::optional<Value> Logic(const Expr& e, bool is_and) {
    std::optional<Value> left = Fold(*e.args[0]);
    std::optional<Value> right = Fold(*e.args[1]);
    if (!left.has_value()) return std::nullopt;
    if (left->is_bool() && left->bool_value() != is_and) return left;
    if (!right.has_value()) return std::nullopt;
    return is_and ? AndMerge(*left, *right) : OrMerge(*left, *right);
  }

  // Folds the parts of a comprehension, with its variables in scope where
  // lowering has them (slots do not matter here).
  void Comprehension(const Expr& e) {
    Fold(*e.iter_range);
    Fold(*e.accu_init);
    resolver_.PushLocal(e.accu_var, 0);
    resolver_.PushLocal(e.iter_var, 0);
    Fold(*e.loop_condition);
    Fold(*e.loop_step);
    resolver_.PopLocal();  // iter_var is not in scope in the result
    Fold(*e.result);
    resolver_.PopLocal();
  }

  Resolver resolver_;
  absl::flat_hash_map<const Expr*, Value>& values_;
};

}  // namespace

std::optional<Value> FoldedConstants::Find(const Expr& e) const {
  if (e.kind == ExprKind::kConstant) return LiteralValue(e.constant);
  auto it = values_.find(&e);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

FoldedConstants FoldConstants(const Expr& expr, const Env& env,
                              const CheckResult* checked) {
  FoldedConstants folded;
  Folder(env, checked, &folded.values_).Fold(expr);
  return folded;
}

}  // namespace switchboard::cel::program_internal
