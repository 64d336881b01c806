// The rule graph drawn for the studio: a layered layout of the graph's flow
// (event types, prefixes and timers -> rules -> the event types they emit)
// from left to right, written as one inline SVG, without Graphviz.
//
// Layout: the flow edges (trigger, emit, timeout, matches, since, unless)
// with the edges that close a cycle turned around (found by a depth-first
// search in node order), each node in the column of its longest path from
// a source, the nodes of each column ordered by the barycenters of their
// neighbours (a few sweeps each way), edges as curves. Session fields are
// not drawn as nodes: what a rule reads and writes is in its tooltip.
//
// Test hooks: the <svg> has class "rule-graph" and data-rules="N"; each
// rule is a <g data-testid="graph-node" data-rule="NAME"> (one per rule,
// disabled ones included), other nodes have data-testid="graph-trigger" or
// "graph-event".
#ifndef SWITCHBOARD_SERVICE_STUDIO_GRAPH_H_
#define SWITCHBOARD_SERVICE_STUDIO_GRAPH_H_

#include <string>
#include <string_view>

#include "switchboard/rule_graph.h"

namespace switchboard::service {

// The SVG of `graph` (titled `name`), deterministic. Pure; thread-safe.
std::string RuleGraphSvg(const RuleGraph& graph, std::string_view name);

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_STUDIO_GRAPH_H_
