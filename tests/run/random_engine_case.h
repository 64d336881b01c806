// Random rulesets and event streams for engine property tests (snapshot,
// reload) and for the cross-check against the reference runtime
// (tests/run/runtime_cross_check_test.cc, whose header comment lists what it
// covers): triggers, timers, fields, emits, channel health, late events and
// AdvanceTo calls.
#ifndef SWITCHBOARD_TESTS_RUN_RANDOM_ENGINE_CASE_H_
#define SWITCHBOARD_TESTS_RUN_RANDOM_ENGINE_CASE_H_

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/common/time_util.h"
#include "switchboard/event.h"

namespace switchboard::testing::random_case {

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  int Int(int lo, int hi) {  // inclusive
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool Chance(int percent) { return Int(0, 99) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Int(0, static_cast<int>(v.size()) - 1)];
  }

 private:
  std::mt19937 rng_;
};

// ---- rulesets
// ----------------------------------------------------------------

inline std::string GenRuleset(Gen& g) {
  std::string y =
      "ruleset: gen\n"
      "session:\n"
      "  fields:\n"
      "    score: int = 0\n"
      "    maybe: int\n"
      "    label: string = ''\n"
      "event:\n"
      "  n: int\n"
      "  tier: string\n"
      "channels:\n"
      "  chat: {fallback: [email, sms]}\n"
      "  voice: {fallback: [whatsapp, sms]}\n"
      "  whatsapp: {fallback: [sms]}\n"
      "queues:\n"
      "  q1: {skills: {billing: 1}}\n"
      "  q2: {skills: {sales: 2}}\n"
      "rules:\n";
  // Triggers; the first group may emit (no emit cycles).
  static const std::vector<std::string> kEmitting = {
      "a.b",
      "a.c",
      "\"a.*\"",
      "[a.c, \"a.*\"]",
      "{idle: 20s}",
      "{idle: 45s}",
      "{after: 30s, since: a.b, unless: [a.c]}",
      "{after: 25s, since: \"a.*\", unless: [x.y]}",
      "{after: 40s, since: d.e, unless: [a.c]}"};
  static const std::vector<std::string> kQuiet = {
      "x.y", "d.e", "[a.b, x.y]", "[x.y, d.e]", "{after: 50s, since: x.y}"};
  static const std::vector<std::string> kConditions = {
      "event.n > 4",
      "has(event.n) && event.n % 2 == 0",
      "session.score >= 2",
      "session.score < 3",
      "session.events > 2",
      "has(session.maybe)",
      "session.maybe > 1",
      "channel_up('chat')",
      "!channel_up('voice')",
      "event.time == now",
      "session.channel == 'web'",
      "event.type == 'a.b'",
      "session.label == 'a.b'",
      "session.label != 'k'",
      "has(event.tier) && event.tier == session.label",
      "now - session.last_seen >= duration('30s')",
      "session.started == session.last_seen",
      "event.time < now"};
  static const std::vector<std::string> kSets = {
      "{score: \"session.score + 1\"}",
      "{score: 5}",
      "{maybe: \"session.maybe + 1\"}",
      "{maybe: \"session.score * 2\"}",
      "{score: \"event.n\"}",
      "{score: \"session.score + 10\", maybe: \"session.score\"}",
      "{label: \"event.type\"}",
      "{label: \"'k'\"}",
      "{label: \"session.label + event.type\", score: "
      "\"size(session.label)\"}"};
  static const std::vector<std::string> kEmits = {
      "{type: x.y}", "{type: d.e, n: \"session.score\"}",
      "{type: x.y, n: \"event.n + 1\"}", "{type: d.e, tier: \"session.label\"}",
      "{type: x.y, tier: \"'k'\", n: 3}"};
  static const std::vector<std::string> kPlain = {
      "tag: [t1]",
      "tag: [t1, t2]",
      "route: {queue: q1, priority: 3}",
      "route: {queue: q2}",
      "handoff: {to: agent, reason: billing}",
      "handoff: {to: bot}",
      "deflect: {to: voice, message: m1}",
      "deflect: {to: chat, message: m2}",
      "deflect: {to: whatsapp, message: m3}",
      "offer: {channel: chat, message: hi}",
      "callback: {within: 2m}"};
  if (g.Chance(30)) {
    y.insert(y.find("  fields:"),
             std::string("  expire: ") + (g.Chance(50) ? "90s" : "3m") + "\n");
  }
  const int rules = g.Int(2, 6);
  for (int r = 0; r < rules; ++r) {
    y += "  - name: r" + std::to_string(r) + "\n";
    if (g.Chance(75))
      y += "    priority: " + std::to_string(g.Int(0, 2)) + "\n";
    const bool emitting = g.Chance(60);
    const std::string trigger = emitting ? g.Pick(kEmitting) : g.Pick(kQuiet);
    y += "    on: " + trigger + "\n";
    const int conds = g.Chance(30) ? 0 : g.Int(1, 2);
    if (conds == 1) {
      y += "    if: \"" + g.Pick(kConditions) + "\"\n";
    } else if (conds == 2) {
      y += "    if: [\"" + g.Pick(kConditions) + "\", \"" +
           g.Pick(kConditions) + "\"]\n";
    }
    // A final rule without `if` makes lower rules of its trigger
    // unreachable (a load error): mostly give final rules a condition.
    if (g.Chance(conds > 0 ? 30 : 5)) y += "    final: true\n";
    if (g.Chance(5)) y += "    enabled: false\n";
    y += "    then:\n";
    const int actions = g.Int(1, 4);
    for (int a = 0; a < actions; ++a) {
      const int kind = g.Int(0, 9);
      if (kind <= 1) {
        y += "      - set: " + g.Pick(kSets) + "\n";
      } else if (kind == 2 && emitting) {
        y += "      - emit: " + g.Pick(kEmits) + "\n";
      } else {
        y += "      - " + g.Pick(kPlain) + "\n";
      }
    }
  }
  return y;
}

// ---- events
// --------------------------------------------------------------------

struct GenEvent {
  enum Bad { kValid, kNoKey, kBadAttr, kIntKey };
  std::string type;
  absl::Time time;
  std::string session;  // "" for global events
  bool has_n = false;
  int n = 0;
  std::string channel;
  std::string tier;
  Bad bad = kValid;
  // Not an event: Engine::AdvanceTo(time), as an embedded backend may call.
  bool advance = false;

  Event ToEvent() const {
    Event e(type, time);
    if (!session.empty() && bad != kNoKey) {
      if (bad == kIntKey) {
        e.SetInt("conversation", 7);
      } else {
        e.SetString("conversation", session);
      }
    }
    if (has_n) e.SetInt("n", n);
    if (bad == kBadAttr) e.SetString("n", "seven");
    if (!channel.empty()) e.SetString("channel", channel);
    if (!tier.empty()) e.SetString("tier", tier);
    return e;
  }
  std::string Describe() const {
    if (advance) return "AdvanceTo " + ::switchboard::FormatTimestamp(time);
    std::string s = ::switchboard::FormatTimestamp(time) + " " + type;
    if (!session.empty()) s += " conversation=" + session;
    if (has_n) s += " n=" + std::to_string(n);
    if (!channel.empty()) s += " channel=" + channel;
    if (!tier.empty()) s += " tier=" + tier;
    if (bad != kValid) s += " (invalid " + std::to_string(bad) + ")";
    return s;
  }
};

struct Stream {
  std::vector<GenEvent> events;
  absl::Time until;
};

inline Stream GenStream(Gen& g) {
  Stream st;
  const int sessions = g.Int(2, 4);
  const int count = g.Int(5, 40);
  absl::Time cur = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0),
                                   absl::UTCTimeZone());
  static const std::vector<std::string> kTypes = {"a.b", "a.b",   "a.c",
                                                  "x.y", "a.b.c", "d.e"};
  // Session ids whose byte order is not their numeric order.
  static const std::vector<std::string> kSessions = {"s9", "s10", "S2", "s1"};
  static const std::vector<std::string> kChannels = {
      "chat", "voice", "whatsapp", "sms", "email"};
  for (int i = 0; i < count; ++i) {
    if (!g.Chance(15)) cur += absl::Seconds(g.Int(1, 40));
    if (i > 0 && g.Chance(6)) {
      GenEvent adv;
      adv.advance = true;
      adv.time = cur + absl::Seconds(g.Int(0, 60));
      st.events.push_back(adv);
    }
    GenEvent e;
    e.time = cur;
    if (i > 0 && g.Chance(8)) e.time = cur - absl::Seconds(g.Int(1, 60));
    if (g.Chance(8)) {
      e.type = g.Chance(50) ? "channel.down" : "channel.up";
      e.channel = g.Pick(kChannels);
    } else {
      e.type = g.Pick(kTypes);
      e.session = kSessions[g.Int(0, sessions - 1)];
      if (g.Chance(15)) e.tier = g.Chance(50) ? "a.b" : "k";
      if (g.Chance(70)) {
        e.has_n = true;
        e.n = g.Int(0, 9);
      }
      if (g.Chance(40)) e.channel = g.Chance(50) ? "web" : "chat";
    }
    st.events.push_back(std::move(e));
  }
  st.until = cur + absl::Seconds(g.Chance(10) ? -30 : g.Int(0, 200));
  return st;
}

inline std::string DescribeStream(const Stream& st) {
  std::string s;
  for (const GenEvent& e : st.events) s += "    " + e.Describe() + "\n";
  s += "    --until " + ::switchboard::FormatTimestamp(st.until) + "\n";
  return s;
}

}  // namespace switchboard::testing::random_case

#endif  // SWITCHBOARD_TESTS_RUN_RANDOM_ENGINE_CASE_H_
