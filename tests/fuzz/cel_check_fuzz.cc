// libFuzzer target: the CEL checker, compiler and evaluator. The input is an
// expression's text; it is parsed, type-checked against the rule language's
// environment (engine/check/rule_env.h: `event` and `session` objects with
// attributes and fields of every supported type, `now`, open(),
// channel_up(), queue()), and when it checks, compiled twice (with and
// without constant folding) and evaluated against fixed values. Nothing may
// crash, hang (the evaluation budget bounds comprehensions) or throw, and:
//   - a non-error result has the kind of the checked type (or any kind for
//     dyn), e.g. an expression checked as int never yields a string;
//   - constant folding does not change whether the result is an error, nor
//     its kind.
// Run by tools/fuzz.sh; seeds: the CEL conformance expressions and the rule
// packs' conditions.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/cel/checker.h"
#include "engine/cel/parser.h"
#include "engine/cel/program.h"
#include "engine/cel/types.h"
#include "engine/cel/value.h"
#include "engine/check/rule_env.h"

namespace {

namespace cel = switchboard::cel;
using cel::Type;
using cel::Value;

// Host objects whose even-numbered fields hold a value of their type and
// whose odd-numbered fields are absent (reading one is an error value).
class FixedObject : public cel::ObjectValue {
 public:
  explicit FixedObject(const cel::ObjectType* type) : type_(type) {
    for (size_t i = 0; i < type->fields().size(); ++i) {
      values_.push_back(i % 2 == 0 ? SampleOf(type->fields()[i].type)
                                   : std::nullopt);
    }
  }
  const cel::ObjectType& type() const override { return *type_; }
  Value GetField(int index) const override {
    if (!HasField(index)) return Value::MissingField(type_, index);
    return *values_[index];
  }
  bool HasField(int index) const override {
    return index >= 0 && index < static_cast<int>(values_.size()) &&
           values_[index].has_value();
  }

 private:
  static std::optional<Value> SampleOf(const Type& type) {
    switch (type.kind()) {
      case cel::TypeKind::kBool:
        return Value::Bool(true);
      case cel::TypeKind::kInt:
        return Value::Int(-7);
      case cel::TypeKind::kDouble:
        return Value::Double(2.5);
      case cel::TypeKind::kString:
        return Value::String("gold");
      case cel::TypeKind::kDuration:
        return Value::Duration(absl::Seconds(90));
      case cel::TypeKind::kTimestamp:
        return Value::Timestamp(absl::FromUnixSeconds(1795000000));
      case cel::TypeKind::kList:
        return Value::List({Value::String("a"), Value::String("b")});
      case cel::TypeKind::kMap:
        return Value::Map({{Value::String("billing"), Value::Int(2)}});
      default:
        return std::nullopt;
    }
  }

  const cel::ObjectType* type_;
  std::vector<std::optional<Value>> values_;
};

class FixedActivation : public cel::Activation {
 public:
  FixedActivation(const switchboard::check::RuleEnv& env)
      : event_(env.event_type.get()),
        session_(env.session_type.get()),
        stats_(env.queue_stats_type.get()) {}
  Value GetVariable(int index) const override {
    switch (index) {
      case switchboard::check::kEventVariable:
        return Value::Object(&event_);
      case switchboard::check::kSessionVariable:
        return Value::Object(&session_);
      case switchboard::check::kNowVariable:
        return Value::Timestamp(absl::FromUnixSeconds(1795000123));
      default:
        return Value::Error(cel::ErrorCode::kUnknownVariable);
    }
  }
  Value CallExtension(int id, absl::Span<const Value> args) const override {
    switch (id) {
      case switchboard::check::kOpenExtension:
      case switchboard::check::kOpenAtExtension:
      case switchboard::check::kChannelUpExtension:
        return Value::Bool(!args.empty() &&
                           args[0].kind() == cel::ValueKind::kString);
      case switchboard::check::kQueueExtension:
        return Value::Object(&stats_);
      default:
        return Value::Error(cel::ErrorCode::kNoSuchOverload);
    }
  }

 private:
  FixedObject event_;
  FixedObject session_;
  FixedObject stats_;
};

const switchboard::check::RuleEnv& Env() {
  static const switchboard::check::RuleEnv* const env = [] {
    const std::vector<std::pair<std::string, Type>> attributes = {
        {"cart_items", Type::Int()},
        {"cart_value", Type::Double()},
        {"intent", Type::String()},
        {"vip", Type::Bool()},
        {"wait", Type::Duration()},
        {"since", Type::Timestamp()},
        {"labels", Type::List(Type::String())},
        {"skills", Type::Map(Type::String(), Type::Int())},
        {"extra", Type::Dyn()},
    };
    const std::vector<std::pair<std::string, Type>> fields = {
        {"bot_turns", Type::Int()},           {"score", Type::Double()},
        {"language", Type::String()},         {"escalated", Type::Bool()},
        {"last_offer", Type::Timestamp()},    {"budget", Type::Duration()},
        {"tags", Type::List(Type::String())},
    };
    return new switchboard::check::RuleEnv(
        switchboard::check::BuildRuleEnv("visitor", attributes, fields));
  }();
  return *env;
}

bool KindMatches(const Type& type, const Value& value) {
  switch (type.kind()) {
    case cel::TypeKind::kBool:
      return value.kind() == cel::ValueKind::kBool;
    case cel::TypeKind::kInt:
      return value.kind() == cel::ValueKind::kInt;
    case cel::TypeKind::kDouble:
      return value.kind() == cel::ValueKind::kDouble;
    case cel::TypeKind::kString:
      return value.kind() == cel::ValueKind::kString;
    case cel::TypeKind::kDuration:
      return value.kind() == cel::ValueKind::kDuration;
    case cel::TypeKind::kTimestamp:
      return value.kind() == cel::ValueKind::kTimestamp;
    case cel::TypeKind::kList:
      return value.kind() == cel::ValueKind::kList;
    case cel::TypeKind::kMap:
      return value.kind() == cel::ValueKind::kMap;
    case cel::TypeKind::kObject:
      return value.kind() == cel::ValueKind::kObject;
    default:
      return true;  // dyn, null (null or a wrapper), type parameters
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const cel::ParseResult parsed = cel::Parse(text);
  if (parsed.expr == nullptr) return 0;
  const switchboard::check::RuleEnv& env = Env();
  const FixedActivation activation(env);
  cel::CompileOptions folded;
  folded.max_iterations = 20000;  // keeps each run fast

  // Unchecked (CEL's disable_check mode): runtime type errors, unknown names.
  if (absl::StatusOr<cel::Program> unchecked =
          cel::Compile(*parsed.expr, *env.env, nullptr, folded);
      unchecked.ok()) {
    const Value v = unchecked->Evaluate(activation);
    (void)v;
  }

  const cel::CheckResult checked = cel::Check(*parsed.expr, *env.env);
  if (!checked.ok()) return 0;
  cel::CompileOptions plain = folded;
  plain.fold_constants = false;
  absl::StatusOr<cel::Program> a =
      cel::Compile(*parsed.expr, *env.env, &checked, folded);
  absl::StatusOr<cel::Program> b =
      cel::Compile(*parsed.expr, *env.env, &checked, plain);
  if (a.ok() != b.ok()) __builtin_trap();
  if (!a.ok()) return 0;  // e.g. a constant regex RE2 refuses
  const Value x = a->Evaluate(activation);
  const Value y = b->Evaluate(activation);
  if (x.is_error() != y.is_error()) __builtin_trap();
  if (x.is_error()) return 0;
  if (x.kind() != y.kind()) __builtin_trap();
  if (!KindMatches(checked.type, x)) __builtin_trap();
  return 0;
}
