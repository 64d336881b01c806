// Tests of what a live service needs from the engine (docs/serving.md):
// EngineOptions::late_tolerance, Engine::NextDeadline (when to wake up
// next) and Engine::PendingTimerCount (the metric, without the list).
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/engine.h"
#include "tests/run/engine_test_util.h"

namespace switchboard {
namespace {

using ::switchboard::testing::CollectingSink;
using ::switchboard::testing::Ev;
using ::switchboard::testing::MustLoad;
using ::switchboard::testing::T;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kRules[] = R"y(
ruleset: t
rules:
  - name: seen
    on: x
    if: now == timestamp('2026-11-23T10:00:05Z')
    then: [{tag: [seen]}]
  - name: quiet
    on: {idle: 1m}
    then: [{tag: [quiet]}]
  - name: nudge
    on: {after: 30s, since: x}
    then: [{tag: [nudge]}]
)y";

std::unique_ptr<Engine> MakeLiveEngine(absl::Duration tolerance) {
  EngineOptions options;
  options.late_tolerance = tolerance;
  auto engine = Engine::Create(MustLoad(kRules), options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

TEST(LiveClockTest, EventsWithinTheToleranceAreNotCountedLate) {
  auto engine = MakeLiveEngine(absl::Seconds(1));
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  engine->AdvanceTo(T("10:00:05"), &sink);
  // 0.5 s behind: processed at the clock's time, not counted.
  ASSERT_TRUE(
      engine->Process(Ev("x", "2026-11-23T10:00:04.500Z", "a"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:05 a seen tag x"));
  EXPECT_EQ(engine->stats().late_events, 0);
  // Exactly 1 s behind: still within.
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:04", "b"), &sink).ok());
  EXPECT_EQ(engine->stats().late_events, 0);
  // More than 1 s behind: processed at the clock's time, counted.
  ASSERT_TRUE(
      engine->Process(Ev("x", "2026-11-23T10:00:03.999Z", "c"), &sink).ok());
  EXPECT_THAT(sink.TakeLines(),
              ElementsAre("10:00:05 b seen tag x", "10:00:05 c seen tag x"));
  EXPECT_EQ(engine->stats().late_events, 1);
}

TEST(LiveClockTest, WithoutToleranceEveryEventBehindTheClockIsLate) {
  auto engine = MakeLiveEngine(absl::ZeroDuration());
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  engine->AdvanceTo(T("10:00:05"), &sink);
  ASSERT_TRUE(
      engine->Process(Ev("x", "2026-11-23T10:00:04.999Z", "a"), &sink).ok());
  EXPECT_EQ(engine->stats().late_events, 1);
}

TEST(LiveClockTest, NextDeadlineIsTheEarliestTimer) {
  auto engine = MakeLiveEngine(absl::ZeroDuration());
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  EXPECT_EQ(engine->NextDeadline(), absl::InfiniteFuture());
  EXPECT_EQ(engine->PendingTimerCount(), 0);
  ASSERT_TRUE(engine->Process(Ev("x", "10:00:00", "a"), &sink).ok());
  // nudge at 10:00:30, quiet at 10:01:00; the session's expiry much later.
  EXPECT_EQ(engine->NextDeadline(), T("10:00:30"));
  EXPECT_EQ(engine->PendingTimerCount(), 2);
  EXPECT_EQ(engine->PendingTimerCount(),
            static_cast<int64_t>(engine->PendingTimers().size()));
  // Just before it: nothing fires.
  engine->AdvanceTo(T("2026-11-23T10:00:29.999Z"), &sink);
  EXPECT_THAT(sink.TakeLines(), IsEmpty());
  engine->AdvanceTo(engine->NextDeadline(), &sink);
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:00:30 a nudge tag after"));
  EXPECT_EQ(engine->NextDeadline(), T("10:01:00"));
  EXPECT_EQ(engine->PendingTimerCount(), 1);
  engine->AdvanceTo(engine->NextDeadline(), &sink);
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:01:00 a quiet tag idle"));
  EXPECT_EQ(engine->PendingTimerCount(), 0);
  // Left: the session's expiry check (24 h after its last event).
  EXPECT_EQ(engine->NextDeadline(), T("2026-11-24T10:00:00Z"));
}

TEST(LiveClockTest, NextDeadlineMayBeEarlyButNeverLate) {
  auto engine = MakeLiveEngine(absl::ZeroDuration());
  ASSERT_NE(engine, nullptr);
  CollectingSink sink;
  ASSERT_TRUE(engine->Process(Ev("y", "10:00:00", "a"), &sink).ok());
  EXPECT_EQ(engine->NextDeadline(), T("10:01:00"));
  // A later event re-arms the idle timer: the queued wake-up stays at
  // 10:01:00 (it is postponed when reached), so the answer is early.
  ASSERT_TRUE(engine->Process(Ev("y", "10:00:40", "a"), &sink).ok());
  EXPECT_LE(engine->NextDeadline(), T("10:01:40"));
  // Waking up at each answer in turn reaches the timer at its deadline.
  for (int i = 0; i < 5 && sink.got.empty(); ++i) {
    engine->AdvanceTo(engine->NextDeadline(), &sink);
  }
  EXPECT_THAT(sink.TakeLines(), ElementsAre("10:01:40 a quiet tag idle"));
}

}  // namespace
}  // namespace switchboard
