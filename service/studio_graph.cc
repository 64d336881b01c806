// The rule graph's layered layout and SVG (studio_graph.h).
#include "service/studio_graph.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "fmt/format.h"

namespace switchboard::service {
namespace {

using Kind = RuleGraph::Node::Kind;
using EdgeKind = RuleGraph::Edge::Kind;

constexpr double kCharWidth = 7.0;  // 12px sans-serif, roughly
constexpr double kNodeHeight = 28;
constexpr double kRowGap = 14;
constexpr double kColumnGap = 70;
constexpr double kMargin = 16;
constexpr int kSweeps = 4;
constexpr size_t kMaxLabel =
    32;  // longer labels are cut (whole in the tooltip)

// The label as drawn: at most kMaxLabel bytes (not cutting a UTF-8
// sequence), "…" where cut.
std::string Shown(const std::string& label) {
  if (label.size() <= kMaxLabel) return label;
  size_t end = kMaxLabel - 1;
  while (end > 0 && (static_cast<unsigned char>(label[end]) & 0xC0) == 0x80) {
    --end;
  }
  return label.substr(0, end) + "\u2026";
}

std::string Xml(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool IsFlow(EdgeKind kind) {
  return kind != EdgeKind::kReads && kind != EdgeKind::kWrites;
}

std::string_view EdgeClass(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::kTrigger:
      return "trigger";
    case EdgeKind::kEmit:
      return "emit";
    case EdgeKind::kTimeout:
      return "timeout";
    case EdgeKind::kMatches:
      return "matches";
    case EdgeKind::kSince:
      return "since";
    case EdgeKind::kUnless:
      return "unless";
    case EdgeKind::kReads:
      return "reads";
    case EdgeKind::kWrites:
      return "writes";
  }
  return "";
}

struct Placed {
  int layer = 0;
  int order = 0;  // position in its layer
  double x = 0, y = 0, width = 0;
};

constexpr std::string_view kStyle =
    "<style>"
    ".rule-graph text{font:12px sans-serif;fill:#222;dominant-baseline:middle;"
    "text-anchor:middle}"
    ".rule-graph .rule rect{fill:#e8f0fe;stroke:#1a56c4;stroke-width:2}"
    ".rule-graph .rule.disabled rect{stroke-dasharray:4 3;fill:#f4f4f4}"
    ".rule-graph .rule.selected rect{fill:#ffe9a8}"
    ".rule-graph .event rect{fill:#fff;stroke:#666}"
    ".rule-graph .prefix rect{fill:#fff;stroke:#666;stroke-dasharray:4 3}"
    ".rule-graph .timer rect{fill:#fff6e0;stroke:#b07a00}"
    ".rule-graph path{fill:none;stroke:#888;stroke-width:1.3}"
    ".rule-graph path.emit,.rule-graph path.timeout{stroke:#c0392b}"
    ".rule-graph path.timeout,.rule-graph path.since,.rule-graph path.unless{"
    "stroke-dasharray:5 3}"
    ".rule-graph path.matches{stroke-dasharray:2 3}"
    "</style>";

}  // namespace

std::string RuleGraphSvg(const RuleGraph& graph, std::string_view name) {
  const int n = static_cast<int>(graph.nodes.size());
  // The drawn nodes: all but session fields.
  std::vector<bool> drawn(n);
  for (int v = 0; v < n; ++v) drawn[v] = graph.nodes[v].kind != Kind::kField;
  std::vector<std::vector<int>> out(n), in(n);
  std::vector<std::pair<int, int>> flow;  // edges as laid out (acyclic)
  std::vector<std::vector<int>> adjacency(n);
  for (const RuleGraph::Edge& e : graph.edges) {
    if (IsFlow(e.kind) && drawn[e.from] && drawn[e.to]) {
      adjacency[e.from].push_back(e.to);
    }
  }
  // Depth-first search in node order: an edge to a node on the stack
  // closes a cycle and is turned around.
  std::vector<int> state(n, 0);  // 0 new, 1 on the stack, 2 done
  for (int root = 0; root < n; ++root) {
    if (state[root] != 0 || !drawn[root]) continue;
    std::vector<std::pair<int, size_t>> stack = {{root, 0}};
    state[root] = 1;
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      if (next == adjacency[v].size()) {
        state[v] = 2;
        stack.pop_back();
        continue;
      }
      const int w = adjacency[v][next++];
      if (state[w] == 1) {
        flow.emplace_back(w, v);
      } else {
        flow.emplace_back(v, w);
        if (state[w] == 0) {
          state[w] = 1;
          stack.emplace_back(w, 0);
        }
      }
    }
  }
  std::sort(flow.begin(), flow.end());
  flow.erase(std::unique(flow.begin(), flow.end()), flow.end());
  for (const auto& [a, b] : flow) {
    if (a == b) continue;
    out[a].push_back(b);
    in[b].push_back(a);
  }
  // Layers: the longest path from a source (Kahn's order).
  std::vector<Placed> placed(n);
  std::vector<int> indegree(n, 0);
  for (int v = 0; v < n; ++v) indegree[v] = static_cast<int>(in[v].size());
  std::deque<int> ready;
  for (int v = 0; v < n; ++v) {
    if (drawn[v] && indegree[v] == 0) ready.push_back(v);
  }
  int layers = 0;
  while (!ready.empty()) {
    const int v = ready.front();
    ready.pop_front();
    layers = std::max(layers, placed[v].layer + 1);
    for (int w : out[v]) {
      placed[w].layer = std::max(placed[w].layer, placed[v].layer + 1);
      if (--indegree[w] == 0) ready.push_back(w);
    }
  }
  std::vector<std::vector<int>> layer(layers);
  for (int v = 0; v < n; ++v) {
    if (drawn[v]) layer[placed[v].layer].push_back(v);
  }
  const auto renumber = [&](std::vector<int>& l) {
    for (size_t i = 0; i < l.size(); ++i)
      placed[l[i]].order = static_cast<int>(i);
  };
  for (std::vector<int>& l : layer) renumber(l);
  // Barycenter sweeps: down by predecessors, up by successors.
  const auto sweep = [&](int i, const std::vector<std::vector<int>>& by) {
    std::vector<std::pair<double, int>> keyed;
    for (int v : layer[i]) {
      double sum = 0;
      for (int w : by[v]) sum += placed[w].order;
      const double key = by[v].empty()
                             ? placed[v].order
                             : sum / static_cast<double>(by[v].size());
      keyed.emplace_back(key, v);
    }
    std::stable_sort(
        keyed.begin(), keyed.end(),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t k = 0; k < keyed.size(); ++k) layer[i][k] = keyed[k].second;
    renumber(layer[i]);
  };
  for (int s = 0; s < kSweeps; ++s) {
    for (int i = 1; i < layers; ++i) sweep(i, in);
    for (int i = layers - 2; i >= 0; --i) sweep(i, out);
  }
  // Coordinates: columns as wide as their widest label.
  double x = kMargin;
  size_t rows = 0;
  for (const std::vector<int>& l : layer) rows = std::max(rows, l.size());
  const double height =
      2 * kMargin + static_cast<double>(rows) * (kNodeHeight + kRowGap);
  for (const std::vector<int>& l : layer) {
    double width = 0;
    for (int v : l) {
      placed[v].width =
          24 + kCharWidth * static_cast<double>(std::min(
                                graph.nodes[v].label.size(), kMaxLabel));
      width = std::max(width, placed[v].width);
    }
    const double top =
        (height - static_cast<double>(l.size()) * (kNodeHeight + kRowGap)) / 2;
    for (int v : l) {
      placed[v].x = x + (width - placed[v].width) / 2;
      placed[v].y =
          top + placed[v].order * (kNodeHeight + kRowGap) + kRowGap / 2;
    }
    x += width + kColumnGap;
  }
  const double width = std::max(2 * kMargin, x - kColumnGap + kMargin);

  // Tooltips of rules: the fields they read and write.
  std::vector<std::string> reads(n), writes(n);
  for (const RuleGraph::Edge& e : graph.edges) {
    if (e.kind == EdgeKind::kReads) {
      reads[e.to] +=
          (reads[e.to].empty() ? "" : ", ") + graph.nodes[e.from].label;
    } else if (e.kind == EdgeKind::kWrites) {
      writes[e.from] +=
          (writes[e.from].empty() ? "" : ", ") + graph.nodes[e.to].label;
    }
  }

  int rules = 0;
  for (const RuleGraph::Node& node : graph.nodes)
    rules += node.kind == Kind::kRule;
  std::string svg;
  auto put = std::back_inserter(svg);
  fmt::format_to(
      put,
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"rule-graph\" "
      "width=\"{:.0f}\" height=\"{:.0f}\" viewBox=\"0 0 {:.0f} {:.0f}\" "
      "data-rules=\"{}\" role=\"img\"><title>rule graph of {}</title>",
      width, height, width, height, rules, Xml(name));
  svg += kStyle;
  svg +=
      "<defs><marker id=\"sb-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" "
      "refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
      "<path d=\"M0,0L10,5L0,10z\" style=\"fill:#888;stroke:none\"/>"
      "</marker></defs>";
  // Edges first, under the nodes, in the graph's order.
  for (const RuleGraph::Edge& e : graph.edges) {
    if (!IsFlow(e.kind) || !drawn[e.from] || !drawn[e.to]) continue;
    const Placed& a = placed[e.from];
    const Placed& b = placed[e.to];
    const double x1 = a.x + a.width, y1 = a.y + kNodeHeight / 2;
    const double x2 = b.x, y2 = b.y + kNodeHeight / 2;
    const double bend = std::max(40.0, std::abs(x2 - x1) / 2);
    fmt::format_to(
        put,
        "<path class=\"edge {}\" data-from=\"{}\" data-to=\"{}\" "
        "d=\"M{:.1f},{:.1f} C{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" "
        "marker-end=\"url(#sb-arrow)\"><title>{}</title></path>",
        EdgeClass(e.kind), e.from, e.to, x1, y1, x1 + bend, y1, x2 - bend, y2,
        x2, y2, EdgeClass(e.kind));
  }
  for (int v = 0; v < n; ++v) {
    if (!drawn[v]) continue;
    const RuleGraph::Node& node = graph.nodes[v];
    const Placed& p = placed[v];
    std::string title = Xml(node.label);
    double radius = 6;
    switch (node.kind) {
      case Kind::kRule:
        fmt::format_to(put,
                       "<g class=\"rule{}\" data-testid=\"graph-node\" "
                       "data-rule=\"{}\">",
                       node.enabled ? "" : " disabled", Xml(node.label));
        title += node.enabled ? "" : " (disabled)";
        if (!reads[v].empty()) title += "\nreads " + Xml(reads[v]);
        if (!writes[v].empty()) title += "\nwrites " + Xml(writes[v]);
        break;
      case Kind::kTimer:
        fmt::format_to(put,
                       "<g class=\"timer\" data-testid=\"graph-trigger\">");
        radius = 2;
        break;
      case Kind::kEventPrefix:
        fmt::format_to(put, "<g class=\"prefix\" data-testid=\"graph-event\">");
        radius = kNodeHeight / 2;
        break;
      default:
        fmt::format_to(put, "<g class=\"event\" data-testid=\"graph-event\">");
        radius = kNodeHeight / 2;
        break;
    }
    fmt::format_to(put,
                   "<title>{}</title><rect x=\"{:.1f}\" y=\"{:.1f}\" "
                   "width=\"{:.1f}\" height=\"{:.0f}\" rx=\"{:.0f}\"/>"
                   "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text></g>",
                   title, p.x, p.y, p.width, kNodeHeight, radius,
                   p.x + p.width / 2, p.y + kNodeHeight / 2 + 1,
                   Xml(Shown(node.label)));
  }
  svg += "</svg>";
  return svg;
}

}  // namespace switchboard::service
