// Runtime values of the CEL subset: factories with CEL's range and key
// rules, accessors, error messages, literal rendering, map lookup under CEL's
// numeric key equivalence, and CEL's heterogeneous equality.
#include "engine/cel/value.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/cel/literal.h"
#include "engine/common/time_util.h"

namespace switchboard::cel {

// Keys of a larger map, for constant-time lookup. Numeric keys (int and
// integral double) share one table so that 1 and 1.0 are the same key.
struct MapValue::Index {
  absl::flat_hash_map<int64_t, uint32_t> numbers;
  absl::flat_hash_map<std::string_view, uint32_t> strings;
  int32_t bools[2] = {-1, -1};
};

namespace {

// Maps with more entries than this get a hash index.
constexpr size_t kIndexThreshold = 8;

// CEL's ranges for durations (int64 nanoseconds) and timestamps (Unix
// seconds).
constexpr int64_t kMinUnixSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z
// Times in [epoch, 2^33 s) (1970 to 2242) convert through int64 nanoseconds.
constexpr int64_t kFastUnixSeconds = int64_t{1} << 33;

constexpr double kTwo63 = 9223372036854775808.0;  // 2^63, exact

// The int64 equal to `d`, when `d` is integral and representable.
bool DoubleToExactInt(double d, int64_t* out) {
  if (!(d >= -kTwo63 && d < kTwo63)) return false;  // also rejects NaN
  const int64_t i = static_cast<int64_t>(d);
  if (static_cast<double>(i) != d) return false;
  *out = i;
  return true;
}

// A map key reduced to what CEL key equality looks at.
struct Key {
  enum Class : uint8_t { kBool, kNumber, kString, kNoMatch, kUnsupported };
  Class cls = kUnsupported;
  bool b = false;
  int64_t n = 0;
  std::string_view s;
};

Key MakeKey(const Value& v) {
  Key k;
  switch (v.kind()) {
    case ValueKind::kBool:
      k.cls = Key::kBool;
      k.b = v.bool_value();
      break;
    case ValueKind::kInt:
      k.cls = Key::kNumber;
      k.n = v.int_value();
      break;
    case ValueKind::kDouble:
      // A non-integral double equals no stored key (stored double keys are
      // integral); it is still a well-formed lookup.
      k.cls = DoubleToExactInt(v.double_value(), &k.n) ? Key::kNumber
                                                       : Key::kNoMatch;
      break;
    case ValueKind::kString:
      k.cls = Key::kString;
      k.s = v.string_value();
      break;
    default:
      k.cls = Key::kUnsupported;
      break;
  }
  return k;
}

bool SameKey(const Key& a, const Key& b) {
  if (a.cls != b.cls) return false;
  switch (a.cls) {
    case Key::kBool:
      return a.b == b.b;
    case Key::kNumber:
      return a.n == b.n;
    case Key::kString:
      return a.s == b.s;
    default:
      return false;
  }
}

std::string_view BuiltinMessage(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNoSuchOverload:
      return "no such overload";
    case ErrorCode::kDivisionByZero:
      return "division by zero";
    case ErrorCode::kModulusByZero:
      return "modulus by zero";
    case ErrorCode::kOverflow:
      return "integer overflow";
    case ErrorCode::kRange:
      return "value out of range";
    case ErrorCode::kNoSuchKey:
      return "no such key";
    case ErrorCode::kIndexOutOfRange:
      return "index out of range";
    case ErrorCode::kNoSuchField:
      return "no such field";
    case ErrorCode::kUnknownVariable:
      return "undeclared reference";
    case ErrorCode::kConversion:
      return "type conversion error";
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kRepeatedKey:
      return "repeated key in map literal";
    case ErrorCode::kUnsupportedKeyType:
      return "unsupported key type";
    case ErrorCode::kLimit:
      return "evaluation limit exceeded";
    case ErrorCode::kHost:
      return "host function failed";
  }
  return "error";
}

void AppendDebug(const Value& v, std::string* out) {
  switch (v.kind()) {
    case ValueKind::kNull:
      out->append("null");
      return;
    case ValueKind::kBool:
      out->append(v.bool_value() ? "true" : "false");
      return;
    case ValueKind::kInt:
      absl::StrAppend(out, v.int_value());
      return;
    case ValueKind::kDouble:
      AppendDoubleLiteral(v.double_value(), out);
      return;
    case ValueKind::kString:
      AppendQuotedLiteral(v.string_value(), /*bytes=*/false, out);
      return;
    case ValueKind::kDuration:
      absl::StrAppend(out, "duration(\"",
                      switchboard::FormatDuration(v.duration_value()), "\")");
      return;
    case ValueKind::kTimestamp:
      absl::StrAppend(out, "timestamp(\"",
                      switchboard::FormatTimestamp(v.timestamp_value()), "\")");
      return;
    case ValueKind::kList: {
      out->push_back('[');
      bool first = true;
      for (const Value& e : v.list_value().elements()) {
        if (!first) out->append(", ");
        first = false;
        AppendDebug(e, out);
      }
      out->push_back(']');
      return;
    }
    case ValueKind::kMap: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, value] : v.map_value().entries()) {
        if (!first) out->append(", ");
        first = false;
        AppendDebug(key, out);
        out->append(": ");
        AppendDebug(value, out);
      }
      out->push_back('}');
      return;
    }
    case ValueKind::kObject: {
      const ObjectValue* obj = v.object_value();
      absl::StrAppend(out, "<", obj ? obj->type().name() : "object", ">");
      return;
    }
    case ValueKind::kError:
      out->append("error(");
      AppendQuotedLiteral(v.ErrorMessage(), /*bytes=*/false, out);
      out->push_back(')');
      return;
  }
}

}  // namespace

Value Value::Bool(bool b) {
  Value v(ValueKind::kBool);
  v.rep_.b = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v(ValueKind::kInt);
  v.rep_.i = i;
  return v;
}

Value Value::Double(double d) {
  Value v(ValueKind::kDouble);
  v.rep_.d = d;
  return v;
}

Value Value::StringView(std::string_view s) {
  Value v(ValueKind::kString);
  v.rep_.s = {s.data(), s.size()};
  return v;
}

Value Value::String(std::string s) {
  Value v(ValueKind::kString);
  auto owned = std::make_shared<const std::string>(std::move(s));
  v.rep_.s = {owned->data(), owned->size()};
  v.owner_ = std::move(owned);
  return v;
}

Value Value::Duration(absl::Duration d) {
  if (d < absl::Nanoseconds(std::numeric_limits<int64_t>::min()) ||
      d > absl::Nanoseconds(std::numeric_limits<int64_t>::max())) {
    return Error(ErrorCode::kRange);
  }
  absl::Duration rem;
  int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &rem);
  int64_t nanos = absl::IDivDuration(rem, absl::Nanoseconds(1), &rem);
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1000000000;
  }
  Value v(ValueKind::kDuration);
  v.rep_.t = {seconds, static_cast<int32_t>(nanos)};
  return v;
}

Value Value::Timestamp(absl::Time t) {
  if (t < absl::FromUnixSeconds(kMinUnixSeconds) ||
      t >= absl::FromUnixSeconds(kMaxUnixSeconds + 1)) {
    return Error(ErrorCode::kRange);
  }
  int64_t seconds;
  int64_t nanos;
  if (t >= absl::UnixEpoch() && t < absl::FromUnixSeconds(kFastUnixSeconds)) {
    // The common case (1970 to 2242): one call, no 128-bit division.
    const int64_t unix_nanos = absl::ToUnixNanos(t);
    seconds = unix_nanos / 1000000000;
    nanos = unix_nanos % 1000000000;
  } else {
    seconds = absl::ToUnixSeconds(t);  // rounds down
    // The remainder is in [0, 1s): ToInt64Nanoseconds' fast path.
    nanos = absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds));
  }
  Value v(ValueKind::kTimestamp);
  v.rep_.t = {seconds, static_cast<int32_t>(nanos)};
  return v;
}

Value Value::List(std::vector<Value> elements) {
  Value v(ValueKind::kList);
  v.owner_ = std::make_shared<const ListValue>(std::move(elements));
  return v;
}

Value Value::Map(std::vector<std::pair<Value, Value>> entries) {
  for (const auto& entry : entries) {
    if (entry.first.is_error()) return entry.first;
    if (entry.second.is_error()) return entry.second;
    const Key k = MakeKey(entry.first);
    if (k.cls == Key::kUnsupported || k.cls == Key::kNoMatch) {
      return Error(ErrorCode::kUnsupportedKeyType);
    }
  }
  auto map = std::make_shared<MapValue>();
  if (entries.size() <= kIndexThreshold) {
    for (size_t i = 1; i < entries.size(); ++i) {
      const Key ki = MakeKey(entries[i].first);
      for (size_t j = 0; j < i; ++j) {
        if (SameKey(ki, MakeKey(entries[j].first))) {
          return Error(ErrorCode::kRepeatedKey);
        }
      }
    }
    map->entries_ = std::move(entries);
  } else {
    // The index may view string keys: their bytes live in the keys' owners
    // (or the caller's storage for views), which do not move with the vector.
    auto index = std::make_shared<MapValue::Index>();
    for (size_t i = 0; i < entries.size(); ++i) {
      const Key k = MakeKey(entries[i].first);
      const uint32_t at = static_cast<uint32_t>(i);
      bool inserted = false;
      switch (k.cls) {
        case Key::kBool:
          inserted = index->bools[k.b] < 0;
          index->bools[k.b] = static_cast<int32_t>(at);
          break;
        case Key::kNumber:
          inserted = index->numbers.emplace(k.n, at).second;
          break;
        case Key::kString:
          inserted = index->strings.emplace(k.s, at).second;
          break;
        default:
          break;
      }
      if (!inserted) return Error(ErrorCode::kRepeatedKey);
    }
    map->entries_ = std::move(entries);
    map->index_ = std::move(index);
  }
  Value v(ValueKind::kMap);
  v.owner_ = std::move(map);
  return v;
}

Value Value::Object(const ObjectValue* object) {
  Value v(ValueKind::kObject);
  v.rep_.obj = object;
  return v;
}

Value Value::Error(ErrorCode code) {
  Value v(ValueKind::kError);
  v.rep_.err = {code, -1, nullptr};
  return v;
}

Value Value::Error(ErrorCode code, std::string message) {
  Value v = Error(code);
  v.owner_ = std::make_shared<const std::string>(std::move(message));
  return v;
}

Value Value::MissingField(const ObjectType* type, int field) {
  Value v(ValueKind::kError);
  v.rep_.err = {ErrorCode::kNoSuchField, field, type};
  return v;
}

absl::Duration Value::duration_value() const {
  assert(kind_ == ValueKind::kDuration);
  return absl::Seconds(rep_.t.seconds) + absl::Nanoseconds(rep_.t.nanos);
}

absl::Time Value::timestamp_value() const {
  assert(kind_ == ValueKind::kTimestamp);
  return absl::FromUnixSeconds(rep_.t.seconds) +
         absl::Nanoseconds(rep_.t.nanos);
}

const ListValue& Value::list_value() const {
  assert(kind_ == ValueKind::kList);
  return *static_cast<const ListValue*>(owner_.get());
}

const MapValue& Value::map_value() const {
  assert(kind_ == ValueKind::kMap);
  return *static_cast<const MapValue*>(owner_.get());
}

std::string Value::ErrorMessage() const {
  if (kind_ != ValueKind::kError) return "";
  if (owner_ != nullptr) return *static_cast<const std::string*>(owner_.get());
  const Err& e = rep_.err;
  if (e.code == ErrorCode::kNoSuchField && e.object != nullptr &&
      e.field >= 0 &&
      static_cast<size_t>(e.field) < e.object->fields().size()) {
    return absl::StrCat("no such ", e.object->field_noun(), " '",
                        e.object->fields()[e.field].name, "'");
  }
  return std::string(BuiltinMessage(e.code));
}

std::string Value::DebugString() const {
  std::string out;
  AppendDebug(*this, &out);
  return out;
}

std::string_view Value::KindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNull:
      return "null_type";
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kInt:
      return "int";
    case ValueKind::kDouble:
      return "double";
    case ValueKind::kString:
      return "string";
    case ValueKind::kDuration:
      return "duration";
    case ValueKind::kTimestamp:
      return "timestamp";
    case ValueKind::kList:
      return "list";
    case ValueKind::kMap:
      return "map";
    case ValueKind::kObject:
      return "object";
    case ValueKind::kError:
      return "error";
  }
  return "unknown";
}

const Value* MapValue::Find(const Value& key) const {
  const Key k = MakeKey(key);
  if (k.cls == Key::kNoMatch || k.cls == Key::kUnsupported) return nullptr;
  if (index_ != nullptr) {
    int64_t at = -1;
    switch (k.cls) {
      case Key::kBool:
        at = index_->bools[k.b];
        break;
      case Key::kNumber:
        if (auto it = index_->numbers.find(k.n); it != index_->numbers.end()) {
          at = it->second;
        }
        break;
      case Key::kString:
        if (auto it = index_->strings.find(k.s); it != index_->strings.end()) {
          at = it->second;
        }
        break;
      default:
        break;
    }
    return at < 0 ? nullptr : &entries_[static_cast<size_t>(at)].second;
  }
  for (const auto& entry : entries_) {
    if (SameKey(k, MakeKey(entry.first))) return &entry.second;
  }
  return nullptr;
}

Value Activation::CallExtension(int id, absl::Span<const Value> args) const {
  return Value::Error(ErrorCode::kNoSuchOverload);
}

bool ValueEquals(const Value& a, const Value& b) {
  const ValueKind ka = a.kind();
  const ValueKind kb = b.kind();
  if (ka != kb) {
    int64_t i;
    if (ka == ValueKind::kInt && kb == ValueKind::kDouble) {
      return DoubleToExactInt(b.double_value(), &i) && i == a.int_value();
    }
    if (ka == ValueKind::kDouble && kb == ValueKind::kInt) {
      return DoubleToExactInt(a.double_value(), &i) && i == b.int_value();
    }
    return false;
  }
  switch (ka) {
    case ValueKind::kNull:
      return true;
    case ValueKind::kBool:
      return a.bool_value() == b.bool_value();
    case ValueKind::kInt:
      return a.int_value() == b.int_value();
    case ValueKind::kDouble:
      return a.double_value() == b.double_value();  // NaN != NaN
    case ValueKind::kString:
      return a.string_value() == b.string_value();
    case ValueKind::kDuration:
      return a.duration_value() == b.duration_value();
    case ValueKind::kTimestamp:
      return a.timestamp_value() == b.timestamp_value();
    case ValueKind::kList: {
      const ListValue& la = a.list_value();
      const ListValue& lb = b.list_value();
      if (&la == &lb) return true;
      if (la.size() != lb.size()) return false;
      for (size_t i = 0; i < la.size(); ++i) {
        if (!ValueEquals(la[i], lb[i])) return false;
      }
      return true;
    }
    case ValueKind::kMap: {
      const MapValue& ma = a.map_value();
      const MapValue& mb = b.map_value();
      if (&ma == &mb) return true;
      if (ma.size() != mb.size()) return false;
      for (const auto& [key, value] : ma.entries()) {
        const Value* other = mb.Find(key);
        if (other == nullptr || !ValueEquals(value, *other)) return false;
      }
      return true;
    }
    case ValueKind::kObject:
      return a.object_value() == b.object_value();
    case ValueKind::kError:
      return false;
  }
  return false;
}

}  // namespace switchboard::cel
