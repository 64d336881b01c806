// Cross-check of the Engine against the ReferenceRuntime
// (tests/support/reference_runtime.h) on random rulesets (YAML text) and
// random event streams from fixed seeds, plus a property test: invalid events
// interleaved in a stream change nothing. SWITCHBOARD_RUNTIME_SEEDS raises
// the number of cases.
//
// The generator covers: event triggers (types, lists, prefixes), idle and
// after/since/unless timers (shared keys included), priorities with ties,
// final, enabled: false, conditions over int and string attributes, int and
// string session fields (with and without a default), session.events,
// .last_seen, .started, .channel, event.time vs now, channel_up(), set
// (literal and CEL, several assignments, failing ones), emit (with
// attributes), tag, route, handoff, deflect (with fallbacks and
// channel.down/up events), offer, callback, session expiry (short
// `expire`), session ids whose byte order differs from their numeric order,
// equal times, late events, AdvanceTo between events and at the end
// (sometimes backwards). Besides the decisions, the final clock, session
// count and pending timers are compared. It stays away from calendars,
// queues' statistics and agents.
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/common/time_util.h"
#include "gtest/gtest.h"
#include "switchboard/diagnostic.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/ruleset.h"
#include "tests/support/reference_runtime.h"

namespace switchboard {
namespace {

using ::switchboard::testing::LineSink;
using ::switchboard::testing::ReferenceRuntime;

int SeedCount(int default_count) {
  const char* env = std::getenv("SWITCHBOARD_RUNTIME_SEEDS");
  if (env == nullptr) return default_count;
  const int n = std::atoi(env);
  return n > 0 ? n : default_count;
}

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

// ---- rulesets ----------------------------------------------------------------

std::string GenRuleset(Gen& g) {
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
      "a.b", "a.c", "\"a.*\"", "[a.c, \"a.*\"]", "{idle: 20s}", "{idle: 45s}",
      "{after: 30s, since: a.b, unless: [a.c]}",
      "{after: 25s, since: \"a.*\", unless: [x.y]}",
      "{after: 40s, since: d.e, unless: [a.c]}"};
  static const std::vector<std::string> kQuiet = {
      "x.y", "d.e", "[a.b, x.y]", "[x.y, d.e]",
      "{after: 50s, since: x.y}"};
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
      "{label: \"session.label + event.type\", score: \"size(session.label)\"}"};
  static const std::vector<std::string> kEmits = {
      "{type: x.y}", "{type: d.e, n: \"session.score\"}",
      "{type: x.y, n: \"event.n + 1\"}",
      "{type: d.e, tier: \"session.label\"}",
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
    if (g.Chance(75)) y += "    priority: " + std::to_string(g.Int(0, 2)) + "\n";
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

// ---- events --------------------------------------------------------------------

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

Stream GenStream(Gen& g) {
  Stream st;
  const int sessions = g.Int(2, 4);
  const int count = g.Int(5, 40);
  absl::Time cur = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0),
                                   absl::UTCTimeZone());
  static const std::vector<std::string> kTypes = {"a.b", "a.b", "a.c", "x.y",
                                                  "a.b.c", "d.e"};
  // Session ids whose byte order is not their numeric order.
  static const std::vector<std::string> kSessions = {"s9", "s10", "S2", "s1"};
  static const std::vector<std::string> kChannels = {"chat", "voice",
                                                     "whatsapp", "sms",
                                                     "email"};
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

std::string Join(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += "    " + l + "\n";
  return s;
}

std::string DescribeStream(const Stream& st) {
  std::string s;
  for (const GenEvent& e : st.events) s += "    " + e.Describe() + "\n";
  s += "    --until " + ::switchboard::FormatTimestamp(st.until) + "\n";
  return s;
}

// Runs the engine over `events` (then AdvanceTo(until)); the decision lines.
std::vector<std::string> RunEngine(std::shared_ptr<const Ruleset> rs,
                                   const Stream& st, std::string* error,
                                   bool explain = false) {
  EngineOptions options;
  options.explain = explain;
  auto engine = Engine::Create(rs, options);
  if (!engine.ok()) {
    *error = std::string(engine.status().message());
    return {};
  }
  LineSink sink;
  for (const GenEvent& e : st.events) {
    if (e.advance) {
      (*engine)->AdvanceTo(e.time, &sink);
      continue;
    }
    absl::Status status = (*engine)->Process(e.ToEvent(), &sink);
    if (status.ok() != (e.bad == GenEvent::kValid)) {
      *error += "Process(" + e.Describe() + ") -> " + status.ToString() + "\n";
    }
  }
  (*engine)->AdvanceTo(st.until, &sink);
  // The final state, compared as extra lines.
  std::vector<std::string> lines = sink.lines;
  lines.push_back("now " + ::switchboard::FormatTimestamp((*engine)->now()));
  lines.push_back("sessions " + std::to_string((*engine)->session_count()));
  for (const PendingTimer& t : (*engine)->PendingTimers()) {
    lines.push_back("pending " + ::switchboard::FormatTimestamp(t.deadline) +
                    "|" + t.session + "|" + t.rule + "|" + t.trigger);
  }
  return lines;
}

std::vector<std::string> RunReference(std::shared_ptr<const Ruleset> rs,
                                      const Stream& st, std::string* error) {
  ReferenceRuntime ref(rs);
  std::vector<std::string> lines;
  for (const GenEvent& e : st.events) {
    if (e.advance) {
      ref.AdvanceTo(e.time, &lines);
      continue;
    }
    absl::Status status = ref.Process(e.ToEvent(), &lines);
    if (status.ok() != (e.bad == GenEvent::kValid)) {
      *error += "reference Process(" + e.Describe() + ") -> " +
                status.ToString() + "\n";
    }
  }
  ref.AdvanceTo(st.until, &lines);
  lines.push_back("now " + ::switchboard::FormatTimestamp(ref.now()));
  lines.push_back("sessions " + std::to_string(ref.session_count()));
  for (const std::string& t : ref.PendingTimerLines()) {
    lines.push_back("pending " + t);
  }
  return lines;
}

TEST(RuntimeCrossCheckTest, EngineMatchesReferenceRuntime) {
  const int cases = SeedCount(10000);
  int loaded = 0, failed_to_load = 0, mismatches = 0;
  int64_t decisions = 0;
  std::string first_load_error;
  // Decision-line fragments whose counts show what the cases exercised.
  static const std::vector<std::string> kFeatures = {
      "|idle|", "|after|", "|x.y|", "|d.e|", "|a.b.c|", "requested=",
      "|deflect|", "|route|", "|handoff|"};
  std::vector<int64_t> feature_counts(kFeatures.size(), 0);
  for (int seed = 1; seed <= cases; ++seed) {
    Gen g(static_cast<uint32_t>(seed));
    const std::string yaml = GenRuleset(g);
    LoadResult result = LoadRulesetFromString(yaml, "gen.yaml");
    if (!result.ok()) {
      ++failed_to_load;
      if (first_load_error.empty()) {
        first_load_error = yaml + FormatDiagnostics(result.diagnostics());
      }
      continue;
    }
    ++loaded;
    const Stream st = GenStream(g);
    std::string engine_error, ref_error;
    const std::vector<std::string> got =
        RunEngine(result.ruleset(), st, &engine_error);
    const std::vector<std::string> want =
        RunReference(result.ruleset(), st, &ref_error);
    // Every fourth case also with explanations on: the same decisions.
    if (seed % 4 == 0 && got == want) {
      const std::vector<std::string> explained =
          RunEngine(result.ruleset(), st, &engine_error, /*explain=*/true);
      if (explained != got) engine_error += "differs with explain: on\n";
    }
    for (const std::string& l : want) {
      if (l.find('|') != std::string::npos && l.rfind("pending ", 0) != 0) {
        ++decisions;
      }
    }
    for (const std::string& l : want) {
      for (size_t k = 0; k < kFeatures.size(); ++k) {
        if (l.find(kFeatures[k]) != std::string::npos) ++feature_counts[k];
      }
    }
    if (got != want || !engine_error.empty() || !ref_error.empty()) {
      ++mismatches;
      if (mismatches <= 3) {
        ADD_FAILURE() << "seed " << seed << "\n--- ruleset:\n"
                      << yaml << "--- events:\n"
                      << DescribeStream(st) << "--- engine:\n"
                      << Join(got) << engine_error << "--- reference:\n"
                      << Join(want) << ref_error;
      }
    }
  }
  std::printf("cases %d, loaded %d, failed to load %d, decisions %lld, "
              "mismatches %d\n",
              cases, loaded, failed_to_load,
              static_cast<long long>(decisions), mismatches);
  for (size_t k = 0; k < kFeatures.size(); ++k) {
    std::printf("  decisions with %s: %lld\n", kFeatures[k].c_str(),
                static_cast<long long>(feature_counts[k]));
    EXPECT_GT(feature_counts[k], 0) << kFeatures[k];
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(loaded, cases * 8 / 10) << "first load error:\n"
                                    << first_load_error;
  if (failed_to_load > 0) {
    std::printf("first load failure:\n%s\n", first_load_error.c_str());
  }
  EXPECT_GT(decisions, cases) << "the generator makes too few decisions";
}

// Invalid events (no session key, an attribute of the wrong type, a key that
// is not a string) are rejected and change nothing: the valid events give
// exactly the decisions of the stream without the invalid ones.
TEST(RuntimeCrossCheckTest, InvalidEventsChangeNothing) {
  const int cases = SeedCount(10000) / 3;
  int loaded = 0, mismatches = 0;
  for (int seed = 1; seed <= cases; ++seed) {
    Gen g(static_cast<uint32_t>(seed) * 7919u + 13u);
    const std::string yaml = GenRuleset(g);
    LoadResult result = LoadRulesetFromString(yaml, "gen.yaml");
    if (!result.ok()) continue;
    ++loaded;
    const Stream clean = GenStream(g);
    Stream dirty;
    dirty.until = clean.until;
    for (const GenEvent& e : clean.events) {
      if (!e.advance && g.Chance(25)) {
        GenEvent bad = e;
        if (bad.session.empty()) {
          bad.type = "a.b";
          bad.session = "s1";
        }
        bad.bad = static_cast<GenEvent::Bad>(g.Int(1, 3));
        // Invalid events may carry any time, even far later.
        if (g.Chance(30)) bad.time += absl::Hours(g.Int(1, 30));
        dirty.events.push_back(bad);
      }
      dirty.events.push_back(e);
    }
    std::string clean_error, dirty_error;
    const std::vector<std::string> want =
        RunEngine(result.ruleset(), clean, &clean_error);
    const std::vector<std::string> got =
        RunEngine(result.ruleset(), dirty, &dirty_error);
    if (got != want || !clean_error.empty() || !dirty_error.empty()) {
      ++mismatches;
      if (mismatches <= 3) {
        ADD_FAILURE() << "seed " << seed << "\n--- ruleset:\n"
                      << yaml << "--- events with invalid ones:\n"
                      << DescribeStream(dirty) << "--- decisions:\n"
                      << Join(got) << dirty_error
                      << "--- decisions without the invalid events:\n"
                      << Join(want) << clean_error;
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(loaded, cases / 2);
}

}  // namespace
}  // namespace switchboard
