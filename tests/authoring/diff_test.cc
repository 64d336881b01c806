// Tests of the decision diff (include/switchboard/diff.h): DecisionDiff's
// grouping and pairing on decisions fed by hand (changed, removed, added,
// unchanged; the ruleset member ignored; the delivery order; per-rule
// counts), and RulesetDiff on two small rulesets (identical rules, a changed
// threshold, sides with different schemas rejecting different lines, the
// JSON and text forms of a difference).
#include "switchboard/diff.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/decision.h"
#include "switchboard/ruleset.h"
#include "switchboard/time.h"

namespace switchboard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::shared_ptr<const Ruleset> Load(std::string_view yaml,
                                    const std::string& name) {
  LoadResult result = LoadRulesetFromString(yaml, name);
  EXPECT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  return result.ruleset();
}

// Two rules, named as the decisions below name them.
constexpr char kRules[] = R"(ruleset: shop
session: {key: visitor}
rules:
  - {name: offer-chat, on: page.view, then: [{offer: {channel: chat}}]}
  - {name: offer-mail, on: page.view, then: [{offer: {channel: email}}]}
)";

class Collect : public DiffSink {
 public:
  void OnDifference(const DecisionDifference& d) override {
    kinds.push_back(std::string(d.kind_name()));
    json.push_back(d.ToJson());
    text.push_back(d.ToText());
  }
  std::vector<std::string> kinds;
  std::vector<std::string> json;
  std::vector<std::string> text;
};

absl::Time At(const char* text) { return *ParseTimestamp(text); }

// Feeds one decision to `sink`.
void Emit(DecisionSink* sink, const char* time, std::string_view session,
          std::string_view rule, std::string_view channel,
          std::string_view ruleset = "shop", std::string_view action = "offer",
          std::string_view trigger = "page.view") {
  DecisionParam param;
  param.name = "channel";
  param.string_value = channel;
  const DecisionParam params[] = {param};
  Decision d;
  d.time = At(time);
  d.ruleset = ruleset;
  d.session = session;
  d.rule = rule;
  d.action = action;
  d.trigger = trigger;
  d.params = params;
  sink->OnDecision(d);
}

class DecisionDiffTest : public ::testing::Test {
 protected:
  DecisionDiffTest()
      : rules_(Load(kRules, "shop.yaml")), diff_(*rules_, *rules_) {}
  std::shared_ptr<const Ruleset> rules_;
  DecisionDiff diff_;
  Collect sink_;
};

TEST_F(DecisionDiffTest, SameDecisionsAreUnchangedWhateverTheRulesetName) {
  Emit(diff_.old_side(), "2026-11-23T10:00:00Z", "a", "offer-chat", "chat");
  Emit(diff_.new_side(), "2026-11-23T10:00:00Z", "a", "offer-chat", "chat",
       "shop-v2");
  diff_.Finish(&sink_);
  EXPECT_TRUE(sink_.kinds.empty());
  EXPECT_TRUE(diff_.stats().identical());
  EXPECT_EQ(diff_.stats().total.unchanged, 1);
  EXPECT_EQ(diff_.stats().total.old_decisions, 1);
  EXPECT_EQ(diff_.stats().total.new_decisions, 1);
}

TEST_F(DecisionDiffTest, PairsWithinAGroupInEmissionOrder) {
  // Group (a, 10:00, page.view, offer): OLD chat, mail; NEW mail. The first
  // of each pair (chat with mail: changed), OLD's second is removed.
  Emit(diff_.old_side(), "2026-11-23T10:00:00Z", "a", "offer-chat", "chat");
  Emit(diff_.old_side(), "2026-11-23T10:00:00Z", "a", "offer-mail", "email");
  Emit(diff_.new_side(), "2026-11-23T10:00:00Z", "a", "offer-mail", "email");
  diff_.Finish(&sink_);
  EXPECT_THAT(sink_.kinds, ElementsAre("changed", "removed"));
  EXPECT_EQ(
      sink_.json[0],
      R"({"change":"changed","session":"a","time":"2026-11-23T10:00:00Z",)"
      R"("trigger":"page.view","action":"offer","old":{"time":)"
      R"("2026-11-23T10:00:00Z","ruleset":"shop","session":"a","rule":)"
      R"("offer-chat","action":"offer","channel":"chat","trigger":)"
      R"("page.view"},"new":{"time":"2026-11-23T10:00:00Z","ruleset":"shop",)"
      R"("session":"a","rule":"offer-mail","action":"offer","channel":)"
      R"("email","trigger":"page.view"}})");
  EXPECT_THAT(sink_.json[1], HasSubstr(R"("change":"removed")"));
  EXPECT_THAT(sink_.json[1], HasSubstr(R"("old":{)"));
  EXPECT_THAT(sink_.json[1], ::testing::Not(HasSubstr(R"("new":)")));
  EXPECT_EQ(sink_.text[0],
            "changed 2026-11-23T10:00:00Z a offer-chat: offer channel=chat "
            "(on page.view)\n"
            "     to 2026-11-23T10:00:00Z a offer-mail: offer channel=email "
            "(on page.view)");
  EXPECT_EQ(sink_.text[1],
            "removed 2026-11-23T10:00:00Z a offer-mail: offer channel=email "
            "(on page.view)");
  const DiffStats& stats = diff_.stats();
  EXPECT_EQ(stats.total.changed, 1);
  EXPECT_EQ(stats.total.removed, 1);
  EXPECT_EQ(stats.total.added, 0);
  // Per rule, in rule order; the changed pair counts for both its rules.
  ASSERT_EQ(stats.rules.size(), 2u);
  EXPECT_EQ(stats.rules[0].rule, "offer-chat");
  EXPECT_EQ(stats.rules[0].counts.old_decisions, 1);
  EXPECT_EQ(stats.rules[0].counts.new_decisions, 0);
  EXPECT_EQ(stats.rules[0].counts.changed, 1);
  EXPECT_EQ(stats.rules[1].rule, "offer-mail");
  EXPECT_EQ(stats.rules[1].counts.old_decisions, 1);
  EXPECT_EQ(stats.rules[1].counts.new_decisions, 1);
  EXPECT_EQ(stats.rules[1].counts.changed, 1);
  EXPECT_EQ(stats.rules[1].counts.removed, 1);
}

TEST_F(DecisionDiffTest, AnotherTimeOrActionIsAnotherGroup) {
  // Moved by a minute: removed and added, not changed.
  Emit(diff_.old_side(), "2026-11-23T10:00:00Z", "a", "offer-chat", "chat");
  Emit(diff_.new_side(), "2026-11-23T10:01:00Z", "a", "offer-chat", "chat");
  // Another action at the same time: removed and added.
  Emit(diff_.old_side(), "2026-11-23T10:02:00Z", "a", "offer-chat", "chat");
  Emit(diff_.new_side(), "2026-11-23T10:02:00Z", "a", "offer-chat", "chat",
       "shop", "tag");
  diff_.Finish(&sink_);
  EXPECT_THAT(sink_.kinds, ElementsAre("removed", "added", "removed", "added"));
  EXPECT_EQ(sink_.text[1],
            "added   2026-11-23T10:01:00Z a offer-chat: offer channel=chat "
            "(on page.view)");
}

TEST_F(DecisionDiffTest, DeliversInTimeThenSessionOrder) {
  Emit(diff_.old_side(), "2026-11-23T10:00:05Z", "b", "offer-chat", "chat");
  Emit(diff_.old_side(), "2026-11-23T10:00:05Z", "a", "offer-chat", "chat");
  Emit(diff_.new_side(), "2026-11-23T10:00:01Z", "c", "offer-chat", "chat");
  diff_.Finish(&sink_);
  ASSERT_EQ(sink_.json.size(), 3u);
  EXPECT_THAT(sink_.json[0], HasSubstr(R"("session":"c")"));
  EXPECT_THAT(sink_.json[1], HasSubstr(R"("session":"a")"));
  EXPECT_THAT(sink_.json[2], HasSubstr(R"("session":"b")"));
}

TEST_F(DecisionDiffTest, FlushComparesOnlyWhatBothClocksPassed) {
  Emit(diff_.old_side(), "2026-11-23T10:00:00Z", "a", "offer-chat", "chat");
  Emit(diff_.old_side(), "2026-11-23T10:05:00Z", "a", "offer-chat", "chat");
  diff_.Flush(At("2026-11-23T10:05:00Z"), &sink_);
  EXPECT_THAT(sink_.kinds, ElementsAre("removed"));
  // The 10:05 decision waits: NEW may still make its partner.
  Emit(diff_.new_side(), "2026-11-23T10:05:00Z", "a", "offer-chat", "chat");
  diff_.Finish(&sink_);
  EXPECT_THAT(sink_.kinds, ElementsAre("removed"));
  EXPECT_EQ(diff_.stats().total.unchanged, 1);
}

// A ruleset with a threshold: a cart of `items` or more gets an offer.
std::string CartRules(const std::string& name, int items,
                      const std::string& item_type = "int") {
  return "ruleset: " + name + R"(
session: {key: visitor, fields: {items: int = 0}}
event: {cart_items: )" +
         item_type + R"(}
rules:
  - name: track
    on: cart.updated
    then: [{set: {items: "event.cart_items"}}]
  - name: offer
    on: {idle: 90s}
    if: session.items >= )" +
         std::to_string(items) + R"(
    then: [{offer: {channel: chat}}]
)";
}

constexpr const char* kCartLines[] = {
    R"({"time":"2026-11-23T10:00:00Z","type":"cart.updated","visitor":"a","cart_items":1})",
    R"({"time":"2026-11-23T10:00:00Z","type":"cart.updated","visitor":"b","cart_items":5})",
    R"({"time":"2026-11-23T10:00:10Z","type":"cart.updated","visitor":"c","cart_items":"x"})",
};

TEST(RulesetDiffTest, SameRulesAreIdentical) {
  auto diff = RulesetDiff::Create(Load(CartRules("shop", 2), "a.yaml"),
                                  Load(CartRules("shop", 2), "b.yaml"));
  ASSERT_TRUE(diff.ok()) << diff.status();
  Collect sink;
  for (const char* line : kCartLines) (*diff)->ProcessLine(line, &sink);
  (*diff)->AdvanceTo(At("2026-11-23T11:00:00Z"), &sink);
  (*diff)->Finish(&sink);
  EXPECT_TRUE(sink.kinds.empty());
  EXPECT_TRUE((*diff)->stats().identical());
  EXPECT_EQ((*diff)->stats().total.unchanged, 1);
  EXPECT_EQ((*diff)->stats().events, 3);
  EXPECT_EQ((*diff)->stats().old_rejected, 1);  // "x" is not an int
  EXPECT_EQ((*diff)->stats().new_rejected, 1);
}

TEST(RulesetDiffTest, ALowerThresholdAddsADecision) {
  auto diff = RulesetDiff::Create(Load(CartRules("shop", 2), "old.yaml"),
                                  Load(CartRules("shop", 1), "new.yaml"));
  ASSERT_TRUE(diff.ok()) << diff.status();
  Collect sink;
  for (const char* line : kCartLines) (*diff)->ProcessLine(line, &sink);
  (*diff)->AdvanceTo(At("2026-11-23T11:00:00Z"), &sink);
  (*diff)->Finish(&sink);
  ASSERT_THAT(sink.kinds, ElementsAre("added"));
  EXPECT_EQ(sink.text[0],
            "added   2026-11-23T10:01:30Z a offer: offer channel=chat "
            "(on idle)");
  const DiffStats& stats = (*diff)->stats();
  EXPECT_FALSE(stats.identical());
  EXPECT_EQ(stats.total.old_decisions, 1);
  EXPECT_EQ(stats.total.new_decisions, 2);
  ASSERT_EQ(stats.rules.size(), 1u);
  EXPECT_EQ(stats.rules[0].rule, "offer");
  EXPECT_EQ(stats.rules[0].counts.added, 1);
  EXPECT_EQ(stats.rules[0].counts.unchanged, 1);
}

TEST(RulesetDiffTest, EachSideReadsLinesWithItsOwnSchema) {
  // NEW reads cart_items as a string: it rejects the int lines, accepts "x"
  // (and its rules compare a string, so they never offer).
  auto diff = RulesetDiff::Create(
      Load(CartRules("shop", 1), "old.yaml"),
      Load("ruleset: shop\nsession: {key: visitor}\n"
           "event: {cart_items: string}\nrules:\n"
           "  - {name: offer, on: cart.updated, then: [{tag: [cart]}]}\n",
           "new.yaml"));
  ASSERT_TRUE(diff.ok()) << diff.status();
  Collect sink;
  std::vector<RulesetDiff::LineResult> results;
  for (const char* line : kCartLines) {
    results.push_back((*diff)->ProcessLine(line, &sink));
  }
  (*diff)->Finish(&sink);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].old_status.ok());
  EXPECT_FALSE(results[0].new_status.ok());
  EXPECT_THAT(std::string(results[0].new_status.message()),
              HasSubstr("cart_items"));
  EXPECT_FALSE(results[2].old_status.ok());
  EXPECT_TRUE(results[2].new_status.ok());
  EXPECT_EQ((*diff)->stats().old_rejected, 1);
  EXPECT_EQ((*diff)->stats().new_rejected, 2);
  EXPECT_EQ((*diff)->old_engine().stats().events, 2);
  EXPECT_EQ((*diff)->new_engine().stats().events, 1);
  // NEW tagged c's cart; OLD's idle offers never came (no --until).
  EXPECT_THAT(sink.kinds, ElementsAre("added"));
}

TEST(RulesetDiffTest, ProcessTakesEventsBuiltByTheCaller) {
  auto diff = RulesetDiff::Create(Load(CartRules("shop", 2), "old.yaml"),
                                  Load(CartRules("shop", 1), "new.yaml"));
  ASSERT_TRUE(diff.ok()) << diff.status();
  Collect sink;
  Event event("cart.updated", At("2026-11-23T10:00:00Z"));
  event.SetString("visitor", "a");
  event.SetInt("cart_items", 1);
  const RulesetDiff::LineResult r = (*diff)->Process(event, &sink);
  EXPECT_TRUE(r.old_status.ok());
  EXPECT_TRUE(r.new_status.ok());
  (*diff)->AdvanceTo(At("2026-11-23T10:05:00Z"), &sink);
  (*diff)->Finish(&sink);
  EXPECT_THAT(sink.kinds, ElementsAre("added"));
}

TEST(RulesetDiffTest, CreateRefusesANullRuleset) {
  EXPECT_FALSE(
      RulesetDiff::Create(nullptr, Load(CartRules("shop", 1), "new.yaml"))
          .ok());
}

}  // namespace
}  // namespace switchboard
