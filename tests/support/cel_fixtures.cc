// Small CEL fixtures for tests (see cel_fixtures.h).
#include "tests/support/cel_fixtures.h"

#include <cmath>

namespace switchboard::testing {

using cel::Value;
using cel::ValueKind;

void TestObject::Set(std::string_view name, Value value) {
  int index = type_->FindField(name);
  if (index >= 0) fields_[index] = std::move(value);
}

Value TestObject::GetField(int index) const {
  if (index < 0 || index >= static_cast<int>(fields_.size()) ||
      !fields_[index].has_value()) {
    return Value::MissingField(type_.get(), index);
  }
  return *fields_[index];
}

bool TestObject::HasField(int index) const {
  return index >= 0 && index < static_cast<int>(fields_.size()) &&
         fields_[index].has_value();
}

void TestActivation::Set(int index, Value value) {
  if (index >= static_cast<int>(values_.size())) values_.resize(index + 1);
  values_[index] = std::move(value);
}

Value TestActivation::GetVariable(int index) const {
  if (index < 0 || index >= static_cast<int>(values_.size()) ||
      !values_[index].has_value()) {
    return Value::Error(cel::ErrorCode::kUnknownVariable);
  }
  return *values_[index];
}

Value TestActivation::CallExtension(int id,
                                    absl::Span<const Value> args) const {
  ++extension_calls_;
  if (!extension_) return Value::Error(cel::ErrorCode::kNoSuchOverload);
  return extension_(id, args);
}

bool SameValue(const Value& a, const Value& b, bool compare_errors) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kNull:
      return true;
    case ValueKind::kBool:
      return a.bool_value() == b.bool_value();
    case ValueKind::kInt:
      return a.int_value() == b.int_value();
    case ValueKind::kDouble:
      if (std::isnan(a.double_value()) || std::isnan(b.double_value())) {
        return std::isnan(a.double_value()) && std::isnan(b.double_value());
      }
      return a.double_value() == b.double_value();
    case ValueKind::kString:
      return a.string_value() == b.string_value();
    case ValueKind::kDuration:
      return a.duration_value() == b.duration_value();
    case ValueKind::kTimestamp:
      return a.timestamp_value() == b.timestamp_value();
    case ValueKind::kList: {
      const cel::ListValue& x = a.list_value();
      const cel::ListValue& y = b.list_value();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!SameValue(x[i], y[i], compare_errors)) return false;
      }
      return true;
    }
    case ValueKind::kMap: {
      const cel::MapValue& x = a.map_value();
      const cel::MapValue& y = b.map_value();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!SameValue(x.entries()[i].first, y.entries()[i].first,
                       compare_errors) ||
            !SameValue(x.entries()[i].second, y.entries()[i].second,
                       compare_errors)) {
          // Entries in another order: look the key up.
          const Value* found = x.Find(y.entries()[i].first);
          if (found == nullptr ||
              !SameValue(*found, y.entries()[i].second, compare_errors)) {
            return false;
          }
        }
      }
      return true;
    }
    case ValueKind::kObject:
      return a.object_value() == b.object_value();
    case ValueKind::kError:
      return !compare_errors || a.error_code() == b.error_code();
  }
  return false;
}

}  // namespace switchboard::testing
