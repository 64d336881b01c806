// Cross-check of the Assigner (engine/route/assigner.h) against the plain
// ReferenceAssigner (tests/support/reference_assigner.h): random rosters
// (logins with random skills and capacities, ready / not ready, skill
// changes, logouts) and random streams of routes, transfers and ends, with
// many events at the same instant; after every step both must have made the
// same assignments and timeouts in the same order, and report the same
// queue statistics.
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/common/time_util.h"
#include "engine/plan/ruleset_access.h"
#include "engine/route/assigner.h"
#include "gtest/gtest.h"
#include "tests/run/engine_test_util.h"
#include "tests/support/reference_assigner.h"

namespace switchboard {
namespace {

using ::switchboard::check::ActionKind;
using ::switchboard::check::RouteAction;

using ::switchboard::check::Action;

using ::switchboard::check::CheckedRuleset;
using ::switchboard::check::Rule;
using ::switchboard::route::Assigner;
using ::switchboard::route::QueueStats;

using ::switchboard::route::Assignment;
using ::switchboard::route::RouteTimeout;

using ::switchboard::testing::MustLoad;
using ::switchboard::testing::ReferenceAssigner;
using ::switchboard::testing::T;

constexpr char kRules[] = R"y(
ruleset: xcheck
queues:
  q1:
    skills: {a: 2, b: 1}
    channels: [chat, voice]
    relax:
      - {after: 30s, drop: [b]}
      - {after: 90s, skills: {a: 1}}
  q2:
    skills: {c: 1}
    ends_on: [conv.done]
    handle_time: 2m
  q3:
    skills: {}
    channels: [email]
rules:
  - name: r1
    on: x1
    then: [{route: {queue: q1, priority: 2, timeout: 3m}}]
  - name: r2
    on: x2
    then: [{route: {queue: q1, skills: {a: 3, b: 2}, timeout: 100s}}]
  - name: r3
    on: x3
    then: [{route: {queue: q2, timeout: 2m}}]
  - name: r4
    on: x4
    then: [{route: {queue: q3, priority: 1}}]
  - name: r5
    on: x5
    then: [{route: {queue: q2, priority: 5, skills: {c: 2, a: 1}}}]
)y";

std::string Dur(absl::Duration d) { return switchboard::FormatDuration(d); }

class Driver {
 public:
  explicit Driver(const CheckedRuleset& rs) : rs_(rs), fast_(rs), ref_(rs) {}

  // Handles every deadline up to `t` in both, then checks the logs.
  void AdvanceTo(absl::Time t) {
    for (;;) {
      const absl::Time next = fast_.NextDeadline();
      const absl::Time ref_next = ref_.NextDeadline();
      // The reference also reports relax deadlines of conversations that
      // have no pool; both must agree on whether anything is due.
      const absl::Time n = std::min(next, ref_next);
      if (n > t) break;
      fast_.ApplyRelax(n);
      FastAssign(n);
      RouteTimeout rt;
      while (fast_.PopTimeout(n, &rt)) {
        fast_log_.push_back(absl::StrCat("timeout ", std::string(rt.session),
                                         " ", std::string(rt.queue), " ",
                                         Dur(rt.waited)));
        FastAssign(n);
      }
      ref_.HandleInstant(n, &ref_log_);
    }
  }
  void FastAssign(absl::Time now) {
    fast_.Assign(now, /*explain=*/false, &out_);
    for (const Assignment& a : out_) {
      fast_log_.push_back(absl::StrCat(
          "assign ", std::string(a.session), "->", std::string(a.agent), " ",
          std::string(a.queue), " ", Dur(a.waited), " ring ", a.ring, " rule ",
          std::string(a.rule)));
    }
  }
  void AfterOp(absl::Time now) {
    FastAssign(now);
    ref_.Assign(now, &ref_log_);
  }

  const CheckedRuleset& rs_;
  Assigner fast_;
  ReferenceAssigner ref_;
  std::vector<Assignment> out_;
  std::vector<std::string> fast_log_;
  std::vector<std::string> ref_log_;
};

TEST(AssignerCrossCheckTest, RandomRostersAndStreams) {
  auto ruleset = MustLoad(kRules);
  ASSERT_NE(ruleset, nullptr);
  const CheckedRuleset& rs = plan::RulesetAccess::Checked(*ruleset);
  std::vector<const RouteAction*> routes;
  std::vector<std::string> route_rules;
  for (const Rule& rule : rs.rules) {
    for (const Action& action : rule.actions) {
      if (action.kind == ActionKind::kRoute) {
        routes.push_back(&std::get<RouteAction>(action.detail));
        route_rules.push_back(rule.name);
      }
    }
  }
  ASSERT_EQ(routes.size(), 5u);
  const std::vector<std::string> skills = {"a", "b", "c", "d"};
  const std::vector<std::optional<std::string>> channels = {
      "chat", "voice", "email", "whatsapp", std::nullopt};
  const std::vector<std::string> ends = {"conversation.closed", "call.ended",
                                         "conv.done", "other"};
  int64_t total_assignments = 0;
  int64_t total_timeouts = 0;
  for (uint32_t seed = 1; seed <= 60; ++seed) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) {
      return static_cast<int>(
          std::uniform_int_distribution<int>(0, n - 1)(rng));
    };
    Driver d(rs);
    absl::Time now = T("09:00:00");
    const int agents = 3 + pick(10);
    const int sessions = 5 + pick(40);
    auto random_skills = [&]() {
      Assigner::IntMap m;
      for (const std::string& s : skills) {
        if (pick(3) != 0) m.emplace_back(s, 1 + pick(4));
      }
      return m;
    };
    auto random_capacity = [&]() {
      Assigner::IntMap m;
      for (const char* ch : {"chat", "voice", "email", "whatsapp"}) {
        if (pick(2) != 0) m.emplace_back(ch, pick(3));
      }
      return m;
    };
    for (int step = 0; step < 400; ++step) {
      if (pick(3) == 0)
        now += absl::Seconds(pick(4) == 0 ? pick(200) : pick(15));
      d.AdvanceTo(now);
      const int op = pick(20);
      const std::string agent = absl::StrCat("ag", pick(agents));
      const std::string session = absl::StrCat("s", pick(sessions));
      if (op < 3) {
        Assigner::IntMap sk = random_skills();
        const bool with_cap = pick(3) != 0;
        Assigner::IntMap cap = random_capacity();
        const bool ready = pick(4) != 0;
        d.fast_.Login(agent, &sk, with_cap ? &cap : nullptr, ready, now);
        d.ref_.Login(agent, &sk, with_cap ? &cap : nullptr, ready, now);
      } else if (op < 5) {
        const bool ready = pick(2) == 0;
        d.fast_.SetReady(agent, ready, now);
        d.ref_.SetReady(agent, ready, now);
      } else if (op < 6) {
        d.fast_.Logout(agent, now);
        d.ref_.Logout(agent);
      } else if (op < 7) {
        Assigner::IntMap sk = random_skills();
        d.fast_.SetSkills(agent, &sk, now);
        d.ref_.SetSkills(agent, &sk);
      } else if (op < 15) {
        const int r = pick(static_cast<int>(routes.size()));
        const std::optional<std::string>& ch = channels[pick(5)];
        std::optional<std::string_view> view;
        if (ch.has_value()) view = *ch;
        d.fast_.Enqueue(session, 7, route_rules[r], *routes[r], view, now);
        d.ref_.Enqueue(session, route_rules[r], *routes[r], ch, now);
      } else {
        const std::string& type = ends[pick(static_cast<int>(ends.size()))];
        const bool a = d.fast_.EndOn(session, type, now);
        const bool b = d.ref_.EndOn(session, type, now);
        ASSERT_EQ(a, b) << "seed " << seed << " step " << step;
      }
      d.AfterOp(now);
      for (int q = 0; q < 3; ++q) {
        const QueueStats s = d.fast_.Stats(q, now);
        const std::string fast = absl::StrCat(
            rs.queues[q].name, " waiting ", s.waiting, " available ",
            s.available, " longest ", Dur(s.longest_wait), " estimated ",
            Dur(s.estimated_wait));
        ASSERT_EQ(fast, d.ref_.Stats(q, now))
            << "seed " << seed << " step " << step;
      }
      ASSERT_EQ(d.fast_log_, d.ref_log_) << "seed " << seed << " step " << step;
    }
    d.AdvanceTo(now + absl::Hours(1));
    ASSERT_EQ(d.fast_log_, d.ref_log_) << "seed " << seed;
    for (const std::string& line : d.fast_log_) {
      if (line.rfind("assign", 0) == 0) ++total_assignments;
      if (line.rfind("timeout", 0) == 0) ++total_timeouts;
    }
  }
  // The streams must exercise both outcomes, or the check proves little.
  EXPECT_GT(total_assignments, 1000);
  EXPECT_GT(total_timeouts, 100);
}

}  // namespace
}  // namespace switchboard
