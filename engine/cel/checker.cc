// The CEL type checker. One pass over the tree computes the type of every
// node, resolves names (comprehension variables, then Env variables with
// CEL's container rules and qualified names), chooses function overloads by
// unification with type parameters, and collects every mistake as an Issue.
//
// Unification follows cel-go (checker/types.go): a substitution `mapping_`
// from type-parameter names to types grows as the walk proceeds; generic
// overloads are instantiated with fresh parameters per call; empty list and
// map literals get fresh element types that later uses bind (so that
// `[1, 2].map(x, x * 2)` is list(int), not list(dyn)). At the end every
// recorded type is resolved through the mapping, unbound parameters as dyn.
//
// Deliberate extensions beyond strict CEL, for rule authors:
// - `< <= > >=` accept int/double mixes (CEL has these overloads too);
// - `==` and `!=` accept (A, A), any type against dyn or null, and int/double
//   mixes, also inside lists and maps (the run time compares numerically);
// - list and map literals with mixed element types are list(dyn) /
//   map(K, dyn) rather than errors (as cel-go's "dynamic aggregate literal"
//   option); double map keys make the key type dyn;
// - in `c ? a : b`, a dyn or null branch takes the other branch's type.
//
// This file's external interface is just Check().
#include "engine/cel/checker.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "engine/common/suggest.h"

namespace switchboard::cel {
namespace {

using ::switchboard::common::DidYouMean;

// ---- the declaration table
// ---------------------------------------------------

// One overload of a built-in or host function. Type parameters are named
// "A" and "B" and instantiated with fresh names at every call.
struct Overload {
  bool receiver_style = false;
  std::vector<Type> params;  // receiver first when receiver_style
  Type result;
  bool generic = false;   // mentions a type parameter
  int extension_id = -1;  // >= 0: ExtensionDecl::id of a host function
};

using OverloadTable = absl::flat_hash_map<std::string, std::vector<Overload>>;

bool MentionsParam(const Type& t) {
  switch (t.kind()) {
    case TypeKind::kTypeParam:
      return true;
    case TypeKind::kList:
      return MentionsParam(t.elem());
    case TypeKind::kMap:
      return MentionsParam(t.key()) || MentionsParam(t.value());
    default:
      return false;
  }
}

OverloadTable BuildBuiltins() {
  const Type kBool = Type::Bool(), kInt = Type::Int(), kDouble = Type::Double(),
             kString = Type::String(), kTime = Type::Timestamp(),
             kDur = Type::Duration(), kDyn = Type::Dyn();
  const Type kA = Type::Param("A"), kB = Type::Param("B");
  const Type kListA = Type::List(kA), kMapAB = Type::Map(kA, kB);

  OverloadTable table;
  auto add = [&table](std::string_view name, bool receiver,
                      std::vector<Type> params, Type result) {
    Overload o;
    o.receiver_style = receiver;
    o.generic = MentionsParam(result) ||
                std::any_of(params.begin(), params.end(), MentionsParam);
    o.params = std::move(params);
    o.result = std::move(result);
    table[std::string(name)].push_back(std::move(o));
  };

  // Arithmetic.
  for (const char* f : {op::kAdd, op::kSubtract, op::kMultiply, op::kDivide}) {
    add(f, false, {kInt, kInt}, kInt);
    add(f, false, {kDouble, kDouble}, kDouble);
  }
  add(op::kModulo, false, {kInt, kInt}, kInt);
  add(op::kAdd, false, {kString, kString}, kString);
  add(op::kAdd, false, {kListA, kListA}, kListA);
  add(op::kAdd, false, {kTime, kDur}, kTime);
  add(op::kAdd, false, {kDur, kTime}, kTime);
  add(op::kAdd, false, {kDur, kDur}, kDur);
  add(op::kSubtract, false, {kTime, kTime}, kDur);
  add(op::kSubtract, false, {kTime, kDur}, kTime);
  add(op::kSubtract, false, {kDur, kDur}, kDur);
  add(op::kNegate, false, {kInt}, kInt);
  add(op::kNegate, false, {kDouble}, kDouble);

  // Logic. (`?:`, `==` and `!=` are checked by dedicated code.)
  add(op::kLogicalNot, false, {kBool}, kBool);
  add(op::kLogicalAnd, false, {kBool, kBool}, kBool);
  add(op::kLogicalOr, false, {kBool, kBool}, kBool);
  add(op::kNotStrictlyFalse, false, {kBool}, kBool);

  // Ordering, including CEL's int/double mixes.
  for (const char* f :
       {op::kLess, op::kLessEquals, op::kGreater, op::kGreaterEquals}) {
    for (const Type& t : {kBool, kInt, kDouble, kString, kTime, kDur}) {
      add(f, false, {t, t}, kBool);
    }
    add(f, false, {kInt, kDouble}, kBool);
    add(f, false, {kDouble, kInt}, kBool);
  }

  // Containers.
  add(op::kIn, false, {kA, kListA}, kBool);
  add(op::kIn, false, {kA, kMapAB}, kBool);
  add(op::kIndex, false, {kListA, kInt}, kA);
  add(op::kIndex, false, {kMapAB, kA}, kB);
  for (const Type& t : {kString, kListA, kMapAB}) {
    add("size", false, {t}, kInt);
    add("size", true, {t}, kInt);
  }

  // Strings.
  for (const char* f : {"contains", "startsWith", "endsWith", "matches"}) {
    add(f, true, {kString, kString}, kBool);
  }
  add("matches", false, {kString, kString}, kBool);

  // Conversions.
  for (const Type& t : {kInt, kDouble, kString, kTime})
    add("int", false, {t}, kInt);
  for (const Type& t : {kDouble, kInt, kString})
    add("double", false, {t}, kDouble);
  for (const Type& t : {kString, kInt, kDouble, kBool, kTime, kDur}) {
    add("string", false, {t}, kString);
  }
  for (const Type& t : {kBool, kString}) add("bool", false, {t}, kBool);
  for (const Type& t : {kDur, kString}) add("duration", false, {t}, kDur);
  for (const Type& t : {kTime, kString, kInt})
    add("timestamp", false, {t}, kTime);
  add("dyn", false, {kA}, kDyn);

  // Timestamp and duration accessors; timestamps take an optional zone.
  for (const char* f : {"getFullYear", "getMonth", "getDayOfYear",
                        "getDayOfMonth", "getDate", "getDayOfWeek", "getHours",
                        "getMinutes", "getSeconds", "getMilliseconds"}) {
    add(f, true, {kTime}, kInt);
    add(f, true, {kTime, kString}, kInt);
  }
  for (const char* f :
       {"getHours", "getMinutes", "getSeconds", "getMilliseconds"}) {
    add(f, true, {kDur}, kInt);
  }
  return table;
}

const OverloadTable& Builtins() {
  static const OverloadTable* const kTable = new OverloadTable(BuildBuiltins());
  return *kTable;
}

// Names a rule author can call (not the operators), for "did you mean".
const std::vector<std::string>& BuiltinFunctionNames() {
  static const std::vector<std::string>* const kNames = [] {
    auto* names = new std::vector<std::string>();
    for (const auto& [name, unused] : Builtins()) {
      const char c = name.front();
      if (c != '_' && c != '@' && c != '-' && c != '!') names->push_back(name);
    }
    std::sort(names->begin(), names->end());
    return names;
  }();
  return *kNames;
}

// ---- unification (after cel-go's checker/types.go)
// ---------------------------

using Mapping = absl::flat_hash_map<std::string, Type>;

bool IsDynOrError(const Type& t) {
  return t.kind() == TypeKind::kDyn || t.kind() == TypeKind::kError;
}

bool IsParam(const Type& t) { return t.kind() == TypeKind::kTypeParam; }

// Whether t1 is at most as specific as t2 (dyn and parameters are the least
// specific).
bool IsEqualOrLessSpecific(const Type& t1, const Type& t2) {
  if (t1.is_dyn() || IsParam(t1)) return true;
  if (t2.is_dyn() || IsParam(t2)) return false;
  if (t1.kind() != t2.kind()) return false;
  switch (t1.kind()) {
    case TypeKind::kList:
      return IsEqualOrLessSpecific(t1.elem(), t2.elem());
    case TypeKind::kMap:
      return IsEqualOrLessSpecific(t1.key(), t2.key()) &&
             IsEqualOrLessSpecific(t1.value(), t2.value());
    case TypeKind::kObject:
      return t1.object() == t2.object();
    default:
      return true;
  }
}

const Type& MostGeneral(const Type& a, const Type& b) {
  return IsEqualOrLessSpecific(a, b) ? a : b;
}

// Whether parameter `param` does not occur in `within` (through the mapping),
// so that binding it to `within` cannot make a cycle.
bool NotReferencedIn(const Mapping& m, const Type& param, const Type& within) {
  switch (within.kind()) {
    case TypeKind::kTypeParam: {
      if (within.param_name() == param.param_name()) return false;
      auto it = m.find(within.param_name());
      return it == m.end() || NotReferencedIn(m, param, it->second);
    }
    case TypeKind::kList:
      return NotReferencedIn(m, param, within.elem());
    case TypeKind::kMap:
      return NotReferencedIn(m, param, within.key()) &&
             NotReferencedIn(m, param, within.value());
    default:
      return true;
  }
}

bool IsAssignable(Mapping& m, const Type& t1, const Type& t2);

struct Substitution {
  bool valid;
  bool had_binding;
};

// Whether `t` can stand for parameter `param`; binds or generalizes it.
Substitution ValidSubstitution(Mapping& m, const Type& t, const Type& param) {
  if (IsParam(t) && t.param_name() == param.param_name()) return {true, true};
  auto it = m.find(param.param_name());
  if (it != m.end()) {
    const Type sub = it->second;  // a copy: `m` may change below
    if (sub == t) return {true, true};
    if (IsAssignable(m, t, sub)) {
      const Type general = MostGeneral(t, sub);
      if (NotReferencedIn(m, param, general)) m[param.param_name()] = general;
      return {true, true};
    }
    return {false, true};
  }
  if (NotReferencedIn(m, param, t)) {
    m[param.param_name()] = t;
    return {true, false};
  }
  return {false, false};
}

// Whether a value of type t1 may be used where t2 is expected (or the other
// way round: CEL's gradual typing makes this nearly symmetric). May bind
// parameters in `m` even when it fails; see TryAssign.
bool IsAssignable(Mapping& m, const Type& t1, const Type& t2) {
  if (IsParam(t2)) {
    const Substitution s = ValidSubstitution(m, t1, t2);
    if (s.valid) return true;
    if (s.had_binding) return false;
  }
  if (IsParam(t1)) return ValidSubstitution(m, t2, t1).valid;
  if (IsDynOrError(t1) || IsDynOrError(t2)) return true;
  if (t1.kind() != t2.kind()) return false;
  switch (t1.kind()) {
    case TypeKind::kList:
      return IsAssignable(m, t1.elem(), t2.elem());
    case TypeKind::kMap:
      return IsAssignable(m, t1.key(), t2.key()) &&
             IsAssignable(m, t1.value(), t2.value());
    case TypeKind::kObject:
      return t1.object() == t2.object();
    default:
      return true;
  }
}

// `t` with parameters replaced by their bindings; unbound ones stay, or
// become dyn with `unbound_to_dyn`.
Type Substitute(const Mapping& m, const Type& t, bool unbound_to_dyn) {
  switch (t.kind()) {
    case TypeKind::kTypeParam: {
      auto it = m.find(t.param_name());
      if (it != m.end()) return Substitute(m, it->second, unbound_to_dyn);
      return unbound_to_dyn ? Type::Dyn() : t;
    }
    case TypeKind::kList:
      if (!MentionsParam(t)) return t;
      return Type::List(Substitute(m, t.elem(), unbound_to_dyn));
    case TypeKind::kMap:
      if (!MentionsParam(t)) return t;
      return Type::Map(Substitute(m, t.key(), unbound_to_dyn),
                       Substitute(m, t.value(), unbound_to_dyn));
    default:
      return t;
  }
}

bool IsNumeric(const Type& t) {
  return t.kind() == TypeKind::kInt || t.kind() == TypeKind::kDouble;
}

// The equality extension: may `a == b` be asked? (After substitution.)
bool EqualityComparable(const Type& a, const Type& b) {
  if (IsDynOrError(a) || IsDynOrError(b) || IsParam(a) || IsParam(b)) {
    return true;
  }
  if (a.kind() == TypeKind::kNull || b.kind() == TypeKind::kNull) return true;
  if (IsNumeric(a) && IsNumeric(b)) return true;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case TypeKind::kList:
      return EqualityComparable(a.elem(), b.elem());
    case TypeKind::kMap:
      return EqualityComparable(a.key(), b.key()) &&
             EqualityComparable(a.value(), b.value());
    case TypeKind::kObject:
      return a.object() == b.object();
    default:
      return true;
  }
}

// The number of nodes in the tree rooted at `e`.
size_t CountNodes(const Expr& e) {
  size_t n = 1;
  if (e.target != nullptr) n += CountNodes(*e.target);
  for (const auto& arg : e.args) {
    if (arg != nullptr) n += CountNodes(*arg);
  }
  if (e.kind == ExprKind::kComprehension) {
    for (const Expr* child :
         {e.iter_range.get(), e.accu_init.get(), e.loop_condition.get(),
          e.loop_step.get(), e.result.get()}) {
      if (child != nullptr) n += CountNodes(*child);
    }
  }
  return n;
}

// ---- the checker
// ---------------------------------------------------------------

class Checker {
 public:
  Checker(const Env& env, CheckResult* result) : env_(env), result_(*result) {}

  void Run(const Expr& root) {
    // Every node gets a type: size the map once instead of growing it.
    result_.types.reserve(static_cast<int64_t>(CountNodes(root)) + 1);
    const Type root_type = Visit(root);
    // Only types that mention a parameter change when resolved.
    result_.types.ForEachType([this](Type& type) {
      if (MentionsParam(type)) type = Resolve(type);
    });
    std::stable_sort(
        result_.issues.begin(), result_.issues.end(),
        [](const Issue& a, const Issue& b) { return a.offset < b.offset; });
    result_.type = result_.issues.empty() ? Resolve(root_type) : Type::Error();
  }

 private:
  struct Local {
    std::string_view name;
    Type type;
  };

  Type Resolve(const Type& t) const { return Substitute(mapping_, t, true); }
  // For messages: what is known so far, open parameters shown as dyn.
  std::string Show(const Type& t) const { return Resolve(t).DebugString(); }

  void AddIssue(const Expr& e, std::string message) {
    result_.issues.push_back({e.offset, std::move(message)});
  }

  // A type parameter no other node of this expression uses. The first ones
  // come from a shared, immutable table (no allocation per call).
  Type Fresh() {
    const int n = next_param_++;
    const std::vector<Type>& table = FreshParams();
    if (n < static_cast<int>(table.size())) return table[n];
    return Type::Param(absl::StrCat("_T", n));
  }

  static const std::vector<Type>& FreshParams() {
    static const std::vector<Type>* const kTable = [] {
      auto* table = new std::vector<Type>();
      for (int i = 0; i < 256; ++i) {
        table->push_back(Type::Param(absl::StrCat("_T", i)));
      }
      return table;
    }();
    return *kTable;
  }

  // IsAssignable that keeps its bindings only when it succeeds.
  bool TryAssign(const Type& actual, const Type& expected) {
    if (!MentionsParam(actual) && !MentionsParam(expected)) {
      Mapping scratch;
      return IsAssignable(scratch, actual, expected);
    }
    Mapping copy = mapping_;
    if (!IsAssignable(copy, actual, expected)) return false;
    mapping_ = std::move(copy);
    return true;
  }

  Type Visit(const Expr& e) {
    Type t;
    switch (e.kind) {
      case ExprKind::kConstant:
        t = VisitConstant(e);
        break;
      case ExprKind::kIdent:
        t = VisitIdent(e);
        break;
      case ExprKind::kSelect:
        t = VisitSelect(e);
        break;
      case ExprKind::kCall:
        t = VisitCall(e);
        break;
      case ExprKind::kList:
        t = VisitList(e);
        break;
      case ExprKind::kMap:
        t = VisitMap(e);
        break;
      case ExprKind::kComprehension:
        t = VisitComprehension(e);
        break;
    }
    result_.types.Set(e.id, t);
    return t;
  }

  // A child that a malformed tree may lack: its type is Error, no issue
  // (the parser never builds such trees).
  Type VisitChild(const std::unique_ptr<Expr>& e) {
    return e ? Visit(*e) : Type::Error();
  }

  Type VisitConstant(const Expr& e) {
    switch (e.constant.kind) {
      case Constant::Kind::kNull:
        return Type::Null();
      case Constant::Kind::kBool:
        return Type::Bool();
      case Constant::Kind::kInt:
        return Type::Int();
      case Constant::Kind::kDouble:
        return Type::Double();
      case Constant::Kind::kString:
        return Type::String();
      case Constant::Kind::kUint:
        AddIssue(e, "uint literals are not supported");
        return Type::Error();
      case Constant::Kind::kBytes:
        AddIssue(e, "bytes literals are not supported");
        return Type::Error();
    }
    return Type::Error();
  }

  const Local* FindLocal(std::string_view name) const {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
      if (it->name == name) return &*it;
    }
    return nullptr;
  }

  bool IsAbsolute(std::string_view name) const {
    return !name.empty() && name.front() == '.';
  }

  Type VisitIdent(const Expr& e) {
    if (!IsAbsolute(e.name)) {
      if (const Local* local = FindLocal(e.name)) return local->type;
    }
    const int index = env_.ResolveVariable(e.name);
    if (index >= 0) {
      result_.variables[e.id] = index;
      return env_.variables()[index].type;
    }
    std::vector<std::string> candidates = env_.Names();
    for (const Local& local : locals_) {
      if (local.name != kAccumulatorName) candidates.emplace_back(local.name);
    }
    std::string_view bare = e.name;
    if (IsAbsolute(bare)) bare.remove_prefix(1);
    AddIssue(e, absl::StrCat("undeclared reference to '", e.name, "'",
                             DidYouMean(bare, candidates)));
    return Type::Error();
  }

  // The dotted name of a chain of selects on an identifier that is not a
  // comprehension variable (`a.b.c`), or nullopt.
  std::optional<std::string> QualifiedName(const Expr& e) const {
    absl::InlinedVector<std::string_view, 4> fields;
    const Expr* node = &e;
    while (node->kind == ExprKind::kSelect) {
      if (node != &e && node->test_only) return std::nullopt;
      if (!node->target) return std::nullopt;
      fields.push_back(node->name);
      node = node->target.get();
    }
    if (node->kind != ExprKind::kIdent) return std::nullopt;
    if (!IsAbsolute(node->name) && FindLocal(node->name) != nullptr) {
      return std::nullopt;
    }
    std::string name = node->name;
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
      name.push_back('.');
      name.append(*it);
    }
    return name;
  }

  Type VisitSelect(const Expr& e) {
    // CEL: a qualified name that names a variable wins over field selection;
    // trying the outermost select first finds the longest such prefix.
    if (std::optional<std::string> name = QualifiedName(e)) {
      const int index = env_.ResolveVariable(*name);
      if (index >= 0) {
        if (e.test_only) {
          AddIssue(e, absl::StrCat("has() needs a field selection, but '",
                                   *name, "' names a variable"));
          return Type::Error();
        }
        result_.variables[e.id] = index;
        return env_.variables()[index].type;
      }
    }
    const Type operand = VisitChild(e.target);
    const Type field = SelectField(e, Resolve(operand));
    if (field.kind() == TypeKind::kError) return field;
    return e.test_only ? Type::Bool() : field;
  }

  Type SelectField(const Expr& e, const Type& operand) {
    switch (operand.kind()) {
      case TypeKind::kError:
        return operand;
      case TypeKind::kDyn:
        return Type::Dyn();
      case TypeKind::kTypeParam:
        // Unknown so far: settle it as dyn rather than guess a type.
        TryAssign(Type::Dyn(), operand);
        return Type::Dyn();
      case TypeKind::kObject: {
        if (operand.object() == nullptr) return Type::Dyn();  // host misuse
        const ObjectType& object = *operand.object();
        const int index = object.FindField(e.name);
        if (index >= 0) return object.fields()[index].type;
        std::vector<std::string> names;
        names.reserve(object.fields().size());
        for (const ObjectType::Field& f : object.fields()) {
          names.push_back(f.name);
        }
        AddIssue(
            e, absl::StrCat("unknown ", object.field_noun(), " '", e.name,
                            "' of ", object.name(), DidYouMean(e.name, names)));
        return Type::Error();
      }
      case TypeKind::kMap: {
        const TypeKind key = operand.key().kind();
        if (key == TypeKind::kString || key == TypeKind::kDyn ||
            key == TypeKind::kTypeParam || key == TypeKind::kError) {
          if (key == TypeKind::kTypeParam)
            TryAssign(Type::String(), operand.key());
          return operand.value();
        }
        break;
      }
      default:
        break;
    }
    AddIssue(e, absl::StrCat("type '", operand.DebugString(),
                             "' does not support field selection"));
    return Type::Error();
  }

  std::string RenderArgs(const Expr& e, absl::Span<const Type> args) const {
    std::string out;
    size_t first = 0;
    if (e.target != nullptr) {
      absl::StrAppend(&out, Show(args[0]), ".");
      first = 1;
    }
    out.push_back('(');
    for (size_t i = first; i < args.size(); ++i) {
      if (i > first) out.append(", ");
      out.append(Show(args[i]));
    }
    out.push_back(')');
    return out;
  }

  void NoMatchingOverload(const Expr& e, absl::Span<const Type> args) {
    AddIssue(e, absl::StrCat("found no matching overload for '", e.name,
                             "' applied to '", RenderArgs(e, args), "'"));
  }

  Type VisitCall(const Expr& e) {
    absl::InlinedVector<Type, 4> args;
    args.reserve(e.args.size() + 1);
    if (e.target != nullptr) args.push_back(Visit(*e.target));
    for (const auto& arg : e.args) args.push_back(VisitChild(arg));
    const bool has_error =
        std::any_of(args.begin(), args.end(),
                    [](const Type& t) { return t.kind() == TypeKind::kError; });

    if (e.target == nullptr) {
      if (e.name == op::kConditional && args.size() == 3) {
        return has_error ? Type::Error() : CheckConditional(e, args);
      }
      if ((e.name == op::kEquals || e.name == op::kNotEquals) &&
          args.size() == 2) {
        return has_error ? Type::Error() : CheckEquality(e, args);
      }
    }

    const std::vector<Overload>* builtins = nullptr;
    if (auto it = Builtins().find(e.name); it != Builtins().end()) {
      builtins = &it->second;
    }
    std::vector<Overload> extensions;
    for (const ExtensionDecl& decl : env_.extensions()) {
      if (decl.name != e.name) continue;
      Overload o;
      o.receiver_style = decl.receiver_style;
      o.params = decl.params;
      o.result = decl.result;
      o.generic =
          MentionsParam(decl.result) ||
          std::any_of(decl.params.begin(), decl.params.end(), MentionsParam);
      o.extension_id = decl.id;
      extensions.push_back(std::move(o));
    }
    if (builtins == nullptr && extensions.empty()) {
      std::vector<std::string> candidates = BuiltinFunctionNames();
      for (const ExtensionDecl& decl : env_.extensions()) {
        candidates.push_back(decl.name);
      }
      AddIssue(e, absl::StrCat("undeclared reference to '", e.name, "'",
                               DidYouMean(e.name, candidates)));
      return Type::Error();
    }
    if (has_error) return Type::Error();

    std::optional<Type> result;
    int extension_id = -1;
    auto try_all = [&](const std::vector<Overload>& overloads) {
      for (const Overload& o : overloads) {
        std::optional<Type> r = TryOverload(e, o, args);
        if (!r) continue;
        if (o.extension_id >= 0 && extension_id < 0) {
          extension_id = o.extension_id;
        }
        // Several overloads can match dyn arguments: the result is theirs
        // when they agree, dyn otherwise.
        if (!result) {
          result = *r;
        } else if (!result->is_dyn() && Resolve(*result) != Resolve(*r)) {
          result = Type::Dyn();
        }
      }
    };
    if (builtins != nullptr) try_all(*builtins);
    try_all(extensions);
    if (!result) {
      NoMatchingOverload(e, args);
      return Type::Error();
    }
    if (extension_id >= 0) result_.extensions[e.id] = extension_id;
    return *result;
  }

  // The result type of `o` applied to `args`, binding parameters, or
  // nullopt when it does not apply.
  std::optional<Type> TryOverload(const Expr& e, const Overload& o,
                                  absl::Span<const Type> args) {
    if (o.receiver_style != (e.target != nullptr)) return std::nullopt;
    if (o.params.size() != args.size()) return std::nullopt;
    // A known argument kind that differs from a known parameter kind can
    // never unify (IsAssignable would say no): reject before instantiating.
    for (size_t i = 0; i < args.size(); ++i) {
      if (KindsClash(args[i], o.params[i])) return std::nullopt;
    }
    Mapping fresh;  // the overload's own parameter -> a fresh one
    auto instantiate = [&](const Type& t) {
      if (!o.generic) return t;
      return InstantiateParams(t, &fresh);
    };
    // Without type parameters on either side, unification cannot touch the
    // mapping: spare the copy (most calls in rule conditions are like this).
    const bool needs_mapping =
        o.generic || std::any_of(args.begin(), args.end(), MentionsParam);
    if (!needs_mapping) {
      Mapping scratch;
      for (size_t i = 0; i < args.size(); ++i) {
        if (!IsAssignable(scratch, args[i], o.params[i])) return std::nullopt;
      }
      return o.result;
    }
    Mapping m = mapping_;
    for (size_t i = 0; i < args.size(); ++i) {
      if (!IsAssignable(m, args[i], instantiate(o.params[i]))) {
        return std::nullopt;
      }
    }
    // A parameter that only met dyn arguments stays unbound: it is dyn.
    for (const auto& [unused, param] : fresh) {
      if (!m.contains(param.param_name())) m[param.param_name()] = Type::Dyn();
    }
    Type result = instantiate(o.result);
    mapping_ = std::move(m);
    return Substitute(mapping_, result, false);
  }

  // Whether a value of type `arg` can never be used where `param` is
  // expected, judging by the outer kinds alone.
  static bool KindsClash(const Type& arg, const Type& param) {
    if (IsParam(arg) || IsParam(param) || IsDynOrError(arg) ||
        IsDynOrError(param)) {
      return false;
    }
    return arg.kind() != param.kind();
  }

  Type InstantiateParams(const Type& t, Mapping* fresh) {
    switch (t.kind()) {
      case TypeKind::kTypeParam: {
        auto it = fresh->find(t.param_name());
        if (it != fresh->end()) return it->second;
        Type p = Fresh();
        fresh->emplace(t.param_name(), p);
        return p;
      }
      case TypeKind::kList:
        return Type::List(InstantiateParams(t.elem(), fresh));
      case TypeKind::kMap:
        return Type::Map(InstantiateParams(t.key(), fresh),
                         InstantiateParams(t.value(), fresh));
      default:
        return t;
    }
  }

  Type CheckEquality(const Expr& e, absl::Span<const Type> args) {
    if (TryAssign(args[0], args[1]) ||
        EqualityComparable(Resolve(args[0]), Resolve(args[1]))) {
      return Type::Bool();
    }
    NoMatchingOverload(e, args);
    return Type::Error();
  }

  Type CheckConditional(const Expr& e, absl::Span<const Type> args) {
    if (!TryAssign(args[0], Type::Bool())) {
      NoMatchingOverload(e, args);
      return Type::Error();
    }
    const Type a = Resolve(args[1]), b = Resolve(args[2]);
    if (a == b) return args[1];
    if (a.is_dyn() || a.kind() == TypeKind::kNull) return args[2];
    if (b.is_dyn() || b.kind() == TypeKind::kNull) return args[1];
    if (TryAssign(args[1], args[2])) return MostGeneral(args[1], args[2]);
    NoMatchingOverload(e, args);
    return Type::Error();
  }

  // The join of the element types of a literal: their common type, or dyn.
  Type Join(const std::optional<Type>& previous, const Type& current) {
    if (!previous) return current;
    if (TryAssign(*previous, current)) return MostGeneral(*previous, current);
    return Type::Dyn();
  }

  Type VisitList(const Expr& e) {
    std::optional<Type> elem;
    bool has_error = false;
    for (const auto& arg : e.args) {
      const Type t = VisitChild(arg);
      if (t.kind() == TypeKind::kError) {
        has_error = true;
        continue;
      }
      elem = Join(elem, t);
    }
    if (has_error) return Type::Error();
    return Type::List(elem ? *elem : Fresh());
  }

  Type VisitMap(const Expr& e) {
    std::optional<Type> key, value;
    bool has_error = false;
    for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
      Type k = VisitChild(e.args[i]);
      const Type v = VisitChild(e.args[i + 1]);
      if (k.kind() == TypeKind::kError || v.kind() == TypeKind::kError) {
        has_error = true;
        continue;
      }
      switch (Resolve(k).kind()) {
        case TypeKind::kBool:
        case TypeKind::kInt:
        case TypeKind::kString:
        case TypeKind::kDyn:
          break;
        case TypeKind::kTypeParam:
          break;
        case TypeKind::kDouble:
          // The run time accepts integral doubles as keys; the key type is
          // then dyn.
          k = Type::Dyn();
          break;
        default:
          AddIssue(*e.args[i],
                   absl::StrCat("unsupported map key type '", Show(k), "'"));
          has_error = true;
          continue;
      }
      key = Join(key, k);
      value = Join(value, v);
    }
    if (has_error) return Type::Error();
    return Type::Map(key ? *key : Fresh(), value ? *value : Fresh());
  }

  Type VisitComprehension(const Expr& e) {
    const Type range = VisitChild(e.iter_range);
    const Type accu = VisitChild(e.accu_init);
    const Type resolved = Resolve(range);
    Type iter;
    bool range_ok = true;
    switch (resolved.kind()) {
      case TypeKind::kList:
        iter = resolved.elem();
        break;
      case TypeKind::kMap:
        iter = resolved.key();
        break;
      case TypeKind::kDyn:
        iter = Type::Dyn();
        break;
      case TypeKind::kTypeParam:
        TryAssign(Type::Dyn(), resolved);
        iter = Type::Dyn();
        break;
      case TypeKind::kError:
        iter = Type::Dyn();
        range_ok = false;
        break;
      default:
        AddIssue(e.iter_range ? *e.iter_range : e,
                 absl::StrCat("expression of type '", resolved.DebugString(),
                              "' cannot be the range of a comprehension "
                              "(must be list, map, or dynamic)"));
        iter = Type::Dyn();
        range_ok = false;
        break;
    }

    locals_.push_back({e.accu_var, accu});
    locals_.push_back({e.iter_var, iter});
    const Type condition = VisitChild(e.loop_condition);
    if (condition.kind() != TypeKind::kError &&
        !TryAssign(condition, Type::Bool())) {
      AddIssue(*e.loop_condition,
               absl::StrCat("comprehension condition must be bool, not '",
                            Show(condition), "'"));
    }
    const Type step = VisitChild(e.loop_step);
    if (step.kind() != TypeKind::kError && accu.kind() != TypeKind::kError &&
        !TryAssign(step, accu)) {
      AddIssue(*e.loop_step,
               absl::StrCat("comprehension step of type '", Show(step),
                            "' does not match its accumulator of type '",
                            Show(accu), "'"));
    }
    locals_.pop_back();  // the iteration variable is out of scope in result
    const Type result = VisitChild(e.result);
    locals_.pop_back();
    return range_ok ? result : Type::Error();
  }

  const Env& env_;
  CheckResult& result_;
  Mapping mapping_;
  int next_param_ = 0;
  std::vector<Local> locals_;  // innermost last
};

}  // namespace

CheckResult Check(const Expr& expr, const Env& env) {
  CheckResult result;
  Checker(env, &result).Run(expr);
  return result;
}

}  // namespace switchboard::cel
