// Operations on values shared by the evaluator and constant folding
// (operations.h).
#include "engine/cel/operations.h"

#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace switchboard::cel::program_internal {

Value AndMerge(const Value& left, const Value& right) {
  if (right.is_bool() && !right.bool_value()) return right;
  if (left.is_bool()) {  // true
    return right.is_bool() ? right : AsLogicError(right);
  }
  return AsLogicError(left);
}

Value OrMerge(const Value& left, const Value& right) {
  if (right.is_bool() && right.bool_value()) return right;
  if (left.is_bool()) {  // false
    return right.is_bool() ? right : AsLogicError(right);
  }
  return AsLogicError(left);
}

Value SelectField(const Value& operand, const FieldRef& ref, bool test) {
  switch (operand.kind()) {
    case ValueKind::kError:
      return operand;
    case ValueKind::kObject: {
      const ObjectValue* object = operand.object_value();
      if (object == nullptr) return NoSuchOverload();
      const ObjectType& type = object->type();
      int field = &type == ref.type ? ref.field : type.FindField(ref.name);
      if (field < 0) {
        return Value::Error(ErrorCode::kNoSuchField,
                            absl::StrCat("no such field '", ref.name, "'"));
      }
      return test ? Value::Bool(object->HasField(field))
                  : object->GetField(field);
    }
    case ValueKind::kMap: {
      const Value* found =
          operand.map_value().Find(Value::StringView(ref.name));
      if (test) return Value::Bool(found != nullptr);
      if (found != nullptr) return *found;
      return Value::Error(ErrorCode::kNoSuchKey,
                          absl::StrCat("no such key: '", ref.name, "'"));
    }
    default:
      return Value::Error(
          ErrorCode::kNoSuchOverload,
          absl::StrCat("type '", std::string(Value::KindName(operand.kind())),
                       "' does not support field selection"));
  }
}

Value MakeList(absl::Span<Value> elements) {
  if (const Value* e = FirstError(elements)) return *e;
  return Value::List(
      std::vector<Value>(std::make_move_iterator(elements.begin()),
                         std::make_move_iterator(elements.end())));
}

Value MakeMap(absl::Span<Value> kv) {
  if (const Value* e = FirstError(kv)) return *e;
  std::vector<std::pair<Value, Value>> entries;
  entries.reserve(kv.size() / 2);
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    entries.emplace_back(std::move(kv[i]), std::move(kv[i + 1]));
  }
  return Value::Map(std::move(entries));
}

Value LiteralValue(const Constant& c) {
  switch (c.kind) {
    case Constant::Kind::kNull:
      return Value::Null();
    case Constant::Kind::kBool:
      return Value::Bool(c.bool_value);
    case Constant::Kind::kInt:
      return Value::Int(c.int_value);
    case Constant::Kind::kDouble:
      return Value::Double(c.double_value);
    case Constant::Kind::kString:
      return Value::StringView(c.string_value);
    case Constant::Kind::kUint:
      return Value::Error(ErrorCode::kNoSuchOverload,
                          "uint values are not supported");
    case Constant::Kind::kBytes:
      return Value::Error(ErrorCode::kNoSuchOverload,
                          "bytes values are not supported");
  }
  return NoSuchOverload();
}

Value UndeclaredReference(const std::string& name) {
  return Value::Error(ErrorCode::kUnknownVariable,
                      absl::StrCat("undeclared reference to '", name, "'"));
}

}  // namespace switchboard::cel::program_internal
