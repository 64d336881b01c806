// The engine's side of the tools for rule authors (docs/semantics.md and
// docs/cli.md): the trace hook (EngineOptions::trace), an `if` list as CEL's
// `&&`, the first error's message per rule, event types no trigger matched,
// skill routing's pending timers, and same-instant derived events.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/engine.h"
#include "switchboard/trace.h"
#include "tests/run/engine_test_util.h"

namespace switchboard {
namespace {

using ::switchboard::testing::CollectingSink;
using ::switchboard::testing::Ev;
using ::switchboard::testing::MakeEngine;
using ::switchboard::testing::MustLoad;
using ::switchboard::testing::T;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

// Keeps every trace record as JSON.
class TraceCollector : public TraceSink {
 public:
  void OnTrigger(const TriggerTrace& trace) override {
    lines.push_back(trace.ToJson());
    records.push_back({std::string(trace.session), std::string(trace.trigger),
                       std::string(trace.source), *trace.explanation,
                       trace.decisions});
  }
  struct Record {
    std::string session, trigger, source;
    Explanation explanation;
    int64_t decisions;
  };
  std::vector<std::string> lines;
  std::vector<Record> records;
};

std::unique_ptr<Engine> MakeTracedEngine(std::string_view yaml,
                                         TraceSink* trace) {
  std::shared_ptr<const Ruleset> rs = MustLoad(yaml);
  if (rs == nullptr) return nullptr;
  EngineOptions options;
  options.trace = trace;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(rs, options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

constexpr std::string_view kTraced = R"y(
ruleset: traced
session:
  fields:
    offered: bool = false
event:
  tier: string
  n: int
calendars:
  hours:
    timezone: Europe/Berlin
    weekly: {mon-fri: ["08:00-20:00"]}
rules:
  - name: gold
    on: cart.updated
    if: event.tier == 'gold'
    then: [{tag: [gold]}]
  - name: divides
    on: cart.updated
    if: 10 / event.n > 1
    then: [{tag: [big]}]
  - name: nudge
    on: {idle: 1m}
    if: "!session.offered"
    then:
      - offer: {channel: chat, message: hi}
      - emit: {type: nudged}
  - name: after-nudge
    on: nudged
    then: [{set: {offered: true}}]
)y";

TEST(TraceTest, EveryTriggerGetsARecordWithEachRulesOutcome) {
  TraceCollector trace;
  auto engine = MakeTracedEngine(kTraced, &trace);
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  Event cart = Ev("cart.updated", "10:00:00", "a");
  cart.SetInt("n", 0);  // no tier; a division by zero
  ASSERT_TRUE(engine->Process(cart, &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("page.view", "10:00:10", "a"), &sink).ok());
  Event down("channel.down", T("10:00:20"));
  down.SetString("channel", "sms");
  ASSERT_TRUE(engine->Process(down, &sink).ok());
  engine->AdvanceTo(T("10:05:00"), &sink);

  ASSERT_EQ(trace.records.size(), 5u);
  // The cart: both rules err, each with its message.
  const TraceCollector::Record& first = trace.records[0];
  EXPECT_EQ(first.session, "a");
  EXPECT_EQ(first.trigger, "cart.updated");
  EXPECT_EQ(first.source, "event");
  EXPECT_EQ(first.decisions, 0);
  ASSERT_EQ(first.explanation.rules.size(), 2u);
  EXPECT_EQ(first.explanation.rules[0].rule, "gold");
  EXPECT_EQ(first.explanation.rules[0].outcome, "error");
  EXPECT_THAT(first.explanation.rules[0].detail, HasSubstr("tier"));
  EXPECT_EQ(first.explanation.rules[1].outcome, "error");
  EXPECT_THAT(first.explanation.rules[1].detail, HasSubstr("division"));
  // An input event that triggers no rule: a record with no rules.
  EXPECT_EQ(trace.records[1].trigger, "page.view");
  EXPECT_THAT(trace.records[1].explanation.rules, IsEmpty());
  // A global event: no session.
  EXPECT_EQ(trace.records[2].trigger, "channel.down");
  EXPECT_EQ(trace.records[2].session, "");
  // The idle timer (decided), then its derived event.
  EXPECT_EQ(trace.records[3].trigger, "idle");
  EXPECT_EQ(trace.records[3].source, "timer");
  EXPECT_EQ(trace.records[3].decisions, 1);
  EXPECT_EQ(trace.records[4].trigger, "nudged");
  EXPECT_EQ(trace.records[4].source, "derived");
  EXPECT_EQ(trace.records[4].explanation.rules[0].outcome, "ran");

  EXPECT_EQ(trace.lines[1],
            "{\"time\":\"2026-11-23T10:00:10Z\",\"ruleset\":\"traced\","
            "\"session\":\"a\",\"trigger\":\"page.view\",\"source\":\"event\","
            "\"rules\":[],\"notes\":[],\"decisions\":0}");
}

TEST(TraceTest, TracingChangesNeitherDecisionsNorStats) {
  TraceCollector trace;
  auto traced = MakeTracedEngine(kTraced, &trace);
  auto plain = MakeEngine(kTraced);
  ASSERT_NE(traced, nullptr);
  ASSERT_NE(plain, nullptr);
  CollectingSink a, b;
  for (int i = 0; i < 20; ++i) {
    Event e = Ev("cart.updated", "10:00:00", "s" + std::to_string(i % 3));
    e.set_time(T("10:00:00") + absl::Seconds(30 * i));
    if (i % 2 == 0) e.SetString("tier", i % 4 == 0 ? "gold" : "silver");
    e.SetInt("n", i % 5);
    ASSERT_TRUE(traced->Process(e, &a).ok());
    ASSERT_TRUE(plain->Process(e, &b).ok());
  }
  traced->AdvanceTo(T("12:00:00"), &a);
  plain->AdvanceTo(T("12:00:00"), &b);
  EXPECT_EQ(a.Lines(), b.Lines());
  EXPECT_EQ(traced->stats().rule_runs, plain->stats().rule_runs);
  EXPECT_EQ(traced->stats().rule_errors, plain->stats().rule_errors);
  EXPECT_FALSE(trace.records.empty());
}

TEST(TraceTest, StatsKeepTheFirstErrorMessageOfEachRule) {
  auto engine = MakeEngine(kTraced);
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  Event cart = Ev("cart.updated", "10:00:00", "a");
  cart.SetInt("n", 0);
  ASSERT_TRUE(engine->Process(cart, &sink).ok());
  Event again = Ev("cart.updated", "10:00:01", "a");
  again.SetString("tier", "gold");
  again.SetInt("n", 5);
  ASSERT_TRUE(engine->Process(again, &sink).ok());
  const EngineStats& stats = engine->stats();
  ASSERT_EQ(stats.rule_first_errors.size(), 4u);
  EXPECT_THAT(stats.rule_first_errors[0], HasSubstr("tier"));
  EXPECT_THAT(stats.rule_first_errors[1], HasSubstr("division"));
  EXPECT_EQ(stats.rule_first_errors[2], "");
  EXPECT_EQ(stats.rule_errors[0], 1);
  // rules_with_errors counts the set first errors, without the stats.
  EXPECT_EQ(engine->rules_with_errors(), 2);
}

TEST(TraceTest, RulesWithErrorsFollowsReloadAndRestore) {
  auto engine = MakeEngine(kTraced);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->rules_with_errors(), 0);
  CollectingSink sink;
  Event cart = Ev("cart.updated", "10:00:00", "a");
  cart.SetInt("n", 0);
  ASSERT_TRUE(engine->Process(cart, &sink).ok());
  const int errors = engine->rules_with_errors();
  ASSERT_GT(errors, 0);
  // A reload keeps each rule's first error by name.
  ASSERT_TRUE(engine->Reload(MustLoad(kTraced)).ok());
  EXPECT_EQ(engine->rules_with_errors(), errors);
  // A snapshot holds the counts, not the messages.
  absl::StatusOr<std::string> bytes = engine->Snapshot();
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(engine->Restore(*bytes).ok());
  EXPECT_EQ(engine->rules_with_errors(), 0);
  int set = 0;
  for (const std::string& m : engine->stats().rule_first_errors) {
    set += m.empty() ? 0 : 1;
  }
  EXPECT_EQ(set, 0);
}

// docs/semantics.md: an `if` list is `&&` with CEL's error rules.
TEST(IfListTest, IsAndWithCelErrorRules) {
  auto engine = MakeEngine(R"y(
ruleset: t
event:
  s: string
  n: int
rules:
  - name: error-false
    on: x
    if: ["event.s == 'x'", "event.n > 100"]
    then: [{tag: [a]}]
  - name: error-true
    on: x
    if: ["event.s == 'x'", "event.n > 1"]
    then: [{tag: [b]}]
  - name: false-error
    on: x
    if: ["event.n > 100", "event.s == 'x'"]
    then: [{tag: [c]}]
  - name: true-true
    on: x
    if: ["event.n > 1", "has(event.n)"]
    then: [{tag: [d]}]
)y",
                           /*explain=*/true);
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  Event x = Ev("x", "10:00:00", "a");
  x.SetInt("n", 5);  // no `s`: reading it is an error
  ASSERT_TRUE(engine->Process(x, &sink).ok());
  EXPECT_THAT(sink.Lines(), ElementsAre("10:00:00 a true-true tag x"));
  const EngineStats& stats = engine->stats();
  EXPECT_THAT(stats.rule_errors, ElementsAre(0, 1, 0, 0));
  const Explanation& e = sink.got[0].explanation;
  ASSERT_EQ(e.rules.size(), 4u);
  EXPECT_EQ(e.rules[0].outcome, "false");
  EXPECT_EQ(e.rules[0].conditions.size(), 2u);  // both evaluated
  EXPECT_EQ(e.rules[1].outcome, "error");
  EXPECT_EQ(e.rules[2].outcome, "false");
  EXPECT_EQ(e.rules[2].conditions.size(), 1u);  // stops at the false one
  EXPECT_EQ(e.rules[3].outcome, "ran");
}

TEST(UnmatchedTypesTest, InputEventsNoTriggerMatchesAreCountedByType) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: cart
    on: cart.updated
    then: [{tag: [c]}]
  - name: reminder
    on: {after: 1h, since: cart.updated, unless: [order.placed]}
    then: [{tag: [r]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  for (const char* type : {"cart.update", "cart.updated", "cart.update",
                           "order.placed", "page.view"}) {
    ASSERT_TRUE(engine->Process(Ev(type, "10:00:00", "a"), &sink).ok());
  }
  Event down("channel.down", T("10:00:00"));
  down.SetString("channel", "sms");
  ASSERT_TRUE(engine->Process(down, &sink).ok());  // global: not counted
  EXPECT_THAT(engine->stats().unmatched_event_types,
              ElementsAre(Pair("cart.update", 2), Pair("page.view", 1)));
}

TEST(RoutingTimersTest, RelaxStepsAndRouteTimeoutsArePending) {
  auto engine = MakeEngine(R"y(
ruleset: t
queues:
  billing:
    skills: {billing: 3}
    relax:
      - {after: 1m, skills: {billing: 1}}
rules:
  - name: to-billing
    on: message.received
    then: [{route: {queue: billing, timeout: 5m}}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  Event m = Ev("message.received", "10:00:00", "a");
  m.SetString("channel", "chat");
  ASSERT_TRUE(engine->Process(m, &sink).ok());
  std::vector<PendingTimer> timers = engine->PendingRoutingTimers();
  ASSERT_EQ(timers.size(), 2u);
  EXPECT_EQ(timers[0].deadline, T("10:01:00"));
  EXPECT_EQ(timers[0].trigger, "relax");
  EXPECT_EQ(timers[0].session, "a");
  EXPECT_EQ(timers[0].rule, "to-billing");
  EXPECT_EQ(timers[1].deadline, T("10:05:00"));
  EXPECT_EQ(timers[1].trigger, "timeout");
  engine->AdvanceTo(T("10:02:00"), &sink);  // the relax step is taken
  timers = engine->PendingRoutingTimers();
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0].trigger, "timeout");
  engine->AdvanceTo(T("10:06:00"), &sink);
  EXPECT_THAT(engine->PendingRoutingTimers(), IsEmpty());
}

// docs/semantics.md: an event derived from an earlier trigger of the same
// instant is processed before the next timer, so it can cancel that timer.
TEST(SameInstantTest, ADerivedEventCancelsATimerOfTheSameInstant) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: quiet
    on: {idle: 1m}
    then:
      - tag: [quiet]
      - emit: {type: stop}
  - name: reminder
    on: {after: 1m, since: start, unless: [stop]}
    then: [{tag: [reminder]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("start", "10:00:00", "a"), &sink).ok());
  ASSERT_EQ(engine->PendingTimers().size(), 2u);  // both due at 10:01:00
  engine->AdvanceTo(T("10:05:00"), &sink);
  EXPECT_THAT(sink.Lines(), ElementsAre("10:01:00 a quiet tag idle"));
  EXPECT_THAT(engine->PendingTimers(), IsEmpty());
}

}  // namespace
}  // namespace switchboard
