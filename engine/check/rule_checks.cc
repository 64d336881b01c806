// The `rules` section (rule_checks.h): each rule's keys, its trigger and
// its conditions; the actions are action_checks.cc's.
#include "engine/check/rule_checks.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "engine/check/action_checks.h"
#include "engine/check/cel_expressions.h"
#include "engine/check/rule_env.h"
#include "engine/check/yaml_values.h"

namespace switchboard::check {
namespace {

using ::switchboard::load::YamlNode;

bool CheckTrigger(CheckContext& ctx, const YamlNode& on, Trigger* trigger) {
  trigger->pos = ctx.Pos(on);
  const int errors_before = ctx.errors();
  auto global_trigger = [&](const YamlNode& node, const EventPattern& p) {
    if (p.prefix ? IsGlobalEventPrefix(p.text) : IsGlobalEventType(p.text)) {
      ctx.Error(node, "a rule cannot be triggered by the global event '" +
                          p.Written() +
                          "': global events belong to no session");
      return true;
    }
    return false;
  };
  if (on.is_scalar() || on.is_sequence()) {
    trigger->kind = TriggerKind::kEvent;
    if (on.is_sequence() && on.items.empty()) {
      ctx.Error(on, "'on' is an empty list: give at least one event type");
    }
    for (const YamlNode* item :
         ReadScalars(ctx, on, "'on'", /*allow_single=*/true)) {
      auto pattern = ReadPattern(ctx, *item, "'on'", /*allow_prefix=*/true);
      if (!pattern || global_trigger(*item, *pattern)) continue;
      trigger->events.push_back(std::move(*pattern));
    }
    std::string key;
    for (const EventPattern& p : trigger->events) {
      if (!key.empty()) key += ", ";
      key += p.Written();
    }
    trigger->key = key;
    return ctx.errors() == errors_before && !trigger->events.empty();
  }
  if (!on.is_map()) {
    ctx.Error(on,
              "'on' must be an event type, a list of them, a prefix such as "
              "'cart.*', {idle: D} or {after: D, since: TYPE}, got " +
                  Describe(on));
    return false;
  }
  CheckKeys(ctx, on, {"idle", "after", "since", "unless"}, "in 'on'");
  const YamlNode* idle = on.Find("idle");
  const YamlNode* after = on.Find("after");
  const YamlNode* since = on.Find("since");
  const YamlNode* unless = on.Find("unless");
  if (idle != nullptr) {
    trigger->kind = TriggerKind::kIdle;
    if (after != nullptr || since != nullptr || unless != nullptr) {
      ctx.Error(on,
                "a trigger is either {idle: D} or {after: D, since: TYPE, "
                "unless: [TYPE, ...]}, not both");
    }
    if (auto d = ReadDuration(ctx, *idle, "idle")) {
      trigger->delay = *d;
      trigger->key = "idle " + absl::FormatDuration(*d);
    }
    return ctx.errors() == errors_before;
  }
  if (after == nullptr) {
    if (on.entries.empty() || since != nullptr || unless != nullptr) {
      ctx.Error(since != nullptr ? *since : on,
                "'on' needs 'after' (the delay) with 'since', or 'idle'");
    }
    return false;
  }
  trigger->kind = TriggerKind::kAfter;
  std::optional<absl::Duration> delay = ReadDuration(ctx, *after, "after");
  if (delay) trigger->delay = *delay;
  auto wait_event = [&](const YamlNode& node,
                        const char* role) -> std::optional<EventPattern> {
    auto p = ReadPattern(ctx, node, role, /*allow_prefix=*/true);
    if (!p) return std::nullopt;
    if (p->prefix ? IsGlobalEventPrefix(p->text) : IsGlobalEventType(p->text)) {
      ctx.Error(node, "'" + p->Written() +
                          "' is a global event and belongs to no session; it "
                          "cannot be '" +
                          role + "'");
      return std::nullopt;
    }
    return p;
  };
  if (since == nullptr) {
    ctx.Error(*after,
              "'after' needs 'since': the event that starts the wait, "
              "e.g. {after: 3m, since: call.queued}");
  } else if (auto p = wait_event(*since, "since")) {
    trigger->since = *p;
  }
  if (unless != nullptr && !unless->is_null()) {
    for (const YamlNode* item :
         ReadScalars(ctx, *unless, "unless", /*allow_single=*/true)) {
      if (auto p = wait_event(*item, "unless")) {
        trigger->unless.push_back(*p);
      }
    }
  }
  if (ctx.errors() != errors_before) return false;
  std::vector<std::string> unless_names;
  for (const EventPattern& u : trigger->unless) {
    unless_names.push_back(u.Written());
  }
  std::sort(unless_names.begin(), unless_names.end());
  trigger->key = "after " + absl::FormatDuration(trigger->delay) + " since " +
                 trigger->since.Written();
  for (size_t i = 0; i < unless_names.size(); ++i) {
    trigger->key += (i == 0 ? " unless " : ", ") + unless_names[i];
  }
  return true;
}

void CheckConditions(CheckContext& ctx, const YamlNode& node, Rule* rule) {
  std::vector<const YamlNode*> items;
  if (node.is_null()) {
    ctx.Error(node, "'if' is empty: write a condition, or remove 'if'");
    return;
  }
  if (node.is_scalar()) {
    items.push_back(&node);
  } else if (node.is_sequence()) {
    if (node.items.empty()) {
      ctx.Error(node,
                "'if' is an empty list: write a condition, or remove 'if'");
    }
    for (const YamlNode* item : node.items) {
      if (item->is_scalar()) {
        items.push_back(item);
      } else {
        ctx.Error(*item,
                  "a condition must be a CEL expression (a string), got " +
                      Describe(*item));
      }
    }
  } else {
    ctx.Error(node, "'if' must be a CEL expression or a list of them, got " +
                        Describe(node));
    return;
  }
  for (const YamlNode* item : items) {
    if (item->tagged) {
      ctx.Error(*item, std::string("this condition ") + kTagHint);
      continue;
    }
    if (Trim(item->value).empty()) {
      ctx.Error(*item, "empty condition");
      continue;
    }
    std::optional<CompiledExpr> compiled =
        CompileExpr(ctx, *item, item->value, 0, *ctx.ruleset().env, rule);
    if (!compiled) continue;
    if (compiled->type.kind() != cel::TypeKind::kBool &&
        !compiled->type.is_dyn()) {
      ctx.ErrorAt(
          *item, 0,
          "condition must be bool, got " + compiled->type.DebugString());
      continue;
    }
    Condition c;
    c.text = item->value;
    const auto [line, column] = ctx.file()->Locate(*item, 0);
    c.pos = SourcePos{ctx.file()->name(), line, column};
    c.expr = std::move(compiled->expr);
    c.program = std::move(compiled->program);
    rule->conditions.push_back(std::move(c));
  }
}

void CheckRule(CheckContext& ctx, const YamlNode& node, int index) {
  if (!ExpectMap(ctx, node, "a rule")) return;
  Rule rule;
  rule.index = index;
  rule.pos = ctx.Pos(node);
  RuleSource source;
  source.file = ctx.file();
  source.map = &node;
  source.name = &node;

  const YamlNode* name = node.Find("name");
  if (name == nullptr) {
    ctx.Error(node, "a rule needs a 'name'");
  } else if (auto n = ReadString(ctx, *name, "a rule name")) {
    rule.name = *n;
    source.name = name;
    auto [it, inserted] = ctx.ruleset().rule_index.emplace(rule.name, index);
    if (!inserted) {
      const int first = it->second;
      ctx.Error(*name, "duplicate rule name '" + rule.name + "' (first at " +
                           ctx.Where(ctx.rule_sources()[first].file,
                                     ctx.ruleset().rules[first].pos.line) +
                           ")");
    }
  }
  const std::string label =
      rule.name.empty() ? std::string("rule") : "rule '" + rule.name + "'";
  CheckKeys(ctx, node,
            {"name", "description", "priority", "on", "if", "then", "final",
             "enabled"},
            "in " + label);
  if (const YamlNode* d = node.Find("description")) {
    if (auto text = ReadString(ctx, *d, "description", /*allow_empty=*/true)) {
      rule.description = *text;
    }
  }
  if (const YamlNode* p = node.Find("priority")) {
    if (auto v = ReadInt(ctx, *p, "priority")) rule.priority = *v;
  }
  if (const YamlNode* f = node.Find("final")) {
    if (auto v = ReadBool(ctx, *f, "final")) rule.final = *v;
  }
  if (const YamlNode* e = node.Find("enabled")) {
    if (auto v = ReadBool(ctx, *e, "enabled")) rule.enabled = *v;
  }
  const YamlNode* on = node.Find("on");
  if (on == nullptr) {
    ctx.Error(*source.name, label + " has no 'on' (its trigger)");
    source.has_errors = true;
  } else if (!CheckTrigger(ctx, *on, &rule.trigger)) {
    source.has_errors = true;
  }
  if (const YamlNode* cond = node.Find("if")) {
    source.has_if = true;
    CheckConditions(ctx, *cond, &rule);
  }
  const YamlNode* then = node.Find("then");
  if (then == nullptr) {
    ctx.Error(*source.name, label + " has no 'then' (its actions)");
  } else {
    CheckActions(ctx, *then, &rule);
  }
  for (auto* list : {&rule.reads, &rule.writes}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
  ctx.ruleset().rules.push_back(std::move(rule));
  ctx.rule_sources().push_back(source);
}

}  // namespace

void CheckRules(CheckContext& ctx, const std::vector<Section>& sections) {
  bool any_section = false;
  // Size the rule tables once: a Rule is large, and growing the vector moves
  // every rule checked so far (and frees big blocks, which makes malloc
  // consolidate its free lists).
  size_t expected = 0;
  for (const Section& section : sections) {
    if (section.value->is_sequence()) expected += section.value->items.size();
  }
  expected = std::min(expected, static_cast<size_t>(ctx.options().max_rules));
  ctx.ruleset().rules.reserve(expected);
  ctx.rule_sources().reserve(expected);
  ctx.ruleset().rule_index.reserve(expected);
  for (const Section& section : sections) {
    ctx.set_file(section.file);
    any_section = true;
    const YamlNode& body = *section.value;
    if (body.is_null()) continue;
    if (!ExpectList(ctx, body, "rules")) continue;
    for (const YamlNode* item : body.items) {
      if (static_cast<int>(ctx.ruleset().rules.size()) >=
          ctx.options().max_rules) {
        ctx.Error(*item, "too many rules: the limit is " +
                             std::to_string(ctx.options().max_rules));
        return;
      }
      CheckRule(ctx, *item, static_cast<int>(ctx.ruleset().rules.size()));
    }
  }
  if (!any_section && !ctx.files().empty()) {
    ctx.ErrorInFile(ctx.files().front()->name(),
                    "missing 'rules': a ruleset needs a list of rules");
  }
  // Distinct triggers.
  absl::flat_hash_map<std::string, int> keys;
  for (const Rule& rule : ctx.ruleset().rules) {
    if (rule.trigger.kind == TriggerKind::kEvent) {
      for (const EventPattern& p : rule.trigger.events) {
        keys.emplace(p.Written(), 0);
      }
    } else if (!rule.trigger.key.empty()) {
      keys.emplace(rule.trigger.key, 0);
    }
  }
  ctx.ruleset().trigger_count = static_cast<int>(keys.size());
}

}  // namespace switchboard::check
