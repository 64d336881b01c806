// DebugString(): a stable one-line rendering of an Expr, for golden tests
// and debugging. Calls are written as functions, operators included
// (`_+_(a, 1)`), constants as CEL literals, selects as `a.f` (`has(a.f)` for
// a test-only select), and comprehensions as
// `__comprehension__(iter_var, iter_range, accu_var, accu_init,
// loop_condition, loop_step, result)`.
#include "engine/cel/ast.h"

#include <string>
#include <string_view>

#include "engine/cel/literal.h"

namespace switchboard::cel {
namespace {

void AppendConstant(const Constant& c, std::string* out) {
  switch (c.kind) {
    case Constant::Kind::kNull:
      out->append("null");
      break;
    case Constant::Kind::kBool:
      out->append(c.bool_value ? "true" : "false");
      break;
    case Constant::Kind::kInt:
      out->append(std::to_string(c.int_value));
      break;
    case Constant::Kind::kUint:
      out->append(std::to_string(c.uint_value));
      out->push_back('u');
      break;
    case Constant::Kind::kDouble:
      AppendDoubleLiteral(c.double_value, out);
      break;
    case Constant::Kind::kString:
      AppendQuotedLiteral(c.string_value, /*bytes=*/false, out);
      break;
    case Constant::Kind::kBytes:
      out->push_back('b');
      AppendQuotedLiteral(c.string_value, /*bytes=*/true, out);
      break;
  }
}

bool IsPlainIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

void Append(const Expr* e, std::string* out);

void AppendArgs(const Expr& e, std::string* out) {
  out->push_back('(');
  for (size_t i = 0; i < e.args.size(); ++i) {
    if (i > 0) out->append(", ");
    Append(e.args[i].get(), out);
  }
  out->push_back(')');
}

void Append(const Expr* e, std::string* out) {
  if (e == nullptr) {
    out->append("<missing>");
    return;
  }
  switch (e->kind) {
    case ExprKind::kConstant:
      AppendConstant(e->constant, out);
      break;
    case ExprKind::kIdent:
      out->append(e->name);
      break;
    case ExprKind::kSelect:
      if (e->test_only) out->append("has(");
      Append(e->target.get(), out);
      out->push_back('.');
      if (IsPlainIdentifier(e->name)) {
        out->append(e->name);
      } else {
        out->push_back('`');
        out->append(e->name);
        out->push_back('`');
      }
      if (e->test_only) out->push_back(')');
      break;
    case ExprKind::kCall:
      if (e->target != nullptr) {
        Append(e->target.get(), out);
        out->push_back('.');
      }
      out->append(e->name);
      AppendArgs(*e, out);
      break;
    case ExprKind::kList:
      out->push_back('[');
      for (size_t i = 0; i < e->args.size(); ++i) {
        if (i > 0) out->append(", ");
        Append(e->args[i].get(), out);
      }
      out->push_back(']');
      break;
    case ExprKind::kMap:
      out->push_back('{');
      for (size_t i = 0; i < e->args.size(); ++i) {
        if (i > 0) out->append(i % 2 == 1 ? ": " : ", ");
        Append(e->args[i].get(), out);
      }
      out->push_back('}');
      break;
    case ExprKind::kComprehension:
      out->append("__comprehension__(");
      out->append(e->iter_var);
      out->append(", ");
      Append(e->iter_range.get(), out);
      out->append(", ");
      out->append(e->accu_var);
      out->append(", ");
      Append(e->accu_init.get(), out);
      out->append(", ");
      Append(e->loop_condition.get(), out);
      out->append(", ");
      Append(e->loop_step.get(), out);
      out->append(", ");
      Append(e->result.get(), out);
      out->push_back(')');
      break;
  }
}

}  // namespace

std::string DebugString(const Expr& expr) {
  std::string out;
  Append(&expr, &out);
  return out;
}

}  // namespace switchboard::cel
