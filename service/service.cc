// The service put together (service.h), and its metrics text.
#include "service/service.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "fmt/format.h"
#include "service/metrics.h"
#include "switchboard/diagnostic.h"
#include "switchboard/event_reader.h"

namespace switchboard::service {
namespace {

std::string Text(const absl::Status& status) {
  return std::string(status.message());
}

std::string ClockName(ClockMode mode) {
  return mode == ClockMode::kWall ? "wall" : "event";
}

// Reloads asked for and refused (a process-wide count, for /metrics).
std::atomic<int64_t> reloads_done{0};
std::atomic<int64_t> reloads_refused{0};

}  // namespace

absl::StatusOr<std::unique_ptr<Service>> Service::Start(
    const ServiceOptions& options, std::shared_ptr<const Ruleset> ruleset) {
  std::unique_ptr<Service> service(new Service(options));
  Service* s = service.get();
  LoopOptions loop_options = options.loop;
  if (!options.state_dir.empty()) {
    absl::StatusOr<std::unique_ptr<StateDir>> state =
        StateDir::Open(options.state_dir, options.instance);
    if (!state.ok()) return state.status();
    s->state_ = std::move(*state);
    loop_options.instance = s->state_->instance();
  } else if (!options.instance.empty()) {
    if (!ValidInstanceName(options.instance)) {
      return absl::InvalidArgumentError(fmt::format(
          "invalid instance name '{}' (1 to 64 of A-Z a-z 0-9 . _ -)",
          options.instance));
    }
    loop_options.instance = options.instance;
  } else {
    loop_options.instance = NewInstanceName();
  }
  const bool http = options.http.has_value();
  s->hub_ = std::make_unique<DecisionHub>(options.hub);
  s->hub_->set_on_stdout_error([s, http](const std::string& error) {
    if (http) {
      fmt::print(stderr,
                 "switchboard: cannot write decisions to stdout ({}); they "
                 "go on to HTTP answers and /v1/decisions only\n",
                 error);
    } else {
      fmt::print(stderr, "switchboard: error writing the decisions: {}\n",
                 error);
      s->RequestStop(3);
    }
  });
  absl::StatusOr<std::unique_ptr<EngineLoop>> loop =
      EngineLoop::Create(ruleset, loop_options, s->state_.get(), s->hub_.get());
  if (!loop.ok()) return loop.status();
  s->loop_ = std::move(*loop);
  s->loop_->set_on_failure([s](const absl::Status&) { s->RequestStop(1); });

  int port = 0;
  if (http) {
    HttpOptions http_options = *options.http;
    http_options.sse_threads = static_cast<int>(options.hub.max_subscribers);
    HttpServer::Hooks hooks;
    hooks.metrics = [s] { return s->MetricsText(); };
    hooks.reload = [s] { return s->Reload(); };
    hooks.healthy = [s] { return s->loop_->healthy(); };
    s->http_ = std::make_unique<HttpServer>(http_options, s->loop_.get(),
                                            s->hub_.get(), std::move(hooks));
    absl::StatusOr<int> bound = s->http_->Bind();
    if (!bound.ok()) return bound.status();
    port = *bound;
  }
  s->loop_->Start();
  if (s->http_ != nullptr) s->http_->Start();
  if (options.read_stdin) {
    s->stdin_ = std::make_unique<StdinReader>(STDIN_FILENO, s->loop_.get(),
                                              ReaderOptions().max_line_bytes,
                                              [s, http](bool error) {
                                                // The end of stdin: nothing
                                                // further fires; a read error
                                                // is exit 1, as in run.
                                                if (!http)
                                                  s->RequestStop(error ? 1 : 0);
                                              });
    s->stdin_->Start();
  }
  fmt::print(stderr,
             "switchboard: serving ruleset '{}' ({} rules), clock {}, {}, "
             "decision ids {}-*\n",
             ruleset->name(), ruleset->rule_count(),
             ClockName(options.loop.clock),
             s->state_ != nullptr ? fmt::format("state '{}'", s->state_->path())
                                  : std::string("no state"),
             loop_options.instance);
  if (http) {
    const std::string& host = options.http->host;
    fmt::print(stderr, "switchboard: listening on http://{}:{}\n",
               host.find(':') != std::string::npos ? "[" + host + "]" : host,
               port);
  } else {
    fmt::print(stderr, "switchboard: reading events from stdin\n");
  }
  std::fflush(stderr);
  return service;
}

Service::~Service() { Stop(); }

int Service::WaitForStopRequest() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&stop_requested_));
  return exit_status_;
}

void Service::RequestStop(int exit_status) {
  absl::MutexLock lock(&mu_);
  stop_requested_ = true;
  // A failure while stopping (stdout, the journal) outweighs a clean stop.
  exit_status_ = std::max(exit_status_, exit_status);
}

RulesForReload LoadRulesForReload(const std::string& path) {
  RulesForReload out;
  const LoadResult result = LoadRuleset(path);
  if (!result.ok()) {
    std::string body = FormatDiagnostics(result.diagnostics());
    if (result.diagnostics().empty()) {
      body = fmt::format("{}: error: {}\n", path, Text(result.status()));
    }
    body += fmt::format("{} error{}, {} warning{}\n", result.error_count(),
                        result.error_count() == 1 ? "" : "s",
                        result.warning_count(),
                        result.warning_count() == 1 ? "" : "s");
    body += "the ruleset was not reloaded; the running one stays\n";
    out.refused = {422, std::move(body)};
    return out;
  }
  out.ruleset = result.ruleset();
  return out;
}

std::string ReloadedText(const Ruleset& ruleset) {
  return FormatDiagnostics(ruleset.warnings()) +
         fmt::format("reloaded: ruleset '{}': {} rules\n", ruleset.name(),
                     ruleset.rule_count());
}

HttpAnswer Service::Reload() {
  absl::MutexLock lock(&reload_mu_);
  RulesForReload rules = LoadRulesForReload(options_.rules_path);
  if (rules.ruleset == nullptr) {
    reloads_refused.fetch_add(1, std::memory_order_relaxed);
    return std::move(rules.refused);
  }
  if (absl::Status st = loop_->Reload(rules.ruleset); !st.ok()) {
    reloads_refused.fetch_add(1, std::memory_order_relaxed);
    return {503, fmt::format("not reloaded: {}\n", Text(st))};
  }
  reloads_done.fetch_add(1, std::memory_order_relaxed);
  return {200, ReloadedText(*rules.ruleset)};
}

absl::StatusOr<std::string> Service::MetricsText() {
  absl::StatusOr<LoopMetrics> m = loop_->Metrics(absl::Seconds(2));
  if (!m.ok()) return m.status();
  std::string text = FormatLoopMetrics(*m);
  PrometheusWriter w;
  w.Family("switchboard_reloads_total", "counter",
           "Reloads of RULES (POST /v1/reload, SIGHUP), by result: ok, or "
           "refused (a ruleset with errors; the running one stayed).");
  w.Sample("switchboard_reloads_total", {{"result", "ok"}},
           reloads_done.load(std::memory_order_relaxed));
  w.Sample("switchboard_reloads_total", {{"result", "refused"}},
           reloads_refused.load(std::memory_order_relaxed));
  w.Counter("switchboard_decisions_published_total",
            "Decisions written to the decision outputs (stdout, "
            "/v1/decisions); with --state, once durable; replayed ones "
            "again.",
            hub_->published());
  return text + w.Take();
}

int Service::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return exit_status_;
    stopped_ = true;
  }
  if (loop_ != nullptr) loop_->Close();
  if (hub_ != nullptr) hub_->Close();
  if (http_ != nullptr) http_->Stop();
  if (stdin_ != nullptr) stdin_->Stop();
  absl::Status st;
  if (loop_ != nullptr) st = loop_->Stop();
  absl::MutexLock lock(&mu_);
  if (!st.ok()) {
    fmt::print(stderr, "switchboard: {}\n", Text(st));
    if (exit_status_ == 0) exit_status_ = 1;
  }
  return exit_status_;
}

void AppendEngineMetrics(const LoopMetrics& m, PrometheusWriter& w) {
  const EngineStats& s = m.stats;
  w.Family("switchboard_ruleset_info", "gauge",
           "The ruleset being served (its name as a label), always 1.");
  w.Sample("switchboard_ruleset_info", {{"ruleset", m.ruleset}}, int64_t{1});
  w.Counter("switchboard_events_total",
            "Input events processed (not derived ones).", s.events);
  w.Counter("switchboard_events_rejected_total",
            "Bad lines: not a valid event for the ruleset, refused by the "
            "engine, or too far ahead of the wall clock.",
            m.lines_rejected);
  w.Counter("switchboard_events_ahead_rejected_total",
            "Of the rejected lines, those dated more than --max-ahead ahead "
            "of the wall clock.",
            m.lines_ahead);
  w.Counter("switchboard_events_late_total",
            "Events processed at the clock's time because they were behind "
            "it (with the wall clock: more than 1 s behind).",
            s.late_events);
  w.Counter("switchboard_events_derived_total",
            "Derived events processed (emit, route.timeout).",
            s.derived_events);
  w.Family("switchboard_decisions_total", "counter",
           "Decisions made, by rule and action.");
  for (const auto& [key, n] : s.decisions_by_rule_action) {
    w.Sample("switchboard_decisions_total",
             {{"rule", key.first}, {"action", key.second}}, n);
  }
  // A counter per rule, from one of EngineStats's per-rule vectors.
  const auto per_rule = [&](std::string_view name, std::string_view help,
                            const std::vector<int64_t>& counts) {
    w.Family(name, "counter", help);
    for (size_t r = 0; r < m.rule_names.size() && r < counts.size(); ++r) {
      w.Sample(name, {{"rule", m.rule_names[r]}}, counts[r]);
    }
  };
  per_rule("switchboard_rule_runs_total",
           "Triggers in which a rule's conditions held and its actions ran.",
           s.rule_runs);
  per_rule("switchboard_evaluation_errors_total",
           "Failed conditions and actions (CEL evaluation errors), by rule.",
           s.rule_errors);
  w.Counter("switchboard_timers_fired_total",
            "Timers (idle, after) that fired.", s.timers_fired);
  w.Gauge("switchboard_timers_pending", "Timers waiting to fire.",
          static_cast<double>(m.timers_pending));
  w.Counter("switchboard_timers_dropped_total",
            "Pending timers dropped by a reload that removed their trigger.",
            s.timers_dropped);
  w.Gauge("switchboard_sessions", "Live sessions.",
          static_cast<double>(m.sessions));
  w.Counter("switchboard_sessions_created_total", "Sessions created.",
            s.sessions_created);
  w.Counter("switchboard_sessions_expired_total",
            "Sessions dropped after `expire` without events.",
            s.sessions_expired);
  w.Counter("switchboard_sessions_evicted_total",
            "Sessions evicted by --max-sessions (the longest idle).",
            s.sessions_evicted);
  w.Counter("switchboard_deflects_without_channel_total",
            "Deflects not made: no healthy channel on the fallback list.",
            s.deflects_without_channel);
  w.Counter("switchboard_assignments_total",
            "Conversations assigned to agents (skill routing).", s.assignments);
  w.Counter("switchboard_route_timeouts_total",
            "Conversations that left their queue by `timeout`.",
            s.route_timeouts);
  w.Gauge("switchboard_conversations_waiting",
          "Conversations waiting in queues.",
          static_cast<double>(s.conversations_waiting));
  w.Gauge("switchboard_conversations_assigned",
          "Conversations assigned to agents.",
          static_cast<double>(s.conversations_assigned));
  w.Family("switchboard_event_processing_seconds", "histogram",
           "Time the engine thread spends on one input line: parsing and "
           "Engine::Process (timers it makes due included).");
  w.HistogramSamples("switchboard_event_processing_seconds", {}, m.processing);
  if (m.clock != absl::InfinitePast() && m.clock != absl::InfiniteFuture()) {
    w.Gauge("switchboard_clock_seconds",
            "The engine's clock, in seconds since the Unix epoch.",
            absl::ToDoubleSeconds(m.clock - absl::UnixEpoch()));
  }
}

std::string FormatLoopMetrics(const LoopMetrics& m) {
  PrometheusWriter w;
  AppendEngineMetrics(m, w);
  w.Gauge("switchboard_input_position",
          "Sequence number of the last input applied (event line or clock "
          "advance); decision ids are made of it.",
          static_cast<double>(m.position));
  w.Counter("switchboard_clock_advances_total",
            "Times the wall clock moved the engine's clock (journaled "
            "inputs).",
            m.clock_advances);
  w.Counter("switchboard_inputs_replayed_total",
            "Journaled inputs applied again at the start (--state).",
            m.replayed);
  w.Gauge("switchboard_queue_events",
          "Events waiting in the engine thread's queue.",
          static_cast<double>(m.queue_events));
  w.Gauge("switchboard_queue_capacity_events",
          "Events the queue holds at most (--queue-events).",
          static_cast<double>(m.queue_capacity));
  w.Counter("switchboard_queue_full_total",
            "Batches refused because the queue was full (HTTP 503).",
            m.queue_full);
  if (m.state) {
    w.Counter("switchboard_journal_fsyncs_total",
              "fsyncs of the journal (each a group commit).", m.journal.fsyncs);
    w.Counter("switchboard_journal_bytes_total",
              "Bytes written to the journal.", m.journal.bytes);
    w.Family("switchboard_journal_fsync_seconds_total", "counter",
             "Time spent in journal fsyncs.");
    w.Sample("switchboard_journal_fsync_seconds_total", {},
             m.journal.fsync_seconds);
    w.Gauge("switchboard_journal_pending_bytes",
            "Journal bytes committed and not yet durable.",
            static_cast<double>(m.journal.pending));
    w.Counter("switchboard_snapshots_total", "Snapshots written.",
              m.snapshots.written);
    w.Counter("switchboard_snapshot_failures_total",
              "Snapshots that could not be written.", m.snapshots.failed);
    w.Gauge("switchboard_snapshot_bytes", "Size of the last snapshot.",
            static_cast<double>(m.snapshots.last_bytes));
    if (m.snapshots.last_time != absl::InfinitePast()) {
      w.Gauge("switchboard_snapshot_age_seconds",
              "Seconds since the last snapshot was written.",
              absl::ToDoubleSeconds(absl::Now() - m.snapshots.last_time));
    }
  }
  return w.Take();
}

}  // namespace switchboard::service
