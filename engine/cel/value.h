// Runtime values of the CEL subset. A Value is small (40 bytes), cheap to
// copy, and never allocates for scalars, for strings that view storage the
// caller keeps alive (event attributes, program constants), or for errors
// with a built-in code. Lists, maps and computed strings are shared,
// immutable and reference counted.
//
// CEL errors are values (kError), not crashes or exceptions: every function
// returns an error Value for bad input, and errors flow through expressions
// as the CEL specification says.
#ifndef SWITCHBOARD_ENGINE_CEL_VALUE_H_
#define SWITCHBOARD_ENGINE_CEL_VALUE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/cel/types.h"

namespace switchboard::cel {

enum class ValueKind : uint8_t {
  kNull,
  kBool,
  kInt,
  kDouble,
  kString,
  kDuration,
  kTimestamp,
  kList,
  kMap,
  kObject,
  kError,
};

// Why an evaluation failed. Each code has a fixed message (ErrorMessage).
enum class ErrorCode : uint8_t {
  kNoSuchOverload,      // "no such overload"
  kDivisionByZero,      // "division by zero"
  kModulusByZero,       // "modulus by zero"
  kOverflow,            // "integer overflow"
  kRange,               // "value out of range" (timestamps, durations, int())
  kNoSuchKey,           // "no such key"
  kIndexOutOfRange,     // "index out of range"
  kNoSuchField,         // "no such field '<name>'" (object field not present)
  kUnknownVariable,     // "undeclared reference" / unbound variable
  kConversion,          // "type conversion error"
  kInvalidArgument,     // "invalid argument" (bad regex, bad time zone...)
  kRepeatedKey,         // "repeated key in map literal"
  kUnsupportedKeyType,  // "unsupported key type"
  kLimit,               // "evaluation limit exceeded"
  kHost,                // raised by a host extension function
};

class ObjectValue;
class ListValue;
class MapValue;

class Value {
 public:
  Value() : kind_(ValueKind::kNull) { rep_.i = 0; }

  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Double(double d);
  // A string that views `s`; the caller keeps the bytes alive while the
  // Value (or any copy) is in use. No allocation.
  static Value StringView(std::string_view s);
  // A string that owns its bytes.
  static Value String(std::string s);
  // Durations and timestamps out of CEL's range become kRange errors.
  // Durations: an int64 count of nanoseconds (about +-292 years), as the
  // language definition says and the conformance suite checks
  // (timestamp('9999-12-31T23:59:59Z') - timestamp('0001-01-01T00:00:00Z')
  // is a range error). Timestamps:
  // 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z.
  static Value Duration(absl::Duration d);
  static Value Timestamp(absl::Time t);
  static Value List(std::vector<Value> elements);
  // Keys must be bool, int, double (integral), or string; a repeated key gives
  // a kRepeatedKey error, another key type kUnsupportedKeyType.
  static Value Map(std::vector<std::pair<Value, Value>> entries);
  // A host object; not owned, the host keeps it alive during evaluation.
  static Value Object(const ObjectValue* object);
  // An error with a built-in message. No allocation.
  static Value Error(ErrorCode code);
  // An error with its own message (allocates).
  static Value Error(ErrorCode code, std::string message);
  // "no such field 'name'" for field `field` of `type`; no allocation.
  static Value MissingField(const ObjectType* type, int field);

  // In-place setters for hot paths that refill a stored Value (no
  // temporary Value, no shared_ptr copy): drop an owned payload, then store
  // the scalar or the string view.
  void AssignBool(bool b) {
    if (owner_ != nullptr) owner_.reset();
    kind_ = ValueKind::kBool;
    rep_.b = b;
  }
  void AssignInt(int64_t i) {
    if (owner_ != nullptr) owner_.reset();
    kind_ = ValueKind::kInt;
    rep_.i = i;
  }
  void AssignDouble(double d) {
    if (owner_ != nullptr) owner_.reset();
    kind_ = ValueKind::kDouble;
    rep_.d = d;
  }
  void AssignStringView(std::string_view s) {
    if (owner_ != nullptr) owner_.reset();
    kind_ = ValueKind::kString;
    rep_.s = {s.data(), s.size()};
  }

  ValueKind kind() const { return kind_; }
  bool is_error() const { return kind_ == ValueKind::kError; }
  bool is_bool() const { return kind_ == ValueKind::kBool; }

  // Accessors; each requires the matching kind (checked in debug builds).
  bool bool_value() const { return rep_.b; }
  int64_t int_value() const { return rep_.i; }
  double double_value() const { return rep_.d; }
  std::string_view string_value() const { return {rep_.s.data, rep_.s.size}; }
  absl::Duration duration_value() const;
  absl::Time timestamp_value() const;
  const ListValue& list_value() const;
  const MapValue& map_value() const;
  const ObjectValue* object_value() const { return rep_.obj; }
  ErrorCode error_code() const { return rep_.err.code; }
  // The error's message (built-in, field or own). Allocates; not for hot paths.
  std::string ErrorMessage() const;

  // A CEL-literal rendering for tests and --explain: 42, 1.5, "a\"b",
  // duration("90s"), timestamp("2026-11-23T18:02:00Z"), [1, 2], {"k": v},
  // error("no such overload").
  std::string DebugString() const;

  // The name of the value's type, as CEL writes it: "int", "list", ...
  static std::string_view KindName(ValueKind kind);

 private:
  // Durations and timestamps are stored as (seconds, nanos) so that the
  // representation stays trivial; absl types are built on access.
  struct Seconds {
    int64_t seconds;
    int32_t nanos;  // 0..999,999,999
  };
  struct Str {
    const char* data;
    size_t size;
  };
  struct Err {
    ErrorCode code;
    int32_t field;             // kNoSuchField: the field index, else -1
    const ObjectType* object;  // kNoSuchField: its type, else null
  };
  union Rep {
    bool b;
    int64_t i;
    double d;
    Seconds t;
    Str s;
    const ObjectValue* obj;
    Err err;
  };

  explicit Value(ValueKind kind) : kind_(kind) { rep_.i = 0; }

  ValueKind kind_;
  Rep rep_;
  // Keeps owned payloads alive: string bytes, ListValue, MapValue, error
  // message. Null for scalars and views.
  std::shared_ptr<const void> owner_;

  friend class ListValue;
  friend class MapValue;
};

class ListValue {
 public:
  explicit ListValue(std::vector<Value> elements)
      : elements_(std::move(elements)) {}
  size_t size() const { return elements_.size(); }
  const Value& operator[](size_t i) const { return elements_[i]; }
  absl::Span<const Value> elements() const { return elements_; }

 private:
  std::vector<Value> elements_;
};

class MapValue {
 public:
  size_t size() const { return entries_.size(); }
  // Entries in insertion order (the order of the literal).
  absl::Span<const std::pair<Value, Value>> entries() const { return entries_; }
  // The value for `key` under CEL's key equality (1, 1.0 and the same
  // number as a different numeric type are the same key), or null.
  const Value* Find(const Value& key) const;

 private:
  friend class Value;
  // Hash index over the keys of larger maps (built by Value::Map); null for
  // small maps, which are searched linearly.
  struct Index;
  std::vector<std::pair<Value, Value>> entries_;
  std::shared_ptr<const Index> index_;
};

// A host object (the rule engine's event, session, queue statistics), read by
// field index as declared in its ObjectType.
class ObjectValue {
 public:
  virtual ~ObjectValue() = default;
  virtual const ObjectType& type() const = 0;
  // The field's value, or Value::MissingField(&type(), index) when absent.
  virtual Value GetField(int index) const = 0;
  virtual bool HasField(int index) const = 0;
};

// Where a program reads its variables and calls the host's functions.
// Implementations must be usable from the evaluating thread only; the values
// they return must stay valid until Evaluate returns.
class Activation {
 public:
  virtual ~Activation() = default;
  // The value of variable `index` of the Env the program was compiled with.
  // An unbound variable is Value::Error(ErrorCode::kUnknownVariable).
  virtual Value GetVariable(int index) const = 0;
  // Calls host extension overload `id` (ExtensionDecl::id). The default
  // returns a kNoSuchOverload error.
  virtual Value CallExtension(int id, absl::Span<const Value> args) const;
};

// CEL equality across all kinds: numeric values compare by value across int
// and double (NaN equals nothing), lists and maps element-wise, values of
// different kinds are unequal. Neither argument may be an error.
bool ValueEquals(const Value& a, const Value& b);

}  // namespace switchboard::cel

#endif  // SWITCHBOARD_ENGINE_CEL_VALUE_H_
