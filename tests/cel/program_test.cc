// Unit tests of the CEL compiler and evaluator (engine/cel/program.h):
// short-circuit and error absorption of && / || / ?:, comprehensions and
// shadowing, field loads by index, has(), host extension calls, constant
// folding, constant regexes, the iteration cap, the Dump() listing, and that
// the common condition evaluates without allocating.
#include "engine/cel/program.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "engine/cel/checker.h"
#include "engine/cel/env.h"
#include "engine/cel/parser.h"
#include "engine/cel/types.h"
#include "engine/cel/value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/cel_fixtures.h"
#include "tests/support/status_matchers.h"

// Counts heap allocations, to show that Evaluate() does not allocate. (Not
// under AddressSanitizer, which has its own operator new. GCC cannot see
// that these replace both halves of new / delete.)
#if defined(__SANITIZE_ADDRESS__)
#define SWITCHBOARD_COUNT_ALLOCATIONS 0
#else
#define SWITCHBOARD_COUNT_ALLOCATIONS 1
#endif

namespace {

using ::switchboard::testing::StatusIs;
std::atomic<int64_t> g_allocations{0};
}  // namespace

#if SWITCHBOARD_COUNT_ALLOCATIONS
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too (std::stable_sort's buffer): under clang's
// AddressSanitizer the runtime's own nothrow new would otherwise meet the
// free() above, an alloc-dealloc mismatch.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
#endif

namespace switchboard::cel {
namespace {

using ::switchboard::testing::SameValue;
using ::switchboard::testing::TestActivation;
using ::switchboard::testing::TestObject;
using ::testing::HasSubstr;

constexpr int kProbeId = 7;
constexpr int kOpenId = 1;

class ProgramTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto event = std::make_shared<ObjectType>("event", "attribute");
    event->AddField("cart_items", Type::Int());
    event->AddField("cart_value", Type::Double());
    event->AddField("intent", Type::String());
    event->AddField("language", Type::String());
    auto session = std::make_shared<ObjectType>("session", "field");
    session->AddField("chat_offered", Type::Bool());
    session->AddField("cart_items", Type::Int());
    event_type_ = event;
    session_type_ = session;

    event_var_ = env_.AddVariable("event", Type::Object(event));
    session_var_ = env_.AddVariable("session", Type::Object(session));
    x_var_ = env_.AddVariable("x", Type::Int());
    l_var_ = env_.AddVariable("l", Type::List(Type::Int()));
    m_var_ = env_.AddVariable("m", Type::Map(Type::String(), Type::Int()));
    b_var_ = env_.AddVariable("b", Type::Bool());
    env_.AddVariable("a.b.c", Type::String());
    env_.AddExtension(
        ExtensionDecl{"probe", false, {Type::Int()}, Type::Bool(), kProbeId});
    env_.AddExtension(
        ExtensionDecl{"open", false, {Type::String()}, Type::Bool(), kOpenId});

    event_ = std::make_unique<TestObject>(event_type_);
    event_->Set("cart_items", Value::Int(3));
    event_->Set("cart_value", Value::Double(129.9));
    event_->Set("intent", Value::StringView(billing_));
    session_ = std::make_unique<TestObject>(session_type_);
    session_->Set("chat_offered", Value::Bool(false));

    activation_.Set(event_var_, Value::Object(event_.get()));
    activation_.Set(session_var_, Value::Object(session_.get()));
    activation_.Set(x_var_, Value::Int(7));
    activation_.Set(l_var_,
                    Value::List({Value::Int(1), Value::Int(2), Value::Int(3)}));
    activation_.Set(m_var_, Value::Map({{Value::String("a"), Value::Int(1)},
                                        {Value::String("b"), Value::Int(2)}}));
    activation_.Set(b_var_, Value::Bool(false));
    activation_.Set(env_.FindVariable("a.b.c"), Value::String("abc"));
    activation_.set_extension([](int id, absl::Span<const Value> args) {
      if (id == kProbeId) return Value::Bool(true);
      if (id == kOpenId) {
        return Value::Bool(args[0].string_value() == "service_hours");
      }
      return Value::Error(ErrorCode::kHost, "unexpected id");
    });
  }

  // Parses, optionally checks, and compiles `text`.
  absl::StatusOr<Program> CompileText(std::string_view text, bool checked,
                                      const CompileOptions& options = {}) {
    ParseResult parsed = Parse(text);
    EXPECT_NE(parsed.expr, nullptr) << text;
    if (parsed.expr == nullptr) return absl::InvalidArgumentError("parse");
    if (!checked) return Compile(*parsed.expr, env_, nullptr, options);
    CheckResult result = Check(*parsed.expr, env_);
    EXPECT_TRUE(result.ok())
        << text << ": " << (result.ok() ? "" : result.issues[0].message);
    return Compile(*parsed.expr, env_, &result, options);
  }

  // The value of `text`; the program is kept alive with the fixture.
  Value Eval(std::string_view text, bool checked = true,
             const CompileOptions& options = {}) {
    absl::StatusOr<Program> program = CompileText(text, checked, options);
    EXPECT_TRUE(program.ok()) << text << ": " << program.status();
    if (!program.ok()) return Value::Error(ErrorCode::kInvalidArgument);
    programs_.push_back(std::move(*program));
    return programs_.back().Evaluate(activation_);
  }

  // Evaluates in all four modes (checked or not, folding or not) and
  // expects the same result; returns it.
  Value EvalAll(std::string_view text, bool checkable = true) {
    CompileOptions no_fold;
    no_fold.fold_constants = false;
    Value v = Eval(text, /*checked=*/false);
    Value w = Eval(text, /*checked=*/false, no_fold);
    EXPECT_TRUE(SameValue(v, w, /*compare_errors=*/true))
        << text << ": " << v.DebugString() << " vs " << w.DebugString();
    if (checkable) {
      for (const CompileOptions& o : {CompileOptions{}, no_fold}) {
        Value c = Eval(text, /*checked=*/true, o);
        EXPECT_TRUE(SameValue(v, c, /*compare_errors=*/true))
            << text << ": " << v.DebugString() << " vs " << c.DebugString();
      }
    }
    return v;
  }

  std::string DumpOf(std::string_view text, bool checked = true) {
    absl::StatusOr<Program> program = CompileText(text, checked);
    EXPECT_TRUE(program.ok()) << program.status();
    return program.ok() ? program->Dump() : "";
  }

  static void ExpectBool(const Value& v, bool expected) {
    ASSERT_TRUE(v.is_bool()) << v.DebugString();
    EXPECT_EQ(v.bool_value(), expected);
  }
  static void ExpectInt(const Value& v, int64_t expected) {
    ASSERT_EQ(v.kind(), ValueKind::kInt) << v.DebugString();
    EXPECT_EQ(v.int_value(), expected);
  }
  static void ExpectError(const Value& v, ErrorCode code) {
    ASSERT_TRUE(v.is_error()) << v.DebugString();
    EXPECT_EQ(v.error_code(), code) << v.DebugString();
  }

  std::string billing_ = "billing";
  Env env_;
  std::shared_ptr<ObjectType> event_type_;
  std::shared_ptr<ObjectType> session_type_;
  int event_var_ = 0, session_var_ = 0, x_var_ = 0, l_var_ = 0, m_var_ = 0,
      b_var_ = 0;
  std::unique_ptr<TestObject> event_;
  std::unique_ptr<TestObject> session_;
  TestActivation activation_;
  std::vector<Program> programs_;
};

TEST_F(ProgramTest, EvaluatesArithmeticAndComparisons) {
  ExpectInt(EvalAll("x * 2 + 1"), 15);
  ExpectBool(EvalAll("x > 5 && x <= 7"), true);
  ExpectBool(EvalAll("event.cart_value >= 50.0"), true);
  ExpectBool(EvalAll("'abc' < 'abd'"), true);
  ExpectBool(EvalAll("x == 7.0"), true);
  ExpectBool(EvalAll("[1, 2] == [1.0, 2.0]"), true);
  ExpectBool(EvalAll("x != 8"), true);
  ExpectError(EvalAll("x + 9223372036854775807"), ErrorCode::kOverflow);
}

TEST_F(ProgramTest, FoldsConstants) {
  EXPECT_EQ(DumpOf("1 + 2 * 3"), "0: const 7\n");
  EXPECT_EQ(DumpOf("[1, 2 + 3]"), "0: const [1, 5]\n");
  EXPECT_EQ(DumpOf("false && (1 / 0 > 0)"), "0: const false\n");
  EXPECT_EQ(DumpOf("true ? x : 1 / 0"), "0: load_var var=2\n");
  ExpectBool(EvalAll("false && (1 / 0 > 0)"), false);
  ExpectBool(EvalAll("(1 / 0 > 0) || true"), true);
  ExpectError(EvalAll("true && (1 / 0 > 0)"), ErrorCode::kDivisionByZero);
}

TEST_F(ProgramTest, DoesNotFoldWhenTurnedOff) {
  CompileOptions options;
  options.fold_constants = false;
  absl::StatusOr<Program> program = CompileText("1 + 2", true, options);
  ASSERT_TRUE(program.ok());
  EXPECT_EQ(program->Dump(), "0: const 1\n1: const 2\n2: call _+_ argc=2\n");
}

TEST_F(ProgramTest, LoadsObjectFieldsByIndex) {
  EXPECT_EQ(DumpOf("event.cart_items > 0 && !session.chat_offered"),
            "0: field_compare _>_ var=0 field=0 (cart_items) 0\n"
            "1: and_jump -> 5\n"
            "2: load_field var=1 field=0 (chat_offered)\n"
            "3: not !_ argc=1\n"
            "4: and_merge\n");
  // The same code unchecked: names resolved by the compiler.
  EXPECT_EQ(DumpOf("event.cart_items > 0 && !session.chat_offered", false),
            DumpOf("event.cart_items > 0 && !session.chat_offered", true));
  ExpectBool(EvalAll("event.cart_items > 0 && !session.chat_offered"), true);
  ExpectBool(EvalAll("event.intent == 'billing'"), true);
}

TEST_F(ProgramTest, ComparesAFieldWithAConstantInOneInstruction) {
  EXPECT_EQ(DumpOf("event.intent != 'sales'"),
            "0: field_compare _!=_ var=0 field=2 (intent) \"sales\"\n");
  ExpectBool(EvalAll("event.intent != 'sales'"), true);
  ExpectBool(EvalAll("event.cart_items <= 3"), true);
  ExpectBool(EvalAll("event.cart_items < 3"), false);
  ExpectBool(EvalAll("event.cart_value > 100.0"), true);
  // The general paths: another kind, an absent field, no overload.
  ExpectBool(EvalAll("event.cart_items == 3.0"), true);
  ExpectBool(EvalAll("event.cart_items < 3.5", false), true);
  ExpectError(EvalAll("event.language == 'de'"), ErrorCode::kNoSuchField);
  ExpectError(EvalAll("event.intent > 1", false), ErrorCode::kNoSuchOverload);
}

TEST_F(ProgramTest, ReadingAnAbsentFieldIsAnError) {
  Value v = EvalAll("event.language == 'de'");
  ExpectError(v, ErrorCode::kNoSuchField);
  EXPECT_THAT(v.ErrorMessage(), HasSubstr("language"));
  // ... which && can absorb.
  ExpectBool(EvalAll("event.language == 'de' && false"), false);
}

TEST_F(ProgramTest, HasTestsPresence) {
  ExpectBool(EvalAll("has(event.intent)"), true);
  ExpectBool(EvalAll("has(event.language)"), false);
  ExpectBool(EvalAll("has(m.a)"), true);
  ExpectBool(EvalAll("has(m.z)"), false);
  EXPECT_THAT(DumpOf("has(event.language)"),
              HasSubstr("has_field var=0 field=3"));
  ExpectBool(EvalAll("has(event.language) && event.language == 'de'"), false);
}

TEST_F(ProgramTest, SelectsMapKeys) {
  ExpectInt(EvalAll("m.b"), 2);
  ExpectError(EvalAll("m.zz"), ErrorCode::kNoSuchKey);
  ExpectInt(EvalAll("{'k': {'j': 4}}.k.j"), 4);
  ExpectError(EvalAll("x.y", /*checkable=*/false), ErrorCode::kNoSuchOverload);
}

TEST_F(ProgramTest, AndOrAreCommutativeOverErrors) {
  struct Case {
    const char* text;
    bool checkable;
    std::optional<bool> value;  // nullopt: an error
    ErrorCode error = ErrorCode::kNoSuchOverload;
  };
  const Case cases[] = {
      {"x / 0 > 1 && false", true, false},
      {"false && x / 0 > 1", true, false},
      {"x / 0 > 1 || true", true, true},
      {"true || x / 0 > 1", true, true},
      {"true && x / 0 > 1", true, std::nullopt, ErrorCode::kDivisionByZero},
      {"x / 0 > 1 && true", true, std::nullopt, ErrorCode::kDivisionByZero},
      {"false || x / 0 > 1", true, std::nullopt, ErrorCode::kDivisionByZero},
      {"x / 0 > 1 && x % 0 > 1", true, std::nullopt,
       ErrorCode::kDivisionByZero},
      {"x % 0 > 1 || x / 0 > 1", true, std::nullopt, ErrorCode::kModulusByZero},
      {"'horses' || true", false, true},
      {"true || 'horses'", false, true},
      {"'horses' && false", false, false},
      {"'horses' && true", false, std::nullopt},
      {"true && 'horses'", false, std::nullopt},
      {"'less filling' || 'tastes great'", false, std::nullopt},
      {"a.as() || true", false, true},
      {"nope || x > 1", false, true},
      {"b && nope", false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Value v = EvalAll(c.text, c.checkable);
    if (c.value.has_value()) {
      ExpectBool(v, *c.value);
    } else {
      ExpectError(v, c.error);
    }
  }
}

TEST_F(ProgramTest, AndOrShortCircuit) {
  // b is false: probe() must not run.
  ExpectBool(Eval("b && probe(1)"), false);
  ExpectBool(Eval("!b || probe(1)"), true);
  EXPECT_EQ(activation_.extension_calls(), 0);
  ExpectBool(Eval("!b && probe(1)"), true);
  EXPECT_EQ(activation_.extension_calls(), 1);
}

TEST_F(ProgramTest, ConditionalEvaluatesOneBranch) {
  ExpectInt(EvalAll("x > 5 ? 1 : 2"), 1);
  ExpectInt(EvalAll("x > 9 ? 1 : 2"), 2);
  ExpectBool(Eval("b ? probe(1) : false"), false);
  EXPECT_EQ(activation_.extension_calls(), 0);
  ExpectError(EvalAll("'cows' ? false : 17", false),
              ErrorCode::kNoSuchOverload);
  ExpectError(EvalAll("x / 0 > 4 ? 'baz' : 'quux'"),
              ErrorCode::kDivisionByZero);
  ExpectInt(EvalAll("x > 5 ? 1 : 1 / 0"), 1);
}

TEST_F(ProgramTest, CallsPropagateTheFirstError) {
  ExpectError(EvalAll("(x / 0) + (x % 0)"), ErrorCode::kDivisionByZero);
  ExpectError(EvalAll("(x % 0) + (x / 0)"), ErrorCode::kModulusByZero);
  ExpectError(EvalAll("[1, x / 0, x % 0]"), ErrorCode::kDivisionByZero);
  ExpectError(EvalAll("{'a': x % 0, x / 0: 1}", false),
              ErrorCode::kModulusByZero);
  ExpectError(EvalAll("size([x / 0])"), ErrorCode::kDivisionByZero);
}

TEST_F(ProgramTest, RunsComprehensions) {
  ExpectBool(EvalAll("l.all(v, v > 0)"), true);
  ExpectBool(EvalAll("l.exists(v, v == 2)"), true);
  ExpectBool(EvalAll("l.exists_one(v, v > 1)"), false);
  ExpectBool(EvalAll("l.exists_one(v, v > 2)"), true);
  ExpectBool(EvalAll("m.all(k, k.size() == 1)"), true);
  ExpectBool(EvalAll("l.map(v, v * 2) == [2, 4, 6]"), true);
  ExpectBool(EvalAll("l.filter(v, v % 2 == 1) == [1, 3]"), true);
  ExpectBool(EvalAll("m.map(k, k) == ['a', 'b']"), true);
  ExpectBool(EvalAll("l.map(v, v > 1, v * 10) == [20, 30]"), true);
  ExpectBool(EvalAll("[].map(v, v) == []"), true);
  ExpectBool(EvalAll("l.map(a, l.map(b, a * b)) == [[1, 2, 3], [2, 4, 6], "
                     "[3, 6, 9]]"),
             true);
}

TEST_F(ProgramTest, ComprehensionErrors) {
  // all() / exists() absorb errors when another element decides.
  ExpectBool(EvalAll("[0, 1].exists(v, 1 / v == 1)"), true);
  ExpectBool(EvalAll("[0, 1].all(v, 1 / v == 2)"), false);
  ExpectError(EvalAll("[0, 1].all(v, 1 / v == 1)"), ErrorCode::kDivisionByZero);
  ExpectError(EvalAll("l.map(v, v / (v - 2))"), ErrorCode::kDivisionByZero);
  ExpectError(EvalAll("l.filter(v, v / (v - 2) > 0)"),
              ErrorCode::kDivisionByZero);
  ExpectError(EvalAll("[3, 2, 1, 0].exists_one(n, 12 / n > 1)"),
              ErrorCode::kDivisionByZero);
  // The range must be a list or a map.
  ExpectError(EvalAll("x.all(v, true)", false), ErrorCode::kNoSuchOverload);
  ExpectError(EvalAll("(x / 0 > 1 ? [1] : [2]).all(v, true)"),
              ErrorCode::kDivisionByZero);
}

TEST_F(ProgramTest, ComprehensionVariablesShadow) {
  ExpectBool(EvalAll("[1].exists(y, [0].exists(y, y == 0))"), true);
  ExpectBool(EvalAll("[1].all(x, x == 1)"), true);  // shadows the variable x
  ExpectBool(EvalAll("[{'b': {'c': 'z'}}].all(a, a.b.c == 'z')"), true);
  ExpectError(EvalAll("[1].all(v, v == 1) && v == 1", false),
              ErrorCode::kUnknownVariable);
  ExpectInt(EvalAll("[[1, 2], [3]].map(v, v.map(v, v * 2)).size()"), 2);
  ExpectBool(EvalAll("[[1, 2], [3]].map(v, v.map(v, v * 2)) == [[2, 4], [6]]"),
             true);
}

TEST_F(ProgramTest, ResolvesQualifiedNames) {
  Value v = EvalAll("a.b.c");
  ASSERT_EQ(v.kind(), ValueKind::kString) << v.DebugString();
  EXPECT_EQ(v.string_value(), "abc");
  ExpectInt(EvalAll("a.b.c.size()"), 3);
  ExpectError(EvalAll("nope + 1", false), ErrorCode::kUnknownVariable);
  ExpectError(EvalAll("a.b.d", false), ErrorCode::kUnknownVariable);
}

TEST_F(ProgramTest, ResolvesNamesInTheContainer) {
  Env env;
  env.set_container("com.example");
  int inner = env.AddVariable("com.example.y", Type::Int());
  int outer = env.AddVariable("y", Type::Int());
  TestActivation activation;
  activation.Set(inner, Value::Int(1));
  activation.Set(outer, Value::Int(2));
  for (bool checked : {false, true}) {
    for (const auto& [text, want] :
         std::vector<std::pair<std::string, int64_t>>{{"y", 1}, {".y", 2}}) {
      ParseResult parsed = Parse(text);
      ASSERT_NE(parsed.expr, nullptr);
      CheckResult result = Check(*parsed.expr, env);
      absl::StatusOr<Program> program =
          Compile(*parsed.expr, env, checked ? &result : nullptr);
      ASSERT_TRUE(program.ok()) << program.status();
      ExpectInt(program->Evaluate(activation), want);
    }
  }
}

TEST_F(ProgramTest, UnknownFunctionIsARuntimeErrorUnchecked) {
  ExpectError(EvalAll("frobnicate(1)", false), ErrorCode::kNoSuchOverload);
  ExpectError(EvalAll("frobnicate(1 / 0)", false), ErrorCode::kDivisionByZero);
  ExpectBool(EvalAll("frobnicate(1) || true", false), true);
}

TEST_F(ProgramTest, CallsExtensions) {
  EXPECT_THAT(DumpOf("open('service_hours')"),
              HasSubstr("call_ext open id=1 argc=1"));
  ExpectBool(EvalAll("open('service_hours')"), true);
  ExpectBool(EvalAll("open('weekend')"), false);
  int calls = activation_.extension_calls();
  // An erroneous argument: the host is not called.
  ExpectError(EvalAll("open(string(x / 0))"), ErrorCode::kDivisionByZero);
  EXPECT_EQ(activation_.extension_calls(), calls);
  // Unchecked, the argument kinds must fit a declared overload.
  ExpectError(EvalAll("open(1)", false), ErrorCode::kNoSuchOverload);
  EXPECT_EQ(activation_.extension_calls(), calls);
}

TEST_F(ProgramTest, UncheckedExtensionFallsBackToTheBuiltin) {
  Env env;
  int event = env.AddVariable("event", Type::Object(event_type_));
  env.AddExtension(ExtensionDecl{
      "size", false, {Type::Object(event_type_)}, Type::Int(), 9});
  TestActivation activation;
  activation.Set(event, Value::Object(event_.get()));
  activation.set_extension(
      [](int id, absl::Span<const Value>) { return Value::Int(id * 10); });
  ParseResult parsed = Parse("size(event) + size('abc')");
  ASSERT_NE(parsed.expr, nullptr);
  absl::StatusOr<Program> program = Compile(*parsed.expr, env, nullptr);
  ASSERT_TRUE(program.ok()) << program.status();
  ExpectInt(program->Evaluate(activation), 93);
}

TEST_F(ProgramTest, CompilesConstantRegexOnce) {
  std::string dump = DumpOf("event.intent.matches('^bill')");
  EXPECT_THAT(dump, HasSubstr("matches_re re=0 \"^bill\""));
  ExpectBool(EvalAll("event.intent.matches('^bill')"), true);
  ExpectBool(EvalAll("event.intent.matches('^sales')"), false);
  ExpectBool(EvalAll("matches(event.intent, 'l+i')"), true);
  ExpectBool(EvalAll("'billing'.matches('^b')"), true);
}

TEST_F(ProgramTest, RejectsBadConstantRegex) {
  absl::StatusOr<Program> program =
      CompileText("event.intent.matches('(unclosed')", true);
  ASSERT_FALSE(program.ok());
  EXPECT_THAT(program, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(program.status().message(), HasSubstr("(unclosed"));
  // Also in unchecked mode and in dead code.
  EXPECT_FALSE(CompileText("false && 'a'.matches('[')", false).ok());
}

TEST_F(ProgramTest, CapsIterations) {
  CompileOptions options;
  options.max_iterations = 5;
  ExpectBool(Eval("[1, 2, 3, 4, 5].all(v, v > 0)", true, options), true);
  ExpectError(Eval("[1, 2, 3, 4, 5, 6].all(v, v > 0)", true, options),
              ErrorCode::kLimit);
  // Nested loops count every inner step.
  ExpectError(Eval("[1, 2].all(a, [1, 2, 3].all(b, true))", true, options),
              ErrorCode::kLimit);
  // Even when the loop's own result would be absorbed.
  ExpectError(
      Eval("[1, 2, 3, 4, 5, 6].exists(c, false) || true", false, options),
      ErrorCode::kLimit);
}

TEST_F(ProgramTest, CapsWorkInLoopBodies) {
  // 30 steps, but each builds a list of 31 elements: 30 + 30 * 31 units.
  std::string list = "[0";
  for (int i = 1; i < 30; ++i) list += ", " + std::to_string(i);
  list += "]";
  const std::string text = list + ".map(y, " + list + " + [y])";
  CompileOptions options;
  options.max_iterations = 500;
  ExpectError(Eval(text, true, options), ErrorCode::kLimit);
  options.max_iterations = 30 + 30 * 31;
  Value v = Eval(text, true, options);
  ASSERT_EQ(v.kind(), ValueKind::kList);
  EXPECT_EQ(v.list_value().size(), 30u);
}

TEST_F(ProgramTest, RejectsACheckResultWithIssues) {
  ParseResult parsed = Parse("x + 'a'");
  ASSERT_NE(parsed.expr, nullptr);
  CheckResult result = Check(*parsed.expr, env_);
  ASSERT_FALSE(result.ok());
  EXPECT_FALSE(Compile(*parsed.expr, env_, &result).ok());
}

TEST_F(ProgramTest, DefaultProgramGivesAnError) {
  Program program;
  EXPECT_TRUE(program.Evaluate(activation_).is_error());
  EXPECT_EQ(program.Dump(), "");
}

TEST_F(ProgramTest, DumpsAComprehension) {
  EXPECT_EQ(DumpOf("l.exists(v, v == x)"),
            "0: load_var var=3\n"
            "1: iter_init slot=0 error -> 18\n"
            "2: const false\n"
            "3: store_local slot=2\n"
            "4: iter_next slot=0 done -> 17\n"
            "5: load_local slot=2\n"
            "6: not !_ argc=1\n"
            "7: not_strictly_false @not_strictly_false argc=1\n"
            "8: loop_cond else -> 17 error -> 18\n"
            "9: load_local slot=2\n"
            "10: or_jump -> 15\n"
            "11: load_local slot=1\n"
            "12: load_var var=2\n"
            "13: eq _==_ argc=2\n"
            "14: or_merge\n"
            "15: store_local slot=2\n"
            "16: jump -> 4\n"
            "17: load_local slot=2\n");
  // map() appends to a list builder; `v > 1` compares the loop variable in
  // place.
  EXPECT_EQ(DumpOf("l.map(v, v > 1, v * 2)"),
            "0: load_var var=3\n"
            "1: iter_init slot=0 error -> 14\n"
            "2: builder_init slot=2\n"
            "3: iter_next slot=0 done -> 13\n"
            "4: local_compare _>_ slot=1 1\n"
            "5: cond_jump else -> 12 error -> 11\n"
            "6: load_local slot=1\n"
            "7: const 2\n"
            "8: call _*_ argc=2\n"
            "9: append slot=2\n"
            "10: jump -> 3\n"
            "11: store_local slot=2\n"
            "12: jump -> 3\n"
            "13: builder_done slot=2\n");
}

TEST_F(ProgramTest, EvaluatesConditionWithoutAllocating) {
  if (!SWITCHBOARD_COUNT_ALLOCATIONS) GTEST_SKIP() << "allocations not counted";
  absl::StatusOr<Program> program = CompileText(
      "event.cart_items > 0 && !session.chat_offered && "
      "event.intent == 'billing' && event.cart_value >= 50.0 && "
      "(has(event.language) ? event.language == 'de' : true)",
      true);
  ASSERT_TRUE(program.ok()) << program.status();
  ExpectBool(program->Evaluate(activation_), true);
  int64_t before = g_allocations.load();
  bool all = true;
  for (int i = 0; i < 100; ++i) {
    Value v = program->Evaluate(activation_);
    all = all && v.is_bool() && v.bool_value();
  }
  int64_t after = g_allocations.load();
  EXPECT_TRUE(all);
  EXPECT_EQ(after - before, 0);
}

TEST_F(ProgramTest, EvaluatesFromManyThreads) {
  absl::StatusOr<Program> program = CompileText(
      "l.map(v, v * x).exists(v, v == 21) && event.intent.matches('^b')", true);
  ASSERT_TRUE(program.ok()) << program.status();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        Value v = program->Evaluate(activation_);
        if (!v.is_bool() || !v.bool_value()) wrong.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace switchboard::cel
