// Internal to engine/check: the actions of a rule (`then`): route, handoff,
// deflect, offer, callback, tag, set and emit, each with its parameters
// checked and decoded into an Action (checked_ruleset.h).
#ifndef SWITCHBOARD_ENGINE_CHECK_ACTION_CHECKS_H_
#define SWITCHBOARD_ENGINE_CHECK_ACTION_CHECKS_H_

#include "engine/check/check_context.h"
#include "engine/check/checked_ruleset.h"
#include "engine/load/rule_file.h"

namespace switchboard::check {

// Checks `node`, the `then` of `rule`, and appends the actions without
// mistakes to rule->actions; `set` writes are recorded in rule->writes and
// ctx.field_usage().
void CheckActions(CheckContext& ctx, const load::YamlNode& node, Rule* rule);

}  // namespace switchboard::check

#endif  // SWITCHBOARD_ENGINE_CHECK_ACTION_CHECKS_H_
