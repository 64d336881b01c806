// The checking stage on whole rulesets: reachability, duplicate names, emit
// cycles, global-event triggers, set / emit types, calendars, durations and
// conditions. (The exact wording of every message is pinned by the golden
// files in tests/data/diagnostics.)
#include <string>
#include <vector>

#include "engine/check/checked_ruleset.h"
#include "engine/plan/ruleset_access.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/ruleset.h"

namespace switchboard {
namespace {

using ::switchboard::check::Calendar;
using ::switchboard::check::MinuteRange;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// "line: message" of each error (warnings left out).
std::vector<std::string> Errors(const std::string& yaml) {
  const LoadResult result = LoadRulesetFromString(yaml, "t.yaml");
  std::vector<std::string> out;
  for (const Diagnostic& d : result.diagnostics()) {
    if (d.is_error()) out.push_back(std::to_string(d.line) + ": " + d.message);
  }
  EXPECT_EQ(result.ok(), out.empty());
  return out;
}

std::vector<std::string> Warnings(const std::string& yaml) {
  const LoadResult result = LoadRulesetFromString(yaml, "t.yaml");
  std::vector<std::string> out;
  for (const Diagnostic& d : result.diagnostics()) {
    if (!d.is_error()) {
      out.push_back(std::to_string(d.line) + ": " + d.message);
    }
  }
  return out;
}

// A ruleset of the given rules (YAML list items, indented by two).
std::string Rules(const std::string& rules, const std::string& head = "") {
  return "ruleset: t\n" + head + "rules:\n" + rules;
}

// ---- reachability ---------------------------------------------------------

TEST(ReachabilityTest, FinalUnconditionalRuleHidesLowerRules) {
  EXPECT_THAT(Errors(Rules("  - {name: a, priority: 5, on: x.y, final: true, "
                           "then: [tag: [a]]}\n"
                           "  - {name: b, on: x.y, then: [tag: [b]]}\n")),
              ElementsAre("4: rule 'b' is never reached: rule 'a' (line 3) "
                          "runs before it on 'x.y', is final and has no "
                          "condition"));
}

TEST(ReachabilityTest, EqualPriorityKeepsFileOrder) {
  // Same priority: the earlier rule runs first and hides the later one...
  EXPECT_THAT(
      Errors(Rules("  - {name: a, on: x.y, final: true, then: [tag: [a]]}\n"
                   "  - {name: b, on: x.y, then: [tag: [b]]}\n")),
      ElementsAre(HasSubstr("rule 'b' is never reached")));
  // ...but not an earlier one.
  EXPECT_THAT(
      Errors(Rules("  - {name: b, on: x.y, then: [tag: [b]]}\n"
                   "  - {name: a, on: x.y, final: true, then: [tag: [a]]}\n")),
      IsEmpty());
  // A higher priority later in the file runs first.
  EXPECT_THAT(Errors(Rules("  - {name: b, on: x.y, then: [tag: [b]]}\n"
                           "  - {name: a, priority: 1, on: x.y, final: true, "
                           "then: [tag: [a]]}\n")),
              ElementsAre(HasSubstr("rule 'b' is never reached")));
}

TEST(ReachabilityTest, ConditionsDisabledRulesAndOtherTriggersDoNotHide) {
  EXPECT_THAT(
      Errors(Rules(
          "  - {name: a, on: x.y, if: 'true', final: true, then: [tag: [a]]}\n"
          "  - {name: b, on: x.y, final: true, enabled: false, then: [tag: "
          "[b]]}\n"
          "  - {name: c, on: x.z, final: true, then: [tag: [c]]}\n"
          "  - {name: d, on: x.y, then: [tag: [d]]}\n"
          "  - {name: e, on: [x.y, x.z, x.w], then: [tag: [e]]}\n")),
      IsEmpty());
}

TEST(ReachabilityTest, BrokenConditionStillCounts) {
  // A rule whose `if` does not compile is not taken for unconditional.
  EXPECT_THAT(Errors(Rules("  - {name: a, priority: 5, on: x.y, if: 'nope', "
                           "final: true, then: [tag: [a]]}\n"
                           "  - {name: b, on: x.y, then: [tag: [b]]}\n")),
              ElementsAre(HasSubstr("undeclared reference to 'nope'")));
}

TEST(ReachabilityTest, PrefixesAndListsCover) {
  EXPECT_THAT(Errors(Rules(
                  "  - {name: all, priority: 9, on: cart.*, final: true, "
                  "then: [tag: [a]]}\n"
                  "  - {name: one, on: cart.updated, then: [tag: [b]]}\n"
                  "  - {name: deeper, on: cart.item.*, then: [tag: [c]]}\n"
                  "  - {name: both, on: [cart.a, cart.b], then: [tag: [d]]}\n"
                  "  - {name: other, on: [cart.a, order.b], then: [tag: [e]]}\n"
                  "  - {name: carts, on: carts.x, then: [tag: [f]]}\n")),
              ElementsAre(HasSubstr("rule 'one' is never reached"),
                          HasSubstr("rule 'deeper' is never reached"),
                          HasSubstr("rule 'both' is never reached")));
  // An exact type does not cover a prefix.
  EXPECT_THAT(
      Errors(Rules("  - {name: a, priority: 9, on: cart.x, final: true, "
                   "then: [tag: [a]]}\n"
                   "  - {name: b, on: cart.*, then: [tag: [b]]}\n")),
      IsEmpty());
}

TEST(ReachabilityTest, TimersCoverTheSameTimerOnly) {
  EXPECT_THAT(
      Errors(Rules(
          "  - {name: a, on: {idle: 90s}, final: true, then: [tag: [a]]}\n"
          "  - {name: b, on: {idle: 1m30s}, then: [tag: [b]]}\n"
          "  - {name: c, on: {idle: 2m}, then: [tag: [c]]}\n"
          "  - {name: d, on: {after: 1h, since: s.x, unless: [u.a, u.b]}, "
          "final: true, then: [tag: [d]]}\n"
          "  - {name: e, on: {after: 60m, since: s.x, unless: [u.b, u.a]}, "
          "then: [tag: [e]]}\n"
          "  - {name: f, on: {after: 1h, since: s.x}, then: [tag: [f]]}\n")),
      ElementsAre(HasSubstr("rule 'b' is never reached"),
                  HasSubstr("rule 'e' is never reached")));
}

// ---- duplicates -------------------------------------------------------------

TEST(DuplicateRuleTest, ReportsEveryRepeatAtTheRepeat) {
  EXPECT_THAT(Errors(Rules("  - {name: a, on: x.y, then: [tag: [a]]}\n"
                           "  - {name: b, on: x.y, then: [tag: [b]]}\n"
                           "  - {name: a, on: x.z, then: [tag: [c]]}\n"
                           "  - {name: a, on: x.w, then: [tag: [d]]}\n")),
              ElementsAre("5: duplicate rule name 'a' (first at line 3)",
                          "6: duplicate rule name 'a' (first at line 3)"));
}

TEST(DuplicateRuleTest, ManyRulesStayFast) {
  // 20,000 distinct names and one repeat: found by hashing, not by pairs.
  std::string rules;
  for (int i = 0; i < 20000; ++i) {
    rules +=
        "  - {name: r" + std::to_string(i) + ", on: x.y, then: [tag: [a]]}\n";
  }
  rules += "  - {name: r123, on: x.y, then: [tag: [a]]}\n";
  EXPECT_THAT(
      Errors(Rules(rules)),
      ElementsAre("20003: duplicate rule name 'r123' (first at line 126)"));
}

// ---- emit cycles ------------------------------------------------------------

TEST(EmitCycleTest, FindsSelfCycle) {
  EXPECT_THAT(
      Errors(Rules("  - {name: a, on: x.y, then: [emit: {type: x.y}]}\n")),
      ElementsAre("3: emit cycle: rule 'a' emits 'x.y', which "
                  "triggers 'a' again"));
}

TEST(EmitCycleTest, FindsThreeRuleCycleOnce) {
  EXPECT_THAT(
      Errors(
          Rules("  - {name: a, on: e.a, then: [emit: {type: e.b}]}\n"
                "  - {name: b, on: e.b, then: [tag: [x], emit: {type: e.c}]}\n"
                "  - {name: c, on: e.c, then: [emit: {type: e.a}]}\n")),
      ElementsAre("3: emit cycle: rule 'a' emits 'e.b', which triggers rule "
                  "'b', which emits 'e.c', which triggers rule 'c', which "
                  "emits 'e.a', which triggers 'a' again"));
}

TEST(EmitCycleTest, FindsCycleThroughPrefix) {
  EXPECT_THAT(
      Errors(Rules("  - {name: a, on: e.*, then: [emit: {type: e.b.c}]}\n")),
      ElementsAre(HasSubstr("emit cycle: rule 'a' emits 'e.b.c'")));
}

TEST(EmitCycleTest, IgnoresChainsTimersAndDisabledRules) {
  EXPECT_THAT(
      Errors(Rules(
          "  - {name: a, on: e.a, then: [emit: {type: e.b}]}\n"
          "  - {name: b, on: e.b, then: [emit: {type: e.c}]}\n"
          "  - {name: c, on: e.c, enabled: false, then: [emit: {type: e.a}]}\n"
          "  - {name: t, on: {idle: 1m}, then: [emit: {type: e.t}]}\n"
          "  - {name: u, on: e.t, then: [emit: {type: e.u}]}\n"
          "  - {name: w, on: {after: 1m, since: e.w}, then: [emit: {type: "
          "e.w}]}\n"
          "  - {name: r, on: route.timeout, then: [route: {queue: q, timeout: "
          "1m}]}\n",
          "queues: {q: {}}\n")),
      IsEmpty());
}

// ---- global events ----------------------------------------------------------

TEST(GlobalEventTest, CannotTriggerRulesOrTimers) {
  EXPECT_THAT(
      Errors(Rules("  - {name: a, on: channel.down, then: [tag: [a]]}\n"
                   "  - {name: b, on: [x.y, agent.login], then: [tag: [b]]}\n"
                   "  - {name: c, on: agent.*, then: [tag: [c]]}\n"
                   "  - {name: d, on: {after: 1m, since: channel.up}, then: "
                   "[tag: [d]]}\n"
                   "  - {name: e, on: channel.*, then: [tag: [e]]}\n"
                   "  - {name: f, on: agents.x, then: [tag: [f]]}\n")),
      ElementsAre(HasSubstr("global event 'channel.down'"),
                  HasSubstr("global event 'agent.login'"),
                  HasSubstr("global event 'agent.*'"),
                  HasSubstr("'channel.up' is a global event")));
}

// ---- set and emit -----------------------------------------------------------

constexpr char kSchema[] =
    "session:\n  fields:\n    n: int = 0\n    d: double = 0\n    b: bool = "
    "false\n"
    "    s: string = ''\n    t: timestamp\n    w: duration\n    l: list(int) = "
    "[]\n"
    "event:\n  intent: string\n  value: double\n  count: int\n";

TEST(SetEmitTest, AcceptsValuesOfTheFieldType) {
  EXPECT_THAT(
      Errors(
          Rules("  - name: r\n    on: x.y\n    then:\n"
                "      - set: {n: 1, d: 2, b: true, s: \"'x'\", t: now, "
                "w: 90s, l: '[1, 2]'}\n"
                "      - set: {d: 'session.n + 1', n: 'session.n * 2', "
                "t: 2026-01-01T00:00:00Z, w: \"duration('1h')\"}\n"
                "      - set: {s: 'has(event.intent) ? event.intent : \"\"'}\n"
                "      - emit: {type: a.b, value: 1, count: 'session.n', "
                "intent: \"'x'\", channel: \"'chat'\"}\n"
                "    if: session.n < 3 && session.d < 1.0 && session.b && "
                "session.s == '' && has(session.t) && has(session.w) && "
                "size(session.l) > 0\n",
                kSchema)),
      IsEmpty());
}

TEST(SetEmitTest, RefusesValuesOfAnotherType) {
  EXPECT_THAT(
      Errors(Rules("  - name: r\n    on: x.y\n    then:\n"
                   "      - set: {n: 1.5, b: 1, s: 'session.n', t: '1', "
                   "l: \"['a']\"}\n"
                   "      - emit: {type: a.b, count: 2.5, intent: 'session.b', "
                   "value: \"'x'\"}\n",
                   kSchema)),
      ElementsAre("19: field 'n' is int, but the value is double",
                  "19: field 'b' is bool, but the value is int",
                  "19: field 's' is string, but the value is int",
                  "19: field 't' is timestamp, but the value is int",
                  "19: field 'l' is list(int), but the value is list(string)",
                  "20: attribute 'count' is int, but the value is double",
                  "20: attribute 'intent' is string, but the value is bool",
                  "20: attribute 'value' is double, but the value is string"));
}

TEST(SetEmitTest, RefusesUnknownAndBuiltInNames) {
  EXPECT_THAT(
      Errors(Rules("  - name: r\n    on: x.y\n    then:\n"
                   "      - set: {nn: 1, id: \"'x'\"}\n"
                   "      - emit: {type: a.b, intnet: \"'x'\", time: now, "
                   "conversation: \"'c'\"}\n"
                   "      - emit: {type: a.*}\n",
                   kSchema)),
      ElementsAre(HasSubstr("unknown field 'nn' of session; did you mean 'n'?"),
                  HasSubstr("'id' is a built-in member of session"),
                  HasSubstr("unknown attribute 'intnet' of event; did you "
                            "mean 'intent'?"),
                  HasSubstr("'time' cannot be set"),
                  HasSubstr("'conversation' cannot be set"),
                  HasSubstr("emit type must be an event type, not a prefix")));
}

// ---- conditions -------------------------------------------------------------

TEST(ConditionTest, MustBeBool) {
  EXPECT_THAT(
      Errors(Rules("  - {name: r, on: x.y, if: '1 + 1', then: [tag: [a]]}\n"
                   "  - {name: s, on: x.y, if: ['true', \"'x'\"], "
                   "then: [tag: [a]]}\n")),
      ElementsAre("3: condition must be bool, got int",
                  "4: condition must be bool, got string"));
}

TEST(ConditionTest, ReportsCelErrorsAtTheirColumn) {
  const LoadResult result = LoadRulesetFromString(
      Rules("  - name: r\n    on: x.y\n    if: >-\n      true &&\n"
            "      event.nope\n    then: [tag: [a]]\n"),
      "t.yaml");
  ASSERT_EQ(result.diagnostics().size(), 1u);
  EXPECT_EQ(result.diagnostics()[0].line, 7);
  EXPECT_EQ(result.diagnostics()[0].column, 13);  // 'nope' after "event."
  EXPECT_THAT(result.diagnostics()[0].message,
              HasSubstr("unknown attribute 'nope' of event"));
}

// ---- calendars and durations --------------------------------------------

TEST(CalendarTest, ReportsBadZonesDaysRangesAndDates) {
  EXPECT_THAT(
      Errors("ruleset: t\ncalendars:\n  c:\n    timezone: Mars/Base\n"
             "    weekly:\n      mon-fri: ['08:00-20:00']\n"
             "      wed: ['10:00-11:00']\n      xyz: ['10:00-11:00']\n"
             "      sat: ['10:00-25:00', '11:00-11:00', '24:00-01:00', 'x']\n"
             "    closed: ['2026-02-29', '2028-02-29']\n"
             "    special: {'2026-1-1': []}\n"
             "rules: []\n"),
      ElementsAre(HasSubstr("unknown time zone 'Mars/Base'"),
                  "7: 'wed' already has hours at line 6",
                  HasSubstr("unknown day 'xyz'"),
                  HasSubstr("bad time range '10:00-25:00'"),
                  HasSubstr("empty time range '11:00-11:00'"),
                  HasSubstr("a range cannot start at 24:00"),
                  HasSubstr("bad time range 'x'"),
                  "10: bad date '2026-02-29': write YYYY-MM-DD, a real date "
                  "such as '2026-12-24', or MM-DD for every year ('12-24')",
                  HasSubstr("bad date '2026-1-1'")));
}

TEST(CalendarTest, ReadsPastMidnightAndEndOfDay) {
  const LoadResult result = LoadRulesetFromString(
      "ruleset: t\ncalendars:\n  c:\n    timezone: UTC\n    weekly:\n"
      "      sat: ['22:00-02:00', '00:00-00:30']\n      sun: ['18:00-24:00']\n"
      "rules: []\n",
      "t.yaml");
  ASSERT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  const Calendar& c =
      plan::RulesetAccess::Checked(*result.ruleset()).calendars[0];
  EXPECT_EQ(c.weekly[5], (std::vector<MinuteRange>{{0, 30}, {1320, 1560}}));
  EXPECT_EQ(c.weekly[6], (std::vector<MinuteRange>{{1080, 1440}}));
}

TEST(DurationTest, NeedsAUnitAndAPositiveValue) {
  EXPECT_THAT(
      Errors(
          Rules("  - {name: a, on: {idle: 90}, then: [tag: [a]]}\n"
                "  - {name: b, on: {idle: -1s}, then: [tag: [b]]}\n"
                "  - {name: c, on: {idle: 0s}, then: [tag: [c]]}\n"
                "  - {name: d, on: {after: 1x, since: a.b}, then: [tag: [d]]}\n"
                "  - {name: e, on: {idle: 1h30m}, then: [callback: {within: "
                "1.5h}]}\n",
                "session: {expire: 0h}\n")),
      ElementsAre(HasSubstr("expire must be a positive duration"),
                  HasSubstr("bad duration '90' for idle"),
                  HasSubstr("idle must be a positive duration, got '-1s'"),
                  HasSubstr("idle must be a positive duration, got '0s'"),
                  HasSubstr("bad duration '1x' for after")));
}

// ---- field usage warnings
// ----------------------------------------------------

TEST(FieldUsageTest, WarnsAboutPointlessFields) {
  EXPECT_THAT(
      Warnings(
          Rules("  - {name: r, on: x.y, if: 'session.r > 0 && has(session.a)', "
                "then: [set: {w: 1, r: 2}]}\n",
                "session:\n  fields:\n    r: int = 0\n    w: int = 0\n"
                "    u: int = 0\n    a: string\n")),
      ElementsAre(HasSubstr("'w' is written but never read"),
                  HasSubstr("'u' is never read or written"),
                  HasSubstr("'a' is never written and has no default")));
}

}  // namespace
}  // namespace switchboard
