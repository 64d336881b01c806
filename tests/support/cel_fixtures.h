// Small CEL fixtures for tests: a host object with settable fields, an
// Activation that holds variables by index and forwards extension calls to a
// test function, and structural value comparison.
#ifndef SWITCHBOARD_TESTS_SUPPORT_CEL_FIXTURES_H_
#define SWITCHBOARD_TESTS_SUPPORT_CEL_FIXTURES_H_

#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "engine/cel/types.h"
#include "engine/cel/value.h"

namespace switchboard::testing {

// A host object of a declared type whose fields are set one by one; unset
// fields are absent (GetField gives Value::MissingField).
class TestObject : public cel::ObjectValue {
 public:
  explicit TestObject(std::shared_ptr<const cel::ObjectType> type)
      : type_(std::move(type)), fields_(type_->fields().size()) {}

  // Sets field `name` (which must be declared).
  void Set(std::string_view name, cel::Value value);

  const cel::ObjectType& type() const override { return *type_; }
  cel::Value GetField(int index) const override;
  bool HasField(int index) const override;

 private:
  std::shared_ptr<const cel::ObjectType> type_;
  std::vector<std::optional<cel::Value>> fields_;
};

// Variables by Env index (unset ones are unbound: kUnknownVariable) and host
// extensions through a test function. Counts extension calls.
class TestActivation : public cel::Activation {
 public:
  using ExtensionFn =
      std::function<cel::Value(int id, absl::Span<const cel::Value> args)>;

  void Set(int index, cel::Value value);
  void set_extension(ExtensionFn fn) { extension_ = std::move(fn); }
  int extension_calls() const { return extension_calls_; }

  cel::Value GetVariable(int index) const override;
  cel::Value CallExtension(int id,
                           absl::Span<const cel::Value> args) const override;

 private:
  std::vector<std::optional<cel::Value>> values_;
  ExtensionFn extension_;
  mutable int extension_calls_ = 0;
};

// Structural identity of two values for tests: same kind and same contents
// (unlike CEL's ==, 1 and 1.0 differ; NaN is the same as NaN; -0.0 as 0.0).
// Two errors are the same when `compare_errors` is false, else when their
// codes are equal.
bool SameValue(const cel::Value& a, const cel::Value& b,
               bool compare_errors = false);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_SUPPORT_CEL_FIXTURES_H_
