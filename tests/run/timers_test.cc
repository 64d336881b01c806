// Tests of the engine's timers: idle re-arm, after/since/unless, ordering of
// timers due together, one trigger per Trigger::key, AdvanceTo, pending
// timers, session expiry; and the TimerHeap itself.
#include "engine/run/timers.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/engine.h"
#include "tests/run/engine_test_util.h"

namespace switchboard {
namespace {

using ::switchboard::testing::CollectingSink;
using ::switchboard::testing::Ev;
using ::switchboard::testing::MakeEngine;
using ::switchboard::testing::MustLoad;
using ::switchboard::testing::T;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(TimerHeapTest, PopsByDeadline) {
  run::TimerHeap heap;
  for (int s : {5, 1, 4, 2, 3}) {
    heap.Push({absl::FromUnixSeconds(s), static_cast<uint32_t>(s), 0, 0, 0});
  }
  std::vector<uint32_t> order;
  while (!heap.empty()) order.push_back(heap.Pop().session);
  EXPECT_THAT(order, ElementsAre(1, 2, 3, 4, 5));
}

TEST(TimerTest, IdleReArmsOnEveryCustomerEvent) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: quiet
    on: {idle: 90s}
    if: event.type == 'page.view'
    then: [{tag: [quiet]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("cart.updated", "10:00:00", "a"), &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("page.view", "10:01:00", "a"), &sink).ok());
  ASSERT_EQ(engine->PendingTimers().size(), 1u);
  EXPECT_EQ(engine->PendingTimers()[0].deadline, T("10:02:30"));
  EXPECT_EQ(engine->PendingTimers()[0].rule, "quiet");
  EXPECT_EQ(engine->PendingTimers()[0].trigger, "idle");
  engine->AdvanceTo(T("10:02:29"), &sink);
  EXPECT_THAT(sink.got, IsEmpty());
  EXPECT_EQ(engine->now(), T("10:02:29"));
  // `event` of an idle trigger is the session's last event.
  engine->AdvanceTo(T("10:10:00"), &sink);
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:02:30 a quiet tag idle"));
  EXPECT_EQ(engine->stats().timers_fired, 1);
  // Once per quiet spell.
  engine->AdvanceTo(T("11:00:00"), &sink);
  EXPECT_THAT(sink.got, IsEmpty());
  // AdvanceTo an earlier time is a no-op.
  engine->AdvanceTo(T("10:00:00"), &sink);
  EXPECT_EQ(engine->now(), T("11:00:00"));
}

TEST(TimerTest, ManyReArmsKeepOneTimer) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: quiet
    on: {idle: 1m}
    then: [{tag: [quiet]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  absl::Time t = T("10:00:00");
  for (int i = 0; i < 1000; ++i) {
    Event e("x", t + absl::Seconds(i));
    e.SetString("conversation", "a");
    ASSERT_TRUE(engine->Process(e, &sink).ok());
  }
  EXPECT_THAT(sink.got, IsEmpty());
  engine->AdvanceTo(T("12:00:00"), &sink);
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:17:39 a quiet tag idle"));
}

constexpr char kAfterRules[] = R"y(
ruleset: t
event:
  n: int
rules:
  - name: no-answer
    on: {after: 3m, since: call.queued, unless: [call.answered, call.ended]}
    if: event.type == 'call.queued' && event.n == session.events
    then: [{offer: {channel: sms, message: m}}]
)y";

Event Queued(std::string_view time, std::string_view key, int n) {
  Event e = Ev("call.queued", time, key);
  e.SetInt("n", n);
  return e;
}

TEST(TimerTest, AfterFiresUnlessCancelled) {
  auto engine = MakeEngine(kAfterRules);
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Queued("10:00:00", "a", 1), &sink).ok());
  ASSERT_TRUE(engine->Process(Queued("10:00:00", "b", 1), &sink).ok());
  ASSERT_TRUE(
      engine->Process(Ev("call.answered", "10:01:00", "b"), &sink).ok());
  engine->AdvanceTo(T("10:10:00"), &sink);
  // `event` of an after trigger is the since event.
  EXPECT_THAT(sink.TakeLines(),
              ElementsAre("10:03:00 a no-answer offer after"));
  EXPECT_THAT(engine->PendingTimers(), IsEmpty());
}

TEST(TimerTest, ALaterSinceEventRestartsTheWait) {
  auto engine = MakeEngine(kAfterRules);
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Queued("10:00:00", "a", 1), &sink).ok());
  ASSERT_TRUE(engine->Process(Queued("10:02:00", "a", 2), &sink).ok());
  ASSERT_EQ(engine->PendingTimers().size(), 1u);
  engine->AdvanceTo(T("10:10:00"), &sink);
  EXPECT_THAT(sink.TakeLines(),
              ElementsAre("10:05:00 a no-answer offer after"));
}

TEST(TimerTest, TimerWinsOverAnUnlessEventOfTheSameInstant) {
  auto engine = MakeEngine(kAfterRules);
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Queued("10:00:00", "a", 1), &sink).ok());
  ASSERT_TRUE(
      engine->Process(Ev("call.answered", "10:03:00", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(),
              ElementsAre("10:03:00 a no-answer offer after"));
  // One nanosecond earlier the unless event cancels it.
  ASSERT_TRUE(engine->Process(Queued("10:04:00", "b", 1), &sink).ok());
  Event answered("call.answered", T("10:07:00") - absl::Nanoseconds(1));
  answered.SetString("conversation", "b");
  ASSERT_TRUE(engine->Process(answered, &sink).ok());
  engine->AdvanceTo(T("10:30:00"), &sink);
  EXPECT_THAT(sink.got, IsEmpty());
}

TEST(TimerTest, DerivedEventsMatchSinceAndUnless) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: start
    on: go
    then: [{emit: {type: wait.started}}]
  - name: stop
    on: halt
    then: [{emit: {type: wait.stopped}}]
  - name: waited
    on: {after: 1m, since: wait.started, unless: [wait.stopped]}
    then: [{tag: [waited]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("go", "10:00:00", "a"), &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("go", "10:00:00", "b"), &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("halt", "10:00:30", "b"), &sink).ok());
  engine->AdvanceTo(T("10:05:00"), &sink);
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:01:00 a waited tag after"));
}

TEST(TimerTest, TimersDueTogetherFireBySessionIdThenRuleOrder) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: idle-short
    on: {idle: 30s}
    then: [{tag: [s]}]
  - name: idle-long
    priority: 1
    on: {idle: 1m}
    then: [{tag: [l]}]
  - name: after-x
    priority: 5
    on: {after: 1m, since: x}
    then: [{tag: [x]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "b"), &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "a"), &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "ab"), &sink).ok());
  auto pending = engine->PendingTimers();
  ASSERT_EQ(pending.size(), 9u);
  EXPECT_EQ(pending[0].session, "a");
  EXPECT_EQ(pending[0].rule, "idle-short");
  EXPECT_EQ(pending[3].session, "a");
  EXPECT_EQ(pending[3].rule, "after-x");
  EXPECT_EQ(pending[4].rule, "idle-long");
  engine->AdvanceTo(T("10:05:00"), &sink);
  EXPECT_THAT(
      sink.TakeLines(),
      ElementsAre(
          "10:00:30 a idle-short tag idle", "10:00:30 ab idle-short tag idle",
          "10:00:30 b idle-short tag idle", "10:01:00 a after-x tag after",
          "10:01:00 a idle-long tag idle", "10:01:00 ab after-x tag after",
          "10:01:00 ab idle-long tag idle", "10:01:00 b after-x tag after",
          "10:01:00 b idle-long tag idle"));
}

TEST(TimerTest, SameKeyTimersFormOneTriggerWithFinalAndExclusivity) {
  auto engine = MakeEngine(R"y(
ruleset: t
queues:
  sales: {skills: {sales: 1}}
  support: {skills: {support: 1}}
session:
  fields:
    vip: bool = false
rules:
  - name: mark
    on: x
    if: has(event.channel)
    then: [{set: {vip: true}}]
  - name: vip-quiet
    priority: 10
    on: {idle: 1m}
    if: session.vip
    final: true
    then: [{tag: [vip]}]
  - name: route-a
    priority: 5
    on: {idle: 60s}
    then: [{route: {queue: sales}}]
  - name: route-b
    on: {idle: 1m}
    then:
      - route: {queue: support}
      - tag: [b]
)y",
                           /*explain=*/true);
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  Event vip = Ev("x", "10:00:00", "v");
  vip.SetString("channel", "chat");
  ASSERT_TRUE(engine->Process(vip, &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "w"), &sink).ok());
  engine->AdvanceTo(T("10:05:00"), &sink);
  EXPECT_THAT(sink.Lines(), ElementsAre("10:01:00 v vip-quiet tag idle",
                                        "10:01:00 w route-a route idle",
                                        "10:01:00 w route-b tag idle"));
  ASSERT_EQ(sink.got[0].explanation.rules.size(), 3u);
  EXPECT_EQ(sink.got[0].explanation.rules[1].outcome, "after_final");
  EXPECT_EQ(sink.got[2].explanation.rules[2].outcome, "overridden");
  EXPECT_EQ(engine->stats().timers_fired, 2);
}

TEST(TimerTest, IdleSessionsExpire) {
  auto engine = MakeEngine(R"y(
ruleset: t
session:
  expire: 1h
  fields:
    n: int = 0
rules:
  - name: count
    on: x
    then: [{set: {n: "session.n + 1"}}]
  - name: second
    on: x
    if: session.n == 1
    then: [{tag: [second]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "a"), &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("x", "10:30:00", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:30:00 a second tag x"));
  engine->AdvanceTo(T("11:29:59"), &sink);
  EXPECT_EQ(engine->session_count(), 1);
  engine->AdvanceTo(T("11:30:00"), &sink);
  EXPECT_EQ(engine->session_count(), 0);
  EXPECT_EQ(engine->stats().sessions_expired, 1);
  // A new session starts from the defaults.
  ASSERT_TRUE(engine->Process(Ev("x", "12:00:00", "a"), &sink).ok());
  EXPECT_THAT(sink.got, IsEmpty());
  EXPECT_EQ(engine->stats().sessions_created, 2);
}

TEST(TimerTest, SessionsWithPendingTimersDoNotExpire) {
  auto engine = MakeEngine(R"y(
ruleset: t
session:
  expire: 1h
rules:
  - name: late-reminder
    on: {after: 2h, since: x}
    if: session.events == 1
    then: [{tag: [reminder]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "a"), &sink).ok());
  engine->AdvanceTo(T("11:30:00"), &sink);
  EXPECT_EQ(engine->session_count(), 1);
  engine->AdvanceTo(T("12:00:00"), &sink);
  EXPECT_THAT(sink.TakeLines(),
              ElementsAre("12:00:00 a late-reminder tag after"));
  EXPECT_EQ(engine->session_count(), 0);
  EXPECT_EQ(engine->stats().sessions_expired, 1);
}

TEST(TimerTest, ProcessFiresDueTimersBeforeTheEvent) {
  auto engine = MakeEngine(R"y(
ruleset: t
rules:
  - name: quiet
    on: {idle: 1m}
    then: [{tag: [quiet]}]
  - name: seen
    on: y
    then: [{tag: [seen]}]
)y");
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "b"), &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("y", "10:01:00", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:01:00 b quiet tag idle",
                                            "10:01:00 a seen tag y"));
}

TEST(TimerTest, EmitChainsAreCapped) {
  // Each level emits two events of the next: 2 + 4 + ... + 1024 = 2046
  // derived events, past the cap of 1,000 per trigger. The 1,000 processed
  // ones (all of levels 1-9 but 22) queued 2 + 2 * 1000 events: 1,002 are
  // dropped unprocessed (and the ones they would have emitted never exist).
  std::string yaml = "ruleset: t\nrules:\n";
  for (int level = 0; level < 10; ++level) {
    const std::string on = level == 0 ? "x" : "e" + std::to_string(level);
    const std::string next = "e" + std::to_string(level + 1);
    yaml += "  - name: r" + std::to_string(level) + "\n    on: " + on +
            "\n    then:\n      - emit: {type: " + next +
            "}\n      - emit: {type: " + next + "}\n";
  }
  auto engine = MakeEngine(yaml);
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "a"), &sink).ok());
  EXPECT_EQ(engine->stats().derived_events, 1000);
  EXPECT_EQ(engine->stats().derived_events_dropped, 1002);
  // The next input starts a fresh chain.
  ASSERT_TRUE(engine->Process(Ev("e10", "10:00:01", "a"), &sink).ok());
  EXPECT_EQ(engine->stats().derived_events, 1000);
  EXPECT_EQ(engine->stats().events, 2);
}

}  // namespace
}  // namespace switchboard
