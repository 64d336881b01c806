// Tests of RulesetPlan (engine/plan/ruleset_plan.h): what the plan of one
// small ruleset holds: rule order by priority then file order, the trigger
// index (exact types, prefixes, their merge in rule order, disabled rules
// left out), the rule index per exact type, timer groups shared by rules
// whose triggers are written differently but have one key, the ends_on
// types, fallback chains, decision parameters, attribute typing and the
// default session fields.
#include "engine/plan/ruleset_plan.h"

#include <memory>
#include <string>
#include <vector>

#include "engine/check/rule_env.h"
#include "engine/plan/ruleset_access.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/diagnostic.h"
#include "switchboard/ruleset.h"

namespace switchboard::plan {
namespace {

using ::switchboard::check::CheckedRuleset;
using ::switchboard::check::TriggerKind;

using ::switchboard::check::kEventChannelField;
using ::switchboard::check::kEventQueueField;
using ::switchboard::check::kEventTimeField;
using ::switchboard::check::kEventTypeField;
using ::switchboard::check::kEventWaitedField;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// File order (index) and priority of each rule:
//   0 low         0    cart.updated, if tier == 'gold'
//   1 prefix      5    cart.*
//   2 idle-a      5    {idle: 5m}
//   3 high       10    [cart.updated, order.placed]
//   4 idle-b      0    {idle: 300s}         (the key of idle-a)
//   5 after-a     0    {after: 1h, ... unless: [order.placed, cart.cleared]}
//   6 after-b     1    {after: 60m, ... unless: [cart.cleared, order.placed]}
//   7 disabled   20    cart.updated, enabled: false
//   8 idle-c      0    {idle: 10m}
constexpr char kRules[] = R"yaml(ruleset: plan
session:
  fields:
    n: int = 3
    note: string
event:
  tier: string
  amount: int
channels:
  voice: {fallback: [whatsapp, sms]}
queues:
  sales:
    skills: {sales: 1}
    ends_on: [sale.done]
rules:
  - name: low
    on: cart.updated
    if: event.tier == 'gold'
    then: [{tag: [low, cart]}]
  - name: prefix
    priority: 5
    on: cart.*
    then: [{tag: [prefix]}]
  - name: idle-a
    priority: 5
    on: {idle: 5m}
    then: [{set: {n: "session.n + 1", note: "'idle'"}}]
  - name: high
    priority: 10
    on: [cart.updated, order.placed]
    then: [{deflect: {to: voice, message: busy}}]
  - name: idle-b
    on: {idle: 300s}
    then: [{tag: [idle]}]
  - name: after-a
    on: {after: 1h, since: cart.updated, unless: [order.placed, cart.cleared]}
    then: [{tag: [after]}]
  - name: after-b
    priority: 1
    on: {after: 60m, since: cart.updated, unless: [cart.cleared, order.placed]}
    then: [{tag: [after]}]
  - name: disabled
    priority: 20
    on: cart.updated
    enabled: false
    then: [{tag: [off]}]
  - name: idle-c
    on: {idle: 10m}
    then: [{route: {queue: sales}}]
)yaml";

// Rule indexes (file order).
enum RuleAt : int {
  kLow,
  kPrefix,
  kIdleA,
  kHigh,
  kIdleB,
  kAfterA,
  kAfterB,
  kOff,
  kIdleC
};

class RulesetPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LoadResult result = LoadRulesetFromString(kRules, "plan.yaml");
    ASSERT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
    ruleset_ = result.ruleset();
    ASSERT_EQ(ruleset_->rule_count(), 9);
  }
  const RulesetPlan& plan() const { return RulesetAccess::Plan(*ruleset_); }
  const CheckedRuleset& checked() const {
    return RulesetAccess::Checked(*ruleset_);
  }
  // The names of `rules` (indexes; ~r, as the rule index writes proven
  // rules, is named "~name").
  std::vector<std::string> Names(const std::vector<int>& rules) const {
    std::vector<std::string> names;
    for (int r : rules) {
      names.push_back(r < 0 ? "~" + checked().rules[~r].name
                            : checked().rules[r].name);
    }
    return names;
  }
  std::vector<std::string> EventRules(std::string_view type) const {
    std::vector<int> out = {-1};  // cleared by EventRules
    plan().EventRules(type, &out);
    return Names(out);
  }

  std::shared_ptr<const Ruleset> ruleset_;
};

TEST_F(RulesetPlanTest, PlansTheRulesetItIsHeldBy) {
  EXPECT_EQ(&plan().checked(), &checked());
  // The same plan for every reader (engines share it).
  EXPECT_EQ(&RulesetAccess::Plan(*ruleset_), &plan());
}

TEST_F(RulesetPlanTest, RuleOrderIsPriorityThenFileOrder) {
  EXPECT_THAT(Names(plan().rule_order()),
              ElementsAre("disabled", "high", "prefix", "idle-a", "after-b",
                          "low", "idle-b", "after-a", "idle-c"));
  ASSERT_EQ(plan().rank().size(), 9u);
  for (size_t i = 0; i < plan().rule_order().size(); ++i) {
    EXPECT_EQ(plan().rank()[plan().rule_order()[i]], static_cast<int>(i));
  }
  // The public names follow file order, the order of EngineStats' vectors.
  EXPECT_EQ(ruleset_->rule_name(0), "low");
  EXPECT_EQ(ruleset_->rule_name(kOff), "disabled");
}

TEST_F(RulesetPlanTest, IndexesExactAndPrefixTriggersWithoutDisabledRules) {
  ASSERT_EQ(plan().exact_rules().size(), 2u);
  EXPECT_THAT(Names(plan().exact_rules().at("cart.updated")),
              ElementsAre("high", "low"));
  EXPECT_THAT(Names(plan().exact_rules().at("order.placed")),
              ElementsAre("high"));
  ASSERT_EQ(plan().prefix_rules().size(), 1u);
  EXPECT_EQ(plan().prefix_rules()[0].first, "cart.");
  EXPECT_EQ(plan().prefix_rules()[0].second, kPrefix);

  // Exact and prefix rules merged in rule order.
  EXPECT_THAT(EventRules("cart.updated"), ElementsAre("high", "prefix", "low"));
  EXPECT_THAT(EventRules("cart.cleared"), ElementsAre("prefix"));
  EXPECT_THAT(EventRules("order.placed"), ElementsAre("high"));
  EXPECT_THAT(EventRules("cart."), IsEmpty());  // a prefix needs more
  EXPECT_THAT(EventRules("message.received"), IsEmpty());
}

TEST_F(RulesetPlanTest, OneRuleIndexPerExactTypeOverItsMergedRules) {
  const RuleIndex* updated = plan().FindRuleIndex("cart.updated");
  ASSERT_NE(updated, nullptr);
  EXPECT_THAT(Names(updated->rules()), ElementsAre("high", "prefix", "low"));
  const RuleIndex* placed = plan().FindRuleIndex("order.placed");
  ASSERT_NE(placed, nullptr);
  EXPECT_THAT(Names(placed->rules()), ElementsAre("high"));
  // Prefix-only and unknown types have no index: EventRules answers them.
  EXPECT_EQ(plan().FindRuleIndex("cart.cleared"), nullptr);
  EXPECT_EQ(plan().FindRuleIndex("message.received"), nullptr);
  EXPECT_EQ(plan().rule_index_words(), 1u);

  // The index prunes `low` on its tier test, and proves it on 'gold' (rules
  // without a condition are never "proven": they have nothing to skip).
  EventRecord event;
  event.Reset(checked().event_attributes.size());
  event.slots[kEventTypeField].SetText("cart.updated");
  const int tier = plan().attribute_index().at("tier");
  RuleIndex::Scratch scratch;
  scratch.Reserve(plan().rule_index_words());
  std::vector<int> out;
  event.slots[tier].SetText("silver");
  updated->Candidates(event, &scratch, &out);
  EXPECT_THAT(Names(out), ElementsAre("high", "prefix"));
  event.slots[tier].SetText("gold");
  updated->Candidates(event, &scratch, &out);
  EXPECT_THAT(Names(out), ElementsAre("high", "prefix", "~low"));
}

TEST_F(RulesetPlanTest, RulesWithOneTimerKeyShareOneGroup) {
  // 5m and 300s are one key, as are the two orders of the unless list.
  ASSERT_EQ(checked().rules[kIdleA].trigger.key,
            checked().rules[kIdleB].trigger.key);
  ASSERT_EQ(checked().rules[kAfterA].trigger.key,
            checked().rules[kAfterB].trigger.key);
  const std::vector<TimerGroup>& groups = plan().timer_groups();
  ASSERT_EQ(groups.size(), 3u);
  // In the order of their first rule; each group's rules in rule order.
  EXPECT_EQ(groups[0].kind, TriggerKind::kIdle);
  EXPECT_EQ(groups[0].delay, absl::Minutes(5));
  EXPECT_THAT(Names(groups[0].rules), ElementsAre("idle-a", "idle-b"));
  EXPECT_EQ(groups[0].trigger, &checked().rules[kIdleA].trigger);
  EXPECT_EQ(groups[1].kind, TriggerKind::kAfter);
  EXPECT_EQ(groups[1].delay, absl::Hours(1));
  EXPECT_THAT(Names(groups[1].rules), ElementsAre("after-b", "after-a"));
  EXPECT_EQ(groups[1].after_slot, 0);
  EXPECT_EQ(groups[2].kind, TriggerKind::kIdle);
  EXPECT_THAT(Names(groups[2].rules), ElementsAre("idle-c"));
  EXPECT_EQ(groups[2].after_slot, -1);
  EXPECT_THAT(plan().idle_groups(), ElementsAre(0, 2));
  EXPECT_THAT(plan().after_groups(), ElementsAre(1));

  EXPECT_EQ(plan().FindTimerGroup(checked().rules[kIdleB].trigger.key), 0);
  EXPECT_EQ(plan().FindTimerGroup(checked().rules[kAfterA].trigger.key), 1);
  EXPECT_EQ(plan().FindTimerGroup(checked().rules[kIdleC].trigger.key), 2);
  EXPECT_EQ(plan().FindTimerGroup("idle 1m"), -1);
}

TEST_F(RulesetPlanTest, EndsOnHoldsEveryQueuesTypesAndTheDefaults) {
  EXPECT_TRUE(plan().EndsConversation("sale.done"));
  EXPECT_TRUE(plan().EndsConversation("conversation.closed"));
  EXPECT_TRUE(plan().EndsConversation("call.ended"));
  EXPECT_FALSE(plan().EndsConversation("cart.updated"));
  EXPECT_FALSE(plan().EndsConversation("sale.done.x"));
}

TEST_F(RulesetPlanTest, FallbackChainsAreChannelIndexes) {
  const int voice = checked().FindChannel("voice");
  ASSERT_GE(voice, 0);
  EXPECT_THAT(plan().fallback(voice),
              ElementsAre(checked().FindChannel("whatsapp"),
                          checked().FindChannel("sms")));
  EXPECT_THAT(plan().fallback(checked().FindChannel("sms")), IsEmpty());
}

TEST_F(RulesetPlanTest, ActionPlansHoldTheDecisionParameters) {
  const ActionPlan& deflect = plan().action_plan(kHigh, 0);
  ASSERT_EQ(deflect.params.size(), 2u);
  EXPECT_EQ(deflect.to_param, 0);
  EXPECT_EQ(deflect.params[0].name, "to");
  EXPECT_EQ(deflect.params[0].string_value, "voice");
  EXPECT_EQ(deflect.params[1].name, "message");
  EXPECT_EQ(deflect.params[1].string_value, "busy");

  const ActionPlan& tag = plan().action_plan(kLow, 0);
  ASSERT_EQ(tag.params.size(), 1u);
  EXPECT_EQ(tag.to_param, -1);
  EXPECT_EQ(tag.params[0].name, "labels");
  EXPECT_EQ(tag.params[0].kind, DecisionParam::Kind::kStringList);
  EXPECT_THAT(tag.params[0].strings, ElementsAre("low", "cart"));

  EXPECT_THAT(plan().action_plan(kIdleA, 0).params, IsEmpty());  // a set
}

TEST_F(RulesetPlanTest, TypesAttributesOnce) {
  const int tier = plan().attribute_index().at("tier");
  const int amount = plan().attribute_index().at("amount");
  EXPECT_EQ(plan().attribute_index().count("nope"), 0u);
  const std::vector<FastStore>& fast = plan().fast_store();
  ASSERT_EQ(fast.size(), checked().event_attributes.size());
  EXPECT_EQ(fast[kEventTypeField], FastStore::kSkip);
  EXPECT_EQ(fast[kEventTimeField], FastStore::kSkip);
  EXPECT_EQ(fast[kEventChannelField], FastStore::kString);
  EXPECT_EQ(fast[kEventQueueField], FastStore::kRouteTimeoutOnly);
  EXPECT_EQ(fast[kEventWaitedField], FastStore::kRouteTimeoutOnly);
  EXPECT_EQ(fast[tier], FastStore::kString);
  EXPECT_EQ(fast[amount], FastStore::kInt);
  EXPECT_EQ(plan().attribute_name_sizes()[tier], 4u);
  EXPECT_EQ(plan().attribute_name_sizes()[amount], 6u);
}

TEST_F(RulesetPlanTest, DefaultFieldsStartEverySession) {
  const std::vector<Slot>& fields = plan().default_fields();
  ASSERT_EQ(fields.size(), 2u);
  ASSERT_TRUE(fields[0].present);  // n: int = 3
  EXPECT_EQ(fields[0].Get().int_value(), 3);
  EXPECT_FALSE(fields[1].present);  // note: string, no default
}

}  // namespace
}  // namespace switchboard::plan
