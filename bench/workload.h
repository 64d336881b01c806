// Shared support of the benchmark programs (switchboard_bench,
// switchboard_latency, switchboard_workload): where the reference workload
// lives (bench/gen_workload.py writes it), loading its rules and pre-parsing
// its events, a cheap per-call clock, and the measured pass that times each
// Engine::Process call of a workload into a latency distribution.
//
// The workload folder holds events.jsonl and rules_N.yaml for N = 10, 100,
// 1000 (see bench/gen_workload.py). It is SWITCHBOARD_BENCH_WORKLOAD when
// that variable is set, otherwise the folder the build generated
// (SWITCHBOARD_BENCH_DEFAULT_WORKLOAD, a compile definition).
// SWITCHBOARD_BENCH_SMOKE=1 selects tiny sizes (CI's bench_smoke test):
// benchmarks then run at 1 k sessions and 10 rules, never to judge speed.
#ifndef SWITCHBOARD_BENCH_WORKLOAD_H_
#define SWITCHBOARD_BENCH_WORKLOAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "switchboard/compact_event.h"
#include "switchboard/decision.h"
#include "switchboard/event.h"
#include "switchboard/ruleset.h"

namespace switchboard::bench {

// The workload folder (see above).
std::string WorkloadDir();

// True when SWITCHBOARD_BENCH_SMOKE is set to a non-empty value other than 0.
bool SmokeMode();

// The whole file, or NotFound / Unavailable.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Loads `dir`/rules_`n`.yaml, with `extra_rules` (YAML list items, indented
// as under `rules:`) appended to its rule list when not empty. The error
// names the file and carries the diagnostics.
absl::StatusOr<std::shared_ptr<const Ruleset>> LoadWorkloadRules(
    const std::string& dir, int n, std::string_view extra_rules = {});

// The lines of `text` (without their newlines; blank lines skipped), as
// views into it.
std::vector<std::string_view> SplitLines(std::string_view text);

// The comma-separated parts of `text` ("10,100,1000"), empty ones dropped.
std::vector<std::string> SplitCommas(std::string_view text);

// Parses every line with the engine's JSON Lines reader (EventReader) into
// an Event, before any timing. At most `limit` events when limit > 0.
absl::StatusOr<std::vector<Event>> ParseEvents(
    const Ruleset& ruleset, absl::Span<const std::string_view> lines,
    size_t limit = 0);
// The same into `EventT`: Event or CompactEvent.
template <typename EventT>
absl::StatusOr<std::vector<EventT>> ParseEventsAs(
    const Ruleset& ruleset, absl::Span<const std::string_view> lines,
    size_t limit = 0);

// Counts decisions; keeps nothing.
class CountingSink : public DecisionSink {
 public:
  void OnDecision(const Decision& decision) override { ++count_; }
  int64_t count() const { return count_; }
  void Reset() { count_ = 0; }

 private:
  int64_t count_ = 0;
};

// A cheap clock for timing one call: the CPU's time-stamp counter on x86-64
// (constant rate, calibrated once against std::chrono::steady_clock), else
// steady_clock itself.
class CallClock {
 public:
  CallClock();  // calibrates (about 20 ms)
  static uint64_t Ticks();
  double ToNanoseconds(uint64_t ticks) const { return ticks * ns_per_tick_; }
  // Median cost of an empty measurement (two Ticks() reads), in ns. It is
  // included in every per-call figure (reported, not subtracted).
  double OverheadNs() const;

 private:
  double ns_per_tick_ = 1.0;
};

// One timed pass of a workload through a fresh Engine.
struct PassResult {
  int64_t events = 0;
  int64_t decisions = 0;
  int64_t rejected = 0;  // Process (or the reader) returned an error
  double total_s = 0;    // wall time of the whole pass (clock reads included)
  double mean_ns = 0;    // mean of the per-event times
  double p50_ns = 0;
  double p99_ns = 0;
  double p999_ns = 0;
  double max_ns = 0;
  double events_per_s() const { return total_s > 0 ? events / total_s : 0; }
};

// How RunPreparsed hands the events to Process.
enum class Feed {
  // Each pre-parsed Event where it lies in the vector (cold in the caches:
  // 200,000 events take ~300 MB), as the peers' runners pass their
  // pre-parsed objects.
  kInPlace,
  // Each Event first copied (outside the timing) into one reused Event, so
  // Process sees it hot in the caches, as it does behind a reader that
  // fills one Event per line (`switchboard run`, an embedding server).
  kReused,
};

// Processes `events` in order through a new Engine for `ruleset`, timing
// every Process call with `clock`. Events are pre-parsed: only Process is
// inside the per-event time.
PassResult RunPreparsed(const std::shared_ptr<const Ruleset>& ruleset,
                        absl::Span<const Event> events, const CallClock& clock,
                        Feed feed = Feed::kInPlace);
// The same for events in compact form (switchboard/compact_event.h).
PassResult RunPreparsed(const std::shared_ptr<const Ruleset>& ruleset,
                        absl::Span<const CompactEvent> events,
                        const CallClock& clock, Feed feed = Feed::kInPlace);

// The same, but each event's per-event time also covers reading its JSON
// line with EventReader into one reused CompactEvent (as `switchboard run`
// does), or into an Event when `compact` is false.
PassResult RunWithParse(const std::shared_ptr<const Ruleset>& ruleset,
                        absl::Span<const std::string_view> lines,
                        const CallClock& clock, bool compact = true);

// Peak resident set size of this process (VmHWM) and the current one
// (VmRSS), in KiB; 0 when /proc is not available.
int64_t PeakRssKb();
int64_t CurrentRssKb();

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_WORKLOAD_H_
