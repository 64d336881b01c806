// Tests of the engine's event dispatch: rule order, final, prefixes, the
// session snapshot seen by conditions, set, emit, exclusivity, deflection,
// late events, input validation, evaluation errors, extensions, stats.
#include "switchboard/engine.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/run/engine_test_util.h"
#include "tests/support/status_matchers.h"

namespace switchboard {
namespace {

using ::switchboard::testing::CollectingSink;
using ::switchboard::testing::Ev;
using ::switchboard::testing::MakeEngine;
using ::switchboard::testing::MustLoad;
using ::switchboard::testing::StatusIs;
using ::switchboard::testing::T;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(EngineTest, CreateRejectsNullRuleset) {
  EXPECT_THAT(Engine::Create(nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EngineTest, RunsRulesInPriorityOrderThenFileOrder) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: low
    on: msg.in
    then: [{tag: [low]}]
  - name: high
    priority: 5
    on: msg.in
    then: [{tag: [high]}]
  - name: tie
    on: msg.in
    then: [{tag: [tie]}]
  - name: other
    on: msg.out
    then: [{tag: [other]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("msg.in", "10:00:00", "a"), &sink).ok());
  EXPECT_THAT(sink.Lines(), ElementsAre("10:00:00 a high tag msg.in",
                                        "10:00:00 a low tag msg.in",
                                        "10:00:00 a tie tag msg.in"));
  EXPECT_EQ(sink.got[0].Param("labels"), "high");
  EXPECT_EQ(engine->stats().events, 1);
  EXPECT_EQ(engine->stats().decisions, 3);
  EXPECT_EQ(engine->session_count(), 1);
}

TEST(EngineTest, FinalStopsLowerPriorityRulesOnlyWhenItRan) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: high
    priority: 5
    on: msg.in
    then: [{tag: [high]}]
  - name: stopper
    priority: 3
    on: msg.in
    if: event.channel == 'chat'
    final: true
    then: [{tag: [stop]}]
  - name: low
    on: msg.in
    then: [{tag: [low]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  Event chat = Ev("msg.in", "10:00:00", "a");
  chat.SetString("channel", "chat");
  ASSERT_TRUE(engine->Process(chat, &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:00 a high tag msg.in",
                                            "10:00:00 a stopper tag msg.in"));
  Event web = Ev("msg.in", "10:00:01", "a");
  web.SetString("channel", "web");
  ASSERT_TRUE(engine->Process(web, &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:01 a high tag msg.in",
                                            "10:00:01 a low tag msg.in"));
}

TEST(EngineTest, PrefixTriggersMergeWithExactOnesInRuleOrder) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: any-cart
    priority: 1
    on: cart.*
    then: [{tag: [any]}]
  - name: updated
    priority: 2
    on: cart.updated
    then: [{tag: [updated]}]
  - name: both
    on: [cart.updated, cart.*]
    then: [{tag: [both]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("cart.updated", "10:00:00", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(),
              ElementsAre("10:00:00 a updated tag cart.updated",
                          "10:00:00 a any-cart tag cart.updated",
                          "10:00:00 a both tag cart.updated"));
  ASSERT_TRUE(engine->Process(Ev("cart.cleared", "10:00:01", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(),
              ElementsAre("10:00:01 a any-cart tag cart.cleared",
                          "10:00:01 a both tag cart.cleared"));
  // "cart." itself does not match the prefix; other types match nothing.
  ASSERT_TRUE(
      engine->Process(Ev("cartx.updated", "10:00:02", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), IsEmpty());
}

TEST(EngineTest, ConditionsSeeTheSessionAsItWasSetValuesSeeEarlierActions) {
  auto engine = MakeEngine(R"y(
ruleset: t
session:
  fields:
    n: int = 0
    m: int = 0
rules:
  - name: bump
    priority: 10
    on: x
    then:
      - set: {n: "session.n + 1"}
      - set: {m: "session.n * 10"}
  - name: check
    priority: 5
    on: x
    if: session.n == 0
    then: [{tag: [saw_zero]}]
  - name: next
    on: y
    if: [session.n == 1, session.m == 10]
    then: [{tag: [saw_one]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:00 a check tag x"));
  ASSERT_TRUE(engine->Process(Ev("y", "10:00:01", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:01 a next tag y"));
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:02", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), IsEmpty());  // n is 1 now
  // Sessions are separate.
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:03", "b"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:03 b check tag x"));
}

TEST(EngineTest, SessionBuiltinsAndFieldsWithoutDefault) {
  auto engine = MakeEngine(R"y(
ruleset: t
session:
  key: visitor
  fields:
    note: string
rules:
  - name: first
    on: x
    if: session.events == 1 && session.id == 'v1' && session.channel == 'web' && session.started == now
    then:
      - tag: [first]
      - set: {note: "'seen ' + session.id"}
  - name: absent
    on: x
    if: "!has(session.note)"
    then: [{tag: [no_note]}]
  - name: later
    on: y
    if: session.note == 'seen v1' && session.events == 2 && session.last_seen == event.time && session.channel == 'web'
    then: [{tag: [later]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  Event x = Ev("x", "10:00:00", "v1", "visitor");
  x.SetString("channel", "web");
  ASSERT_TRUE(engine->Process(x, &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:00 v1 first tag x",
                                            "10:00:00 v1 absent tag x"));
  // No channel on this event: session.channel keeps the last one seen.
  ASSERT_TRUE(
      engine->Process(Ev("y", "10:00:05", "v1", "visitor"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:05 v1 later tag y"));
}

TEST(EngineTest, EmitQueuesDerivedEventsInOrderAfterTheTrigger) {
  auto engine = MakeEngine(R"y(
ruleset: t
event:
  v: int
rules:
  - name: a
    priority: 5
    on: x
    then:
      - emit: {type: derived.one, v: "41 + 1"}
      - emit: {type: derived.two}
      - tag: [a]
  - name: a2
    on: x
    then: [{tag: [a2]}]
  - name: b
    on: derived.one
    if: event.v == 42 && session.events == 1 && event.channel == 'chat' && event.conversation == 'c'
    then:
      - tag: [b]
      - emit: {type: derived.three}
  - name: c
    on: derived.two
    then: [{tag: [c]}]
  - name: d
    on: derived.three
    then: [{tag: [d]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  Event x = Ev("x", "10:00:00", "c");
  x.SetString("channel", "chat");
  ASSERT_TRUE(engine->Process(x, &sink).ok());
  EXPECT_THAT(sink.TakeLines(),
              ElementsAre("10:00:00 c a tag x", "10:00:00 c a2 tag x",
                          "10:00:00 c b tag derived.one",
                          "10:00:00 c c tag derived.two",
                          "10:00:00 c d tag derived.three"));
  EXPECT_EQ(engine->stats().events, 1);
  EXPECT_EQ(engine->stats().derived_events, 3);
}

TEST(EngineTest, EmitDoesNotReArmIdleNorCountAsActivity) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: quiet
    on: {idle: 1m}
    then:
      - tag: [quiet]
      - emit: {type: ping}
  - name: pong
    on: ping
    if: session.events == 1 && session.last_seen == timestamp('2026-11-23T10:00:00Z')
    then: [{tag: [pong]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "a"), &sink).ok());
  engine->AdvanceTo(T("10:10:00"), &sink);
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:01:00 a quiet tag idle",
                                            "10:01:00 a pong tag ping"));
  EXPECT_THAT(engine->PendingTimers(), IsEmpty());
}

TEST(EngineTest, RouteHandoffDeflectAreExclusivePerKind) {
  auto engine = MakeEngine(R"y(
ruleset: t
queues:
  sales: {skills: {sales: 1}}
  support: {skills: {support: 2}}
rules:
  - name: r1
    priority: 2
    on: x
    if: "true"
    then:
      - route: {queue: sales, priority: 3, timeout: 90s}
  - name: r2
    priority: 1
    on: x
    then:
      - route: {queue: support}
      - tag: [r2]
      - handoff: {to: bot, reason: r}
  - name: r3
    on: x
    then:
      - handoff: {to: agent}
)y",
                           /*explain=*/true);
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "a"), &sink).ok());
  EXPECT_THAT(sink.Lines(),
              ElementsAre("10:00:00 a r1 route x", "10:00:00 a r2 tag x",
                          "10:00:00 a r2 handoff x"));
  EXPECT_EQ(sink.got[0].Param("queue"), "sales");
  EXPECT_EQ(sink.got[0].Param("priority"), "3");
  EXPECT_EQ(sink.got[0].Param("timeout"), "90s");
  EXPECT_EQ(sink.got[0].Param("skills"), "<absent>");
  EXPECT_EQ(sink.got[2].Param("reason"), "r");
  for (const auto& g : sink.got) {
    ASSERT_TRUE(g.has_explanation);
    ASSERT_EQ(g.explanation.rules.size(), 3u);
    EXPECT_EQ(g.explanation.rules[0].rule, "r1");
    EXPECT_EQ(g.explanation.rules[0].outcome, "ran");
    ASSERT_EQ(g.explanation.rules[0].conditions.size(), 1u);
    EXPECT_EQ(g.explanation.rules[0].conditions[0].value, "true");
    EXPECT_EQ(g.explanation.rules[1].outcome, "overridden");
    EXPECT_THAT(g.explanation.rules[1].detail, HasSubstr("'r1'"));
    EXPECT_EQ(g.explanation.rules[2].outcome, "overridden");
    EXPECT_THAT(g.explanation.rules[2].detail, HasSubstr("'r2'"));
  }
  EXPECT_EQ(engine->stats().rule_runs[2], 1);  // r3 ran, its handoff lost
}

constexpr char kDeflectRules[] = R"y(
ruleset: t
channels:
  whatsapp: {fallback: [sms, email]}
rules:
  - name: d
    priority: 1
    on: call.queued
    then: [{deflect: {to: whatsapp, message: m}}]
  - name: health
    on: call.queued
    if: "!channel_up('whatsapp')"
    then: [{tag: [whatsapp_down]}]
)y";

TEST(EngineTest, DeflectFollowsTheFallbackListWhenTheChannelIsDown) {
  auto engine = MakeEngine(kDeflectRules, /*explain=*/true);
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("call.queued", "10:00:00", "a"), &sink).ok());
  ASSERT_EQ(sink.got.size(), 1u);
  EXPECT_EQ(sink.got[0].Param("to"), "whatsapp");
  EXPECT_EQ(sink.got[0].Param("requested"), "<absent>");
  sink.got.clear();

  Event down("channel.down", T("10:00:01"));
  down.SetString("channel", "whatsapp");
  ASSERT_TRUE(engine->Process(down, &sink).ok());
  EXPECT_THAT(sink.got, IsEmpty());
  ASSERT_TRUE(engine->Process(Ev("call.queued", "10:00:02", "b"), &sink).ok());
  ASSERT_EQ(sink.got.size(), 2u);
  EXPECT_EQ(sink.got[0].action, "deflect");
  EXPECT_EQ(sink.got[0].Param("to"), "sms");
  EXPECT_EQ(sink.got[0].Param("message"), "m");
  EXPECT_EQ(sink.got[0].Param("requested"), "whatsapp");
  EXPECT_EQ(sink.got[0].Param("reason"), "channel_down");
  EXPECT_EQ(sink.got[1].rule, "health");
  sink.got.clear();

  // Every channel of the list down: no deflect, counted and explained.
  for (const char* c : {"sms", "email"}) {
    Event d("channel.down", T("10:00:03"));
    d.SetString("channel", c);
    ASSERT_TRUE(engine->Process(d, &sink).ok());
  }
  ASSERT_TRUE(engine->Process(Ev("call.queued", "10:00:04", "c"), &sink).ok());
  ASSERT_EQ(sink.got.size(), 1u);
  EXPECT_EQ(sink.got[0].rule, "health");
  ASSERT_EQ(sink.got[0].explanation.notes.size(), 1u);
  EXPECT_THAT(sink.got[0].explanation.notes[0], HasSubstr("no deflect"));
  EXPECT_EQ(engine->stats().deflects_without_channel, 1);
  sink.got.clear();

  // Back up: the asked channel again.
  Event up("channel.up", T("10:00:05"));
  up.SetString("channel", "whatsapp");
  ASSERT_TRUE(engine->Process(up, &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("call.queued", "10:00:06", "d"), &sink).ok());
  ASSERT_EQ(sink.got.size(), 1u);
  EXPECT_EQ(sink.got[0].Param("to"), "whatsapp");
  // Global events make no session.
  EXPECT_EQ(engine->session_count(), 4);
}

TEST(EngineTest, LateEventIsProcessedAtTheClock) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: late
    on: y
    if: event.time == timestamp('2026-11-23T10:00:00Z') && now == timestamp('2026-11-23T10:05:00Z')
    then: [{tag: [late]}]
  - name: quiet
    on: {idle: 1m}
    then: [{tag: [quiet]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:05:00", "a"), &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("y", "10:00:00", "b"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:05:00 b late tag y"));
  EXPECT_EQ(engine->stats().late_events, 1);
  EXPECT_EQ(engine->now(), T("10:05:00"));
  // The late event armed its idle timer from the clock.
  engine->AdvanceTo(T("10:30:00"), &sink);
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:06:00 a quiet tag idle",
                                            "10:06:00 b quiet tag idle"));
}

TEST(EngineTest, CheckEventGivesProcesssErrorAndChangesNothing) {
  auto engine = MakeEngine(R"y(
ruleset: t
event:
  n: int
rules:
  - name: quiet
    on: {idle: 30s}
    then: [{tag: [quiet]}]
  - name: r
    on: x
    if: event.n > 1
    then: [{tag: [r]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  Event first = Ev("x", "10:00:00", "a");
  first.SetInt("n", 2);
  ASSERT_TRUE(engine->Process(first, &sink).ok());
  const size_t decisions = sink.got.size();
  Event bad = Ev("x", "10:05:00", "b");
  bad.SetString("n", "seven");
  Event no_channel = Ev("channel.down", "10:05:00");
  Event good = Ev("x", "10:05:00", "c");
  good.SetInt("n", 3);
  const std::vector<const Event*> events = {&bad, &no_channel, &good};
  std::vector<absl::Status> checked;
  for (const Event* e : events) checked.push_back(engine->CheckEvent(*e));
  // Checking changed nothing: no clock moved, no timer fired.
  EXPECT_EQ(engine->now(), T("10:00:00"));
  EXPECT_EQ(sink.got.size(), decisions);
  EXPECT_EQ(engine->session_count(), 1);
  EXPECT_EQ(engine->stats().events, 1);
  EXPECT_EQ(engine->stats().rejected_events, 0);
  EXPECT_FALSE(checked[0].ok());
  EXPECT_FALSE(checked[1].ok());
  EXPECT_TRUE(checked[2].ok());
  // The same answers as Process; the refused events moved no clock.
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(engine->Process(*events[i], &sink), checked[i]) << i;
    if (i < 2) {
      EXPECT_EQ(engine->now(), T("10:00:00"));
    }
  }
  EXPECT_EQ(engine->now(), T("10:05:00"));
  EXPECT_GT(sink.got.size(), decisions + 1);  // a's idle timer, then c's r
}

TEST(EngineTest, RejectsEventsWithoutKeyOrWithWrongTypes) {
  auto engine = MakeEngine(R"y(
ruleset: t
event:
  n: int
  score: double
  wait: duration
rules:
  - name: r
    on: x
    if: event.score > 1.5 && event.wait == duration('90s')
    then: [{tag: [r]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  absl::Status no_key = engine->Process(Ev("x", "10:00:00"), &sink);
  EXPECT_THAT(no_key, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(no_key.message(), HasSubstr("conversation"));

  Event bad = Ev("x", "10:00:00", "a");
  bad.SetString("n", "seven");
  absl::Status wrong = engine->Process(bad, &sink);
  EXPECT_THAT(wrong, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(wrong.message(), HasSubstr("'n'"));
  EXPECT_EQ(engine->stats().rejected_events, 2);
  EXPECT_EQ(engine->stats().events, 0);
  EXPECT_EQ(engine->session_count(), 0);
  EXPECT_EQ(engine->now(), absl::InfinitePast());

  Event e = Ev("", "10:00:00", "a");
  EXPECT_THAT(engine->Process(e, &sink),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // An int is accepted for a double; a duration string parses; undeclared
  // attributes are ignored.
  Event good = Ev("x", "10:00:01", "a");
  good.SetInt("score", 2);
  good.SetString("wait", "90s");
  good.SetBool("whatever", true);
  ASSERT_TRUE(engine->Process(good, &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:01 a r tag x"));
}

TEST(EngineTest, EvaluationErrorsAreCountedAndTheRuleDoesNotRun) {
  auto engine = MakeEngine(R"y(
ruleset: t
session:
  fields:
    n: int = 5
event:
  intent: string
  zero: int
rules:
  - name: needs-intent
    on: x
    if: event.intent == 'buy'
    then: [{tag: [buy]}]
  - name: divides
    on: x
    then:
      - set: {n: "session.n / event.zero"}
      - tag: [divides]
  - name: check
    on: y
    if: session.n == 5
    then: [{tag: [unchanged]}]
)y",
                           /*explain=*/true);
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  Event x = Ev("x", "10:00:00", "a");
  x.SetInt("zero", 0);
  ASSERT_TRUE(engine->Process(x, &sink).ok());
  EXPECT_THAT(sink.Lines(), ElementsAre("10:00:00 a divides tag x"));
  ASSERT_EQ(sink.got[0].explanation.rules.size(), 2u);
  EXPECT_EQ(sink.got[0].explanation.rules[0].outcome, "error");
  EXPECT_THAT(sink.got[0].explanation.rules[0].conditions[0].value,
              HasSubstr("error"));
  EXPECT_EQ(engine->stats().rule_errors[0], 1);
  EXPECT_EQ(engine->stats().rule_errors[1], 1);
  EXPECT_EQ(engine->stats().rule_runs[0], 0);
  EXPECT_EQ(engine->stats().rule_runs[1], 1);
  sink.got.clear();
  ASSERT_TRUE(engine->Process(Ev("y", "10:00:01", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:01 a check tag y"));
}

TEST(EngineTest, OpenUsesTheCalendarAtNowOrAtAGivenTime) {
  auto engine = MakeEngine(R"y(
ruleset: t
calendars:
  office:
    timezone: UTC
    weekly:
      mon-fri: ["09:00-17:00"]
rules:
  - name: open-now
    on: x
    if: open('office')
    then: [{tag: [open]}]
  - name: open-at
    on: x
    if: open('office', timestamp('2026-11-22T10:00:00Z'))
    then: [{tag: [sunday]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:00 a open-now tag x"));
  ASSERT_TRUE(engine->Process(Ev("x", "18:00:00", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), IsEmpty());
}

TEST(EngineTest, QueueStatsAreZeroUntilSkillRouting) {
  auto engine = MakeEngine(R"y(
ruleset: t
queues:
  sales: {skills: {sales: 1}}
rules:
  - name: q
    on: x
    if: queue('sales').waiting == 0 && queue('sales').estimated_wait == duration('0s')
    then: [{tag: [q]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:00 a q tag x"));
}

TEST(EngineTest, DisabledRulesNeverRun) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: off
    enabled: false
    on: x
    then: [{tag: [off]}]
  - name: off-timer
    enabled: false
    on: {idle: 1m}
    then: [{tag: [off]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "a"), &sink).ok());
  engine->AdvanceTo(T("11:00:00"), &sink);
  EXPECT_THAT(sink.got, IsEmpty());
}

TEST(EngineTest, StatsCountDecisionsByRuleAndAction) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: r
    on: x
    then:
      - tag: [a]
      - offer: {channel: chat, message: hi}
      - callback: {within: 2h}
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "a"), &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:01", "b"), &sink).ok());
  EXPECT_EQ(sink.got[1].Param("channel"), "chat");
  EXPECT_EQ(sink.got[2].Param("within"), "7200s");
  const EngineStats& stats = engine->stats();
  EXPECT_EQ(stats.decisions, 6);
  ASSERT_EQ(stats.decisions_by_rule_action.size(), 3u);
  EXPECT_EQ(stats.decisions_by_rule_action[0].first.first, "r");
  EXPECT_EQ(stats.decisions_by_rule_action[0].second, 2);
  EXPECT_EQ(stats.rule_runs[0], 2);
  // The documented order (engine.h): rule order, then route, handoff,
  // deflect, offer, callback, tag, set, emit, assign; not the rule's.
  std::vector<std::string> actions;
  for (const auto& [key, n] : stats.decisions_by_rule_action) {
    actions.push_back(key.second);
  }
  EXPECT_THAT(actions, ElementsAre("offer", "callback", "tag"));
}

}  // namespace
}  // namespace switchboard

namespace switchboard {
namespace {

using ::switchboard::testing::CollectingSink;
using ::switchboard::testing::Ev;
using ::switchboard::testing::MakeEngine;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// docs/rule-language.md: "An action whose expression fails is skipped": a `set`
// whose second value fails leaves the first field unchanged too.
TEST(EngineTest, SetIsSkippedWholeWhenOneValueFails) {
  auto engine = MakeEngine(R"y(
ruleset: t
session:
  fields:
    a: int = 0
    b: int = 0
event:
  n: int
rules:
  - name: setter
    on: x.set
    then:
      - set: {a: 1, b: "event.n"}
  - name: report
    on: x.ask
    if: session.a == 1
    then: [{tag: [a_set]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x.set", "10:00:00", "c"), &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("x.ask", "10:00:01", "c"), &sink).ok());
  EXPECT_THAT(sink.Lines(), IsEmpty());
  EXPECT_EQ(engine->stats().rule_errors[0], 1);

  Event with_n = Ev("x.set", "10:00:02", "c");
  with_n.SetInt("n", 7);
  ASSERT_TRUE(engine->Process(with_n, &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("x.ask", "10:00:03", "c"), &sink).ok());
  EXPECT_THAT(sink.Lines(), ElementsAre("10:00:03 c report tag x.ask"));
}

}  // namespace
}  // namespace switchboard

namespace switchboard {
namespace {

// Process types an event's strings as views of the caller's Event (no
// copy); what a session keeps for its timers (the last event, an `after`
// timer's `since` event) must own its strings. Here the caller refills ONE
// Event object, as a reader does, so a kept view would read the later
// event's bytes (or freed memory under ASan).
TEST(EngineTest, TimersSeeTheirEventsAfterTheCallersEventIsReused) {
  auto engine = MakeEngine(R"y(
ruleset: t
event:
  intent: string
rules:
  - name: quiet
    on: {idle: 1m}
    if: event.intent == 'sales-and-a-long-enough-intent-to-leave-sso'
    then: [{tag: [quiet]}]
  - name: later
    on: {after: 5m, since: cart.updated}
    if: event.intent == 'cart-intent-long-enough-to-be-on-the-heap'
    then: [{tag: [later]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  Event e = Ev("cart.updated", "10:00:00", "a");
  e.SetString("intent", "cart-intent-long-enough-to-be-on-the-heap");
  ASSERT_TRUE(engine->Process(e, &sink).ok());
  e = Ev("page.viewed", "10:00:30", "a");
  e.SetString("intent", "sales-and-a-long-enough-intent-to-leave-sso");
  ASSERT_TRUE(engine->Process(e, &sink).ok());
  // The caller's Event now says something else, in the same storage.
  e.Reset("other.type", T("10:00:40"));
  e.SetString("conversation", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
  e.SetString("intent", "overwritten-overwritten-overwritten-overwritten");
  engine->AdvanceTo(T("10:10:00"), &sink);
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:01:30 a quiet tag idle",
                                            "10:05:00 a later tag after"));
}

}  // namespace
}  // namespace switchboard
