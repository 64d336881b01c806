// Tests of the CEL environment (name resolution) and type checker: node
// types, name resolution (locals, container, qualified names), overload
// resolution with type parameters, the rule authors' extensions, and the
// wording of every issue with its "did you mean" hint.
//
// Most cases are written as CEL text and go through Parse(); a few trees are
// built by hand so that the checker is tested apart from the parser. The
// last test checks every checked core conformance expression.
#include "engine/cel/checker.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/cel/parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/support/test_util.h"

namespace switchboard::cel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---- helpers
// -------------------------------------------------------------------

// The rule engine's shape: `event`, `session`, `now`, and host functions.
struct RuleEnv {
  RuleEnv() {
    auto ev = std::make_shared<ObjectType>("event", "attribute");
    ev->AddField("type", Type::String());
    ev->AddField("intent", Type::String());
    ev->AddField("cart_value", Type::Double());
    ev->AddField("cart_items", Type::Int());
    ev->AddField("time", Type::Timestamp());
    ev->AddField("tags", Type::List(Type::String()));
    ev->AddField("scores", Type::Map(Type::String(), Type::Double()));
    event = ev;
    auto se = std::make_shared<ObjectType>("session", "field");
    se->AddField("cart_items", Type::Int());
    se->AddField("chat_offered", Type::Bool());
    session = se;
    auto qs = std::make_shared<ObjectType>("queue_stats", "statistic");
    qs->AddField("waiting", Type::Int());
    qs->AddField("estimated_wait", Type::Duration());
    queue_stats = qs;

    event_index = env.AddVariable("event", Type::Object(event));
    session_index = env.AddVariable("session", Type::Object(session));
    now_index = env.AddVariable("now", Type::Timestamp());
    env.AddExtension({"open", false, {Type::String()}, Type::Bool(), 7});
    env.AddExtension(
        {"open", false, {Type::String(), Type::Timestamp()}, Type::Bool(), 8});
    env.AddExtension(
        {"queue", false, {Type::String()}, Type::Object(queue_stats), 9});
  }

  std::shared_ptr<const ObjectType> event, session, queue_stats;
  int event_index, session_index, now_index;
  Env env;
};

CheckResult CheckText(std::string_view text, const Env& env) {
  ParseResult parsed = Parse(text);
  if (parsed.expr == nullptr) {
    CheckResult r;
    for (const Issue& issue : parsed.issues) {
      r.issues.push_back({issue.offset, "parse error: " + issue.message});
    }
    r.type = Type::Error();
    return r;
  }
  return Check(*parsed.expr, env);
}

std::vector<std::string> Messages(const CheckResult& r) {
  std::vector<std::string> out;
  for (const Issue& issue : r.issues) out.push_back(issue.message);
  return out;
}

// The type of `text`, or "issues: ..." when it does not check.
std::string TypeOf(std::string_view text, const Env& env) {
  CheckResult r = CheckText(text, env);
  if (!r.ok()) {
    std::string out = "issues:";
    for (const Issue& issue : r.issues) out += " [" + issue.message + "]";
    return out;
  }
  return r.type.DebugString();
}

// The single issue message of `text`, or a description of what happened.
std::string IssueOf(std::string_view text, const Env& env) {
  CheckResult r = CheckText(text, env);
  if (r.issues.size() != 1) {
    std::string out = std::to_string(r.issues.size()) + " issues:";
    for (const Issue& issue : r.issues) out += " [" + issue.message + "]";
    return out;
  }
  return r.issues[0].message;
}

// Builds trees by hand, with ids 1, 2, ...
class TreeBuilder {
 public:
  using P = std::unique_ptr<Expr>;

  P Int(int64_t v, Offset at = 0) {
    P e = New(ExprKind::kConstant, at);
    e->constant.kind = Constant::Kind::kInt;
    e->constant.int_value = v;
    return e;
  }
  P Uint(uint64_t v, Offset at = 0) {
    P e = New(ExprKind::kConstant, at);
    e->constant.kind = Constant::Kind::kUint;
    e->constant.uint_value = v;
    return e;
  }
  P Bool(bool v, Offset at = 0) {
    P e = New(ExprKind::kConstant, at);
    e->constant.kind = Constant::Kind::kBool;
    e->constant.bool_value = v;
    return e;
  }
  P Str(std::string v, Offset at = 0) {
    P e = New(ExprKind::kConstant, at);
    e->constant.kind = Constant::Kind::kString;
    e->constant.string_value = std::move(v);
    return e;
  }
  P Ident(std::string name, Offset at = 0) {
    P e = New(ExprKind::kIdent, at);
    e->name = std::move(name);
    return e;
  }
  P Select(P target, std::string field, Offset at = 0, bool test_only = false) {
    P e = New(ExprKind::kSelect, at);
    e->target = std::move(target);
    e->name = std::move(field);
    e->test_only = test_only;
    return e;
  }
  template <typename... Args>
  P Call(std::string fn, Offset at, Args... args) {
    P e = New(ExprKind::kCall, at);
    e->name = std::move(fn);
    (e->args.push_back(std::move(args)), ...);
    return e;
  }
  template <typename... Args>
  P Member(P target, std::string fn, Offset at, Args... args) {
    P e = Call(std::move(fn), at, std::move(args)...);
    e->target = std::move(target);
    return e;
  }
  template <typename... Args>
  P List(Args... args) {
    P e = New(ExprKind::kList, 0);
    (e->args.push_back(std::move(args)), ...);
    return e;
  }
  // range.exists(var, predicate), expanded as the parser does.
  P Exists(P range, std::string var, P predicate) {
    P e = New(ExprKind::kComprehension, 0);
    e->iter_var = std::move(var);
    e->accu_var = kAccumulatorName;
    e->iter_range = std::move(range);
    e->accu_init = Bool(false);
    e->loop_condition = Call(op::kNotStrictlyFalse, 0,
                             Call(op::kLogicalNot, 0, Ident(kAccumulatorName)));
    e->loop_step =
        Call(op::kLogicalOr, 0, Ident(kAccumulatorName), std::move(predicate));
    e->result = Ident(kAccumulatorName);
    return e;
  }

 private:
  P New(ExprKind kind, Offset at) {
    auto e = std::make_unique<Expr>();
    e->id = next_id_++;
    e->kind = kind;
    e->offset = at;
    return e;
  }
  int64_t next_id_ = 1;
};

// ---- Env
// -------------------------------------------------------------------------

TEST(EnvTest, AddsVariablesByIndexAndReplacesRedeclarations) {
  Env env;
  EXPECT_EQ(env.AddVariable("a", Type::Int()), 0);
  EXPECT_EQ(env.AddVariable("b.c", Type::String()), 1);
  EXPECT_EQ(env.AddVariable("a", Type::Double()), 0);
  ASSERT_EQ(env.variables().size(), 2u);
  EXPECT_EQ(env.variables()[0].type, Type::Double());
  EXPECT_EQ(env.FindVariable("b.c"), 1);
  EXPECT_EQ(env.FindVariable("b"), -1);
}

TEST(EnvTest, ResolvesNamesThroughTheContainerInnermostFirst) {
  Env env;
  env.set_container("a.b");
  const int abxy = env.AddVariable("a.b.x.y", Type::Int());
  const int axy = env.AddVariable("a.x.y", Type::Int());
  const int xy = env.AddVariable("x.y", Type::Int());
  const int az = env.AddVariable("a.z", Type::Int());
  EXPECT_EQ(env.ResolveVariable("x.y"), abxy);
  EXPECT_EQ(env.ResolveVariable(".x.y"), xy);
  EXPECT_EQ(env.ResolveVariable(".a.x.y"), axy);
  EXPECT_EQ(env.ResolveVariable("z"), az);
  EXPECT_EQ(env.ResolveVariable("b.x.y"), abxy);
  EXPECT_EQ(env.ResolveVariable("q"), -1);
  EXPECT_EQ(env.ResolveVariable(".z"), -1);

  Env no_container;
  no_container.AddVariable("x.y", Type::Int());
  EXPECT_EQ(no_container.ResolveVariable("x.y"), 0);
  EXPECT_EQ(no_container.ResolveVariable(".x.y"), 0);
}

TEST(EnvTest, NamesListsVariablesAndFunctionsOnce) {
  RuleEnv r;
  EXPECT_THAT(r.env.Names(),
              ElementsAre("event", "session", "now", "open", "queue"));
}

// ---- hand-built trees (independent of the parser)
// --------------------------------

TEST(CheckerTreeTest, TypesARuleCondition) {
  RuleEnv r;
  TreeBuilder b;
  // session.cart_items > 0 && !session.chat_offered
  auto expr = b.Call(
      op::kLogicalAnd, 23,
      b.Call(op::kGreater, 19, b.Select(b.Ident("session", 0), "cart_items", 7),
             b.Int(0, 21)),
      b.Call(op::kLogicalNot, 26,
             b.Select(b.Ident("session", 27), "chat_offered", 34)));
  CheckResult result = Check(*expr, r.env);
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.type, Type::Bool());
  EXPECT_EQ(result.types.at(expr->id), Type::Bool());
  const Expr& gt = *expr->args[0];
  EXPECT_EQ(result.types.at(gt.args[0]->id), Type::Int());
  EXPECT_EQ(result.types.at(gt.args[0]->target->id), Type::Object(r.session));
  EXPECT_EQ(result.variables.at(gt.args[0]->target->id), r.session_index);
  EXPECT_EQ(result.variables.size(), 2u);
  EXPECT_TRUE(result.extensions.empty());
}

TEST(CheckerTreeTest, ReportsUnknownAttributeWithSuggestion) {
  RuleEnv r;
  TreeBuilder b;
  auto expr = b.Call(op::kEquals, 13, b.Select(b.Ident("event"), "intnet", 5),
                     b.Str("x", 16));
  CheckResult result = Check(*expr, r.env);
  ASSERT_EQ(result.issues.size(), 1u);
  EXPECT_EQ(result.issues[0].offset, 5);
  EXPECT_EQ(result.issues[0].message,
            "unknown attribute 'intnet' of event; did you mean 'intent'?");
  EXPECT_EQ(result.type.kind(), TypeKind::kError);
}

TEST(CheckerTreeTest, ReportsOperandTypesOfUnmatchedOverloads) {
  Env env;
  TreeBuilder b;
  auto expr = b.Call(op::kAdd, 2, b.Int(1, 0), b.Str("a", 4));
  CheckResult result = Check(*expr, env);
  ASSERT_EQ(result.issues.size(), 1u);
  EXPECT_EQ(result.issues[0].offset, 2);
  EXPECT_EQ(result.issues[0].message,
            "found no matching overload for '_+_' applied to '(int, string)'");

  auto member = b.Member(b.Int(1), "contains", 2, b.Str("a"));
  EXPECT_EQ(Check(*member, env).issues.at(0).message,
            "found no matching overload for 'contains' applied to "
            "'int.(string)'");
}

TEST(CheckerTreeTest, ChecksComprehensionsAndShadowing) {
  Env env;
  env.AddVariable("x", Type::String());
  TreeBuilder b;
  // [1, 2].exists(x, x > 1): x is the int element, not the string variable.
  auto expr = b.Exists(b.List(b.Int(1), b.Int(2)), "x",
                       b.Call(op::kGreater, 0, b.Ident("x"), b.Int(1)));
  CheckResult result = Check(*expr, env);
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.type, Type::Bool());
  EXPECT_TRUE(result.variables.empty());
}

TEST(CheckerTreeTest, ResolvesQualifiedNamesLongestPrefixFirst) {
  Env env;
  env.AddVariable("a.b", Type::Map(Type::String(), Type::Int()));
  env.AddVariable("a.b.c", Type::String());
  TreeBuilder b;
  auto abc = b.Select(b.Select(b.Ident("a"), "b"), "c");
  CheckResult result = Check(*abc, env);
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.type, Type::String());
  EXPECT_EQ(result.variables.size(), 1u);
  EXPECT_EQ(result.variables.at(abc->id), 1);

  auto abd = b.Select(b.Select(b.Ident("a"), "b"), "d");
  result = Check(*abd, env);
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.type, Type::Int());
  EXPECT_EQ(result.variables.size(), 1u);
  EXPECT_EQ(result.variables.at(abd->target->id), 0);
}

TEST(CheckerTreeTest, RefusesUintLiterals) {
  Env env;
  TreeBuilder b;
  auto expr = b.Uint(1, 3);
  CheckResult result = Check(*expr, env);
  ASSERT_EQ(result.issues.size(), 1u);
  EXPECT_EQ(result.issues[0].offset, 3);
  EXPECT_EQ(result.issues[0].message, "uint literals are not supported");
}

TEST(CheckerTreeTest, SortsIssuesByOffset) {
  Env env;
  TreeBuilder b;
  // (x + 1) == y, with the operands' offsets in reverse visiting order.
  auto expr = b.Call(op::kEquals, 8, b.Ident("y", 12), b.Ident("x", 1));
  CheckResult result = Check(*expr, env);
  ASSERT_EQ(result.issues.size(), 2u);
  EXPECT_EQ(result.issues[0].message, "undeclared reference to 'x'");
  EXPECT_EQ(result.issues[1].message, "undeclared reference to 'y'");
}

// ---- literals
// -----------------------------------------------------------------------

TEST(CheckerTest, TypesLiterals) {
  Env env;
  EXPECT_EQ(TypeOf("1", env), "int");
  EXPECT_EQ(TypeOf("1.5", env), "double");
  EXPECT_EQ(TypeOf("'a'", env), "string");
  EXPECT_EQ(TypeOf("true", env), "bool");
  EXPECT_EQ(TypeOf("null", env), "null_type");
  EXPECT_EQ(TypeOf("[1, 2]", env), "list(int)");
  EXPECT_EQ(TypeOf("[[1], []]", env), "list(list(int))");
  EXPECT_EQ(TypeOf("{'a': 1}", env), "map(string, int)");
  EXPECT_EQ(TypeOf("duration('90s')", env), "duration");
  EXPECT_EQ(TypeOf("timestamp('2026-11-23T18:02:00Z')", env), "timestamp");
}

TEST(CheckerTest, MixedAggregateLiteralsAreDyn) {
  Env env;
  EXPECT_EQ(TypeOf("[1, 'dos', 3]", env), "list(dyn)");
  EXPECT_EQ(TypeOf("[1, null]", env), "list(dyn)");
  EXPECT_EQ(TypeOf("{'a': 1, 'b': 'c'}", env), "map(string, dyn)");
  EXPECT_EQ(TypeOf("{1: 'a', 'b': 'c'}", env), "map(dyn, string)");
  EXPECT_EQ(TypeOf("{1.0: 'a'}", env), "map(dyn, string)");
  EXPECT_EQ(TypeOf("[1, 'dos', 3] == [1, 2, 4]", env), "bool");
}

TEST(CheckerTest, EmptyAggregatesTakeTheirTypeFromUse) {
  Env env;
  EXPECT_EQ(TypeOf("[]", env), "list(dyn)");
  EXPECT_EQ(TypeOf("{}", env), "map(dyn, dyn)");
  EXPECT_EQ(TypeOf("[] + [1]", env), "list(int)");
  EXPECT_EQ(TypeOf("size([])", env), "int");
  EXPECT_EQ(TypeOf("true ? [] : ['a']", env), "list(string)");
}

TEST(CheckerTest, RefusesUintAndBytesLiterals) {
  Env env;
  EXPECT_EQ(IssueOf("1u", env), "uint literals are not supported");
  EXPECT_EQ(IssueOf("b'abc'", env), "bytes literals are not supported");
  EXPECT_EQ(IssueOf("[1u] + [1]", env), "uint literals are not supported");
}

TEST(CheckerTest, RefusesUnsupportedMapKeys) {
  Env env;
  EXPECT_EQ(IssueOf("{[1]: 2}", env), "unsupported map key type 'list(int)'");
  EXPECT_EQ(IssueOf("{null: 2}", env), "unsupported map key type 'null_type'");
}

// ---- names
// --------------------------------------------------------------------------

TEST(CheckerTest, ResolvesRuleVariablesAndFields) {
  RuleEnv r;
  EXPECT_EQ(TypeOf("session.cart_items > 0 && !session.chat_offered", r.env),
            "bool");
  EXPECT_EQ(TypeOf("event.cart_value", r.env), "double");
  EXPECT_EQ(TypeOf("event.time", r.env), "timestamp");
  EXPECT_EQ(TypeOf("event", r.env), "event");
  EXPECT_EQ(TypeOf("now", r.env), "timestamp");
  EXPECT_EQ(TypeOf("event.tags", r.env), "list(string)");
  EXPECT_EQ(TypeOf("event.scores.angry", r.env), "double");
}

TEST(CheckerTest, RecordsVariablesByNode) {
  RuleEnv r;
  ParseResult parsed = Parse("event.intent == 'buy' && now > event.time");
  ASSERT_NE(parsed.expr, nullptr);
  CheckResult result = Check(*parsed.expr, r.env);
  ASSERT_TRUE(result.ok());
  std::vector<int> indexes;
  for (const auto& [id, index] : result.variables) indexes.push_back(index);
  std::sort(indexes.begin(), indexes.end());
  EXPECT_THAT(indexes, ElementsAre(r.event_index, r.event_index, r.now_index));
  // Every node has a type.
  EXPECT_EQ(result.types.at(parsed.expr->id), Type::Bool());
  EXPECT_GE(result.types.size(), 9u);
}

TEST(CheckerTest, ReportsUndeclaredNamesWithSuggestions) {
  RuleEnv r;
  EXPECT_EQ(IssueOf("evnt.intent == 'x'", r.env),
            "undeclared reference to 'evnt'; did you mean 'event'?");
  EXPECT_EQ(IssueOf("nwo", r.env),
            "undeclared reference to 'nwo'; did you mean 'now'?");
  EXPECT_EQ(IssueOf("zebra", r.env), "undeclared reference to 'zebra'");
  EXPECT_EQ(IssueOf("event.tags.exists(item, itme == 'a')", r.env),
            "undeclared reference to 'itme'; did you mean 'item'?");
}

TEST(CheckerTest, ReportsUnknownFieldsWithTheObjectsNoun) {
  RuleEnv r;
  EXPECT_EQ(IssueOf("event.intnet == 'x'", r.env),
            "unknown attribute 'intnet' of event; did you mean 'intent'?");
  EXPECT_EQ(IssueOf("session.chat_ofered", r.env),
            "unknown field 'chat_ofered' of session; did you mean "
            "'chat_offered'?");
  EXPECT_EQ(IssueOf("queue('sales').wating > 2", r.env),
            "unknown statistic 'wating' of queue_stats; did you mean "
            "'waiting'?");
  EXPECT_EQ(IssueOf("event.zzzzzz", r.env),
            "unknown attribute 'zzzzzz' of event");
}

TEST(CheckerTest, SelectsOnMapsAndDyn) {
  Env env;
  env.AddVariable("m", Type::Map(Type::String(), Type::Int()));
  env.AddVariable("im", Type::Map(Type::Int(), Type::Int()));
  env.AddVariable("d", Type::Dyn());
  EXPECT_EQ(TypeOf("m.a", env), "int");
  EXPECT_EQ(TypeOf("d.a.b", env), "dyn");
  EXPECT_EQ(TypeOf("has(m.a)", env), "bool");
  EXPECT_EQ(TypeOf("has(d.a)", env), "bool");
  EXPECT_EQ(TypeOf("has({}.a)", env), "bool");
  EXPECT_EQ(IssueOf("im.a", env),
            "type 'map(int, int)' does not support field selection");
}

TEST(CheckerTest, RefusesFieldSelectionOnScalars) {
  RuleEnv r;
  EXPECT_EQ(IssueOf("event.cart_items.count", r.env),
            "type 'int' does not support field selection");
  EXPECT_EQ(IssueOf("'abc'.size", r.env),
            "type 'string' does not support field selection");
  EXPECT_EQ(IssueOf("has(now.seconds)", r.env),
            "type 'timestamp' does not support field selection");
}

TEST(CheckerTest, ChecksHas) {
  RuleEnv r;
  EXPECT_EQ(TypeOf("has(event.intent)", r.env), "bool");
  EXPECT_EQ(IssueOf("has(event.intnet)", r.env),
            "unknown attribute 'intnet' of event; did you mean 'intent'?");
  Env env;
  env.AddVariable("a.b", Type::String());
  EXPECT_EQ(IssueOf("has(a.b)", env),
            "has() needs a field selection, but 'a.b' names a variable");
}

TEST(CheckerTest, ResolvesQualifiedNames) {
  Env env;
  env.AddVariable("a.b.c", Type::String());
  env.AddVariable("x.y", Type::Map(Type::String(), Type::Int()));
  EXPECT_EQ(TypeOf("a.b.c", env), "string");
  EXPECT_EQ(TypeOf("x.y.z", env), "int");
  EXPECT_EQ(TypeOf("a.b.c.size()", env), "int");
  EXPECT_EQ(IssueOf("a.b", env), "undeclared reference to 'a'");

  ParseResult parsed = Parse("a.b.c");
  ASSERT_NE(parsed.expr, nullptr);
  CheckResult result = Check(*parsed.expr, env);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.variables.size(), 1u);
  EXPECT_EQ(result.variables.at(parsed.expr->id), 0);
}

TEST(CheckerTest, ResolvesNamesInTheContainer) {
  // After conformance namespace.json.
  Env env;
  env.set_container("com.example");
  env.AddVariable("com.example.y", Type::Bool());
  env.AddVariable("y", Type::String());
  EXPECT_EQ(TypeOf("y", env), "bool");
  EXPECT_EQ(TypeOf(".y", env), "string");
  EXPECT_EQ(TypeOf("example.y", env), "bool");
  EXPECT_EQ(TypeOf(".com.example.y", env), "bool");
  // Comprehension variables shadow declared names, except absolute ones.
  EXPECT_EQ(TypeOf("[0].exists(y, y == 0)", env), "bool");
  EXPECT_EQ(TypeOf("['compre'].exists(y, .y == 'y')", env), "bool");
  EXPECT_EQ(TypeOf("[1].exists(y, [0].exists(y, y == 0))", env), "bool");
}

TEST(CheckerTest, ComprehensionVariablesShadowQualifiedNames) {
  Env env;
  env.set_container("com.example");
  env.AddVariable("com.example.y.z", Type::String());
  EXPECT_EQ(TypeOf("[{'z': 0}].exists(y, y.z == 0)", env), "bool");
  EXPECT_EQ(TypeOf("y.z", env), "string");
}

// ---- calls
// --------------------------------------------------------------------------

TEST(CheckerTest, ChoosesArithmeticOverloads) {
  RuleEnv r;
  EXPECT_EQ(TypeOf("1 + 2 * 3 - 4 / 5 % 6", r.env), "int");
  EXPECT_EQ(TypeOf("1.5 * -2.0", r.env), "double");
  EXPECT_EQ(TypeOf("'a' + 'b'", r.env), "string");
  EXPECT_EQ(TypeOf("[1] + [2]", r.env), "list(int)");
  EXPECT_EQ(TypeOf("now - event.time", r.env), "duration");
  EXPECT_EQ(TypeOf("now + duration('1h')", r.env), "timestamp");
  EXPECT_EQ(TypeOf("duration('1h') + now", r.env), "timestamp");
  EXPECT_EQ(TypeOf("now - duration('1h')", r.env), "timestamp");
  EXPECT_EQ(TypeOf("duration('1h') - duration('1m')", r.env), "duration");
  EXPECT_EQ(TypeOf("now - event.time > duration('5m')", r.env), "bool");
}

TEST(CheckerTest, ReportsOperandTypesOfUnmatchedOverloads) {
  RuleEnv r;
  EXPECT_EQ(IssueOf("1 + 'a'", r.env),
            "found no matching overload for '_+_' applied to '(int, string)'");
  EXPECT_EQ(IssueOf("event.cart_value * 2", r.env),
            "found no matching overload for '_*_' applied to '(double, int)'");
  EXPECT_EQ(IssueOf("now + 1", r.env),
            "found no matching overload for '_+_' applied to "
            "'(timestamp, int)'");
  EXPECT_EQ(IssueOf("[1] + ['a']", r.env),
            "found no matching overload for '_+_' applied to "
            "'(list(int), list(string))'");
  EXPECT_EQ(IssueOf("-'a'", r.env),
            "found no matching overload for '-_' applied to '(string)'");
  EXPECT_EQ(IssueOf("event.cart_items.contains('a')", r.env),
            "found no matching overload for 'contains' applied to "
            "'int.(string)'");
  EXPECT_EQ(IssueOf("contains('abc', 'a')", r.env),
            "found no matching overload for 'contains' applied to "
            "'(string, string)'");
  EXPECT_EQ(IssueOf("size(1)", r.env),
            "found no matching overload for 'size' applied to '(int)'");
}

TEST(CheckerTest, ReportsTheCallsOffset) {
  Env env;
  CheckResult result = CheckText("1 + 'a'", env);
  ASSERT_EQ(result.issues.size(), 1u);
  EXPECT_EQ(result.issues[0].offset, 2);
}

TEST(CheckerTest, ReportsUndeclaredFunctionsWithSuggestions) {
  RuleEnv r;
  EXPECT_EQ(IssueOf("sise('abc')", r.env),
            "undeclared reference to 'sise'; did you mean 'size'?");
  EXPECT_EQ(IssueOf("'abc'.startswith('a')", r.env),
            "undeclared reference to 'startswith'; did you mean "
            "'startsWith'?");
  EXPECT_EQ(IssueOf("opne('service_hours')", r.env),
            "undeclared reference to 'opne'; did you mean 'open'?");
  EXPECT_EQ(IssueOf("frobnicate()", r.env),
            "undeclared reference to 'frobnicate'");
}

TEST(CheckerTest, ChecksStringFunctions) {
  RuleEnv r;
  for (const char* text :
       {"event.intent.contains('bill')", "event.intent.startsWith('b')",
        "event.intent.endsWith('g')", "event.intent.matches('^b.*g$')",
        "matches(event.intent, 'x')"}) {
    EXPECT_EQ(TypeOf(text, r.env), "bool") << text;
  }
  EXPECT_EQ(TypeOf("size(event.intent) + event.intent.size()", r.env), "int");
  EXPECT_EQ(TypeOf("size(event.tags) + event.scores.size()", r.env), "int");
}

TEST(CheckerTest, ChecksConversions) {
  RuleEnv r;
  EXPECT_EQ(TypeOf("int(1.5) + int('2') + int(now) + int(3)", r.env), "int");
  EXPECT_EQ(TypeOf("double(1) + double('2.5') + double(1.0)", r.env), "double");
  EXPECT_EQ(TypeOf("string(1) + string(1.5) + string(true) + string(now) + "
                   "string(duration('1s')) + string('a')",
                   r.env),
            "string");
  EXPECT_EQ(TypeOf("bool('true') && bool(false)", r.env), "bool");
  EXPECT_EQ(TypeOf("duration('1s') + duration(duration('2s'))", r.env),
            "duration");
  EXPECT_EQ(TypeOf("timestamp(0) < timestamp(now)", r.env), "bool");
  EXPECT_EQ(TypeOf("dyn(1)", r.env), "dyn");
  EXPECT_EQ(IssueOf("int(now - now)", r.env),
            "found no matching overload for 'int' applied to '(duration)'");
}

TEST(CheckerTest, ChecksTimeAccessors) {
  RuleEnv r;
  EXPECT_EQ(TypeOf("now.getHours()", r.env), "int");
  EXPECT_EQ(TypeOf("event.time.getDayOfWeek('Europe/Berlin')", r.env), "int");
  EXPECT_EQ(TypeOf("duration('90m').getMinutes()", r.env), "int");
  EXPECT_EQ(IssueOf("duration('90m').getDayOfWeek()", r.env),
            "found no matching overload for 'getDayOfWeek' applied to "
            "'duration.()'");
}

TEST(CheckerTest, ChecksContainersAndIndexes) {
  RuleEnv r;
  EXPECT_EQ(TypeOf("'vip' in event.tags", r.env), "bool");
  EXPECT_EQ(TypeOf("'angry' in event.scores", r.env), "bool");
  EXPECT_EQ(TypeOf("'elem' in [1, 'elem', 2]", r.env), "bool");
  EXPECT_EQ(TypeOf("event.tags[0]", r.env), "string");
  EXPECT_EQ(TypeOf("event.scores['angry']", r.env), "double");
  EXPECT_EQ(TypeOf("{1: 'a'}[1]", r.env), "string");
  EXPECT_EQ(IssueOf("1 in event.tags", r.env),
            "found no matching overload for '@in' applied to "
            "'(int, list(string))'");
  EXPECT_EQ(IssueOf("event.tags['a']", r.env),
            "found no matching overload for '_[_]' applied to "
            "'(list(string), string)'");
}

TEST(CheckerTest, ChecksExtensions) {
  RuleEnv r;
  ParseResult parsed = Parse("open('service_hours') || open('x', now)");
  ASSERT_NE(parsed.expr, nullptr);
  CheckResult result = Check(*parsed.expr, r.env);
  ASSERT_THAT(Messages(result), IsEmpty());
  EXPECT_EQ(result.extensions.at(parsed.expr->args[0]->id), 7);
  EXPECT_EQ(result.extensions.at(parsed.expr->args[1]->id), 8);
  EXPECT_EQ(result.extensions.size(), 2u);

  EXPECT_EQ(TypeOf("queue('sales').waiting > 3", r.env), "bool");
  EXPECT_EQ(TypeOf("queue('sales').estimated_wait", r.env), "duration");
  EXPECT_EQ(IssueOf("open(1)", r.env),
            "found no matching overload for 'open' applied to '(int)'");
}

TEST(CheckerTest, DynArgumentsMatchAnyOverload) {
  Env env;
  env.AddVariable("d", Type::Dyn());
  env.AddVariable("l", Type::List(Type::Dyn()));
  EXPECT_EQ(TypeOf("d + 1", env), "int");
  EXPECT_EQ(TypeOf("d + d", env), "dyn");
  EXPECT_EQ(TypeOf("d < 1", env), "bool");
  EXPECT_EQ(TypeOf("d.startsWith('a')", env), "bool");
  EXPECT_EQ(TypeOf("d[0]", env), "dyn");
  EXPECT_EQ(TypeOf("l[0]", env), "dyn");
  EXPECT_EQ(TypeOf("size(d)", env), "int");
  EXPECT_EQ(TypeOf("d && true", env), "bool");
  EXPECT_EQ(TypeOf("l + [1]", env), "list(dyn)");
}

// ---- the rule authors' extensions and control flow
// -------------------------------

TEST(CheckerTest, OrderingAcceptsIntDoubleMixes) {
  RuleEnv r;
  EXPECT_EQ(TypeOf("event.cart_value > 100", r.env), "bool");
  EXPECT_EQ(TypeOf("event.cart_items <= 2.5", r.env), "bool");
  EXPECT_EQ(TypeOf("'a' < 'b' && false < true && now >= now", r.env), "bool");
  EXPECT_EQ(IssueOf("'a' < 1", r.env),
            "found no matching overload for '_<_' applied to '(string, int)'");
  EXPECT_EQ(IssueOf("[1] < [2]", r.env),
            "found no matching overload for '_<_' applied to "
            "'(list(int), list(int))'");
}

TEST(CheckerTest, EqualityAcceptsSameTypesDynNullAndNumbers) {
  RuleEnv r;
  EXPECT_EQ(TypeOf("event.cart_value == 0", r.env), "bool");
  EXPECT_EQ(TypeOf("event.intent != null", r.env), "bool");
  EXPECT_EQ(TypeOf("null == event", r.env), "bool");
  EXPECT_EQ(TypeOf("dyn(1) == 'a'", r.env), "bool");
  EXPECT_EQ(TypeOf("[1] == [1.0]", r.env), "bool");
  EXPECT_EQ(TypeOf("event == event", r.env), "bool");
  EXPECT_EQ(TypeOf("{'k': null} == {'k': null}", r.env), "bool");
  EXPECT_EQ(IssueOf("event.intent == 1", r.env),
            "found no matching overload for '_==_' applied to '(string, int)'");
  EXPECT_EQ(IssueOf("event != session", r.env),
            "found no matching overload for '_!=_' applied to "
            "'(event, session)'");
  EXPECT_EQ(IssueOf("['a'] == [1]", r.env),
            "found no matching overload for '_==_' applied to "
            "'(list(string), list(int))'");
}

TEST(CheckerTest, ChecksLogic) {
  RuleEnv r;
  EXPECT_EQ(TypeOf("true && !false || session.chat_offered", r.env), "bool");
  EXPECT_EQ(IssueOf("1 && true", r.env),
            "found no matching overload for '_&&_' applied to '(int, bool)'");
  EXPECT_EQ(IssueOf("true || 'a'", r.env),
            "found no matching overload for '_||_' applied to "
            "'(bool, string)'");
  EXPECT_EQ(IssueOf("!event.intent", r.env),
            "found no matching overload for '!_' applied to '(string)'");
}

TEST(CheckerTest, ChecksConditionals) {
  RuleEnv r;
  EXPECT_EQ(TypeOf("true ? 1 : 2", r.env), "int");
  EXPECT_EQ(TypeOf("true ? null : 'a'", r.env), "string");
  EXPECT_EQ(TypeOf("true ? 'a' : null", r.env), "string");
  EXPECT_EQ(TypeOf("true ? dyn(1) : 2", r.env), "int");
  EXPECT_EQ(TypeOf("dyn(true) ? 1 : 2", r.env), "int");
  EXPECT_EQ(IssueOf("true ? 'cows' : 17", r.env),
            "found no matching overload for '_?_:_' applied to "
            "'(bool, string, int)'");
  EXPECT_EQ(IssueOf("1 ? 'a' : 'b'", r.env),
            "found no matching overload for '_?_:_' applied to "
            "'(int, string, string)'");
}

TEST(CheckerTest, ChecksMacros) {
  RuleEnv r;
  EXPECT_EQ(TypeOf("[1, 2].map(x, x * 2)", r.env), "list(int)");
  EXPECT_EQ(TypeOf("event.tags.map(t, size(t))", r.env), "list(int)");
  EXPECT_EQ(TypeOf("event.tags.filter(t, t.startsWith('a'))", r.env),
            "list(string)");
  EXPECT_EQ(TypeOf("event.tags.all(t, t != '')", r.env), "bool");
  EXPECT_EQ(TypeOf("event.tags.exists_one(t, t == 'vip')", r.env), "bool");
  EXPECT_EQ(TypeOf("event.scores.exists(k, k == 'angry')", r.env), "bool");
  EXPECT_EQ(TypeOf("[].map(n, n / 2)", r.env), "list(int)");
  EXPECT_EQ(TypeOf("dyn([1]).map(n, n)", r.env), "list(dyn)");
  EXPECT_EQ(TypeOf("[[1, 2], [3]].map(l, l.map(x, x > 1))", r.env),
            "list(list(bool))");
}

TEST(CheckerTest, ReportsBadComprehensions) {
  RuleEnv r;
  EXPECT_EQ(IssueOf("event.cart_items.exists(x, x > 1)", r.env),
            "expression of type 'int' cannot be the range of a comprehension "
            "(must be list, map, or dynamic)");
  EXPECT_EQ(IssueOf("event.tags.all(t, size(t))", r.env),
            "found no matching overload for '_&&_' applied to '(bool, int)'");
  EXPECT_EQ(IssueOf("event.tags.exists(t, t > 1)", r.env),
            "found no matching overload for '_>_' applied to '(string, int)'");
}

// ---- issues
// ---------------------------------------------------------------------------

TEST(CheckerTest, DoesNotCascadeErrors) {
  RuleEnv r;
  EXPECT_EQ(IssueOf("x + 1 == 'a'", r.env), "undeclared reference to 'x'");
  EXPECT_EQ(IssueOf("event.intnet.size() > 1 && true", r.env),
            "unknown attribute 'intnet' of event; did you mean 'intent'?");
  EXPECT_EQ(IssueOf("[1 + 'a', 2][0] > 'b'", r.env),
            "found no matching overload for '_+_' applied to '(int, string)'");
  EXPECT_EQ(IssueOf("zork.exists(x, x.y > 1)", r.env),
            "undeclared reference to 'zork'");
  EXPECT_EQ(IssueOf("(true ? 1 : 'a') + 2", r.env),
            "found no matching overload for '_?_:_' applied to "
            "'(bool, int, string)'");
}

TEST(CheckerTest, ReportsEveryIndependentIssueInSourceOrder) {
  RuleEnv r;
  CheckResult result =
      CheckText("event.intnet == 'a' && 1 + 'b' > 0 || sessin.x", r.env);
  EXPECT_THAT(
      Messages(result),
      ElementsAre(
          "unknown attribute 'intnet' of event; did you mean 'intent'?",
          "found no matching overload for '_+_' applied to '(int, string)'",
          "undeclared reference to 'sessin'; did you mean 'session'?"));
  for (size_t i = 1; i < result.issues.size(); ++i) {
    EXPECT_LT(result.issues[i - 1].offset, result.issues[i].offset);
  }
  EXPECT_EQ(result.type.kind(), TypeKind::kError);
  for (const Issue& issue : result.issues) {
    EXPECT_THAT(issue.message, ::testing::Not(HasSubstr("\n")));
  }
}

TEST(CheckerTest, ChecksDeeplyNestedExpressions) {
  Env env;
  std::string text;
  for (int i = 0; i < 200; ++i) text += "(1 + ";
  text += "1";
  for (int i = 0; i < 200; ++i) text += ")";
  EXPECT_EQ(TypeOf(text, env), "int");
}

// ---- conformance
// ---------------------------------------------------------------------

// A conformance type_env type, or nullopt for kinds this subset lacks.
std::optional<Type> ConformanceType(simdjson::dom::element t) {
  std::string_view s;
  if (!t["primitive"].get_string().get(s)) {
    if (s == "INT64") return Type::Int();
    if (s == "BOOL") return Type::Bool();
    if (s == "STRING") return Type::String();
    if (s == "DOUBLE") return Type::Double();
    return std::nullopt;
  }
  if (!t["null"].error()) return Type::Null();
  if (!t["dyn"].error()) return Type::Dyn();
  simdjson::dom::element sub;
  if (!t["list_type"].get(sub)) {
    std::optional<Type> elem = ConformanceType(sub["elem_type"].value_unsafe());
    if (!elem) return std::nullopt;
    return Type::List(*elem);
  }
  if (!t["map_type"].get(sub)) {
    std::optional<Type> key = ConformanceType(sub["key_type"].value_unsafe());
    std::optional<Type> value =
        ConformanceType(sub["value_type"].value_unsafe());
    if (!key || !value) return std::nullopt;
    return Type::Map(*key, *value);
  }
  if (!t["well_known"].get_string().get(s)) {
    if (s == "DURATION") return Type::Duration();
    if (s == "TIMESTAMP") return Type::Timestamp();
  }
  return std::nullopt;
}

TEST(CheckerConformanceTest, CoreCheckedExpressionsCheck) {
  // The conformance cases ship with the repository (tests/cel/conformance).
  const std::string dir = testing::SourceDir() + "/tests/cel/conformance";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  static constexpr std::string_view kOutside[] = {
      "uint",     "bytes",       "proto",
      "unknowns", "type_values", "comprehensions_v2",
      "unchecked"};
  int checked = 0;
  simdjson::dom::parser json;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    simdjson::dom::element doc;
    ASSERT_FALSE(json.load(entry.path().string()).get(doc)) << entry.path();
    simdjson::dom::array sections;
    if (doc["sections"].get(sections)) continue;
    for (simdjson::dom::element section : sections) {
      simdjson::dom::array tests;
      if (section["tests"].get(tests)) continue;
      for (simdjson::dom::element test : tests) {
        std::string_view name, expr;
        if (test["name"].get_string().get(name) ||
            test["expr"].get_string().get(expr)) {
          continue;
        }
        bool skip = false;
        bool disable_check = false;
        if (!test["disable_check"].get_bool().get(disable_check) &&
            disable_check) {
          skip = true;
        }
        simdjson::dom::array features;
        if (!test["features"].get(features)) {
          for (simdjson::dom::element f : features) {
            std::string_view feature;
            if (f.get_string().get(feature)) continue;
            for (std::string_view outside : kOutside) {
              if (feature == outside) skip = true;
            }
          }
        }
        if (skip) continue;
        Env env;
        std::string_view container;
        if (!test["container"].get_string().get(container)) {
          env.set_container(std::string(container));
        }
        simdjson::dom::array decls;
        if (!test["type_env"].get(decls)) {
          for (simdjson::dom::element decl : decls) {
            std::string_view var;
            simdjson::dom::element type;
            if (decl["name"].get_string().get(var) ||
                decl["ident"]["type"].get(type)) {
              continue;
            }
            std::optional<Type> t = ConformanceType(type);
            ASSERT_TRUE(t.has_value()) << name;
            env.AddVariable(std::string(var), *t);
          }
        }
        CheckResult result = CheckText(expr, env);
        EXPECT_THAT(Messages(result), IsEmpty())
            << entry.path().filename() << " " << name << ": " << expr;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 400);
}

}  // namespace
}  // namespace switchboard::cel
