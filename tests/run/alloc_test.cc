// Checks that Engine::Process does not allocate in steady state: events for
// existing sessions, with conditions, set, idle re-arm, after restart and
// decisions. Counts calls to the global operator new around Process.
#include <cstdlib>
#include <new>
#include <vector>

#include "gtest/gtest.h"
#include "switchboard/engine.h"
#include "tests/run/engine_test_util.h"

namespace {
long long g_allocations = 0;
bool g_counting = false;
}  // namespace

void* operator new(std::size_t size) {
  if (g_counting) ++g_allocations;
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace switchboard {
namespace {

using ::switchboard::testing::MustLoad;
using ::switchboard::testing::T;

class CountingSink : public DecisionSink {
 public:
  void OnDecision(const Decision& d) override { ++count; }
  int count = 0;
};

TEST(AllocTest, ProcessDoesNotAllocateForExistingSessions) {
  auto rs = MustLoad(R"y(
ruleset: t
session:
  fields:
    intent: string = ""
    n: int = 0
event:
  intent: string
  score: double
rules:
  - name: remember
    priority: 10
    on: msg.in
    if: has(event.intent)
    then:
      - set: {intent: "event.intent", n: "session.n + 1"}
  - name: buyer
    on: msg.in
    if: [session.intent == 'buy', event.score > 0.5]
    then:
      - tag: [buyer]
      - offer: {channel: chat, message: hi}
  - name: quiet
    on: {idle: 10m}
    then: [{tag: [quiet]}]
  - name: unanswered
    on: {after: 5m, since: msg.in, unless: [msg.out]}
    then: [{tag: [unanswered]}]
)y");
  ASSERT_NE(rs, nullptr);
  auto engine = Engine::Create(rs);
  ASSERT_TRUE(engine.ok());
  CountingSink sink;
  // Prepared events for 3 sessions, 40 rounds, one second apart; the first
  // 10 rounds warm the buffers up.
  std::vector<Event> events;
  absl::Time t = T("10:00:00");
  const char* keys[] = {"alpha-session-0001", "beta-session-0002",
                        "gamma-session-0003"};
  for (int round = 0; round < 40; ++round) {
    for (int k = 0; k < 3; ++k) {
      Event e("msg.in", t);
      t += absl::Seconds(1);
      e.SetString("conversation", keys[k]);
      e.SetString("channel", "chat");
      e.SetString("intent", round % 2 ? "buy" : "browse-a-long-intent-name");
      e.SetDouble("score", 0.9);
      events.push_back(std::move(e));
    }
  }
  for (size_t i = 0; i < 30; ++i) {
    ASSERT_TRUE((*engine)->Process(events[i], &sink).ok());
  }
  g_allocations = 0;
  g_counting = true;
  for (size_t i = 30; i < events.size(); ++i) {
    (void)(*engine)->Process(events[i], &sink);
  }
  g_counting = false;
  EXPECT_EQ(g_allocations, 0);
  EXPECT_GT(sink.count, 0);
  EXPECT_EQ((*engine)->stats().events, 120);
}

}  // namespace
}  // namespace switchboard
