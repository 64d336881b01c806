// Benchmarks of CEL condition evaluation (engine/cel/evaluator.cc): the cost
// of one Program::Evaluate for the shapes of condition that rules use, with
// an object-typed `event` read by field index, and, apart, the cost of
// turning the text into a Program (parse + check + compile). Setup is
// outside the timed loops; items/s counts evaluations.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "benchmark/benchmark.h"
#include "engine/cel/checker.h"
#include "engine/cel/env.h"
#include "engine/cel/parser.h"
#include "engine/cel/program.h"
#include "engine/cel/types.h"
#include "engine/cel/value.h"

namespace switchboard::cel {
namespace {

// An event with fields in a vector, as the engine's event objects.
class BenchEvent : public ObjectValue {
 public:
  explicit BenchEvent(std::shared_ptr<const ObjectType> type)
      : type_(std::move(type)), fields_(type_->fields().size()) {}
  void Set(std::string_view name, Value v) {
    fields_[type_->FindField(name)] = std::move(v);
  }
  const ObjectType& type() const override { return *type_; }
  Value GetField(int index) const override {
    const std::optional<Value>& f = fields_[index];
    return f.has_value() ? *f : Value::MissingField(type_.get(), index);
  }
  bool HasField(int index) const override { return fields_[index].has_value(); }

 private:
  std::shared_ptr<const ObjectType> type_;
  std::vector<std::optional<Value>> fields_;
};

class BenchActivation : public Activation {
 public:
  explicit BenchActivation(std::vector<Value> values)
      : values_(std::move(values)) {}
  Value GetVariable(int index) const override { return values_[index]; }

 private:
  std::vector<Value> values_;
};

// The rule engine's shape: `event` and `session` objects.
struct Fixture {
  Fixture() {
    auto event = std::make_shared<ObjectType>("event", "attribute");
    event->AddField("cart_items", Type::Int());
    event->AddField("cart_value", Type::Double());
    event->AddField("intent", Type::String());
    event->AddField("language", Type::String());
    event->AddField("tags", Type::List(Type::String()));
    auto session = std::make_shared<ObjectType>("session", "field");
    session->AddField("chat_offered", Type::Bool());
    env.AddVariable("event", Type::Object(event));
    env.AddVariable("session", Type::Object(session));

    event_value = std::make_unique<BenchEvent>(event);
    event_value->Set("cart_items", Value::Int(3));
    event_value->Set("cart_value", Value::Double(129.9));
    event_value->Set("intent", Value::StringView(billing));
    event_value->Set("language", Value::StringView(de));
    event_value->Set(
        "tags", Value::List({Value::String("web"), Value::String("new"),
                             Value::String("returning"),
                             Value::String("mobile"), Value::String("vip")}));
    session_value = std::make_unique<BenchEvent>(session);
    session_value->Set("chat_offered", Value::Bool(false));
    activation = std::make_unique<BenchActivation>(std::vector<Value>{
        Value::Object(event_value.get()), Value::Object(session_value.get())});
  }

  // Parse + check + compile; aborts the benchmark on a mistake.
  std::optional<Program> Build(std::string_view text, benchmark::State& state) {
    ParseResult parsed = Parse(text);
    if (parsed.expr == nullptr) {
      state.SkipWithError("parse failed");
      return std::nullopt;
    }
    CheckResult checked = Check(*parsed.expr, env);
    if (!checked.ok()) {
      state.SkipWithError("check failed");
      return std::nullopt;
    }
    absl::StatusOr<Program> program = Compile(*parsed.expr, env, &checked);
    if (!program.ok()) {
      state.SkipWithError("compile failed");
      return std::nullopt;
    }
    return std::move(*program);
  }

  std::string billing = "billing";
  std::string de = "de";
  Env env;
  std::unique_ptr<BenchEvent> event_value;
  std::unique_ptr<BenchEvent> session_value;
  std::unique_ptr<BenchActivation> activation;
};

constexpr char kThreeComparisons[] =
    "event.cart_items > 0 && event.cart_value >= 50.0 && "
    "event.intent == 'billing'";

void RunEval(benchmark::State& state, std::string_view text) {
  Fixture f;
  std::optional<Program> program = f.Build(text, state);
  if (!program.has_value()) return;
  Value first = program->Evaluate(*f.activation);
  if (!first.is_bool() || !first.bool_value()) {
    state.SkipWithError("condition does not hold");
    return;
  }
  for (auto _ : state) {
    Value v = program->Evaluate(*f.activation);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_EvalCondition_OneComparison(benchmark::State& state) {
  RunEval(state, "event.cart_items > 0");
}
BENCHMARK(BM_EvalCondition_OneComparison);

void BM_EvalCondition_ThreeComparisons(benchmark::State& state) {
  RunEval(state, kThreeComparisons);
}
BENCHMARK(BM_EvalCondition_ThreeComparisons);

void BM_EvalCondition_Regex(benchmark::State& state) {
  RunEval(state,
          "event.intent.matches('^bill(ing)?$') && event.language == 'de'");
}
BENCHMARK(BM_EvalCondition_Regex);

void BM_EvalCondition_Comprehension(benchmark::State& state) {
  RunEval(state, "event.tags.exists(t, t == 'vip') && !session.chat_offered");
}
BENCHMARK(BM_EvalCondition_Comprehension);

void BM_EvalCondition_MapFilter(benchmark::State& state) {
  RunEval(state,
          "event.tags.filter(t, t.size() > 3).map(t, t + '!')"
          ".size() == 2");
}
BENCHMARK(BM_EvalCondition_MapFilter);

// The one-time cost apart from evaluation: text to Program.
void BM_Compile_ThreeComparisons(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) {
    std::optional<Program> program = f.Build(kThreeComparisons, state);
    benchmark::DoNotOptimize(program);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Compile_ThreeComparisons);

}  // namespace
}  // namespace switchboard::cel
