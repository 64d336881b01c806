// switchboard serve RULES [--http HOST:PORT] [--state DIR] [--clock wall|
// event] [...]: the live service (docs/serving.md), and with --kafka the
// service scaled out on Kafka (docs/scale-out.md). This file reads the
// command line and the signals; the services themselves are service/
// (service/service.h, service/kafka/kafka_service.h), built on the public
// API.
//
// Signals: SIGTERM and SIGINT stop cleanly (exit 0: the queue drained, a last
// snapshot with --state); SIGHUP reloads RULES. They are blocked in every
// thread and taken by one thread with sigwaitinfo, so that no handler runs
// in the middle of the engine's work.
#include <fcntl.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "service/kafka/kafka_service.h"
#include "service/service.h"
#include "switchboard/ruleset.h"
#include "switchboard/time.h"
#include "tools/switchboard/cli.h"
#include "tools/switchboard/commands.h"

namespace switchboard::cli {

extern const char kServeHelp[] =
    "Serves RULES live: events as JSON Lines on stdin (and over HTTP with\n"
    "--http), each handled as soon as it arrives; decisions as JSON Lines on\n"
    "stdout, each flushed as it is made, each with an \"id\" (INSTANCE-SEQ-K:\n"
    "the K-th decision of input SEQ), the same after a restart or a replay.\n"
    "Bad lines are reported on stderr as <stdin>:LINE: error: MESSAGE.\n"
    "Without --http, the end of stdin ends the service: nothing further\n"
    "fires, exit 0. SIGTERM / SIGINT stop cleanly (exit 0); SIGHUP reloads\n"
    "RULES (a broken ruleset is refused; the running one stays).\n"
    "Once it takes input it prints on stderr 'switchboard: listening on\n"
    "http://HOST:PORT' (with --http) or 'switchboard: reading events from\n"
    "stdin'. See docs/serving.md.\n"
    "\n"
    "  --clock wall|event  wall (default): the clock follows the wall clock\n"
    "                 and timers fire at their deadline with no further\n"
    "                 event; event: event time only, as run does (replays)\n"
    "  --http HOST:PORT  also serve HTTP (port 0: any free port):\n"
    "                 POST /v1/events, GET /v1/decisions (SSE), GET /metrics,\n"
    "                 GET /healthz, POST /v1/reload\n"
    "  --state DIR    journal every accepted event before acknowledging it,\n"
    "                 snapshot every --snapshot-every and at a stop, restore\n"
    "                 and replay at the start (DIR is created if missing)\n"
    "  --snapshot-every DURATION  default 60s (durations as rules write\n"
    "                 them: 60s, 5m, 1h30m; a bare number is seconds)\n"
    "  --instance NAME   the id prefix (default: kept in DIR, or new at each\n"
    "                 start without --state)\n"
    "  --max-sessions N  live sessions kept (default 1000000; 0: no limit)\n"
    "  --max-ahead DURATION  with the wall clock, reject events dated more\n"
    "                 than this ahead of it (default 1m)\n"
    "  --queue-events N  events waiting for the engine at most; a request\n"
    "                 that does not fit gets 503 (default 100000)\n"
    "  --max-batch N  events in one HTTP request at most (default 10000)\n"
    "  --max-body BYTES  HTTP request body at most (default 16777216)\n"
    "  --http-threads N  HTTP requests served at once (default 16)\n"
    "  --sse-clients N   GET /v1/decisions clients at once (default 32)\n"
    "  --sse-buffer BYTES  decisions kept for a slow SSE client before it is\n"
    "                 dropped (default 8388608)\n"
    "  --no-stdout    do not write decisions to stdout (HTTP only)\n"
    "  --no-stdin     do not read stdin (needs --http)\n"
    "  --accept-state-loss  start even when the state cannot be recovered\n"
    "                 whole, reporting what is lost (default: refuse)\n"
    "Exits 0 after a clean stop, 1 when RULES does not load or the state\n"
    "cannot be opened or recovered, 2 for a bad command line, 3 when stdout\n"
    "cannot be written (without --http).\n"
    "\n"
    "On Kafka (docs/scale-out.md): --kafka BROKERS --group G --events-topic T\n"
    "--decisions-topic D [--state-topic S]. Instances of one group share T's\n"
    "partitions; each partition has its own engine; its decisions go to D,\n"
    "keyed by session, with ids T-PARTITION-OFFSET-K, exactly once with S\n"
    "(snapshots, restored when a partition moves). stdin is not read, nor\n"
    "stdout written; --http serves /metrics, /healthz and /v1/reload. The\n"
    "clock is each partition's event time (--clock event, the default here);\n"
    "--clock wall also moves an idle partition's clock with the wall clock.\n"
    "  --kafka BROKERS  bootstrap brokers, host:port[,host:port...]\n"
    "  --group G, --events-topic T, --decisions-topic D  required with "
    "--kafka\n"
    "  --state-topic S  snapshots (a compacted topic); without it a restart\n"
    "                 loses the sessions and decisions may repeat\n"
    "  --threads N    worker threads for the partitions (default 2)\n"
    "  --commit-every DURATION  transactions this long (default 20ms)\n"
    "  --snapshot-every DURATION  a partition's snapshot this often (60s)\n"
    "  --snapshot-records N  ... or after N records, whichever first\n"
    "                 (default 100000)\n"
    "  --kafka-config NAME=VALUE  a librdkafka setting for every client\n"
    "                 (repeatable), e.g. session.timeout.ms=10000\n";

namespace {

std::optional<int64_t> ParseCount(const std::optional<std::string>& text,
                                  int64_t min) {
  if (!text.has_value()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || errno != 0 || n < min) return -1;
  return n;
}

// The signals serve takes on its own thread (all blocked in every thread);
// SIGUSR2 only wakes that thread up when the service ends.
sigset_t ServeSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR2);
  return set;
}

// Takes SIGTERM, SIGINT and SIGHUP on its own thread until stopped.
template <typename S>
class SignalThread {
 public:
  explicit SignalThread(S* service) : service_(service) {
    thread_ = std::thread([this] { Run(); });
  }
  ~SignalThread() {
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
  }

 private:
  void Run() {
    const sigset_t set = ServeSignals();
    while (!done_) {
      const int sig = sigwaitinfo(&set, nullptr);
      if (sig == SIGHUP) {
        const service::HttpAnswer answer = service_->Reload();
        fmt::print(stderr, "switchboard: SIGHUP: {}", answer.body);
      } else if (sig == SIGTERM || sig == SIGINT) {
        service_->RequestStop(kExitOk);
      }
    }
  }

  S* service_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

namespace {

// Blocks the signals for the signal thread, runs `service` until a stop is
// asked for, and stops it; the exit status.
template <typename S>
int RunUntilStopped(S& service) {
  int status;
  {
    SignalThread<S> signal_thread(&service);
    service.WaitForStopRequest();
    status = service.Stop();
  }
  return status;
}

void BlockSignals() {
  // Signals go to the signal thread alone: block them before any thread
  // starts (threads inherit the mask). A closed pipe or socket is an error
  // of the write, not a signal.
  const sigset_t signals = ServeSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// The flags of --kafka, and the ones it has no use for.
struct KafkaFlags {
  std::optional<std::string> brokers, group, events_topic, decisions_topic,
      state_topic, threads, commit_every, snapshot_records;
  std::vector<std::string> config;
};

int ServeKafka(const std::string& rules, const KafkaFlags& k,
               service::kafka::KafkaOptions options) {
  for (const auto& [flag, value] :
       {std::pair{"--group", &k.group},
        std::pair{"--events-topic", &k.events_topic},
        std::pair{"--decisions-topic", &k.decisions_topic}}) {
    if (!value->has_value() || (*value)->empty()) {
      return UsageError("serve", fmt::format("--kafka needs {}", flag));
    }
  }
  options.rules_path = rules;
  options.brokers = *k.brokers;
  options.partition.group = *k.group;
  options.partition.events_topic = *k.events_topic;
  options.partition.decisions_topic = *k.decisions_topic;
  if (k.state_topic.has_value()) options.partition.state_topic = *k.state_topic;
  if (auto rc = ParseNameValues("serve", "--kafka-config", k.config,
                                &options.settings)) {
    return *rc;
  }
  if (std::optional<int64_t> n = ParseCount(k.threads, 1); n.has_value()) {
    if (*n < 1 || *n > 256) {
      return UsageError("serve", "--threads needs a number from 1 to 256");
    }
    options.threads = static_cast<int>(*n);
  }
  if (std::optional<int64_t> n = ParseCount(k.snapshot_records, 1);
      n.has_value()) {
    if (*n < 1) return UsageError("serve", "--snapshot-records needs N >= 1");
    options.partition.snapshot_records = *n;
  }
  if (k.commit_every.has_value() &&
      !ParsePositiveDuration(*k.commit_every,
                             &options.partition.commit_every)) {
    return UsageError("serve",
                      "--commit-every needs a positive duration (e.g. 20ms)");
  }
  const std::shared_ptr<const Ruleset> ruleset = LoadOrReport(rules);
  if (ruleset == nullptr) return kExitProblem;
  BlockSignals();
  absl::StatusOr<std::unique_ptr<service::kafka::KafkaService>> started =
      service::kafka::KafkaService::Start(options, ruleset);
  if (!started.ok()) {
    fmt::print(stderr, "switchboard: serve: {}\n", Message(started.status()));
    return kExitProblem;
  }
  return RunUntilStopped(**started);
}

}  // namespace

int Serve(const std::vector<std::string>& args, Output& out) {
  std::optional<std::string> clock, http, state, snapshot_every, instance,
      max_sessions, max_ahead, queue_events, max_batch, max_body, http_threads,
      sse_clients, sse_buffer;
  bool no_stdout = false, no_stdin = false, accept_loss = false;
  KafkaFlags kafka;
  Flags flags("serve");
  flags.Value("--kafka", &kafka.brokers);
  flags.Value("--group", &kafka.group);
  flags.Value("--events-topic", &kafka.events_topic);
  flags.Value("--decisions-topic", &kafka.decisions_topic);
  flags.Value("--state-topic", &kafka.state_topic);
  flags.Value("--threads", &kafka.threads);
  flags.Value("--commit-every", &kafka.commit_every);
  flags.Value("--snapshot-records", &kafka.snapshot_records);
  flags.Repeated("--kafka-config", &kafka.config);
  flags.Value("--clock", &clock);
  flags.Value("--http", &http);
  flags.Value("--state", &state);
  flags.Value("--snapshot-every", &snapshot_every);
  flags.Value("--instance", &instance);
  flags.Value("--max-sessions", &max_sessions);
  flags.Value("--max-ahead", &max_ahead);
  flags.Value("--queue-events", &queue_events);
  flags.Value("--max-batch", &max_batch);
  flags.Value("--max-body", &max_body);
  flags.Value("--http-threads", &http_threads);
  flags.Value("--sse-clients", &sse_clients);
  flags.Value("--sse-buffer", &sse_buffer);
  flags.Switch("--no-stdout", &no_stdout);
  flags.Switch("--no-stdin", &no_stdin);
  flags.Switch("--accept-state-loss", &accept_loss);
  std::vector<std::string> paths;
  if (auto rc = flags.Parse(args, &paths, out)) return *rc;
  if (auto rc = RequireOneRuleset("serve", paths)) return *rc;

  service::ServiceOptions options;
  options.rules_path = paths[0];
  if (clock.has_value()) {
    if (*clock == "wall") {
      options.loop.clock = service::ClockMode::kWall;
    } else if (*clock == "event") {
      options.loop.clock = service::ClockMode::kEvent;
    } else {
      return UsageError("serve",
                        "--clock takes wall or event, got '" + *clock + "'");
    }
  }
  const auto duration = [](const std::optional<std::string>& text,
                           absl::Duration* out_value) {
    return !text.has_value() || ParsePositiveDuration(*text, out_value);
  };
  if (!duration(snapshot_every, &options.loop.snapshot_every)) {
    return UsageError("serve",
                      "--snapshot-every needs a positive duration "
                      "(e.g. 60s, 5m)");
  }
  if (!duration(max_ahead, &options.loop.max_ahead)) {
    return UsageError("serve",
                      "--max-ahead needs a positive duration "
                      "(e.g. 1m)");
  }
  struct CountFlag {
    const char* name;
    const std::optional<std::string>& text;
    int64_t min;
    int64_t* value;
  };
  int64_t sessions = options.loop.max_sessions;
  int64_t queue = static_cast<int64_t>(options.loop.queue_events);
  service::HttpOptions http_options;
  int64_t batch = static_cast<int64_t>(http_options.max_batch_events);
  int64_t body = static_cast<int64_t>(http_options.max_body_bytes);
  int64_t threads = http_options.threads;
  int64_t sse = static_cast<int64_t>(options.hub.max_subscribers);
  int64_t sse_bytes = static_cast<int64_t>(options.hub.subscriber_buffer_bytes);
  for (const CountFlag& f :
       {CountFlag{"--max-sessions", max_sessions, 0, &sessions},
        CountFlag{"--queue-events", queue_events, 1, &queue},
        CountFlag{"--max-batch", max_batch, 1, &batch},
        CountFlag{"--max-body", max_body, 1, &body},
        CountFlag{"--http-threads", http_threads, 1, &threads},
        CountFlag{"--sse-clients", sse_clients, 0, &sse}}) {
    if (std::optional<int64_t> n = ParseCount(f.text, f.min); n.has_value()) {
      if (*n < 0) {
        return UsageError("serve", fmt::format("{} needs a number >= {}, got "
                                               "'{}'",
                                               f.name, f.min, *f.text));
      }
      *f.value = *n;
    }
  }
  options.loop.max_sessions = sessions;
  options.loop.queue_events = static_cast<size_t>(queue);
  options.loop.accept_state_loss = accept_loss;
  options.hub.max_subscribers = static_cast<size_t>(sse);
  options.hub.subscriber_buffer_bytes = static_cast<size_t>(sse_bytes);
  options.hub.to_stdout = !no_stdout;
  options.read_stdin = !no_stdin;
  if (http.has_value()) {
    if (absl::Status st = service::ParseHostPort(*http, &http_options.host,
                                                 &http_options.port);
        !st.ok()) {
      return UsageError("serve", fmt::format("--http: {}", Message(st)));
    }
    http_options.max_batch_events = static_cast<size_t>(
        std::min<int64_t>(batch, static_cast<int64_t>(queue)));
    http_options.max_body_bytes = static_cast<size_t>(body);
    http_options.threads = static_cast<int>(threads);
    options.http = http_options;
  }
  if (kafka.brokers.has_value()) {
    for (const auto& [flag, given] :
         {std::pair{"--state", state.has_value()},
          std::pair{"--instance", instance.has_value()},
          std::pair{"--queue-events", queue_events.has_value()},
          std::pair{"--max-batch", max_batch.has_value()},
          std::pair{"--max-body", max_body.has_value()},
          std::pair{"--sse-clients", sse_clients.has_value()},
          std::pair{"--sse-buffer", sse_buffer.has_value()},
          std::pair{"--no-stdout", no_stdout},
          std::pair{"--no-stdin", no_stdin},
          std::pair{"--accept-state-loss", accept_loss}}) {
      if (given) {
        return UsageError(
            "serve", fmt::format("{} is not for --kafka (events come from the "
                                 "events topic, decisions go to the "
                                 "decisions topic, state to the state topic)",
                                 flag));
      }
    }
    service::kafka::KafkaOptions k;
    k.partition.clock =
        clock.has_value() ? options.loop.clock : service::ClockMode::kEvent;
    k.partition.late_tolerance = k.partition.clock == service::ClockMode::kWall
                                     ? options.loop.late_tolerance
                                     : absl::ZeroDuration();
    k.partition.max_ahead = options.loop.max_ahead;
    k.partition.max_sessions = sessions;
    k.partition.snapshot_every = options.loop.snapshot_every;
    k.http = options.http;
    return ServeKafka(paths[0], kafka, std::move(k));
  }
  for (const auto& [flag, given] :
       {std::pair{"--group", kafka.group.has_value()},
        std::pair{"--events-topic", kafka.events_topic.has_value()},
        std::pair{"--decisions-topic", kafka.decisions_topic.has_value()},
        std::pair{"--state-topic", kafka.state_topic.has_value()},
        std::pair{"--threads", kafka.threads.has_value()},
        std::pair{"--commit-every", kafka.commit_every.has_value()},
        std::pair{"--snapshot-records", kafka.snapshot_records.has_value()},
        std::pair{"--kafka-config", !kafka.config.empty()}}) {
    if (given) {
      return UsageError("serve", fmt::format("{} needs --kafka", flag));
    }
  }
  if (no_stdin && !http.has_value()) {
    return UsageError("serve", "--no-stdin needs --http (no input left)");
  }
  if (state.has_value()) {
    if (state->empty()) return UsageError("serve", "--state needs a folder");
    options.state_dir = *state;
  }
  if (instance.has_value()) options.instance = *instance;

  const std::shared_ptr<const Ruleset> ruleset = LoadOrReport(paths[0]);
  if (ruleset == nullptr) return kExitProblem;
  // A closed stdin, stdout or stderr gets /dev/null: else the next file
  // opened would take its number (the service would read its own pipe as
  // stdin, or write decisions into its journal). A closed stdout is a
  // stdout that cannot be written, as for run.
  bool stdout_closed = false;
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
      if (fd == 1) stdout_closed = true;
    }
  }
  if (stdout_closed && options.hub.to_stdout) {
    fmt::print(stderr,
               "switchboard: error writing the decisions: stdout is "
               "closed\n");
    if (!options.http.has_value()) return kExitWriteError;
    options.hub.to_stdout = false;
  }

  BlockSignals();
  absl::StatusOr<std::unique_ptr<service::Service>> started =
      service::Service::Start(options, ruleset);
  if (!started.ok()) {
    fmt::print(stderr, "switchboard: serve: {}\n", Message(started.status()));
    return kExitProblem;
  }
  return RunUntilStopped(**started);
}

}  // namespace switchboard::cli
