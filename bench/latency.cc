// switchboard_latency: per-event latency of Engine::Process on the reference
// workload (Google Benchmark reports means only). For each rule count it
// pre-parses the events of events.jsonl, warms up on a throwaway Engine,
// then runs --repeat passes, each through a fresh Engine, timing every
// Process call with the time-stamp counter (workload.h CallClock), and
// prints the median over the passes of each figure: events/s, mean, p50,
// p99, p99.9 and max in ns, and the decisions.
//
//   switchboard_latency [--workload DIR] [--rules 10,100,1000]
//                       [--limit EVENTS] [--repeat R] [--feed reused|in-place]
//                       [--form compact|event]
//
// --feed reused (default): each pre-parsed event is copied, outside the
// timing, into one reused event that Process then reads hot in the caches,
// as behind a reader filling one event per line; in-place: Process reads
// the event where it lies in the (large, cold) vector, as bench/compare's
// driver does to match the peers' protocol (workload.h Feed).
// --form compact (default): the events are CompactEvents
// (switchboard/compact_event.h), as `switchboard run` reads them; event:
// Events, the form built with setters.
// Defaults: the build's workload (workload.h), all events, 5 passes
// (1 under SWITCHBOARD_BENCH_SMOKE). The clock's own cost (two reads,
// `clock overhead`) is included in every figure.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "bench/workload.h"

namespace switchboard::bench {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// One row of the table: `repeat` passes of `n` rules' workload with the
// events pre-parsed as EventT (Event or CompactEvent). 0, or 1 when a pass
// rejected an event or the passes disagree; -1 when the events do not
// parse.
template <typename EventT>
int MeasureRow(const std::shared_ptr<const Ruleset>& ruleset,
               const std::vector<std::string_view>& lines, int n, size_t limit,
               int repeat, Feed feed, const CallClock& clock) {
  int status = 0;
  absl::StatusOr<std::vector<EventT>> events =
      ParseEventsAs<EventT>(*ruleset, lines, limit);
  if (!events.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(events.status().message()).c_str());
    return -1;
  }
  RunPreparsed(ruleset,
               absl::MakeConstSpan(*events).subspan(
                   0, std::min<size_t>(5000, events->size())),
               clock);
  std::vector<double> rate, mean, p50, p99, p999, max;
  int64_t decisions = -1;
  for (int r = 0; r < repeat; ++r) {
    const PassResult pass = RunPreparsed(ruleset, *events, clock, feed);
    if (pass.rejected > 0) status = 1;
    if (decisions >= 0 && decisions != pass.decisions) status = 1;
    decisions = pass.decisions;
    rate.push_back(pass.events_per_s());
    mean.push_back(pass.mean_ns);
    p50.push_back(pass.p50_ns);
    p99.push_back(pass.p99_ns);
    p999.push_back(pass.p999_ns);
    max.push_back(pass.max_ns);
  }
  std::printf("%6d %9zu %12.0f %9.1f %9.1f %9.1f %9.1f %10.0f %10lld\n", n,
              events->size(), Median(rate), Median(mean), Median(p50),
              Median(p99), Median(p999), Median(max),
              static_cast<long long>(decisions));
  std::fflush(stdout);
  return status;
}

int Main(int argc, char** argv) {
  std::string dir = WorkloadDir();
  std::string rules_arg = "10,100,1000";
  size_t limit = 0;
  int repeat = SmokeMode() ? 1 : 5;
  Feed feed = Feed::kReused;
  bool compact = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view arg = argv[i];
    if (arg == "--workload") {
      dir = argv[i + 1];
    } else if (arg == "--rules") {
      rules_arg = argv[i + 1];
    } else if (arg == "--limit") {
      limit = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (arg == "--feed") {
      const std::string_view value = argv[i + 1];
      if (value != "reused" && value != "in-place") {
        std::fprintf(stderr, "switchboard_latency: --feed reused|in-place\n");
        return 2;
      }
      feed = value == "reused" ? Feed::kReused : Feed::kInPlace;
    } else if (arg == "--form") {
      const std::string_view value = argv[i + 1];
      if (value != "compact" && value != "event") {
        std::fprintf(stderr, "switchboard_latency: --form compact|event\n");
        return 2;
      }
      compact = value == "compact";
    } else if (arg == "--repeat") {
      repeat = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "switchboard_latency: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "switchboard_latency: missing value\n");
    return 2;
  }
  absl::StatusOr<std::string> text = ReadFile(dir + "/events.jsonl");
  if (!text.ok()) {
    std::fprintf(stderr, "%s\n", std::string(text.status().message()).c_str());
    return 1;
  }
  const std::vector<std::string_view> lines = SplitLines(*text);
  const CallClock clock;
  std::printf(
      "workload %s, %d pass(es) per rule count, medians; events %s; "
      "clock overhead %.1f ns (included)\n",
      dir.c_str(), repeat,
      feed == Feed::kReused ? (compact ? "copied into one reused CompactEvent"
                                       : "copied into one reused Event")
                            : (compact ? "CompactEvents in place in the "
                                         "pre-parsed vector"
                                       : "Events in place in the pre-parsed "
                                         "vector"),
      clock.OverheadNs());
  std::printf("%6s %9s %12s %9s %9s %9s %9s %10s %10s\n", "rules", "events",
              "events/s", "mean ns", "p50 ns", "p99 ns", "p99.9 ns", "max ns",
              "decisions");
  int status = 0;
  for (const std::string& part : SplitCommas(rules_arg)) {
    const int n = std::atoi(part.c_str());
    if (n <= 0) {
      std::fprintf(stderr, "switchboard_latency: bad rule count\n");
      return 2;
    }
    absl::StatusOr<std::shared_ptr<const Ruleset>> ruleset =
        LoadWorkloadRules(dir, n);
    if (!ruleset.ok()) {
      std::fprintf(stderr, "%s\n",
                   std::string(ruleset.status().message()).c_str());
      return 1;
    }
    const int row =
        compact
            ? MeasureRow<CompactEvent>(*ruleset, lines, n, limit, repeat, feed,
                                       clock)
            : MeasureRow<Event>(*ruleset, lines, n, limit, repeat, feed, clock);
    if (row < 0) return 1;
    if (row > 0) status = 1;
  }
  return status;
}

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) { return switchboard::bench::Main(argc, argv); }
