// Tests of CEL run-time values: factories and their range and key rules,
// ownership of strings and containers, map lookup, CEL equality, error
// messages and the literal rendering.
#include "engine/cel/value.h"

#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "engine/cel/types.h"
#include "gtest/gtest.h"

namespace switchboard::cel {
namespace {

Value I(int64_t i) { return Value::Int(i); }
Value D(double d) { return Value::Double(d); }
Value S(std::string s) { return Value::String(std::move(s)); }
Value B(bool b) { return Value::Bool(b); }
Value L(std::vector<Value> v) { return Value::List(std::move(v)); }
Value M(std::vector<std::pair<Value, Value>> e) {
  return Value::Map(std::move(e));
}

TEST(ValueTest, StaysSmall) { EXPECT_LE(sizeof(Value), 40u); }

TEST(ValueTest, ScalarsRoundTrip) {
  EXPECT_EQ(Value().kind(), ValueKind::kNull);
  EXPECT_EQ(Value::Null().kind(), ValueKind::kNull);
  EXPECT_TRUE(B(true).bool_value());
  EXPECT_TRUE(B(true).is_bool());
  EXPECT_EQ(I(-42).int_value(), -42);
  EXPECT_EQ(I(std::numeric_limits<int64_t>::min()).int_value(),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(D(1.5).double_value(), 1.5);
  EXPECT_EQ(Value::StringView("abc").string_value(), "abc");
  EXPECT_EQ(S("héllo").string_value(), "héllo");
}

TEST(ValueTest, StringViewDoesNotCopy) {
  std::string storage = "attribute";
  Value v = Value::StringView(storage);
  EXPECT_EQ(v.string_value().data(), storage.data());
}

TEST(ValueTest, OwnedStringOutlivesSource) {
  Value copy;
  {
    std::string s(100, 'x');
    Value v = Value::String(s);
    s.assign(100, 'y');
    copy = v;
  }
  EXPECT_EQ(copy.string_value(), std::string(100, 'x'));
  // Short strings (small-string optimisation) too.
  Value short_copy;
  {
    Value v = Value::String("ab");
    short_copy = v;
  }
  EXPECT_EQ(short_copy.string_value(), "ab");
}

TEST(ValueTest, ListsAreSharedAndOwned) {
  Value copy;
  {
    Value list = L({I(1), S(std::string(50, 'q')), L({B(true)})});
    copy = list;
  }
  ASSERT_EQ(copy.kind(), ValueKind::kList);
  ASSERT_EQ(copy.list_value().size(), 3u);
  EXPECT_EQ(copy.list_value()[1].string_value(), std::string(50, 'q'));
  EXPECT_TRUE(copy.list_value()[2].list_value()[0].bool_value());
}

TEST(ValueTest, DurationRange) {
  // An int64 count of nanoseconds, as CEL's language definition says.
  const absl::Duration max = absl::Nanoseconds(INT64_MAX);
  const absl::Duration min = absl::Nanoseconds(INT64_MIN);
  EXPECT_EQ(Value::Duration(max).kind(), ValueKind::kDuration);
  EXPECT_EQ(Value::Duration(min).kind(), ValueKind::kDuration);
  EXPECT_EQ(Value::Duration(max).duration_value(), max);
  EXPECT_EQ(Value::Duration(min).duration_value(), min);
  EXPECT_EQ(Value::Duration(max + absl::Nanoseconds(1)).error_code(),
            ErrorCode::kRange);
  EXPECT_EQ(Value::Duration(min - absl::Nanoseconds(1)).error_code(),
            ErrorCode::kRange);
  EXPECT_EQ(Value::Duration(absl::Seconds(315537897599)).error_code(),
            ErrorCode::kRange);
  EXPECT_EQ(Value::Duration(absl::InfiniteDuration()).error_code(),
            ErrorCode::kRange);
  EXPECT_EQ(Value::Duration(-absl::InfiniteDuration()).error_code(),
            ErrorCode::kRange);
  // Negative sub-second values survive the (seconds, nanos) representation.
  const absl::Duration d = -(absl::Seconds(1) + absl::Nanoseconds(1));
  EXPECT_EQ(Value::Duration(d).duration_value(), d);
  EXPECT_EQ(Value::Duration(absl::Milliseconds(-250)).duration_value(),
            absl::Milliseconds(-250));
}

TEST(ValueTest, TimestampRange) {
  const absl::Time min = absl::FromUnixSeconds(-62135596800);
  const absl::Time max =
      absl::FromUnixSeconds(253402300799) + absl::Nanoseconds(999999999);
  EXPECT_EQ(Value::Timestamp(min).timestamp_value(), min);
  EXPECT_EQ(Value::Timestamp(max).timestamp_value(), max);
  EXPECT_EQ(Value::Timestamp(min - absl::Nanoseconds(1)).error_code(),
            ErrorCode::kRange);
  EXPECT_EQ(Value::Timestamp(max + absl::Nanoseconds(1)).error_code(),
            ErrorCode::kRange);
  EXPECT_EQ(Value::Timestamp(absl::InfiniteFuture()).error_code(),
            ErrorCode::kRange);
  const absl::Time before_epoch =
      absl::FromUnixSeconds(-1) + absl::Milliseconds(250);
  EXPECT_EQ(Value::Timestamp(before_epoch).timestamp_value(), before_epoch);
}

TEST(ValueTest, MapRejectsRepeatedKeys) {
  EXPECT_EQ(
      M({{B(true), I(1)}, {B(false), I(2)}, {B(true), I(3)}}).error_code(),
      ErrorCode::kRepeatedKey);
  EXPECT_EQ(M({{S("a"), I(1)}, {S("a"), I(2)}}).error_code(),
            ErrorCode::kRepeatedKey);
  // 1 and 1.0 are the same key.
  EXPECT_EQ(M({{I(1), I(1)}, {D(1.0), I(2)}}).error_code(),
            ErrorCode::kRepeatedKey);
  // Also in maps large enough to be indexed.
  std::vector<std::pair<Value, Value>> entries;
  for (int i = 0; i < 20; ++i) entries.push_back({I(i), I(i)});
  entries.push_back({D(7.0), I(0)});
  EXPECT_EQ(M(entries).error_code(), ErrorCode::kRepeatedKey);
  entries.clear();
  for (int i = 0; i < 20; ++i) {
    entries.push_back({S("k" + std::to_string(i)), I(i)});
  }
  entries.push_back({S("k3"), I(0)});
  EXPECT_EQ(M(entries).error_code(), ErrorCode::kRepeatedKey);
}

TEST(ValueTest, MapRejectsUnsupportedKeys) {
  EXPECT_EQ(M({{Value::Null(), B(false)}}).error_code(),
            ErrorCode::kUnsupportedKeyType);
  EXPECT_EQ(M({{L({}), I(1)}}).error_code(), ErrorCode::kUnsupportedKeyType);
  EXPECT_EQ(M({{D(1.5), I(1)}}).error_code(), ErrorCode::kUnsupportedKeyType);
  EXPECT_EQ(M({{D(std::nan("")), I(1)}}).error_code(),
            ErrorCode::kUnsupportedKeyType);
  EXPECT_EQ(M({{Value::Duration(absl::Seconds(1)), I(1)}}).error_code(),
            ErrorCode::kUnsupportedKeyType);
  EXPECT_EQ(M({{D(2.0), I(1)}}).kind(), ValueKind::kMap);
}

TEST(ValueTest, MapFindUsesNumericKeyEquivalence) {
  for (int n : {3, 30}) {  // linear search and hash index
    std::vector<std::pair<Value, Value>> entries;
    for (int i = 0; i < n; ++i) {
      entries.push_back({I(i), S("int" + std::to_string(i))});
    }
    entries.push_back({S("name"), S("string")});
    entries.push_back({B(true), S("bool")});
    entries.push_back({D(-5.0), S("double")});
    Value map = M(entries);
    ASSERT_EQ(map.kind(), ValueKind::kMap) << map.DebugString();
    const MapValue& m = map.map_value();
    EXPECT_EQ(m.size(), static_cast<size_t>(n) + 3);
    ASSERT_NE(m.Find(I(1)), nullptr);
    EXPECT_EQ(m.Find(I(1))->string_value(), "int1");
    ASSERT_NE(m.Find(D(2.0)), nullptr);
    EXPECT_EQ(m.Find(D(2.0))->string_value(), "int2");
    ASSERT_NE(m.Find(I(-5)), nullptr);
    EXPECT_EQ(m.Find(I(-5))->string_value(), "double");
    EXPECT_EQ(m.Find(D(1.5)), nullptr);
    EXPECT_EQ(m.Find(D(std::nan(""))), nullptr);
    EXPECT_EQ(m.Find(I(n)), nullptr);
    ASSERT_NE(m.Find(Value::StringView("name")), nullptr);
    EXPECT_EQ(m.Find(Value::StringView("name"))->string_value(), "string");
    EXPECT_EQ(m.Find(Value::StringView("nam")), nullptr);
    ASSERT_NE(m.Find(B(true)), nullptr);
    EXPECT_EQ(m.Find(B(false)), nullptr);
    EXPECT_EQ(m.Find(Value::Null()), nullptr);
    EXPECT_EQ(m.Find(L({})), nullptr);
    // Entries keep the literal's order.
    EXPECT_EQ(m.entries()[0].first.int_value(), 0);
    EXPECT_EQ(m.entries().back().first.double_value(), -5.0);
  }
}

TEST(ValueTest, IndexedMapOutlivesItsBuilder) {
  Value copy;
  {
    std::vector<std::pair<Value, Value>> entries;
    for (int i = 0; i < 20; ++i) {
      entries.push_back({S("key" + std::to_string(i)), I(i)});
    }
    Value map = M(std::move(entries));
    copy = map;
  }
  ASSERT_NE(copy.map_value().Find(Value::StringView("key13")), nullptr);
  EXPECT_EQ(copy.map_value().Find(Value::StringView("key13"))->int_value(), 13);
}

TEST(ValueTest, MapOfViewedKeys) {
  std::vector<std::string> keys;
  for (int i = 0; i < 20; ++i) keys.push_back("attr" + std::to_string(i));
  std::vector<std::pair<Value, Value>> entries;
  for (int i = 0; i < 20; ++i) {
    entries.push_back({Value::StringView(keys[i]), I(i)});
  }
  Value map = M(std::move(entries));
  const Value* found = map.map_value().Find(S("attr7"));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->int_value(), 7);
}

TEST(ValueTest, MapPropagatesErrors) {
  EXPECT_EQ(
      M({{S("a"), Value::Error(ErrorCode::kDivisionByZero)}}).error_code(),
      ErrorCode::kDivisionByZero);
}

struct EqualityCase {
  Value a;
  Value b;
  bool equal;
};

TEST(ValueEqualsTest, Matrix) {
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const double kNaN = std::nan("");
  const absl::Time t0 = absl::FromUnixSeconds(1234567890);
  const EqualityCase cases[] = {
      {Value::Null(), Value::Null(), true},
      {Value::Null(), I(0), false},
      {Value::Null(), B(false), false},
      {B(true), B(true), true},
      {B(true), B(false), false},
      {B(true), I(1), false},
      {I(1), I(1), true},
      {I(1), I(2), false},
      {I(1), D(1.0), true},
      {D(1.0), I(1), true},
      {I(1), D(1.5), false},
      {D(-0.0), I(0), true},
      {D(0.0), D(-0.0), true},
      {D(kNaN), D(kNaN), false},
      {D(kNaN), I(0), false},
      // 2^63 as a double is not int64 max (which rounds to 2^63).
      {I(kMax), D(9.223372036854775807e18), false},
      {D(9.223372036854775807e18), I(kMax), false},
      {I(kMin), D(-9.223372036854775808e18), true},
      {I(kMax - 1023), D(9223372036854774784.0), true},
      {I(kMax - 1024), D(9223372036854774784.0), false},
      {I(1), D(std::numeric_limits<double>::infinity()), false},
      {I(1), S("1"), false},
      {S("abc"), Value::StringView("abc"), true},
      {S("abc"), S("abd"), false},
      {S("Am\u00e9lie"), S("Ame\u0301lie"), false},
      {Value::Duration(absl::Seconds(60)), Value::Duration(absl::Minutes(1)),
       true},
      {Value::Duration(absl::Seconds(60)), Value::Duration(absl::Seconds(61)),
       false},
      {Value::Timestamp(t0), Value::Timestamp(t0), true},
      {Value::Timestamp(t0), Value::Timestamp(t0 + absl::Nanoseconds(1)),
       false},
      {Value::Duration(absl::ZeroDuration()), I(0), false},
      {L({}), L({}), true},
      {L({Value::Null()}), L({Value::Null()}), true},
      {L({I(1), I(2), I(3)}), L({I(1), I(2), I(3)}), true},
      {L({I(1), I(2), I(3)}), L({I(1), I(3), I(2)}), false},
      {L({I(1)}), L({D(1.0)}), true},
      {L({S("one")}), L({I(2), I(3)}), false},
      {L({I(1), S("dos"), I(3)}), L({I(1), I(2), I(4)}), false},
      {L({L({})}), L({L({})}), true},
      {L({}), M({}), false},
      {M({}), M({}), true},
      {M({{S("k"), S("v")}}), M({{S("k"), S("v")}}), true},
      {M({{S("k"), S("v")}}), M({{S("k"), S("v1")}}), false},
      {M({{S("k"), S("v")}, {S("k1"), S("v1")}}), M({{S("k"), S("v")}}), false},
      {M({{S("k1"), S("v1")}, {S("k2"), S("v2")}}),
       M({{S("k2"), S("v2")}, {S("k1"), S("v1")}}), true},
      {M({{S("k1"), I(1)}, {S("k2"), S("dos")}}),
       M({{S("k1"), I(1)}, {S("k2"), I(2)}}), false},
      {M({{I(1), S("a")}}), M({{D(1.0), S("a")}}), true},
      {M({{I(1), S("hello")}, {I(2), S("world")}}),
       M({{I(1), S("goodbye")}, {I(2), Value::Null()}}), false},
      {M({{S("k"), B(true)}}), M({{S("k1"), B(true)}}), false},
  };
  for (const EqualityCase& c : cases) {
    EXPECT_EQ(ValueEquals(c.a, c.b), c.equal)
        << c.a.DebugString() << " == " << c.b.DebugString();
    EXPECT_EQ(ValueEquals(c.b, c.a), c.equal)
        << c.b.DebugString() << " == " << c.a.DebugString();
  }
}

TEST(ValueTest, ErrorMessages) {
  EXPECT_EQ(Value::Error(ErrorCode::kNoSuchOverload).ErrorMessage(),
            "no such overload");
  EXPECT_EQ(Value::Error(ErrorCode::kDivisionByZero).ErrorMessage(),
            "division by zero");
  EXPECT_EQ(Value::Error(ErrorCode::kModulusByZero).ErrorMessage(),
            "modulus by zero");
  EXPECT_EQ(Value::Error(ErrorCode::kOverflow).ErrorMessage(),
            "integer overflow");
  EXPECT_EQ(Value::Error(ErrorCode::kRange).ErrorMessage(),
            "value out of range");
  EXPECT_EQ(Value::Error(ErrorCode::kNoSuchKey).ErrorMessage(), "no such key");
  EXPECT_EQ(Value::Error(ErrorCode::kIndexOutOfRange).ErrorMessage(),
            "index out of range");
  EXPECT_EQ(Value::Error(ErrorCode::kUnknownVariable).ErrorMessage(),
            "undeclared reference");
  EXPECT_EQ(Value::Error(ErrorCode::kConversion).ErrorMessage(),
            "type conversion error");
  EXPECT_EQ(Value::Error(ErrorCode::kInvalidArgument).ErrorMessage(),
            "invalid argument");
  EXPECT_EQ(Value::Error(ErrorCode::kRepeatedKey).ErrorMessage(),
            "repeated key in map literal");
  EXPECT_EQ(Value::Error(ErrorCode::kUnsupportedKeyType).ErrorMessage(),
            "unsupported key type");
  EXPECT_EQ(Value::Error(ErrorCode::kLimit).ErrorMessage(),
            "evaluation limit exceeded");
  Value own = Value::Error(ErrorCode::kHost, "queue 'x' is unknown");
  EXPECT_EQ(own.error_code(), ErrorCode::kHost);
  EXPECT_EQ(own.ErrorMessage(), "queue 'x' is unknown");
  EXPECT_TRUE(own.is_error());
}

TEST(ValueTest, MissingFieldNamesTheField) {
  ObjectType event("event", "attribute");
  const int intent = event.AddField("intent", Type::String());
  ObjectType stats("queue", "statistic");
  const int waiting = stats.AddField("waiting", Type::Int());
  Value e = Value::MissingField(&event, intent);
  EXPECT_EQ(e.error_code(), ErrorCode::kNoSuchField);
  EXPECT_EQ(e.ErrorMessage(), "no such attribute 'intent'");
  EXPECT_EQ(Value::MissingField(&stats, waiting).ErrorMessage(),
            "no such statistic 'waiting'");
  EXPECT_EQ(e.DebugString(), "error(\"no such attribute 'intent'\")");
}

TEST(ValueTest, DebugStringIsACelLiteral) {
  EXPECT_EQ(Value::Null().DebugString(), "null");
  EXPECT_EQ(B(false).DebugString(), "false");
  EXPECT_EQ(I(42).DebugString(), "42");
  EXPECT_EQ(I(-9223372036854775807 - 1).DebugString(), "-9223372036854775808");
  EXPECT_EQ(D(1.5).DebugString(), "1.5");
  EXPECT_EQ(D(2).DebugString(), "2.0");
  EXPECT_EQ(D(1e100).DebugString(), "1e+100");
  EXPECT_EQ(D(std::numeric_limits<double>::infinity()).DebugString(),
            "double(\"inf\")");
  EXPECT_EQ(S("a\"b\\c\nd").DebugString(), "\"a\\\"b\\\\c\\nd\"");
  EXPECT_EQ(S(std::string("\x01", 1)).DebugString(), "\"\\x01\"");
  EXPECT_EQ(S("π").DebugString(), "\"π\"");
  EXPECT_EQ(Value::Duration(absl::Seconds(90)).DebugString(),
            "duration(\"90s\")");
  EXPECT_EQ(Value::Duration(absl::Milliseconds(-1500)).DebugString(),
            "duration(\"-1.500s\")");
  EXPECT_EQ(Value::Timestamp(absl::FromUnixSeconds(1795456920)).DebugString(),
            "timestamp(\"2026-11-23T18:02:00Z\")");
  EXPECT_EQ(L({I(1), I(2)}).DebugString(), "[1, 2]");
  EXPECT_EQ(L({}).DebugString(), "[]");
  EXPECT_EQ(M({{S("k"), L({B(true)})}, {I(2), Value::Null()}}).DebugString(),
            "{\"k\": [true], 2: null}");
  EXPECT_EQ(Value::Error(ErrorCode::kNoSuchOverload).DebugString(),
            "error(\"no such overload\")");
}

TEST(ValueTest, KindNames) {
  EXPECT_EQ(Value::KindName(ValueKind::kInt), "int");
  EXPECT_EQ(Value::KindName(ValueKind::kString), "string");
  EXPECT_EQ(Value::KindName(ValueKind::kList), "list");
  EXPECT_EQ(Value::KindName(ValueKind::kMap), "map");
  EXPECT_EQ(Value::KindName(ValueKind::kTimestamp), "timestamp");
  EXPECT_EQ(Value::KindName(ValueKind::kNull), "null_type");
}

class EmptyActivation : public Activation {
 public:
  Value GetVariable(int) const override {
    return Value::Error(ErrorCode::kUnknownVariable);
  }
};

TEST(ActivationTest, ExtensionsDefaultToNoSuchOverload) {
  EmptyActivation activation;
  EXPECT_EQ(activation.CallExtension(0, {}).error_code(),
            ErrorCode::kNoSuchOverload);
}

}  // namespace
}  // namespace switchboard::cel
