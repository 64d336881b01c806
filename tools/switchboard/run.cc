// switchboard run RULES --events FILE|- [...]: the dry run. Loads RULES
// (exit 1 with the diagnostics when it has errors), feeds the events (JSON
// Lines; '-' is stdin) to an Engine and prints the decisions as JSON Lines
// on stdout. A bad line is reported on stderr as FILE:LINE: error: MESSAGE,
// counted and skipped (--strict: the run stops there and exits 1). --until
// TIME advances the clock after the last event. Then a summary on stderr,
// whose last line (the only one that depends on timing) starts with
// "throughput:". When stdout cannot be written, the run stops reading.
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/partitioned_run.h"
#include "switchboard/compact_event.h"
#include "switchboard/decision.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"
#include "switchboard/time.h"
#include "tools/switchboard/cli.h"
#include "tools/switchboard/commands.h"

namespace switchboard::cli {

extern const char kRunHelp[] =
    "Loads RULES (as check does: on errors prints the diagnostics and exits\n"
    "1), then feeds the events of FILE ('-': stdin), one JSON object per\n"
    "line, to the engine, and prints every decision as one JSON object per\n"
    "line on stdout. Blank lines are skipped. A bad line (malformed JSON, a\n"
    "missing time, type or session key, a member of the wrong type) is\n"
    "reported on stderr as FILE:LINE: error: MESSAGE, counted and skipped.\n"
    "At the end a summary goes to stderr: events, late events, bad lines,\n"
    "decisions per rule and action, evaluation errors per rule (with the\n"
    "first error's message), deflects without a healthy channel, the rules\n"
    "that never ran, the event types no trigger matched, skill routing,\n"
    "pending timers, sessions, and a last line\n"
    "'throughput: ...' (the only one that depends on timing).\n"
    "Exits 0 unless the ruleset fails to load, --strict meets a bad line,\n"
    "a file cannot be read (1), or stdout cannot be written (3).\n"
    "\n"
    "  --events FILE  the events, JSON Lines ('-' for stdin); required\n"
    "  --explain      add to each decision an \"explain\" member: each rule\n"
    "                 the trigger considered, its conditions and their\n"
    "                 values, and which rules were overridden\n"
    "  --format F     json (the default): JSON Lines; text: one line per\n"
    "                 decision for people (time, session, rule: action and\n"
    "                 its parameters, (on trigger)), with --explain each\n"
    "                 rule considered on an indented line below\n"
    "  --until TIME   after the last event, advance the clock to TIME (RFC\n"
    "                 3339), firing the timers that fall due\n"
    "  --strict       stop at the first bad line and exit 1\n"
    "  --trace FILE   write one JSON line per trigger the engine evaluated\n"
    "                 (input event, derived event, timer, assignment) to\n"
    "                 FILE ('-': stderr), decided or not: each rule\n"
    "                 considered, its outcome (ran, false, error, ...), its\n"
    "                 conditions' values, an error's message\n"
    "  --strict-schema  warn (FILE:LINE: warning: ...) about members of an\n"
    "                 event whose type the rules know that the event: schema\n"
    "                 does not declare; the line is still processed\n"
    "  --max-sessions N  keep at most N live sessions, evicting the\n"
    "                 longest idle (default 1000000; 0: unlimited)\n"
    "  --snapshot-in FILE   start from the engine state saved in FILE\n"
    "  --snapshot-out FILE  at the end (after --until), save the engine\n"
    "                 state to FILE (a binary snapshot, written atomically)\n"
    "  --reload-at TIME:RULES  before the first event at or after TIME,\n"
    "                 advance the clock to TIME and reload the rules from\n"
    "                 RULES, keeping sessions and timers (repeatable; a\n"
    "                 TIME after the last event applies during --until)\n"
    "  --threads N    run the sessions on N engines, partitioned by session\n"
    "                 key, N threads side by side (default 1); the output\n"
    "                 is the same, byte for byte. Rulesets with queues,\n"
    "                 --strict, --trace, --strict-schema and snapshots run\n"
    "                 on one engine\n";

namespace {

// Writes decisions to `out`, one per line: as JSON Lines, or with --format
// text as Decision::AppendText writes them (with --explain, the rules
// considered on the lines below).
class LinesSink : public DecisionSink {
 public:
  LinesSink(Output& out, bool text) : out_(out), text_(text) {}
  void OnDecision(const Decision& decision) override {
    std::string* buffer = out_.buffer();
    if (text_) {
      decision.AppendText(buffer);
    } else {
      decision.AppendJson(buffer);
    }
    buffer->push_back('\n');
    out_.MaybeFlush();
  }

 private:
  Output& out_;
  bool text_;
};

// Lines of the pending timers listed in the summary before "and N more".
constexpr size_t kMaxTimersListed = 20;

// What the summary shows of the engine, or of the engines of --threads
// added up as one engine would count.
struct SummaryInput {
  const Ruleset& ruleset;
  EngineStats stats;
  std::vector<PendingTimer> timers;
  int64_t sessions;
  absl::Time now;
};

// Rule timers and skill routing's (relax steps, route timeouts), by
// deadline, then session.
SummaryInput Summarize(const Engine& engine) {
  std::vector<PendingTimer> timers = engine.PendingTimers();
  for (PendingTimer& t : engine.PendingRoutingTimers()) {
    timers.push_back(std::move(t));
  }
  std::stable_sort(timers.begin(), timers.end(),
                   [](const PendingTimer& a, const PendingTimer& b) {
                     if (a.deadline != b.deadline) {
                       return a.deadline < b.deadline;
                     }
                     return a.session < b.session;
                   });
  return {engine.ruleset(), engine.stats(), std::move(timers),
          engine.session_count(), engine.now()};
}

SummaryInput Summarize(const service::PartitionedRun& run) {
  return {run.ruleset(), run.stats(), run.PendingTimers(), run.session_count(),
          run.now()};
}

// The pending timers' kinds as the summary names them.
std::string_view TimerKind(std::string_view trigger) {
  if (trigger == "relax") return "relax step";
  if (trigger == "timeout") return "route timeout";
  return trigger;
}

// The summary on stderr. `reloads`: the --reload-at reloads done, or -1 when
// none was asked for; `schema_warnings`: the --strict-schema warnings, or
// -1 without it.
void PrintSummary(const SummaryInput& engine, int64_t bad_lines,
                  int64_t schema_warnings, double seconds, int64_t lines,
                  int64_t reloads) {
  const EngineStats& stats = engine.stats;
  const Ruleset& ruleset = engine.ruleset;
  std::string out;
  Put(out, "ruleset: {}\n", ruleset.name());
  Put(out, "events: {} (late: {}, derived: {}", stats.events, stats.late_events,
      stats.derived_events);
  if (stats.derived_events_dropped > 0) {
    Put(out, ", derived dropped: {}", stats.derived_events_dropped);
  }
  Put(out, ")\n");
  Put(out, "bad lines: {}\n", bad_lines);
  if (schema_warnings >= 0) {
    Put(out, "schema warnings: {}\n", schema_warnings);
  }
  Put(out, "decisions: {}\n", stats.decisions);
  for (const auto& [key, count] : stats.decisions_by_rule_action) {
    Put(out, "  {} {}: {}\n", key.first, key.second, count);
  }
  int64_t errors = 0;
  for (int64_t n : stats.rule_errors) errors += n;
  Put(out, "evaluation errors: {}\n", errors);
  const int rules = ruleset.rule_count();
  for (int r = 0; r < rules && r < static_cast<int>(stats.rule_errors.size());
       ++r) {
    if (stats.rule_errors[r] == 0) continue;
    Put(out, "  {}: {}", ruleset.rule_name(r), stats.rule_errors[r]);
    if (r < static_cast<int>(stats.rule_first_errors.size()) &&
        !stats.rule_first_errors[r].empty()) {
      Put(out, " (first: {})", stats.rule_first_errors[r]);
    }
    Put(out, "\n");
  }
  Put(out, "deflects without a healthy channel: {}\n",
      stats.deflects_without_channel);
  // Rules whose conditions never held (or never were evaluated): a typo'd
  // event type in their `on`, a condition that cannot hold.
  std::vector<std::string> silent;
  for (int r = 0; r < rules && r < static_cast<int>(stats.rule_runs.size());
       ++r) {
    if (stats.rule_runs[r] == 0) silent.push_back(ruleset.rule_name(r));
  }
  Put(out, "rules that never ran: {}\n", silent.size());
  for (const std::string& name : silent) Put(out, "  {}\n", name);
  // Input events no trigger matched (a typo'd type: `cart.update` where the
  // rules wait for `cart.updated`).
  int64_t unmatched = 0;
  for (const auto& [type, count] : stats.unmatched_event_types) {
    unmatched += count;
  }
  Put(out, "events no trigger matched: {}\n", unmatched);
  for (size_t i = 0;
       i < stats.unmatched_event_types.size() && i < kMaxTimersListed; ++i) {
    Put(out, "  {}: {}\n", stats.unmatched_event_types[i].first,
        stats.unmatched_event_types[i].second);
  }
  if (stats.unmatched_event_types.size() > kMaxTimersListed) {
    Put(out, "  and {} more types\n",
        stats.unmatched_event_types.size() - kMaxTimersListed);
  }
  // Skill routing (docs/skill-routing.md), for every ruleset with queues.
  if (ruleset.queue_count() > 0) {
    Put(out,
        "skill routing: assignments {}, route timeouts {}, transfers {}, "
        "abandoned {}, unassignable {}\n",
        stats.assignments, stats.route_timeouts, stats.transfers,
        stats.conversations_abandoned, stats.unassignable_routes);
    Put(out, "  now waiting {}, assigned {}", stats.conversations_waiting,
        stats.conversations_assigned);
    if (stats.agent_events_ignored > 0) {
      Put(out, ", agent events ignored {}", stats.agent_events_ignored);
    }
    Put(out, "\n");
  }
  const std::vector<PendingTimer>& timers = engine.timers;
  Put(out, "pending timers: {}\n", timers.size());
  for (size_t i = 0; i < timers.size() && i < kMaxTimersListed; ++i) {
    const PendingTimer& t = timers[i];
    Put(out, "  {} session {} rule {} ({})\n", FormatTimestamp(t.deadline),
        t.session, t.rule, TimerKind(t.trigger));
  }
  if (timers.size() > kMaxTimersListed) {
    Put(out, "  and {} more\n", timers.size() - kMaxTimersListed);
  }
  Put(out, "sessions: {}", engine.sessions);
  if (stats.sessions_evicted > 0) {
    Put(out, " (evicted by --max-sessions: {})", stats.sessions_evicted);
  }
  Put(out, "\n");
  Put(out, "clock: {}\n",
      engine.now == absl::InfinitePast() ? std::string("not started")
                                         : FormatTimestamp(engine.now));
  if (reloads >= 0) {
    Put(out, "reloads: {} (timers dropped: {})\n", reloads,
        stats.timers_dropped);
  }
  Put(out, "throughput: {} lines in {:.3f} s ({:.0f} events/s)\n", lines,
      seconds, seconds > 0 ? static_cast<double>(stats.events) / seconds : 0.0);
  std::fputs(out.c_str(), stderr);
}

// Reads the snapshot file at `path`, checking its header before its body.
absl::Status ReadSnapshotFile(const std::string& path, std::string* bytes) {
  std::string header;
  {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(
        std::fopen(path.c_str(), "rb"), &std::fclose);
    if (f == nullptr) {
      return absl::NotFoundError(std::strerror(errno));
    }
    header.resize(kSnapshotHeaderBytes);
    header.resize(std::fread(header.data(), 1, header.size(), f.get()));
  }
  absl::StatusOr<uint64_t> size = SnapshotSize(header);
  if (!size.ok()) return size.status();
  if (*size > kMaxWholeFileBytes) {
    return absl::ResourceExhaustedError(fmt::format(
        "the snapshot's header declares {} bytes, more than the limit of {}",
        *size, kMaxWholeFileBytes));
  }
  return ReadWholeFile(path, *size, bytes);
}

// --reload-at TIME:RULES, parsed; TIME itself has colons: the shortest
// prefix before a ':' that parses as a time is TIME.
struct PlannedReload {
  absl::Time at;
  std::string path;
  std::shared_ptr<const Ruleset> ruleset;
};

std::optional<PlannedReload> ParseReload(const std::string& text) {
  for (size_t colon = text.find(':'); colon != std::string::npos;
       colon = text.find(':', colon + 1)) {
    absl::StatusOr<absl::Time> t = ParseTimestamp(text.substr(0, colon));
    if (t.ok() && colon + 1 < text.size()) {
      return PlannedReload{*t, text.substr(colon + 1), nullptr};
    }
  }
  return std::nullopt;
}

// The cores this process may run on: its CPU affinity (taskset, a
// container's cpuset), or the machine's count where that is unknown.
int UsableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    return std::max(1, CPU_COUNT(&set));
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

// The run loop's view of what runs the events: one engine, or the N
// engines of --threads N (service::PartitionedRun). Decisions go to the
// output and refused events to the bad-line report, in one engine's order.
class Driver {
 public:
  virtual ~Driver() = default;
  // Reads `text` with `reader` into the next event, setting `time` to its
  // time; then Commit, or nothing (a bad line, or a reload to apply first:
  // Read again then).
  virtual absl::Status Read(EventReader& reader, std::string_view text,
                            absl::Time* time) = 0;
  virtual void Commit(int64_t line) = 0;
  // Whether it takes raw lines (CommitLine) rather than parsed events: then
  // it reads them itself, as the run loop would, reporting bad lines.
  virtual bool TakesLines() const { return false; }
  virtual void CommitLine(int64_t /*line*/, std::string_view /*text*/) {}
  // A bad line (too long, or refused by the reader here), reported in its
  // place among the engines' reports.
  virtual void Refuse(int64_t line, std::string_view message) = 0;
  virtual void AdvanceTo(absl::Time time) = 0;
  // AdvanceTo(time), then the reload.
  virtual absl::Status Reload(absl::Time time,
                              std::shared_ptr<const Ruleset> ruleset) = 0;
  // Everything committed so far is processed and written (before a
  // message that must follow their reports).
  virtual void Flush() {}
  // Everything committed is processed and written.
  virtual absl::Status Finish() = 0;
  virtual absl::StatusOr<std::string> Snapshot() const = 0;
  virtual SummaryInput Summary() const = 0;
};

class EngineDriver : public Driver {
 public:
  EngineDriver(std::unique_ptr<Engine> engine, Output& out, bool text,
               const std::function<void(int64_t, std::string_view)>* report)
      : engine_(std::move(engine)), sink_(out, text), report_(report) {}
  Engine& engine() { return *engine_; }
  // One engine reads its events in compact form (switchboard/
  // compact_event.h), the faster path.
  absl::Status Read(EventReader& reader, std::string_view text,
                    absl::Time* time) override {
    absl::Status s = reader.Next(text, &event_);
    *time = event_.time();
    return s;
  }
  void Commit(int64_t line) override {
    if (absl::Status st = engine_->Process(event_, &sink_); !st.ok()) {
      (*report_)(line, Message(st));
    }
  }
  void Refuse(int64_t line, std::string_view message) override {
    (*report_)(line, message);
  }
  void AdvanceTo(absl::Time time) override { engine_->AdvanceTo(time, &sink_); }
  absl::Status Reload(absl::Time time,
                      std::shared_ptr<const Ruleset> ruleset) override {
    engine_->AdvanceTo(time, &sink_);
    return engine_->Reload(std::move(ruleset));
  }
  absl::Status Finish() override { return absl::OkStatus(); }
  absl::StatusOr<std::string> Snapshot() const override {
    return engine_->Snapshot();
  }
  SummaryInput Summary() const override { return Summarize(*engine_); }

 private:
  std::unique_ptr<Engine> engine_;
  LinesSink sink_;
  CompactEvent event_;
  const std::function<void(int64_t, std::string_view)>* report_;
};

class PartitionedDriver : public Driver {
 public:
  // `lines`: hand the lines over unparsed (service::PartitionedRun::
  // CommitLine), so that the partitions' threads parse them; not with
  // --reload-at, whose reloads wait for the first event at or after their
  // time, which only a parse on the reading thread knows.
  PartitionedDriver(std::unique_ptr<service::PartitionedRun> run, bool lines)
      : run_(std::move(run)), lines_(lines) {}
  absl::Status Read(EventReader& reader, std::string_view text,
                    absl::Time* time) override {
    Event* event = run_->NextEvent();
    absl::Status s = reader.Next(text, event);
    *time = event->time();
    return s;
  }
  void Commit(int64_t line) override { run_->CommitEvent(line); }
  bool TakesLines() const override { return lines_; }
  void CommitLine(int64_t line, std::string_view text) override {
    run_->CommitLine(line, text);
  }
  void Refuse(int64_t line, std::string_view message) override {
    run_->CommitRefusal(line, absl::InvalidArgumentError(absl::string_view(
                                  message.data(), message.size())));
  }
  void AdvanceTo(absl::Time time) override { run_->AdvanceTo(time); }
  absl::Status Reload(absl::Time time,
                      std::shared_ptr<const Ruleset> ruleset) override {
    run_->Reload(time, std::move(ruleset));  // its error comes with Finish
    return absl::OkStatus();
  }
  void Flush() override { run_->Flush(); }
  absl::Status Finish() override { return run_->Finish(); }
  absl::StatusOr<std::string> Snapshot() const override {
    return absl::FailedPreconditionError(
        "no snapshot of partitioned engines");  // never asked: one engine
  }
  SummaryInput Summary() const override { return Summarize(*run_); }

 private:
  std::unique_ptr<service::PartitionedRun> run_;
  const bool lines_;
};

int Run(const std::vector<std::string>& args, Output& out) {
  bool explain = false;
  bool strict = false;
  bool strict_schema = false;
  std::optional<std::string> events_path, until_text, snapshot_in, snapshot_out,
      max_sessions_text, format, threads_text, trace_path;
  std::vector<std::string> reload_texts;
  Flags flags("run");
  flags.Value("--events", &events_path);
  flags.Value("--until", &until_text);
  flags.Switch("--explain", &explain);
  flags.Value("--format", &format);
  flags.Switch("--strict", &strict);
  flags.Switch("--strict-schema", &strict_schema);
  flags.Value("--trace", &trace_path);
  flags.Value("--max-sessions", &max_sessions_text);
  flags.Value("--snapshot-in", &snapshot_in);
  flags.Value("--snapshot-out", &snapshot_out);
  flags.Repeated("--reload-at", &reload_texts);
  flags.Value("--threads", &threads_text);
  std::vector<std::string> paths;
  if (auto rc = flags.Parse(args, &paths, out)) return *rc;
  if (auto rc = RequireOneRuleset("run", paths)) return *rc;
  if (!events_path.has_value()) {
    return UsageError("run", "missing --events FILE (or -)");
  }
  if (events_path->empty()) return UsageError("run", "--events needs a file");
  if (paths[0] == "-" && *events_path == "-") {
    return UsageError("run", "the ruleset and the events cannot both be stdin");
  }
  bool text = false;
  if (auto rc = ParseFormat("run", format, &text)) return *rc;
  absl::Time until = absl::InfinitePast();
  if (until_text.has_value()) {
    absl::StatusOr<absl::Time> t = ParseTimestamp(*until_text);
    if (!t.ok()) {
      return UsageError("run", fmt::format("--until: {}", Message(t.status())));
    }
    until = *t;
  }
  EngineOptions options;
  options.explain = explain;
  if (max_sessions_text.has_value()) {
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(max_sessions_text->c_str(), &end, 10);
    if (max_sessions_text->empty() || *end != '\0' || errno != 0 || n < 0) {
      return UsageError("run",
                        fmt::format("--max-sessions needs a number >= 0, "
                                    "got '{}'",
                                    *max_sessions_text));
    }
    options.max_sessions = n;
  }
  int threads = 1;
  if (threads_text.has_value()) {
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(threads_text->c_str(), &end, 10);
    if (threads_text->empty() || *end != '\0' || errno != 0 || n < 1 ||
        n > 256) {
      return UsageError("run", fmt::format("--threads needs a number from 1 "
                                           "to 256, got '{}'",
                                           *threads_text));
    }
    threads = static_cast<int>(n);
  }
  if (trace_path.has_value() && trace_path->empty()) {
    return UsageError("run", "--trace needs a file (or -)");
  }
  if (snapshot_in.has_value() && snapshot_in->empty()) {
    return UsageError("run", "--snapshot-in needs a file");
  }
  if (snapshot_out.has_value() && snapshot_out->empty()) {
    return UsageError("run", "--snapshot-out needs a file");
  }
  std::vector<PlannedReload> reloads;
  for (const std::string& text : reload_texts) {
    std::optional<PlannedReload> reload = ParseReload(text);
    if (!reload.has_value()) {
      return UsageError("run", fmt::format("--reload-at needs TIME:RULES "
                                           "(TIME in RFC 3339), got '{}'",
                                           text));
    }
    reloads.push_back(std::move(*reload));
  }
  std::stable_sort(reloads.begin(), reloads.end(),
                   [](const PlannedReload& a, const PlannedReload& b) {
                     return a.at < b.at;
                   });

  const std::shared_ptr<const Ruleset> ruleset = LoadOrReport(paths[0]);
  if (ruleset == nullptr) return kExitProblem;
  for (PlannedReload& r : reloads) {
    r.ruleset = LoadOrReport(r.path);
    if (r.ruleset == nullptr) {
      fmt::print(stderr, "switchboard: --reload-at: '{}' does not load\n",
                 r.path);
      return kExitProblem;
    }
  }
  // --trace: opened before the run, so that a bad path stops it at once.
  FilePtr trace_file(nullptr, &std::fclose);
  std::unique_ptr<TraceLines> trace;
  if (trace_path.has_value()) {
    std::FILE* const f = OpenTraceFile(*trace_path, &trace_file);
    if (f == nullptr) return kExitProblem;
    trace = std::make_unique<TraceLines>(f, f == stderr ? &out : nullptr);
    options.trace = trace.get();
  }
  // One engine, or with --threads N a PartitionedRun of N, behind one
  // interface: the loop below feeds it either way.
  std::unique_ptr<Driver> driver;
  const bool one_engine_needed =
      strict || strict_schema || trace != nullptr || snapshot_in.has_value() ||
      snapshot_out.has_value() || ruleset->queue_count() > 0 ||
      std::any_of(reloads.begin(), reloads.end(), [](const PlannedReload& r) {
        return r.ruleset->queue_count() > 0;
      });
  std::function<void(int64_t, std::string_view)> report;  // set below
  ReaderOptions reader_options;
  reader_options.report_unknown_members = strict_schema;
  if (threads > 1 && !one_engine_needed) {
    service::PartitionedRun::Options run_options;
    run_options.partitions = threads;
    run_options.engine = options;
    run_options.text = text;
    run_options.reader = reader_options;
    service::PartitionedRun::Callbacks callbacks;
    callbacks.write = [&out](std::string_view bytes) { out.Write(bytes); };
    callbacks.refused = [&report](int64_t line, const absl::Status& error) {
      report(line, Message(error));
    };
    absl::StatusOr<std::unique_ptr<service::PartitionedRun>> run =
        service::PartitionedRun::Create(ruleset, run_options,
                                        std::move(callbacks));
    if (!run.ok()) {
      fmt::print(stderr, "switchboard: {}\n", Message(run.status()));
      return kExitProblem;
    }
    // Every partition reads every line when each has a core of its own;
    // with more partitions than cores that repeated reading costs more
    // than this thread's parse (docs/performance.md).
    const bool lines = reloads.empty() && threads <= UsableCores();
    driver = std::make_unique<PartitionedDriver>(std::move(*run), lines);
  } else {
    absl::StatusOr<std::unique_ptr<Engine>> created =
        Engine::Create(ruleset, options);
    if (!created.ok()) {
      fmt::print(stderr, "switchboard: {}\n", Message(created.status()));
      return kExitProblem;
    }
    auto single =
        std::make_unique<EngineDriver>(std::move(*created), out, text, &report);
    if (snapshot_in.has_value()) {
      std::string bytes;
      absl::Status read = ReadSnapshotFile(*snapshot_in, &bytes);
      if (read.ok()) read = single->engine().Restore(bytes);
      if (!read.ok()) {
        fmt::print(stderr,
                   "switchboard: cannot restore the snapshot '{}': {}\n",
                   *snapshot_in, Message(read));
        return kExitProblem;
      }
    }
    driver = std::move(single);
  }

  // No summary when the events cannot be read: a summary of zeros would
  // look like a run.
  absl::StatusOr<EventsFile> events = OpenEvents(*events_path);
  if (!events.ok()) {
    fmt::print(stderr, "switchboard: {}\n", Message(events.status()));
    return kExitProblem;
  }
  const std::string& events_name = events->name;
  std::FILE* file = events->file;

  int64_t bad_lines = 0;
  int64_t schema_warnings = 0;
  report = [&](int64_t line, std::string_view message) {
    ++bad_lines;
    out.Flush();  // decisions so far before the message (for a terminal)
    fmt::print(stderr, "{}\n", FormatBadLine(events_name, line, message));
  };

  // The event schema follows --reload-at (the reader is rebuilt).
  auto reader = std::make_unique<EventReader>(*ruleset, reader_options);
  size_t next_reload = 0;
  int64_t reloads_done = 0;
  bool reload_failed = false;
  // Applies the planned reloads due at or before `t`.
  const auto reload_until = [&](absl::Time t) {
    bool any = false;
    while (next_reload < reloads.size() && reloads[next_reload].at <= t) {
      const PlannedReload& r = reloads[next_reload++];
      if (absl::Status st = driver->Reload(r.at, r.ruleset); !st.ok()) {
        fmt::print(stderr, "switchboard: --reload-at {}: {}\n", r.path,
                   Message(st));
        reload_failed = true;
        continue;
      }
      ++reloads_done;
      any = true;
      reader = std::make_unique<EventReader>(*r.ruleset, reader_options);
    }
    return any;
  };
  LineReader source(file, reader_options.max_line_bytes);
  int64_t line_number = 0;
  bool stopped = false;
  const auto start = std::chrono::steady_clock::now();
  LineReader::Line line;
  while (!out.failed() && source.Next(&line)) {
    ++line_number;
    const int64_t bad_before = bad_lines;
    if (line.too_long) {
      driver->Refuse(line_number,
                     fmt::format("line too long: {} bytes (the limit is {})",
                                 line.length, reader_options.max_line_bytes));
    } else if (EventReader::IsBlankLine(line.text)) {
      continue;
    } else if (driver->TakesLines()) {
      driver->CommitLine(line_number, line.text);  // bad lines: report
    } else {
      absl::Time time;
      absl::Status s = driver->Read(*reader, line.text, &time);
      if (s.ok() && next_reload < reloads.size() &&
          reloads[next_reload].at <= time && reload_until(time)) {
        // After the reload's step, under the new schema.
        s = driver->Read(*reader, line.text, &time);
      }
      if (s.ok()) {
        driver->Commit(line_number);  // a refusal is reported (report)
        // --strict-schema (one engine): members the schema does not
        // declare (warnings: the decisions stay those of a plain run).
        for (const std::string& warning : reader->warnings()) {
          ++schema_warnings;
          out.Flush();
          fmt::print(stderr, "{}\n",
                     FormatLineWarning(events_name, line_number, warning));
        }
      } else {
        driver->Refuse(line_number, Message(s));
      }
    }
    if (strict && bad_lines > bad_before) {
      stopped = true;
      break;
    }
  }
  int status = kExitOk;
  if (!source.status().ok()) {
    driver->Flush();  // the bad lines read before it are reported first
    out.Flush();
    fmt::print(stderr, "switchboard: error reading '{}': {}\n", events_name,
               Message(source.status()));
    status = kExitProblem;
  }
  if (until_text.has_value() && !stopped && !out.failed()) {
    reload_until(until);
    driver->AdvanceTo(until);
  }
  if (absl::Status st = driver->Finish(); !st.ok()) {
    fmt::print(stderr, "switchboard: --reload-at: {}\n", Message(st));
    reload_failed = true;
  }
  if (next_reload < reloads.size() && !out.failed()) {
    fmt::print(
        stderr,
        "switchboard: --reload-at: {} not reached (after the last "
        "event and --until)\n",
        Plural(static_cast<int64_t>(reloads.size() - next_reload), "reload"));
  }
  if (reload_failed) status = kExitProblem;
  if (snapshot_out.has_value()) {
    absl::StatusOr<std::string> bytes = driver->Snapshot();
    absl::Status written = bytes.ok()
                               ? WriteFileAtomically(*snapshot_out, *bytes)
                               : bytes.status();
    if (!written.ok()) {
      fmt::print(stderr, "switchboard: cannot write the snapshot '{}': {}\n",
                 *snapshot_out, Message(written));
      status = kExitWriteError;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (stopped) {
    fmt::print(stderr, "stopped at the first bad line (--strict)\n");
    status = kExitProblem;
  }
  out.Flush();  // main reports a failed write (exit 3)
  if (trace != nullptr && !trace->output().Flush()) {
    fmt::print(stderr, "switchboard: cannot write the trace '{}': {}\n",
               *trace_path, trace->output().error());
    status = kExitWriteError;
  }
  PrintSummary(driver->Summary(), bad_lines,
               strict_schema ? schema_warnings : -1, seconds, line_number,
               reloads.empty() ? -1 : reloads_done);
  return status;
}

}  // namespace switchboard::cli
