// The abstract syntax of the CEL subset: what the parser produces and the
// checker and the compiler consume. Macros (has, all, exists, exists_one, map,
// filter) are already expanded by the parser into kSelect (test_only) and
// kComprehension nodes, as in cel-go / cel-cpp, so later stages never see them.
//
// Every node carries the byte offset of its text in the expression source
// (for operators: the offset of the operator token), so that any stage can
// report a mistake at the exact column. The parser bounds the nesting depth
// (ParseOptions::max_depth), so recursive walks over an Expr are safe.
#ifndef SWITCHBOARD_ENGINE_CEL_AST_H_
#define SWITCHBOARD_ENGINE_CEL_AST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace switchboard::cel {

// Byte offset into the expression text, 0-based.
using Offset = int32_t;

// A mistake found in an expression, at a byte offset of its text. The caller
// (the rule loader) turns the offset into file:line:column.
struct Issue {
  Offset offset = 0;
  std::string message;
};

// A literal as written in the source.
struct Constant {
  enum class Kind : uint8_t {
    kNull,
    kBool,
    kInt,
    kUint,  // parsed (123u) so the checker can say "not supported"
    kDouble,
    kString,
    kBytes,  // parsed (b"..") so the checker can say "not supported"
  };
  Kind kind = Kind::kNull;
  bool bool_value = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double double_value = 0;
  std::string string_value;  // kString (UTF-8) and kBytes
};

enum class ExprKind : uint8_t {
  kConstant,
  kIdent,
  kSelect,
  kCall,
  kList,
  kMap,
  kComprehension,
};

// Names of the operator functions, as in CEL's operators.h.
namespace op {
inline constexpr char kAdd[] = "_+_";
inline constexpr char kSubtract[] = "_-_";
inline constexpr char kMultiply[] = "_*_";
inline constexpr char kDivide[] = "_/_";
inline constexpr char kModulo[] = "_%_";
inline constexpr char kNegate[] = "-_";
inline constexpr char kLogicalNot[] = "!_";
inline constexpr char kLogicalAnd[] = "_&&_";
inline constexpr char kLogicalOr[] = "_||_";
inline constexpr char kConditional[] = "_?_:_";
inline constexpr char kEquals[] = "_==_";
inline constexpr char kNotEquals[] = "_!=_";
inline constexpr char kLess[] = "_<_";
inline constexpr char kLessEquals[] = "_<=_";
inline constexpr char kGreater[] = "_>_";
inline constexpr char kGreaterEquals[] = "_>=_";
inline constexpr char kIn[] = "@in";
inline constexpr char kIndex[] = "_[_]";
// Used by the all() / exists() expansions: false only for a bool false,
// true for true and for errors (so the loop goes on, as CEL specifies).
inline constexpr char kNotStrictlyFalse[] = "@not_strictly_false";
}  // namespace op

// The accumulator variable of macro expansions.
inline constexpr char kAccumulatorName[] = "__result__";

struct Expr {
  int64_t id = 0;     // unique within one parse, > 0
  Offset offset = 0;  // where the node's text starts (operator token for ops)
  ExprKind kind = ExprKind::kConstant;

  Constant constant;  // kConstant

  // kIdent: the name ("x", or ".x" when written with a leading dot).
  // kSelect: the field name. kCall: the function name ("_+_", "size", ...).
  std::string name;

  // kSelect: true when the select came from has(a.b).
  bool test_only = false;

  // kSelect: the operand. kCall: the receiver of a member call (a.f(x)),
  // null for a global call (f(a, x)).
  std::unique_ptr<Expr> target;

  // kCall: arguments. kList: elements.
  // kMap: keys and values interleaved: args[2i] is a key, args[2i+1] its value.
  std::vector<std::unique_ptr<Expr>> args;

  // kComprehension (CEL's fold):
  //   accu = accu_init
  //   for iter_var in iter_range:           (lists: elements; maps: keys)
  //     if !loop_condition: break
  //     accu = loop_step
  //   return result
  std::string iter_var;
  std::string accu_var;
  std::unique_ptr<Expr> iter_range;
  std::unique_ptr<Expr> accu_init;
  std::unique_ptr<Expr> loop_condition;
  std::unique_ptr<Expr> loop_step;
  std::unique_ptr<Expr> result;
};

// A readable, stable rendering of the tree, for golden tests and debugging,
// e.g. `_&&_(_>_(session.cart_items, 0), !_(session.chat_offered))`.
std::string DebugString(const Expr& expr);

}  // namespace switchboard::cel

#endif  // SWITCHBOARD_ENGINE_CEL_AST_H_
