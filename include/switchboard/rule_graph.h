// The rule graph of a ruleset as data: what triggers each rule, what it
// emits, and which session fields it reads and writes. It is the graph that
// `switchboard check --graph` prints as Graphviz DOT (Ruleset::GraphDot),
// for callers that lay it out and draw it themselves (`switchboard studio`
// draws it as SVG).
//
//   switchboard::RuleGraph graph = ruleset->Graph();
//   for (const switchboard::RuleGraph::Edge& e : graph.edges) {
//     ... graph.nodes[e.from].label, e.kind, graph.nodes[e.to].label ...
//   }
#ifndef SWITCHBOARD_RULE_GRAPH_H_
#define SWITCHBOARD_RULE_GRAPH_H_

#include <string>
#include <vector>

namespace switchboard {

struct RuleGraph {
  struct Node {
    enum class Kind {
      kEventType,    // "cart.updated"
      kEventPrefix,  // "cart.*"
      kTimer,        // an idle / after trigger: "idle 1m30s"
      kRule,         // a rule, by name
      kField,        // a session field: "session.cart_items"
    };
    Kind kind = Kind::kEventType;
    std::string label;
    int rule = -1;        // kRule: its index in the ruleset's rule order
    bool enabled = true;  // kRule: false for `enabled: false`
  };
  struct Edge {
    enum class Kind {
      kTrigger,  // event type, prefix or timer -> the rule it triggers
      kEmit,     // rule -> the event type it emits
      kTimeout,  // rule -> route.timeout (a route with a timeout; later)
      kMatches,  // event type -> the prefix it falls under
      kSince,    // event type or prefix -> the `after` timer it starts
      kUnless,   // event type or prefix -> the `after` timer it cancels
      kReads,    // session field -> a rule that reads it
      kWrites,   // rule -> a session field it writes
    };
    int from = 0;  // index in `nodes`
    int to = 0;    // index in `nodes`
    Kind kind = Kind::kTrigger;
  };
  // Deterministic: nodes in the order fields, then rules with their
  // triggers and emitted types as first met in file order.
  std::vector<Node> nodes;
  std::vector<Edge> edges;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_RULE_GRAPH_H_
