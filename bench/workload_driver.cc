// switchboard_workload: switchboard's runner for bench/compare, the side by
// side with the peer engines. Same protocol as the peers' runners
// (bench/peers/harness.js): one JSON line on stdout, a one-line summary on
// stderr.
//
//   switchboard_workload --workload DIR --n N [--warmup W] [--limit L]
//                        [--passes preparsed,withparse]
//
// Reads DIR/events.jsonl (lines kept in memory), loads DIR/rules_N.yaml
// (timed apart: load_ms), parses every line into a CompactEvent
// (switchboard/compact_event.h) before timing, processes the first W events
// (default 5,000) through a throwaway Engine to warm caches, then runs each
// pass through a fresh Engine:
//   preparsed  Engine::Process of the pre-parsed CompactEvents
//   withparse  EventReader::Next of the line into a CompactEvent +
//              Engine::Process
//   preparsed_event, withparse_event
//              the same with Event, the form built by setters (for
//              comparison; not run by default)
// timing every event with the time-stamp counter (workload.h CallClock).
// Decisions are counted by a sink that keeps nothing. Output fields:
// peer, version, n_rules, events, load_ms, timer_overhead_ns, per pass
// {events_per_s, mean_us, p50_us, p99_us, p999_us, max_us, total_s,
// decisions, rejected}, decisions (of the first pass),
// decisions_agree_between_passes, vmhwm_kb (peak RSS of the process).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "bench/workload.h"

namespace switchboard::bench {
namespace {

int Usage(const char* message) {
  std::fprintf(stderr,
               "switchboard_workload: %s\nusage: switchboard_workload "
               "--workload DIR --n N [--warmup W] [--limit L] "
               "[--passes preparsed,withparse]\n",
               message);
  return 2;
}

std::string PassJson(const PassResult& r) {
  char out[512];
  std::snprintf(out, sizeof(out),
                "{\"events_per_s\":%.0f,\"mean_us\":%.4f,\"p50_us\":%.4f,"
                "\"p99_us\":%.4f,\"p999_us\":%.4f,\"max_us\":%.3f,"
                "\"total_s\":%.4f,\"decisions\":%lld,\"rejected\":%lld}",
                r.events_per_s(), r.mean_ns / 1000, r.p50_ns / 1000,
                r.p99_ns / 1000, r.p999_ns / 1000, r.max_ns / 1000, r.total_s,
                static_cast<long long>(r.decisions),
                static_cast<long long>(r.rejected));
  return out;
}

int Main(int argc, char** argv) {
  std::string dir = WorkloadDir();
  int n = 100;
  size_t warmup = 5000;
  size_t limit = 0;
  std::string passes = "preparsed,withparse";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return Usage("missing value after an option");
    const char* value = argv[++i];
    if (arg == "--workload") {
      dir = value;
    } else if (arg == "--n") {
      n = std::atoi(value);
    } else if (arg == "--warmup") {
      warmup = std::strtoull(value, nullptr, 10);
    } else if (arg == "--limit") {
      limit = std::strtoull(value, nullptr, 10);
    } else if (arg == "--passes") {
      passes = value;
    } else {
      return Usage("unknown option");
    }
  }
  absl::StatusOr<std::string> text = ReadFile(dir + "/events.jsonl");
  if (!text.ok()) {
    std::fprintf(stderr, "%s\n", std::string(text.status().message()).c_str());
    return 1;
  }
  std::vector<std::string_view> lines = SplitLines(*text);
  if (limit > 0 && lines.size() > limit) lines.resize(limit);

  const auto load_start = std::chrono::steady_clock::now();
  absl::StatusOr<std::shared_ptr<const Ruleset>> ruleset =
      LoadWorkloadRules(dir, n);
  const double load_ms = std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - load_start)
                             .count();
  if (!ruleset.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(ruleset.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::vector<CompactEvent>> events =
      ParseEventsAs<CompactEvent>(**ruleset, lines);
  // The Event form too, for the *_event passes only (it takes memory).
  absl::StatusOr<std::vector<Event>> plain_events = std::vector<Event>();
  if (passes.find("_event") != std::string::npos) {
    plain_events = ParseEvents(**ruleset, lines);
  }
  if (!events.ok() || !plain_events.ok()) {
    const absl::Status& error =
        events.ok() ? plain_events.status() : events.status();
    std::fprintf(stderr, "%s\n", std::string(error.message()).c_str());
    return 1;
  }
  const CallClock clock;
  if (warmup > 0) {
    RunPreparsed(*ruleset,
                 absl::MakeConstSpan(*events).subspan(
                     0, std::min(warmup, events->size())),
                 clock);
  }
  std::string json = "{\"peer\":\"switchboard\",\"version\":\"" +
                     std::string(SWITCHBOARD_BENCH_VERSION) +
                     "\",\"n_rules\":" + std::to_string(n) +
                     ",\"events\":" + std::to_string(lines.size());
  char buf[128];
  std::snprintf(buf, sizeof(buf),
                ",\"load_ms\":%.1f,\"timer_overhead_ns\":%.1f", load_ms,
                clock.OverheadNs());
  json += buf;
  int64_t first_decisions = -1;
  bool agree = true;
  PassResult first;
  for (const std::string& pass : SplitCommas(passes)) {
    PassResult r;
    if (pass == "preparsed") {
      r = RunPreparsed(*ruleset, *events, clock);
    } else if (pass == "withparse") {
      r = RunWithParse(*ruleset, lines, clock);
    } else if (pass == "preparsed_event") {
      r = RunPreparsed(*ruleset, *plain_events, clock);
    } else if (pass == "withparse_event") {
      r = RunWithParse(*ruleset, lines, clock, /*compact=*/false);
    } else {
      return Usage("unknown pass");
    }
    if (first_decisions < 0) {
      first_decisions = r.decisions;
      first = r;
    } else if (r.decisions != first_decisions) {
      agree = false;
    }
    json += ",\"" + pass + "\":" + PassJson(r);
  }
  json += ",\"decisions\":" + std::to_string(first_decisions) +
          ",\"decisions_agree_between_passes\":" +
          std::string(agree ? "true" : "false") +
          ",\"vmhwm_kb\":" + std::to_string(PeakRssKb()) + "}";
  std::printf("%s\n", json.c_str());
  std::fprintf(stderr,
               "switchboard N=%d: %.0f ev/s, p50 %.3f us, p99 %.3f us, "
               "decisions %lld, load %.1f ms, VmHWM %lld kB\n",
               n, first.events_per_s(), first.p50_ns / 1000,
               first.p99_ns / 1000, static_cast<long long>(first_decisions),
               load_ms, static_cast<long long>(PeakRssKb()));
  return first.rejected > 0 ? 1 : 0;
}

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) { return switchboard::bench::Main(argc, argv); }
