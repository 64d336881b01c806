// Internal to engine/check: the analyses of the whole ruleset, once every
// section is read: rules that are never reached (a final, unconditional
// rule runs before them on the same trigger), emit cycles (with the rule
// graph, rule_graph.h) and session fields never read or written.
#ifndef SWITCHBOARD_ENGINE_CHECK_RULESET_ANALYSES_H_
#define SWITCHBOARD_ENGINE_CHECK_RULESET_ANALYSES_H_

#include "engine/check/check_context.h"

namespace switchboard::check {

// Runs the analyses in that order over ctx.ruleset(), with the rule
// sources and field usage the stages before recorded. Unreachable rules
// and emit cycles are errors; unused fields are warnings.
void AnalyzeRuleset(CheckContext& ctx);

}  // namespace switchboard::check

#endif  // SWITCHBOARD_ENGINE_CHECK_RULESET_ANALYSES_H_
