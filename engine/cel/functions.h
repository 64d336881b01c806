// The CEL standard library at run time: every built-in function and operator
// other than the control-flow ones (&&, ||, ?:, comprehensions, which the
// compiler lowers to jumps). Dispatch is on the arguments' run-time kinds, so
// the same code serves checked and unchecked expressions; a kind combination
// with no overload gives a kNoSuchOverload error value.
#ifndef SWITCHBOARD_ENGINE_CEL_FUNCTIONS_H_
#define SWITCHBOARD_ENGINE_CEL_FUNCTIONS_H_

#include <optional>
#include <string_view>

#include "absl/types/span.h"
#include "engine/cel/value.h"

namespace re2 {
class RE2;
}

namespace switchboard::cel {

enum class Builtin : uint8_t {
  // operators
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,
  kModulo,
  kNegate,
  kLogicalNot,
  kEquals,
  kNotEquals,
  kLess,
  kLessEquals,
  kGreater,
  kGreaterEquals,
  kIn,
  kIndex,
  kNotStrictlyFalse,
  // functions (global and/or receiver style)
  kSize,
  kContains,
  kStartsWith,
  kEndsWith,
  kMatches,
  kToInt,
  kToDouble,
  kToString,
  kToBool,
  kToDuration,
  kToTimestamp,
  kDyn,
  // timestamp / duration accessors, with an optional time zone argument
  kGetFullYear,
  kGetMonth,
  kGetDayOfYear,
  kGetDayOfMonth,
  kGetDate,
  kGetDayOfWeek,
  kGetHours,
  kGetMinutes,
  kGetSeconds,
  kGetMilliseconds,
};

// The built-in named `function` (CEL's name: "_+_", "size", "getHours"...)
// called with `argc` arguments (counting the receiver) in the given style,
// or nullopt when there is none.
std::optional<Builtin> FindBuiltin(std::string_view function,
                                   bool receiver_style, int argc);

// Calls a built-in. args[0] is the receiver for receiver-style calls. No
// argument may be an error (the caller propagates errors first), except for
// kNotStrictlyFalse. Never throws; bad input gives an error Value.
Value CallBuiltin(Builtin fn, absl::Span<const Value> args);

// `s.matches(re)` with a pattern compiled once by the compiler.
Value MatchesRegex(const Value& s, const re2::RE2& re);

}  // namespace switchboard::cel

#endif  // SWITCHBOARD_ENGINE_CEL_FUNCTIONS_H_
