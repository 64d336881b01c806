// Internal to engine/check: the `rules` section. Every rule's keys, its
// trigger (event types and prefixes, idle and after timers), its conditions
// (CEL, cel_expressions.h) and its actions (action_checks.h), into
// ctx.ruleset().rules, with where each came from in ctx.rule_sources().
#ifndef SWITCHBOARD_ENGINE_CHECK_RULE_CHECKS_H_
#define SWITCHBOARD_ENGINE_CHECK_RULE_CHECKS_H_

#include <vector>

#include "engine/check/check_context.h"

namespace switchboard::check {

// Checks the rules of `sections` (the `rules` sections, in load order); at
// most options().max_rules. Needs the environment and the calendars,
// channels and queues checked before.
void CheckRules(CheckContext& ctx, const std::vector<Section>& sections);

}  // namespace switchboard::check

#endif  // SWITCHBOARD_ENGINE_CHECK_RULE_CHECKS_H_
