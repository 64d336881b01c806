// Checks that Engine::Process does not allocate in steady state: events for
// existing sessions, with conditions, set, idle re-arm, after restart and
// decisions; the routing workload at 100 rules (rule index on); and the run
// path from JSON Lines to decision JSON. Counts calls to the global operator
// new around Process.
#include <cstdlib>
#include <new>
#include <vector>

#include "engine/check/checked_ruleset.h"
#include "engine/io/jsonl_reader.h"
#include "gtest/gtest.h"
#include "switchboard/engine.h"
#include "tests/run/engine_test_util.h"
#include "tests/run/routing_workload.h"

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
// The nothrow forms too (std::stable_sort's buffer): under AddressSanitizer
// the runtime's own nothrow new would otherwise meet the free() above, an
// alloc-dealloc mismatch.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (g_counting) ++g_allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

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

// The routing workload of the benchmark's shape (tests/run/routing_workload.h)
// at 100 rules, through the rule index: no allocation once every session
// exists and the buffers have grown. Rules `tag` (a route would enqueue the
// conversation, whose queue state is not the matcher's).
namespace switchboard {
namespace {

TEST(AllocTest, RoutingWorkloadAt100RulesDoesNotAllocate) {
  testing::RoutingWorkloadOptions options;
  options.rules = 100;
  options.events = 6000;
  options.sessions = 100;
  options.extras = false;
  options.tags = true;
  testing::RoutingWorkload w(7, options);
  auto rs = MustLoad(w.yaml());
  ASSERT_NE(rs, nullptr);
  auto engine = Engine::Create(rs);
  ASSERT_TRUE(engine.ok());
  CountingSink sink;
  const std::vector<Event>& events = w.events();
  for (size_t i = 0; i < 3000; ++i) {
    ASSERT_TRUE((*engine)->Process(events[i], &sink).ok());
  }
  const int warm = sink.count;
  g_allocations = 0;
  g_counting = true;
  for (size_t i = 3000; i < events.size(); ++i) {
    (void)(*engine)->Process(events[i], &sink);
  }
  g_counting = false;
  EXPECT_EQ(g_allocations, 0);
  EXPECT_GT(sink.count - warm, 1000);
  EXPECT_EQ((*engine)->stats().events, 6000);
}

// The run path of `switchboard run`: JSON line -> EventReader -> Engine ->
// decision JSON appended to a reused buffer, no allocation in steady state.
class JsonSink : public DecisionSink {
 public:
  void OnDecision(const Decision& d) override {
    d.AppendJson(&buffer);
    buffer.push_back('\n');
    ++count;
  }
  std::string buffer;
  int count = 0;
};

// With `reader_options` (the reader's fast path for plain lines, or the
// full parser).
void ExpectRunPathDoesNotAllocate(const ReaderOptions& reader_options) {
  testing::RoutingWorkloadOptions options;
  options.rules = 100;
  options.events = 6000;
  options.sessions = 100;
  options.extras = false;
  options.tags = true;
  testing::RoutingWorkload w(11, options);
  auto rs = MustLoad(w.yaml());
  ASSERT_NE(rs, nullptr);
  auto engine = Engine::Create(rs);
  ASSERT_TRUE(engine.ok());
  const std::vector<std::string> lines = w.JsonLines();
  EventReader reader(rs->checked(), reader_options);
  Event event;
  JsonSink sink;
  sink.buffer.reserve(1 << 20);
  const auto run = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      ASSERT_TRUE(reader.Next(lines[i], &event).ok()) << lines[i];
      ASSERT_TRUE((*engine)->Process(event, &sink).ok());
      if (sink.buffer.size() > (1 << 19)) sink.buffer.clear();
    }
  };
  run(0, 3000);
  const int warm = sink.count;
  g_allocations = 0;
  g_counting = true;
  run(3000, lines.size());
  g_counting = false;
  EXPECT_EQ(g_allocations, 0);
  EXPECT_GT(sink.count - warm, 1000);
}

TEST(AllocTest, RunPathFromJsonLinesDoesNotAllocate) {
  ExpectRunPathDoesNotAllocate(ReaderOptions());
}

TEST(AllocTest, RunPathWithoutTheFastPathDoesNotAllocate) {
  ReaderOptions options;
  options.fast_path = false;
  ExpectRunPathDoesNotAllocate(options);
}

}  // namespace
}  // namespace switchboard
