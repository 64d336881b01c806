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
// (sometimes backwards), events in compact form (CompactEvent). Besides the
// decisions, the final clock, session count and pending timers are compared. It
// stays away from calendars, queues' statistics and agents. The generator lives
// in tests/run/random_engine_case.h (the state tests use it too).
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/common/time_util.h"
#include "gtest/gtest.h"
#include "switchboard/compact_event.h"
#include "switchboard/diagnostic.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/ruleset.h"
#include "tests/run/random_engine_case.h"
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

using ::switchboard::testing::random_case::DescribeStream;
using ::switchboard::testing::random_case::Gen;
using ::switchboard::testing::random_case::GenEvent;
using ::switchboard::testing::random_case::GenRuleset;
using ::switchboard::testing::random_case::GenStream;
using ::switchboard::testing::random_case::Stream;

std::string Join(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += "    " + l + "\n";
  return s;
}

// Runs the engine over `events` (then AdvanceTo(until)); the decision lines.
std::vector<std::string> RunEngine(std::shared_ptr<const Ruleset> rs,
                                   const Stream& st, std::string* error,
                                   bool explain = false, bool compact = false) {
  EngineOptions options;
  options.explain = explain;
  auto engine = Engine::Create(rs, options);
  if (!engine.ok()) {
    *error = std::string(engine.status().message());
    return {};
  }
  LineSink sink;
  CompactEvent compact_event;  // reused, as a reader's would be
  for (const GenEvent& e : st.events) {
    if (e.advance) {
      (*engine)->AdvanceTo(e.time, &sink);
      continue;
    }
    absl::Status status;
    if (compact) {
      compact_event.Assign(e.ToEvent());
      status = (*engine)->Process(compact_event, &sink);
    } else {
      status = (*engine)->Process(e.ToEvent(), &sink);
    }
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
  // Evaluation errors per rule (an `if` list is CEL's &&: docs/semantics.md).
  const std::vector<int64_t>& errors = (*engine)->stats().rule_errors;
  for (size_t r = 0; r < errors.size(); ++r) {
    lines.push_back("errors r" + std::to_string(r) + " " +
                    std::to_string(errors[r]));
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
  for (size_t r = 0; r < ref.rule_errors().size(); ++r) {
    lines.push_back("errors r" + std::to_string(r) + " " +
                    std::to_string(ref.rule_errors()[r]));
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
      "|idle|",     "|after|",   "|x.y|",   "|d.e|",    "|a.b.c|",
      "requested=", "|deflect|", "|route|", "|handoff|"};
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
    // Every other case also with the events in compact form
    // (switchboard/compact_event.h): the same decisions.
    if (seed % 2 == 1 && got == want) {
      const std::vector<std::string> compact =
          RunEngine(result.ruleset(), st, &engine_error, /*explain=*/false,
                    /*compact=*/true);
      if (compact != got) engine_error += "differs with CompactEvent\n";
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
  std::printf(
      "cases %d, loaded %d, failed to load %d, decisions %lld, "
      "mismatches %d\n",
      cases, loaded, failed_to_load, static_cast<long long>(decisions),
      mismatches);
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
