// The CEL compiler and evaluator. Compile() lowers an Expr into a flat
// vector of instructions for a small stack machine (as cel-cpp's
// FlatExpression): names become variable indexes, `var.field` on an object
// variable becomes one field load by index, comprehension variables live in
// numbered local slots, calls are bound to built-ins or host extensions, and
// `&&`, `||`, `?:` and comprehensions become jumps. Evaluate() runs the
// instructions over a value stack whose depth was computed at compile time,
// so the common condition does not allocate.
//
// Work per evaluation is bounded by CompileOptions::max_iterations: each
// comprehension step costs one unit, and so does each element of a list or
// map (and each 64 bytes of a string) that a built-in call inside a loop body
// builds, so that neither many steps nor heavy steps can hang the engine.
//
// Lifetime: constant strings are views of the program's own storage, so a
// result that is (or contains) a constant string is valid while the Program
// lives; like the values an Activation hands out, callers that keep a result
// copy it first.
//
// This file's external interface is just Compile() and Program.
#include "engine/cel/program.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "engine/cel/functions.h"
#include "re2/re2.h"

namespace switchboard::cel {
namespace program_internal {

// The instruction set. Stack effects are noted as (pops -> pushes).
enum class Op : uint8_t {
  kConst,         // (0 -> 1) constants[a]
  kLoadVar,       // (0 -> 1) variable a
  kLoadField,     // (0 -> 1) field fields[c] of object variable a
  kFieldCompare,  // (0 -> 1) field fields[c] of variable a compared with
                  //          constants[b] by built-in fn (==, !=, <, ...)
  kHasField,      // (0 -> 1) has(): presence of field fields[c] of variable a
  kLoadLocal,     // (0 -> 1) locals[a]
  kLocalCompare,  // (0 -> 1) locals[a] compared with constants[b] by fn
  kSelect,        // (1 -> 1) operand.fields[c] (object field or map key)
  kTestSelect,    // (1 -> 1) has(operand.fields[c])
  kCall,          // (b -> 1) built-in a with b arguments; names[c] for Dump
  kNotStrictlyFalse,  // (1 -> 1) @not_strictly_false: no error propagation
  kEquals,            // (2 -> 1) ==
  kNotEquals,         // (2 -> 1) !=
  kCompare,           // (2 -> 1) <, <=, >, >= (built-in a), with fast paths
  kNot,               // (1 -> 1) !
  kCallExt,           // (b -> 1) the host extension of ext_sets[a] that fits
  kCallUnknown,       // (b -> 1) a function nobody declares: names[c]
  kMatchRe,           // (1 -> 1) operand.matches(regexes[a])
  kList,              // (b -> 1) a list of the top b values
  kMap,               // (2b -> 1) a map of the top b key/value pairs
  kJump,              // (0 -> 0) go to a
  kAndJump,           // (0 -> 0) if the top is false, go to a (keeping it)
  kAndMerge,          // (2 -> 1) combine the operands of && (left not false)
  kOrJump,            // (0 -> 0) if the top is true, go to a (keeping it)
  kOrMerge,           // (2 -> 1) combine the operands of || (left not true)
  kCondJump,          // (1 -> 0) ?: condition: true: go on; false: go to a;
                      //          else push an error and go to b
  kIterInit,          // (1 -> 0) comprehension range into slot a (with its
                      //          position); a bad range: push error, go to b
  kIterNext,     // (0 -> 0) next element into slot a+1, or go to b when done
  kLoopCond,     // (1 -> 0) loop condition: false: go to a; true: go on;
                 //          else push an error and go to b
  kStoreLocal,   // (1 -> 0) locals[a] = top
  kBuilderInit,  // (0 -> 0) start an empty list accumulator in slot a
  kAppend,       // (1 -> 0) append the top to the accumulator in slot a
  kBuilderDone,  // (0 -> 1) the accumulated list of slot a (or its error)
  kHalt,         // (0 -> 0) the end: the result is the one value left
};

struct Instr {
  Op op;
  uint8_t fn = 0;  // kFieldCompare, kLocalCompare: the Builtin
  // kCall inside a loop body: the size of the list, map or string it builds
  // counts against max_iterations too, so that a loop cannot do unbounded
  // work per step (`l.map(x, l + l)`).
  bool charge = false;
  int32_t a = 0;
  int32_t b = 0;
  int32_t c = 0;
};

// A field selection: by index when the operand is an object of the declared
// type (the common case), else by name.
struct FieldRef {
  const ObjectType* type = nullptr;
  int field = -1;
  std::string name;
  int cache = -1;  // kLoadField & co.: the variable's object cache entry
};

// An overload of a host extension, for run-time dispatch.
struct ExtOverload {
  int id = 0;
  std::vector<Type> params;
};

// The overloads of one extension call site (the checker's choice, or
// unchecked, all of that name and arity), and the built-in of the same name,
// if any, for arguments that fit none of them.
struct ExtSet {
  std::vector<ExtOverload> overloads;
  std::optional<Builtin> fallback;
};

}  // namespace program_internal

using program_internal::ExtOverload;
using program_internal::ExtSet;
using program_internal::FieldRef;
using program_internal::Instr;
using program_internal::Op;

struct Program::Impl {
  std::vector<Instr> code;
  std::vector<Value> constants;
  // Bytes that constant strings view. Each string is held through a pointer
  // so that it never moves as more are added (instructions hold views into
  // them); unlike std::deque, an empty vector allocates nothing, and most
  // programs have no string constants.
  std::vector<std::unique_ptr<std::string>> strings;
  std::vector<std::unique_ptr<re2::RE2>> regexes;
  std::vector<FieldRef> fields;
  std::vector<std::string> names;
  std::vector<ExtSet> ext_sets;
  int max_stack = 1;
  int num_locals = 0;
  bool uses_builders = false;
  int64_t max_iterations = 0;
  // Object variables whose fields are read by index; each is fetched and
  // type-checked once per evaluation (FieldRef::cache).
  int num_cached_objects = 0;
};

namespace {

// ---------------------------------------------------------------------------
// Run-time helpers shared by the evaluator and constant folding.

// The first error among `args`, or null.
const Value* FirstError(absl::Span<const Value> args) {
  for (const Value& v : args) {
    if (v.is_error()) return &v;
  }
  return nullptr;
}

Value NoSuchOverload() { return Value::Error(ErrorCode::kNoSuchOverload); }

// `v` as an operand of && / || / ?:, where anything but a bool is an error.
Value AsLogicError(const Value& v) {
  return v.is_error() ? v : NoSuchOverload();
}

// Combines `left && right` when left is not false.
Value AndMerge(const Value& left, const Value& right) {
  if (right.is_bool() && !right.bool_value()) return right;
  if (left.is_bool()) {  // true
    return right.is_bool() ? right : AsLogicError(right);
  }
  return AsLogicError(left);
}

// Combines `left || right` when left is not true.
Value OrMerge(const Value& left, const Value& right) {
  if (right.is_bool() && right.bool_value()) return right;
  if (left.is_bool()) {  // false
    return right.is_bool() ? right : AsLogicError(right);
  }
  return AsLogicError(left);
}

// operand.name (or has(operand.name) when `test`) by name or field index.
Value SelectField(const Value& operand, const FieldRef& ref, bool test) {
  switch (operand.kind()) {
    case ValueKind::kError:
      return operand;
    case ValueKind::kObject: {
      const ObjectValue* object = operand.object_value();
      if (object == nullptr) return NoSuchOverload();
      const ObjectType& type = object->type();
      int field = &type == ref.type ? ref.field : type.FindField(ref.name);
      if (field < 0) {
        return Value::Error(ErrorCode::kNoSuchField,
                            absl::StrCat("no such field '", ref.name, "'"));
      }
      return test ? Value::Bool(object->HasField(field))
                  : object->GetField(field);
    }
    case ValueKind::kMap: {
      const Value* found =
          operand.map_value().Find(Value::StringView(ref.name));
      if (test) return Value::Bool(found != nullptr);
      if (found != nullptr) return *found;
      return Value::Error(ErrorCode::kNoSuchKey,
                          absl::StrCat("no such key: '", ref.name, "'"));
    }
    default:
      return Value::Error(
          ErrorCode::kNoSuchOverload,
          absl::StrCat("type '", std::string(Value::KindName(operand.kind())),
                       "' does not support field selection"));
  }
}

// Whether a run-time value fits a declared parameter type, before a host
// extension is called (lists and maps: their kind only).
bool KindFits(const Value& v, const Type& t) {
  switch (t.kind()) {
    case TypeKind::kDyn:
    case TypeKind::kTypeParam:
      return true;
    case TypeKind::kNull:
      return v.kind() == ValueKind::kNull;
    case TypeKind::kBool:
      return v.kind() == ValueKind::kBool;
    case TypeKind::kInt:
      return v.kind() == ValueKind::kInt;
    case TypeKind::kDouble:
      return v.kind() == ValueKind::kDouble;
    case TypeKind::kString:
      return v.kind() == ValueKind::kString;
    case TypeKind::kDuration:
      return v.kind() == ValueKind::kDuration;
    case TypeKind::kTimestamp:
      return v.kind() == ValueKind::kTimestamp;
    case TypeKind::kList:
      return v.kind() == ValueKind::kList;
    case TypeKind::kMap:
      return v.kind() == ValueKind::kMap;
    case TypeKind::kObject:
      return v.kind() == ValueKind::kObject && v.object_value() != nullptr &&
             &v.object_value()->type() == t.object();
    default:
      return false;
  }
}

// Calls the first overload of `set` whose parameters fit the arguments.
Value CallExtension(const ExtSet& set, absl::Span<const Value> args,
                    const Activation& activation) {
  for (const ExtOverload& o : set.overloads) {
    if (o.params.size() != args.size()) continue;
    bool fits = true;
    for (size_t i = 0; i < args.size() && fits; ++i) {
      fits = KindFits(args[i], o.params[i]);
    }
    if (fits) return activation.CallExtension(o.id, args);
  }
  if (set.fallback.has_value()) return CallBuiltin(*set.fallback, args);
  return NoSuchOverload();
}

// Inline fast paths; nullopt when the general function must decide.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline std::optional<bool> FastEquals(
    const Value& l, const Value& r) {
  if (l.kind() != r.kind()) return std::nullopt;
  switch (l.kind()) {
    case ValueKind::kInt:
      return l.int_value() == r.int_value();
    case ValueKind::kBool:
      return l.bool_value() == r.bool_value();
    case ValueKind::kString:
      return l.string_value() == r.string_value();
    default:
      return std::nullopt;
  }
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline std::optional<bool> FastCompare(
    Builtin fn, const Value& l, const Value& r) {
  if (l.kind() != r.kind()) return std::nullopt;
  int c;
  switch (l.kind()) {
    case ValueKind::kInt: {
      int64_t x = l.int_value(), y = r.int_value();
      c = x < y ? -1 : (x > y ? 1 : 0);
      break;
    }
    case ValueKind::kDouble: {
      double x = l.double_value(), y = r.double_value();
      switch (fn) {  // NaN compares false either way
        case Builtin::kLess:
          return x < y;
        case Builtin::kLessEquals:
          return x <= y;
        case Builtin::kGreater:
          return x > y;
        default:
          return x >= y;
      }
    }
    case ValueKind::kString:
      c = l.string_value().compare(r.string_value());
      break;
    default:
      return std::nullopt;
  }
  switch (fn) {
    case Builtin::kLess:
      return c < 0;
    case Builtin::kLessEquals:
      return c <= 0;
    case Builtin::kGreater:
      return c > 0;
    default:
      return c >= 0;
  }
}

// l OP r for <, <=, >, >= (built-in `fn`), errors first.
Value Compare(Builtin fn, const Value& l, const Value& r) {
  if (std::optional<bool> c = FastCompare(fn, l, r)) return Value::Bool(*c);
  if (l.is_error()) return l;
  if (r.is_error()) return r;
  const Value args[2] = {l, r};
  return CallBuiltin(fn, args);
}

// l == r (or !=), errors first.
Value Equals(const Value& l, const Value& r, bool negate) {
  if (l.is_error()) return l;
  if (r.is_error()) return r;
  return Value::Bool(ValueEquals(l, r) != negate);
}

Value MakeList(absl::Span<Value> elements) {
  if (const Value* e = FirstError(elements)) return *e;
  return Value::List(
      std::vector<Value>(std::make_move_iterator(elements.begin()),
                         std::make_move_iterator(elements.end())));
}

Value MakeMap(absl::Span<Value> kv) {
  if (const Value* e = FirstError(kv)) return *e;
  std::vector<std::pair<Value, Value>> entries;
  entries.reserve(kv.size() / 2);
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    entries.emplace_back(std::move(kv[i]), std::move(kv[i + 1]));
  }
  return Value::Map(std::move(entries));
}

// ---------------------------------------------------------------------------
// The compiler.

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

const char* BuiltinOperator(uint8_t fn) {
  switch (static_cast<Builtin>(fn)) {
    case Builtin::kEquals:
      return "_==_";
    case Builtin::kNotEquals:
      return "_!=_";
    case Builtin::kLess:
      return "_<_";
    case Builtin::kLessEquals:
      return "_<=_";
    case Builtin::kGreater:
      return "_>_";
    case Builtin::kGreaterEquals:
      return "_>=_";
    default:
      return "?";
  }
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kConst:
      return "const";
    case Op::kLoadVar:
      return "load_var";
    case Op::kLoadField:
      return "load_field";
    case Op::kFieldCompare:
      return "field_compare";
    case Op::kHasField:
      return "has_field";
    case Op::kLoadLocal:
      return "load_local";
    case Op::kLocalCompare:
      return "local_compare";
    case Op::kSelect:
      return "select";
    case Op::kTestSelect:
      return "test_select";
    case Op::kCall:
      return "call";
    case Op::kNotStrictlyFalse:
      return "not_strictly_false";
    case Op::kEquals:
      return "eq";
    case Op::kNotEquals:
      return "ne";
    case Op::kCompare:
      return "compare";
    case Op::kNot:
      return "not";
    case Op::kCallExt:
      return "call_ext";
    case Op::kCallUnknown:
      return "call_unknown";
    case Op::kMatchRe:
      return "matches_re";
    case Op::kList:
      return "list";
    case Op::kMap:
      return "map";
    case Op::kJump:
      return "jump";
    case Op::kAndJump:
      return "and_jump";
    case Op::kAndMerge:
      return "and_merge";
    case Op::kOrJump:
      return "or_jump";
    case Op::kOrMerge:
      return "or_merge";
    case Op::kCondJump:
      return "cond_jump";
    case Op::kIterInit:
      return "iter_init";
    case Op::kIterNext:
      return "iter_next";
    case Op::kLoopCond:
      return "loop_cond";
    case Op::kStoreLocal:
      return "store_local";
    case Op::kBuilderInit:
      return "builder_init";
    case Op::kAppend:
      return "append";
    case Op::kBuilderDone:
      return "builder_done";
    case Op::kHalt:
      return "halt";
  }
  return "?";
}

}  // namespace

Program::Program() = default;
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;
Program::~Program() = default;

namespace {

// One entry of the value stack: raw storage in which a Value is constructed
// when pushed and destroyed when popped, so that results are built in place
// (no temporary and move per instruction) and unused entries cost nothing.
union Slot {
  Slot() {}
  ~Slot() {}
  Value v;
};

// Destroys the entries in [from, to).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void DestroySlots(Slot* from, Slot* to) {
  for (; from != to; ++from) from->v.~Value();
}

// Object variables read by field index, fetched and type-checked once per
// evaluation (the Activation keeps them valid until Evaluate returns).
class ObjectCache {
 public:
  explicit ObjectCache(int n) {
    if (n > kInline) {
      heap_ = std::make_unique<Entry[]>(n);
      entries_ = heap_.get();
    } else {
      entries_ = inline_;
    }
    for (int i = 0; i < n; ++i) entries_[i] = Entry{nullptr, false};
  }

  // The object of variable `var` if it has the declared type of `ref`, else
  // null (then the caller takes the general path).
  ABSL_ATTRIBUTE_ALWAYS_INLINE const ObjectValue* Get(
      const Activation& activation, int var, const FieldRef& ref) {
    Entry& e = entries_[ref.cache];
    if (!e.loaded) Load(activation, var, ref, e);
    return e.object;
  }

 private:
  static constexpr int kInline = 8;
  struct Entry {  // trivial, so that unused entries cost nothing
    const ObjectValue* object;
    bool loaded;
  };

  static void Load(const Activation& activation, int var, const FieldRef& ref,
                   Entry& e) {
    e.loaded = true;
    Value v = activation.GetVariable(var);
    if (v.kind() == ValueKind::kObject && v.object_value() != nullptr &&
        &v.object_value()->type() == ref.type) {
      e.object = v.object_value();
    }
  }

  Entry inline_[kInline];
  std::unique_ptr<Entry[]> heap_;
  Entry* entries_;
};

// The value stack: raw entries, inline up to a size, else on the heap.
class SlotArray {
 public:
  explicit SlotArray(int n) {
    if (n > kInline) {
      heap_ = std::make_unique<Slot[]>(n);
      data_ = heap_.get();
    } else {
      data_ = inline_;
    }
  }
  Slot* data() { return data_; }

 private:
  static constexpr int kInline = 16;
  Slot inline_[kInline];
  std::unique_ptr<Slot[]> heap_;
  Slot* data_;
};

// What building `v` cost, in units of max_iterations: one per list or map
// element, one per 64 bytes of a string.
int64_t WorkUnits(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kList:
      return static_cast<int64_t>(v.list_value().size());
    case ValueKind::kMap:
      return static_cast<int64_t>(v.map_value().size());
    case ValueKind::kString:
      return static_cast<int64_t>(v.string_value().size() / 64);
    default:
      return 0;
  }
}

// A comprehension's local: a value (the accumulator; the range), or for the
// iteration variable a pointer to the current element of the range, which
// the range slot keeps alive (no reference counting per step).
struct LocalSlot {
  Value value;
  const Value* ref = nullptr;
  int64_t pos = 0;  // the range slot: the next element's index

  const Value& get() const { return ref != nullptr ? *ref : value; }
};

}  // namespace

Value Program::Evaluate(const Activation& activation) const {
  if (impl_ == nullptr) {
    return Value::Error(ErrorCode::kInvalidArgument, "empty program");
  }
  const Impl& p = *impl_;
  SlotArray stack(p.max_stack);
  absl::InlinedVector<LocalSlot, 4> locals;
  if (p.num_locals > 0) locals.resize(p.num_locals);
  std::vector<std::vector<Value>> builders;
  if (p.uses_builders) builders.resize(p.num_locals);
  ObjectCache objects(p.num_cached_objects);
  int64_t iterations = 0;

  Slot* const base = stack.data();
  Slot* sp = base;  // the next free entry

// Constructs the top entry in place from `expr` (a prvalue: no temporary).
#define SB_PUSH(expr)           \
  do {                          \
    Slot* dst_ = sp;            \
    new (&dst_->v) Value(expr); \
    ++sp;                       \
  } while (false)
// Pops `n` entries (destroying them).
#define SB_POP(n)            \
  do {                       \
    Slot* from_ = sp - (n);  \
    DestroySlots(from_, sp); \
    sp = from_;              \
  } while (false)

  const Instr* const code = p.code.data();
  int pc = 0;
  for (bool running = true; running;) {
    const Instr& in = code[pc++];
    switch (in.op) {
      case Op::kHalt:
        running = false;
        break;
      case Op::kConst:
        SB_PUSH(p.constants[in.a]);
        break;
      case Op::kLoadVar:
        SB_PUSH(activation.GetVariable(in.a));
        break;
      case Op::kLoadField:
      case Op::kHasField: {
        const FieldRef& ref = p.fields[in.c];
        const bool test = in.op == Op::kHasField;
        if (const ObjectValue* o = objects.Get(activation, in.a, ref)) {
          if (test) {
            SB_PUSH(Value::Bool(o->HasField(ref.field)));
          } else {
            SB_PUSH(o->GetField(ref.field));
          }
        } else {
          SB_PUSH(SelectField(activation.GetVariable(in.a), ref, test));
        }
        break;
      }
      case Op::kFieldCompare: {
        const FieldRef& ref = p.fields[in.c];
        const ObjectValue* o = objects.Get(activation, in.a, ref);
        const Value field = o != nullptr
                                ? o->GetField(ref.field)
                                : SelectField(activation.GetVariable(in.a), ref,
                                              /*test=*/false);
        const Value& constant = p.constants[in.b];
        const Builtin fn = static_cast<Builtin>(in.fn);
        if (fn == Builtin::kEquals || fn == Builtin::kNotEquals) {
          const bool negate = fn == Builtin::kNotEquals;
          if (std::optional<bool> eq = FastEquals(field, constant)) {
            SB_PUSH(Value::Bool(*eq != negate));
          } else {
            SB_PUSH(Equals(field, constant, negate));
          }
        } else if (std::optional<bool> c = FastCompare(fn, field, constant)) {
          SB_PUSH(Value::Bool(*c));
        } else {
          SB_PUSH(Compare(fn, field, constant));
        }
        break;
      }
      case Op::kLoadLocal:
        SB_PUSH(locals[in.a].get());
        break;
      case Op::kLocalCompare: {
        const Value& local = locals[in.a].get();
        const Value& constant = p.constants[in.b];
        const Builtin fn = static_cast<Builtin>(in.fn);
        if (fn == Builtin::kEquals || fn == Builtin::kNotEquals) {
          const bool negate = fn == Builtin::kNotEquals;
          if (std::optional<bool> eq = FastEquals(local, constant)) {
            SB_PUSH(Value::Bool(*eq != negate));
          } else {
            SB_PUSH(Equals(local, constant, negate));
          }
        } else if (std::optional<bool> c = FastCompare(fn, local, constant)) {
          SB_PUSH(Value::Bool(*c));
        } else {
          SB_PUSH(Compare(fn, local, constant));
        }
        break;
      }
      case Op::kSelect:
      case Op::kTestSelect: {
        Value r =
            SelectField(sp[-1].v, p.fields[in.c], in.op == Op::kTestSelect);
        SB_POP(1);
        SB_PUSH(std::move(r));
        break;
      }
      case Op::kCall: {
        absl::Span<const Value> args(&sp[-in.b].v, in.b);
        Value r;
        if (const Value* err = FirstError(args)) {
          r = *err;
        } else {
          r = CallBuiltin(static_cast<Builtin>(in.a), args);
          if (in.charge) {
            iterations += WorkUnits(r);
            if (iterations > p.max_iterations) {
              DestroySlots(base, sp);
              return Value::Error(ErrorCode::kLimit);
            }
          }
        }
        SB_POP(in.b);
        SB_PUSH(std::move(r));
        break;
      }
      case Op::kNotStrictlyFalse: {
        const Value& v = sp[-1].v;
        bool r = !(v.is_bool() && !v.bool_value());
        SB_POP(1);
        SB_PUSH(Value::Bool(r));
        break;
      }
      case Op::kEquals:
      case Op::kNotEquals: {
        const Value& l = sp[-2].v;
        const Value& r = sp[-1].v;
        const bool negate = in.op == Op::kNotEquals;
        if (std::optional<bool> eq = FastEquals(l, r)) {
          SB_POP(2);
          SB_PUSH(Value::Bool(*eq != negate));
        } else {
          Value result = Equals(l, r, negate);
          SB_POP(2);
          SB_PUSH(std::move(result));
        }
        break;
      }
      case Op::kCompare: {
        const Value& l = sp[-2].v;
        const Value& r = sp[-1].v;
        const Builtin fn = static_cast<Builtin>(in.a);
        if (std::optional<bool> c = FastCompare(fn, l, r)) {
          SB_POP(2);
          SB_PUSH(Value::Bool(*c));
        } else {
          Value result = Compare(fn, l, r);
          SB_POP(2);
          SB_PUSH(std::move(result));
        }
        break;
      }
      case Op::kNot: {
        const Value& v = sp[-1].v;
        if (v.is_bool()) {
          bool r = !v.bool_value();
          SB_POP(1);
          SB_PUSH(Value::Bool(r));
        } else if (!v.is_error()) {
          Value r =
              CallBuiltin(Builtin::kLogicalNot, absl::Span<const Value>(&v, 1));
          SB_POP(1);
          SB_PUSH(std::move(r));
        }
        break;
      }
      case Op::kCallExt:
      case Op::kCallUnknown: {
        absl::Span<const Value> args(&sp[-in.b].v, in.b);
        Value r;
        if (const Value* err = FirstError(args)) {
          r = *err;
        } else if (in.op == Op::kCallExt) {
          r = CallExtension(p.ext_sets[in.a], args, activation);
        } else {
          r = NoSuchOverload();
        }
        SB_POP(in.b);
        SB_PUSH(std::move(r));
        break;
      }
      case Op::kMatchRe: {
        const Value& v = sp[-1].v;
        if (!v.is_error()) {
          Value r = MatchesRegex(v, *p.regexes[in.a]);
          SB_POP(1);
          SB_PUSH(std::move(r));
        }
        break;
      }
      case Op::kList: {
        Value r = MakeList(absl::MakeSpan(&sp[-in.b].v, in.b));
        SB_POP(in.b);
        SB_PUSH(std::move(r));
        break;
      }
      case Op::kMap: {
        Value r = MakeMap(absl::MakeSpan(&sp[-2 * in.b].v, 2 * in.b));
        SB_POP(2 * in.b);
        SB_PUSH(std::move(r));
        break;
      }
      case Op::kJump:
        pc = in.a;
        break;
      case Op::kAndJump: {
        const Value& v = sp[-1].v;
        if (v.is_bool() && !v.bool_value()) pc = in.a;
        break;
      }
      case Op::kOrJump: {
        const Value& v = sp[-1].v;
        if (v.is_bool() && v.bool_value()) pc = in.a;
        break;
      }
      case Op::kAndMerge:
      case Op::kOrMerge: {
        const Value& l = sp[-2].v;
        const Value& r = sp[-1].v;
        if (l.is_bool() && r.is_bool()) {
          // The left one did not decide, so the right one does.
          bool b = r.bool_value();
          SB_POP(2);
          SB_PUSH(Value::Bool(b));
        } else {
          Value result =
              in.op == Op::kAndMerge ? AndMerge(l, r) : OrMerge(l, r);
          SB_POP(2);
          SB_PUSH(std::move(result));
        }
        break;
      }
      case Op::kCondJump:
      case Op::kLoopCond: {
        const Value& v = sp[-1].v;
        if (v.is_bool()) {
          bool b = v.bool_value();
          SB_POP(1);
          if (!b) pc = in.a;
        } else {
          if (!v.is_error()) {
            SB_POP(1);
            SB_PUSH(NoSuchOverload());
          }
          pc = in.b;
        }
        break;
      }
      case Op::kIterInit: {
        Value& range = sp[-1].v;
        if (range.kind() == ValueKind::kList ||
            range.kind() == ValueKind::kMap) {
          locals[in.a].value = std::move(range);
          locals[in.a].pos = 0;
          SB_POP(1);
        } else {
          if (!range.is_error()) {
            SB_POP(1);
            SB_PUSH(NoSuchOverload());
          }
          pc = in.b;
        }
        break;
      }
      case Op::kIterNext: {
        const Value& range = locals[in.a].value;
        int64_t pos = locals[in.a].pos;
        size_t size = range.kind() == ValueKind::kList
                          ? range.list_value().size()
                          : range.map_value().size();
        if (static_cast<size_t>(pos) >= size) {
          pc = in.b;
          break;
        }
        if (++iterations > p.max_iterations) {
          DestroySlots(base, sp);
          return Value::Error(ErrorCode::kLimit);
        }
        locals[in.a + 1].ref = range.kind() == ValueKind::kList
                                   ? &range.list_value()[pos]
                                   : &range.map_value().entries()[pos].first;
        locals[in.a].pos = pos + 1;
        break;
      }
      case Op::kStoreLocal:
        locals[in.a].value = std::move(sp[-1].v);
        SB_POP(1);
        break;
      case Op::kBuilderInit:
        locals[in.a].value = Value::Null();
        builders[in.a].clear();
        break;
      case Op::kAppend: {
        Value& v = sp[-1].v;
        if (!locals[in.a].value.is_error()) {
          if (v.is_error()) {
            locals[in.a].value = std::move(v);
          } else {
            builders[in.a].push_back(std::move(v));
          }
        }
        SB_POP(1);
        break;
      }
      case Op::kBuilderDone:
        if (locals[in.a].value.is_error()) {
          SB_PUSH(locals[in.a].value);
        } else {
          SB_PUSH(Value::List(std::move(builders[in.a])));
          builders[in.a] = {};
        }
        break;
    }
  }
#undef SB_PUSH
#undef SB_POP
  // Scalars are rebuilt from their narrow fields rather than moved: a wide
  // copy of the entry just written stalls on store forwarding.
  const Value& top = base[0].v;
  switch (top.kind()) {
    case ValueKind::kBool: {
      bool b = top.bool_value();
      DestroySlots(base, sp);
      return Value::Bool(b);
    }
    case ValueKind::kInt: {
      int64_t i = top.int_value();
      DestroySlots(base, sp);
      return Value::Int(i);
    }
    default: {
      Value result(std::move(base[0].v));
      DestroySlots(base, sp);
      return result;
    }
  }
}

std::string Program::Dump() const {
  if (impl_ == nullptr) return "";
  const Impl& p = *impl_;
  std::string out;
  for (size_t i = 0; i < p.code.size(); ++i) {
    const Instr& in = p.code[i];
    // Every program ends with a halt; the listing leaves it out.
    if (in.op == Op::kHalt && i + 1 == p.code.size()) break;
    absl::StrAppend(&out, i, ": ", OpName(in.op));
    switch (in.op) {
      case Op::kConst:
        absl::StrAppend(&out, " ", p.constants[in.a].DebugString());
        break;
      case Op::kLoadVar:
        absl::StrAppend(&out, " var=", in.a);
        break;
      case Op::kLoadField:
      case Op::kHasField:
        absl::StrAppend(&out, " var=", in.a, " field=", p.fields[in.c].field,
                        " (", p.fields[in.c].name, ")");
        break;
      case Op::kFieldCompare:
        absl::StrAppend(&out, " ", BuiltinOperator(in.fn), " var=", in.a,
                        " field=", p.fields[in.c].field, " (",
                        p.fields[in.c].name, ") ",
                        p.constants[in.b].DebugString());
        break;
      case Op::kLocalCompare:
        absl::StrAppend(&out, " ", BuiltinOperator(in.fn), " slot=", in.a, " ",
                        p.constants[in.b].DebugString());
        break;
      case Op::kLoadLocal:
      case Op::kStoreLocal:
      case Op::kBuilderInit:
      case Op::kAppend:
      case Op::kBuilderDone:
        absl::StrAppend(&out, " slot=", in.a);
        break;
      case Op::kSelect:
      case Op::kTestSelect:
        absl::StrAppend(&out, " ", p.fields[in.c].name);
        if (p.fields[in.c].field >= 0) {
          absl::StrAppend(&out, " field=", p.fields[in.c].field);
        }
        break;
      case Op::kCall:
      case Op::kNotStrictlyFalse:
      case Op::kEquals:
      case Op::kNotEquals:
      case Op::kCompare:
      case Op::kNot:
      case Op::kCallUnknown:
        absl::StrAppend(&out, " ", p.names[in.c], " argc=", in.b);
        break;
      case Op::kCallExt: {
        std::vector<int> ids;
        for (const ExtOverload& o : p.ext_sets[in.a].overloads) {
          ids.push_back(o.id);
        }
        absl::StrAppend(&out, " ", p.names[in.c],
                        ids.size() == 1 ? " id=" : " ids=",
                        absl::StrJoin(ids, ","), " argc=", in.b);
        break;
      }
      case Op::kMatchRe:
        absl::StrAppend(&out, " re=", in.a, " ",
                        Value::StringView(p.names[in.c]).DebugString());
        break;
      case Op::kList:
      case Op::kMap:
        absl::StrAppend(&out, " n=", in.b);
        break;
      case Op::kJump:
      case Op::kAndJump:
      case Op::kOrJump:
        absl::StrAppend(&out, " -> ", in.a);
        break;
      case Op::kAndMerge:
      case Op::kOrMerge:
      case Op::kHalt:
        break;
      case Op::kCondJump:
      case Op::kLoopCond:
        absl::StrAppend(&out, " else -> ", in.a, " error -> ", in.b);
        break;
      case Op::kIterInit:
        absl::StrAppend(&out, " slot=", in.a, " error -> ", in.b);
        break;
      case Op::kIterNext:
        absl::StrAppend(&out, " slot=", in.a, " done -> ", in.b);
        break;
    }
    out.push_back('\n');
  }
  return out;
}

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
