// Unit tests of the Assigner (engine/route/assigner.h), one or more per rule
// of docs/skill-routing.md: conversation order (priority, waiting since,
// session id), agent order (fewest active, available longest, agent id), skills
// and levels, capacity per channel, readiness, relax rings at their exact time,
// timeouts (after relax and assignment of the same instant), transfers,
// ends_on, unassignable conversations, queue statistics and the estimator,
// explanations, snapshot state and reload.
#include "engine/route/assigner.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/common/snapshot_codec.h"
#include "engine/common/time_util.h"
#include "engine/plan/ruleset_access.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/run/engine_test_util.h"

namespace switchboard {
namespace {

using ::switchboard::check::CheckedRuleset;
using ::switchboard::check::RouteAction;

using ::switchboard::route::QueueStats;
using ::switchboard::route::RouteTimeout;

using ::switchboard::route::Assigner;
using ::switchboard::route::Assignment;

using ::switchboard::testing::MustLoad;
using ::switchboard::testing::T;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using IntMap = Assigner::IntMap;

constexpr char kRules[] = R"y(
ruleset: desk
queues:
  billing_de:
    skills: {billing: 2, german: 1}
    channels: [voice, chat, whatsapp]
    ends_on: [conversation.closed]
    relax:
      - {after: 30s, drop: [german]}
      - {after: 90s, skills: {billing: 1}}
  general:
    skills: {}
    handle_time: 4m
  tech:
    skills: {technical: 3}
    channels: [chat]
rules:
  - name: billing
    on: b
    then: [{route: {queue: billing_de, timeout: 2m}}]
  - name: billing-vip
    on: v
    then: [{route: {queue: billing_de, priority: 5, timeout: 90s}}]
  - name: general
    on: g
    then: [{route: {queue: general}}]
  - name: tech
    on: t
    then: [{route: {queue: tech, timeout: 60s}}]
)y";

class AssignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ruleset_ = MustLoad(kRules);
    ASSERT_NE(ruleset_, nullptr);
    rs_ = &plan::RulesetAccess::Checked(*ruleset_);
    assigner_ = std::make_unique<Assigner>(*rs_);
  }
  const RouteAction& Route(std::string_view rule) const {
    return std::get<RouteAction>(
        rs_->rules[rs_->FindRule(rule)].actions[0].detail);
  }
  void Login(const std::string& agent, IntMap skills,
             std::optional<IntMap> capacity, absl::Time now,
             bool ready = true) {
    assigner_->Login(agent, &skills,
                     capacity.has_value() ? &*capacity : nullptr, ready, now);
  }
  void Route(const std::string& session, std::string_view rule,
             std::optional<std::string_view> channel, absl::Time now) {
    assigner_->Enqueue(session, 0, rule, Route(rule), channel, now);
  }
  // "session->agent waited" per assignment at `now`.
  std::vector<std::string> Assign(absl::Time now) {
    std::vector<Assignment> out;
    assigner_->Assign(now, false, &out);
    std::vector<std::string> lines;
    for (const Assignment& a : out) {
      lines.push_back(absl::StrCat(std::string(a.session), "->",
                                   std::string(a.agent), " ",
                                   switchboard::FormatDuration(a.waited)));
    }
    return lines;
  }
  // Handles every wake-up up to `t` like the engine does; returns the
  // assignments and timeouts in order.
  std::vector<std::string> RunTo(absl::Time t) {
    std::vector<std::string> log;
    for (;;) {
      const absl::Time next = assigner_->NextDeadline();
      if (next > t) break;
      assigner_->ApplyRelax(next);
      for (const std::string& s : Assign(next)) log.push_back(s);
      RouteTimeout rt;
      while (assigner_->PopTimeout(next, &rt)) {
        log.push_back(absl::StrCat("timeout ", std::string(rt.session), " ",
                                   std::string(rt.queue), " ",
                                   switchboard::FormatDuration(rt.waited)));
        for (const std::string& s : Assign(next)) log.push_back(s);
      }
    }
    for (const std::string& s : Assign(t)) log.push_back(s);
    return log;
  }

  std::shared_ptr<const Ruleset> ruleset_;
  const CheckedRuleset* rs_ = nullptr;
  std::unique_ptr<Assigner> assigner_;
};

TEST_F(AssignerTest, ConversationsInPriorityThenSinceThenSessionOrder) {
  const absl::Time t0 = T("10:00:00");
  Route("c-late", "general", "chat", t0 + absl::Seconds(5));
  Route("c-b", "general", "chat", t0);
  Route("c-a", "general", "chat", t0);
  Route("c-vip", "billing-vip", "chat", t0 + absl::Seconds(9));
  EXPECT_TRUE(Assign(t0 + absl::Seconds(9)).empty());
  // One agent with one unit on chat at a time: the order is visible.
  Login("a-1", {{"billing", 5}, {"german", 5}}, IntMap{{"chat", 1}},
        t0 + absl::Seconds(10));
  EXPECT_THAT(Assign(t0 + absl::Seconds(10)), ElementsAre("c-vip->a-1 1s"));
  assigner_->End("c-vip", t0 + absl::Seconds(11));
  EXPECT_THAT(Assign(t0 + absl::Seconds(11)), ElementsAre("c-a->a-1 11s"));
  assigner_->End("c-a", t0 + absl::Seconds(12));
  EXPECT_THAT(Assign(t0 + absl::Seconds(12)), ElementsAre("c-b->a-1 12s"));
  assigner_->End("c-b", t0 + absl::Seconds(13));
  EXPECT_THAT(Assign(t0 + absl::Seconds(13)), ElementsAre("c-late->a-1 8s"));
}

TEST_F(AssignerTest, AgentsByFewestActiveThenAvailableLongestThenId) {
  const absl::Time t0 = T("10:00:00");
  Login("a-2", {}, IntMap{{"chat", 3}}, t0);
  Login("a-1", {}, IntMap{{"chat", 3}}, t0);
  Login("a-0", {}, IntMap{{"chat", 3}}, t0 + absl::Seconds(1));
  // a-1 and a-2 became ready at t0, a-0 later: the tie goes to the id.
  Route("c1", "general", "chat", t0 + absl::Seconds(2));
  EXPECT_THAT(Assign(t0 + absl::Seconds(2)), ElementsAre("c1->a-1 0s"));
  // a-1 has one conversation now: a-2 (available since t0) before a-0.
  Route("c2", "general", "chat", t0 + absl::Seconds(3));
  EXPECT_THAT(Assign(t0 + absl::Seconds(3)), ElementsAre("c2->a-2 0s"));
  Route("c3", "general", "chat", t0 + absl::Seconds(4));
  EXPECT_THAT(Assign(t0 + absl::Seconds(4)), ElementsAre("c3->a-0 0s"));
  // All have one. a-2's conversation ends: it has fewest active.
  assigner_->End("c2", t0 + absl::Seconds(5));
  Route("c4", "general", "chat", t0 + absl::Seconds(6));
  EXPECT_THAT(Assign(t0 + absl::Seconds(6)), ElementsAre("c4->a-2 0s"));
  // a-1 and a-0 end at different times; a-0 ended earlier: available longer.
  assigner_->End("c3", t0 + absl::Seconds(7));  // a-0
  assigner_->End("c1", t0 + absl::Seconds(8));  // a-1
  Route("c5", "general", "chat", t0 + absl::Seconds(9));
  EXPECT_THAT(Assign(t0 + absl::Seconds(9)), ElementsAre("c5->a-0 0s"));
}

TEST_F(AssignerTest, AvailableSinceIsTheLaterOfReadyAndLastEnd) {
  const absl::Time t0 = T("10:00:00");
  Login("a-1", {}, std::nullopt, t0);
  Login("a-2", {}, std::nullopt, t0 + absl::Seconds(1));
  // a-1 goes not ready and back: available since its return.
  assigner_->SetReady("a-1", false, t0 + absl::Seconds(2));
  assigner_->SetReady("a-1", true, t0 + absl::Seconds(3));
  Route("c1", "general", "chat", t0 + absl::Seconds(4));
  EXPECT_THAT(Assign(t0 + absl::Seconds(4)), ElementsAre("c1->a-2 0s"));
  // A repeated agent.ready does not reset the time.
  assigner_->SetReady("a-1", true, t0 + absl::Seconds(5));
  assigner_->End("c1", t0 + absl::Seconds(6));  // a-2 free again at 6
  Route("c2", "general", "chat", t0 + absl::Seconds(7));
  EXPECT_THAT(Assign(t0 + absl::Seconds(7)), ElementsAre("c2->a-1 0s"));
}

TEST_F(AssignerTest, SkillsAndLevels) {
  const absl::Time t0 = T("10:00:00");
  Login("a-low", {{"billing", 1}, {"german", 3}}, std::nullopt, t0);
  Login("a-en", {{"billing", 9}}, std::nullopt, t0);
  Route("c1", "billing", "chat", t0);
  EXPECT_TRUE(Assign(t0).empty());
  Login("a-ok", {{"billing", 2}, {"german", 1}}, std::nullopt, t0);
  EXPECT_THAT(Assign(t0), ElementsAre("c1->a-ok 0s"));
  // agent.skills replaces the skills.
  assigner_->SetSkills("a-low", nullptr, t0);
  IntMap better = {{"billing", 2}, {"german", 2}};
  assigner_->SetSkills("a-en", &better, t0);
  Route("c2", "billing", "chat", t0);
  EXPECT_THAT(Assign(t0), ElementsAre("c2->a-en 0s"));
}

TEST_F(AssignerTest, CapacityPerChannel) {
  const absl::Time t0 = T("10:00:00");
  // No capacity: one conversation on every channel.
  Login("a-any", {}, std::nullopt, t0);
  Route("c-chat", "general", "chat", t0);
  Route("c-voice", "general", "voice", t0);
  Route("c-chat2", "general", "chat", t0);
  EXPECT_THAT(Assign(t0), ElementsAre("c-chat->a-any 0s", "c-voice->a-any 0s"));
  // Listed channels only: whatsapp 2, email not listed (0).
  Login("a-wa", {}, IntMap{{"whatsapp", 2}, {"chat", 0}}, t0);
  Route("w1", "general", "whatsapp", t0);
  Route("w2", "general", "whatsapp", t0);
  Route("w3", "general", "whatsapp", t0);
  Route("w4", "general", "whatsapp", t0);
  Route("e1", "general", "email", t0);
  // w1, w2: a-wa has fewer active conversations; w3: a-wa is full on
  // whatsapp, a-any has its one whatsapp unit; w4: nobody.
  EXPECT_THAT(Assign(t0), ElementsAre("e1->a-any 0s", "w1->a-wa 0s",
                                      "w2->a-wa 0s", "w3->a-any 0s"));
  EXPECT_TRUE(Assign(t0).empty());
  assigner_->End("w1", t0 + absl::Seconds(1));
  EXPECT_THAT(Assign(t0 + absl::Seconds(1)), ElementsAre("w4->a-wa 1s"));
}

TEST_F(AssignerTest, NotReadyAndLogoutKeepConversationsGetNoNewOnes) {
  const absl::Time t0 = T("10:00:00");
  Login("a-1", {}, IntMap{{"chat", 2}}, t0);
  Route("c1", "general", "chat", t0);
  EXPECT_THAT(Assign(t0), ElementsAre("c1->a-1 0s"));
  assigner_->SetReady("a-1", false, t0);
  Route("c2", "general", "chat", t0);
  EXPECT_TRUE(Assign(t0).empty());
  EXPECT_EQ(assigner_->assigned(), 1);
  assigner_->Logout("a-1", t0);
  EXPECT_EQ(assigner_->assigned(), 1);
  // Logging in again (ready) takes the waiting one on its free unit.
  Login("a-1", {}, IntMap{{"chat", 2}}, t0 + absl::Seconds(5));
  EXPECT_THAT(Assign(t0 + absl::Seconds(5)), ElementsAre("c2->a-1 5s"));
  // Login with ready: false.
  Login("a-2", {}, std::nullopt, t0, /*ready=*/false);
  Route("c3", "general", "chat", t0 + absl::Seconds(6));
  EXPECT_TRUE(Assign(t0 + absl::Seconds(6)).empty());
  // ready/not_ready of an unknown agent: ignored, counted.
  assigner_->SetReady("nobody", true, t0);
  EXPECT_EQ(assigner_->stats().agent_events_ignored, 1);
}

TEST_F(AssignerTest, RelaxRingsTakeEffectAtTheirExactTime) {
  const absl::Time t0 = T("10:00:00");
  Login("a-en", {{"billing", 2}}, std::nullopt, t0);  // no german
  Login("a-jr", {{"billing", 1}, {"english", 1}}, std::nullopt, t0);
  Route("c1", "billing", "chat", t0);
  Route("c2", "billing", "chat", t0 + absl::Seconds(1));
  EXPECT_TRUE(Assign(t0).empty());
  EXPECT_EQ(assigner_->NextDeadline(), t0 + absl::Seconds(30));
  // One nanosecond before the ring: nothing.
  EXPECT_TRUE(RunTo(t0 + absl::Seconds(30) - absl::Nanoseconds(1)).empty());
  // At 30s german is dropped: c1 goes to a-en; c2's ring is at 31s.
  EXPECT_THAT(RunTo(t0 + absl::Seconds(30)), ElementsAre("c1->a-en 30s"));
  // At 91s (c2's second ring, billing 1) the junior agent takes it, but
  // not before.
  EXPECT_TRUE(RunTo(t0 + absl::Seconds(90)).empty());
  EXPECT_THAT(RunTo(t0 + absl::Seconds(91)), ElementsAre("c2->a-jr 90s"));
}

TEST_F(AssignerTest, TimeoutAfterRelaxAndAssignmentOfTheSameInstant) {
  const absl::Time t0 = T("10:00:00");
  // billing-vip: timeout 90s, the same instant as the second ring.
  Login("a-jr", {{"billing", 1}}, std::nullopt, t0);
  Route("c-vip", "billing-vip", "chat", t0);
  Route("c-other", "billing-vip", "chat", t0);
  // At 90s: ring 2 applies, then assignment (c-other, c-vip tie on
  // priority and since: session id c-other < c-vip), then the timeout of
  // the one still waiting.
  EXPECT_THAT(RunTo(t0 + absl::Seconds(90)),
              ElementsAre("c-other->a-jr 90s", "timeout c-vip billing_de 90s"));
  EXPECT_FALSE(assigner_->HasConversation("c-vip"));
  EXPECT_EQ(assigner_->stats().route_timeouts, 1);
}

TEST_F(AssignerTest, TimeoutsOfOneInstantInSessionIdOrder) {
  const absl::Time t0 = T("10:00:00");
  Route("z", "tech", "chat", t0);
  Route("m", "tech", "chat", t0);
  Route("a", "tech", "chat", t0);
  EXPECT_THAT(RunTo(t0 + absl::Minutes(5)),
              ElementsAre("timeout a tech 60s", "timeout m tech 60s",
                          "timeout z tech 60s"));
}

TEST_F(AssignerTest, TransferRestartsWaitedAndFreesTheAgent) {
  const absl::Time t0 = T("10:00:00");
  Login("a-1", {{"billing", 3}, {"german", 3}}, IntMap{{"chat", 1}}, t0);
  Route("c1", "billing", "chat", t0);
  EXPECT_THAT(Assign(t0), ElementsAre("c1->a-1 0s"));
  Route("c2", "general", "chat", t0 + absl::Seconds(10));
  EXPECT_TRUE(Assign(t0 + absl::Seconds(10)).empty());
  // c1 is transferred to tech (nobody there): a-1's unit goes to c2.
  Route("c1", "tech", "chat", t0 + absl::Seconds(20));
  EXPECT_THAT(Assign(t0 + absl::Seconds(20)), ElementsAre("c2->a-1 10s"));
  EXPECT_EQ(assigner_->stats().transfers, 1);
  // Waited restarts at the transfer: its timeout is 60s after it.
  EXPECT_EQ(assigner_->NextDeadline(), t0 + absl::Seconds(80));
  // A waiting conversation transferred again restarts too.
  Route("c1", "general", "chat", t0 + absl::Seconds(30));
  Login("a-2", {}, std::nullopt, t0 + absl::Seconds(45));
  EXPECT_THAT(Assign(t0 + absl::Seconds(45)), ElementsAre("c1->a-2 15s"));
  EXPECT_EQ(assigner_->NextDeadline(), absl::InfiniteFuture());
}

TEST_F(AssignerTest, EndsOnAbandonsWaitingAndFreesAssigned) {
  const absl::Time t0 = T("10:00:00");
  Route("c1", "billing", "chat", t0);
  // billing_de ends on conversation.closed only.
  EXPECT_FALSE(assigner_->EndOn("c1", "call.ended", t0));
  EXPECT_TRUE(assigner_->EndOn("c1", "conversation.closed", t0));
  EXPECT_EQ(assigner_->stats().abandoned, 1);
  EXPECT_FALSE(assigner_->HasConversation("c1"));
  // general uses the default ends_on: conversation.closed and call.ended.
  Login("a-1", {}, IntMap{{"voice", 1}}, t0);
  Route("c2", "general", "voice", t0);
  EXPECT_THAT(Assign(t0), ElementsAre("c2->a-1 0s"));
  Route("c3", "general", "voice", t0);
  EXPECT_TRUE(Assign(t0).empty());
  EXPECT_TRUE(assigner_->EndOn("c2", "call.ended", t0 + absl::Seconds(3)));
  EXPECT_THAT(Assign(t0 + absl::Seconds(3)), ElementsAre("c3->a-1 3s"));
  EXPECT_EQ(assigner_->stats().abandoned, 1);
}

TEST_F(AssignerTest, MissingOrUnservedChannelWaitsUnassignable) {
  const absl::Time t0 = T("10:00:00");
  Login("a-1", {{"technical", 5}}, std::nullopt, t0);
  Route("c-none", "tech", std::nullopt, t0);
  Route("c-email", "tech", "email", t0);  // tech serves chat only
  EXPECT_TRUE(Assign(t0).empty());
  EXPECT_EQ(assigner_->stats().unassignable, 2);
  EXPECT_EQ(assigner_->Stats(rs_->FindQueue("tech"), t0).waiting, 2);
  EXPECT_THAT(
      RunTo(t0 + absl::Minutes(1)),
      ElementsAre("timeout c-email tech 60s", "timeout c-none tech 60s"));
}

TEST_F(AssignerTest, QueueStatsAndEstimator) {
  const absl::Time t0 = T("10:00:00");
  const int general = rs_->FindQueue("general");
  const int billing = rs_->FindQueue("billing_de");
  QueueStats s = assigner_->Stats(general, t0);
  EXPECT_EQ(s.waiting, 0);
  EXPECT_EQ(s.available, 0);
  EXPECT_EQ(s.longest_wait, absl::ZeroDuration());
  EXPECT_EQ(s.estimated_wait, absl::ZeroDuration());
  Route("c1", "general", "chat", t0);
  Route("c2", "general", "chat", t0 + absl::Seconds(20));
  Route("c3", "general", "chat", t0 + absl::Seconds(30));
  s = assigner_->Stats(general, t0 + absl::Seconds(40));
  EXPECT_EQ(s.waiting, 3);
  EXPECT_EQ(s.longest_wait, absl::Seconds(40));
  // No observation yet: handle_time 4m x 3 waiting / max(0 available, 1).
  EXPECT_EQ(s.estimated_wait, absl::Minutes(12));
  // billing_de has no handle_time: the 5m default.
  Route("b1", "billing", "chat", t0);
  EXPECT_EQ(assigner_->Stats(billing, t0).estimated_wait, absl::Minutes(5));
  // Available: ready, the queue's unrelaxed skills, a free unit on one of
  // its channels.
  Login("a-de", {{"billing", 2}, {"german", 1}}, IntMap{{"email", 1}}, t0);
  EXPECT_EQ(assigner_->Stats(billing, t0).available, 0);  // email not served
  Login("a-de", {{"billing", 2}, {"german", 1}}, IntMap{{"voice", 1}}, t0);
  EXPECT_EQ(assigner_->Stats(billing, t0).available, 1);  // voice is free
  EXPECT_TRUE(Assign(t0).empty());                        // b1 is on chat
  // One observation: c1 handled for 2 minutes.
  Login("a-1", {}, IntMap{{"chat", 1}}, t0 + absl::Seconds(40));
  EXPECT_THAT(Assign(t0 + absl::Seconds(40)), ElementsAre("c1->a-1 40s"));
  assigner_->End("c1", t0 + absl::Seconds(160));
  EXPECT_THAT(Assign(t0 + absl::Seconds(160)), ElementsAre("c2->a-1 140s"));
  s = assigner_->Stats(general, t0 + absl::Seconds(160));
  EXPECT_EQ(s.waiting, 1);
  EXPECT_EQ(s.available, 1);  // a-de: general serves every channel
  EXPECT_EQ(s.estimated_wait, absl::Minutes(2));  // 1 x 2m / 1
  EXPECT_EQ(s.longest_wait, absl::Seconds(130));
}

TEST_F(AssignerTest, ExplainListsEligibleSkippedAndRing) {
  const absl::Time t0 = T("10:00:00");
  Login("a-en", {{"billing", 2}}, std::nullopt, t0);
  Login("a-busy", {{"billing", 3}}, IntMap{{"chat", 0}}, t0);
  Login("a-away", {{"billing", 3}}, std::nullopt, t0, /*ready=*/false);
  Login("a-low", {{"billing", 1}}, std::nullopt, t0);
  Route("c1", "billing", "chat", t0);
  RunTo(t0 + absl::Seconds(29));
  assigner_->ApplyRelax(t0 + absl::Seconds(30));
  std::vector<Assignment> out;
  assigner_->Assign(t0 + absl::Seconds(30), /*explain=*/true, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].agent, "a-en");
  EXPECT_EQ(out[0].ring, 1);
  const std::string text = absl::StrJoin(out[0].notes, "\n");
  EXPECT_THAT(text, HasSubstr("relax step 1 (after 30s: drop german)"));
  EXPECT_THAT(text, HasSubstr("requires billing >= 2"));
  EXPECT_THAT(text, HasSubstr("eligible (best first): a-en"));
  EXPECT_THAT(text, HasSubstr("a-away (not ready)"));
  EXPECT_THAT(text, HasSubstr("a-busy (capacity: 0 of 0 on chat in use)"));
  EXPECT_THAT(text, HasSubstr("a-low (skill billing 1 < 2)"));
}

TEST_F(AssignerTest, SaveAndLoadStateRoundTrip) {
  const absl::Time t0 = T("10:00:00");
  Login("a-1", {{"billing", 3}}, IntMap{{"chat", 1}}, t0);
  Route("c1", "general", "chat", t0);
  EXPECT_THAT(Assign(t0), ElementsAre("c1->a-1 0s"));
  Route("c2", "billing", "chat", t0 + absl::Seconds(10));
  Route("c3", "tech", std::nullopt, t0 + absl::Seconds(10));
  common::SnapshotWriter w;
  assigner_->SaveState(w);
  Assigner copy(*rs_);
  common::SnapshotReader r(w.data());
  ASSERT_TRUE(copy.LoadState(r, t0 + absl::Seconds(20)).ok()) << r.status();
  EXPECT_EQ(copy.assigned(), 1);
  EXPECT_EQ(copy.waiting(), 2);
  EXPECT_EQ(copy.stats().unassignable, 1);
  // Same future in both: c2's ring at 40s, c3's timeout at 70s, c1 ends.
  for (Assigner* a : {assigner_.get(), &copy}) {
    EXPECT_EQ(a->NextDeadline(), t0 + absl::Seconds(40));
    a->ApplyRelax(t0 + absl::Seconds(40));
    EXPECT_TRUE(a->End("c1", t0 + absl::Seconds(50)));
    std::vector<Assignment> out;
    a->Assign(t0 + absl::Seconds(50), false, &out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].session, "c2");
    EXPECT_EQ(out[0].waited, absl::Seconds(40));
    EXPECT_EQ(out[0].ring, 1);
  }
  // A truncated state is refused, not a crash.
  Assigner broken(*rs_);
  common::SnapshotReader bad(
      std::string_view(w.data()).substr(0, w.size() / 2));
  EXPECT_FALSE(broken.LoadState(bad, t0).ok());
  EXPECT_EQ(broken.waiting(), 0);
}

TEST_F(AssignerTest, ReloadRemapsQueuesByName) {
  const absl::Time t0 = T("10:00:00");
  Login("a-1", {{"technical", 5}}, IntMap{{"chat", 1}}, t0);
  Route("c-tech", "tech", "chat", t0);
  EXPECT_THAT(Assign(t0), ElementsAre("c-tech->a-1 0s"));
  Route("c-tech2", "tech", "chat", t0);
  Route("c-gen", "general", "chat", t0);
  // The new ruleset drops `tech` and keeps `general`.
  auto next = MustLoad(R"y(
ruleset: desk
queues:
  general:
    skills: {}
rules:
  - name: general
    on: g
    then: [{route: {queue: general}}]
)y");
  ASSERT_NE(next, nullptr);
  assigner_->Reload(plan::RulesetAccess::Checked(*next), t0 + absl::Seconds(5));
  EXPECT_EQ(assigner_->stats().abandoned, 1);  // c-tech2
  EXPECT_FALSE(assigner_->HasConversation("c-tech2"));
  EXPECT_TRUE(assigner_->HasConversation("c-tech"));  // stays with a-1
  EXPECT_EQ(assigner_->waiting(), 1);
  // a-1's unit is still taken; when c-tech ends (default ends_on), c-gen
  // gets it.
  EXPECT_TRUE(Assign(t0 + absl::Seconds(5)).empty());
  EXPECT_TRUE(assigner_->EndOn("c-tech", "call.ended", t0 + absl::Seconds(6)));
  EXPECT_THAT(Assign(t0 + absl::Seconds(6)), ElementsAre("c-gen->a-1 6s"));
}

}  // namespace
}  // namespace switchboard
