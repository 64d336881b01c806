// Checks that Engine::Process does not allocate in steady state: events for
// existing sessions, with conditions, set, idle re-arm, after restart and
// decisions; the routing workload at 100 rules (rule index on); the run
// path from JSON Lines to decision JSON; and skill routing (routes,
// transfers, ends_on, agents, assignments, relax steps, route timeouts).
// Counts calls to the global operator new around Process.
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/check/checked_ruleset.h"
#include "gtest/gtest.h"
#include "switchboard/compact_event.h"
#include "switchboard/engine.h"
#include "switchboard/event_reader.h"
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

// The routing workload at 100 rules with tag actions: 6,000 events over
// 100 sessions (every session warm early on).
testing::RoutingWorkload TagWorkload(uint32_t seed) {
  testing::RoutingWorkloadOptions options;
  options.rules = 100;
  options.events = 6000;
  options.sessions = 100;
  options.extras = false;
  options.tags = true;
  return testing::RoutingWorkload(seed, options);
}

TEST(AllocTest, RoutingWorkloadAt100RulesDoesNotAllocate) {
  testing::RoutingWorkload w = TagWorkload(7);
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
// full parser), into an `EventType` (Event or CompactEvent).
template <typename EventType>
void ExpectRunPathDoesNotAllocate(const ReaderOptions& reader_options) {
  testing::RoutingWorkload w = TagWorkload(11);
  auto rs = MustLoad(w.yaml());
  ASSERT_NE(rs, nullptr);
  auto engine = Engine::Create(rs);
  ASSERT_TRUE(engine.ok());
  const std::vector<std::string> lines = w.JsonLines();
  EventReader reader(*rs, reader_options);
  EventType event;
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
  ExpectRunPathDoesNotAllocate<Event>(ReaderOptions());
}

TEST(AllocTest, RunPathWithoutTheFastPathDoesNotAllocate) {
  ReaderOptions options;
  options.fast_path = false;
  ExpectRunPathDoesNotAllocate<Event>(options);
}

TEST(AllocTest, CompactRunPathDoesNotAllocate) {
  ExpectRunPathDoesNotAllocate<CompactEvent>(ReaderOptions());
}

TEST(AllocTest, CompactRunPathWithoutTheFastPathDoesNotAllocate) {
  ReaderOptions options;
  options.fast_path = false;
  ExpectRunPathDoesNotAllocate<CompactEvent>(options);
}

}  // namespace
}  // namespace switchboard

// Skill routing in steady state: rules `route` into queues (skills, relax
// rings, a timeout, custom ends_on, priorities), sessions are transferred
// between queues, conversations end, agents log in and out, go ready and
// not ready and change skills, and the engine assigns. One period of events
// (random, fixed seed) is played again and again, each period ending with
// every conversation closed and every agent logged out, so that the
// Assigner's sets grow to their largest sizes in the first periods and then
// only churn: no allocation after the warm-up. Session and agent ids are
// longer than the strings' inline buffer.
namespace switchboard {
namespace {

class ActionCountingSink : public DecisionSink {
 public:
  void OnDecision(const Decision& d) override {
    if (d.action == "route") ++routes;
    if (d.action == "assign") ++assigns;
    if (d.rule == "callback-on-timeout") ++timeouts;
  }
  int routes = 0;
  int assigns = 0;
  int timeouts = 0;
};

constexpr char kRoutingDesk[] = R"y(
ruleset: desk
session:
  expire: 6h
event:
  intent: string
  vip: bool
queues:
  billing:
    skills: {billing: 2, german: 1}
    channels: [voice, chat]
    relax:
      - {after: 5s, drop: [german]}
      - {after: 9s, skills: {billing: 1}}
  sales:
    skills: {sales: 1}
    ends_on: [conversation.closed, sale.done]
  general:
    skills: {}
    channels: [chat]
rules:
  - name: billing
    on: message.received
    if: has(event.intent) && event.intent == 'billing'
    then:
      - route: {queue: billing, timeout: 20s}
  - name: sales-vip
    priority: 10
    on: message.received
    if: has(event.intent) && event.intent == 'sales' && has(event.vip) && event.vip
    then:
      - route: {queue: sales, priority: 5}
  - name: sales
    on: message.received
    if: has(event.intent) && event.intent == 'sales'
    then:
      - route: {queue: sales, timeout: 15s}
  - name: general
    on: message.received
    if: has(event.intent) && event.intent == 'other'
    then:
      - route: {queue: general, skills: {}}
  - name: callback-on-timeout
    on: route.timeout
    then:
      - tag: [timed-out]
)y";

// One period of `n` events from `start`, one second apart, for `sessions`
// sessions and `agents` agents; the period ends by closing every session and
// logging every agent out.
std::vector<Event> RoutingPeriod(std::mt19937& rng, absl::Time start,
                                 int sessions, int agents, int n) {
  std::vector<Event> out;
  absl::Time t = start;
  auto session = [](int i) {
    return absl::StrCat("conversation-routing-session-", 1000 + i);
  };
  auto agent = [](int i) {
    return absl::StrCat("agent-with-a-long-id-", 100 + i);
  };
  auto next = [&](std::string_view type) -> Event& {
    out.emplace_back(type, t);
    t += absl::Seconds(1);
    return out.back();
  };
  const char* const channels[] = {"chat", "voice", "whatsapp"};
  const char* const intents[] = {"billing", "sales", "other"};
  for (int i = 0; i < n; ++i) {
    const int pick = static_cast<int>(rng() % 100);
    if (pick < 55) {  // a message that routes (a transfer when queued)
      Event& e = next("message.received");
      e.SetString("conversation", session(static_cast<int>(rng() % sessions)));
      e.SetString("channel", channels[rng() % 3]);
      e.SetString("intent", intents[rng() % 3]);
      if (rng() % 4 == 0) e.SetBool("vip", true);
    } else if (pick < 70) {  // the conversation ends
      Event& e = next(rng() % 3 == 0 ? "sale.done" : "conversation.closed");
      e.SetString("conversation", session(static_cast<int>(rng() % sessions)));
    } else {  // an agent event
      const int a = static_cast<int>(rng() % agents);
      const int kind = static_cast<int>(rng() % 5);
      if (kind <= 1) {
        Event& e = next("agent.login");
        e.SetString("agent", agent(a));
        e.SetIntMap("skills", {{"billing", static_cast<int64_t>(1 + rng() % 3)},
                               {"german", static_cast<int64_t>(rng() % 2)},
                               {"sales", static_cast<int64_t>(rng() % 2)}});
        if (kind == 1) e.SetIntMap("capacity", {{"chat", 2}, {"voice", 1}});
      } else if (kind == 2) {
        next(rng() % 2 == 0 ? "agent.ready" : "agent.not_ready")
            .SetString("agent", agent(a));
      } else if (kind == 3) {
        next("agent.logout").SetString("agent", agent(a));
      } else {
        Event& e = next("agent.skills");
        e.SetString("agent", agent(a));
        e.SetIntMap("skills", {{"billing", 2}, {"german", 1}, {"sales", 1}});
      }
    }
  }
  for (int s = 0; s < sessions; ++s) {
    next("conversation.closed").SetString("conversation", session(s));
  }
  for (int a = 0; a < agents; ++a)
    next("agent.logout").SetString("agent", agent(a));
  return out;
}

TEST(AllocTest, SkillRoutingDoesNotAllocateInSteadyState) {
  auto rs = MustLoad(kRoutingDesk);
  ASSERT_NE(rs, nullptr);
  auto engine = Engine::Create(rs);
  ASSERT_TRUE(engine.ok());
  constexpr int kSessions = 30;
  constexpr int kAgents = 6;
  constexpr int kPeriodEvents = 400;
  constexpr int kWarmPeriods = 3;
  constexpr int kPeriods = 8;
  std::mt19937 period_rng(2026);
  const std::mt19937 seed_state = period_rng;
  // Every period replays the same draws, shifted in time.
  std::vector<std::vector<Event>> periods;
  absl::Time start = T("10:00:00");
  for (int p = 0; p < kPeriods; ++p) {
    std::mt19937 rng = seed_state;
    periods.push_back(
        RoutingPeriod(rng, start, kSessions, kAgents, kPeriodEvents));
    start = periods.back().back().time() + absl::Seconds(30);
  }
  ActionCountingSink sink;
  for (int p = 0; p < kWarmPeriods; ++p) {
    for (const Event& e : periods[p]) {
      ASSERT_TRUE((*engine)->Process(e, &sink).ok());
    }
  }
  const ActionCountingSink warm = sink;
  const EngineStats warm_stats = (*engine)->stats();
  g_allocations = 0;
  g_counting = true;
  for (int p = kWarmPeriods; p < kPeriods; ++p) {
    for (const Event& e : periods[p]) (void)(*engine)->Process(e, &sink);
  }
  g_counting = false;
  EXPECT_EQ(g_allocations, 0);
  const EngineStats stats = (*engine)->stats();
  // The counted events did route, transfer, assign, time out and abandon.
  const int counted = kPeriods - kWarmPeriods;
  EXPECT_GT(sink.routes - warm.routes, 100 * counted);
  EXPECT_GT(sink.assigns - warm.assigns, 20 * counted);
  EXPECT_GT(sink.timeouts - warm.timeouts, 0);
  EXPECT_GT(stats.transfers - warm_stats.transfers, 50 * counted);
  EXPECT_GT(stats.conversations_abandoned - warm_stats.conversations_abandoned,
            10 * counted);
  EXPECT_EQ(stats.conversations_waiting, 0);
  EXPECT_EQ(stats.conversations_assigned, 0);
}

}  // namespace
}  // namespace switchboard
