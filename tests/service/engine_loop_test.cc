// Tests of the engine loop (service/engine_loop.h): decision ids from the
// input's position and the decision's place, bad lines, the full queue,
// timers on the wall clock with no further input, and the same decisions
// with the same ids after a crash and a restart from the state folder.
#include "service/engine_loop.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/decision_hub.h"
#include "service/state_dir.h"
#include "switchboard/diagnostic.h"
#include "switchboard/ruleset.h"
#include "switchboard/time.h"
#include "tests/support/test_util.h"

namespace switchboard::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kRules[] = R"y(
ruleset: shop
session:
  key: visitor
  fields:
    items: int = 0
event:
  items: int
rules:
  - name: track
    on: cart.updated
    then:
      - set: {items: "event.items"}
      - tag: [cart]
  - name: big
    on: cart.updated
    if: event.items > 2
    then: [{tag: [big]}]
  - name: quiet
    on: {idle: 300ms}
    if: session.items > 0
    then: [{offer: {channel: chat, message: help}}]
)y";

std::shared_ptr<const Ruleset> Rules() {
  LoadResult result = LoadRulesetFromString(kRules, "shop.yaml");
  EXPECT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  return result.ruleset();
}

std::string Line(std::string_view time, std::string_view visitor, int items) {
  return "{\"time\":\"" + std::string(time) +
         "\",\"type\":\"cart.updated\",\"visitor\":\"" + std::string(visitor) +
         "\",\"items\":" + std::to_string(items) + "}";
}

// A batch of `lines` (numbered from 1), collecting decisions.
std::unique_ptr<Batch> MakeBatch(const std::vector<std::string>& lines) {
  auto batch = std::make_unique<Batch>();
  batch->collect = true;
  for (const std::string& l : lines) batch->text += l + "\n";
  size_t at = 0;
  int64_t n = 0;
  for (const std::string& l : lines) {
    batch->lines.push_back(
        {std::string_view(batch->text).substr(at, l.size()), ++n});
    at += l.size() + 1;
  }
  return batch;
}

// The "id" members of JSON lines, in order.
std::vector<std::string> Ids(std::string_view lines) {
  std::vector<std::string> ids;
  size_t at = 0;
  while ((at = lines.find("\"id\":\"", at)) != std::string_view::npos) {
    at += 6;
    ids.emplace_back(lines.substr(at, lines.find('"', at) - at));
  }
  return ids;
}

class EngineLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/engine_loop_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    for (std::FILE* f : files_) std::fclose(f);
    std::filesystem::remove_all(dir_);
  }

  // A hub writing to a file of dir_ (read back with Published()).
  std::unique_ptr<DecisionHub> Hub(const std::string& name) {
    out_path_ = dir_ + "/" + name;
    std::FILE* f = std::fopen(out_path_.c_str(), "w");
    files_.push_back(f);
    DecisionHub::Options options;
    options.stdout_fd = fileno(f);
    return std::make_unique<DecisionHub>(options);
  }
  std::string Published() const {
    return switchboard::testing::ReadFileOrEmpty(out_path_);
  }

  // A loop with event time on the state folder `path` (instance "s"),
  // started, publishing to the file `hub_name`; `loop` holds the error
  // when it cannot be made.
  struct StateLoop {
    std::unique_ptr<StateDir> dir;
    std::unique_ptr<DecisionHub> hub;
    absl::StatusOr<std::unique_ptr<EngineLoop>> loop;
    EngineLoop& operator*() { return **loop; }
  };
  StateLoop OpenState(const std::string& path, const std::string& hub_name,
                      bool accept_state_loss = false) {
    StateLoop s;
    auto dir = StateDir::Open(path, "s");
    EXPECT_TRUE(dir.ok()) << dir.status();
    if (!dir.ok()) return {nullptr, nullptr, dir.status()};
    s.dir = std::move(*dir);
    s.hub = Hub(hub_name);
    LoopOptions options;
    options.clock = ClockMode::kEvent;
    options.instance = "s";
    options.accept_state_loss = accept_state_loss;
    s.loop = EngineLoop::Create(Rules(), options, s.dir.get(), s.hub.get());
    if (s.loop.ok()) (*s.loop)->Start();
    return s;
  }

  // Submits `lines` as one batch, waits until it is acknowledged, and
  // returns its decisions.
  static std::string Apply(EngineLoop& loop,
                           const std::vector<std::string>& lines) {
    auto batch = MakeBatch(lines);
    EXPECT_TRUE(loop.Submit(batch.get()).ok());
    batch->Wait();
    EXPECT_TRUE(batch->status.ok()) << batch->status;
    return batch->decisions;
  }

  // Runs `events` through a new state folder `path`, then copies the folder
  // to `crashed` as a crash would leave it (every input journaled and
  // synced, no last snapshot), then stops cleanly. Returns the decisions.
  std::string RunAndCrash(const std::string& path, const std::string& crashed,
                          const std::vector<std::string>& events) {
    StateLoop s = OpenState(path, "first.jsonl");
    EXPECT_TRUE(s.loop.ok()) << s.loop.status();
    if (!s.loop.ok()) return "";
    std::string decisions;
    for (const std::string& e : events) decisions += Apply(*s, {e});
    std::filesystem::copy(path, crashed);
    EXPECT_TRUE((*s).Stop().ok());
    return decisions;
  }

  std::string dir_;
  std::string out_path_;
  std::vector<std::FILE*> files_;
};

TEST_F(EngineLoopTest, IdsAreThePositionOfTheInputAndThePlaceOfTheDecision) {
  auto hub = Hub("out.jsonl");
  LoopOptions options;
  options.clock = ClockMode::kEvent;
  options.instance = "t";
  auto loop = EngineLoop::Create(Rules(), options, nullptr, hub.get());
  ASSERT_TRUE(loop.ok()) << loop.status();
  (*loop)->Start();
  auto batch = MakeBatch({Line("2026-11-23T10:00:00Z", "a", 1), "not json",
                          Line("2026-11-23T10:00:01Z", "b", 5)});
  ASSERT_TRUE((*loop)->Submit(batch.get()).ok());
  batch->Wait();
  EXPECT_TRUE(batch->status.ok());
  EXPECT_EQ(batch->accepted, 2);
  // The bad line takes no position: b's event is input 2. With event time,
  // it first fired a's idle timer (due at 10:00:00.3): that decision is
  // input 2's too, before b's two tags.
  EXPECT_THAT(Ids(batch->decisions),
              ElementsAre("t-1-0", "t-2-0", "t-2-1", "t-2-2"));
  EXPECT_THAT(batch->decisions,
              HasSubstr("\"session\":\"a\",\"rule\":\"quiet\""));
  ASSERT_EQ(batch->errors.size(), 1u);
  EXPECT_THAT(batch->errors[0], HasSubstr("2: error: "));
  ASSERT_TRUE((*loop)->Stop().ok());
  // The decision outputs got them too.
  EXPECT_EQ(Published(), batch->decisions);
}

TEST_F(EngineLoopTest, AFullQueueRefusesABatchAtOnce) {
  auto hub = Hub("out.jsonl");
  LoopOptions options;
  options.clock = ClockMode::kEvent;
  options.instance = "t";
  options.queue_events = 3;
  auto loop = EngineLoop::Create(Rules(), options, nullptr, hub.get());
  ASSERT_TRUE(loop.ok());
  // Not started: nothing takes from the queue.
  auto two = MakeBatch({Line("2026-11-23T10:00:00Z", "a", 1),
                        Line("2026-11-23T10:00:00Z", "b", 1)});
  auto more = MakeBatch({Line("2026-11-23T10:00:00Z", "c", 1),
                         Line("2026-11-23T10:00:00Z", "d", 1)});
  ASSERT_TRUE((*loop)->Submit(two.get()).ok());
  EXPECT_EQ((*loop)->Submit(more.get()).code(),
            absl::StatusCode::kResourceExhausted);
  (*loop)->Close();
  EXPECT_EQ((*loop)->Submit(more.get()).code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE((*loop)->Stop().ok());
  EXPECT_TRUE(two->done.HasBeenNotified());
  EXPECT_EQ(two->status.code(), absl::StatusCode::kUnavailable);
}

TEST_F(EngineLoopTest, WithTheWallClockATimerFiresWithoutAnotherInput) {
  auto hub = Hub("out.jsonl");
  LoopOptions options;
  options.instance = "t";
  auto loop = EngineLoop::Create(Rules(), options, nullptr, hub.get());
  ASSERT_TRUE(loop.ok());
  (*loop)->Start();
  const absl::Time sent = absl::Now();
  auto batch = MakeBatch({Line(FormatTimestamp(sent), "a", 1)});
  ASSERT_TRUE((*loop)->Submit(batch.get()).ok());
  batch->Wait();
  // The idle timer (300 ms) fires on its own: wait for it, boundedly.
  std::string out;
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while ((out = Published()).find("\"offer\"") == std::string::npos &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_GE(absl::Now() - sent, absl::Milliseconds(300));
  EXPECT_THAT(out, HasSubstr("\"rule\":\"quiet\",\"action\":\"offer\""));
  EXPECT_THAT(out, HasSubstr("\"trigger\":\"idle\""));
  ASSERT_TRUE((*loop)->Stop().ok());
}

TEST_F(EngineLoopTest, ARestartAfterACrashRemakesTheSameDecisionsWithTheirIds) {
  std::vector<std::string> events;
  for (int i = 0; i < 3; ++i) {
    events.push_back(Line("2026-11-23T10:00:0" + std::to_string(i) + "Z",
                          "v" + std::to_string(i), i + 2));
  }
  const std::string before =
      RunAndCrash(dir_ + "/state", dir_ + "/crashed", events);
  StateLoop s = OpenState(dir_ + "/crashed", "second.jsonl");
  ASSERT_TRUE(s.loop.ok()) << s.loop.status();
  // Replayed at creation: the same decisions, the same ids.
  EXPECT_EQ(Published(), before);
  // The sessions went on: the next input is 4, and v2's idle timer, armed
  // before the crash, fires first (its session kept its items).
  const std::string after = Apply(*s, {Line("2026-11-23T10:00:09Z", "v2", 1)});
  EXPECT_THAT(Ids(after), ElementsAre("s-4-0", "s-4-1"));
  EXPECT_THAT(after, HasSubstr("\"trigger\":\"idle\""));
  ASSERT_TRUE((*s).Stop().ok());
  EXPECT_THAT(s.dir->Snapshots(), ElementsAre(4u));
}

TEST_F(EngineLoopTest, AStopRightAfterARecoveryWritesItsSnapshot) {
  RunAndCrash(dir_ + "/state", dir_ + "/crashed",
              {Line("2026-11-23T10:00:00Z", "a", 1)});
  // Replays input 1, starts the segment of input 2, and stops at once: the
  // snapshot at 1 needs no new segment (the one of input 2 is there).
  StateLoop s = OpenState(dir_ + "/crashed", "second.jsonl");
  ASSERT_TRUE(s.loop.ok()) << s.loop.status();
  EXPECT_TRUE((*s).Stop().ok());
  EXPECT_THAT(s.dir->Snapshots(), ElementsAre(1u));
  EXPECT_THAT(s.dir->Segments(), ElementsAre(1u, 2u));
}

TEST_F(EngineLoopTest, AStateWithAGapIsRefusedUnlessLossIsAccepted) {
  const std::string state = dir_ + "/state";
  {
    StateLoop s = OpenState(state, "first.jsonl");
    ASSERT_TRUE(s.loop.ok());
    Apply(*s, {Line("2026-11-23T10:00:00Z", "a", 1)});
    ASSERT_TRUE((*s).Stop().ok());
  }
  // Lose the snapshot and the journal up to it: what is left starts at
  // input 2, not 1.
  for (const auto& entry : std::filesystem::directory_iterator(state)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("snapshot-", 0) == 0 ||
        name == "journal-00000000000000000001.log") {
      std::filesystem::remove(entry.path());
    }
  }
  EXPECT_EQ(OpenState(state, "second.jsonl").loop.status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(
      OpenState(state, "third.jsonl", /*accept_state_loss=*/true).loop.ok());
}

TEST(StateDirTest, OneProcessPerFolderAndTheInstanceIsKept) {
  char pattern[] = "/tmp/state_dir_test.XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string path = std::string(pattern) + "/new/state";
  std::string name;
  {
    auto dir = StateDir::Open(path, "");
    ASSERT_TRUE(dir.ok()) << dir.status();
    name = (*dir)->instance();
    EXPECT_TRUE(ValidInstanceName(name));
    // flock is per open file: a second open in this process is refused too.
    EXPECT_EQ(StateDir::Open(path, "").status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
  auto again = StateDir::Open(path, "");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->instance(), name);
  again->reset();
  EXPECT_EQ(StateDir::Open(path, "other").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StateDir::Open(path, "bad name").status().code(),
            absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(pattern);
}

}  // namespace
}  // namespace switchboard::service
