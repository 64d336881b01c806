// The analyses of the whole ruleset (ruleset_analyses.h).
#include "engine/check/ruleset_analyses.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/check/rule_graph.h"

namespace switchboard::check {
namespace {

using ::switchboard::load::YamlNode;

void CheckReachability(CheckContext& ctx) {
  // Rules in the order a trigger runs them: priority (higher first), then
  // file order. A rule is never reached when, for every pattern of its
  // trigger, a rule that runs before it on a covering trigger is enabled,
  // final and unconditional (a "blocker").
  std::vector<int> order(ctx.ruleset().rules.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return ctx.ruleset().rules[a].priority > ctx.ruleset().rules[b].priority;
  });
  absl::flat_hash_map<std::string, int> exact, prefixes, timers;
  // The blocker covering `pattern`, or -1.
  auto blocker_of = [&](const EventPattern& pattern) -> int {
    if (!pattern.prefix) {
      if (auto it = exact.find(pattern.text); it != exact.end()) {
        return it->second;
      }
    }
    // Any blocking prefix that is a dotted prefix of the pattern.
    const std::string& t = pattern.text;
    for (size_t dot = t.find('.'); dot != std::string::npos;
         dot = t.find('.', dot + 1)) {
      if (auto it = prefixes.find(t.substr(0, dot + 1)); it != prefixes.end()) {
        return it->second;
      }
    }
    return -1;
  };
  for (int index : order) {
    const Rule& rule = ctx.ruleset().rules[index];
    const RuleSource& source = ctx.rule_sources()[index];
    if (source.has_errors) continue;
    int blocker = -1;
    std::string on;
    if (rule.trigger.kind == TriggerKind::kEvent) {
      for (const EventPattern& p : rule.trigger.events) {
        const int b = blocker_of(p);
        if (b < 0) {
          blocker = -1;
          break;
        }
        if (blocker < 0) {
          blocker = b;
          on = p.Written();
        }
      }
    } else if (auto it = timers.find(rule.trigger.key); it != timers.end()) {
      blocker = it->second;
      on = rule.trigger.key;
    }
    if (blocker >= 0 && rule.enabled) {
      ctx.set_file(source.file);
      const Rule& b = ctx.ruleset().rules[blocker];
      ctx.Error(*source.name,
                "rule '" + rule.name + "' is never reached: rule '" + b.name +
                    "' (" +
                    ctx.Where(ctx.rule_sources()[blocker].file, b.pos.line) +
                    ") runs before it on '" + on +
                    "', is final and has no condition");
      continue;
    }
    if (!rule.enabled || !rule.final || source.has_if) continue;
    if (rule.trigger.kind == TriggerKind::kEvent) {
      for (const EventPattern& p : rule.trigger.events) {
        (p.prefix ? prefixes : exact).emplace(p.text, index);
      }
    } else {
      timers.emplace(rule.trigger.key, index);
    }
  }
}

void CheckEmitCycles(CheckContext& ctx) {
  for (const EmitCycle& cycle : FindEmitCycles(ctx.ruleset())) {
    const int first = cycle.rules.front();
    ctx.set_file(ctx.rule_sources()[first].file);
    std::string path;
    for (size_t i = 0; i < cycle.rules.size(); ++i) {
      path += (i == 0 ? "rule '" : ", which triggers rule '") +
              ctx.ruleset().rules[cycle.rules[i]].name +
              (i == 0 ? "' emits '" : "', which emits '") + cycle.types[i] +
              "'";
    }
    path += ", which triggers '" + ctx.ruleset().rules[first].name + "' again";
    const SourcePos& pos = cycle.first_emit;
    ctx.ErrorAtPosition(pos.line, pos.column, "emit cycle: " + path);
  }
}

void CheckFieldUsage(CheckContext& ctx) {
  for (size_t i = 0; i < ctx.ruleset().session.fields.size(); ++i) {
    const SessionField& field = ctx.ruleset().session.fields[i];
    const int reads = ctx.field_usage().reads[field.index];
    const int writes = ctx.field_usage().writes[field.index];
    ctx.set_file(ctx.field_usage().files[i]);
    const YamlNode& node = *ctx.field_usage().nodes[i];
    if (reads == 0 && writes == 0) {
      ctx.Warning(
          node, "session field '" + field.name + "' is never read or written");
    } else if (reads == 0) {
      ctx.Warning(
          node, "session field '" + field.name + "' is written but never read");
    } else if (writes == 0 && !field.default_value) {
      ctx.Warning(node, "session field '" + field.name +
                            "' is never written and has no default, so it is "
                            "always absent");
    }
  }
}

}  // namespace

void AnalyzeRuleset(CheckContext& ctx) {
  CheckReachability(ctx);
  CheckEmitCycles(ctx);
  CheckFieldUsage(ctx);
}

}  // namespace switchboard::check
