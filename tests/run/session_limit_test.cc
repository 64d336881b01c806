// Tests of EngineOptions::max_sessions: creating a session beyond the limit
// evicts the longest-idle one (smallest last_seen; among equals, the one
// touched earliest), with its fields and timers, counted in
// EngineStats::sessions_evicted; derived events and timers are not
// activity; 0 is unlimited; the eviction order survives a snapshot, and a
// restore into an engine with a smaller limit evicts down to it.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "switchboard/engine.h"
#include "tests/run/engine_test_util.h"

namespace switchboard {
namespace {

using ::switchboard::testing::CollectingSink;
using ::switchboard::testing::MustLoad;
using ::switchboard::testing::T;

constexpr char kRules[] = R"yaml(
ruleset: limit
session:
  fields:
    hits: int = 0
rules:
  - name: hit
    on: a.hit
    then:
      - set: {hits: "session.hits + 1"}
      - emit: {type: a.counted}
  - name: counted
    on: a.counted
    if: "session.hits > 1"
    then:
      - tag: [again]
  - name: quiet
    on: {idle: 1m}
    then:
      - tag: [quiet]
)yaml";

std::unique_ptr<Engine> Make(int64_t max_sessions) {
  EngineOptions options;
  options.max_sessions = max_sessions;
  return *Engine::Create(MustLoad(kRules), options);
}

Event Hit(std::string_view time, std::string_view id) {
  Event e("a.hit", T(time));
  e.SetString("conversation", id);
  return e;
}

TEST(SessionLimitTest, DefaultIsAMillion) {
  EXPECT_EQ(EngineOptions().max_sessions, 1000000);
}

TEST(SessionLimitTest, EvictsTheLongestIdleSession) {
  std::unique_ptr<Engine> engine = Make(3);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Hit("10:00:00", "a"), &sink).ok());
  ASSERT_TRUE(engine->Process(Hit("10:00:01", "b"), &sink).ok());
  ASSERT_TRUE(engine->Process(Hit("10:00:02", "c"), &sink).ok());
  ASSERT_TRUE(engine->Process(Hit("10:00:03", "a"), &sink).ok());  // touch a
  EXPECT_EQ(engine->session_count(), 3);
  EXPECT_EQ(engine->stats().sessions_evicted, 0);
  ASSERT_TRUE(engine->Process(Hit("10:00:04", "d"), &sink).ok());  // evicts b
  EXPECT_EQ(engine->session_count(), 3);
  EXPECT_EQ(engine->stats().sessions_evicted, 1);
  EXPECT_EQ(engine->stats().sessions_expired, 0);
  // b's idle timer went with it; a's second hit counted; b starts afresh.
  ASSERT_TRUE(engine->Process(Hit("10:00:05", "b"), &sink).ok());  // evicts c
  EXPECT_EQ(engine->stats().sessions_evicted, 2);
  EXPECT_EQ(engine->stats().sessions_created, 5);
  std::vector<std::string> sessions;
  for (const PendingTimer& t : engine->PendingTimers()) {
    sessions.push_back(t.session);
  }
  EXPECT_EQ(sessions, (std::vector<std::string>{"a", "d", "b"}));
  engine->AdvanceTo(T("10:05:00"), &sink);
  EXPECT_EQ(sink.Lines(), (std::vector<std::string>{
                              "10:00:03 a counted tag a.counted",
                              "10:01:03 a quiet tag idle",
                              "10:01:04 d quiet tag idle",
                              "10:01:05 b quiet tag idle",
                          }));
}

TEST(SessionLimitTest, TiesGoToTheSessionTouchedFirst) {
  std::unique_ptr<Engine> engine = Make(2);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Hit("10:00:00", "y"), &sink).ok());
  ASSERT_TRUE(engine->Process(Hit("10:00:00", "x"), &sink).ok());
  ASSERT_TRUE(engine->Process(Hit("10:00:00", "z"), &sink).ok());  // evicts y
  std::vector<std::string> sessions;
  for (const PendingTimer& t : engine->PendingTimers()) {
    sessions.push_back(t.session);
  }
  EXPECT_EQ(sessions, (std::vector<std::string>{"x", "z"}));
}

TEST(SessionLimitTest, ZeroIsUnlimited) {
  std::unique_ptr<Engine> engine = Make(0);
  CollectingSink sink;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(
        engine->Process(Hit("10:00:00", "s" + std::to_string(i)), &sink).ok());
  }
  EXPECT_EQ(engine->session_count(), 100);
  EXPECT_EQ(engine->stats().sessions_evicted, 0);
}

TEST(SessionLimitTest, EvictionOrderSurvivesASnapshot) {
  std::unique_ptr<Engine> engine = Make(3);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Hit("10:00:00", "a"), &sink).ok());
  ASSERT_TRUE(engine->Process(Hit("10:00:00", "b"), &sink).ok());
  ASSERT_TRUE(engine->Process(Hit("10:00:00", "c"), &sink).ok());
  ASSERT_TRUE(engine->Process(Hit("10:00:00", "a"), &sink).ok());
  const std::string bytes = *engine->Snapshot();

  std::unique_ptr<Engine> restored = Make(3);
  ASSERT_TRUE(restored->Restore(bytes).ok());
  ASSERT_TRUE(restored->Process(Hit("10:00:01", "d"), &sink).ok());  // evicts b
  std::vector<std::string> sessions;
  for (const PendingTimer& t : restored->PendingTimers()) {
    sessions.push_back(t.session);
  }
  EXPECT_EQ(sessions, (std::vector<std::string>{"a", "c", "d"}));

  // A smaller limit evicts down to it at restore, the longest idle first.
  std::unique_ptr<Engine> small = Make(1);
  ASSERT_TRUE(small->Restore(bytes).ok());
  EXPECT_EQ(small->session_count(), 1);
  EXPECT_EQ(small->stats().sessions_evicted, 2);
  ASSERT_EQ(small->PendingTimers().size(), 1u);
  EXPECT_EQ(small->PendingTimers()[0].session, "a");
}

TEST(SessionLimitTest, MemoryIsReusedUnderAFlood) {
  std::unique_ptr<Engine> engine = Make(50);
  CollectingSink sink;
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(
        engine->Process(Hit("10:00:00", "flood-" + std::to_string(i)), &sink)
            .ok());
  }
  EXPECT_EQ(engine->session_count(), 50);
  EXPECT_EQ(engine->stats().sessions_evicted, 4950);
  EXPECT_EQ(engine->PendingTimers().size(), 50u);
}

}  // namespace
}  // namespace switchboard
