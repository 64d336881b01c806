// `switchboard serve`: the live service (docs/serving.md),
// put together from its parts:
//
//   StdinReader ─┐                     ┌─> DecisionHub ─> stdout, SSE clients
//   HttpServer ──┴─> EngineLoop ─(journal, with --state)─┘
//     (workers)      (one engine, one thread)
//
// The service owns them, starts them in order (state recovered before any
// input is taken), answers reloads and metrics, and stops them in order:
// no new input, SSE streams end, requests under way finish, the engine
// drains its queue, a last snapshot, the journal synced.
#ifndef SWITCHBOARD_SERVICE_SERVICE_H_
#define SWITCHBOARD_SERVICE_SERVICE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "service/decision_hub.h"
#include "service/engine_loop.h"
#include "service/http_server.h"
#include "service/metrics.h"
#include "service/state_dir.h"
#include "service/stdin_reader.h"
#include "switchboard/ruleset.h"

namespace switchboard::service {

struct ServiceOptions {
  // RULES, loaded again from here by a reload.
  std::string rules_path;
  LoopOptions loop;  // loop.instance is filled in by Start
  // --state DIR (empty: no state: a restart starts afresh).
  std::string state_dir;
  // --instance: the id prefix (empty: kept in the state folder, or a fresh
  // one per start without state).
  std::string instance;
  // --http HOST:PORT (none: stdin only).
  std::optional<HttpOptions> http;
  // Read events from stdin (default: true; a test or an embedding may
  // leave stdin alone).
  bool read_stdin = true;
  DecisionHub::Options hub;
};

class Service {
 public:
  // Opens the state folder and recovers (replayed decisions go to stdout),
  // binds the HTTP address, starts the threads, and prints on stderr what
  // it serves, ending with "switchboard: listening on http://HOST:PORT"
  // (with --http) or "switchboard: reading events from stdin" once it takes
  // input. `ruleset` is RULES, loaded. Errors: the state cannot be opened
  // or recovered, the address cannot be bound (nothing is left running).
  static absl::StatusOr<std::unique_ptr<Service>> Start(
      const ServiceOptions& options, std::shared_ptr<const Ruleset> ruleset);
  ~Service();  // Stop()s

  // Blocks until a stop is asked for: RequestStop (a signal), the end of
  // stdin without --http, stdout failing without --http, or the journal
  // failing. Returns the exit status the stop asked for.
  int WaitForStopRequest();
  // Asks for a stop with `exit_status`; when stops are asked for more than
  // once (a failure while stopping), the highest status stands.
  void RequestStop(int exit_status);

  // Loads RULES from disk and swaps it in, keeping sessions; a ruleset with
  // errors is refused (422 with its diagnostics) and the running one stays.
  HttpAnswer Reload();

  // The Prometheus text of the engine loop's metrics.
  absl::StatusOr<std::string> MetricsText();

  // The orderly stop; returns the exit status (the one asked for, or 1 when
  // the journal or the last snapshot failed). Idempotent.
  int Stop();

 private:
  explicit Service(const ServiceOptions& options) : options_(options) {}

  ServiceOptions options_;
  std::unique_ptr<StateDir> state_;
  std::unique_ptr<DecisionHub> hub_;
  std::unique_ptr<EngineLoop> loop_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<StdinReader> stdin_;
  absl::Mutex reload_mu_;  // one reload at a time

  absl::Mutex mu_;
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  int exit_status_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

// The metrics of an engine loop in the Prometheus text format (docs/
// serving.md, "Metrics").
std::string FormatLoopMetrics(const LoopMetrics& m);
// Of those, the families of the engine itself (ruleset, events, decisions,
// rules, timers, sessions, skill routing, processing time, clock), written
// to `w`: what every engine of a service has, whatever feeds it.
void AppendEngineMetrics(const LoopMetrics& m, PrometheusWriter& w);

// RULES loaded again for a reload (POST /v1/reload, SIGHUP): the ruleset,
// or, when it has errors, null and the answer that refuses it (422 with its
// diagnostics, as `check` prints them).
struct RulesForReload {
  std::shared_ptr<const Ruleset> ruleset;
  HttpAnswer refused;
};
RulesForReload LoadRulesForReload(const std::string& path);
// The answer's body for a reload that was taken: the warnings, then
// "reloaded: ruleset 'NAME': N rules".
std::string ReloadedText(const Ruleset& ruleset);

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_SERVICE_H_
