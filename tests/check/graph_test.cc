// The rule graph as Graphviz DOT (Ruleset::GraphDot): every kind of vertex
// (event types, prefixes, timers, rules, session fields) and edge (trigger,
// emit, timeout, matches, since, unless, reads, writes).
#include <regex>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
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

}  // namespace
}  // namespace switchboard
