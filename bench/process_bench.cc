// Engine::Process on the reference workload (bench/gen_workload.py), with
// many live sessions:
//
//   BM_ProcessEvent/N/S   N = 10, 100, 1,000 rules (rules_N.yaml, `route`
//                         actions) x S = 1 k, 100 k, 1 M live sessions.
//                         items/s = events/s; counter allocs_per_event
//                         (heap allocations inside the timed loop / events).
//   BM_ProcessEventRandomOrder/N/S
//                         the same, but the timed events visit the sessions
//                         in a scattered order (session i * 2654435761 mod
//                         S), as real streams do, rather than round robin.
//   BM_TimerChurn/N/S     the same plus one `{idle: 1h}` rule, so every event
//                         re-arms its session's idle timer (S = 1 M: a heap of
//                         1 M pending timers); no timer falls due.
//   BM_SessionMemory/S    creates S sessions (one event each) with no session
//                         fields; counters bytes_per_session (live heap bytes
//                         through operator new, alloc_counter.h) and
//                         rss_bytes_per_session (VmRSS delta).
//
// Set-up (not timed): the events of the workload (first 20,000) are parsed
// into Events once; the sessions are created before timing by one event
// each. In the timed loop, event i is template i mod 20,000 with its
// `conversation` set to session i mod S and its time moved forward by 1 µs,
// so events stay in time order, every session gets events well within its
// 24 h expiry, and no event is late. Setting the key and the time (an
// in-place string copy) is inside the timed loop.
//
// The engine with its S sessions is kept between the runs of one argument
// pair (Google Benchmark calls a benchmark several times while it sizes the
// iteration count); it is rebuilt when the arguments change.
#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bench/alloc_counter.h"
#include "bench/workload.h"
#include "benchmark/benchmark.h"
#include "switchboard/engine.h"

namespace switchboard::bench {
namespace {

constexpr size_t kTemplates = 20000;

// An Engine with `sessions` live sessions, and the events that feed it.
struct Loaded {
  int rules = 0;
  int64_t sessions = 0;
  bool idle = false;
  std::shared_ptr<const Ruleset> ruleset;
  std::unique_ptr<Engine> engine;
  std::vector<Event> templates;
  std::vector<std::string> keys;  // "s-<i>" for every session
  absl::Time clock;
  uint64_t next = 0;  // events processed so far
  CountingSink sink;
  std::string error;
};

// The current fixture (one at a time; 1 M sessions take a few hundred MB).
std::unique_ptr<Loaded>& Current() {
  static std::unique_ptr<Loaded> current;
  return current;
}

constexpr char kIdleRule[] =
    "  - name: idle-nudge\n"
    "    on: {idle: 1h}\n"
    "    then:\n"
    "      - tag: [idle]\n";

// Feeds the next event (template, session and time as described above);
// `scattered`: session next * 2654435761 mod S (a permutation of the
// sessions, as S has no factor in common with the odd multiplier that is
// not a power of 5), else next mod S.
inline absl::Status Feed(Loaded& f, bool scattered = false) {
  Event& e = f.templates[f.next % f.templates.size()];
  const uint64_t session = scattered ? f.next * 2654435761ull : f.next;
  e.SetString("conversation", f.keys[session % f.keys.size()]);
  f.clock += absl::Microseconds(1);
  e.set_time(f.clock);
  ++f.next;
  return f.engine->Process(e, &f.sink);
}

Loaded* Fixture(int rules, int64_t sessions, bool idle) {
  std::unique_ptr<Loaded>& current = Current();
  if (current != nullptr && current->rules == rules &&
      current->sessions == sessions && current->idle == idle) {
    return current.get();
  }
  current.reset();  // free the old one first
  auto f = std::make_unique<Loaded>();
  f->rules = rules;
  f->sessions = sessions;
  f->idle = idle;
  const std::string dir = WorkloadDir();
  absl::StatusOr<std::shared_ptr<const Ruleset>> ruleset =
      LoadWorkloadRules(dir, rules, idle ? kIdleRule : "");
  absl::StatusOr<std::string> text = ReadFile(dir + "/events.jsonl");
  if (!ruleset.ok() || !text.ok()) {
    f->error = !ruleset.ok() ? std::string(ruleset.status().message())
                             : std::string(text.status().message());
    current = std::move(f);
    return current.get();
  }
  f->ruleset = *ruleset;
  absl::StatusOr<std::vector<Event>> events =
      ParseEvents(*f->ruleset, SplitLines(*text), kTemplates);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(f->ruleset);
  if (!events.ok() || !engine.ok()) {
    f->error = !events.ok() ? std::string(events.status().message())
                            : std::string(engine.status().message());
    current = std::move(f);
    return current.get();
  }
  f->templates = std::move(*events);
  f->engine = std::move(*engine);
  f->keys.reserve(sessions);
  for (int64_t i = 0; i < sessions; ++i) {
    f->keys.push_back("s-" + std::to_string(i));
  }
  f->clock = f->templates.front().time();
  // One event per session creates them all.
  for (int64_t i = 0; i < sessions; ++i) {
    if (absl::Status s = Feed(*f); !s.ok()) {
      f->error = std::string(s.message());
      break;
    }
  }
  if (f->error.empty() && f->engine->session_count() != sessions) {
    f->error = "expected " + std::to_string(sessions) + " sessions, have " +
               std::to_string(f->engine->session_count());
  }
  current = std::move(f);
  return current.get();
}

void RunProcess(benchmark::State& state, bool idle, bool scattered = false) {
  const int rules = static_cast<int>(state.range(0));
  const int64_t sessions = state.range(1);
  Loaded* f = Fixture(rules, sessions, idle);
  if (!f->error.empty()) {
    state.SkipWithError(f->error.c_str());
    return;
  }
  const int64_t decisions0 = f->sink.count();
  const int64_t allocs0 = AllocationCount();
  int64_t errors = 0;
  for (auto _ : state) {
    if (!Feed(*f, scattered).ok()) ++errors;
  }
  const int64_t allocs = AllocationCount() - allocs0;
  const double n = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs_per_event"] = n > 0 ? allocs / n : 0;
  state.counters["decisions_per_event"] =
      n > 0 ? (f->sink.count() - decisions0) / n : 0;
  state.counters["sessions"] = static_cast<double>(f->engine->session_count());
  if (errors > 0) state.SkipWithError("Process returned an error");
}

void BM_ProcessEvent(benchmark::State& state) { RunProcess(state, false); }
void BM_TimerChurn(benchmark::State& state) { RunProcess(state, true); }
void BM_ProcessEventRandomOrder(benchmark::State& state) {
  RunProcess(state, false, /*scattered=*/true);
}

void ProcessArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rules", "sessions"});
  if (SmokeMode()) {
    b->Args({10, 1000});
    return;
  }
  for (int rules : {10, 100, 1000}) {
    for (int64_t sessions : {1000, 100000, 1000000}) {
      b->Args({rules, sessions});
    }
  }
}
BENCHMARK(BM_ProcessEvent)->Apply(ProcessArgs);

void RandomOrderArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rules", "sessions"});
  if (SmokeMode()) {
    b->Args({10, 1000});
    return;
  }
  for (int64_t sessions : {1000, 100000, 1000000}) b->Args({100, sessions});
}
BENCHMARK(BM_ProcessEventRandomOrder)->Apply(RandomOrderArgs);

void TimerChurnArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rules", "sessions"});
  if (SmokeMode()) {
    b->Args({10, 1000});
    return;
  }
  b->Args({10, 1000000});
  b->Args({100, 1000000});
}
BENCHMARK(BM_TimerChurn)->Apply(TimerChurnArgs);

// Creating S sessions: the memory they hold. One iteration (the figure is
// a size, not a speed).
void BM_SessionMemory(benchmark::State& state) {
  const int64_t sessions = state.range(0);
  Current().reset();  // no other fixture's sessions in the figures
  for (auto _ : state) {
    state.PauseTiming();
    auto f = std::make_unique<Loaded>();
    absl::StatusOr<std::shared_ptr<const Ruleset>> ruleset =
        LoadWorkloadRules(WorkloadDir(), 10);
    if (!ruleset.ok()) {
      state.SkipWithError(std::string(ruleset.status().message()).c_str());
      return;
    }
    f->ruleset = *ruleset;
    f->engine = *Engine::Create(f->ruleset);
    Event event("conversation.started", absl::FromUnixSeconds(1795392000));
    event.SetString("channel", "chat");
    event.SetString("intent", "billing");
    event.SetString("language", "de");
    event.SetString("tier", "gold");
    std::string key;
    key.reserve(32);
    malloc_trim(0);  // freed memory of earlier benchmarks out of the RSS
    const int64_t heap0 = LiveHeapBytes();
    const int64_t rss0 = CurrentRssKb();
    state.ResumeTiming();
    for (int64_t i = 0; i < sessions; ++i) {
      key.assign("s-");
      key.append(std::to_string(i));
      event.SetString("conversation", key);
      f->engine->Process(event, &f->sink).IgnoreError();
    }
    state.PauseTiming();
    const int64_t heap = LiveHeapBytes() - heap0;
    const int64_t rss = (CurrentRssKb() - rss0) * 1024;
    if (f->engine->session_count() != sessions) {
      state.SkipWithError("not every session was created");
    }
    state.counters["bytes_per_session"] =
        static_cast<double>(heap) / static_cast<double>(sessions);
    state.counters["rss_bytes_per_session"] =
        static_cast<double>(rss) / static_cast<double>(sessions);
    f.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * sessions);
}
BENCHMARK(BM_SessionMemory)
    ->Apply([](benchmark::internal::Benchmark* b) {
      b->ArgName("sessions");
      b->Arg(SmokeMode() ? 1000 : 1000000);
    })
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace switchboard::bench
