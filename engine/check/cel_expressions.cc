// The CEL expressions of rule files (cel_expressions.h): parse, check,
// compile, with every issue mapped to its position in the YAML file.
#include "engine/check/cel_expressions.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/cel/checker.h"
#include "engine/cel/parser.h"
#include "engine/check/rule_env.h"
#include "engine/common/suggest.h"
#include "engine/common/time_util.h"

namespace switchboard::check {
namespace {

using ::switchboard::common::DidYouMean;
using ::switchboard::load::YamlNode;

int64_t MaxId(const cel::Expr& e) {
  int64_t id = e.id;
  auto visit = [&](const std::unique_ptr<cel::Expr>& child) {
    if (child) id = std::max(id, MaxId(*child));
  };
  visit(e.target);
  for (const auto& a : e.args) visit(a);
  visit(e.iter_range);
  visit(e.accu_init);
  visit(e.loop_condition);
  visit(e.loop_step);
  visit(e.result);
  return id;
}

// The CEL time functions whose optional argument is a time zone
// (`now.getHours('Europe/Berlin')`).
bool TakesTimeZone(std::string_view function) {
  static constexpr std::string_view kNames[] = {
      "getFullYear", "getMonth",       "getDayOfYear", "getDayOfMonth",
      "getDate",     "getDayOfWeek",   "getHours",     "getMinutes",
      "getSeconds",  "getMilliseconds"};
  for (std::string_view n : kNames) {
    if (n == function) return true;
  }
  return false;
}

// Checks names in open('c'), channel_up('c'), queue('q') and constant time
// zones of the time functions (docs/cel.md), and records the session
// fields `expr` reads.
void CheckNames(CheckContext& ctx, const YamlNode& scalar, int64_t base,
                const cel::Expr& expr, const cel::CheckResult& checked,
                Rule* rule) {
  if (expr.kind == cel::ExprKind::kCall && expr.target != nullptr &&
      expr.args.size() == 1 && expr.args[0]->kind == cel::ExprKind::kConstant &&
      expr.args[0]->constant.kind == cel::Constant::Kind::kString &&
      TakesTimeZone(expr.name)) {
    const std::string& zone = expr.args[0]->constant.string_value;
    if (!common::LoadTimeZone(zone).ok()) {
      ctx.ErrorAt(scalar, base + expr.args[0]->offset,
                  common::UnknownTimeZoneMessage(zone));
    }
  }
  if (expr.kind == cel::ExprKind::kCall) {
    auto ext = checked.extensions.find(expr.id);
    if (ext != checked.extensions.end() && !expr.args.empty() &&
        expr.args[0]->kind == cel::ExprKind::kConstant &&
        expr.args[0]->constant.kind == cel::Constant::Kind::kString) {
      const std::string& name = expr.args[0]->constant.string_value;
      const int64_t at = base + expr.args[0]->offset;
      std::vector<std::string> names;
      switch (ext->second) {
        case kOpenExtension:
        case kOpenAtExtension:
          if (ctx.ruleset().FindCalendar(name) < 0) {
            for (const Calendar& c : ctx.ruleset().calendars)
              names.push_back(c.name);
            ctx.ErrorAt(
                scalar, at,
                "unknown calendar '" + name + "'" + DidYouMean(name, names));
          }
          break;
        case kChannelUpExtension:
          if (ctx.ruleset().FindChannel(name) < 0) {
            for (const Channel& c : ctx.ruleset().channels)
              names.push_back(c.name);
            ctx.ErrorAt(
                scalar, at,
                "unknown channel '" + name + "'" + DidYouMean(name, names));
          }
          break;
        case kQueueExtension:
          if (ctx.ruleset().FindQueue(name) < 0) {
            for (const Queue& q : ctx.ruleset().queues) names.push_back(q.name);
            ctx.ErrorAt(
                scalar, at,
                "unknown queue '" + name + "'" + DidYouMean(name, names));
          }
          break;
        default:
          break;
      }
    }
  }
  if (expr.kind == cel::ExprKind::kSelect && expr.target &&
      expr.target->kind == cel::ExprKind::kIdent) {
    auto var = checked.variables.find(expr.target->id);
    if (var != checked.variables.end() && var->second == kSessionVariable) {
      const int field = ctx.ruleset().session_type->FindField(expr.name);
      if (field >= kFirstDeclaredSessionField) {
        rule->reads.push_back(field);
        ++ctx.field_usage().reads[field];
      }
    }
  }
  auto visit = [&](const std::unique_ptr<cel::Expr>& child) {
    if (child) CheckNames(ctx, scalar, base, *child, checked, rule);
  };
  visit(expr.target);
  for (const auto& a : expr.args) visit(a);
  visit(expr.iter_range);
  visit(expr.accu_init);
  visit(expr.loop_condition);
  visit(expr.loop_step);
  visit(expr.result);
}

}  // namespace

std::optional<CompiledExpr> CompileExpr(CheckContext& ctx,
                                        const YamlNode& scalar,
                                        std::string_view text, int64_t base,
                                        const cel::Env& env, Rule* rule,
                                        const cel::Type* want) {
  cel::ParseOptions parse_options;
  parse_options.max_depth = ctx.options().cel_max_depth;
  parse_options.max_length = ctx.options().cel_max_length;
  cel::ParseResult parsed = cel::Parse(text, parse_options);
  if (!parsed.issues.empty() || parsed.expr == nullptr) {
    for (const cel::Issue& issue : parsed.issues) {
      ctx.ErrorAt(scalar, base + issue.offset, issue.message);
    }
    if (parsed.issues.empty()) ctx.ErrorAt(scalar, base, "syntax error");
    return std::nullopt;
  }
  cel::CheckResult checked = cel::Check(*parsed.expr, env);
  if (!checked.ok()) {
    for (const cel::Issue& issue : checked.issues) {
      ctx.ErrorAt(scalar, base + issue.offset, issue.message);
    }
    // The names that did resolve are still worth checking.
    if (rule != nullptr)
      CheckNames(ctx, scalar, base, *parsed.expr, checked, rule);
    return std::nullopt;
  }
  const int errors_before = ctx.errors();
  if (rule != nullptr)
    CheckNames(ctx, scalar, base, *parsed.expr, checked, rule);
  if (ctx.errors() != errors_before) return std::nullopt;
  if (want != nullptr && want->kind() == cel::TypeKind::kDouble &&
      checked.type.kind() == cel::TypeKind::kInt) {
    // An int stored into a double: compile double(expr).
    auto wrapper = std::make_unique<cel::Expr>();
    wrapper->id = MaxId(*parsed.expr) + 1;
    wrapper->offset = parsed.expr->offset;
    wrapper->kind = cel::ExprKind::kCall;
    wrapper->name = "double";
    wrapper->args.push_back(std::move(parsed.expr));
    parsed.expr = std::move(wrapper);
    checked = cel::Check(*parsed.expr, env);
    if (!checked.ok()) {
      ctx.ErrorAt(scalar, base, "cannot convert the int value to double");
      return std::nullopt;
    }
  }
  absl::StatusOr<cel::Program> program =
      cel::Compile(*parsed.expr, env, &checked);
  if (!program.ok()) {
    ctx.ErrorAt(scalar, base, std::string(program.status().message()));
    return std::nullopt;
  }
  CompiledExpr out;
  out.type = checked.type;
  out.expr = std::shared_ptr<const cel::Expr>(std::move(parsed.expr));
  out.program = std::move(*program);
  return out;
}

}  // namespace switchboard::check
