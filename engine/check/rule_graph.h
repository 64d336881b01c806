// The rule graph of a ruleset (Boost.Graph): what triggers each rule, what it
// emits, and which session fields it reads and writes. Vertices are event
// types, event prefixes (cart.*), timers (idle / after triggers), rules and
// session fields; edges are
//   trigger  event type, prefix or timer -> rule
//   emit     rule -> event type it emits (and route.timeout for a route with
//            a timeout, drawn apart: it comes later, not at once)
//   matches  event type -> prefix it falls under
//   since    event type or prefix -> the `after` timer it starts
//   unless   event type or prefix -> the `after` timer it cancels
//   reads    session field -> rule
//   writes   rule -> session field
// Emit cycles are the strongly connected components (of the trigger, emit and
// matches edges between enabled rules) that contain a rule: derived events are
// processed at once, so such a cycle would never end.
#ifndef SWITCHBOARD_ENGINE_CHECK_RULE_GRAPH_H_
#define SWITCHBOARD_ENGINE_CHECK_RULE_GRAPH_H_

#include <string>
#include <vector>

#include "engine/check/checked_ruleset.h"
#include "switchboard/rule_graph.h"

namespace switchboard::check {

// One emit cycle: rules[i] emits types[i], which triggers rules[i + 1]
// (and the last rule's type triggers rules[0]).
struct EmitCycle {
  std::vector<int> rules;          // indexes in CheckedRuleset::rules
  std::vector<std::string> types;  // the event types between them
  SourcePos first_emit;            // rules[0]'s emit of types[0]
};

// Every emit cycle, one per strongly connected component, each starting at
// its rule that comes first in file order; sorted by that rule. Works on a
// partly checked ruleset too (rules with errors contribute what they have).
std::vector<EmitCycle> FindEmitCycles(const CheckedRuleset& ruleset);

// The rule graph as Graphviz DOT ("digraph rules { ... }"), deterministic:
// vertices in the order rules, event types, prefixes, timers, fields are
// first met in file order.
std::string RuleGraphDot(const CheckedRuleset& ruleset);

// The same graph as data (the public RuleGraph), vertices and edges in the
// order of RuleGraphDot.
RuleGraph BuildRuleGraph(const CheckedRuleset& ruleset);

}  // namespace switchboard::check

#endif  // SWITCHBOARD_ENGINE_CHECK_RULE_GRAPH_H_
