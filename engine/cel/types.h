// CEL types as the checker sees them: the primitives, list(T), map(K, V),
// object types declared by the host (the rule engine's `event`, `session`,
// queue statistics), type parameters for generic overloads, and dyn.
#ifndef SWITCHBOARD_ENGINE_CEL_TYPES_H_
#define SWITCHBOARD_ENGINE_CEL_TYPES_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::cel {

enum class TypeKind : uint8_t {
  kDyn,
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kDuration,
  kTimestamp,
  kList,
  kMap,
  kObject,     // a host object with declared fields (see ObjectType)
  kTypeParam,  // a type variable of a generic overload (e.g. list(A))
  kError,      // the type of an expression that failed to check
};

class ObjectType;

// A value type; cheap to copy (shares its parameters).
class Type {
 public:
  Type() : kind_(TypeKind::kDyn) {}

  static Type Dyn() { return Type(TypeKind::kDyn); }
  static Type Null() { return Type(TypeKind::kNull); }
  static Type Bool() { return Type(TypeKind::kBool); }
  static Type Int() { return Type(TypeKind::kInt); }
  static Type Uint() { return Type(TypeKind::kUint); }
  static Type Double() { return Type(TypeKind::kDouble); }
  static Type String() { return Type(TypeKind::kString); }
  static Type Bytes() { return Type(TypeKind::kBytes); }
  static Type Duration() { return Type(TypeKind::kDuration); }
  static Type Timestamp() { return Type(TypeKind::kTimestamp); }
  static Type Error() { return Type(TypeKind::kError); }
  static Type List(Type elem);
  static Type Map(Type key, Type value);
  static Type Object(std::shared_ptr<const ObjectType> object);
  static Type Param(std::string name);

  TypeKind kind() const { return kind_; }
  bool is_dyn() const { return kind_ == TypeKind::kDyn; }
  // kList: the element type. kMap: key() and value(). Dyn otherwise.
  const Type& elem() const;
  const Type& key() const;
  const Type& value() const;
  // kObject: the declaration; null otherwise.
  const ObjectType* object() const {
    return kind_ == TypeKind::kObject
               ? static_cast<const ObjectType*>(data_.get())
               : nullptr;
  }
  // kTypeParam: its name.
  const std::string& param_name() const;

  // CEL's spelling: "int", "list(string)", "map(string, dyn)", "event".
  std::string DebugString() const;

  friend bool operator==(const Type& a, const Type& b);
  friend bool operator!=(const Type& a, const Type& b) { return !(a == b); }

 private:
  explicit Type(TypeKind kind) : kind_(kind) {}
  // The parameters (list: 1, map: 2) as a std::vector<Type>, or nullptr.
  const std::vector<Type>* params() const {
    return kind_ == TypeKind::kList || kind_ == TypeKind::kMap
               ? static_cast<const std::vector<Type>*>(data_.get())
               : nullptr;
  }

  TypeKind kind_;
  // What the kind needs, if anything (one pointer keeps a Type at 24 bytes,
  // cheap to copy and to store per node): kList / kMap: a
  // std::vector<Type> of the parameters; kObject: the ObjectType;
  // kTypeParam: the name, a std::string.
  std::shared_ptr<const void> data_;
};

// Parses the rule language's type names: bool, int, double, string,
// duration, timestamp, list(T) / list<T>, map(K, V) / map<K, V>, dyn.
// Returns nullopt for anything else.
std::optional<Type> ParseTypeName(std::string_view name);

// A host-declared object type: a fixed set of named, typed fields, read as
// `obj.field` and tested with `has(obj.field)`. Field i has index i.
class ObjectType {
 public:
  struct Field {
    std::string name;
    Type type;
  };

  // `name` is what messages call the type ("event"); `field_noun` is what
  // they call its fields ("attribute", "field", "statistic").
  ObjectType(std::string name, std::string field_noun)
      : name_(std::move(name)), field_noun_(std::move(field_noun)) {}

  // Returns the new field's index.
  int AddField(std::string name, Type type);

  const std::string& name() const { return name_; }
  const std::string& field_noun() const { return field_noun_; }
  const std::vector<Field>& fields() const { return fields_; }
  // Index of the field, or -1.
  int FindField(std::string_view name) const;

 private:
  std::string name_;
  std::string field_noun_;
  std::vector<Field> fields_;
};

}  // namespace switchboard::cel

#endif  // SWITCHBOARD_ENGINE_CEL_TYPES_H_
