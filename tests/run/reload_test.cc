// Tests of Engine::Reload (engine/run/reload.cc): each case that
// docs/reliability.md ("State: snapshot, restore, reload, session limit")
// documents (timers of a kept, changed or removed trigger; fields added,
// removed or retyped; channel health, sessions, clock and per-rule stats
// kept; a null ruleset refused with nothing changed), and the property test:
// reloading the same ruleset (loaded again) at a random point of a random
// stream changes nothing.
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "engine/check/checked_ruleset.h"
#include "engine/common/time_util.h"
#include "gtest/gtest.h"
#include "switchboard/engine.h"
#include "switchboard/ruleset.h"
#include "tests/run/engine_test_util.h"
#include "tests/run/random_engine_case.h"
#include "tests/support/status_matchers.h"

namespace switchboard {
namespace {

using ::switchboard::testing::CollectingSink;
using ::switchboard::testing::MakeEngine;
using ::switchboard::testing::MustLoad;
using ::switchboard::testing::StatusIs;
using ::switchboard::testing::T;
using ::switchboard::testing::random_case::DescribeStream;
using ::switchboard::testing::random_case::Gen;
using ::switchboard::testing::random_case::GenEvent;
using ::switchboard::testing::random_case::GenRuleset;
using ::switchboard::testing::random_case::GenStream;
using ::switchboard::testing::random_case::Stream;

constexpr char kBefore[] = R"yaml(
ruleset: v1
session:
  fields:
    score: int = 0
    note: string
    gone: int = 1
event:
  n: int
rules:
  - name: count
    on: a.b
    then:
      - set: {score: "session.score + event.n", note: "'seen'"}
  - name: quiet
    on: {idle: 30s}
    then:
      - tag: [quiet]
  - name: wait
    on: {after: 2m, since: a.b, unless: [a.c]}
    then:
      - offer: {channel: chat, message: hi}
  - name: slow
    on: {idle: 5m}
    then:
      - tag: [slow]
)yaml";

Event Ev(std::string_view type, std::string_view time, std::string_view id,
         int n = -1) {
  Event e(type, T(time));
  e.SetString("conversation", id);
  if (n >= 0) e.SetInt("n", n);
  return e;
}

// c1 at 10:00:00 (score 3), c2 at 10:00:10 (score 4): idle timers at
// 10:00:30 / 10:00:40, `wait` at 10:02:00 / 10:02:10, `slow` at 10:05:00 /
// 10:05:10.
std::unique_ptr<Engine> Started() {
  std::unique_ptr<Engine> engine = MakeEngine(kBefore);
  CollectingSink sink;
  EXPECT_TRUE(engine->Process(Ev("a.b", "10:00:00", "c1", 3), &sink).ok());
  EXPECT_TRUE(engine->Process(Ev("a.b", "10:00:10", "c2", 4), &sink).ok());
  return engine;
}

TEST(ReloadTest, NullRulesetIsRefusedAndNothingChanges) {
  std::unique_ptr<Engine> engine = Started();
  const std::string before = *engine->Snapshot();
  EXPECT_THAT(engine->Reload(nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(*engine->Snapshot(), before);
  EXPECT_EQ(engine->ruleset().name(), "v1");
}

TEST(ReloadTest, KeepsSessionsClockChannelsAndStats) {
  std::unique_ptr<Engine> engine = Started();
  CollectingSink sink;
  Event down("channel.down", T("10:00:20"));
  down.SetString("channel", "chat");
  ASSERT_TRUE(engine->Process(down, &sink).ok());
  ASSERT_TRUE(engine
                  ->Reload(MustLoad(R"yaml(
ruleset: v2
session:
  fields:
    score: int = 0
event:
  n: int
rules:
  - name: count
    on: a.b
    if: "!channel_up('chat')"
    then:
      - tag: ["chat-down"]
)yaml"))
                  .ok());
  EXPECT_EQ(engine->ruleset().name(), "v2");
  EXPECT_EQ(engine->now(), T("10:00:20"));
  EXPECT_EQ(engine->session_count(), 2);
  EXPECT_EQ(engine->stats().events, 3);
  EXPECT_EQ(engine->stats().sessions_created, 2);
  ASSERT_EQ(engine->stats().rule_runs.size(), 1u);
  EXPECT_EQ(engine->stats().rule_runs[0], 2);  // `count` ran twice under v1
  ASSERT_TRUE(engine->Process(Ev("a.b", "10:00:25", "c1", 1), &sink).ok());
  EXPECT_EQ(sink.Lines(),
            std::vector<std::string>{"10:00:25 c1 count tag a.b"});
  EXPECT_EQ(engine->session_count(), 2);
  EXPECT_EQ(engine->stats().sessions_created, 2);  // c1 was kept
}

TEST(ReloadTest, TimersOfAKeptTriggerKeepTheirDeadline) {
  std::unique_ptr<Engine> engine = Started();
  // `quiet` now offers instead of tagging, under a new name even: the idle
  // 30s trigger is the same, so the pending timers keep their deadlines.
  ASSERT_TRUE(engine
                  ->Reload(MustLoad(R"yaml(
ruleset: v2
session:
  fields:
    score: int = 0
event:
  n: int
rules:
  - name: quiet-offer
    on: {idle: 30s}
    if: "session.score >= 3"
    then:
      - offer: {channel: chat, message: back}
)yaml"))
                  .ok());
  EXPECT_EQ(engine->stats().timers_dropped, 4);  // wait x2, slow x2
  CollectingSink sink;
  engine->AdvanceTo(T("10:10:00"), &sink);
  EXPECT_EQ(sink.Lines(), (std::vector<std::string>{
                              "10:00:30 c1 quiet-offer offer idle",
                              "10:00:40 c2 quiet-offer offer idle",
                          }));
}

TEST(ReloadTest, TimersOfRemovedOrChangedTriggersAreDroppedAndCounted) {
  std::unique_ptr<Engine> engine = Started();
  // `wait` is removed; `slow` goes from 5m to 6m (another trigger key);
  // `quiet` stays.
  ASSERT_TRUE(engine
                  ->Reload(MustLoad(R"yaml(
ruleset: v2
event:
  n: int
rules:
  - name: quiet
    on: {idle: 30s}
    then:
      - tag: [quiet]
  - name: slow
    on: {idle: 6m}
    then:
      - tag: [slow]
)yaml"))
                  .ok());
  // `wait` x2: its rule is gone. `slow` carries over: its new idle trigger
  // is armed from each session's last customer event.
  EXPECT_EQ(engine->stats().timers_dropped, 2);
  std::vector<std::string> pending;
  for (const PendingTimer& t : engine->PendingTimers()) {
    pending.push_back(FormatTimestamp(t.deadline) + " " + t.session + " " +
                      t.rule);
  }
  EXPECT_EQ(pending, (std::vector<std::string>{
                         "2026-11-23T10:00:30Z c1 quiet",
                         "2026-11-23T10:00:40Z c2 quiet",
                         "2026-11-23T10:06:00Z c1 slow",
                         "2026-11-23T10:06:10Z c2 slow",
                     }));
  // The next customer event re-arms them as usual.
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("a.x", "10:01:00", "c1"), &sink).ok());
  engine->AdvanceTo(T("10:10:00"), &sink);
  EXPECT_EQ(sink.Lines(), (std::vector<std::string>{
                              "10:00:30 c1 quiet tag idle",
                              "10:00:40 c2 quiet tag idle",
                              "10:01:30 c1 quiet tag idle",
                              "10:06:10 c2 slow tag idle",
                              "10:07:00 c1 slow tag idle",
                          }));
}

// Two rules share `idle: 90s`; one of them changes to `idle: 2m`. Both keep
// counting from the session's last customer event: the unchanged rule keeps
// the pending 90s timer, the changed one gets a 2m timer from last_seen.
constexpr char kSharedIdle[] = R"yaml(
ruleset: v1
rules:
  - name: nudge
    on: {idle: 90s}
    then:
      - tag: [nudge]
  - name: remind
    on: {idle: %s}
    then:
      - tag: [remind]
)yaml";

std::shared_ptr<const Ruleset> SharedIdle(std::string_view remind_delay) {
  return MustLoad(absl::StrFormat(kSharedIdle, remind_delay));
}

TEST(ReloadTest, AChangedIdleTriggerCountsFromTheLastCustomerEvent) {
  auto engine = Engine::Create(SharedIdle("90s"));
  ASSERT_TRUE(engine.ok());
  CollectingSink sink;
  ASSERT_TRUE((*engine)->Process(Ev("a.b", "10:00:00", "c1"), &sink).ok());
  ASSERT_TRUE((*engine)->Process(Ev("a.b", "10:00:20", "c2"), &sink).ok());
  (*engine)->AdvanceTo(T("10:00:30"), &sink);
  ASSERT_TRUE((*engine)->Reload(SharedIdle("2m")).ok());
  EXPECT_EQ((*engine)->stats().timers_dropped, 0);
  EXPECT_EQ((*engine)->PendingTimerCount(), 4);
  (*engine)->AdvanceTo(T("10:10:00"), &sink);
  EXPECT_EQ(sink.Lines(), (std::vector<std::string>{
                              "10:01:30 c1 nudge tag idle",
                              "10:01:50 c2 nudge tag idle",
                              "10:02:00 c1 remind tag idle",
                              "10:02:20 c2 remind tag idle",
                          }));
}

TEST(ReloadTest, AShortenedIdleTriggerAlreadyPastFiresAtOnce) {
  auto engine = Engine::Create(SharedIdle("90s"));
  ASSERT_TRUE(engine.ok());
  CollectingSink sink;
  ASSERT_TRUE((*engine)->Process(Ev("a.b", "10:00:00", "c1"), &sink).ok());
  (*engine)->AdvanceTo(T("10:01:10"), &sink);  // quiet for 70s
  // `remind` is now 60s: it was owed (its 90s timer was pending), and 60s
  // have passed, so it fires at the reload's instant, once.
  ASSERT_TRUE((*engine)->Reload(SharedIdle("60s")).ok());
  EXPECT_EQ((*engine)->stats().timers_dropped, 0);
  (*engine)->AdvanceTo(T("10:10:00"), &sink);
  EXPECT_EQ(sink.Lines(), (std::vector<std::string>{
                              "10:01:10 c1 remind tag idle",
                              "10:01:30 c1 nudge tag idle",
                          }));
}

TEST(ReloadTest, AnIdleRuleThatAlreadyFiredDoesNotFireAgain) {
  auto engine = Engine::Create(SharedIdle("90s"));
  ASSERT_TRUE(engine.ok());
  CollectingSink sink;
  ASSERT_TRUE((*engine)->Process(Ev("a.b", "10:00:00", "c1"), &sink).ok());
  (*engine)->AdvanceTo(T("10:01:40"), &sink);  // both fired at 10:01:30
  ASSERT_TRUE((*engine)->Reload(SharedIdle("2m")).ok());
  EXPECT_EQ((*engine)->PendingTimerCount(), 0);
  (*engine)->AdvanceTo(T("10:10:00"), &sink);
  EXPECT_EQ(sink.Lines(), (std::vector<std::string>{
                              "10:01:30 c1 nudge tag idle",
                              "10:01:30 c1 remind tag idle",
                          }));
}

TEST(ReloadTest, ANewIdleRuleCountsFromTheLastCustomerEventIfStillAhead) {
  auto engine = Engine::Create(MustLoad(R"yaml(
ruleset: v1
rules:
  - name: seen
    on: a.b
    then:
      - tag: [seen]
)yaml"));
  ASSERT_TRUE(engine.ok());
  CollectingSink sink;
  ASSERT_TRUE((*engine)->Process(Ev("a.b", "10:00:00", "c1"), &sink).ok());
  ASSERT_TRUE((*engine)->Process(Ev("a.b", "10:01:00", "c2"), &sink).ok());
  (*engine)->AdvanceTo(T("10:01:30"), &sink);
  // c1 has been quiet for 90s already: `idle: 60s` would have fired in the
  // past, and a timer never fires after the fact; c2's is still ahead.
  ASSERT_TRUE((*engine)
                  ->Reload(MustLoad(R"yaml(
ruleset: v2
rules:
  - name: quiet
    on: {idle: 60s}
    then:
      - tag: [quiet]
)yaml"))
                  .ok());
  (*engine)->AdvanceTo(T("10:10:00"), &sink);
  EXPECT_EQ(sink.Lines(), (std::vector<std::string>{
                              "10:00:00 c1 seen tag a.b",
                              "10:01:00 c2 seen tag a.b",
                              "10:02:00 c2 quiet tag idle",
                          }));
}

TEST(ReloadTest, DroppedTimersAreCountedPerRule) {
  auto engine = Engine::Create(MustLoad(R"yaml(
ruleset: v1
rules:
  - name: one
    on: {after: 5m, since: a.b}
    then:
      - tag: [one]
  - name: two
    on: {after: 5m, since: a.b}
    then:
      - tag: [two]
)yaml"));
  ASSERT_TRUE(engine.ok());
  CollectingSink sink;
  ASSERT_TRUE((*engine)->Process(Ev("a.b", "10:00:00", "c1"), &sink).ok());
  // One pending timer (one trigger, two rules); `two` changes its delay:
  // the `after` timer of a changed trigger is not carried over (its rule
  // arms again at the next `since` event), and `one` is removed.
  ASSERT_TRUE((*engine)
                  ->Reload(MustLoad(R"yaml(
ruleset: v2
rules:
  - name: two
    on: {after: 10m, since: a.b}
    then:
      - tag: [two]
)yaml"))
                  .ok());
  EXPECT_EQ((*engine)->stats().timers_dropped, 2);
  EXPECT_EQ((*engine)->PendingTimerCount(), 0);
}

TEST(ReloadTest, FieldsAddedRemovedAndRetyped) {
  std::unique_ptr<Engine> engine = Started();
  // score: kept (int); note: string -> int (reset: absent, no default);
  // gone: removed; fresh: added with a default; blank: added without one.
  ASSERT_TRUE(engine
                  ->Reload(MustLoad(R"yaml(
ruleset: v2
session:
  fields:
    score: int = 0
    note: int
    fresh: string = 'new'
    blank: int
event:
  n: int
rules:
  - name: look
    on: a.look
    if:
      - "session.score == 3"
      - "!has(session.note)"
      - "session.fresh == 'new'"
      - "!has(session.blank)"
    then:
      - tag: [as-documented]
)yaml"))
                  .ok());
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("a.look", "10:00:20", "c1"), &sink).ok());
  EXPECT_EQ(sink.Lines(),
            std::vector<std::string>{"10:00:20 c1 look tag a.look"});
  EXPECT_EQ(engine->stats().rule_errors[0], 0);
  // A field dropped by one reload and added back by the next starts again
  // from its default (1 in v1); a later reload that changes only the
  // default keeps the value: defaults apply to added fields only.
  ASSERT_TRUE(engine->Reload(MustLoad(kBefore)).ok());
  ASSERT_TRUE(engine
                  ->Reload(MustLoad(R"yaml(
ruleset: v3
session:
  fields:
    gone: int = 5
rules:
  - name: look
    on: a.look
    if: "session.gone == 1"
    then:
      - tag: [kept]
)yaml"))
                  .ok());
  ASSERT_TRUE(engine->Process(Ev("a.look", "10:00:21", "c1"), &sink).ok());
  EXPECT_EQ(sink.Lines().back(), "10:00:21 c1 look tag a.look");
}

TEST(ReloadTest, ReloadedRulesRunOnTheNextEvent) {
  std::unique_ptr<Engine> engine = Started();
  ASSERT_TRUE(engine
                  ->Reload(MustLoad(R"yaml(
ruleset: v2
session:
  fields:
    score: int = 0
event:
  n: int
rules:
  - name: count
    on: a.b
    then:
      - set: {score: "session.score * 10 + event.n"}
  - name: big
    on: a.c
    if: "session.score > 30"
    then:
      - tag: [big]
)yaml"))
                  .ok());
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("a.b", "10:00:20", "c1", 5), &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("a.c", "10:00:21", "c1"), &sink).ok());
  ASSERT_TRUE(engine->Process(Ev("a.c", "10:00:22", "c2"), &sink).ok());
  // c1: 3 * 10 + 5 = 35; c2 keeps 4.
  EXPECT_EQ(sink.Lines(), std::vector<std::string>{"10:00:21 c1 big tag a.c"});
}

// ---- the property test
// ------------------------------------------------------------

class JsonSink : public DecisionSink {
 public:
  void OnDecision(const Decision& d) override { lines.push_back(d.ToJson()); }
  std::vector<std::string> lines;
};

int SeedCount(int default_count) {
  const char* env = std::getenv("SWITCHBOARD_RUNTIME_SEEDS");
  if (env == nullptr) return default_count;
  const int n = std::atoi(env);
  return n > 0 ? n : default_count;
}

std::vector<std::string> RunWithReload(std::shared_ptr<const Ruleset> rs,
                                       const Stream& st,
                                       const std::string& yaml,
                                       int reload_before, std::string* error) {
  std::unique_ptr<Engine> engine = *Engine::Create(rs);
  JsonSink sink;
  for (size_t i = 0; i < st.events.size(); ++i) {
    if (static_cast<int>(i) == reload_before) {
      LoadResult again = LoadRulesetFromString(yaml, "gen.yaml");
      absl::Status st = engine->Reload(again.ruleset());
      if (!st.ok()) *error += st.ToString();
    }
    const GenEvent& e = st.events[i];
    if (e.advance) {
      engine->AdvanceTo(e.time, &sink);
    } else {
      (void)engine->Process(e.ToEvent(), &sink);
    }
  }
  engine->AdvanceTo(st.until, &sink);
  std::vector<std::string> lines = sink.lines;
  lines.push_back("now " + FormatTimestamp(engine->now()));
  lines.push_back("sessions " + std::to_string(engine->session_count()));
  for (const PendingTimer& t : engine->PendingTimers()) {
    lines.push_back("pending " + FormatTimestamp(t.deadline) + "|" + t.session +
                    "|" + t.rule);
  }
  const EngineStats& s = engine->stats();
  lines.push_back(absl::StrCat("stats ", s.events, " ", s.decisions, " ",
                               s.timers_fired, " ", s.sessions_expired, " ",
                               s.timers_dropped));
  for (size_t r = 0; r < s.rule_runs.size(); ++r) {
    lines.push_back(
        absl::StrCat("rule ", r, " ", s.rule_runs[r], " ", s.rule_errors[r]));
  }
  return lines;
}

TEST(ReloadTest, ReloadingTheSameRulesetChangesNothing) {
  const int cases = SeedCount(1000);
  int loaded = 0, mismatches = 0;
  for (int seed = 1; seed <= cases; ++seed) {
    Gen g(static_cast<uint32_t>(seed));
    const std::string yaml = GenRuleset(g);
    LoadResult result = LoadRulesetFromString(yaml, "gen.yaml");
    if (!result.ok()) continue;
    ++loaded;
    const Stream st = GenStream(g);
    const int at = g.Int(0, static_cast<int>(st.events.size()));
    std::string error;
    const std::vector<std::string> want =
        RunWithReload(result.ruleset(), st, yaml, -1, &error);
    const std::vector<std::string> got =
        RunWithReload(result.ruleset(), st, yaml, at, &error);
    if (got != want || !error.empty()) {
      ++mismatches;
      if (mismatches <= 3) {
        std::string w, gl;
        for (const std::string& l : want) w += "    " + l + "\n";
        for (const std::string& l : got) gl += "    " + l + "\n";
        ADD_FAILURE() << "seed " << seed << ", reload before event " << at
                      << " " << error << "\n--- ruleset:\n"
                      << yaml << "--- events:\n"
                      << DescribeStream(st) << "--- straight:\n"
                      << w << "--- reloaded:\n"
                      << gl;
      }
    }
  }
  std::printf("cases %d, loaded %d, mismatches %d\n", cases, loaded,
              mismatches);
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(loaded, cases / 2);
}

}  // namespace
}  // namespace switchboard
