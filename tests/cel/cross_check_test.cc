// Cross-checks the compiled evaluator (engine/cel/evaluator.cc) against the
// simple tree-walking reference evaluator (tests/support/reference_eval.h) on
// thousands of random expressions, as re2/testing/tester.h does for RE2's
// engines. Expressions are generated as CEL text from fixed seeds over a
// small Env (ints, doubles, strings, bools, lists, maps, an object with
// absent fields, an unbound variable, a host extension), mostly well typed
// and sometimes not; each is parsed, then compiled unchecked and, when the
// checker accepts it, checked, with and without constant folding. Every
// program must give what the reference gives: the same value of the same
// kind, or an error with the same code.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/cel/checker.h"
#include "engine/cel/env.h"
#include "engine/cel/parser.h"
#include "engine/cel/program.h"
#include "engine/cel/types.h"
#include "engine/cel/value.h"
#include "gtest/gtest.h"
#include "tests/support/cel_fixtures.h"
#include "tests/support/reference_eval.h"

namespace switchboard::cel {
namespace {

using ::switchboard::testing::ReferenceEvaluate;
using ::switchboard::testing::SameValue;
using ::switchboard::testing::TestActivation;
using ::switchboard::testing::TestObject;

constexpr int kTwiceId = 1;
constexpr int kShoutId = 2;

// The types the generator builds expressions of.
enum class T { kInt, kDouble, kString, kBool, kList, kMap };
constexpr T kAllTypes[] = {T::kInt,  T::kDouble, T::kString,
                           T::kBool, T::kList,   T::kMap};

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  std::string Generate(T type, int depth) {
    // Now and then an operand of the wrong type: an ill-typed expression.
    if (Chance(0.06)) type = kAllTypes[Pick(6)];
    if (depth <= 0 || Chance(0.25)) return Leaf(type);
    return Node(type, depth - 1);
  }

 private:
  struct Local {
    std::string name;
    T type;
  };

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename... Ts>
  std::string OneOf(Ts... options) {
    const char* all[] = {options...};
    return all[Pick(sizeof...(options))];
  }

  // A comprehension variable name; reusing names makes nested loops shadow.
  std::string LoopVar() { return OneOf("v", "w", "i", "s"); }

  std::string LocalOf(T type) {
    std::vector<const Local*> matches;
    for (const Local& l : locals_) {
      if (l.type == type) matches.push_back(&l);
    }
    // Only the innermost binding of a name is visible.
    std::vector<const Local*> visible;
    for (const Local* l : matches) {
      bool shadowed = false;
      for (size_t i = locals_.size(); i > 0; --i) {
        if (locals_[i - 1].name == l->name) {
          shadowed = &locals_[i - 1] != l;
          break;
        }
      }
      if (!shadowed) visible.push_back(l);
    }
    if (visible.empty()) return "";
    return visible[Pick(static_cast<int>(visible.size()))]->name;
  }

  std::string Leaf(T type) {
    if (Chance(0.3)) {
      std::string local = LocalOf(type);
      if (!local.empty()) return local;
    }
    switch (type) {
      case T::kInt:
        return OneOf("0", "1", "2", "3", "-1", "7", "100", "i", "j", "big",
                     "obj.n", "a.b", "u", "m.a", "m['zz']", "li[0]",
                     "9223372036854775807", "(-9223372036854775808)",
                     "obj.missing");
      case T::kDouble:
        return OneOf("0.0", "1.5", "-2.25", "1e300", "0.1", "-0.0", "d", "z",
                     "obj.x", "2.0");
      case T::kString:
        return OneOf("''", "'a'", "'hello'", "'ab c'", "s", "t", "obj.name",
                     "ls[1]", "'\\u00e9t\\u00e9'");
      case T::kBool:
        return OneOf("true", "false", "b", "f", "obj.ok", "null == null");
      case T::kList:
        return OneOf("li", "[]", "[1, 2]", "[i, j]", "[3, 1, 2]", "empty");
      case T::kMap:
        return OneOf("m", "{}", "{'a': 1}", "{'x': i, 'y': 2}");
    }
    return "null";
  }

  // `range.macro(var, body)` with the variable in scope in the body.
  std::string Loop(const std::string& range, T elem, const std::string& macro,
                   T body_type, int depth, const std::string& extra = "") {
    std::string var = LoopVar();
    locals_.push_back(Local{var, elem});
    std::string body = Generate(body_type, depth);
    std::string text;
    if (!extra.empty()) {
      // map(v, filter, transform)
      std::string filter = Generate(T::kBool, depth);
      text = absl::StrCat(range, ".", macro, "(", var, ", ", filter, ", ", body,
                          ")");
    } else {
      text = absl::StrCat(range, ".", macro, "(", var, ", ", body, ")");
    }
    locals_.pop_back();
    return text;
  }

  std::string Ternary(T type, int depth) {
    return absl::StrCat("(", Generate(T::kBool, depth), " ? ",
                        Generate(type, depth), " : ", Generate(type, depth),
                        ")");
  }

  std::string Binary(T type, const char* op, int depth) {
    return absl::StrCat("(", Generate(type, depth), " ", op, " ",
                        Generate(type, depth), ")");
  }

  std::string Node(T type, int d) {
    switch (type) {
      case T::kInt:
        switch (Pick(14)) {
          case 0:
            return Binary(T::kInt, "+", d);
          case 1:
            return Binary(T::kInt, "-", d);
          case 2:
            return Binary(T::kInt, "*", d);
          case 3:
            return Binary(T::kInt, "/", d);
          case 4:
            return Binary(T::kInt, "%", d);
          case 5:
            return absl::StrCat("-", Leaf(T::kInt));
          case 6:
            return Ternary(T::kInt, d);
          case 7:
            return absl::StrCat("size(", Generate(T::kString, d), ")");
          case 8:
            return absl::StrCat(Generate(T::kList, d), ".size()");
          case 9:
            return absl::StrCat("int(", Generate(T::kDouble, d), ")");
          case 10:
            return absl::StrCat("twice(", Generate(T::kInt, d), ")");
          case 11:
            return absl::StrCat(Generate(T::kList, d), "[",
                                Generate(T::kInt, d), "]");
          case 12:
            return absl::StrCat(Generate(T::kMap, d), "[",
                                Generate(T::kString, d), "]");
          default:
            return absl::StrCat(
                Loop(Generate(T::kList, d), T::kInt, "map", T::kInt, d),
                ".size()");
        }
      case T::kDouble:
        switch (Pick(7)) {
          case 0:
            return Binary(T::kDouble, "+", d);
          case 1:
            return Binary(T::kDouble, "-", d);
          case 2:
            return Binary(T::kDouble, "*", d);
          case 3:
            return Binary(T::kDouble, "/", d);
          case 4:
            return absl::StrCat("-", Leaf(T::kDouble));
          case 5:
            return absl::StrCat("double(", Generate(T::kInt, d), ")");
          default:
            return Ternary(T::kDouble, d);
        }
      case T::kString:
        switch (Pick(5)) {
          case 0:
            return Binary(T::kString, "+", d);
          case 1:
            return absl::StrCat("string(", Generate(T::kInt, d), ")");
          case 2:
            return absl::StrCat(Generate(T::kString, d), ".shout()");
          case 3:
            return Ternary(T::kString, d);
          default:
            return absl::StrCat("['x', ", Generate(T::kString, d), "][",
                                OneOf("0", "1", "2"), "]");
        }
      case T::kBool:
        switch (Pick(24)) {
          case 0:
            return Binary(T::kInt, OneOf("<", "<=", ">", ">=").c_str(), d);
          case 1:
            return Binary(T::kDouble, OneOf("<", ">=").c_str(), d);
          case 2:
            return Binary(T::kString, OneOf("<", ">").c_str(), d);
          case 3:
            return absl::StrCat("(", Generate(T::kInt, d), " ",
                                OneOf("<", "==", ">="), " ",
                                Generate(T::kDouble, d), ")");
          case 4: {
            T t = kAllTypes[Pick(6)];
            return Binary(t, OneOf("==", "!=").c_str(), d);
          }
          case 5:
          case 6:
            return Binary(T::kBool, "&&", d);
          case 7:
          case 8:
            return Binary(T::kBool, "||", d);
          case 9:
            return absl::StrCat("!", Leaf(T::kBool));
          case 10:
            return Ternary(T::kBool, d);
          case 11:
            return OneOf("has(obj.x)", "has(obj.n)", "has(m.a)", "has(m.q)",
                         "has(obj.ok)");
          case 12:
            return absl::StrCat(Generate(T::kString, d), ".",
                                OneOf("contains", "startsWith", "endsWith"),
                                "(", Generate(T::kString, d), ")");
          case 13:
            return absl::StrCat(
                Generate(T::kString, d), ".matches(",
                OneOf("'h.*'", "'^a'", "'[a-c]+'", "''", "'l{2}'"), ")");
          case 14:
            return absl::StrCat(Generate(T::kInt, d), " in ",
                                Generate(T::kList, d));
          case 15:
            return absl::StrCat(Generate(T::kString, d), " in ",
                                Generate(T::kMap, d));
          case 16:
            return Loop(Generate(T::kList, d), T::kInt, "all", T::kBool, d);
          case 17:
            return Loop(Generate(T::kList, d), T::kInt, "exists", T::kBool, d);
          case 18:
            return Loop(Generate(T::kList, d), T::kInt, "exists_one", T::kBool,
                        d);
          case 19:
            return Loop(Generate(T::kMap, d), T::kString,
                        OneOf("all", "exists"), T::kBool, d);
          case 20:
            return absl::StrCat("(", Generate(T::kInt, d), " ",
                                OneOf("==", "!="), " ", Generate(T::kInt, d),
                                ")");
          case 21:
            return absl::StrCat("(", Generate(T::kString, d), " ",
                                OneOf("==", "!="), " ", Generate(T::kString, d),
                                ")");
          case 22:
            return OneOf("nope || true", "unknown_fn(1) || true",
                         "false && i.frob()", "i.all(v, true)",
                         "'horses' || true");
          default:
            return Binary(T::kBool, "&&", d);
        }
      case T::kList:
        switch (Pick(6)) {
          case 0:
            return Binary(T::kList, "+", d);
          case 1:
            return absl::StrCat("[", Generate(T::kInt, d), ", ",
                                Generate(T::kInt, d), "]");
          case 2:
            return Loop(Generate(T::kList, d), T::kInt, "map", T::kInt, d);
          case 3:
            return Loop(Generate(T::kList, d), T::kInt, "filter", T::kBool, d);
          case 4:
            return Loop(Generate(T::kList, d), T::kInt, "map", T::kInt, d,
                        "filter");
          default:
            return Ternary(T::kList, d);
        }
      case T::kMap:
        switch (Pick(3)) {
          case 0:
            return absl::StrCat("{", Generate(T::kString, d), ": ",
                                Generate(T::kInt, d), "}");
          case 1:
            return absl::StrCat("{'k': ", Generate(T::kInt, d), ", ",
                                Generate(T::kString, d), ": 0}");
          default:
            return Ternary(T::kMap, d);
        }
    }
    return "null";
  }

  std::mt19937 rng_;
  std::vector<Local> locals_;
};

class CrossCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto thing = std::make_shared<ObjectType>("thing", "field");
    thing->AddField("n", Type::Int());
    thing->AddField("x", Type::Double());
    thing->AddField("name", Type::String());
    thing->AddField("ok", Type::Bool());
    thing->AddField("missing", Type::Int());
    object_ = std::make_unique<TestObject>(thing);
    object_->Set("n", Value::Int(5));
    object_->Set("name", Value::String("abc"));

    Bind("i", Type::Int(), Value::Int(7));
    Bind("j", Type::Int(), Value::Int(-3));
    Bind("big", Type::Int(), Value::Int(INT64_MAX - 1));
    Bind("d", Type::Double(), Value::Double(2.5));
    Bind("z", Type::Double(), Value::Double(0.0));
    Bind("s", Type::String(), Value::String("hello"));
    Bind("t", Type::String(), Value::String(""));
    Bind("b", Type::Bool(), Value::Bool(true));
    Bind("f", Type::Bool(), Value::Bool(false));
    Bind("li", Type::List(Type::Int()),
         Value::List({Value::Int(1), Value::Int(2), Value::Int(3)}));
    Bind("empty", Type::List(Type::Int()), Value::List({}));
    Bind("ls", Type::List(Type::String()),
         Value::List({Value::String("a"), Value::String("bc")}));
    Bind("m", Type::Map(Type::String(), Type::Int()),
         Value::Map({{Value::String("a"), Value::Int(1)},
                     {Value::String("b"), Value::Int(2)}}));
    Bind("obj", Type::Object(thing), Value::Object(object_.get()));
    Bind("a.b", Type::Int(), Value::Int(11));
    env_.AddVariable("u", Type::Int());  // declared, never bound
    env_.AddExtension(
        ExtensionDecl{"twice", false, {Type::Int()}, Type::Int(), kTwiceId});
    env_.AddExtension(ExtensionDecl{
        "shout", true, {Type::String()}, Type::String(), kShoutId});
    activation_.set_extension([](int id, absl::Span<const Value> args) {
      if (id == kTwiceId) {
        int64_t r;
        if (__builtin_mul_overflow(args[0].int_value(), 2, &r)) {
          return Value::Error(ErrorCode::kHost, "twice overflows");
        }
        return Value::Int(r);
      }
      if (id == kShoutId) {
        return Value::String(
            absl::StrCat(std::string(args[0].string_value()), "!"));
      }
      return Value::Error(ErrorCode::kHost, "unexpected extension");
    });
  }

  void Bind(const std::string& name, Type type, Value value) {
    activation_.Set(env_.AddVariable(name, std::move(type)), std::move(value));
  }

  struct Stats {
    int total = 0;
    int checked = 0;
    int errors = 0;
    int values = 0;
    int failures = 0;
  };

  // Runs `text` through every mode and compares with the reference.
  void CrossCheck(const std::string& text, Stats* stats) {
    ++stats->total;
    ParseResult parsed = Parse(text);
    if (parsed.expr == nullptr) {
      ++stats->failures;
      ADD_FAILURE() << "does not parse: " << text << ": "
                    << parsed.issues[0].message;
      return;
    }
    Value want = ReferenceEvaluate(*parsed.expr, env_, activation_);
    if (want.is_error()) {
      ++stats->errors;
    } else {
      ++stats->values;
    }
    CheckResult checked = Check(*parsed.expr, env_);
    if (checked.ok()) ++stats->checked;
    for (bool use_checker : {false, true}) {
      if (use_checker && !checked.ok()) continue;
      for (bool fold : {true, false}) {
        CompileOptions options;
        options.fold_constants = fold;
        absl::StatusOr<Program> program = Compile(
            *parsed.expr, env_, use_checker ? &checked : nullptr, options);
        if (!program.ok()) {
          ++stats->failures;
          ADD_FAILURE() << "does not compile: " << text << ": "
                        << program.status();
          continue;
        }
        Value got = program->Evaluate(activation_);
        if (!SameValue(got, want, /*compare_errors=*/true)) {
          ++stats->failures;
          if (stats->failures <= 25) {
            ADD_FAILURE() << text << "\n  checked=" << use_checker
                          << " fold=" << fold
                          << "\n  reference: " << want.DebugString()
                          << "\n  program:   " << got.DebugString() << "\n"
                          << program->Dump();
          }
        }
      }
    }
  }

  Env env_;
  std::unique_ptr<TestObject> object_;
  TestActivation activation_;
};

TEST_F(CrossCheckTest, HandPickedExpressionsAgree) {
  Stats stats;
  for (const char* text : {
           "i / 0 > 1 && false",
           "false && i / 0 > 1",
           "i / 0 > 1 || true",
           "true && i / 0 > 1",
           "i / 0 > 1 && i % 0 > 1",
           "'horses' || true",
           "a.as() || true",
           "b ? 1 : i / 0",
           "'cows' ? 1 : 2",
           "big + 2",
           "-(-9223372036854775807 - 1)",
           "big * 2 > 0",
           "[1].exists(v, [0].exists(v, v == 0))",
           "li.map(v, v / (v - 2))",
           "li.filter(v, v > 1)",
           "li.exists_one(v, v > 2)",
           "m.all(k, k.size() == 1)",
           "obj.x > 1.0 || true",
           "has(obj.x) ? obj.x : 0.0",
           "obj.name + s",
           "a.b + 1",
           "u + 1",
           "u + 1 > 0 || true",
           "twice(i)",
           "twice(big)",
           "s.shout()",
           "s.matches('l+')",
           "{'a': 1, 'a': 2}",
           "{'a': 1}.a",
           "[1, 2, 3][5]",
           "m['zz']",
           "1.0 / 0.0",
           "0.0 / 0.0 == 0.0 / 0.0",
           "li.map(v, li.map(v, v * 2))",
           "li.map(v, v > 1, v * 10)",
           "i.all(v, true)",
           // The checker accepts dyn arguments; the host must still get
           // only what it declared.
           "['x', 1.5][1].shout()",
           "dyn(1).shout()",
           "twice(dyn('a'))",
           "dyn(s).shout() == 'hello!'",
       }) {
    CrossCheck(text, &stats);
  }
  EXPECT_EQ(stats.failures, 0);
}

// $SWITCHBOARD_CROSS_CHECK_SEEDS (default 6) seeds of 800 expressions each;
// raise it for a longer soak.
TEST_F(CrossCheckTest, RandomExpressionsAgree) {
  uint32_t seeds = 6;
  if (const char* env = std::getenv("SWITCHBOARD_CROSS_CHECK_SEEDS")) {
    seeds = static_cast<uint32_t>(std::max(1, std::atoi(env)));
  }
  Stats stats;
  for (uint32_t seed = 1; seed <= seeds; ++seed) {
    Generator gen(seed);
    for (int n = 0; n < 800; ++n) {
      T type = kAllTypes[n % 6];
      if (n % 2 == 0) type = T::kBool;  // conditions are what rules use
      CrossCheck(gen.Generate(type, 1 + n % 5), &stats);
    }
  }
  // The sample is meaningful: both values and errors, many checked.
  EXPECT_GT(stats.values, stats.total / 4);
  EXPECT_GT(stats.errors, stats.total / 20);
  EXPECT_GT(stats.checked, stats.total / 5);
  EXPECT_EQ(stats.failures, 0);
  std::printf(
      "cross-checked %d expressions: %d checked, %d values, %d errors\n",
      stats.total, stats.checked, stats.values, stats.errors);
}

}  // namespace
}  // namespace switchboard::cel
