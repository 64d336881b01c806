// The reference evaluator (see reference_eval.h): a plain recursive walk over
// the Expr with string lookups, written for obviousness, not speed.
#include "tests/support/reference_eval.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/cel/functions.h"

namespace switchboard::testing {
namespace {

using cel::ErrorCode;
using cel::Expr;
using cel::ExprKind;
using cel::Value;
using cel::ValueKind;

bool IsFalse(const Value& v) { return v.is_bool() && !v.bool_value(); }
bool IsTrue(const Value& v) { return v.is_bool() && v.bool_value(); }

// A non-bool operand of && / || / ?: counts as an error.
Value AsError(const Value& v) {
  return v.is_error() ? v : Value::Error(ErrorCode::kNoSuchOverload);
}

bool Fits(const Value& v, const cel::Type& t) {
  switch (t.kind()) {
    case cel::TypeKind::kDyn:
    case cel::TypeKind::kTypeParam:
      return true;
    case cel::TypeKind::kNull:
      return v.kind() == ValueKind::kNull;
    case cel::TypeKind::kBool:
      return v.kind() == ValueKind::kBool;
    case cel::TypeKind::kInt:
      return v.kind() == ValueKind::kInt;
    case cel::TypeKind::kDouble:
      return v.kind() == ValueKind::kDouble;
    case cel::TypeKind::kString:
      return v.kind() == ValueKind::kString;
    case cel::TypeKind::kDuration:
      return v.kind() == ValueKind::kDuration;
    case cel::TypeKind::kTimestamp:
      return v.kind() == ValueKind::kTimestamp;
    case cel::TypeKind::kList:
      return v.kind() == ValueKind::kList;
    case cel::TypeKind::kMap:
      return v.kind() == ValueKind::kMap;
    case cel::TypeKind::kObject:
      return v.kind() == ValueKind::kObject && v.object_value() != nullptr &&
             &v.object_value()->type() == t.object();
    default:
      return false;
  }
}

class Evaluator {
 public:
  Evaluator(const cel::Env& env, const cel::Activation& activation,
            int64_t max_iterations)
      : env_(env), activation_(activation), max_iterations_(max_iterations) {}

  Value Run(const Expr& e) {
    Value v = Eval(e);
    if (over_limit_) return Value::Error(ErrorCode::kLimit);
    return v;
  }

 private:
  Value Eval(const Expr& e) {
    if (over_limit_) return Value::Error(ErrorCode::kLimit);
    switch (e.kind) {
      case ExprKind::kConstant:
        return EvalConstant(e.constant);
      case ExprKind::kIdent:
        return EvalIdent(e);
      case ExprKind::kSelect:
        return EvalSelect(e);
      case ExprKind::kCall:
        return EvalCall(e);
      case ExprKind::kList:
        return EvalList(e);
      case ExprKind::kMap:
        return EvalMap(e);
      case ExprKind::kComprehension:
        return EvalComprehension(e);
    }
    return Value::Error(ErrorCode::kNoSuchOverload);
  }

  static Value EvalConstant(const cel::Constant& c) {
    switch (c.kind) {
      case cel::Constant::Kind::kNull:
        return Value::Null();
      case cel::Constant::Kind::kBool:
        return Value::Bool(c.bool_value);
      case cel::Constant::Kind::kInt:
        return Value::Int(c.int_value);
      case cel::Constant::Kind::kDouble:
        return Value::Double(c.double_value);
      case cel::Constant::Kind::kString:
        return Value::StringView(c.string_value);
      default:
        return Value::Error(ErrorCode::kNoSuchOverload);
    }
  }

  const Value* FindLocal(const std::string& name) const {
    for (size_t i = locals_.size(); i > 0; --i) {
      if (locals_[i - 1].first == name) return &locals_[i - 1].second;
    }
    return nullptr;
  }

  Value LookupVariable(const std::string& name) const {
    int index = env_.ResolveVariable(name);
    if (index < 0) return Value::Error(ErrorCode::kUnknownVariable);
    return activation_.GetVariable(index);
  }

  Value EvalIdent(const Expr& e) {
    if (const Value* local = FindLocal(e.name)) return *local;
    return LookupVariable(e.name);
  }

  // The dotted name of `e` if it is an identifier followed by selects (not
  // has()), e.g. "a.b.c"; its root identifier in `root`.
  static std::optional<std::string> DottedName(const Expr& e,
                                               std::string* root) {
    if (e.kind == ExprKind::kIdent) {
      *root = e.name;
      return e.name;
    }
    if (e.kind == ExprKind::kSelect && !e.test_only && e.target != nullptr) {
      std::optional<std::string> prefix = DottedName(*e.target, root);
      if (prefix.has_value()) return *prefix + "." + e.name;
    }
    return std::nullopt;
  }

  Value EvalSelect(const Expr& e) {
    if (e.target == nullptr) return Value::Error(ErrorCode::kNoSuchOverload);
    if (!e.test_only) {
      // The longest qualified name first: `a.b.c` as a variable, else
      // (recursively) `a.b` as a variable and then field c, and so on.
      std::string root;
      std::optional<std::string> name = DottedName(e, &root);
      if (name.has_value() && FindLocal(root) == nullptr &&
          env_.ResolveVariable(*name) >= 0) {
        return LookupVariable(*name);
      }
    }
    Value operand = Eval(*e.target);
    if (operand.is_error()) return operand;
    if (operand.kind() == ValueKind::kMap) {
      const Value* found = operand.map_value().Find(Value::StringView(e.name));
      if (e.test_only) return Value::Bool(found != nullptr);
      if (found == nullptr) return Value::Error(ErrorCode::kNoSuchKey);
      return *found;
    }
    if (operand.kind() == ValueKind::kObject &&
        operand.object_value() != nullptr) {
      const cel::ObjectValue& object = *operand.object_value();
      int field = object.type().FindField(e.name);
      if (field < 0) return Value::Error(ErrorCode::kNoSuchField);
      if (e.test_only) return Value::Bool(object.HasField(field));
      return object.GetField(field);
    }
    return Value::Error(ErrorCode::kNoSuchOverload);
  }

  Value EvalAnd(const Expr& e) {
    Value left = Eval(*e.args[0]);
    if (IsFalse(left)) return left;
    Value right = Eval(*e.args[1]);
    if (IsFalse(right)) return right;
    if (IsTrue(left) && IsTrue(right)) return right;
    if (IsTrue(left)) return AsError(right);
    return AsError(left);
  }

  Value EvalOr(const Expr& e) {
    Value left = Eval(*e.args[0]);
    if (IsTrue(left)) return left;
    Value right = Eval(*e.args[1]);
    if (IsTrue(right)) return right;
    if (IsFalse(left) && IsFalse(right)) return right;
    if (IsFalse(left)) return AsError(right);
    return AsError(left);
  }

  Value EvalCall(const Expr& e) {
    const std::string& fn = e.name;
    if (e.target == nullptr && fn == cel::op::kLogicalAnd &&
        e.args.size() == 2) {
      return EvalAnd(e);
    }
    if (e.target == nullptr && fn == cel::op::kLogicalOr &&
        e.args.size() == 2) {
      return EvalOr(e);
    }
    if (e.target == nullptr && fn == cel::op::kConditional &&
        e.args.size() == 3) {
      Value cond = Eval(*e.args[0]);
      if (IsTrue(cond)) return Eval(*e.args[1]);
      if (IsFalse(cond)) return Eval(*e.args[2]);
      return AsError(cond);
    }
    std::vector<Value> args;
    if (e.target != nullptr) args.push_back(Eval(*e.target));
    for (const auto& arg : e.args) args.push_back(Eval(*arg));
    const bool receiver = e.target != nullptr;
    const int argc = static_cast<int>(args.size());

    if (fn == cel::op::kNotStrictlyFalse) {
      std::optional<cel::Builtin> b = cel::FindBuiltin(fn, receiver, argc);
      if (!b.has_value()) return Value::Error(ErrorCode::kNoSuchOverload);
      return cel::CallBuiltin(*b, args);
    }
    for (const Value& arg : args) {
      if (arg.is_error()) return arg;
    }
    // A host extension whose parameters fit, else a built-in of that name.
    for (const cel::ExtensionDecl& decl : env_.extensions()) {
      if (decl.name != fn || decl.receiver_style != receiver ||
          static_cast<int>(decl.params.size()) != argc) {
        continue;
      }
      bool fits = true;
      for (int i = 0; i < argc; ++i) {
        fits = fits && Fits(args[i], decl.params[i]);
      }
      if (fits) return activation_.CallExtension(decl.id, args);
    }
    std::optional<cel::Builtin> b = cel::FindBuiltin(fn, receiver, argc);
    if (!b.has_value()) return Value::Error(ErrorCode::kNoSuchOverload);
    return cel::CallBuiltin(*b, args);
  }

  Value EvalList(const Expr& e) {
    std::vector<Value> elements;
    for (const auto& element : e.args) elements.push_back(Eval(*element));
    for (const Value& v : elements) {
      if (v.is_error()) return v;
    }
    return Value::List(std::move(elements));
  }

  Value EvalMap(const Expr& e) {
    std::vector<Value> parts;
    for (const auto& part : e.args) parts.push_back(Eval(*part));
    for (const Value& v : parts) {
      if (v.is_error()) return v;
    }
    std::vector<std::pair<Value, Value>> entries;
    for (size_t i = 0; i + 1 < parts.size(); i += 2) {
      entries.emplace_back(parts[i], parts[i + 1]);
    }
    return Value::Map(std::move(entries));
  }

  Value EvalComprehension(const Expr& e) {
    Value range = Eval(*e.iter_range);
    if (range.is_error()) return range;
    std::vector<Value> items;
    if (range.kind() == ValueKind::kList) {
      for (const Value& v : range.list_value().elements()) items.push_back(v);
    } else if (range.kind() == ValueKind::kMap) {
      for (const auto& entry : range.map_value().entries()) {
        items.push_back(entry.first);
      }
    } else {
      return Value::Error(ErrorCode::kNoSuchOverload);
    }
    Value accu = Eval(*e.accu_init);
    for (const Value& item : items) {
      if (++iterations_ > max_iterations_) over_limit_ = true;
      if (over_limit_) return Value::Error(ErrorCode::kLimit);
      locals_.emplace_back(e.accu_var, accu);
      locals_.emplace_back(e.iter_var, item);
      Value cond = Eval(*e.loop_condition);
      if (!cond.is_bool()) {
        locals_.resize(locals_.size() - 2);
        return AsError(cond);
      }
      if (!cond.bool_value()) {
        locals_.resize(locals_.size() - 2);
        break;
      }
      accu = Eval(*e.loop_step);
      locals_.resize(locals_.size() - 2);
    }
    locals_.emplace_back(e.accu_var, accu);
    Value result = Eval(*e.result);
    locals_.pop_back();
    return result;
  }

  const cel::Env& env_;
  const cel::Activation& activation_;
  const int64_t max_iterations_;
  int64_t iterations_ = 0;
  bool over_limit_ = false;
  std::vector<std::pair<std::string, Value>> locals_;
};

}  // namespace

cel::Value ReferenceEvaluate(const cel::Expr& expr, const cel::Env& env,
                             const cel::Activation& activation,
                             int64_t max_iterations) {
  Evaluator evaluator(env, activation, max_iterations);
  return evaluator.Run(expr);
}

}  // namespace switchboard::testing
