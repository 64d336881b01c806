// Engine-level tests of skill routing (docs/skill-routing.md):
// agent.* events, `assign` decisions (and their JSON), route.timeout derived
// for the session and taken by a rule, transfers, capacity per channel,
// queue() statistics in a condition, no session expiry while a conversation
// waits or is assigned, explanations and the engine's counters.
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/engine.h"
#include "tests/run/engine_test_util.h"

namespace switchboard {
namespace {

using ::switchboard::testing::CollectingSink;
using ::switchboard::testing::Ev;
using ::switchboard::testing::MakeEngine;
using ::switchboard::testing::T;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kDesk[] = R"y(
ruleset: desk
session:
  expire: 1m
event:
  intent: string
queues:
  billing_de:
    skills: {billing: 2, german: 1}
    channels: [voice, chat, whatsapp]
    relax:
      - {after: 30s, drop: [german]}
  general:
    skills: {}
rules:
  - name: billing
    on: message.received
    if: has(event.intent) && event.intent == 'billing'
    then:
      - route: {queue: billing_de, timeout: 2m}
  - name: general
    on: message.received
    if: has(event.intent) && event.intent == 'other'
    then:
      - route: {queue: general}
  - name: callback-on-timeout
    on: route.timeout
    if: event.queue == 'billing_de' && event.waited == duration('2m')
    then:
      - callback: {within: 1h}
  - name: busy-voice
    on: call.started
    if: queue('general').waiting >= 2 || queue('general').longest_wait > duration('5m')
    then:
      - deflect: {to: whatsapp, message: busy}
)y";

Event Login(std::string_view time, std::string_view agent,
            std::vector<std::pair<std::string, int64_t>> skills,
            std::vector<std::pair<std::string, int64_t>> capacity = {},
            bool ready = true) {
  Event e = Ev("agent.login", time);
  e.SetString("agent", agent);
  e.SetIntMap("skills", std::move(skills));
  if (!capacity.empty()) e.SetIntMap("capacity", std::move(capacity));
  if (!ready) e.SetBool("ready", false);
  return e;
}

Event AgentEv(std::string_view type, std::string_view time,
              std::string_view agent) {
  Event e = Ev(type, time);
  e.SetString("agent", agent);
  return e;
}

Event Msg(std::string_view time, std::string_view conv, std::string_view intent,
          std::string_view channel = "chat") {
  Event e = Ev("message.received", time, conv);
  e.SetString("channel", channel);
  e.SetString("intent", intent);
  return e;
}

TEST(AgentsTest, AssignDecisionMatchesSpecExample) {
  auto engine = MakeEngine(kDesk);
  ASSERT_NE(engine, nullptr);
  std::vector<std::string> json;
  class JsonSink : public DecisionSink {
   public:
    explicit JsonSink(std::vector<std::string>* out) : out_(out) {}
    void OnDecision(const Decision& d) override { out_->push_back(d.ToJson()); }
    std::vector<std::string>* out_;
  } sink(&json);
  ASSERT_TRUE(engine->Process(Msg("10:00:00", "c-9", "billing"), &sink).ok());
  ASSERT_TRUE(
      engine
          ->Process(Login("10:00:42", "a-17", {{"billing", 3}, {"german", 2}}),
                    &sink)
          .ok());
  EXPECT_THAT(
      json,
      ElementsAre(
          R"({"time":"2026-11-23T10:00:00Z","ruleset":"desk","session":"c-9","rule":"billing","action":"route","queue":"billing_de","timeout":"120s","trigger":"message.received"})",
          R"({"time":"2026-11-23T10:00:42Z","ruleset":"desk","session":"c-9","rule":"billing","action":"assign","queue":"billing_de","agent":"a-17","waited":"42s","trigger":"assign"})"));
  EXPECT_EQ(engine->stats().assignments, 1);
  EXPECT_EQ(engine->stats().conversations_assigned, 1);
}

TEST(AgentsTest, AssignmentRunsAfterTheEventThatRoutes) {
  auto engine = MakeEngine(kDesk);
  CollectingSink sink;
  ASSERT_TRUE(
      engine
          ->Process(Login("09:00:00", "a-1", {{"billing", 2}, {"german", 1}}),
                    &sink)
          .ok());
  ASSERT_TRUE(engine->Process(Msg("10:00:00", "c1", "billing"), &sink).ok());
  EXPECT_THAT(sink.Lines(),
              ElementsAre("10:00:00 c1 billing route message.received",
                          "10:00:00 c1 billing assign assign"));
  EXPECT_EQ(sink.got[1].Param("agent"), "a-1");
  EXPECT_EQ(sink.got[1].Param("waited"), "0s");
}

TEST(AgentsTest, RelaxRingAssignsAtItsExactTimeAsATimer) {
  auto engine = MakeEngine(kDesk);
  CollectingSink sink;
  ASSERT_TRUE(
      engine->Process(Login("09:00:00", "a-en", {{"billing", 2}}), &sink).ok());
  ASSERT_TRUE(engine->Process(Msg("10:00:00", "c1", "billing"), &sink).ok());
  sink.got.clear();
  engine->AdvanceTo(T("10:00:29"), &sink);
  EXPECT_TRUE(sink.got.empty());
  engine->AdvanceTo(T("10:05:00"), &sink);
  EXPECT_THAT(sink.Lines(), ElementsAre("10:00:30 c1 billing assign assign"));
  EXPECT_EQ(sink.got[0].Param("waited"), "30s");
}

TEST(AgentsTest, TimeoutDerivesRouteTimeoutForTheSession) {
  auto engine = MakeEngine(kDesk);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Msg("10:00:00", "c1", "billing"), &sink).ok());
  sink.got.clear();
  engine->AdvanceTo(T("10:10:00"), &sink);
  EXPECT_THAT(
      sink.Lines(),
      ElementsAre("10:02:00 c1 callback-on-timeout callback route.timeout"));
  EXPECT_EQ(engine->stats().route_timeouts, 1);
  EXPECT_EQ(engine->stats().derived_events, 1);
  // Nothing waits any more: an agent logging in gets nothing.
  ASSERT_TRUE(
      engine
          ->Process(Login("10:11:00", "a-1", {{"billing", 9}, {"german", 9}}),
                    &sink)
          .ok());
  EXPECT_EQ(engine->stats().assignments, 0);
}

TEST(AgentsTest, TransferLeavesTheAgentAndRestartsWaited) {
  auto engine = MakeEngine(kDesk);
  CollectingSink sink;
  ASSERT_TRUE(
      engine
          ->Process(Login("09:00:00", "a-1", {{"billing", 2}, {"german", 1}},
                          {{"chat", 1}}),
                    &sink)
          .ok());
  ASSERT_TRUE(engine->Process(Msg("10:00:00", "c1", "billing"), &sink).ok());
  ASSERT_TRUE(engine->Process(Msg("10:00:10", "c2", "other"), &sink).ok());
  sink.got.clear();
  // c1 is transferred to general: a-1's chat unit is free for c2 (waiting
  // since 10:00:10), and c1 waits anew; c2 goes first (earlier since).
  ASSERT_TRUE(engine->Process(Msg("10:00:20", "c1", "other"), &sink).ok());
  EXPECT_THAT(sink.Lines(),
              ElementsAre("10:00:20 c1 general route message.received",
                          "10:00:20 c2 general assign assign"));
  ASSERT_TRUE(engine->Process(Login("10:00:50", "a-2", {}), &sink).ok());
  ASSERT_EQ(sink.got.size(), 3u);
  EXPECT_EQ(sink.got[2].session, "c1");
  EXPECT_EQ(sink.got[2].Param("agent"), "a-2");
  EXPECT_EQ(sink.got[2].Param("waited"), "30s");
  EXPECT_EQ(engine->stats().transfers, 1);
}

TEST(AgentsTest, CapacityPerChannelAndEndsOn) {
  auto engine = MakeEngine(kDesk);
  CollectingSink sink;
  ASSERT_TRUE(
      engine
          ->Process(Login("09:00:00", "a-1", {}, {{"chat", 2}, {"voice", 1}}),
                    &sink)
          .ok());
  ASSERT_TRUE(
      engine->Process(Msg("10:00:00", "c1", "other", "chat"), &sink).ok());
  ASSERT_TRUE(
      engine->Process(Msg("10:00:01", "c2", "other", "chat"), &sink).ok());
  ASSERT_TRUE(
      engine->Process(Msg("10:00:02", "c3", "other", "chat"), &sink).ok());
  ASSERT_TRUE(
      engine->Process(Msg("10:00:03", "v1", "other", "voice"), &sink).ok());
  ASSERT_TRUE(
      engine->Process(Msg("10:00:04", "e1", "other", "email"), &sink).ok());
  std::vector<std::string> assigned;
  for (const auto& g : sink.got) {
    if (g.action == "assign") assigned.push_back(g.session);
  }
  EXPECT_THAT(assigned, ElementsAre("c1", "c2", "v1"));
  sink.got.clear();
  // c1 closes (default ends_on): its chat unit goes to c3.
  Event closed = Ev("conversation.closed", "10:01:00", "c1");
  ASSERT_TRUE(engine->Process(closed, &sink).ok());
  EXPECT_THAT(sink.Lines(), ElementsAre("10:01:00 c3 general assign assign"));
  // e1 waits (email: capacity 0). Closing it abandons it.
  ASSERT_TRUE(engine->Process(Ev("call.ended", "10:02:00", "e1"), &sink).ok());
  EXPECT_EQ(engine->stats().conversations_abandoned, 1);
  EXPECT_EQ(engine->stats().conversations_waiting, 0);
}

TEST(AgentsTest, QueueStatsInACondition) {
  auto engine = MakeEngine(kDesk);
  CollectingSink sink;
  auto call = [&](const char* time, const char* conv) {
    Event e = Ev("call.started", time, conv);
    e.SetString("channel", "voice");
    EXPECT_TRUE(engine->Process(e, &sink).ok());
  };
  call("10:00:00", "k0");  // general empty: no deflect
  ASSERT_TRUE(engine->Process(Msg("10:00:01", "c1", "other"), &sink).ok());
  call("10:00:02", "k1");  // 1 waiting, 1s: no deflect
  // 5 minutes later c1 still waits: longest_wait > 5m.
  call("10:05:02", "k2");
  ASSERT_TRUE(engine->Process(Msg("10:05:03", "c2", "other"), &sink).ok());
  call("10:05:04", "k3");  // 2 waiting
  std::vector<std::string> deflected;
  for (const auto& g : sink.got) {
    if (g.action == "deflect") deflected.push_back(g.session);
  }
  EXPECT_THAT(deflected, ElementsAre("k2", "k3"));
}

TEST(AgentsTest, WaitingOrAssignedSessionsDoNotExpire) {
  auto engine = MakeEngine(kDesk);  // expire: 1m
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Msg("10:00:00", "c1", "other"), &sink).ok());
  ASSERT_TRUE(engine->Process(Msg("10:00:00", "c2", "nothing"), &sink).ok());
  engine->AdvanceTo(T("11:00:00"), &sink);
  EXPECT_EQ(engine->session_count(), 1);  // c2 expired, c1 waits
  ASSERT_TRUE(engine->Process(Login("11:00:00", "a-1", {}), &sink).ok());
  EXPECT_EQ(sink.got.back().Line(), "11:00:00 c1 general assign assign");
  EXPECT_EQ(sink.got.back().Param("waited"), "3600s");
  engine->AdvanceTo(T("12:00:00"), &sink);
  EXPECT_EQ(engine->session_count(), 1);  // assigned: still there
  ASSERT_TRUE(
      engine->Process(Ev("conversation.closed", "12:00:00", "c1"), &sink).ok());
  engine->AdvanceTo(T("12:02:00"), &sink);
  EXPECT_EQ(engine->session_count(), 0);  // expires after its conversation
  EXPECT_EQ(engine->stats().sessions_expired, 2);
}

TEST(AgentsTest, AgentEventsAndReadiness) {
  auto engine = MakeEngine(kDesk);
  CollectingSink sink;
  ASSERT_TRUE(
      engine->Process(Login("09:00:00", "a-1", {}, {}, /*ready=*/false), &sink)
          .ok());
  ASSERT_TRUE(engine->Process(Msg("10:00:00", "c1", "other"), &sink).ok());
  EXPECT_EQ(engine->stats().assignments, 0);
  ASSERT_TRUE(
      engine->Process(AgentEv("agent.ready", "10:00:05", "a-1"), &sink).ok());
  EXPECT_EQ(engine->stats().assignments, 1);
  ASSERT_TRUE(
      engine->Process(AgentEv("agent.not_ready", "10:00:06", "a-1"), &sink)
          .ok());
  ASSERT_TRUE(
      engine->Process(Msg("10:00:07", "c2", "other", "voice"), &sink).ok());
  EXPECT_EQ(engine->stats().assignments, 1);
  Event skills = AgentEv("agent.skills", "10:00:08", "a-2");  // unknown
  ASSERT_TRUE(engine->Process(skills, &sink).ok());
  ASSERT_TRUE(
      engine->Process(Ev("agent.login", "10:00:09"), &sink).ok());  // no agent
  EXPECT_EQ(engine->stats().agent_events_ignored, 2);
  ASSERT_TRUE(
      engine->Process(AgentEv("agent.logout", "10:00:10", "a-1"), &sink).ok());
  EXPECT_EQ(engine->stats().conversations_assigned, 1);  // kept
}

TEST(AgentsTest, ExplainOnAssign) {
  auto engine = MakeEngine(kDesk, /*explain=*/true);
  CollectingSink sink;
  ASSERT_TRUE(
      engine->Process(Login("09:00:00", "a-en", {{"billing", 5}}), &sink).ok());
  ASSERT_TRUE(engine
                  ->Process(Login("09:00:00", "a-off",
                                  {{"billing", 5}, {"german", 5}}, {}, false),
                            &sink)
                  .ok());
  ASSERT_TRUE(engine->Process(Msg("10:00:00", "c1", "billing"), &sink).ok());
  engine->AdvanceTo(T("10:01:00"), &sink);
  ASSERT_EQ(sink.got.back().action, "assign");
  ASSERT_TRUE(sink.got.back().has_explanation);
  const std::string notes =
      absl::StrJoin(sink.got.back().explanation.notes, "\n");
  EXPECT_THAT(notes, HasSubstr("relax step 1 (after 30s: drop german)"));
  EXPECT_THAT(notes, HasSubstr("eligible (best first): a-en"));
  EXPECT_THAT(notes, HasSubstr("a-off (not ready)"));
}

TEST(AgentsTest, SnapshotKeepsAgentsAndQueues) {
  auto engine = MakeEngine(kDesk);
  CollectingSink sink;
  ASSERT_TRUE(
      engine->Process(Login("09:00:00", "a-1", {}, {{"chat", 1}}), &sink).ok());
  ASSERT_TRUE(engine->Process(Msg("10:00:00", "c1", "other"), &sink).ok());
  ASSERT_TRUE(engine->Process(Msg("10:00:10", "c2", "other"), &sink).ok());
  absl::StatusOr<std::string> snap = engine->Snapshot();
  ASSERT_TRUE(snap.ok()) << snap.status();
  auto other = MakeEngine(kDesk);
  ASSERT_TRUE(other->Restore(*snap).ok());
  for (Engine* e : {engine.get(), other.get()}) {
    CollectingSink s;
    ASSERT_TRUE(
        e->Process(Ev("conversation.closed", "10:01:00", "c1"), &s).ok());
    EXPECT_THAT(s.Lines(), ElementsAre("10:01:00 c2 general assign assign"));
    EXPECT_EQ(s.got[0].Param("waited"), "50s");
  }
}

}  // namespace
}  // namespace switchboard
