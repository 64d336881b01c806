// STUB (to be replaced by value.cc, functions.cc, common/time_util.cc).
#include "engine/cel/functions.h"
#include "engine/cel/value.h"
#include "engine/common/time_util.h"
namespace switchboard::cel {
Value Value::Bool(bool b) { Value v(ValueKind::kBool); v.rep_.b = b; return v; }
Value Value::Int(int64_t i) { Value v(ValueKind::kInt); v.rep_.i = i; return v; }
Value Value::Double(double d) { Value v(ValueKind::kDouble); v.rep_.d = d; return v; }
Value Value::Error(ErrorCode code) { Value v(ValueKind::kError); v.rep_.err = {code, -1, nullptr}; return v; }
std::string Value::DebugString() const { return ""; }
Value Activation::CallExtension(int, absl::Span<const Value>) const { return Value::Error(ErrorCode::kNoSuchOverload); }
std::optional<Builtin> FindBuiltin(std::string_view, bool, int) { return std::nullopt; }
Value CallBuiltin(Builtin, absl::Span<const Value>) { return Value::Error(ErrorCode::kNoSuchOverload); }
}  // namespace switchboard::cel
