// Name resolution for the compiler: what each name, field selection and
// call of an expression refers to, as the checker decided (for a checked
// expression) or by the Env's rules (unchecked, CEL's disable_check mode).
// Constant folding (fold.h) and lowering (compiler.cc) both resolve through
// a Resolver, so that they agree on what is a variable, what is an
// extension call and what is a built-in.
//
// Internal to engine/cel.
#ifndef SWITCHBOARD_ENGINE_CEL_RESOLVE_H_
#define SWITCHBOARD_ENGINE_CEL_RESOLVE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/cel/ast.h"
#include "engine/cel/checker.h"
#include "engine/cel/env.h"
#include "engine/cel/functions.h"
#include "engine/cel/instructions.h"
#include "engine/cel/types.h"

namespace switchboard::cel::program_internal {

// What a call node calls.
struct CallTarget {
  enum class Kind : uint8_t {
    kAnd,          // `a && b`
    kOr,           // `a || b`
    kConditional,  // `c ? a : b`
    kExtension,    // a host extension: `extensions`
    kBuiltin,      // a built-in: `builtin`
    kUnknown,      // a function nobody declares
  };
  Kind kind = Kind::kUnknown;
  Builtin builtin = Builtin::kAdd;  // kBuiltin
  // kExtension: the overloads the call may dispatch to at run time, and the
  // built-in of the same name for arguments that fit none.
  ExtSet extensions;
};

// Resolves names against an Env and, when given, the CheckResult of the
// same expression and Env (without issues). Tracks the comprehension
// variables in scope, which shadow Env variables. Both must outlive the
// Resolver. Not thread-safe; cheap to make, one per pass.
class Resolver {
 public:
  // A comprehension variable in scope and its local slot.
  struct Local {
    std::string_view name;
    int slot;
  };

  Resolver(const Env& env, const CheckResult* checked)
      : env_(env), checked_(checked) {}

  const CheckResult* checked() const { return checked_; }

  // Brings comprehension variable `name` (its storage in local `slot`) into
  // scope, or takes the innermost one out, as a comprehension is entered and
  // left. `name` must outlive its time in scope.
  void PushLocal(std::string_view name, int slot) {
    locals_.push_back(Local{name, slot});
  }
  void PopLocal() { locals_.pop_back(); }

  // The innermost comprehension variable called `name`, or null.
  const Local* FindLocal(std::string_view name) const;

  // The Env variable that the whole of `e` (an ident, or a chain of selects
  // on one, such as `a.b.c` declared as one name) names, or -1.
  int ResolveVariable(const Expr& e) const;

  // The declared type of variable `var`, or null when there is none.
  const Type* VariableType(int var) const;

  // The field that `select` (a kSelect) reads: by index when the checker
  // typed its operand as an object, else by name only.
  FieldRef SelectedField(const Expr& select) const;

  // What the call `call` (a kCall) calls. Host extensions: the overload the
  // checker chose, or unchecked, every overload of that name and arity;
  // either way the arguments' kinds are checked at run time before the host
  // is called (a dyn argument may hold anything), as CEL's dispatch does.
  CallTarget ResolveCall(const Expr& call) const;

 private:
  const Env& env_;
  const CheckResult* checked_;
  std::vector<Local> locals_;  // innermost last
};

}  // namespace switchboard::cel::program_internal

#endif  // SWITCHBOARD_ENGINE_CEL_RESOLVE_H_
