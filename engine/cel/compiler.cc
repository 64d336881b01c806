// The CEL compiler: Compile() lowers a (checked) Expr into a flat vector of
// instructions for the stack machine of instructions.h (as cel-cpp's
// FlatExpression): names become variable indexes, `var.field` on an object
// variable becomes one field load by index, comprehension variables live in
// numbered local slots, calls are bound to built-ins or host extensions,
// calls whose arguments are all constants are folded, a constant `matches`
// pattern is compiled once with RE2, and `&&`, `||`, `?:` and comprehensions
// become jumps. Lowering also computes the stack depth the evaluator needs,
// so that it never grows its stack.
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
#include "absl/types/span.h"
#include "engine/cel/functions.h"
#include "engine/cel/instructions.h"
#include "engine/cel/operations.h"
#include "engine/cel/program.h"
#include "re2/re2.h"

namespace switchboard::cel {
namespace {

using program_internal::AndMerge;
using program_internal::AsLogicError;
using program_internal::ExtOverload;
using program_internal::ExtSet;
using program_internal::FieldRef;
using program_internal::FirstError;
using program_internal::Instr;
using program_internal::MakeList;
using program_internal::MakeMap;
using program_internal::NoSuchOverload;
using program_internal::Op;
using program_internal::OrMerge;
using program_internal::SelectField;

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

class Compiler {
 public:
  Compiler(const Env& env, const CheckResult* checked,
           const CompileOptions& options, Program::Impl& out)
      : env_(env), checked_(checked), options_(options), out_(out) {}

  absl::Status CompileRoot(const Expr& e) {
    // About one instruction per node (the checker typed every node): size
    // the code once instead of growing it instruction by instruction.
    if (checked_ != nullptr) {
      out_.code.reserve(checked_->types.size() + 1);
      out_.constants.reserve(checked_->types.size() / 2 + 1);
    }
    absl::Status s = Compile(e);
    Emit(Op::kHalt, 0);
    out_.max_stack = std::max(max_depth_, 1);
    out_.num_locals = max_slots_;
    return s;
  }

 private:
  struct Local {
    std::string_view name;
    int slot;
  };

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

  // Replaces the code from `start` (which pushed `pushed` values) with one
  // constant.
  void ReplaceWithConstant(int start, int pushed, Value v) {
    out_.code.resize(start);
    depth_ -= pushed;
    EmitConstant(std::move(v));
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

  int AddField(const ObjectType* type, int field, std::string name) {
    out_.fields.push_back(FieldRef{type, field, std::move(name)});
    return static_cast<int>(out_.fields.size()) - 1;
  }

  // A copy of folded value `v` whose strings (also inside lists and maps)
  // view the program's own storage, so that pushing it at run time copies
  // no reference-counted bytes.
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

  // ---- name resolution ----

  const Local* FindLocal(std::string_view name) const {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
      if (it->name == name) return &*it;
    }
    return nullptr;
  }

  // The identifier at the root of a chain of (non-test) selects, or null.
  static const Expr* ChainRoot(const Expr& e) {
    const Expr* cur = &e;
    while (cur->kind == ExprKind::kSelect && !cur->test_only &&
           cur->target != nullptr) {
      cur = cur->target.get();
    }
    return cur->kind == ExprKind::kIdent ? cur : nullptr;
  }

  // "a.b.c" for the chain ending at `e` (whose root is an ident).
  static void QualifiedName(const Expr& e, std::string* out) {
    if (e.kind == ExprKind::kSelect) {
      QualifiedName(*e.target, out);
      out->push_back('.');
    }
    out->append(e.name);
  }

  // The variable that the whole of `e` (an ident or a chain of selects on
  // one) names, or -1. Comprehension variables shadow Env variables.
  int ResolveVariable(const Expr& e) const {
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

  const Type* VariableType(int var) const {
    if (var < 0 || var >= static_cast<int>(env_.variables().size())) {
      return nullptr;
    }
    return &env_.variables()[var].type;
  }

  // ---- expressions ----

  absl::Status Compile(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kConstant:
        EmitConstant(ConstantValue(e.constant));
        return absl::OkStatus();
      case ExprKind::kIdent:
        CompileIdent(e);
        return absl::OkStatus();
      case ExprKind::kSelect:
        return CompileSelect(e);
      case ExprKind::kCall:
        return CompileCall(e);
      case ExprKind::kList:
        return CompileList(e);
      case ExprKind::kMap:
        return CompileMap(e);
      case ExprKind::kComprehension:
        return CompileComprehension(e);
    }
    EmitConstant(NoSuchOverload());
    return absl::OkStatus();
  }

  Value ConstantValue(const Constant& c) {
    switch (c.kind) {
      case Constant::Kind::kNull:
        return Value::Null();
      case Constant::Kind::kBool:
        return Value::Bool(c.bool_value);
      case Constant::Kind::kInt:
        return Value::Int(c.int_value);
      case Constant::Kind::kDouble:
        return Value::Double(c.double_value);
      case Constant::Kind::kString:
        return InternString(c.string_value);
      case Constant::Kind::kUint:
        return Value::Error(ErrorCode::kNoSuchOverload,
                            "uint values are not supported");
      case Constant::Kind::kBytes:
        return Value::Error(ErrorCode::kNoSuchOverload,
                            "bytes values are not supported");
    }
    return NoSuchOverload();
  }

  void CompileIdent(const Expr& e) {
    if (const Local* local = FindLocal(e.name)) {
      Emit(Op::kLoadLocal, +1, local->slot);
      return;
    }
    int var = ResolveVariable(e);
    if (var >= 0) {
      Emit(Op::kLoadVar, +1, var);
      return;
    }
    EmitConstant(
        Value::Error(ErrorCode::kUnknownVariable,
                     absl::StrCat("undeclared reference to '", e.name, "'")));
  }

  absl::Status CompileSelect(const Expr& e) {
    if (e.target == nullptr) {
      EmitConstant(NoSuchOverload());
      return absl::OkStatus();
    }
    if (int var = ResolveVariable(e); var >= 0) {
      Emit(Op::kLoadVar, +1, var);
      return absl::OkStatus();
    }
    const Expr& operand = *e.target;
    // `object_variable.field`: one instruction.
    if (int var = ResolveVariable(operand); var >= 0) {
      const Type* type = VariableType(var);
      if (type != nullptr && type->kind() == TypeKind::kObject) {
        int field = type->object()->FindField(e.name);
        if (field >= 0) {
          int ref = AddField(type->object(), field, e.name);
          auto [it, added] =
              object_cache_.try_emplace(var, out_.num_cached_objects);
          if (added) ++out_.num_cached_objects;
          out_.fields[ref].cache = it->second;
          Emit(e.test_only ? Op::kHasField : Op::kLoadField, +1, var, 0, ref);
          return absl::OkStatus();
        }
      }
    }
    int start = Here();
    if (absl::Status s = Compile(operand); !s.ok()) return s;
    const ObjectType* type = nullptr;
    int field = -1;
    if (checked_ != nullptr) {
      const Type* operand_type = checked_->types.Find(operand.id);
      if (operand_type != nullptr &&
          operand_type->kind() == TypeKind::kObject) {
        type = operand_type->object();
        field = type->FindField(e.name);
      }
    }
    FieldRef ref{type, field, e.name};
    if (options_.fold_constants) {
      if (const Value* c = ConstantAt(start)) {
        ReplaceWithConstant(start, 1,
                            Internalize(SelectField(*c, ref, e.test_only)));
        return absl::OkStatus();
      }
    }
    Emit(e.test_only ? Op::kTestSelect : Op::kSelect, 0, 0, 0,
         AddField(type, field, e.name));
    return absl::OkStatus();
  }

  // Compiles the receiver (if any) and the arguments; `last_start` is where
  // the code of the last one begins.
  absl::Status CompileArgs(const Expr& e, int* argc, int* last_start) {
    *argc = 0;
    *last_start = Here();
    if (e.target != nullptr) {
      if (absl::Status s = Compile(*e.target); !s.ok()) return s;
      ++*argc;
    }
    for (const auto& arg : e.args) {
      *last_start = Here();
      if (absl::Status s = Compile(*arg); !s.ok()) return s;
      ++*argc;
    }
    return absl::OkStatus();
  }

  // The constants pushed by the code from `start` when it is nothing but
  // `n` constant pushes.
  bool AllConstants(int start, int n, std::vector<Value>* values) const {
    if (Here() - start != n) return false;
    values->clear();
    for (int i = start; i < Here(); ++i) {
      if (out_.code[i].op != Op::kConst) return false;
      values->push_back(out_.constants[out_.code[i].a]);
    }
    return true;
  }

  absl::Status CompileCall(const Expr& e) {
    const std::string& fn = e.name;
    if (e.target == nullptr) {
      if (fn == op::kLogicalAnd && e.args.size() == 2) {
        return CompileLogic(e, /*is_and=*/true);
      }
      if (fn == op::kLogicalOr && e.args.size() == 2) {
        return CompileLogic(e, /*is_and=*/false);
      }
      if (fn == op::kConditional && e.args.size() == 3) {
        return CompileConditional(e);
      }
    }
    const bool receiver = e.target != nullptr;
    const int argc = static_cast<int>(e.args.size()) + (receiver ? 1 : 0);

    // Host extensions: the overload the checker chose, or unchecked, every
    // overload of that name and arity. Either way the arguments' kinds are
    // checked at run time before the host is called (a dyn argument may
    // hold anything), as CEL's dispatch does.
    ExtSet set;
    std::optional<int> chosen;
    if (checked_ != nullptr) {
      auto it = checked_->extensions.find(e.id);
      if (it != checked_->extensions.end()) chosen = it->second;
    }
    if (checked_ == nullptr || chosen.has_value()) {
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
    }
    if (!set.overloads.empty()) {
      set.fallback = FindBuiltin(fn, receiver, argc);
      int n = 0, last = 0;
      if (absl::Status s = CompileArgs(e, &n, &last); !s.ok()) return s;
      out_.ext_sets.push_back(std::move(set));
      Emit(Op::kCallExt, 1 - n, static_cast<int>(out_.ext_sets.size()) - 1, n,
           AddName(fn));
      return absl::OkStatus();
    }

    std::optional<Builtin> builtin = FindBuiltin(fn, receiver, argc);
    int start = Here();
    int n = 0, last = 0;
    if (absl::Status s = CompileArgs(e, &n, &last); !s.ok()) return s;
    if (!builtin.has_value()) {
      Emit(Op::kCallUnknown, 1 - n, 0, n, AddName(fn));
      return absl::OkStatus();
    }

    // `s.matches('constant')`: compile the pattern once.
    if (*builtin == Builtin::kMatches && n == 2 && ConstantAt(last) &&
        ConstantAt(last)->kind() == ValueKind::kString) {
      std::string pattern(out_.constants[out_.code.back().a].string_value());
      auto re = std::make_unique<re2::RE2>(pattern, re2::RE2::Quiet);
      if (!re->ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid regular expression '", pattern, "': ", re->error()));
      }
      out_.code.pop_back();
      --depth_;
      std::vector<Value> values;
      if (options_.fold_constants && AllConstants(start, 1, &values)) {
        const Value& subject = values[0];
        ReplaceWithConstant(start, 1,
                            subject.is_error()
                                ? subject
                                : Internalize(MatchesRegex(subject, *re)));
        return absl::OkStatus();
      }
      out_.regexes.push_back(std::move(re));
      Emit(Op::kMatchRe, 0, static_cast<int>(out_.regexes.size()) - 1, 0,
           AddName(pattern));
      return absl::OkStatus();
    }

    if (options_.fold_constants) {
      std::vector<Value> values;
      if (AllConstants(start, n, &values)) {
        Value result;
        if (*builtin == Builtin::kNotStrictlyFalse) {
          result = CallBuiltin(*builtin, values);
        } else if (const Value* err = FirstError(values)) {
          result = *err;
        } else {
          result = CallBuiltin(*builtin, values);
        }
        ReplaceWithConstant(start, n, Internalize(result));
        return absl::OkStatus();
      }
    }

    // `object.field OP constant`, the commonest condition, and `x OP
    // constant` on a comprehension variable: one instruction.
    if (n == 2 && Here() - start == 2 &&
        (out_.code[start].op == Op::kLoadField ||
         out_.code[start].op == Op::kLoadLocal) &&
        out_.code[start + 1].op == Op::kConst &&
        (*builtin == Builtin::kEquals || *builtin == Builtin::kNotEquals ||
         *builtin == Builtin::kLess || *builtin == Builtin::kLessEquals ||
         *builtin == Builtin::kGreater ||
         *builtin == Builtin::kGreaterEquals)) {
      Instr fused = out_.code[start];
      fused.op =
          fused.op == Op::kLoadField ? Op::kFieldCompare : Op::kLocalCompare;
      fused.fn = static_cast<uint8_t>(*builtin);
      fused.b = out_.code[start + 1].a;
      out_.code.resize(start);
      out_.code.push_back(fused);
      depth_ -= 1;
      return absl::OkStatus();
    }

    switch (*builtin) {
      case Builtin::kNotStrictlyFalse:
        Emit(Op::kNotStrictlyFalse, 1 - n, static_cast<int>(*builtin), n,
             AddName(fn));
        break;
      case Builtin::kEquals:
        Emit(Op::kEquals, 1 - n, static_cast<int>(*builtin), n, AddName(fn));
        break;
      case Builtin::kNotEquals:
        Emit(Op::kNotEquals, 1 - n, static_cast<int>(*builtin), n, AddName(fn));
        break;
      case Builtin::kLess:
      case Builtin::kLessEquals:
      case Builtin::kGreater:
      case Builtin::kGreaterEquals:
        Emit(n == 2 ? Op::kCompare : Op::kCall, 1 - n,
             static_cast<int>(*builtin), n, AddName(fn));
        break;
      case Builtin::kLogicalNot:
        Emit(n == 1 ? Op::kNot : Op::kCall, 1 - n, static_cast<int>(*builtin),
             n, AddName(fn));
        break;
      default:
        Emit(Op::kCall, 1 - n, static_cast<int>(*builtin), n, AddName(fn));
        out_.code.back().charge = loop_depth_ > 0;
        break;
    }
    return absl::OkStatus();
  }

  absl::Status CompileLogic(const Expr& e, bool is_and) {
    int start = Here();
    if (absl::Status s = Compile(*e.args[0]); !s.ok()) return s;
    std::optional<Value> left;
    if (options_.fold_constants && ConstantAt(start) != nullptr) {
      left = *ConstantAt(start);
    }
    int jump = Emit(is_and ? Op::kAndJump : Op::kOrJump, 0);
    int right_start = Here();
    if (absl::Status s = Compile(*e.args[1]); !s.ok()) return s;
    if (left.has_value()) {
      // false && x = false; true || x = true (x is compiled anyway, so that
      // its mistakes, such as a bad pattern, are reported).
      const Value* right = ConstantAt(right_start);
      std::optional<Value> result;
      if (left->is_bool() && left->bool_value() != is_and) {
        result = *left;
      } else if (right != nullptr) {
        result = is_and ? AndMerge(*left, *right) : OrMerge(*left, *right);
      }
      if (result.has_value()) {
        out_.code.resize(start);
        depth_ -= 2;
        EmitConstant(std::move(*result));
        return absl::OkStatus();
      }
    }
    Emit(is_and ? Op::kAndMerge : Op::kOrMerge, -1);
    out_.code[jump].a = Here();
    return absl::OkStatus();
  }

  absl::Status CompileConditional(const Expr& e) {
    int start = Here();
    if (absl::Status s = Compile(*e.args[0]); !s.ok()) return s;
    if (options_.fold_constants) {
      if (const Value* cond = ConstantAt(start)) {
        if (cond->is_bool()) {
          bool which = cond->bool_value();
          out_.code.resize(start);
          depth_ -= 1;
          if (absl::Status s = Compile(*e.args[which ? 1 : 2]); !s.ok()) {
            return s;
          }
          // Compile the other branch for its mistakes, then drop it.
          int other = Here();
          if (absl::Status s = Compile(*e.args[which ? 2 : 1]); !s.ok()) {
            return s;
          }
          out_.code.resize(other);
          depth_ -= 1;
          return absl::OkStatus();
        }
        Value err = AsLogicError(*cond);
        ReplaceWithConstant(start, 1, std::move(err));
        return absl::OkStatus();
      }
    }
    int cond_jump = Emit(Op::kCondJump, -1);
    if (absl::Status s = Compile(*e.args[1]); !s.ok()) return s;
    int jump_end = Emit(Op::kJump, -1);  // the else branch starts empty
    out_.code[cond_jump].a = Here();
    if (absl::Status s = Compile(*e.args[2]); !s.ok()) return s;
    out_.code[cond_jump].b = Here();
    out_.code[jump_end].a = Here();
    return absl::OkStatus();
  }

  absl::Status CompileList(const Expr& e) {
    int start = Here();
    for (const auto& element : e.args) {
      if (absl::Status s = Compile(*element); !s.ok()) return s;
    }
    int n = static_cast<int>(e.args.size());
    std::vector<Value> values;
    if (options_.fold_constants && AllConstants(start, n, &values)) {
      ReplaceWithConstant(start, n, MakeList(absl::MakeSpan(values)));
      return absl::OkStatus();
    }
    Emit(Op::kList, 1 - n, 0, n);
    return absl::OkStatus();
  }

  absl::Status CompileMap(const Expr& e) {
    int start = Here();
    for (const auto& part : e.args) {
      if (absl::Status s = Compile(*part); !s.ok()) return s;
    }
    int n = static_cast<int>(e.args.size());
    if (n % 2 != 0) {
      // Malformed tree; cannot come from the parser.
      out_.code.resize(start);
      depth_ -= n;
      EmitConstant(NoSuchOverload());
      return absl::OkStatus();
    }
    std::vector<Value> values;
    if (options_.fold_constants && AllConstants(start, n, &values)) {
      ReplaceWithConstant(start, n, MakeMap(absl::MakeSpan(values)));
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
  absl::Status CompileComprehension(const Expr& e) {
    if (!e.iter_range || !e.accu_init || !e.loop_condition || !e.loop_step ||
        !e.result) {
      EmitConstant(NoSuchOverload());
      return absl::OkStatus();
    }
    if (absl::Status s = Compile(*e.iter_range); !s.ok()) return s;
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
      builder =
          element != nullptr && !Mentions(element, e.accu_var) &&
          !Mentions(filter, e.accu_var) &&
          (checked_ == nullptr || !checked_->extensions.contains(step.id));
    }

    int iter_init = Emit(Op::kIterInit, -1, slot);
    if (builder) {
      out_.uses_builders = true;
      Emit(Op::kBuilderInit, 0, accu);
    } else {
      if (absl::Status s = Compile(*e.accu_init); !s.ok()) return s;
      Emit(Op::kStoreLocal, -1, accu);
    }
    const int loop = Here();
    int iter_next = Emit(Op::kIterNext, 0, slot);
    locals_.push_back(Local{e.accu_var, accu});
    locals_.push_back(Local{e.iter_var, slot + 1});
    std::vector<int> to_end;  // instructions whose b is Lend
    int loop_cond = -1;
    ++loop_depth_;
    if (!IsConstTrue(e.loop_condition.get())) {
      if (absl::Status s = Compile(*e.loop_condition); !s.ok()) return s;
      loop_cond = Emit(Op::kLoopCond, -1);
      to_end.push_back(loop_cond);
    }
    if (builder) {
      int cond_jump = -1;
      if (filter != nullptr) {
        if (absl::Status s = Compile(*filter); !s.ok()) return s;
        cond_jump = Emit(Op::kCondJump, -1);
      }
      if (absl::Status s = Compile(*element); !s.ok()) return s;
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
      if (absl::Status s = Compile(*e.loop_step); !s.ok()) return s;
      Emit(Op::kStoreLocal, -1, accu);
      Emit(Op::kJump, 0, loop);
    }
    --loop_depth_;
    locals_.pop_back();  // iter_var is not in scope in the result
    const int exit = Here();
    out_.code[iter_next].b = exit;
    if (loop_cond >= 0) out_.code[loop_cond].a = exit;
    if (builder) {
      Emit(Op::kBuilderDone, +1, accu);
    } else if (absl::Status s = Compile(*e.result); !s.ok()) {
      return s;
    }
    locals_.pop_back();
    next_slot_ -= 3;
    const int end = Here();
    out_.code[iter_init].b = end;
    for (int i : to_end) out_.code[i].b = end;
    return absl::OkStatus();
  }

  const Env& env_;
  const CheckResult* checked_;
  const CompileOptions& options_;
  Program::Impl& out_;
  std::vector<Local> locals_;
  absl::flat_hash_map<int, int> object_cache_;  // variable -> cache entry
  int depth_ = 0;
  int max_depth_ = 0;
  int loop_depth_ = 0;  // > 0 while compiling a loop condition or step
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
  auto impl = std::make_unique<Program::Impl>();
  impl->max_iterations = options.max_iterations;
  Compiler compiler(env, checked, options, *impl);
  if (absl::Status s = compiler.CompileRoot(expr); !s.ok()) return s;
  Program program;
  program.impl_ = std::move(impl);
  return program;
}

}  // namespace switchboard::cel
