// Name resolution for the compiler (resolve.h). A checked expression
// resolves as the checker did (CheckResult::variables, ::extensions);
// an unchecked one by the Env's container rules and its declarations.
#include "engine/cel/resolve.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::cel::program_internal {
namespace {

// The identifier at the root of a chain of (non-test) selects, or null.
const Expr* ChainRoot(const Expr& e) {
  const Expr* cur = &e;
  while (cur->kind == ExprKind::kSelect && !cur->test_only &&
         cur->target != nullptr) {
    cur = cur->target.get();
  }
  return cur->kind == ExprKind::kIdent ? cur : nullptr;
}

// "a.b.c" for the chain ending at `e` (whose root is an ident).
void QualifiedName(const Expr& e, std::string* out) {
  if (e.kind == ExprKind::kSelect) {
    QualifiedName(*e.target, out);
    out->push_back('.');
  }
  out->append(e.name);
}

}  // namespace

const Resolver::Local* Resolver::FindLocal(std::string_view name) const {
  for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
    if (it->name == name) return &*it;
  }
  return nullptr;
}

int Resolver::ResolveVariable(const Expr& e) const {
  if (e.kind == ExprKind::kSelect && e.test_only) return -1;
  const Expr* root = ChainRoot(e);
  if (root == nullptr) return -1;
  if (FindLocal(root->name) != nullptr) return -1;
  if (checked_ != nullptr) {
    auto it = checked_->variables.find(e.id);
    if (it != checked_->variables.end()) return it->second;
    // The checker resolves every name; a miss means this node is not a
    // whole variable name (e.g. the select of a field).
    if (e.kind == ExprKind::kSelect) return -1;
  }
  std::string name;
  QualifiedName(e, &name);
  return env_.ResolveVariable(name);
}

const Type* Resolver::VariableType(int var) const {
  if (var < 0 || var >= static_cast<int>(env_.variables().size())) {
    return nullptr;
  }
  return &env_.variables()[var].type;
}

FieldRef Resolver::SelectedField(const Expr& select) const {
  const ObjectType* type = nullptr;
  int field = -1;
  if (checked_ != nullptr) {
    const Type* operand_type = checked_->types.Find(select.target->id);
    if (operand_type != nullptr && operand_type->kind() == TypeKind::kObject) {
      type = operand_type->object();
      field = type->FindField(select.name);
    }
  }
  return FieldRef{type, field, select.name};
}

CallTarget Resolver::ResolveCall(const Expr& call) const {
  const std::string& fn = call.name;
  CallTarget target;
  if (call.target == nullptr) {
    if (fn == op::kLogicalAnd && call.args.size() == 2) {
      target.kind = CallTarget::Kind::kAnd;
      return target;
    }
    if (fn == op::kLogicalOr && call.args.size() == 2) {
      target.kind = CallTarget::Kind::kOr;
      return target;
    }
    if (fn == op::kConditional && call.args.size() == 3) {
      target.kind = CallTarget::Kind::kConditional;
      return target;
    }
  }
  const bool receiver = call.target != nullptr;
  const int argc = static_cast<int>(call.args.size()) + (receiver ? 1 : 0);

  std::optional<int> chosen;
  if (checked_ != nullptr) {
    auto it = checked_->extensions.find(call.id);
    if (it != checked_->extensions.end()) chosen = it->second;
  }
  if (checked_ == nullptr || chosen.has_value()) {
    ExtSet& set = target.extensions;
    for (const ExtensionDecl& d : env_.extensions()) {
      if (d.name == fn && d.receiver_style == receiver &&
          static_cast<int>(d.params.size()) == argc &&
          (!chosen.has_value() || d.id == *chosen)) {
        set.overloads.push_back(ExtOverload{d.id, d.params});
      }
    }
    if (chosen.has_value() && set.overloads.empty()) {
      // Not in the Env as named: trust the checker's id.
      set.overloads.push_back(
          ExtOverload{*chosen, std::vector<Type>(argc, Type::Dyn())});
    }
    if (!set.overloads.empty()) {
      set.fallback = FindBuiltin(fn, receiver, argc);
      target.kind = CallTarget::Kind::kExtension;
      return target;
    }
  }
  if (std::optional<Builtin> builtin = FindBuiltin(fn, receiver, argc)) {
    target.kind = CallTarget::Kind::kBuiltin;
    target.builtin = *builtin;
  }
  return target;
}

}  // namespace switchboard::cel::program_internal
