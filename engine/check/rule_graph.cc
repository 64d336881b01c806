// The rule graph (see rule_graph.h): built with boost::adjacency_list, emit
// cycles by boost::strong_components, DOT by boost::write_graphviz.
#include "engine/check/rule_graph.h"

#include <algorithm>
#include <deque>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "boost/graph/adjacency_list.hpp"
#include "boost/graph/graphviz.hpp"
#include "boost/graph/strong_components.hpp"
#include "engine/cel/types.h"
#include "engine/check/rule_env.h"
#include "engine/common/time_util.h"

namespace switchboard::check {
namespace {

enum class VertexKind { kEventType, kEventPrefix, kTimer, kRule, kField };
enum class EdgeKind {
  kTrigger,
  kEmit,
  kTimeout,  // route with a timeout -> route.timeout (later, not at once)
  kMatches,
  kSince,
  kUnless,
  kReads,
  kWrites,
};

struct VertexProps {
  VertexKind kind = VertexKind::kEventType;
  std::string label;
  int rule = -1;        // kRule
  bool enabled = true;  // kRule
};
struct EdgeProps {
  EdgeKind kind = EdgeKind::kTrigger;
};

using Graph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                          VertexProps, EdgeProps>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;

std::string TimerLabel(const Trigger& t) {
  return t.key;  // "idle 90s", "after 4h since x unless y"
}

// Builds the graph of a ruleset.
class GraphBuilder {
 public:
  explicit GraphBuilder(const CheckedRuleset& ruleset) : ruleset_(ruleset) {}

  Graph Build() {
    for (const SessionField& f : ruleset_.session.fields) {
      field_vertex_[f.index] = Add(VertexKind::kField, "session." + f.name);
    }
    rule_vertex_.resize(ruleset_.rules.size());
    for (size_t i = 0; i < ruleset_.rules.size(); ++i) AddRule(i);
    // Every event type falls under the prefixes that start it.
    for (const auto& [type, v] : type_order_) {
      for (size_t dot = type.find('.'); dot != std::string::npos;
           dot = type.find('.', dot + 1)) {
        auto it = prefix_vertex_.find(type.substr(0, dot + 1));
        if (it != prefix_vertex_.end()) Edge(v, it->second, EdgeKind::kMatches);
      }
    }
    return std::move(graph_);
  }

  const std::vector<Vertex>& rule_vertices() const { return rule_vertex_; }

 private:
  Vertex Add(VertexKind kind, std::string label) {
    const Vertex v = boost::add_vertex(graph_);
    graph_[v].kind = kind;
    graph_[v].label = std::move(label);
    return v;
  }

  void Edge(Vertex from, Vertex to, EdgeKind kind) {
    boost::add_edge(from, to, EdgeProps{kind}, graph_);
  }

  Vertex Type(const std::string& type) {
    auto [it, inserted] = type_vertex_.emplace(type, 0);
    if (inserted) {
      it->second = Add(VertexKind::kEventType, type);
      type_order_.emplace_back(type, it->second);
    }
    return it->second;
  }

  Vertex Pattern(const EventPattern& p) {
    if (!p.prefix) return Type(p.text);
    auto [it, inserted] = prefix_vertex_.emplace(p.text, 0);
    if (inserted) it->second = Add(VertexKind::kEventPrefix, p.Written());
    return it->second;
  }

  void AddRule(size_t index) {
    const Rule& rule = ruleset_.rules[index];
    const Trigger& t = rule.trigger;
    std::vector<Vertex> sources;
    if (t.kind == TriggerKind::kEvent) {
      for (const EventPattern& p : t.events) sources.push_back(Pattern(p));
    } else if (!t.key.empty()) {
      auto [it, inserted] = timer_vertex_.emplace(t.key, 0);
      if (inserted) {
        it->second = Add(VertexKind::kTimer, TimerLabel(t));
        if (t.kind == TriggerKind::kAfter) {
          if (!t.since.text.empty()) {
            Edge(Pattern(t.since), it->second, EdgeKind::kSince);
          }
          for (const EventPattern& u : t.unless) {
            Edge(Pattern(u), it->second, EdgeKind::kUnless);
          }
        }
      }
      sources.push_back(it->second);
    }
    const Vertex v = Add(VertexKind::kRule, rule.name);
    graph_[v].rule = static_cast<int>(index);
    graph_[v].enabled = rule.enabled;
    rule_vertex_[index] = v;
    for (Vertex s : sources) Edge(s, v, EdgeKind::kTrigger);
    for (const Action& action : rule.actions) {
      if (const auto* emit = std::get_if<EmitAction>(&action.detail)) {
        if (!emit->type.empty()) Edge(v, Type(emit->type), EdgeKind::kEmit);
      } else if (const auto* route = std::get_if<RouteAction>(&action.detail)) {
        if (route->timeout) {
          Edge(v, Type(std::string(kRouteTimeoutEvent)), EdgeKind::kTimeout);
        }
      }
    }
    for (int f : rule.reads) {
      if (auto it = field_vertex_.find(f); it != field_vertex_.end()) {
        Edge(it->second, v, EdgeKind::kReads);
      }
    }
    for (int f : rule.writes) {
      if (auto it = field_vertex_.find(f); it != field_vertex_.end()) {
        Edge(v, it->second, EdgeKind::kWrites);
      }
    }
  }

  const CheckedRuleset& ruleset_;
  Graph graph_;
  std::vector<Vertex> rule_vertex_;
  absl::flat_hash_map<int, Vertex> field_vertex_;
  absl::flat_hash_map<std::string, Vertex> type_vertex_;
  std::vector<std::pair<std::string, Vertex>> type_order_;
  absl::flat_hash_map<std::string, Vertex> prefix_vertex_;
  absl::flat_hash_map<std::string, Vertex> timer_vertex_;
};

// Whether an edge counts for emit cycles: the immediate chain of derived
// events between enabled rules.
bool IsChainEdge(const Graph& g,
                 boost::graph_traits<Graph>::edge_descriptor e) {
  const EdgeKind kind = g[e].kind;
  if (kind == EdgeKind::kMatches) return true;
  const VertexProps& from = g[boost::source(e, g)];
  const VertexProps& to = g[boost::target(e, g)];
  if (kind == EdgeKind::kEmit) return from.enabled;
  if (kind == EdgeKind::kTrigger) {
    return to.enabled && from.kind != VertexKind::kTimer;
  }
  return false;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Whether the ruleset can have an emit cycle at all: a cycle through a rule
// needs an event type emitted by an enabled rule that triggers an enabled
// rule (by its type or a prefix of it). Most rulesets have no such type, and
// then the graph need not be built.
bool MayHaveEmitCycle(const CheckedRuleset& ruleset) {
  absl::flat_hash_set<std::string_view> emitted;
  for (const Rule& rule : ruleset.rules) {
    if (!rule.enabled) continue;
    for (const Action& action : rule.actions) {
      const auto* emit = std::get_if<EmitAction>(&action.detail);
      if (emit != nullptr && !emit->type.empty()) emitted.insert(emit->type);
    }
  }
  if (emitted.empty()) return false;
  absl::flat_hash_set<std::string_view> prefixes;
  for (const Rule& rule : ruleset.rules) {
    if (!rule.enabled || rule.trigger.kind != TriggerKind::kEvent) continue;
    for (const EventPattern& p : rule.trigger.events) {
      if (!p.prefix) {
        if (emitted.contains(p.text)) return true;
      } else {
        prefixes.insert(p.text);
      }
    }
  }
  if (prefixes.empty()) return false;
  for (std::string_view type : emitted) {
    for (size_t dot = type.find('.'); dot != std::string_view::npos;
         dot = type.find('.', dot + 1)) {
      if (dot + 1 < type.size() && prefixes.contains(type.substr(0, dot + 1))) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

std::vector<EmitCycle> FindEmitCycles(const CheckedRuleset& ruleset) {
  if (!MayHaveEmitCycle(ruleset)) return {};
  GraphBuilder builder(ruleset);
  const Graph full = builder.Build();
  // The chain graph: same vertices, only the edges of derived-event chains.
  Graph chain(boost::num_vertices(full));
  for (auto [it, end] = boost::edges(full); it != end; ++it) {
    if (IsChainEdge(full, *it)) {
      boost::add_edge(boost::source(*it, full), boost::target(*it, full),
                      full[*it], chain);
    }
  }
  std::vector<int> component(boost::num_vertices(chain));
  boost::strong_components(
      chain, boost::make_iterator_property_map(
                 component.begin(), boost::get(boost::vertex_index, chain)));
  std::vector<int> size(boost::num_vertices(chain), 0);
  for (int c : component) ++size[c];

  std::vector<EmitCycle> cycles;
  std::vector<bool> done(boost::num_vertices(chain), false);
  const std::vector<Vertex>& rule_vertex = builder.rule_vertices();
  for (size_t r = 0; r < rule_vertex.size(); ++r) {
    const Vertex start = rule_vertex[r];
    const int c = component[start];
    if (size[c] < 2 || done[c]) continue;
    done[c] = true;
    // Shortest path from the rule back to itself inside its component.
    std::vector<long> parent(boost::num_vertices(chain), -1);
    std::deque<Vertex> queue = {start};
    long last = -1;
    while (!queue.empty() && last < 0) {
      const Vertex u = queue.front();
      queue.pop_front();
      for (auto [it, end] = boost::out_edges(u, chain); it != end; ++it) {
        const Vertex w = boost::target(*it, chain);
        if (component[w] != c) continue;
        if (w == start) {
          last = static_cast<long>(u);
          break;
        }
        if (parent[w] >= 0) continue;
        parent[w] = static_cast<long>(u);
        queue.push_back(w);
      }
    }
    if (last < 0) continue;
    std::vector<Vertex> path;
    for (long v = last; v >= 0 && static_cast<Vertex>(v) != start;
         v = parent[v]) {
      path.push_back(static_cast<Vertex>(v));
    }
    path.push_back(start);
    std::reverse(path.begin(), path.end());
    EmitCycle cycle;
    for (size_t i = 0; i < path.size(); ++i) {
      const VertexProps& p = full[path[i]];
      if (p.kind == VertexKind::kRule) {
        cycle.rules.push_back(p.rule);
        // The next vertex is the type it emits.
        const Vertex next = path[(i + 1) % path.size()];
        cycle.types.push_back(full[next].label);
      }
    }
    const Rule& first = ruleset.rules[cycle.rules.front()];
    for (const Action& a : first.actions) {
      const auto* emit = std::get_if<EmitAction>(&a.detail);
      if (emit != nullptr && emit->type == cycle.types.front()) {
        cycle.first_emit = a.pos;
        break;
      }
    }
    if (cycle.first_emit.line == 0) cycle.first_emit = first.pos;
    cycles.push_back(std::move(cycle));
  }
  return cycles;
}

std::string RuleGraphDot(const CheckedRuleset& ruleset) {
  GraphBuilder builder(ruleset);
  const Graph g = builder.Build();
  auto vertex_writer = [&](std::ostream& out, Vertex v) {
    const VertexProps& p = g[v];
    out << "[label=\"" << Escape(p.label) << "\"";
    switch (p.kind) {
      case VertexKind::kEventType:
        out << ", shape=ellipse";
        break;
      case VertexKind::kEventPrefix:
        out << ", shape=ellipse, style=dashed";
        break;
      case VertexKind::kTimer:
        out << ", shape=hexagon";
        break;
      case VertexKind::kRule:
        out << ", shape=box, style=\"rounded,"
            << (p.enabled ? "bold" : "dashed") << "\"";
        break;
      case VertexKind::kField:
        out << ", shape=cylinder";
        break;
    }
    out << "]";
  };
  auto edge_writer = [&](std::ostream& out,
                         boost::graph_traits<Graph>::edge_descriptor e) {
    switch (g[e].kind) {
      case EdgeKind::kTrigger:
        out << "[label=\"trigger\"]";
        break;
      case EdgeKind::kEmit:
        out << "[label=\"emit\", color=red, style=bold]";
        break;
      case EdgeKind::kTimeout:
        out << "[label=\"timeout\", color=red, style=dashed]";
        break;
      case EdgeKind::kMatches:
        out << "[label=\"matches\", style=dotted]";
        break;
      case EdgeKind::kSince:
        out << "[label=\"since\", style=dashed]";
        break;
      case EdgeKind::kUnless:
        out << "[label=\"unless\", style=dashed, arrowhead=tee]";
        break;
      case EdgeKind::kReads:
        out << "[label=\"reads\", color=blue, style=dashed]";
        break;
      case EdgeKind::kWrites:
        out << "[label=\"writes\", color=blue]";
        break;
    }
  };
  auto graph_writer = [&](std::ostream& out) {
    out << "label=\"" << Escape(ruleset.name) << "\";\n"
        << "rankdir=LR;\n"
        << "node [fontname=\"Helvetica\"];\n"
        << "edge [fontname=\"Helvetica\", fontsize=10];\n";
  };
  std::ostringstream out;
  boost::write_graphviz(out, g, vertex_writer, edge_writer, graph_writer);
  std::string dot = out.str();
  if (dot.empty() || dot.back() != '\n') dot += '\n';
  return dot;
}

RuleGraph BuildRuleGraph(const CheckedRuleset& ruleset) {
  GraphBuilder builder(ruleset);
  const Graph g = builder.Build();
  RuleGraph out;
  out.nodes.reserve(boost::num_vertices(g));
  for (auto [it, end] = boost::vertices(g); it != end; ++it) {
    const VertexProps& p = g[*it];
    RuleGraph::Node node;
    switch (p.kind) {
      case VertexKind::kEventType:
        node.kind = RuleGraph::Node::Kind::kEventType;
        break;
      case VertexKind::kEventPrefix:
        node.kind = RuleGraph::Node::Kind::kEventPrefix;
        break;
      case VertexKind::kTimer:
        node.kind = RuleGraph::Node::Kind::kTimer;
        break;
      case VertexKind::kRule:
        node.kind = RuleGraph::Node::Kind::kRule;
        break;
      case VertexKind::kField:
        node.kind = RuleGraph::Node::Kind::kField;
        break;
    }
    node.label = p.label;
    node.rule = p.rule;
    node.enabled = p.enabled;
    out.nodes.push_back(std::move(node));
  }
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    RuleGraph::Edge edge;
    edge.from = static_cast<int>(boost::source(*it, g));
    edge.to = static_cast<int>(boost::target(*it, g));
    switch (g[*it].kind) {
      case EdgeKind::kTrigger:
        edge.kind = RuleGraph::Edge::Kind::kTrigger;
        break;
      case EdgeKind::kEmit:
        edge.kind = RuleGraph::Edge::Kind::kEmit;
        break;
      case EdgeKind::kTimeout:
        edge.kind = RuleGraph::Edge::Kind::kTimeout;
        break;
      case EdgeKind::kMatches:
        edge.kind = RuleGraph::Edge::Kind::kMatches;
        break;
      case EdgeKind::kSince:
        edge.kind = RuleGraph::Edge::Kind::kSince;
        break;
      case EdgeKind::kUnless:
        edge.kind = RuleGraph::Edge::Kind::kUnless;
        break;
      case EdgeKind::kReads:
        edge.kind = RuleGraph::Edge::Kind::kReads;
        break;
      case EdgeKind::kWrites:
        edge.kind = RuleGraph::Edge::Kind::kWrites;
        break;
    }
    out.edges.push_back(edge);
  }
  return out;
}

}  // namespace switchboard::check
