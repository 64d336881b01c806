// Cross-check of the rule index (engine/plan/rule_index.h): the engine with
// EngineOptions::index_rules on and off must make the same decisions, in
// the same order, with the same stats (rule runs, rule errors, decisions by
// rule and action, derived events), on routing workloads in the shape of the
// benchmark's (tests/run/routing_workload.h) with and without the extras the
// index must leave alone, from fixed seeds. (The random rulesets of
// runtime_cross_check_test run the engine, index on by default, against the
// reference runtime.)
//
// The reference workload's rules_100.yaml and rules_1000.yaml are checked
// too, on the first 20,000 events of its events.jsonl: ctest writes it with
// bench/gen_workload.py (the `reference_workload` fixture) and names its
// folder in SWITCHBOARD_INDEX_WORKLOAD.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "switchboard/diagnostic.h"
#include "switchboard/engine.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"
#include "tests/run/routing_workload.h"
#include "tests/support/reference_runtime.h"

namespace switchboard {
namespace {

using ::switchboard::testing::LineSink;
using ::switchboard::testing::RoutingWorkload;
using ::switchboard::testing::RoutingWorkloadOptions;

struct Outcome {
  std::vector<std::string> lines;  // decisions, then the stats
  int64_t rule_errors = 0;
  int64_t decisions = 0;
  int64_t derived = 0;
};

Outcome RunEngine(std::shared_ptr<const Ruleset> rs,
                  const std::vector<Event>& events, bool index) {
  EngineOptions options;
  options.index_rules = index;
  auto engine = Engine::Create(rs, options);
  EXPECT_TRUE(engine.ok());
  Outcome out;
  if (!engine.ok()) return out;
  LineSink sink;
  for (const Event& e : events) {
    const absl::Status status = (*engine)->Process(e, &sink);
    if (!status.ok()) sink.lines.push_back("rejected: " + status.ToString());
  }
  out.lines = std::move(sink.lines);
  const EngineStats& stats = (*engine)->stats();
  out.lines.push_back("events " + std::to_string(stats.events) + " derived " +
                      std::to_string(stats.derived_events) + " decisions " +
                      std::to_string(stats.decisions) + " rejected " +
                      std::to_string(stats.rejected_events));
  for (size_t r = 0; r < stats.rule_runs.size(); ++r) {
    out.lines.push_back("rule " + std::to_string(r) + " runs " +
                        std::to_string(stats.rule_runs[r]) + " errors " +
                        std::to_string(stats.rule_errors[r]));
    out.rule_errors += stats.rule_errors[r];
  }
  for (const auto& [key, n] : stats.decisions_by_rule_action) {
    out.lines.push_back(key.first + " " + key.second + " " + std::to_string(n));
  }
  out.decisions = stats.decisions;
  out.derived = stats.derived_events;
  return out;
}

// The first line where `a` and `b` differ, for the failure message.
std::string FirstDifference(const std::vector<std::string>& a,
                            const std::vector<std::string>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] != b[i]) {
      return "line " + std::to_string(i) + ":\n  index on:  " + a[i] +
             "\n  index off: " + b[i];
    }
  }
  return "lengths " + std::to_string(a.size()) + " vs " +
         std::to_string(b.size());
}

TEST(IndexCrossCheckTest, SameDecisionsAndStatsOnRoutingWorkloads) {
  int64_t decisions = 0, errors = 0, derived = 0;
  int cases = 0;
  for (uint32_t seed = 1; seed <= 24; ++seed) {
    RoutingWorkloadOptions options;
    options.rules = seed % 3 == 0 ? 300 : (seed % 3 == 1 ? 40 : 8);
    options.events = seed % 3 == 0 ? 800 : 1500;
    options.sessions = 60;
    options.extras = seed % 4 != 0;
    options.absent_percent = seed % 2 == 0 ? 5 : 25;
    RoutingWorkload w(seed, options);
    LoadResult loaded = LoadRulesetFromString(w.yaml(), "w.yaml");
    ASSERT_TRUE(loaded.ok())
        << "seed " << seed << "\n"
        << w.yaml() << FormatDiagnostics(loaded.diagnostics());
    const Outcome on = RunEngine(loaded.ruleset(), w.events(), true);
    const Outcome off = RunEngine(loaded.ruleset(), w.events(), false);
    EXPECT_TRUE(on.lines == off.lines)
        << "seed " << seed << ": " << FirstDifference(on.lines, off.lines);
    decisions += off.decisions;
    errors += off.rule_errors;
    derived += off.derived;
    ++cases;
  }
  std::printf("cases %d, decisions %lld, rule errors %lld, derived %lld\n",
              cases, static_cast<long long>(decisions),
              static_cast<long long>(errors), static_cast<long long>(derived));
  // The workloads exercise what the index must keep exact.
  EXPECT_GT(decisions, 5000);
  EXPECT_GT(errors, 100);
  EXPECT_GT(derived, 10);
}

TEST(IndexCrossCheckTest, ReferenceWorkload) {
  const char* dir = std::getenv("SWITCHBOARD_INDEX_WORKLOAD");
  ASSERT_TRUE(dir != nullptr && *dir != '\0')
      << "SWITCHBOARD_INDEX_WORKLOAD names the reference workload's folder "
         "(ctest sets it)";
  for (const char* n : {"100", "1000"}) {
    LoadResult loaded = LoadRuleset(std::string(dir) + "/rules_" + n + ".yaml");
    ASSERT_TRUE(loaded.ok()) << FormatDiagnostics(loaded.diagnostics());
    EventReader reader(*loaded.ruleset());
    std::ifstream in(std::string(dir) + "/events.jsonl");
    ASSERT_TRUE(in.good());
    std::vector<Event> events;
    std::string line;
    while (events.size() < 20000 && std::getline(in, line)) {
      Event e;
      ASSERT_TRUE(reader.Next(line, &e).ok()) << line;
      events.push_back(std::move(e));
    }
    const Outcome on = RunEngine(loaded.ruleset(), events, true);
    const Outcome off = RunEngine(loaded.ruleset(), events, false);
    EXPECT_TRUE(on.lines == off.lines)
        << "rules_" << n << ": " << FirstDifference(on.lines, off.lines);
    EXPECT_GT(off.decisions, 1000);
  }
}

}  // namespace
}  // namespace switchboard
