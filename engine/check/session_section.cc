// The `session` section: the session key (an event attribute), the expiry,
// and the declared fields with their types; and, once the CEL environment
// exists, the fields' defaults.
#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/cel/types.h"
#include "engine/cel/value.h"
#include "engine/check/cel_expressions.h"
#include "engine/check/rule_env.h"
#include "engine/check/sections.h"
#include "engine/check/yaml_values.h"
#include "engine/common/time_util.h"

namespace switchboard::check {
namespace {

using ::switchboard::load::YamlNode;

// A copy of `v` that owns all its strings: a program's result may view the
// program's constants, and the program is gone once a default is computed.
cel::Value OwnedCopy(const cel::Value& v) {
  switch (v.kind()) {
    case cel::ValueKind::kString:
      return cel::Value::String(std::string(v.string_value()));
    case cel::ValueKind::kList: {
      std::vector<cel::Value> items;
      for (const cel::Value& item : v.list_value().elements()) {
        items.push_back(OwnedCopy(item));
      }
      return cel::Value::List(std::move(items));
    }
    case cel::ValueKind::kMap: {
      std::vector<std::pair<cel::Value, cel::Value>> entries;
      for (const auto& [key, value] : v.map_value().entries()) {
        entries.emplace_back(OwnedCopy(key), OwnedCopy(value));
      }
      return cel::Value::Map(std::move(entries));
    }
    default:
      return v;
  }
}

void CheckSessionFields(CheckContext& ctx, const YamlNode& fields,
                        std::vector<PendingDefault>* pending) {
  const std::vector<std::string> builtins = BuiltinSessionMembers();
  for (const YamlNode::Entry& e : fields.entries) {
    const YamlNode& key = *e.key;
    const YamlNode& value = *e.value;
    std::optional<std::string> name = ReadName(ctx, key, "field name");
    if (!name) continue;
    if (std::find(builtins.begin(), builtins.end(), *name) != builtins.end()) {
      ctx.Error(key, "'" + *name +
                         "' is a built-in member of session; choose another "
                         "field name");
      continue;
    }
    if (!value.is_scalar() || value.value.empty()) {
      ctx.Error(value.is_null() ? key : value,
                "field '" + *name +
                    "' needs a type: write 'TYPE' or 'TYPE = DEFAULT', e.g. "
                    "'int = 0'");
      continue;
    }
    const std::string& text = value.value;
    const size_t eq = text.find('=');
    const std::string type_text = Trim(std::string_view(text).substr(0, eq));
    size_t type_offset = 0;
    while (type_offset < text.size() &&
           std::isspace(static_cast<unsigned char>(text[type_offset]))) {
      ++type_offset;
    }
    std::optional<cel::Type> type = cel::ParseTypeName(type_text);
    if (!type) {
      ctx.ErrorAt(value, type_offset,
                  "unknown type '" + type_text + "' for field '" + *name + "'" +
                      TypeHint(type_text));
      // Declared as dyn all the same, so that its uses are not reported as
      // unknown fields too.
    }
    SessionField field;
    field.name = *name;
    field.type = type ? *type : cel::Type::Dyn();
    field.pos = ctx.Pos(key);
    ctx.ruleset().session.fields.push_back(std::move(field));
    ctx.field_usage().files.push_back(ctx.file());
    ctx.field_usage().nodes.push_back(&key);
    if (eq != std::string::npos && type) {
      size_t offset = eq + 1;
      while (offset < text.size() &&
             std::isspace(static_cast<unsigned char>(text[offset]))) {
        ++offset;
      }
      pending->push_back(
          {ctx.file(), &value, static_cast<int64_t>(offset),
           static_cast<int>(ctx.ruleset().session.fields.size()) - 1});
    }
  }
}

}  // namespace

std::vector<PendingDefault> CheckSession(CheckContext& ctx,
                                         const Section* session) {
  std::vector<PendingDefault> pending;
  if (session == nullptr) return pending;
  ctx.set_file(session->file);
  const YamlNode& body = *session->value;
  if (body.is_null()) return pending;
  if (!ExpectMap(ctx, body, "session")) return pending;
  CheckKeys(ctx, body, {"key", "expire", "fields"}, "in session");
  if (const YamlNode* key = body.Find("key")) {
    if (auto name = ReadName(ctx, *key, "session key")) {
      const std::vector<std::string> builtins = BuiltinEventAttributes("");
      if (std::find(builtins.begin(), builtins.end(), *name) !=
          builtins.end()) {
        ctx.Error(*key, "the session key cannot be '" + *name +
                            "', a built-in attribute of event");
      } else {
        ctx.ruleset().session.key = *name;
      }
    }
  }
  if (const YamlNode* expire = body.Find("expire")) {
    if (auto d = ReadDuration(ctx, *expire, "expire"))
      ctx.ruleset().session.expire = *d;
  }
  if (const YamlNode* fields = body.Find("fields")) {
    if (!fields->is_null() && ExpectMap(ctx, *fields, "session fields")) {
      CheckSessionFields(ctx, *fields, &pending);
    }
  }
  return pending;
}

void CheckFieldDefaults(CheckContext& ctx,
                        const std::vector<PendingDefault>& pending) {
  const cel::Env constants;  // defaults are constant expressions
  for (const PendingDefault& p : pending) {
    ctx.set_file(p.file);
    SessionField& field = ctx.ruleset().session.fields[p.field];
    const std::string text =
        Trim(std::string_view(p.node->value)
                 .substr(std::min<size_t>(p.offset, p.node->value.size())));
    const std::string what = "the default of field '" + field.name + "'";
    if (text.empty()) {
      ctx.ErrorAt(*p.node, p.offset, what + " is missing after '='");
      continue;
    }
    // Durations and timestamps may also be written as bare literals:
    // `wait: duration = 90s`, `since: timestamp = 2026-01-01T00:00:00Z`.
    std::string_view bare = text;
    if (bare.size() >= 2 && (bare.front() == '"' || bare.front() == '\'') &&
        bare.back() == bare.front()) {
      bare = bare.substr(1, bare.size() - 2);
    }
    if (field.type.kind() == cel::TypeKind::kDuration) {
      if (auto d = ParseDuration(bare); d.ok()) {
        field.default_value = cel::Value::Duration(*d);
        continue;
      }
    }
    if (field.type.kind() == cel::TypeKind::kTimestamp) {
      if (auto t = ParseTimestamp(bare); t.ok()) {
        field.default_value = cel::Value::Timestamp(*t);
        continue;
      }
    }
    std::optional<CompiledExpr> compiled = CompileExpr(
        ctx, *p.node, std::string_view(p.node->value).substr(p.offset),
        p.offset, constants, nullptr, &field.type);
    if (!compiled) continue;
    bool assignable = compiled->type == field.type || field.type.is_dyn() ||
                      compiled->type.is_dyn();
    const bool widen = compiled->type.kind() == cel::TypeKind::kInt &&
                       field.type.kind() == cel::TypeKind::kDouble;
    if (!assignable && !widen && compiled->type.kind() == field.type.kind() &&
        (field.type.kind() == cel::TypeKind::kList ||
         field.type.kind() == cel::TypeKind::kMap)) {
      assignable = true;  // [] and {} fit any list and map type
    }
    if (!assignable && !widen) {
      ctx.ErrorAt(*p.node, p.offset,
                  what + " must be " + field.type.DebugString() + ", got " +
                      compiled->type.DebugString());
      continue;
    }
    struct NoVariables : cel::Activation {
      cel::Value GetVariable(int) const override {
        return cel::Value::Error(cel::ErrorCode::kUnknownVariable);
      }
    } activation;
    cel::Value value = compiled->program.Evaluate(activation);
    if (value.is_error()) {
      ctx.ErrorAt(*p.node, p.offset,
                  what + " cannot be computed: " + value.ErrorMessage());
      continue;
    }
    if (widen && value.kind() == cel::ValueKind::kInt) {
      value = cel::Value::Double(static_cast<double>(value.int_value()));
    }
    field.default_value = OwnedCopy(value);
  }
}

}  // namespace switchboard::check
