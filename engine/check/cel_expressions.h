// Internal to engine/check: the CEL expressions written in rule files
// (conditions, `set` and `emit` values, session field defaults). Each is
// parsed, type-checked and compiled, and every issue is reported at its
// position in the YAML file; in rules, names in extension calls
// (open('calendar'), channel_up('c'), queue('q')) are checked against the
// ruleset, and the session fields an expression reads are recorded for the
// rule graph and the unused-field analysis.
#ifndef SWITCHBOARD_ENGINE_CHECK_CEL_EXPRESSIONS_H_
#define SWITCHBOARD_ENGINE_CHECK_CEL_EXPRESSIONS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "engine/cel/ast.h"
#include "engine/cel/env.h"
#include "engine/cel/program.h"
#include "engine/cel/types.h"
#include "engine/check/check_context.h"
#include "engine/check/checked_ruleset.h"
#include "engine/load/rule_file.h"

namespace switchboard::check {

// A CEL expression written in a scalar, compiled.
struct CompiledExpr {
  std::shared_ptr<const cel::Expr> expr;
  cel::Type type;
  cel::Program program;
};

// Parses, checks and compiles the expression in `scalar` (its value, or the
// part of it starting at `base`), reporting issues at their file positions.
// With `want` double, an int expression is compiled as double(expr). With a
// `rule`, names in extension calls are checked and the session fields read
// are recorded (in rule->reads and ctx.field_usage()). Nullopt when the
// expression has mistakes.
std::optional<CompiledExpr> CompileExpr(CheckContext& ctx,
                                        const load::YamlNode& scalar,
                                        std::string_view text, int64_t base,
                                        const cel::Env& env, Rule* rule,
                                        const cel::Type* want = nullptr);

// The end of the message for a condition or value that YAML read as a
// tagged node: it starts with '!'.
inline constexpr char kTagHint[] =
    "starts with '!', which YAML reads as a tag: quote the expression, e.g. "
    "\"!session.chat_offered\"";

}  // namespace switchboard::check

#endif  // SWITCHBOARD_ENGINE_CHECK_CEL_EXPRESSIONS_H_
