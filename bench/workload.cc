// Shared support of the benchmark programs: the workload folder, loading
// rules and pre-parsed events, the per-call clock and the timed passes (see
// workload.h).
#include "bench/workload.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "engine/check/checked_ruleset.h"
#include "switchboard/diagnostic.h"
#include "switchboard/engine.h"
#include "switchboard/event_reader.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#ifndef SWITCHBOARD_BENCH_DEFAULT_WORKLOAD
#define SWITCHBOARD_BENCH_DEFAULT_WORKLOAD "/tmp/switchboard-workload"
#endif

namespace switchboard::bench {

std::string WorkloadDir() {
  const char* env = std::getenv("SWITCHBOARD_BENCH_WORKLOAD");
  if (env != nullptr && *env != '\0') return env;
  return SWITCHBOARD_BENCH_DEFAULT_WORKLOAD;
}

bool SmokeMode() {
  const char* env = std::getenv("SWITCHBOARD_BENCH_SMOKE");
  return env != nullptr && *env != '\0' && std::strcmp(env, "0") != 0;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::UnavailableError("error reading '" + path + "'");
  return std::move(text).str();
}

absl::StatusOr<std::shared_ptr<const Ruleset>> LoadWorkloadRules(
    const std::string& dir, int n, std::string_view extra_rules) {
  const std::string path = dir + "/rules_" + std::to_string(n) + ".yaml";
  absl::StatusOr<std::string> yaml = ReadFile(path);
  if (!yaml.ok()) {
    return absl::NotFoundError(std::string(yaml.status().message()) +
                               " (generate it: bench/gen_workload.py --out " +
                               dir + ")");
  }
  if (!extra_rules.empty()) yaml->append(extra_rules);
  LoadOptions options;
  LoadResult result = LoadRulesetFromString(*yaml, path, options);
  if (!result.ok()) {
    return absl::InvalidArgumentError(FormatDiagnostics(result.diagnostics()));
  }
  return result.ruleset();
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!EventReader::IsBlankLine(line)) lines.push_back(line);
    pos = end + 1;
  }
  return lines;
}

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string_view::npos) end = text.size();
    if (end > pos) parts.emplace_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return parts;
}

template <typename EventT>
absl::StatusOr<std::vector<EventT>> ParseEventsAs(
    const Ruleset& ruleset, absl::Span<const std::string_view> lines,
    size_t limit) {
  EventReader reader(ruleset);
  const size_t count = limit > 0 ? std::min(limit, lines.size()) : lines.size();
  std::vector<EventT> events(count);
  for (size_t i = 0; i < count; ++i) {
    absl::Status s = reader.Next(lines[i], &events[i]);
    if (!s.ok()) {
      return absl::InvalidArgumentError("event line " + std::to_string(i + 1) +
                                        ": " + std::string(s.message()));
    }
  }
  return events;
}
template absl::StatusOr<std::vector<Event>> ParseEventsAs<Event>(
    const Ruleset&, absl::Span<const std::string_view>, size_t);
template absl::StatusOr<std::vector<CompactEvent>> ParseEventsAs<CompactEvent>(
    const Ruleset&, absl::Span<const std::string_view>, size_t);

absl::StatusOr<std::vector<Event>> ParseEvents(
    const Ruleset& ruleset, absl::Span<const std::string_view> lines,
    size_t limit) {
  return ParseEventsAs<Event>(ruleset, lines, limit);
}

// ---- clock -----------------------------------------------------------------

uint64_t CallClock::Ticks() {
#if defined(__x86_64__)
  return __rdtsc();
#else
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
#endif
}

CallClock::CallClock() {
#if defined(__x86_64__)
  using Steady = std::chrono::steady_clock;
  const Steady::time_point t0 = Steady::now();
  const uint64_t c0 = Ticks();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const uint64_t c1 = Ticks();
  const Steady::time_point t1 = Steady::now();
  const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
  if (c1 > c0) ns_per_tick_ = ns / static_cast<double>(c1 - c0);
#endif
}

double CallClock::OverheadNs() const {
  constexpr int kSamples = 100001;
  std::vector<uint64_t> samples(kSamples);
  for (int i = 0; i < kSamples; ++i) {
    const uint64_t t0 = Ticks();
    samples[i] = Ticks() - t0;
  }
  std::nth_element(samples.begin(), samples.begin() + kSamples / 2,
                   samples.end());
  return ToNanoseconds(samples[kSamples / 2]);
}

// ---- passes ----------------------------------------------------------------

namespace {

// Fills the distribution fields of `r` from per-event tick counts (sorted
// in place), with the peers' quantile rule: sorted[floor(p * (n - 1))].
void Summarize(std::vector<uint64_t>* ticks, const CallClock& clock,
               PassResult* r) {
  if (ticks->empty()) return;
  std::sort(ticks->begin(), ticks->end());
  const size_t n = ticks->size();
  const auto q = [&](double p) {
    return clock.ToNanoseconds(
        (*ticks)[std::min(n - 1, static_cast<size_t>(p * (n - 1)))]);
  };
  long double sum = 0;
  for (uint64_t t : *ticks) sum += t;
  r->mean_ns = clock.ToNanoseconds(1) * static_cast<double>(sum / n);
  r->p50_ns = q(0.5);
  r->p99_ns = q(0.99);
  r->p999_ns = q(0.999);
  r->max_ns = clock.ToNanoseconds(ticks->back());
}

std::unique_ptr<Engine> NewEngine(
    const std::shared_ptr<const Ruleset>& ruleset) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(ruleset);
  if (!engine.ok()) {
    std::fprintf(stderr, "Engine::Create: %s\n",
                 std::string(engine.status().message()).c_str());
    std::abort();
  }
  return std::move(*engine);
}

}  // namespace

namespace {

template <typename EventT>
PassResult RunPreparsedAs(const std::shared_ptr<const Ruleset>& ruleset,
                          absl::Span<const EventT> events,
                          const CallClock& clock, Feed feed) {
  std::unique_ptr<Engine> engine = NewEngine(ruleset);
  CountingSink sink;
  std::vector<uint64_t> ticks(events.size());
  PassResult r;
  EventT hot;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < events.size(); ++i) {
    const EventT* event = &events[i];
    if (feed == Feed::kReused) {
      hot = events[i];  // reuses hot's storage: no allocation once warm
      event = &hot;
    }
    const uint64_t t0 = CallClock::Ticks();
    const bool ok = engine->Process(*event, &sink).ok();
    ticks[i] = CallClock::Ticks() - t0;
    if (!ok) ++r.rejected;
  }
  r.total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  r.events = static_cast<int64_t>(events.size());
  r.decisions = sink.count();
  Summarize(&ticks, clock, &r);
  return r;
}

template <typename EventT>
PassResult RunWithParseAs(const std::shared_ptr<const Ruleset>& ruleset,
                          absl::Span<const std::string_view> lines,
                          const CallClock& clock) {
  std::unique_ptr<Engine> engine = NewEngine(ruleset);
  EventReader reader(*ruleset);
  EventT event;
  CountingSink sink;
  std::vector<uint64_t> ticks(lines.size());
  PassResult r;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < lines.size(); ++i) {
    const uint64_t t0 = CallClock::Ticks();
    const bool ok = reader.Next(lines[i], &event).ok() &&
                    engine->Process(event, &sink).ok();
    ticks[i] = CallClock::Ticks() - t0;
    if (!ok) ++r.rejected;
  }
  r.total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  r.events = static_cast<int64_t>(lines.size());
  r.decisions = sink.count();
  Summarize(&ticks, clock, &r);
  return r;
}

}  // namespace

PassResult RunPreparsed(const std::shared_ptr<const Ruleset>& ruleset,
                        absl::Span<const Event> events, const CallClock& clock,
                        Feed feed) {
  return RunPreparsedAs(ruleset, events, clock, feed);
}

PassResult RunPreparsed(const std::shared_ptr<const Ruleset>& ruleset,
                        absl::Span<const CompactEvent> events,
                        const CallClock& clock, Feed feed) {
  return RunPreparsedAs(ruleset, events, clock, feed);
}

PassResult RunWithParse(const std::shared_ptr<const Ruleset>& ruleset,
                        absl::Span<const std::string_view> lines,
                        const CallClock& clock, bool compact) {
  return compact ? RunWithParseAs<CompactEvent>(ruleset, lines, clock)
                 : RunWithParseAs<Event>(ruleset, lines, clock);
}

// ---- memory ----------------------------------------------------------------

namespace {

int64_t StatusKb(const char* field) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  int64_t kb = 0;
  const size_t len = std::strlen(field);
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (std::strncmp(line, field, len) == 0 && line[len] == ':') {
      kb = std::strtoll(line + len + 1, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return kb;
}

}  // namespace

int64_t PeakRssKb() { return StatusKb("VmHWM"); }
int64_t CurrentRssKb() { return StatusKb("VmRSS"); }

}  // namespace switchboard::bench
