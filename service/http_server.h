// The HTTP side of `switchboard serve --http HOST:PORT` (docs/serving.md,
// docs/serving.md), on cpp-httplib (Debian's libcpp-httplib):
//
//   POST /v1/events     JSON Lines in; 200 with the decisions they made at
//                       once (JSON Lines); 400 listing the bad lines as
//                       "N: error: MESSAGE" (the good ones are processed);
//                       413 for a body or a batch over the limits; 415 for
//                       a form upload (multipart); 503 + Retry-After
//                       when the queue is full or the service is stopping
//   GET  /v1/decisions  every decision as Server-Sent Events
//   GET  /metrics       the Prometheus text format
//   GET  /healthz       200 when ready, 503 otherwise
//   POST /v1/reload     200, or 422 with the diagnostics of a broken ruleset
//
// Threads: a listener thread and a fixed pool of workers (`threads` of them
// for requests, plus one per allowed SSE client); a connection waits for a
// free worker in a bounded queue, and past that in the kernel's listen
// backlog. A worker hands a request's events to the EngineLoop and waits
// for its answer.
#ifndef SWITCHBOARD_SERVICE_HTTP_SERVER_H_
#define SWITCHBOARD_SERVICE_HTTP_SERVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/decision_hub.h"
#include "service/engine_loop.h"
#include "service/metrics.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace switchboard::service {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (the bound one is what Bind returns)
  // Workers for requests (connections served at once). Default: 16.
  int threads = 16;
  // Largest request body: 413 past it. Default: 16 MiB.
  size_t max_body_bytes = size_t{16} << 20;
  // Most events in one POST /v1/events: 413 past it (never more than the
  // queue holds). Default: 10,000.
  size_t max_batch_events = 10000;
  // Time allowed to read a request, to write an answer, and for an idle
  // kept-alive connection before it is closed. Default: 5 s each.
  absl::Duration read_timeout = absl::Seconds(5);
  absl::Duration write_timeout = absl::Seconds(5);
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  // A comment line on an idle SSE stream this often. Default: 15 s.
  absl::Duration sse_heartbeat = absl::Seconds(15);
  // Workers for SSE clients (DecisionHub::Options::max_subscribers).
  int sse_threads = 32;
  // Without an engine loop or a decision hub (Kafka: events and decisions
  // are topics), POST /v1/events and GET /v1/decisions answer 404 with this.
  std::string no_loop_reason = "not served here";
};

// A reload's answer: the status code and the body.
struct HttpAnswer {
  int status = 200;
  std::string body;
};

class HttpServer {
 public:
  struct Hooks {
    // The /metrics text (its own metrics are added by the server); an error
    // answers 503.
    std::function<absl::StatusOr<std::string>()> metrics;
    // POST /v1/reload.
    std::function<HttpAnswer()> reload;
    // GET /healthz.
    std::function<bool()> healthy;
  };

  // `loop` and `hub` may be null (Kafka): then /v1/events and /v1/decisions
  // answer 404 with HttpOptions::no_loop_reason.
  HttpServer(const HttpOptions& options, EngineLoop* loop, DecisionHub* hub,
             Hooks hooks);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the address; returns the port. Errors: Unavailable when the
  // address cannot be bound.
  absl::StatusOr<int> Bind();
  // Serves on a thread of its own.
  void Start();
  // Stops listening, lets the requests under way finish (SSE streams end
  // when the hub closes), joins the threads. Idempotent.
  void Stop();

  // The server's own metrics (requests by handler and status, request
  // latency, SSE clients), for /metrics.
  void AppendMetrics(PrometheusWriter& w) const;

 private:
  struct Counters;
  void Routes();

  const HttpOptions options_;
  EngineLoop* loop_;
  DecisionHub* hub_;
  Hooks hooks_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<Counters> counters_;
  std::thread listener_;
  std::atomic<bool> stopped_{false};
};

// Splits `host:port` ("127.0.0.1:8080", "[::1]:8080", ":8080" for every
// address). Errors: InvalidArgument.
absl::Status ParseHostPort(std::string_view text, std::string* host, int* port);

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_HTTP_SERVER_H_
