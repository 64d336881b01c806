// The rule graph as Graphviz DOT (Ruleset::GraphDot): every kind of vertex
// (event types, prefixes, timers, rules, session fields) and edge (trigger,
// emit, timeout, matches, since, unless, reads, writes); and the same graph
// as data (Ruleset::Graph), which `switchboard studio` draws.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/rule_graph.h"
#include "switchboard/ruleset.h"

namespace switchboard {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kRuleset[] = R"yaml(
ruleset: graph
session:
  fields:
    count: int = 0
    seen: bool = false
queues:
  sales: {}
rules:
  - name: count
    on: cart.*
    if: "!session.seen"
    then:
      - set: {count: "session.count + 1"}
      - emit: {type: stats.counted}
  - name: counted
    on: stats.counted
    enabled: false
    then:
      - tag: [x]
  - name: quiet
    on: {idle: 90s}
    then:
      - route: {queue: sales, timeout: 5m}
  - name: remind
    on: {after: 4h, since: cart.updated, unless: [order.placed]}
    if: session.count > 0
    then:
      - set: {seen: true}
)yaml";

std::string Dot() {
  const LoadResult result = LoadRulesetFromString(kRuleset, "graph.yaml");
  EXPECT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  return result.ok() ? result.ruleset()->GraphDot() : "";
}

// The vertex id whose label is `label`, or "".
std::string Vertex(const std::string& dot, const std::string& label) {
  std::smatch m;
  const std::regex re(
      "\n([0-9]+)\\[label=\"" +
      std::regex_replace(label, std::regex(R"([.*+?])"), R"(\$&)") + "\"");
  return std::regex_search(dot, m, re) ? m[1].str() : "";
}

bool HasEdge(const std::string& dot, const std::string& from,
             const std::string& to, const std::string& kind) {
  const std::string a = Vertex(dot, from), b = Vertex(dot, to);
  if (a.empty() || b.empty()) return false;
  return dot.find("\n" + a + "->" + b + " [label=\"" + kind + "\"") !=
         std::string::npos;
}

TEST(GraphTest, IsADigraphWithTheRulesetName) {
  const std::string dot = Dot();
  EXPECT_THAT(dot, StartsWith("digraph"));
  EXPECT_THAT(dot, HasSubstr("label=\"graph\";"));
  EXPECT_EQ(dot.back(), '\n');
}

TEST(GraphTest, HasEveryVertex) {
  const std::string dot = Dot();
  for (const char* label :
       {"count", "counted", "quiet", "remind", "cart.*", "stats.counted",
        "cart.updated", "order.placed", "route.timeout", "idle 1m30s",
        "after 4h since cart.updated unless order.placed", "session.count",
        "session.seen"}) {
    EXPECT_NE(Vertex(dot, label), "") << label << " in\n" << dot;
  }
  // Rules are boxes; a disabled rule is dashed.
  EXPECT_THAT(dot, HasSubstr("[label=\"counted\", shape=box, "
                             "style=\"rounded,dashed\"]"));
  EXPECT_THAT(dot, HasSubstr("[label=\"count\", shape=box, "
                             "style=\"rounded,bold\"]"));
}

TEST(GraphTest, HasEveryEdge) {
  const std::string dot = Dot();
  EXPECT_TRUE(HasEdge(dot, "cart.*", "count", "trigger")) << dot;
  EXPECT_TRUE(HasEdge(dot, "count", "stats.counted", "emit")) << dot;
  EXPECT_TRUE(HasEdge(dot, "stats.counted", "counted", "trigger")) << dot;
  EXPECT_FALSE(HasEdge(dot, "stats.counted", "cart.*", "matches")) << dot;
  EXPECT_TRUE(HasEdge(dot, "cart.updated", "cart.*", "matches")) << dot;
  EXPECT_TRUE(HasEdge(dot, "idle 1m30s", "quiet", "trigger")) << dot;
  EXPECT_TRUE(HasEdge(dot, "quiet", "route.timeout", "timeout")) << dot;
  const std::string timer = "after 4h since cart.updated unless order.placed";
  EXPECT_TRUE(HasEdge(dot, "cart.updated", timer, "since")) << dot;
  EXPECT_TRUE(HasEdge(dot, "order.placed", timer, "unless")) << dot;
  EXPECT_TRUE(HasEdge(dot, timer, "remind", "trigger")) << dot;
  EXPECT_TRUE(HasEdge(dot, "session.seen", "count", "reads")) << dot;
  EXPECT_TRUE(HasEdge(dot, "session.count", "count", "reads")) << dot;
  EXPECT_TRUE(HasEdge(dot, "count", "session.count", "writes")) << dot;
  EXPECT_TRUE(HasEdge(dot, "remind", "session.seen", "writes")) << dot;
  EXPECT_FALSE(HasEdge(dot, "remind", "session.count", "writes")) << dot;
}

TEST(GraphTest, IsDeterministic) { EXPECT_EQ(Dot(), Dot()); }

TEST(GraphTest, EscapesLabels) {
  const LoadResult result = LoadRulesetFromString(
      "ruleset: 'a \"quoted\" name'\nrules:\n  - name: 'say \"hi\"'\n"
      "    on: x.y\n    then:\n      - tag: [x]\n",
      "q.yaml");
  ASSERT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  const std::string dot = result.ruleset()->GraphDot();
  EXPECT_THAT(dot, HasSubstr("label=\"a \\\"quoted\\\" name\";"));
  EXPECT_THAT(dot, HasSubstr("[label=\"say \\\"hi\\\"\""));
}

// The graph as data has the DOT's vertices and edges, in the same order.
TEST(GraphTest, AsDataMatchesTheDot) {
  const LoadResult result = LoadRulesetFromString(kRuleset, "graph.yaml");
  ASSERT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  const std::string dot = result.ruleset()->GraphDot();
  const RuleGraph graph = result.ruleset()->Graph();
  int rules = 0;
  for (size_t v = 0; v < graph.nodes.size(); ++v) {
    const RuleGraph::Node& node = graph.nodes[v];
    EXPECT_EQ(Vertex(dot, node.label), std::to_string(v)) << node.label;
    if (node.kind == RuleGraph::Node::Kind::kRule) {
      EXPECT_EQ(result.ruleset()->rule_name(node.rule), node.label);
      EXPECT_EQ(node.enabled, node.label != "counted");
      ++rules;
    }
  }
  EXPECT_EQ(rules, result.ruleset()->rule_count());
  const auto has = [&](const std::string& from, const std::string& to,
                       RuleGraph::Edge::Kind kind) {
    for (const RuleGraph::Edge& e : graph.edges) {
      if (graph.nodes[e.from].label == from && graph.nodes[e.to].label == to &&
          e.kind == kind) {
        return true;
      }
    }
    return false;
  };
  using Kind = RuleGraph::Edge::Kind;
  EXPECT_TRUE(has("cart.*", "count", Kind::kTrigger));
  EXPECT_TRUE(has("count", "stats.counted", Kind::kEmit));
  EXPECT_TRUE(has("quiet", "route.timeout", Kind::kTimeout));
  EXPECT_TRUE(has("cart.updated", "cart.*", Kind::kMatches));
  EXPECT_TRUE(has("session.seen", "count", Kind::kReads));
  EXPECT_TRUE(has("remind", "session.seen", Kind::kWrites));
  const std::string timer = "after 4h since cart.updated unless order.placed";
  EXPECT_TRUE(has("cart.updated", timer, Kind::kSince));
  EXPECT_TRUE(has("order.placed", timer, Kind::kUnless));
  EXPECT_EQ(static_cast<size_t>(std::count(dot.begin(), dot.end(), '>')),
            graph.edges.size());
}

// LoadRulesetFromTexts checks buffers as LoadRuleset checks the files of a
// folder: the same diagnostics, the same names.
TEST(GraphTest, TextsLoadAsTheFilesOfAFolder) {
  const std::string dir = std::string(::testing::TempDir()) + "/texts";
  std::filesystem::create_directories(dir);
  const std::string base =
      "ruleset: two\nsession:\n  fields:\n    n: int = 0\n";
  const std::string rules =
      "rules:\n  - name: r\n    on: x.y\n    if: session.m > 0\n"
      "    then:\n      - tag: [a]\n";
  std::ofstream(dir + "/10_base.yaml") << base;
  std::ofstream(dir + "/20_rules.yaml") << rules;
  std::ofstream(dir + "/notes.txt") << "not a rule file";
  absl::StatusOr<std::vector<std::string>> paths = RuleFilePaths(dir);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_EQ(*paths, (std::vector<std::string>{dir + "/10_base.yaml",
                                              dir + "/20_rules.yaml"}));
  const LoadResult from_disk = LoadRuleset(dir);
  const LoadResult from_texts = LoadRulesetFromTexts(
      {{dir + "/10_base.yaml", base}, {dir + "/20_rules.yaml", rules}});
  EXPECT_FALSE(from_texts.ok());
  EXPECT_EQ(FormatDiagnostics(from_texts.diagnostics()),
            FormatDiagnostics(from_disk.diagnostics()));
  EXPECT_FALSE(LoadRulesetFromTexts({}).ok());
  EXPECT_EQ(RuleFilePaths(dir + "/none").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(RuleFilePaths(dir + "/10_base.yaml")->size(), 1u);
}

}  // namespace
}  // namespace switchboard
