// The CEL standard library at run time. CallBuiltin switches on the builtin,
// then on the arguments' kinds; scalar results and built-in errors never
// allocate. Semantics follow the CEL language definition and the public
// conformance suite (cel-go where the two leave room): checked int64
// arithmetic, IEEE doubles, exact comparison between int and double, range
// checked durations and timestamps, RE2 partial matching.
#include "engine/cel/functions.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>

#include "absl/time/civil_time.h"
#include "engine/common/time_util.h"
#include "fmt/format.h"
#include "re2/re2.h"

namespace switchboard::cel {
namespace {

using ::switchboard::common::LoadTimeZone;

constexpr double kTwo63 = 9223372036854775808.0;  // 2^63, exact

Value NoOverload() { return Value::Error(ErrorCode::kNoSuchOverload); }

bool IsKind(const Value& v, ValueKind k) { return v.kind() == k; }

// ---- ordering ---------------------------------------------------------------

enum class Order : uint8_t { kLess, kEqual, kGreater, kUnordered, kNone };

template <typename T>
Order CompareScalars(T a, T b) {
  if (a < b) return Order::kLess;
  if (b < a) return Order::kGreater;
  return Order::kEqual;
}

// `i` against `d`, exactly (no rounding of i to double).
Order CompareIntDouble(int64_t i, double d) {
  if (std::isnan(d)) return Order::kUnordered;
  if (d >= kTwo63) return Order::kLess;
  if (d < -kTwo63) return Order::kGreater;
  const double t = std::trunc(d);  // in [-2^63, 2^63): fits int64
  const int64_t ti = static_cast<int64_t>(t);
  if (i < ti) return Order::kLess;
  if (i > ti) return Order::kGreater;
  if (d > t) return Order::kLess;
  if (d < t) return Order::kGreater;
  return Order::kEqual;
}

Order Flip(Order o) {
  if (o == Order::kLess) return Order::kGreater;
  if (o == Order::kGreater) return Order::kLess;
  return o;
}

// The order of two values for < <= > >=; kNone when CEL defines none.
Order Compare(const Value& a, const Value& b) {
  switch (a.kind()) {
    case ValueKind::kInt:
      if (IsKind(b, ValueKind::kInt)) {
        return CompareScalars(a.int_value(), b.int_value());
      }
      if (IsKind(b, ValueKind::kDouble)) {
        return CompareIntDouble(a.int_value(), b.double_value());
      }
      return Order::kNone;
    case ValueKind::kDouble:
      if (IsKind(b, ValueKind::kDouble)) {
        const double x = a.double_value(), y = b.double_value();
        if (std::isnan(x) || std::isnan(y)) return Order::kUnordered;
        return CompareScalars(x, y);
      }
      if (IsKind(b, ValueKind::kInt)) {
        return Flip(CompareIntDouble(b.int_value(), a.double_value()));
      }
      return Order::kNone;
    case ValueKind::kString:
      if (!IsKind(b, ValueKind::kString)) return Order::kNone;
      // Bytewise order of UTF-8 is code point order.
      return CompareScalars(a.string_value(), b.string_value());
    case ValueKind::kBool:
      if (!IsKind(b, ValueKind::kBool)) return Order::kNone;
      return CompareScalars(a.bool_value(), b.bool_value());
    case ValueKind::kDuration:
      if (!IsKind(b, ValueKind::kDuration)) return Order::kNone;
      return CompareScalars(a.duration_value(), b.duration_value());
    case ValueKind::kTimestamp:
      if (!IsKind(b, ValueKind::kTimestamp)) return Order::kNone;
      return CompareScalars(a.timestamp_value(), b.timestamp_value());
    default:
      return Order::kNone;
  }
}

Value CompareBuiltin(Builtin fn, const Value& a, const Value& b) {
  const Order o = Compare(a, b);
  switch (o) {
    case Order::kNone:
      return NoOverload();
    case Order::kUnordered:
      return Value::Bool(false);
    default:
      break;
  }
  switch (fn) {
    case Builtin::kLess:
      return Value::Bool(o == Order::kLess);
    case Builtin::kLessEquals:
      return Value::Bool(o != Order::kGreater);
    case Builtin::kGreater:
      return Value::Bool(o == Order::kGreater);
    default:  // kGreaterEquals
      return Value::Bool(o != Order::kLess);
  }
}

// ---- arithmetic -------------------------------------------------------------

Value ConcatLists(const Value& a, const Value& b) {
  const ListValue& la = a.list_value();
  const ListValue& lb = b.list_value();
  if (lb.size() == 0) return a;
  if (la.size() == 0) return b;
  std::vector<Value> out;
  out.reserve(la.size() + lb.size());
  out.insert(out.end(), la.elements().begin(), la.elements().end());
  out.insert(out.end(), lb.elements().begin(), lb.elements().end());
  return Value::List(std::move(out));
}

Value Add(const Value& a, const Value& b) {
  switch (a.kind()) {
    case ValueKind::kInt: {
      if (!IsKind(b, ValueKind::kInt)) break;
      int64_t r;
      if (__builtin_add_overflow(a.int_value(), b.int_value(), &r)) {
        return Value::Error(ErrorCode::kOverflow);
      }
      return Value::Int(r);
    }
    case ValueKind::kDouble:
      if (!IsKind(b, ValueKind::kDouble)) break;
      return Value::Double(a.double_value() + b.double_value());
    case ValueKind::kString: {
      if (!IsKind(b, ValueKind::kString)) break;
      if (b.string_value().empty()) return a;
      if (a.string_value().empty()) return b;
      std::string s;
      s.reserve(a.string_value().size() + b.string_value().size());
      s.append(a.string_value());
      s.append(b.string_value());
      return Value::String(std::move(s));
    }
    case ValueKind::kList:
      if (!IsKind(b, ValueKind::kList)) break;
      return ConcatLists(a, b);
    case ValueKind::kTimestamp:
      if (!IsKind(b, ValueKind::kDuration)) break;
      return Value::Timestamp(a.timestamp_value() + b.duration_value());
    case ValueKind::kDuration:
      if (IsKind(b, ValueKind::kDuration)) {
        return Value::Duration(a.duration_value() + b.duration_value());
      }
      if (IsKind(b, ValueKind::kTimestamp)) {
        return Value::Timestamp(b.timestamp_value() + a.duration_value());
      }
      break;
    default:
      break;
  }
  return NoOverload();
}

Value Subtract(const Value& a, const Value& b) {
  switch (a.kind()) {
    case ValueKind::kInt: {
      if (!IsKind(b, ValueKind::kInt)) break;
      int64_t r;
      if (__builtin_sub_overflow(a.int_value(), b.int_value(), &r)) {
        return Value::Error(ErrorCode::kOverflow);
      }
      return Value::Int(r);
    }
    case ValueKind::kDouble:
      if (!IsKind(b, ValueKind::kDouble)) break;
      return Value::Double(a.double_value() - b.double_value());
    case ValueKind::kTimestamp:
      if (IsKind(b, ValueKind::kTimestamp)) {
        return Value::Duration(a.timestamp_value() - b.timestamp_value());
      }
      if (IsKind(b, ValueKind::kDuration)) {
        return Value::Timestamp(a.timestamp_value() - b.duration_value());
      }
      break;
    case ValueKind::kDuration:
      if (!IsKind(b, ValueKind::kDuration)) break;
      return Value::Duration(a.duration_value() - b.duration_value());
    default:
      break;
  }
  return NoOverload();
}

Value Multiply(const Value& a, const Value& b) {
  if (IsKind(a, ValueKind::kInt) && IsKind(b, ValueKind::kInt)) {
    int64_t r;
    if (__builtin_mul_overflow(a.int_value(), b.int_value(), &r)) {
      return Value::Error(ErrorCode::kOverflow);
    }
    return Value::Int(r);
  }
  if (IsKind(a, ValueKind::kDouble) && IsKind(b, ValueKind::kDouble)) {
    return Value::Double(a.double_value() * b.double_value());
  }
  return NoOverload();
}

Value Divide(const Value& a, const Value& b) {
  if (IsKind(a, ValueKind::kInt) && IsKind(b, ValueKind::kInt)) {
    const int64_t x = a.int_value(), y = b.int_value();
    if (y == 0) return Value::Error(ErrorCode::kDivisionByZero);
    if (x == std::numeric_limits<int64_t>::min() && y == -1) {
      return Value::Error(ErrorCode::kOverflow);
    }
    return Value::Int(x / y);
  }
  if (IsKind(a, ValueKind::kDouble) && IsKind(b, ValueKind::kDouble)) {
    return Value::Double(a.double_value() / b.double_value());
  }
  return NoOverload();
}

Value Modulo(const Value& a, const Value& b) {
  if (IsKind(a, ValueKind::kInt) && IsKind(b, ValueKind::kInt)) {
    const int64_t x = a.int_value(), y = b.int_value();
    if (y == 0) return Value::Error(ErrorCode::kModulusByZero);
    // As cel-go and cel-cpp: INT64_MIN % -1 is an overflow (the quotient
    // overflows), not 0.
    if (x == std::numeric_limits<int64_t>::min() && y == -1) {
      return Value::Error(ErrorCode::kOverflow);
    }
    return Value::Int(x % y);
  }
  return NoOverload();
}

Value Negate(const Value& a) {
  if (IsKind(a, ValueKind::kInt)) {
    if (a.int_value() == std::numeric_limits<int64_t>::min()) {
      return Value::Error(ErrorCode::kOverflow);
    }
    return Value::Int(-a.int_value());
  }
  if (IsKind(a, ValueKind::kDouble)) return Value::Double(-a.double_value());
  return NoOverload();
}

// ---- containers -------------------------------------------------------------

Value In(const Value& elem, const Value& container) {
  if (elem.is_error()) return elem;
  if (IsKind(container, ValueKind::kList)) {
    for (const Value& e : container.list_value().elements()) {
      if (ValueEquals(elem, e)) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  if (IsKind(container, ValueKind::kMap)) {
    return Value::Bool(container.map_value().Find(elem) != nullptr);
  }
  return NoOverload();
}

Value Index(const Value& container, const Value& key) {
  if (IsKind(container, ValueKind::kList)) {
    int64_t i;
    if (IsKind(key, ValueKind::kInt)) {
      i = key.int_value();
    } else if (IsKind(key, ValueKind::kDouble)) {
      const double d = key.double_value();
      if (!(d >= -kTwo63 && d < kTwo63) || std::trunc(d) != d) {
        return Value::Error(ErrorCode::kInvalidArgument,
                            fmt::format("invalid list index {}", d));
      }
      i = static_cast<int64_t>(d);
    } else {
      return NoOverload();
    }
    const ListValue& list = container.list_value();
    if (i < 0 || static_cast<uint64_t>(i) >= list.size()) {
      return Value::Error(ErrorCode::kIndexOutOfRange);
    }
    return list[static_cast<size_t>(i)];
  }
  if (IsKind(container, ValueKind::kMap)) {
    switch (key.kind()) {
      case ValueKind::kBool:
      case ValueKind::kInt:
      case ValueKind::kDouble:
      case ValueKind::kString:
        break;
      default:
        return Value::Error(ErrorCode::kUnsupportedKeyType);
    }
    const Value* v = container.map_value().Find(key);
    if (v == nullptr) return Value::Error(ErrorCode::kNoSuchKey);
    return *v;
  }
  return NoOverload();
}

// Number of Unicode code points of UTF-8 text (bytes that do not continue a
// sequence).
int64_t CodePoints(std::string_view s) {
  int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

Value Size(const Value& a) {
  switch (a.kind()) {
    case ValueKind::kString:
      return Value::Int(CodePoints(a.string_value()));
    case ValueKind::kList:
      return Value::Int(static_cast<int64_t>(a.list_value().size()));
    case ValueKind::kMap:
      return Value::Int(static_cast<int64_t>(a.map_value().size()));
    default:
      return NoOverload();
  }
}

// ---- strings ----------------------------------------------------------------

Value StringPredicate(Builtin fn, const Value& s, const Value& arg) {
  if (!IsKind(s, ValueKind::kString) || !IsKind(arg, ValueKind::kString)) {
    return NoOverload();
  }
  const std::string_view a = s.string_value();
  const std::string_view b = arg.string_value();
  switch (fn) {
    case Builtin::kContains:
      return Value::Bool(a.find(b) != std::string_view::npos);
    case Builtin::kStartsWith:
      return Value::Bool(a.substr(0, b.size()) == b);
    default:  // kEndsWith
      return Value::Bool(a.size() >= b.size() &&
                         a.substr(a.size() - b.size()) == b);
  }
}

Value Matches(const Value& s, const Value& pattern) {
  if (!IsKind(s, ValueKind::kString) || !IsKind(pattern, ValueKind::kString)) {
    return NoOverload();
  }
  RE2::Options options;
  options.set_log_errors(false);
  const std::string_view p = pattern.string_value();
  const RE2 re(re2::StringPiece(p.data(), p.size()), options);
  return MatchesRegex(s, re);
}

// ---- conversions ------------------------------------------------------------

Value ToInt(const Value& a) {
  switch (a.kind()) {
    case ValueKind::kInt:
      return a;
    case ValueKind::kDouble: {
      const double d = a.double_value();
      // Both ends are exclusive, as in CEL: -2^63 itself is out of range.
      if (!(d > -kTwo63 && d < kTwo63)) return Value::Error(ErrorCode::kRange);
      return Value::Int(static_cast<int64_t>(d));
    }
    case ValueKind::kString: {
      std::string_view s = a.string_value();
      if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
      int64_t out = 0;
      const auto [ptr, ec] =
          std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec == std::errc::result_out_of_range) {
        return Value::Error(ErrorCode::kRange);
      }
      if (ec != std::errc() || ptr != s.data() + s.size()) {
        return Value::Error(ErrorCode::kConversion);
      }
      return Value::Int(out);
    }
    case ValueKind::kTimestamp:
      return Value::Int(absl::ToUnixSeconds(a.timestamp_value()));
    default:
      return NoOverload();
  }
}

Value ToDouble(const Value& a) {
  switch (a.kind()) {
    case ValueKind::kDouble:
      return a;
    case ValueKind::kInt:
      return Value::Double(static_cast<double>(a.int_value()));
    case ValueKind::kString: {
      std::string_view s = a.string_value();
      if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
      double out = 0;
      const auto [ptr, ec] =
          std::from_chars(s.data(), s.data() + s.size(), out);
      if (ptr != s.data() + s.size() || s.empty()) {
        return Value::Error(ErrorCode::kConversion);
      }
      if (ec == std::errc::result_out_of_range) {
        // Underflow rounds to zero (as strtod and Go's ParseFloat do);
        // overflow is an error.
        const size_t e = s.find_first_of("eE");
        if (e != std::string_view::npos && e + 1 < s.size() &&
            s[e + 1] == '-') {
          return Value::Double(s[0] == '-' ? -0.0 : 0.0);
        }
        return Value::Error(ErrorCode::kRange);
      }
      if (ec != std::errc()) return Value::Error(ErrorCode::kConversion);
      return Value::Double(out);
    }
    default:
      return NoOverload();
  }
}

Value ToString(const Value& a) {
  switch (a.kind()) {
    case ValueKind::kString:
      return a;
    case ValueKind::kInt: {
      char buf[24];
      const auto r = std::to_chars(buf, buf + sizeof(buf), a.int_value());
      return Value::String(std::string(buf, r.ptr));
    }
    case ValueKind::kDouble: {
      // Shortest form that reads back as the same double.
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof(buf), a.double_value());
      return Value::String(std::string(buf, r.ptr));
    }
    case ValueKind::kBool:
      return Value::StringView(a.bool_value() ? "true" : "false");
    case ValueKind::kDuration:
      return Value::String(switchboard::FormatDuration(a.duration_value()));
    case ValueKind::kTimestamp:
      return Value::String(switchboard::FormatTimestamp(a.timestamp_value()));
    default:
      return NoOverload();
  }
}

Value ToBool(const Value& a) {
  if (IsKind(a, ValueKind::kBool)) return a;
  if (!IsKind(a, ValueKind::kString)) return NoOverload();
  const std::string_view s = a.string_value();
  if (s == "1" || s == "t" || s == "true" || s == "TRUE" || s == "True") {
    return Value::Bool(true);
  }
  if (s == "0" || s == "f" || s == "false" || s == "FALSE" || s == "False") {
    return Value::Bool(false);
  }
  return Value::Error(ErrorCode::kConversion);
}

Value ToDuration(const Value& a) {
  if (IsKind(a, ValueKind::kDuration)) return a;
  if (!IsKind(a, ValueKind::kString)) return NoOverload();
  absl::StatusOr<absl::Duration> d = ParseDuration(a.string_value());
  if (!d.ok()) {
    return Value::Error(d.status().code() == absl::StatusCode::kOutOfRange
                            ? ErrorCode::kRange
                            : ErrorCode::kConversion,
                        std::string(d.status().message()));
  }
  return Value::Duration(*d);
}

Value ToTimestamp(const Value& a) {
  switch (a.kind()) {
    case ValueKind::kTimestamp:
      return a;
    case ValueKind::kInt:
      return Value::Timestamp(absl::FromUnixSeconds(a.int_value()));
    case ValueKind::kString: {
      absl::StatusOr<absl::Time> t = ParseTimestamp(a.string_value());
      if (!t.ok()) {
        return Value::Error(t.status().code() == absl::StatusCode::kOutOfRange
                                ? ErrorCode::kRange
                                : ErrorCode::kConversion,
                            std::string(t.status().message()));
      }
      return Value::Timestamp(*t);
    }
    default:
      return NoOverload();
  }
}

// ---- timestamp and duration accessors ---------------------------------------

Value DurationAccessor(Builtin fn, absl::Duration d) {
  switch (fn) {
    case Builtin::kGetHours:
      return Value::Int(absl::ToInt64Hours(d));
    case Builtin::kGetMinutes:
      return Value::Int(absl::ToInt64Minutes(d));
    case Builtin::kGetSeconds:
      return Value::Int(absl::ToInt64Seconds(d));
    case Builtin::kGetMilliseconds:
      return Value::Int(absl::ToInt64Milliseconds(d));
    default:
      return NoOverload();
  }
}

Value TimestampAccessor(Builtin fn, absl::Time t, const absl::TimeZone& tz) {
  const absl::TimeZone::CivilInfo info = tz.At(t);
  const absl::CivilSecond& cs = info.cs;
  switch (fn) {
    case Builtin::kGetFullYear:
      return Value::Int(cs.year());
    case Builtin::kGetMonth:
      return Value::Int(cs.month() - 1);
    case Builtin::kGetDayOfYear:
      return Value::Int(absl::GetYearDay(absl::CivilDay(cs)) - 1);
    case Builtin::kGetDayOfMonth:
      return Value::Int(cs.day() - 1);
    case Builtin::kGetDate:
      return Value::Int(cs.day());
    case Builtin::kGetDayOfWeek: {
      // absl counts from Monday = 0; CEL from Sunday = 0.
      const int wd = static_cast<int>(absl::GetWeekday(absl::CivilDay(cs)));
      return Value::Int((wd + 1) % 7);
    }
    case Builtin::kGetHours:
      return Value::Int(cs.hour());
    case Builtin::kGetMinutes:
      return Value::Int(cs.minute());
    case Builtin::kGetSeconds:
      return Value::Int(cs.second());
    case Builtin::kGetMilliseconds:
      return Value::Int(absl::ToInt64Milliseconds(info.subsecond));
    default:
      return NoOverload();
  }
}

Value Accessor(Builtin fn, absl::Span<const Value> args) {
  const Value& target = args[0];
  if (args.size() == 1) {
    if (IsKind(target, ValueKind::kTimestamp)) {
      return TimestampAccessor(fn, target.timestamp_value(),
                               absl::UTCTimeZone());
    }
    if (IsKind(target, ValueKind::kDuration)) {
      return DurationAccessor(fn, target.duration_value());
    }
    return NoOverload();
  }
  if (!IsKind(target, ValueKind::kTimestamp) ||
      !IsKind(args[1], ValueKind::kString)) {
    return NoOverload();
  }
  absl::StatusOr<absl::TimeZone> tz = LoadTimeZone(args[1].string_value());
  if (!tz.ok()) {
    return Value::Error(ErrorCode::kInvalidArgument,
                        std::string(tz.status().message()));
  }
  return TimestampAccessor(fn, target.timestamp_value(), *tz);
}

// ---- the name table ---------------------------------------------------------

// How a builtin may be called: the allowed numbers of arguments (counting
// the receiver) for global and receiver-style calls; 0 = not allowed.
struct BuiltinName {
  std::string_view name;
  Builtin fn;
  int8_t global_min, global_max;
  int8_t receiver_min, receiver_max;
};

constexpr BuiltinName kBuiltinNames[] = {
    {"_+_", Builtin::kAdd, 2, 2, 0, 0},
    {"_-_", Builtin::kSubtract, 2, 2, 0, 0},
    {"_*_", Builtin::kMultiply, 2, 2, 0, 0},
    {"_/_", Builtin::kDivide, 2, 2, 0, 0},
    {"_%_", Builtin::kModulo, 2, 2, 0, 0},
    {"-_", Builtin::kNegate, 1, 1, 0, 0},
    {"!_", Builtin::kLogicalNot, 1, 1, 0, 0},
    {"_==_", Builtin::kEquals, 2, 2, 0, 0},
    {"_!=_", Builtin::kNotEquals, 2, 2, 0, 0},
    {"_<_", Builtin::kLess, 2, 2, 0, 0},
    {"_<=_", Builtin::kLessEquals, 2, 2, 0, 0},
    {"_>_", Builtin::kGreater, 2, 2, 0, 0},
    {"_>=_", Builtin::kGreaterEquals, 2, 2, 0, 0},
    {"@in", Builtin::kIn, 2, 2, 0, 0},
    {"_[_]", Builtin::kIndex, 2, 2, 0, 0},
    {"@not_strictly_false", Builtin::kNotStrictlyFalse, 1, 1, 0, 0},
    {"size", Builtin::kSize, 1, 1, 1, 1},
    {"contains", Builtin::kContains, 0, 0, 2, 2},
    {"startsWith", Builtin::kStartsWith, 0, 0, 2, 2},
    {"endsWith", Builtin::kEndsWith, 0, 0, 2, 2},
    {"matches", Builtin::kMatches, 2, 2, 2, 2},
    {"int", Builtin::kToInt, 1, 1, 0, 0},
    {"double", Builtin::kToDouble, 1, 1, 0, 0},
    {"string", Builtin::kToString, 1, 1, 0, 0},
    {"bool", Builtin::kToBool, 1, 1, 0, 0},
    {"duration", Builtin::kToDuration, 1, 1, 0, 0},
    {"timestamp", Builtin::kToTimestamp, 1, 1, 0, 0},
    {"dyn", Builtin::kDyn, 1, 1, 0, 0},
    {"getFullYear", Builtin::kGetFullYear, 0, 0, 1, 2},
    {"getMonth", Builtin::kGetMonth, 0, 0, 1, 2},
    {"getDayOfYear", Builtin::kGetDayOfYear, 0, 0, 1, 2},
    {"getDayOfMonth", Builtin::kGetDayOfMonth, 0, 0, 1, 2},
    {"getDate", Builtin::kGetDate, 0, 0, 1, 2},
    {"getDayOfWeek", Builtin::kGetDayOfWeek, 0, 0, 1, 2},
    {"getHours", Builtin::kGetHours, 0, 0, 1, 2},
    {"getMinutes", Builtin::kGetMinutes, 0, 0, 1, 2},
    {"getSeconds", Builtin::kGetSeconds, 0, 0, 1, 2},
    {"getMilliseconds", Builtin::kGetMilliseconds, 0, 0, 1, 2},
};

// Number of arguments each builtin takes (counting the receiver), so that a
// malformed call is an error, never an out-of-bounds read.
bool ArityOk(Builtin fn, size_t argc) {
  switch (fn) {
    case Builtin::kNegate:
    case Builtin::kLogicalNot:
    case Builtin::kNotStrictlyFalse:
    case Builtin::kSize:
    case Builtin::kToInt:
    case Builtin::kToDouble:
    case Builtin::kToString:
    case Builtin::kToBool:
    case Builtin::kToDuration:
    case Builtin::kToTimestamp:
    case Builtin::kDyn:
      return argc == 1;
    case Builtin::kGetFullYear:
    case Builtin::kGetMonth:
    case Builtin::kGetDayOfYear:
    case Builtin::kGetDayOfMonth:
    case Builtin::kGetDate:
    case Builtin::kGetDayOfWeek:
    case Builtin::kGetHours:
    case Builtin::kGetMinutes:
    case Builtin::kGetSeconds:
    case Builtin::kGetMilliseconds:
      return argc == 1 || argc == 2;
    default:
      return argc == 2;
  }
}

}  // namespace

std::optional<Builtin> FindBuiltin(std::string_view function,
                                   bool receiver_style, int argc) {
  for (const BuiltinName& b : kBuiltinNames) {
    if (b.name != function) continue;
    const int lo = receiver_style ? b.receiver_min : b.global_min;
    const int hi = receiver_style ? b.receiver_max : b.global_max;
    if (lo > 0 && argc >= lo && argc <= hi) return b.fn;
    return std::nullopt;
  }
  return std::nullopt;
}

Value CallBuiltin(Builtin fn, absl::Span<const Value> args) {
  if (!ArityOk(fn, args.size())) return NoOverload();
  switch (fn) {
    case Builtin::kAdd:
      return Add(args[0], args[1]);
    case Builtin::kSubtract:
      return Subtract(args[0], args[1]);
    case Builtin::kMultiply:
      return Multiply(args[0], args[1]);
    case Builtin::kDivide:
      return Divide(args[0], args[1]);
    case Builtin::kModulo:
      return Modulo(args[0], args[1]);
    case Builtin::kNegate:
      return Negate(args[0]);
    case Builtin::kLogicalNot:
      if (!args[0].is_bool()) return NoOverload();
      return Value::Bool(!args[0].bool_value());
    case Builtin::kEquals:
    case Builtin::kNotEquals:
      if (args[0].is_error()) return args[0];
      if (args[1].is_error()) return args[1];
      return Value::Bool(ValueEquals(args[0], args[1]) ==
                         (fn == Builtin::kEquals));
    case Builtin::kLess:
    case Builtin::kLessEquals:
    case Builtin::kGreater:
    case Builtin::kGreaterEquals:
      return CompareBuiltin(fn, args[0], args[1]);
    case Builtin::kIn:
      return In(args[0], args[1]);
    case Builtin::kIndex:
      return Index(args[0], args[1]);
    case Builtin::kNotStrictlyFalse:
      return Value::Bool(!args[0].is_bool() || args[0].bool_value());
    case Builtin::kSize:
      return Size(args[0]);
    case Builtin::kContains:
    case Builtin::kStartsWith:
    case Builtin::kEndsWith:
      return StringPredicate(fn, args[0], args[1]);
    case Builtin::kMatches:
      return Matches(args[0], args[1]);
    case Builtin::kToInt:
      return ToInt(args[0]);
    case Builtin::kToDouble:
      return ToDouble(args[0]);
    case Builtin::kToString:
      return ToString(args[0]);
    case Builtin::kToBool:
      return ToBool(args[0]);
    case Builtin::kToDuration:
      return ToDuration(args[0]);
    case Builtin::kToTimestamp:
      return ToTimestamp(args[0]);
    case Builtin::kDyn:
      return args[0];
    case Builtin::kGetFullYear:
    case Builtin::kGetMonth:
    case Builtin::kGetDayOfYear:
    case Builtin::kGetDayOfMonth:
    case Builtin::kGetDate:
    case Builtin::kGetDayOfWeek:
    case Builtin::kGetHours:
    case Builtin::kGetMinutes:
    case Builtin::kGetSeconds:
    case Builtin::kGetMilliseconds:
      return Accessor(fn, args);
  }
  return NoOverload();
}

Value MatchesRegex(const Value& s, const re2::RE2& re) {
  if (!IsKind(s, ValueKind::kString)) return NoOverload();
  if (!re.ok()) {
    return Value::Error(ErrorCode::kInvalidArgument,
                        fmt::format("invalid regular expression '{}': {}",
                                    re.pattern(), re.error()));
  }
  const std::string_view text = s.string_value();
  return Value::Bool(
      RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re));
}

}  // namespace switchboard::cel
