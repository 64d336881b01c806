// Tests of the CEL standard library at run time: a table of builtin calls
// with their expected results (values or error codes), covering overflow,
// division by zero, cross-type numeric comparison, conversions at their
// edges, string functions on Unicode text, timestamps in time zones and
// durations; plus the name table (FindBuiltin) and precompiled regexes.
#include "engine/cel/functions.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/common/time_util.h"
#include "gtest/gtest.h"
#include "re2/re2.h"

namespace switchboard::cel {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::nan("");

Value I(int64_t i) { return Value::Int(i); }
Value D(double d) { return Value::Double(d); }
Value S(std::string s) { return Value::String(std::move(s)); }
Value B(bool b) { return Value::Bool(b); }
Value N() { return Value::Null(); }
Value L(std::vector<Value> v) { return Value::List(std::move(v)); }
Value M(std::vector<std::pair<Value, Value>> e) {
  return Value::Map(std::move(e));
}
Value E(ErrorCode code) { return Value::Error(code); }
Value Dur(std::string_view text) {
  absl::StatusOr<absl::Duration> d = ParseDuration(text);
  EXPECT_TRUE(d.ok()) << text;
  return Value::Duration(d.ok() ? *d : absl::ZeroDuration());
}
Value Ts(std::string_view text) {
  absl::StatusOr<absl::Time> t = ParseTimestamp(text);
  EXPECT_TRUE(t.ok()) << text;
  return Value::Timestamp(t.ok() ? *t : absl::UnixEpoch());
}

constexpr ErrorCode kNoOverload = ErrorCode::kNoSuchOverload;
constexpr ErrorCode kOverflow = ErrorCode::kOverflow;
constexpr ErrorCode kRange = ErrorCode::kRange;
constexpr ErrorCode kConversion = ErrorCode::kConversion;
constexpr ErrorCode kInvalid = ErrorCode::kInvalidArgument;

struct Case {
  Builtin fn;
  std::vector<Value> args;
  Value want;
};

std::string Describe(const Case& c) {
  std::string out = "builtin " + std::to_string(static_cast<int>(c.fn)) + "(";
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (i > 0) out += ", ";
    out += c.args[i].DebugString();
  }
  return out + ")";
}

// Same kind and CEL-equal; doubles also agree on NaN and the sign of zero;
// errors agree on the code.
bool SameResult(const Value& got, const Value& want) {
  if (got.kind() != want.kind()) return false;
  if (want.is_error()) return got.error_code() == want.error_code();
  if (want.kind() == ValueKind::kDouble) {
    const double g = got.double_value(), w = want.double_value();
    if (std::isnan(w)) return std::isnan(g);
    return g == w && std::signbit(g) == std::signbit(w);
  }
  return ValueEquals(got, want);
}

void RunCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    for (const Value& arg : c.args) {
      ASSERT_FALSE(arg.is_error()) << "bad test input in " << Describe(c);
    }
    const Value got = CallBuiltin(c.fn, c.args);
    EXPECT_TRUE(SameResult(got, c.want))
        << Describe(c) << "\n  got:  " << got.DebugString()
        << "\n  want: " << c.want.DebugString();
  }
}

TEST(FunctionsTest, IntArithmetic) {
  RunCases({
      {Builtin::kAdd, {I(40), I(2)}, I(42)},
      {Builtin::kAdd, {I(kMax), I(1)}, E(kOverflow)},
      {Builtin::kAdd, {I(kMin), I(-1)}, E(kOverflow)},
      {Builtin::kAdd, {I(kMax), I(kMin)}, I(-1)},
      {Builtin::kSubtract, {I(42), I(-22)}, I(64)},
      {Builtin::kSubtract, {I(kMin), I(1)}, E(kOverflow)},
      {Builtin::kSubtract, {I(1), I(-kMax)}, E(kOverflow)},
      {Builtin::kSubtract, {I(-1), I(kMax)}, I(kMin)},
      {Builtin::kMultiply, {I(-30), I(-2)}, I(60)},
      {Builtin::kMultiply, {I(5000000000), I(5000000000)}, E(kOverflow)},
      {Builtin::kMultiply, {I(-5000000000), I(5000000000)}, E(kOverflow)},
      {Builtin::kMultiply, {I(kMin), I(-1)}, E(kOverflow)},
      {Builtin::kMultiply, {I(kMin), I(1)}, I(kMin)},
      {Builtin::kDivide, {I(-80), I(-2)}, I(40)},
      {Builtin::kDivide, {I(7), I(-2)}, I(-3)},  // truncates toward zero
      {Builtin::kDivide, {I(15), I(0)}, E(ErrorCode::kDivisionByZero)},
      {Builtin::kDivide, {I(kMin), I(-1)}, E(kOverflow)},
      {Builtin::kDivide, {I(kMin), I(1)}, I(kMin)},
      {Builtin::kModulo, {I(47), I(5)}, I(2)},
      {Builtin::kModulo, {I(43), I(-5)}, I(3)},
      {Builtin::kModulo, {I(-42), I(-5)}, I(-2)},
      {Builtin::kModulo, {I(-3), I(5)}, I(-3)},
      {Builtin::kModulo, {I(34), I(0)}, E(ErrorCode::kModulusByZero)},
      {Builtin::kModulo, {I(kMin), I(-1)}, E(kOverflow)},
      {Builtin::kModulo, {I(kMin), I(kMax)}, I(-1)},
      {Builtin::kNegate, {I(42)}, I(-42)},
      {Builtin::kNegate, {I(0)}, I(0)},
      {Builtin::kNegate, {I(kMax)}, I(-kMax)},
      {Builtin::kNegate, {I(kMin)}, E(kOverflow)},
      // No mixed-type arithmetic.
      {Builtin::kAdd, {I(1), D(1.0)}, E(kNoOverload)},
      {Builtin::kMultiply, {D(2.0), I(3)}, E(kNoOverload)},
      {Builtin::kAdd, {I(1), S("1")}, E(kNoOverload)},
      {Builtin::kAdd, {N(), N()}, E(kNoOverload)},
      {Builtin::kNegate, {B(false)}, E(kNoOverload)},
      {Builtin::kNegate, {S("1")}, E(kNoOverload)},
  });
}

TEST(FunctionsTest, DoubleArithmetic) {
  RunCases({
      {Builtin::kAdd, {D(4.25), D(15.25)}, D(19.5)},
      {Builtin::kSubtract, {D(-4.875), D(-0.125)}, D(-4.75)},
      {Builtin::kMultiply, {D(40.75), D(-2.25)}, D(-91.6875)},
      {Builtin::kMultiply, {D(2.0), D(8.988466e+307)}, D(kInf)},
      {Builtin::kDivide, {D(-8.875), D(-0.0625)}, D(142.0)},
      {Builtin::kDivide, {D(15.75), D(0.0)}, D(kInf)},
      {Builtin::kDivide, {D(-1.0), D(0.0)}, D(-kInf)},
      {Builtin::kDivide, {D(0.0), D(0.0)}, D(kNaN)},
      {Builtin::kDivide,
       {D(std::numeric_limits<double>::denorm_min()), D(2.0)},
       D(0.0)},
      {Builtin::kModulo, {D(47.5), D(5.5)}, E(kNoOverload)},
      {Builtin::kNegate, {D(4.5)}, D(-4.5)},
      {Builtin::kNegate, {D(0.0)}, D(-0.0)},
  });
}

TEST(FunctionsTest, LogicalNotAndNotStrictlyFalse) {
  RunCases({
      {Builtin::kLogicalNot, {B(true)}, B(false)},
      {Builtin::kLogicalNot, {B(false)}, B(true)},
      {Builtin::kLogicalNot, {I(0)}, E(kNoOverload)},
      {Builtin::kNotStrictlyFalse, {B(false)}, B(false)},
      {Builtin::kNotStrictlyFalse, {B(true)}, B(true)},
  });
  // Errors count as "not strictly false" (the loop of all()/exists() goes on).
  const Value err = E(ErrorCode::kDivisionByZero);
  EXPECT_TRUE(CallBuiltin(Builtin::kNotStrictlyFalse, {&err, 1}).bool_value());
}

TEST(FunctionsTest, StringAndListConcatenation) {
  RunCases({
      {Builtin::kAdd, {S("he"), S("llo")}, S("hello")},
      {Builtin::kAdd, {S(""), S("")}, S("")},
      {Builtin::kAdd, {S("a"), S("ÿ🐱")}, S("aÿ🐱")},
      {Builtin::kAdd, {L({I(0), I(1)}), L({I(2)})}, L({I(0), I(1), I(2)})},
      {Builtin::kAdd, {L({}), L({})}, L({})},
      {Builtin::kAdd, {L({I(2)}), L({I(2)})}, L({I(2), I(2)})},
      {Builtin::kAdd, {L({I(1)}), L({S("a")})}, L({I(1), S("a")})},
      {Builtin::kAdd, {L({I(1)}), I(2)}, E(kNoOverload)},
      {Builtin::kAdd, {M({}), M({})}, E(kNoOverload)},
  });
  // A concatenated string owns its bytes.
  Value joined;
  {
    std::string a = "abc", b = "def";
    const Value args[] = {Value::StringView(a), Value::StringView(b)};
    joined = CallBuiltin(Builtin::kAdd, args);
  }
  EXPECT_EQ(joined.string_value(), "abcdef");
}

TEST(FunctionsTest, TimeArithmetic) {
  RunCases({
      {Builtin::kAdd,
       {Ts("2009-02-13T23:00:00Z"), Dur("240s")},
       Ts("2009-02-13T23:04:00Z")},
      {Builtin::kAdd,
       {Dur("240s"), Ts("2009-02-13T23:00:00Z")},
       Ts("2009-02-13T23:04:00Z")},
      {Builtin::kAdd, {Dur("600s"), Dur("50s")}, Dur("650s")},
      {Builtin::kAdd,
       {Ts("0001-01-01T00:00:01.999999999Z"), Dur("999999999ns")},
       Ts("0001-01-01T00:00:02.999999998Z")},
      {Builtin::kSubtract,
       {Ts("2009-02-13T23:10:00Z"), Dur("600s")},
       Ts("2009-02-13T23:00:00Z")},
      {Builtin::kSubtract,
       {Ts("2009-02-13T23:10:00Z"), Ts("2009-02-13T23:00:00.5Z")},
       Dur("599.5s")},
      {Builtin::kSubtract, {Dur("1s"), Dur("1500ms")}, Dur("-0.5s")},
      // Range checks.
      {Builtin::kAdd, {Ts("0001-01-01T00:00:00Z"), Dur("-1ns")}, E(kRange)},
      {Builtin::kAdd, {Ts("9999-12-31T23:59:59Z"), Dur("1s")}, E(kRange)},
      {Builtin::kAdd,
       {Ts("9999-12-31T23:59:59.999999999Z"), Dur("1ns")},
       E(kRange)},
      {Builtin::kSubtract,
       {Ts("9999-12-31T23:59:59Z"), Ts("0001-01-01T00:00:00Z")},
       E(kRange)},
      {Builtin::kAdd, {Dur("5000000000s"), Dur("5000000000s")}, E(kRange)},
      {Builtin::kSubtract,
       {Dur("-5000000000s"), Dur("5000000000s")},
       E(kRange)},
      {Builtin::kSubtract,
       {Ts("2200-01-01T00:00:00Z"), Ts("1900-01-01T00:00:00Z")},
       E(kRange)},
      // Nonsense combinations.
      {Builtin::kAdd,
       {Ts("2009-02-13T23:10:00Z"), Ts("2009-02-13T23:10:00Z")},
       E(kNoOverload)},
      {Builtin::kSubtract,
       {Dur("1s"), Ts("2009-02-13T23:10:00Z")},
       E(kNoOverload)},
      {Builtin::kAdd, {Ts("2009-02-13T23:10:00Z"), I(1)}, E(kNoOverload)},
      {Builtin::kMultiply, {Dur("1s"), I(2)}, E(kNoOverload)},
  });
}

TEST(FunctionsTest, Comparisons) {
  RunCases({
      {Builtin::kLess, {I(0), I(0)}, B(false)},
      {Builtin::kLessEquals, {I(0), I(0)}, B(true)},
      {Builtin::kGreater, {I(42), I(-42)}, B(true)},
      {Builtin::kGreaterEquals, {I(999), I(1000)}, B(false)},
      {Builtin::kLess, {D(1.0), D(1.0000001)}, B(true)},
      {Builtin::kLessEquals, {D(0.0), D(-0.0)}, B(true)},
      {Builtin::kLess, {D(kNaN), D(1.0)}, B(false)},
      {Builtin::kGreaterEquals, {D(kNaN), D(kNaN)}, B(false)},
      {Builtin::kGreater, {D(kInf), D(1e308)}, B(true)},
      // Mixed int / double, exact at the extremes.
      {Builtin::kLess, {I(1), D(1.5)}, B(true)},
      {Builtin::kGreater, {D(1.5), I(1)}, B(true)},
      {Builtin::kLessEquals, {I(2), D(2.0)}, B(true)},
      {Builtin::kLess, {I(-2), D(-1.5)}, B(true)},
      {Builtin::kGreater, {I(-1), D(-1.5)}, B(true)},
      {Builtin::kLess, {I(kMax), D(9.223372036854775807e18)}, B(true)},
      {Builtin::kGreaterEquals,
       {I(kMax), D(9.223372036854775807e18)},
       B(false)},
      {Builtin::kGreater, {D(9.223372036854775807e18), I(kMax)}, B(true)},
      {Builtin::kLessEquals, {I(kMin), D(-9.223372036854775808e18)}, B(true)},
      {Builtin::kGreaterEquals,
       {I(kMin), D(-9.223372036854775808e18)},
       B(true)},
      {Builtin::kGreater, {I(kMin), D(-1e19)}, B(true)},
      {Builtin::kLess, {I(kMax - 1024), D(9223372036854774784.0)}, B(true)},
      {Builtin::kLess, {I(kMax), D(kInf)}, B(true)},
      {Builtin::kGreater, {I(kMin), D(-kInf)}, B(true)},
      {Builtin::kLess, {I(0), D(kNaN)}, B(false)},
      {Builtin::kGreaterEquals, {D(kNaN), I(0)}, B(false)},
      // Strings: code point order.
      {Builtin::kLess, {S(""), S("a")}, B(true)},
      {Builtin::kLess, {S("a"), S("\u00e1")}, B(true)},
      {Builtin::kLess, {S("a"), S("AB")}, B(false)},
      {Builtin::kLess, {S("f"), S("\u1ebf")}, B(true)},
      {Builtin::kLess, {S("\uffff"), S("🐱")}, B(true)},
      {Builtin::kGreater, {S("α"), S("omega")}, B(true)},
      {Builtin::kGreaterEquals, {S("t"), S("τ")}, B(false)},
      {Builtin::kGreaterEquals, {S("abcd"), S("abc")}, B(true)},
      // Bools, durations, timestamps.
      {Builtin::kLess, {B(false), B(true)}, B(true)},
      {Builtin::kGreater, {B(true), B(true)}, B(false)},
      {Builtin::kLess, {Dur("200s"), Dur("300s")}, B(true)},
      {Builtin::kLess, {Dur("-1ns"), Dur("0s")}, B(true)},
      {Builtin::kGreaterEquals, {Dur("120s"), Dur("200s")}, B(false)},
      {Builtin::kLessEquals,
       {Ts("2009-02-13T23:00:00Z"), Ts("2009-02-13T23:00:00Z")},
       B(true)},
      {Builtin::kGreater,
       {Ts("2009-02-13T23:59:00Z"), Ts("2009-02-13T23:00:00Z")},
       B(true)},
      {Builtin::kLess,
       {Ts("1969-12-31T23:59:59.5Z"), Ts("1969-12-31T23:59:59.6Z")},
       B(true)},
      // No ordering.
      {Builtin::kLess, {L({I(0)}), L({I(1)})}, E(kNoOverload)},
      {Builtin::kLess, {N(), N()}, E(kNoOverload)},
      {Builtin::kLess, {S("foo"), I(1024)}, E(kNoOverload)},
      {Builtin::kGreaterEquals, {S("foo"), D(1.0)}, E(kNoOverload)},
      {Builtin::kLess, {B(false), I(1)}, E(kNoOverload)},
      {Builtin::kLess, {Dur("1s"), Ts("2009-02-13T23:00:00Z")}, E(kNoOverload)},
      {Builtin::kLess, {M({}), M({})}, E(kNoOverload)},
  });
}

TEST(FunctionsTest, Equality) {
  RunCases({
      {Builtin::kEquals, {I(1), D(1.0)}, B(true)},
      {Builtin::kEquals, {D(kNaN), D(kNaN)}, B(false)},
      {Builtin::kNotEquals, {D(kNaN), D(kNaN)}, B(true)},
      {Builtin::kEquals, {S("a"), I(1)}, B(false)},
      {Builtin::kNotEquals, {S("a"), I(1)}, B(true)},
      {Builtin::kEquals, {N(), N()}, B(true)},
      {Builtin::kEquals, {L({I(1), S("dos")}), L({I(1), I(2)})}, B(false)},
      {Builtin::kEquals,
       {M({{S("k1"), S("v1")}, {S("k2"), S("v2")}}),
        M({{S("k2"), S("v2")}, {S("k1"), S("v1")}})},
       B(true)},
      {Builtin::kNotEquals, {Dur("60s"), Dur("1m")}, B(false)},
  });
}

TEST(FunctionsTest, InAndIndex) {
  const Value map = M({{S("lock"), I(1)}, {S("gate"), I(2)}, {I(3), S("x")}});
  RunCases({
      {Builtin::kIn, {S("elem"), L({S("elem"), S("elemA")})}, B(true)},
      {Builtin::kIn, {S("elem"), L({I(1), S("elem"), I(2)})}, B(true)},
      {Builtin::kIn, {I(7), L({})}, B(false)},
      {Builtin::kIn, {D(3.0), L({I(5), I(3)})}, B(true)},
      {Builtin::kIn, {I(3), L({D(3.0)})}, B(true)},
      {Builtin::kIn, {D(kNaN), L({D(kNaN)})}, B(false)},
      {Builtin::kIn, {L({I(1)}), L({L({D(1.0)})})}, B(true)},
      {Builtin::kIn, {S("key"), map}, B(false)},
      {Builtin::kIn, {S("gate"), map}, B(true)},
      {Builtin::kIn, {D(3.0), map}, B(true)},
      {Builtin::kIn, {D(3.5), map}, B(false)},
      {Builtin::kIn, {B(true), M({{B(true), I(1)}})}, B(true)},
      {Builtin::kIn, {N(), map}, B(false)},
      {Builtin::kIn, {I(1), S("1")}, E(kNoOverload)},
      {Builtin::kIndex, {L({S("foo")}), I(0)}, S("foo")},
      {Builtin::kIndex, {L({S("a"), S("b")}), D(1.0)}, S("b")},
      {Builtin::kIndex, {L({S("a"), S("b")}), D(0.5)}, E(kInvalid)},
      {Builtin::kIndex,
       {L({I(1), I(2), I(3)}), I(3)},
       E(ErrorCode::kIndexOutOfRange)},
      {Builtin::kIndex, {L({I(1)}), I(-1)}, E(ErrorCode::kIndexOutOfRange)},
      {Builtin::kIndex, {L({I(1)}), I(kMin)}, E(ErrorCode::kIndexOutOfRange)},
      {Builtin::kIndex, {L({I(1)}), S("0")}, E(kNoOverload)},
      {Builtin::kIndex, {map, S("gate")}, I(2)},
      {Builtin::kIndex, {map, I(3)}, S("x")},
      {Builtin::kIndex, {map, D(3.0)}, S("x")},
      {Builtin::kIndex, {map, S("door")}, E(ErrorCode::kNoSuchKey)},
      {Builtin::kIndex, {map, I(1)}, E(ErrorCode::kNoSuchKey)},
      {Builtin::kIndex, {map, N()}, E(ErrorCode::kUnsupportedKeyType)},
      {Builtin::kIndex,
       {M({{B(true), I(1)}, {B(false), I(2)}}), B(true)},
       I(1)},
      {Builtin::kIndex, {S("abc"), I(0)}, E(kNoOverload)},
  });
}

TEST(FunctionsTest, Size) {
  RunCases({
      {Builtin::kSize, {S("")}, I(0)},
      {Builtin::kSize, {S("A")}, I(1)},
      {Builtin::kSize, {S("ÿ")}, I(1)},
      {Builtin::kSize, {S("πέντε")}, I(5)},
      {Builtin::kSize, {S("🐱😀")}, I(2)},
      {Builtin::kSize, {L({})}, I(0)},
      {Builtin::kSize, {L({I(1), I(2), I(3)})}, I(3)},
      {Builtin::kSize, {M({{I(1), S("one")}, {I(2), S("two")}})}, I(2)},
      {Builtin::kSize, {I(1)}, E(kNoOverload)},
      {Builtin::kSize, {N()}, E(kNoOverload)},
  });
}

TEST(FunctionsTest, StringFunctions) {
  RunCases({
      {Builtin::kContains, {S("hello"), S("he")}, B(true)},
      {Builtin::kContains, {S("hello"), S("")}, B(true)},
      {Builtin::kContains, {S(""), S("")}, B(true)},
      {Builtin::kContains, {S(""), S("x")}, B(false)},
      {Builtin::kContains, {S("abababc"), S("ababc")}, B(true)},
      {Builtin::kContains, {S("Straße"), S("aß")}, B(true)},
      {Builtin::kContains, {S("🐱😀😁"), S("😀")}, B(true)},
      {Builtin::kStartsWith, {S("foobar"), S("foo")}, B(true)},
      {Builtin::kStartsWith, {S(""), S("foo")}, B(false)},
      {Builtin::kStartsWith, {S("fo"), S("foo")}, B(false)},
      {Builtin::kStartsWith, {S("завтра"), S("за")}, B(true)},
      {Builtin::kEndsWith, {S("foobar"), S("bar")}, B(true)},
      {Builtin::kEndsWith, {S("foobar"), S("foo")}, B(false)},
      {Builtin::kEndsWith, {S(""), S("")}, B(true)},
      {Builtin::kEndsWith, {S("ar"), S("bar")}, B(false)},
      {Builtin::kEndsWith, {S("forté"), S("té")}, B(true)},
      {Builtin::kEndsWith, {S("🐱😀😛"), S("😛")}, B(true)},
      {Builtin::kContains, {S("1"), I(1)}, E(kNoOverload)},
      {Builtin::kStartsWith, {L({}), S("")}, E(kNoOverload)},
      {Builtin::kMatches, {S("hubba"), S("ubb")}, B(true)},
      {Builtin::kMatches, {S(""), S("foo|bar")}, B(false)},
      {Builtin::kMatches, {S("cows"), S("")}, B(true)},
      {Builtin::kMatches, {S("grey"), S("gr(a|e)y")}, B(true)},
      {Builtin::kMatches, {S("banana"), S("^ba(na)*$")}, B(true)},
      {Builtin::kMatches, {S("bananas"), S("^ba(na)*$")}, B(false)},
      {Builtin::kMatches, {S("mañana"), S("a+ñ+a+")}, B(true)},
      {Builtin::kMatches, {S("🐱😀😀"), S("(a|😀){2}")}, B(true)},
      {Builtin::kMatches, {S("é"), S("^.$")}, B(true)},  // UTF-8, not bytes
      {Builtin::kMatches, {S("abc"), S("(")}, E(kInvalid)},
      {Builtin::kMatches, {S("aa"), S("(a)\\1")}, E(kInvalid)},
      {Builtin::kMatches, {I(1), S("1")}, E(kNoOverload)},
  });
}

TEST(FunctionsTest, MatchesRegexUsesPrecompiledPattern) {
  const RE2 re("^[a-z]+_[0-9]{2}$");
  EXPECT_FALSE(MatchesRegex(S("billing_de"), re).bool_value());
  EXPECT_TRUE(MatchesRegex(S("billing_42"), re).bool_value());
  EXPECT_FALSE(MatchesRegex(S("billing_4"), re).bool_value());
  EXPECT_EQ(MatchesRegex(I(1), re).error_code(), kNoOverload);
  RE2::Options quiet;
  quiet.set_log_errors(false);
  const RE2 bad("a(", quiet);
  EXPECT_EQ(MatchesRegex(S("a"), bad).error_code(), kInvalid);
}

TEST(FunctionsTest, IntConversions) {
  RunCases({
      {Builtin::kToInt, {I(1)}, I(1)},
      {Builtin::kToInt, {D(-123.456)}, I(-123)},
      {Builtin::kToInt, {D(1.9)}, I(1)},
      {Builtin::kToInt, {D(-7.9)}, I(-7)},
      {Builtin::kToInt, {D(-3.5)}, I(-3)},
      {Builtin::kToInt, {D(36028797018963968.0)}, I(36028797018963968)},
      {Builtin::kToInt, {D(9223372036854774784.0)}, I(9223372036854774784)},
      {Builtin::kToInt, {D(-9223372036854774784.0)}, I(-9223372036854774784)},
      {Builtin::kToInt, {D(9223372036854775807.0)}, E(kRange)},
      {Builtin::kToInt, {D(-9223372036854775808.0)}, E(kRange)},
      {Builtin::kToInt, {D(1e99)}, E(kRange)},
      {Builtin::kToInt, {D(kNaN)}, E(kRange)},
      {Builtin::kToInt, {D(-kInf)}, E(kRange)},
      {Builtin::kToInt, {S("987")}, I(987)},
      {Builtin::kToInt, {S("-987")}, I(-987)},
      {Builtin::kToInt, {S("+5")}, I(5)},
      {Builtin::kToInt, {S("9223372036854775807")}, I(kMax)},
      {Builtin::kToInt, {S("-9223372036854775808")}, I(kMin)},
      {Builtin::kToInt, {S("9223372036854775808")}, E(kRange)},
      {Builtin::kToInt, {S("")}, E(kConversion)},
      {Builtin::kToInt, {S("+")}, E(kConversion)},
      {Builtin::kToInt, {S("+-1")}, E(kConversion)},
      {Builtin::kToInt, {S("1.5")}, E(kConversion)},
      {Builtin::kToInt, {S(" 1")}, E(kConversion)},
      {Builtin::kToInt, {S("0x10")}, E(kConversion)},
      {Builtin::kToInt, {Ts("2009-02-13T23:31:30Z")}, I(1234567890)},
      {Builtin::kToInt, {Ts("2004-09-16T23:59:59Z")}, I(1095379199)},
      {Builtin::kToInt, {Ts("1969-12-31T23:59:59.5Z")}, I(-1)},
      {Builtin::kToInt, {B(true)}, E(kNoOverload)},
      {Builtin::kToInt, {Dur("1s")}, E(kNoOverload)},
  });
}

TEST(FunctionsTest, DoubleConversions) {
  RunCases({
      {Builtin::kToDouble, {I(0)}, D(0.0)},
      {Builtin::kToDouble, {I(-1000000000000000)}, D(-1e15)},
      {Builtin::kToDouble, {I(kMax)}, D(9223372036854775808.0)},
      {Builtin::kToDouble, {D(5.5)}, D(5.5)},
      {Builtin::kToDouble, {S("0")}, D(0.0)},
      {Builtin::kToDouble, {S("-0.0")}, D(-0.0)},
      {Builtin::kToDouble, {S("123")}, D(123.0)},
      {Builtin::kToDouble, {S("-987.654")}, D(-987.654)},
      {Builtin::kToDouble, {S("6.02214e23")}, D(6.02214e23)},
      {Builtin::kToDouble, {S("-84.32e7")}, D(-843200000.0)},
      {Builtin::kToDouble, {S("-5.43e-21")}, D(-5.43e-21)},
      {Builtin::kToDouble, {S("+1.5")}, D(1.5)},
      {Builtin::kToDouble, {S(".5")}, D(0.5)},
      {Builtin::kToDouble, {S("inf")}, D(kInf)},
      {Builtin::kToDouble, {S("-inf")}, D(-kInf)},
      {Builtin::kToDouble, {S("nan")}, D(kNaN)},
      {Builtin::kToDouble, {S("1e-400")}, D(0.0)},
      {Builtin::kToDouble, {S("1e400")}, E(kRange)},
      {Builtin::kToDouble, {S("")}, E(kConversion)},
      {Builtin::kToDouble, {S("1.5x")}, E(kConversion)},
      {Builtin::kToDouble, {S(" 1")}, E(kConversion)},
      {Builtin::kToDouble, {S("+")}, E(kConversion)},
      {Builtin::kToDouble, {B(true)}, E(kNoOverload)},
  });
}

TEST(FunctionsTest, StringConversions) {
  RunCases({
      {Builtin::kToString, {I(123)}, S("123")},
      {Builtin::kToString, {I(kMin)}, S("-9223372036854775808")},
      {Builtin::kToString, {D(123.456)}, S("123.456")},
      {Builtin::kToString, {D(-4.5e-3)}, S("-0.0045")},
      {Builtin::kToString, {D(1.0)}, S("1")},
      {Builtin::kToString, {D(0.1)}, S("0.1")},
      {Builtin::kToString, {D(1e21)}, S("1e+21")},
      {Builtin::kToString, {S("hello")}, S("hello")},
      {Builtin::kToString, {B(true)}, S("true")},
      {Builtin::kToString, {B(false)}, S("false")},
      {Builtin::kToString, {Dur("1.5s")}, S("1.500s")},
      {Builtin::kToString, {Dur("100s")}, S("100s")},
      {Builtin::kToString, {Dur("-1m")}, S("-60s")},
      {Builtin::kToString,
       {Ts("2009-02-13T23:31:30Z")},
       S("2009-02-13T23:31:30Z")},
      {Builtin::kToString,
       {Ts("2009-02-14T00:31:30.25+01:00")},
       S("2009-02-13T23:31:30.250Z")},
      {Builtin::kToString,
       {Ts("9999-12-31T23:59:59.999999999Z")},
       S("9999-12-31T23:59:59.999999999Z")},
      {Builtin::kToString, {N()}, E(kNoOverload)},
      {Builtin::kToString, {L({})}, E(kNoOverload)},
  });
  // Round trip of the shortest form.
  for (double d : {0.1, 1.0 / 3, 1e-7, 123456789.125, -2.5e300}) {
    const Value s = CallBuiltin(Builtin::kToString, {D(d)});
    const Value back = CallBuiltin(Builtin::kToDouble, {s});
    EXPECT_EQ(back.double_value(), d) << s.string_value();
  }
}

TEST(FunctionsTest, BoolConversions) {
  RunCases({
      {Builtin::kToBool, {B(true)}, B(true)},
      {Builtin::kToBool, {S("1")}, B(true)},
      {Builtin::kToBool, {S("t")}, B(true)},
      {Builtin::kToBool, {S("true")}, B(true)},
      {Builtin::kToBool, {S("TRUE")}, B(true)},
      {Builtin::kToBool, {S("True")}, B(true)},
      {Builtin::kToBool, {S("0")}, B(false)},
      {Builtin::kToBool, {S("f")}, B(false)},
      {Builtin::kToBool, {S("false")}, B(false)},
      {Builtin::kToBool, {S("FALSE")}, B(false)},
      {Builtin::kToBool, {S("False")}, B(false)},
      {Builtin::kToBool, {S("TrUe")}, E(kConversion)},
      {Builtin::kToBool, {S("FaLsE")}, E(kConversion)},
      {Builtin::kToBool, {S("yes")}, E(kConversion)},
      {Builtin::kToBool, {S("")}, E(kConversion)},
      {Builtin::kToBool, {I(1)}, E(kNoOverload)},
  });
}

TEST(FunctionsTest, DurationAndTimestampConversions) {
  RunCases({
      {Builtin::kToDuration, {S("100s")}, Dur("100s")},
      {Builtin::kToDuration, {S("1h30m")}, Dur("5400s")},
      {Builtin::kToDuration, {Dur("100s")}, Dur("100s")},
      {Builtin::kToDuration, {S("320000000000s")}, E(kRange)},
      {Builtin::kToDuration, {S("-200000000000s")}, E(kRange)},
      {Builtin::kToDuration, {S("9223372036s")}, Dur("9223372036s")},
      {Builtin::kToDuration, {S("9223372037s")}, E(kRange)},
      {Builtin::kToDuration,
       {S("-2562047h47m16.854775808s")},
       Value::Duration(absl::Nanoseconds(INT64_MIN))},
      {Builtin::kToDuration, {S("99999999999999999999s")}, E(kRange)},
      {Builtin::kToDuration, {S("1x")}, E(kConversion)},
      {Builtin::kToDuration, {S("")}, E(kConversion)},
      {Builtin::kToDuration, {I(1)}, E(kNoOverload)},
      {Builtin::kToTimestamp,
       {S("2009-02-13T23:31:30Z")},
       Ts("2009-02-13T23:31:30Z")},
      {Builtin::kToTimestamp,
       {S("2009-02-14T00:31:30+01:00")},
       Ts("2009-02-13T23:31:30Z")},
      {Builtin::kToTimestamp,
       {Ts("2009-02-13T23:31:30Z")},
       Ts("2009-02-13T23:31:30Z")},
      {Builtin::kToTimestamp, {I(1234567890)}, Ts("2009-02-13T23:31:30Z")},
      {Builtin::kToTimestamp, {I(-62135596800)}, Ts("0001-01-01T00:00:00Z")},
      {Builtin::kToTimestamp, {I(-62135596801)}, E(kRange)},
      {Builtin::kToTimestamp, {I(253402300800)}, E(kRange)},
      {Builtin::kToTimestamp, {I(kMax)}, E(kRange)},
      {Builtin::kToTimestamp, {I(kMin)}, E(kRange)},
      {Builtin::kToTimestamp, {S("0000-01-01T00:00:00Z")}, E(kRange)},
      {Builtin::kToTimestamp, {S("10000-01-01T00:00:00Z")}, E(kConversion)},
      {Builtin::kToTimestamp, {S("2009-02-13")}, E(kConversion)},
      {Builtin::kToTimestamp, {D(1.0)}, E(kNoOverload)},
      {Builtin::kDyn, {S("x")}, S("x")},
      {Builtin::kDyn, {L({I(1)})}, L({I(1)})},
  });
  // Parse errors carry the reason.
  const Value bad = CallBuiltin(Builtin::kToDuration, {S("1x")});
  EXPECT_NE(bad.ErrorMessage().find("unknown unit"), std::string::npos)
      << bad.ErrorMessage();
}

TEST(FunctionsTest, TimestampAccessors) {
  const Value t = Ts("2009-02-13T23:31:30.123456789Z");
  RunCases({
      {Builtin::kGetFullYear, {t}, I(2009)},
      {Builtin::kGetMonth, {t}, I(1)},
      {Builtin::kGetDayOfYear, {t}, I(43)},
      {Builtin::kGetDayOfMonth, {t}, I(12)},
      {Builtin::kGetDate, {t}, I(13)},
      {Builtin::kGetDayOfWeek, {t}, I(5)},  // a Friday
      {Builtin::kGetHours, {t}, I(23)},
      {Builtin::kGetMinutes, {t}, I(31)},
      {Builtin::kGetSeconds, {t}, I(30)},
      {Builtin::kGetMilliseconds, {t}, I(123)},
      {Builtin::kGetDayOfWeek, {Ts("2026-11-22T12:00:00Z")}, I(0)},  // Sunday
      {Builtin::kGetDayOfWeek, {Ts("2026-11-28T12:00:00Z")}, I(6)},
      {Builtin::kGetDayOfYear, {Ts("2024-12-31T12:00:00Z")}, I(365)},
      {Builtin::kGetFullYear, {Ts("0001-01-01T00:00:00Z")}, I(1)},
      {Builtin::kGetMilliseconds, {Ts("1969-12-31T23:59:59.5Z")}, I(500)},
      {Builtin::kGetSeconds, {Ts("1969-12-31T23:59:59.5Z")}, I(59)},
      // With a time zone.
      {Builtin::kGetDate, {t, S("Australia/Sydney")}, I(14)},
      {Builtin::kGetDayOfMonth, {t, S("US/Central")}, I(12)},
      {Builtin::kGetDayOfMonth, {t, S("+11:00")}, I(13)},
      {Builtin::kGetDayOfMonth,
       {Ts("2009-02-13T02:00:00Z"), S("-02:30")},
       I(11)},
      {Builtin::kGetDayOfMonth,
       {Ts("2009-02-13T02:00:00Z"), S("America/St_Johns")},
       I(11)},
      {Builtin::kGetDayOfWeek, {t, S("UTC")}, I(5)},
      {Builtin::kGetDayOfWeek, {t, S("Europe/Berlin")}, I(6)},
      {Builtin::kGetDayOfYear, {t, S("US/Central")}, I(43)},
      {Builtin::kGetFullYear, {t, S("-09:30")}, I(2009)},
      {Builtin::kGetFullYear,
       {Ts("2009-12-31T23:00:00Z"), S("+01:00")},
       I(2010)},
      {Builtin::kGetHours, {t, S("02:00")}, I(1)},
      {Builtin::kGetHours, {t, S("America/New_York")}, I(18)},
      {Builtin::kGetHours,
       {Ts("2026-07-01T12:00:00Z"), S("America/New_York")},
       I(8)},  // daylight saving time
      {Builtin::kGetMinutes, {t, S("Asia/Kathmandu")}, I(16)},
      {Builtin::kGetMonth, {t, S("UTC")}, I(1)},
      {Builtin::kGetSeconds, {t, S("-00:00")}, I(30)},
      {Builtin::kGetMilliseconds, {t, S("Asia/Kathmandu")}, I(123)},
      // Bad zones and arguments.
      {Builtin::kGetHours, {t, S("Mars/Olympus")}, E(kInvalid)},
      {Builtin::kGetHours, {t, S("+25:00")}, E(kInvalid)},
      {Builtin::kGetHours, {t, S("/dev/stdin")}, E(kInvalid)},
      {Builtin::kGetHours, {t, I(2)}, E(kNoOverload)},
      {Builtin::kGetHours, {I(2)}, E(kNoOverload)},
      {Builtin::kGetFullYear, {S("2009")}, E(kNoOverload)},
  });
}

TEST(FunctionsTest, DurationAccessors) {
  RunCases({
      {Builtin::kGetHours, {Dur("3730s")}, I(1)},
      {Builtin::kGetMinutes, {Dur("3730s")}, I(62)},
      {Builtin::kGetSeconds, {Dur("3730s")}, I(3730)},
      {Builtin::kGetMilliseconds, {Dur("3730.5s")}, I(3730500)},
      {Builtin::kGetMinutes, {Dur("-90s")}, I(-1)},  // truncated toward zero
      {Builtin::kGetSeconds, {Dur("-1.5s")}, I(-1)},
      {Builtin::kGetHours, {Dur("1h"), S("UTC")}, E(kNoOverload)},
      {Builtin::kGetFullYear, {Dur("1h")}, E(kNoOverload)},
      {Builtin::kGetDate, {Dur("1h")}, E(kNoOverload)},
  });
}

TEST(FunctionsTest, WrongArgumentCountIsAnErrorNotACrash) {
  EXPECT_EQ(CallBuiltin(Builtin::kAdd, {}).error_code(), kNoOverload);
  EXPECT_EQ(CallBuiltin(Builtin::kAdd, {I(1)}).error_code(), kNoOverload);
  EXPECT_EQ(CallBuiltin(Builtin::kNegate, {I(1), I(2)}).error_code(),
            kNoOverload);
  EXPECT_EQ(CallBuiltin(Builtin::kGetHours, {}).error_code(), kNoOverload);
  EXPECT_EQ(CallBuiltin(Builtin::kGetHours,
                        {Ts("2009-02-13T23:31:30Z"), S("UTC"), S("UTC")})
                .error_code(),
            kNoOverload);
}

TEST(FunctionsTest, ErrorsPassThroughEquality) {
  const Value args[] = {E(ErrorCode::kDivisionByZero), I(1)};
  EXPECT_EQ(CallBuiltin(Builtin::kEquals, args).error_code(),
            ErrorCode::kDivisionByZero);
}

TEST(FindBuiltinTest, MapsCelNames) {
  struct NameCase {
    const char* name;
    bool receiver;
    int argc;
    std::optional<Builtin> want;
  } cases[] = {
      {"_+_", false, 2, Builtin::kAdd},
      {"_-_", false, 2, Builtin::kSubtract},
      {"_*_", false, 2, Builtin::kMultiply},
      {"_/_", false, 2, Builtin::kDivide},
      {"_%_", false, 2, Builtin::kModulo},
      {"-_", false, 1, Builtin::kNegate},
      {"!_", false, 1, Builtin::kLogicalNot},
      {"_==_", false, 2, Builtin::kEquals},
      {"_!=_", false, 2, Builtin::kNotEquals},
      {"_<_", false, 2, Builtin::kLess},
      {"_<=_", false, 2, Builtin::kLessEquals},
      {"_>_", false, 2, Builtin::kGreater},
      {"_>=_", false, 2, Builtin::kGreaterEquals},
      {"@in", false, 2, Builtin::kIn},
      {"_[_]", false, 2, Builtin::kIndex},
      {"@not_strictly_false", false, 1, Builtin::kNotStrictlyFalse},
      {"size", false, 1, Builtin::kSize},
      {"size", true, 1, Builtin::kSize},
      {"size", false, 2, std::nullopt},
      {"contains", true, 2, Builtin::kContains},
      {"contains", false, 2, std::nullopt},
      {"startsWith", true, 2, Builtin::kStartsWith},
      {"endsWith", true, 2, Builtin::kEndsWith},
      {"endsWith", true, 1, std::nullopt},
      {"matches", true, 2, Builtin::kMatches},
      {"matches", false, 2, Builtin::kMatches},
      {"matches", false, 1, std::nullopt},
      {"int", false, 1, Builtin::kToInt},
      {"int", true, 1, std::nullopt},
      {"double", false, 1, Builtin::kToDouble},
      {"string", false, 1, Builtin::kToString},
      {"bool", false, 1, Builtin::kToBool},
      {"duration", false, 1, Builtin::kToDuration},
      {"timestamp", false, 1, Builtin::kToTimestamp},
      {"timestamp", false, 2, std::nullopt},
      {"dyn", false, 1, Builtin::kDyn},
      {"getFullYear", true, 1, Builtin::kGetFullYear},
      {"getFullYear", true, 2, Builtin::kGetFullYear},
      {"getFullYear", true, 3, std::nullopt},
      {"getFullYear", false, 1, std::nullopt},
      {"getMonth", true, 2, Builtin::kGetMonth},
      {"getDayOfYear", true, 1, Builtin::kGetDayOfYear},
      {"getDayOfMonth", true, 1, Builtin::kGetDayOfMonth},
      {"getDate", true, 1, Builtin::kGetDate},
      {"getDayOfWeek", true, 1, Builtin::kGetDayOfWeek},
      {"getHours", true, 2, Builtin::kGetHours},
      {"getMinutes", true, 1, Builtin::kGetMinutes},
      {"getSeconds", true, 1, Builtin::kGetSeconds},
      {"getMilliseconds", true, 1, Builtin::kGetMilliseconds},
      {"_&&_", false, 2, std::nullopt},
      {"_?_:_", false, 3, std::nullopt},
      {"sizes", false, 1, std::nullopt},
      {"", false, 0, std::nullopt},
  };
  for (const NameCase& c : cases) {
    EXPECT_EQ(FindBuiltin(c.name, c.receiver, c.argc), c.want)
        << c.name << " receiver=" << c.receiver << " argc=" << c.argc;
  }
}

}  // namespace
}  // namespace switchboard::cel
