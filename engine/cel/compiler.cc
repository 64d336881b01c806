// The CEL compiler: Compile() turns a (checked) Expr into a Program in two
// passes over the tree. Constant folding (fold.h) first finds the nodes whose
// value is known before evaluation; lowering then writes a flat vector of
// instructions for the stack machine of instructions.h (as cel-cpp's
// FlatExpression): a known node becomes one constant, names become variable
// indexes (resolve.h), `var.field` on an object variable becomes one field
// load by index, `field OP constant` one compare, comprehension variables
// live in numbered local slots, calls are bound to built-ins or host
// extensions, a constant `matches` pattern is compiled once with RE2, and
// `&&`, `||`, `?:` and comprehensions become jumps. Lowering also computes
// the stack depth the evaluator needs, so that it never grows its stack.
//
// This file's external interface is just Compile() (program.h).
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/cel/fold.h"
#include "engine/cel/functions.h"
#include "engine/cel/instructions.h"
#include "engine/cel/operations.h"
#include "engine/cel/program.h"
#include "engine/cel/resolve.h"
#include "re2/re2.h"

namespace switchboard::cel {
namespace {

using program_internal::CallTarget;
using program_internal::ExtSet;
using program_internal::FieldRef;
using program_internal::FoldedConstants;
using program_internal::Instr;
using program_internal::LiteralValue;
using program_internal::NoSuchOverload;
using program_internal::Op;
using program_internal::Resolver;
using program_internal::UndeclaredReference;

bool IsIdent(const Expr& e, std::string_view name) {
  return e.kind == ExprKind::kIdent && e.name == name;
}

// Whether `name` occurs as an identifier anywhere in `e` (conservative: does
// not care about shadowing).
bool Mentions(const Expr* e, std::string_view name) {
  if (e == nullptr) return false;
  if (e->kind == ExprKind::kIdent) return e->name == name;
  if (e->kind == ExprKind::kComprehension &&
      (e->iter_var == name || e->accu_var == name)) {
    return true;
  }
  if (Mentions(e->target.get(), name)) return true;
  for (const auto& a : e->args) {
    if (Mentions(a.get(), name)) return true;
  }
  return Mentions(e->iter_range.get(), name) ||
         Mentions(e->accu_init.get(), name) ||
         Mentions(e->loop_condition.get(), name) ||
         Mentions(e->loop_step.get(), name) || Mentions(e->result.get(), name);
}

// `accu + [elem]` -> elem, else null.
const Expr* AppendedElement(const Expr& step, std::string_view accu) {
  if (step.kind != ExprKind::kCall || step.name != op::kAdd ||
      step.target != nullptr || step.args.size() != 2 ||
      !IsIdent(*step.args[0], accu) || step.args[1]->kind != ExprKind::kList ||
      step.args[1]->args.size() != 1) {
    return nullptr;
  }
  return step.args[1]->args[0].get();
}

bool IsConstTrue(const Expr* e) {
  return e != nullptr && e->kind == ExprKind::kConstant &&
         e->constant.kind == Constant::Kind::kBool && e->constant.bool_value;
}

// Lowers one expression into `out`. With `folded` (the fold pass's result
// for the same expression), known nodes become constants; with null
// (CompileOptions::fold_constants off), every node is lowered as written.
class Lowerer {
 public:
  Lowerer(const Env& env, const CheckResult* checked,
          const FoldedConstants* folded, Program::Impl& out)
      : resolver_(env, checked), folded_(folded), out_(out) {}

  absl::Status LowerRoot(const Expr& e) {
    // About one instruction per node (the checker typed every node): size
    // the code once instead of growing it instruction by instruction.
    if (const CheckResult* checked = resolver_.checked()) {
      out_.code.reserve(checked->types.size() + 1);
      out_.constants.reserve(checked->types.size() / 2 + 1);
    }
    absl::Status s = Lower(e);
    Emit(Op::kHalt, 0);
    out_.max_stack = std::max(max_depth_, 1);
    out_.num_locals = max_slots_;
    return s;
  }

 private:
  // ---- emission ----

  int Here() const { return static_cast<int>(out_.code.size()); }

  int Emit(Op op, int delta, int a = 0, int b = 0, int c = 0) {
    out_.code.push_back(Instr{op, 0, false, a, b, c});
    depth_ += delta;
    if (depth_ > max_depth_) max_depth_ = depth_;
    return Here() - 1;
  }

  // Whether the code from `start` is exactly one constant; returns it.
  const Value* ConstantAt(int start) const {
    if (Here() != start + 1 || out_.code[start].op != Op::kConst) {
      return nullptr;
    }
    return &out_.constants[out_.code[start].a];
  }

  // Drops the code from `start`, which pushed `pushed` values.
  void DropFrom(int start, int pushed) {
    out_.code.resize(start);
    depth_ -= pushed;
  }

  void EmitConstant(Value v) {
    out_.constants.push_back(std::move(v));
    Emit(Op::kConst, +1, static_cast<int>(out_.constants.size()) - 1);
  }

  Value InternString(std::string s) {
    out_.strings.push_back(std::make_unique<std::string>(std::move(s)));
    return Value::StringView(*out_.strings.back());
  }

  int AddName(std::string name) {
    out_.names.push_back(std::move(name));
    return static_cast<int>(out_.names.size()) - 1;
  }

  int AddField(FieldRef ref) {
    out_.fields.push_back(std::move(ref));
    return static_cast<int>(out_.fields.size()) - 1;
  }

  // A copy of constant `v` whose strings (also inside lists and maps) view
  // the program's own storage: it outlives the Expr, and pushing it at run
  // time copies no reference-counted bytes.
  Value Internalize(const Value& v) {
    switch (v.kind()) {
      case ValueKind::kString:
        return InternString(std::string(v.string_value()));
      case ValueKind::kList: {
        std::vector<Value> elements;
        for (const Value& e : v.list_value().elements()) {
          elements.push_back(Internalize(e));
        }
        return Value::List(std::move(elements));
      }
      case ValueKind::kMap: {
        std::vector<std::pair<Value, Value>> entries;
        for (const auto& [k, x] : v.map_value().entries()) {
          entries.emplace_back(Internalize(k), Internalize(x));
        }
        return Value::Map(std::move(entries));
      }
      default:
        return v;
    }
  }

  // The value the fold pass found for `e`, or nullopt.
  std::optional<Value> Folded(const Expr& e) const {
    if (folded_ == nullptr) return std::nullopt;
    return folded_->Find(e);
  }

  // ---- expressions ----

  absl::Status Lower(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kConstant:
        EmitConstant(Internalize(LiteralValue(e.constant)));
        return absl::OkStatus();
      case ExprKind::kIdent:
        LowerIdent(e);
        return absl::OkStatus();
      case ExprKind::kSelect:
        return LowerSelect(e);
      case ExprKind::kCall:
        return LowerCall(e);
      case ExprKind::kList:
        return LowerList(e);
      case ExprKind::kMap:
        return LowerMap(e);
      case ExprKind::kComprehension:
        return LowerComprehension(e);
    }
    EmitConstant(NoSuchOverload());
    return absl::OkStatus();
  }

  // Lowers `e`, whose value `v` the fold pass found, to that one constant.
  // Its operands are lowered all the same, and their code dropped, so that
  // their mistakes are reported even where they would never run (a pattern
  // RE2 rejects in `false && s.matches('(')`).
  absl::Status LowerFolded(const Expr& e, const Value& v) {
    const int start = Here();
    const int depth = depth_;
    const size_t constants = out_.constants.size();
    const size_t strings = out_.strings.size();
    if (e.target != nullptr) {
      if (absl::Status s = Lower(*e.target); !s.ok()) return s;
    }
    for (const auto& arg : e.args) {
      if (absl::Status s = Lower(*arg); !s.ok()) return s;
    }
    DropFrom(start, depth_ - depth);
    // Only the dropped code used the constants it added.
    out_.constants.resize(constants);
    out_.strings.resize(strings);
    EmitConstant(Internalize(v));
    return absl::OkStatus();
  }

  void LowerIdent(const Expr& e) {
    if (const Resolver::Local* local = resolver_.FindLocal(e.name)) {
      Emit(Op::kLoadLocal, +1, local->slot);
      return;
    }
    int var = resolver_.ResolveVariable(e);
    if (var >= 0) {
      Emit(Op::kLoadVar, +1, var);
      return;
    }
    EmitConstant(UndeclaredReference(e.name));
  }

  absl::Status LowerSelect(const Expr& e) {
    if (e.target == nullptr) {
      EmitConstant(NoSuchOverload());
      return absl::OkStatus();
    }
    if (std::optional<Value> v = Folded(e)) return LowerFolded(e, *v);
    if (int var = resolver_.ResolveVariable(e); var >= 0) {
      Emit(Op::kLoadVar, +1, var);
      return absl::OkStatus();
    }
    const Expr& operand = *e.target;
    // `object_variable.field`: one instruction.
    if (int var = resolver_.ResolveVariable(operand); var >= 0) {
      const Type* type = resolver_.VariableType(var);
      if (type != nullptr && type->kind() == TypeKind::kObject) {
        int field = type->object()->FindField(e.name);
        if (field >= 0) {
          int ref = AddField(FieldRef{type->object(), field, e.name});
          auto [it, added] =
              object_cache_.try_emplace(var, out_.num_cached_objects);
          if (added) ++out_.num_cached_objects;
          out_.fields[ref].cache = it->second;
          Emit(e.test_only ? Op::kHasField : Op::kLoadField, +1, var, 0, ref);
          return absl::OkStatus();
        }
      }
    }
    if (absl::Status s = Lower(operand); !s.ok()) return s;
    Emit(e.test_only ? Op::kTestSelect : Op::kSelect, 0, 0, 0,
         AddField(resolver_.SelectedField(e)));
    return absl::OkStatus();
  }

  // Lowers the receiver (if any) and the arguments; `last_start` is where
  // the code of the last one begins.
  absl::Status LowerArgs(const Expr& e, int* argc, int* last_start) {
    *argc = 0;
    *last_start = Here();
    if (e.target != nullptr) {
      if (absl::Status s = Lower(*e.target); !s.ok()) return s;
      ++*argc;
    }
    for (const auto& arg : e.args) {
      *last_start = Here();
      if (absl::Status s = Lower(*arg); !s.ok()) return s;
      ++*argc;
    }
    return absl::OkStatus();
  }

  absl::Status LowerCall(const Expr& e) {
    CallTarget call = resolver_.ResolveCall(e);
    if (call.kind == CallTarget::Kind::kConditional) {
      return LowerConditional(e);
    }
    if (std::optional<Value> v = Folded(e)) return LowerFolded(e, *v);
    int n = 0, last = 0;
    switch (call.kind) {
      case CallTarget::Kind::kAnd:
      case CallTarget::Kind::kOr:
        return LowerLogic(e, call.kind == CallTarget::Kind::kAnd);
      case CallTarget::Kind::kBuiltin:
        return LowerBuiltinCall(e, call.builtin);
      case CallTarget::Kind::kExtension:
        if (absl::Status s = LowerArgs(e, &n, &last); !s.ok()) return s;
        out_.ext_sets.push_back(std::move(call.extensions));
        Emit(Op::kCallExt, 1 - n, static_cast<int>(out_.ext_sets.size()) - 1, n,
             AddName(e.name));
        return absl::OkStatus();
      case CallTarget::Kind::kUnknown:
      case CallTarget::Kind::kConditional:
        break;
    }
    if (absl::Status s = LowerArgs(e, &n, &last); !s.ok()) return s;
    Emit(Op::kCallUnknown, 1 - n, 0, n, AddName(e.name));
    return absl::OkStatus();
  }

  absl::Status LowerBuiltinCall(const Expr& e, Builtin builtin) {
    const std::string& fn = e.name;
    const int start = Here();
    int n = 0, last = 0;
    if (absl::Status s = LowerArgs(e, &n, &last); !s.ok()) return s;

    // `s.matches('constant')`: compile the pattern once.
    if (builtin == Builtin::kMatches && n == 2 && ConstantAt(last) &&
        ConstantAt(last)->kind() == ValueKind::kString) {
      std::string pattern(out_.constants[out_.code.back().a].string_value());
      auto re = std::make_unique<re2::RE2>(pattern, re2::RE2::Quiet);
      if (!re->ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid regular expression '", pattern, "': ", re->error()));
      }
      DropFrom(last, 1);
      out_.regexes.push_back(std::move(re));
      Emit(Op::kMatchRe, 0, static_cast<int>(out_.regexes.size()) - 1, 0,
           AddName(pattern));
      return absl::OkStatus();
    }

    // `object.field OP constant`, the commonest condition, and `x OP
    // constant` on a comprehension variable: one instruction.
    if (n == 2 && Here() - start == 2 &&
        (out_.code[start].op == Op::kLoadField ||
         out_.code[start].op == Op::kLoadLocal) &&
        out_.code[start + 1].op == Op::kConst &&
        (builtin == Builtin::kEquals || builtin == Builtin::kNotEquals ||
         builtin == Builtin::kLess || builtin == Builtin::kLessEquals ||
         builtin == Builtin::kGreater || builtin == Builtin::kGreaterEquals)) {
      Instr fused = out_.code[start];
      fused.op =
          fused.op == Op::kLoadField ? Op::kFieldCompare : Op::kLocalCompare;
      fused.fn = static_cast<uint8_t>(builtin);
      fused.b = out_.code[start + 1].a;
      DropFrom(start, 1);
      out_.code.push_back(fused);
      return absl::OkStatus();
    }

    switch (builtin) {
      case Builtin::kNotStrictlyFalse:
        Emit(Op::kNotStrictlyFalse, 1 - n, static_cast<int>(builtin), n,
             AddName(fn));
        break;
      case Builtin::kEquals:
        Emit(Op::kEquals, 1 - n, static_cast<int>(builtin), n, AddName(fn));
        break;
      case Builtin::kNotEquals:
        Emit(Op::kNotEquals, 1 - n, static_cast<int>(builtin), n, AddName(fn));
        break;
      case Builtin::kLess:
      case Builtin::kLessEquals:
      case Builtin::kGreater:
      case Builtin::kGreaterEquals:
        Emit(n == 2 ? Op::kCompare : Op::kCall, 1 - n,
             static_cast<int>(builtin), n, AddName(fn));
        break;
      case Builtin::kLogicalNot:
        Emit(n == 1 ? Op::kNot : Op::kCall, 1 - n, static_cast<int>(builtin), n,
             AddName(fn));
        break;
      default:
        Emit(Op::kCall, 1 - n, static_cast<int>(builtin), n, AddName(fn));
        out_.code.back().charge = loop_depth_ > 0;
        break;
    }
    return absl::OkStatus();
  }

  absl::Status LowerLogic(const Expr& e, bool is_and) {
    if (absl::Status s = Lower(*e.args[0]); !s.ok()) return s;
    int jump = Emit(is_and ? Op::kAndJump : Op::kOrJump, 0);
    if (absl::Status s = Lower(*e.args[1]); !s.ok()) return s;
    Emit(is_and ? Op::kAndMerge : Op::kOrMerge, -1);
    out_.code[jump].a = Here();
    return absl::OkStatus();
  }

  absl::Status LowerConditional(const Expr& e) {
    if (std::optional<Value> cond = Folded(*e.args[0])) {
      // The fold pass knows the condition: no jumps.
      const int start = Here();
      if (absl::Status s = Lower(*e.args[0]); !s.ok()) return s;
      DropFrom(start, 1);
      if (!cond->is_bool()) {
        // An error, which the fold pass made the value of `e`; the branches
        // are not lowered.
        EmitConstant(Internalize(*Folded(e)));
        return absl::OkStatus();
      }
      const bool which = cond->bool_value();
      if (absl::Status s = Lower(*e.args[which ? 1 : 2]); !s.ok()) return s;
      // Lower the other branch for its mistakes, then drop it.
      const int other = Here();
      if (absl::Status s = Lower(*e.args[which ? 2 : 1]); !s.ok()) return s;
      DropFrom(other, 1);
      return absl::OkStatus();
    }
    if (absl::Status s = Lower(*e.args[0]); !s.ok()) return s;
    int cond_jump = Emit(Op::kCondJump, -1);
    if (absl::Status s = Lower(*e.args[1]); !s.ok()) return s;
    int jump_end = Emit(Op::kJump, -1);  // the else branch starts empty
    out_.code[cond_jump].a = Here();
    if (absl::Status s = Lower(*e.args[2]); !s.ok()) return s;
    out_.code[cond_jump].b = Here();
    out_.code[jump_end].a = Here();
    return absl::OkStatus();
  }

  absl::Status LowerList(const Expr& e) {
    if (std::optional<Value> v = Folded(e)) return LowerFolded(e, *v);
    for (const auto& element : e.args) {
      if (absl::Status s = Lower(*element); !s.ok()) return s;
    }
    const int n = static_cast<int>(e.args.size());
    Emit(Op::kList, 1 - n, 0, n);
    return absl::OkStatus();
  }

  absl::Status LowerMap(const Expr& e) {
    if (std::optional<Value> v = Folded(e)) return LowerFolded(e, *v);
    const int start = Here();
    for (const auto& part : e.args) {
      if (absl::Status s = Lower(*part); !s.ok()) return s;
    }
    const int n = static_cast<int>(e.args.size());
    if (n % 2 != 0) {
      // Malformed tree; cannot come from the parser.
      DropFrom(start, n);
      EmitConstant(NoSuchOverload());
      return absl::OkStatus();
    }
    Emit(Op::kMap, 1 - n, 0, n / 2);
    return absl::OkStatus();
  }

  // Lowered as (R = range and position, R+1 iter_var, R+2 accu_var):
  //     <iter_range>; iter_init R end=Lend; <accu_init>; store_local R+2
  //   Lloop: iter_next R exit=Lexit
  //     <loop_condition>; loop_cond exit=Lexit end=Lend   (unless `true`)
  //     <loop_step>; store_local R+2; jump Lloop
  //   Lexit: <result>
  //   Lend:
  // map() and filter() (accu = [], step = accu + [x] or c ? accu + [x] :
  // accu, result = accu) append to a list builder instead of copying the
  // list on every step.
  absl::Status LowerComprehension(const Expr& e) {
    if (!e.iter_range || !e.accu_init || !e.loop_condition || !e.loop_step ||
        !e.result) {
      EmitConstant(NoSuchOverload());
      return absl::OkStatus();
    }
    if (absl::Status s = Lower(*e.iter_range); !s.ok()) return s;
    const int slot = next_slot_;
    next_slot_ += 3;
    if (next_slot_ > max_slots_) max_slots_ = next_slot_;
    const int accu = slot + 2;

    // Is this the list-building shape of map() / filter()?
    const Expr* element = nullptr;
    const Expr* filter = nullptr;
    bool builder = false;
    if (e.accu_init->kind == ExprKind::kList && e.accu_init->args.empty() &&
        IsIdent(*e.result, e.accu_var) && e.iter_var != e.accu_var &&
        !Mentions(e.loop_condition.get(), e.accu_var)) {
      const Expr& step = *e.loop_step;
      if (const Expr* x = AppendedElement(step, e.accu_var)) {
        element = x;
      } else if (step.kind == ExprKind::kCall &&
                 step.name == op::kConditional && step.target == nullptr &&
                 step.args.size() == 3 && IsIdent(*step.args[2], e.accu_var)) {
        element = AppendedElement(*step.args[1], e.accu_var);
        filter = step.args[0].get();
      }
      const CheckResult* checked = resolver_.checked();
      builder = element != nullptr && !Mentions(element, e.accu_var) &&
                !Mentions(filter, e.accu_var) &&
                (checked == nullptr || !checked->extensions.contains(step.id));
    }

    int iter_init = Emit(Op::kIterInit, -1, slot);
    if (builder) {
      out_.uses_builders = true;
      Emit(Op::kBuilderInit, 0, accu);
    } else {
      if (absl::Status s = Lower(*e.accu_init); !s.ok()) return s;
      Emit(Op::kStoreLocal, -1, accu);
    }
    const int loop = Here();
    int iter_next = Emit(Op::kIterNext, 0, slot);
    resolver_.PushLocal(e.accu_var, accu);
    resolver_.PushLocal(e.iter_var, slot + 1);
    std::vector<int> to_end;  // instructions whose b is Lend
    int loop_cond = -1;
    ++loop_depth_;
    if (!IsConstTrue(e.loop_condition.get())) {
      if (absl::Status s = Lower(*e.loop_condition); !s.ok()) return s;
      loop_cond = Emit(Op::kLoopCond, -1);
      to_end.push_back(loop_cond);
    }
    if (builder) {
      int cond_jump = -1;
      if (filter != nullptr) {
        if (absl::Status s = Lower(*filter); !s.ok()) return s;
        cond_jump = Emit(Op::kCondJump, -1);
      }
      if (absl::Status s = Lower(*element); !s.ok()) return s;
      Emit(Op::kAppend, -1, accu);
      Emit(Op::kJump, 0, loop);
      if (cond_jump >= 0) {
        // The condition failed: accu = the error, then go on.
        out_.code[cond_jump].b = Here();
        ++depth_;
        Emit(Op::kStoreLocal, -1, accu);
        out_.code[cond_jump].a = Here();  // false: accu stays
        Emit(Op::kJump, 0, loop);
      }
    } else {
      if (absl::Status s = Lower(*e.loop_step); !s.ok()) return s;
      Emit(Op::kStoreLocal, -1, accu);
      Emit(Op::kJump, 0, loop);
    }
    --loop_depth_;
    resolver_.PopLocal();  // iter_var is not in scope in the result
    const int exit = Here();
    out_.code[iter_next].b = exit;
    if (loop_cond >= 0) out_.code[loop_cond].a = exit;
    if (builder) {
      Emit(Op::kBuilderDone, +1, accu);
    } else if (absl::Status s = Lower(*e.result); !s.ok()) {
      return s;
    }
    resolver_.PopLocal();
    next_slot_ -= 3;
    const int end = Here();
    out_.code[iter_init].b = end;
    for (int i : to_end) out_.code[i].b = end;
    return absl::OkStatus();
  }

  Resolver resolver_;
  const FoldedConstants* folded_;
  Program::Impl& out_;
  absl::flat_hash_map<int, int> object_cache_;  // variable -> cache entry
  int depth_ = 0;
  int max_depth_ = 0;
  int loop_depth_ = 0;  // > 0 while lowering a loop condition or step
  int next_slot_ = 0;
  int max_slots_ = 0;
};

}  // namespace

absl::StatusOr<Program> Compile(const Expr& expr, const Env& env,
                                const CheckResult* checked,
                                const CompileOptions& options) {
  if (checked != nullptr && !checked->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot compile an expression with type errors: ",
                     checked->issues.front().message));
  }
  FoldedConstants folded;
  if (options.fold_constants) {
    folded = program_internal::FoldConstants(expr, env, checked);
  }
  auto impl = std::make_unique<Program::Impl>();
  impl->max_iterations = options.max_iterations;
  Lowerer lowerer(env, checked, options.fold_constants ? &folded : nullptr,
                  *impl);
  if (absl::Status s = lowerer.LowerRoot(expr); !s.ok()) return s;
  Program program;
  program.impl_ = std::move(impl);
  return program;
}

}  // namespace switchboard::cel
