// The `event` section, the attributes that events carry besides the
// built-in ones; then, from them and the session fields, the `event` and
// `session` object types and the CEL environment that conditions are
// checked against (rule_env.h).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/cel/types.h"
#include "engine/check/rule_env.h"
#include "engine/check/sections.h"
#include "engine/check/yaml_values.h"

namespace switchboard::check {
namespace {

// The part of `type` that JSON events cannot carry (a map whose keys are
// not strings: JSON object keys are strings), or null when they can carry
// all of it.
const cel::Type* NotCarried(const cel::Type& type) {
  switch (type.kind()) {
    case cel::TypeKind::kList:
      return NotCarried(type.elem());
    case cel::TypeKind::kMap:
      if (type.key().kind() != cel::TypeKind::kString && !type.key().is_dyn()) {
        return &type;
      }
      return NotCarried(type.value());
    default:
      return nullptr;
  }
}

}  // namespace

using ::switchboard::load::RuleFile;
using ::switchboard::load::YamlNode;

void CheckEventSchema(CheckContext& ctx, const std::vector<Section>& sections) {
  const std::vector<std::string> builtins =
      BuiltinEventAttributes(ctx.ruleset().session.key);
  // Declared attribute -> where.
  absl::flat_hash_map<std::string, std::pair<const RuleFile*, int>>
      attribute_lines;
  for (const Section& section : sections) {
    ctx.set_file(section.file);
    const YamlNode& body = *section.value;
    if (body.is_null() || !ExpectMap(ctx, body, "event")) continue;
    for (const YamlNode::Entry& e : body.entries) {
      const YamlNode& key = *e.key;
      const YamlNode& value = *e.value;
      std::optional<std::string> name = ReadName(ctx, key, "attribute name");
      if (!name) continue;
      if (!value.is_scalar() || value.value.empty()) {
        ctx.Error(value.is_null() ? key : value, "attribute '" + *name +
                                                     "' needs a type, e.g. '" +
                                                     *name + ": string'");
        continue;
      }
      std::optional<cel::Type> type = cel::ParseTypeName(Trim(value.value));
      if (!type) {
        ctx.Error(value, "unknown type '" + Trim(value.value) +
                             "' for attribute '" + *name + "'" +
                             TypeHint(Trim(value.value)));
        type = cel::Type::Dyn();  // declared all the same: no cascade
      } else if (const cel::Type* bad = NotCarried(*type)) {
        // docs/events-and-decisions.md: a load error, never a rejected line at
        // run time.
        ctx.Error(value, "events cannot carry attribute '" + *name +
                             "' of type " + type->DebugString() + ": " +
                             bad->DebugString() +
                             " has non-string keys, and JSON object keys are "
                             "strings; use map(string, " +
                             bad->value().DebugString() + ")");
      }
      const auto builtin = std::find(builtins.begin(), builtins.end(), *name);
      if (builtin != builtins.end()) {
        const int index = static_cast<int>(builtin - builtins.begin());
        if (index == kEventKeyField) {
          if (*type != cel::Type::String()) {
            ctx.Error(value, "'" + *name +
                                 "' is the session key attribute, which is "
                                 "always a string");
          }
        } else {
          ctx.Error(key,
                    "'" + *name +
                        "' is a built-in attribute of event; do not declare "
                        "it");
        }
        continue;
      }
      auto [it, inserted] =
          attribute_lines.emplace(*name, std::make_pair(ctx.file(), key.line));
      if (!inserted) {
        ctx.Error(key, "attribute '" + *name + "' is already declared at " +
                           ctx.Where(it->second.first, it->second.second));
        continue;
      }
      EventAttribute attribute;
      attribute.name = *name;
      attribute.type = *type;
      attribute.pos = ctx.Pos(key);
      ctx.ruleset().event_attributes.push_back(std::move(attribute));
    }
  }
}

void BuildEnvironment(CheckContext& ctx) {
  std::vector<std::pair<std::string, cel::Type>> attributes, fields;
  for (const EventAttribute& a : ctx.ruleset().event_attributes) {
    attributes.emplace_back(a.name, a.type);
  }
  for (const SessionField& f : ctx.ruleset().session.fields) {
    fields.emplace_back(f.name, f.type);
  }
  RuleEnv env = BuildRuleEnv(ctx.ruleset().session.key, attributes, fields);
  std::vector<EventAttribute> declared =
      std::move(ctx.ruleset().event_attributes);
  ctx.ruleset().event_attributes.clear();
  const auto& event_fields = env.event_type->fields();
  for (size_t i = 0; i < event_fields.size(); ++i) {
    EventAttribute a;
    a.name = event_fields[i].name;
    a.type = event_fields[i].type;
    a.index = static_cast<int>(i);
    a.builtin = static_cast<int>(i) < kFirstDeclaredEventField;
    if (!a.builtin) a.pos = declared[i - kFirstDeclaredEventField].pos;
    ctx.ruleset().event_attributes.push_back(std::move(a));
  }
  for (size_t i = 0; i < ctx.ruleset().session.fields.size(); ++i) {
    ctx.ruleset().session.fields[i].index =
        kFirstDeclaredSessionField + static_cast<int>(i);
  }
  const size_t n = env.session_type->fields().size();
  ctx.field_usage().reads.assign(n, 0);
  ctx.field_usage().writes.assign(n, 0);
  ctx.ruleset().event_type = env.event_type;
  ctx.ruleset().session_type = env.session_type;
  ctx.ruleset().queue_stats_type = env.queue_stats_type;
  ctx.ruleset().env = env.env;
}

}  // namespace switchboard::check
