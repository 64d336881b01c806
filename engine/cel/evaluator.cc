// Program::Evaluate(): runs a compiled program (instructions.h) over a value
// stack whose depth the compiler computed, so that the common condition does
// not allocate. The instructions are dispatched by one switch in one loop;
// values are built in place on the stack; object variables read by field
// index are fetched and type-checked once per evaluation; `==`, `!=` and
// the comparisons have inline fast paths for ints, bools, doubles and
// strings.
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
// This file's external interface is just Program::Evaluate().
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "engine/cel/functions.h"
#include "engine/cel/instructions.h"
#include "engine/cel/operations.h"
#include "engine/cel/program.h"
#include "engine/cel/value.h"
#include "re2/re2.h"

namespace switchboard::cel {
namespace {

using program_internal::AndMerge;
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

}  // namespace switchboard::cel
