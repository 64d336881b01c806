// The session flood: memory must stay bounded when every event names a new
// session key (issue 5, "Limits"), thanks to EngineOptions::max_sessions
// (evict the longest idle) and the timer heap's compaction of wake-ups of
// dropped sessions (engine_impl.cc, MaybeCompactTimers).
//
//   BM_SessionFlood/E/M   E events, each for a new session key, 1 ms apart,
//                         under max_sessions = M; the ruleset gives every
//                         session two fields, an idle timer (5 min) and an
//                         `after` timer (4 h) so that stale timers would pile
//                         up without compaction. One iteration (not a speed
//                         test, though items/s = events/s is reported).
//                         Counters: live_heap_mb (bytes allocated through
//                         operator new and not freed, at the end),
//                         heap_bytes_per_session (that / M), peak_live_heap_mb
//                         (sampled every 100,000 events), rss_mb / peak_rss_mb
//                         (VmRSS / VmHWM of the whole benchmark process),
//                         sessions, evicted.
//
// Registered with E = 1,000,000 and M = 100,000 (a few seconds);
// SWITCHBOARD_FLOOD_EVENTS overrides E, so the issue's 10 million event
// flood (about a minute) runs on demand:
//   SWITCHBOARD_FLOOD_EVENTS=10000000 switchboard_bench
//       --benchmark_filter=BM_SessionFlood   (one command line)
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "bench/alloc_counter.h"
#include "bench/workload.h"
#include "benchmark/benchmark.h"
#include "switchboard/decision.h"
#include "switchboard/diagnostic.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/ruleset.h"

namespace switchboard::bench {
namespace {

constexpr char kFloodRules[] = R"yaml(
ruleset: flood
session:
  fields:
    pages: int = 0
    last_page: string = ''
event:
  page: string
rules:
  - name: count
    on: page.view
    then:
      - set: {pages: "session.pages + 1", last_page: "event.page"}
  - name: nudge
    on: {idle: 5m}
    if: session.pages > 0
    then:
      - offer: {channel: chat, message: help}
  - name: follow-up
    on: {after: 4h, since: page.view}
    then:
      - callback: {within: 1h}
)yaml";

class CountingSink : public DecisionSink {
 public:
  void OnDecision(const Decision&) override { ++decisions; }
  int64_t decisions = 0;
};

void BM_SessionFlood(benchmark::State& state) {
  const char* env = std::getenv("SWITCHBOARD_FLOOD_EVENTS");
  const int64_t events =
      env != nullptr && std::atoll(env) > 0 ? std::atoll(env) : state.range(0);
  const int64_t max_sessions = state.range(1);
  LoadResult loaded = LoadRulesetFromString(kFloodRules, "flood.yaml");
  if (!loaded.ok()) {
    state.SkipWithError(FormatDiagnostics(loaded.diagnostics()).c_str());
    return;
  }
  for (auto _ : state) {
    const int64_t heap0 = LiveHeapBytes();
    EngineOptions options;
    options.max_sessions = max_sessions;
    std::unique_ptr<Engine> engine = *Engine::Create(loaded.ruleset(), options);
    CountingSink sink;
    const absl::Time start = absl::FromUnixSeconds(1795000000);
    Event event;
    std::string key;
    int64_t peak_heap = 0;
    for (int64_t i = 0; i < events; ++i) {
      key = "flood-session-";
      key += std::to_string(i);
      event.Reset("page.view", start + absl::Milliseconds(i));
      event.SetString("conversation", key);
      event.SetString("page", "/products");
      (void)engine->Process(event, &sink);
      if (i % 100000 == 0) {
        const int64_t heap = LiveHeapBytes() - heap0;
        if (heap > peak_heap) peak_heap = heap;
      }
    }
    const int64_t heap = LiveHeapBytes() - heap0;
    if (heap > peak_heap) peak_heap = heap;
    constexpr double kMb = 1024.0 * 1024.0;
    state.counters["live_heap_mb"] = static_cast<double>(heap) / kMb;
    state.counters["peak_live_heap_mb"] = static_cast<double>(peak_heap) / kMb;
    state.counters["heap_bytes_per_session"] =
        static_cast<double>(heap) / static_cast<double>(max_sessions);
    state.counters["rss_mb"] = static_cast<double>(CurrentRssKb()) / 1024.0;
    state.counters["peak_rss_mb"] = static_cast<double>(PeakRssKb()) / 1024.0;
    state.counters["sessions"] = static_cast<double>(engine->session_count());
    state.counters["evicted"] =
        static_cast<double>(engine->stats().sessions_evicted);
    state.counters["decisions"] = static_cast<double>(sink.decisions);
  }
  state.SetItemsProcessed(events * state.iterations());
}

BENCHMARK(BM_SessionFlood)
    ->Args({1000000, 100000})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace switchboard::bench
