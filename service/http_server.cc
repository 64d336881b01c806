// The HTTP endpoints on cpp-httplib (http_server.h).
#include "service/http_server.h"

#include <httplib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "fmt/format.h"
#include "service/http_listen.h"
#include "switchboard/event_reader.h"

namespace switchboard::service {
namespace {

constexpr std::string_view kJsonLines = "application/x-ndjson";
constexpr std::string_view kPlainText = "text/plain; charset=utf-8";

// httplib's pool keeps every accepted connection in an unbounded list; this
// one holds at most `max_pending` waiting for a worker and makes the
// listener wait beyond that (the kernel's listen backlog takes the rest).
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(size_t threads, size_t max_pending) : max_pending_(max_pending) {
    for (size_t i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { Work(); });
    }
  }
  ~BoundedPool() override = default;

  void enqueue(std::function<void()> fn) override {
    absl::MutexLock lock(&mu_);
    const auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return jobs_.size() < max_pending_ || shutdown_;
    };
    mu_.Await(absl::Condition(&room));
    jobs_.push_back(std::move(fn));
  }

  void shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      shutdown_ = true;
    }
    for (std::thread& t : threads_) t.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        absl::MutexLock lock(&mu_);
        const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !jobs_.empty() || shutdown_;
        };
        mu_.Await(absl::Condition(&ready));
        if (jobs_.empty()) return;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      fn();
    }
  }

  const size_t max_pending_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

// The media type of a Content-Type header, lowercased, without parameters.
std::string MediaType(std::string_view header) {
  std::string type(header.substr(0, header.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(c));
  return type;
}

// Whether a body of `media_type` is read as JSON Lines: anything but a form
// upload (multipart). Clients and their defaults vary (curl -d and urllib
// send application/x-www-form-urlencoded), and a body that is not JSON
// Lines is answered line by line anyway.
bool IsJsonLines(std::string_view media_type) {
  return media_type.rfind("multipart/", 0) != 0;
}

void Answer(httplib::Response& res, int status, std::string body,
            std::string_view type = kPlainText) {
  res.status = status;
  res.set_content(std::move(body), std::string(type));
}

void Unavailable(httplib::Response& res, std::string_view why,
                 int retry_after_seconds) {
  res.set_header("Retry-After", std::to_string(retry_after_seconds));
  Answer(res, 503, fmt::format("{}\n", why));
}

int64_t Seconds(absl::Duration d) {
  return std::max<int64_t>(1, absl::ToInt64Seconds(d));
}

}  // namespace

// Requests by handler and status, and the latency of POST /v1/events.
struct HttpServer::Counters {
  static constexpr std::array<std::string_view, 6> kHandlers = {
      "events", "decisions", "metrics", "healthz", "reload", "other"};
  static constexpr std::array<int, 10> kCodes = {200, 400, 404, 405, 413,
                                                 415, 422, 500, 503, 0};
  std::array<std::array<std::atomic<int64_t>, kCodes.size()>, kHandlers.size()>
      requests{};
  AtomicHistogram events_latency;

  void Count(size_t handler, int status) {
    size_t c = 0;
    while (c + 1 < kCodes.size() && kCodes[c] != status) ++c;
    requests[handler][c].fetch_add(1, std::memory_order_relaxed);
  }
};

HttpServer::HttpServer(const HttpOptions& options, EngineLoop* loop,
                       DecisionHub* hub, Hooks hooks)
    : options_(options),
      loop_(loop),
      hub_(hub),
      hooks_(std::move(hooks)),
      server_(std::make_unique<httplib::Server>()),
      counters_(std::make_unique<Counters>()) {
  const size_t threads = static_cast<size_t>(options_.threads) +
                         static_cast<size_t>(options_.sse_threads);
  const size_t pending = 4 * static_cast<size_t>(options_.threads);
  server_->new_task_queue = [threads, pending] {
    return new BoundedPool(threads, pending);
  };
  server_->set_tcp_nodelay(true);
  server_->set_keep_alive_max_count(size_t{1} << 30);
  server_->set_keep_alive_timeout(Seconds(options_.keep_alive_timeout));
  server_->set_read_timeout(Seconds(options_.read_timeout));
  server_->set_write_timeout(Seconds(options_.write_timeout));
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        Answer(res, 500, "internal error\n");
      });
  Routes();
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Routes() {
  Counters* counters = counters_.get();
  server_->set_post_routing_handler(
      [counters](const httplib::Request& req, const httplib::Response& res) {
        size_t h = Counters::kHandlers.size() - 1;
        if (req.path == "/v1/events") h = 0;
        if (req.path == "/v1/decisions") h = 1;
        if (req.path == "/metrics") h = 2;
        if (req.path == "/healthz") h = 3;
        if (req.path == "/v1/reload") h = 4;
        counters->Count(h, res.status);
      });

  server_->Post("/v1/events", [this](const httplib::Request& req,
                                     httplib::Response& res) {
    if (loop_ == nullptr) {  // Kafka: events come from the events topic
      Answer(res, 404, options_.no_loop_reason + "\n");
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    const std::string type = MediaType(req.get_header_value("Content-Type"));
    if (!IsJsonLines(type)) {
      Answer(res, 415,
             fmt::format("events are JSON Lines (Content-Type: {}), not a "
                         "form upload ('{}'); with curl: --data-binary @FILE "
                         "-H 'Content-Type: {}'\n",
                         kJsonLines, type, kJsonLines));
      return;
    }
    Batch batch;
    batch.collect = true;
    const std::string_view body = req.body;
    int64_t number = 0;
    for (size_t at = 0; at < body.size();) {
      size_t end = body.find('\n', at);
      if (end == std::string_view::npos) end = body.size();
      const std::string_view line = body.substr(at, end - at);
      at = end + 1;
      ++number;
      if (EventReader::IsBlankLine(line)) continue;
      batch.lines.push_back({line, number});
    }
    if (batch.lines.size() > options_.max_batch_events) {
      Answer(res, 413,
             fmt::format("{} events in one request; the limit is {}\n",
                         batch.lines.size(), options_.max_batch_events));
      return;
    }
    if (absl::Status st = loop_->Submit(&batch); !st.ok()) {
      Unavailable(res, std::string(st.message()),
                  absl::IsResourceExhausted(st) ? 1 : 5);
      return;
    }
    batch.Wait();
    if (!batch.status.ok()) {
      Unavailable(res, std::string(batch.status.message()), 5);
      return;
    }
    res.set_header("X-Switchboard-Accepted", std::to_string(batch.accepted));
    if (!batch.errors.empty()) {
      std::string text;
      for (const std::string& e : batch.errors) {
        text += e;
        text += '\n';
      }
      Answer(res, 400, std::move(text));
    } else {
      Answer(res, 200, std::move(batch.decisions), kJsonLines);
    }
    counters_->events_latency.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  });

  server_->Get("/v1/decisions", [this](const httplib::Request&,
                                       httplib::Response& res) {
    if (hub_ == nullptr) {  // Kafka: decisions go to the decisions topic
      Answer(res, 404, options_.no_loop_reason + "\n");
      return;
    }
    std::shared_ptr<Subscriber> sub = hub_->Subscribe();
    if (sub == nullptr) {
      Unavailable(res, "no room for another decision stream, or stopping", 5);
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    const absl::Duration heartbeat = options_.sse_heartbeat;
    auto first = std::make_shared<bool>(true);
    res.set_chunked_content_provider(
        "text/event-stream",
        [sub, heartbeat, first](size_t, httplib::DataSink& sink) {
          std::string chunk;
          if (*first) {
            // Subscribed before the headers went out: a client that sees
            // this misses no decision made after it.
            chunk = ": subscribed\n\n";
            *first = false;
          } else if (!sub->Next(&chunk, heartbeat)) {
            sink.done();
            return true;
          }
          if (chunk.empty()) chunk = ": keep-alive\n\n";
          return sink.write(chunk.data(), chunk.size());
        },
        [sub](bool) { sub->Cancel(); });
  });

  server_->Get("/metrics",
               [this](const httplib::Request&, httplib::Response& res) {
                 absl::StatusOr<std::string> text = hooks_.metrics();
                 if (!text.ok()) {
                   Unavailable(res, std::string(text.status().message()), 1);
                   return;
                 }
                 PrometheusWriter w;
                 AppendMetrics(w);
                 Answer(res, 200, *text + w.Take(),
                        "text/plain; version=0.0.4; charset=utf-8");
               });

  server_->Get("/healthz",
               [this](const httplib::Request&, httplib::Response& res) {
                 if (hooks_.healthy()) {
                   Answer(res, 200, "ok\n");
                 } else {
                   Unavailable(res, "unavailable", 1);
                 }
               });

  server_->Post("/v1/reload",
                [this](const httplib::Request&, httplib::Response& res) {
                  HttpAnswer answer = hooks_.reload();
                  Answer(res, answer.status, std::move(answer.body));
                });
}

absl::StatusOr<int> HttpServer::Bind() {
  return BindServer(*server_, options_.host, options_.port);
}

void HttpServer::Start() { listener_ = StartListening(*server_); }

void HttpServer::Stop() {
  if (stopped_.exchange(true)) return;
  server_->stop();
  if (listener_.joinable()) listener_.join();
}

void HttpServer::AppendMetrics(PrometheusWriter& w) const {
  w.Family("switchboard_http_requests_total", "counter",
           "HTTP requests answered, by handler and status code (code 0: any "
           "other).");
  for (size_t h = 0; h < Counters::kHandlers.size(); ++h) {
    for (size_t c = 0; c < Counters::kCodes.size(); ++c) {
      const int64_t n =
          counters_->requests[h][c].load(std::memory_order_relaxed);
      if (n == 0) continue;
      const std::string code = std::to_string(Counters::kCodes[c]);
      w.Sample("switchboard_http_requests_total",
               {{"handler", Counters::kHandlers[h]}, {"code", code}}, n);
    }
  }
  w.Family("switchboard_http_request_duration_seconds", "histogram",
           "Time to answer POST /v1/events, from its body read to its "
           "answer made (queue, engine and journal included).");
  w.HistogramSamples("switchboard_http_request_duration_seconds",
                     {{"handler", "events"}}, counters_->events_latency.Load());
  if (hub_ == nullptr) return;
  w.Gauge("switchboard_sse_clients",
          "Clients of GET /v1/decisions connected now.",
          static_cast<double>(hub_->subscribers()));
  w.Counter("switchboard_sse_clients_dropped_total",
            "Clients of GET /v1/decisions dropped for falling behind "
            "(their buffer full).",
            hub_->subscribers_dropped());
}

absl::Status ParseHostPort(std::string_view text, std::string* host,
                           int* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not HOST:PORT", text));
  }
  std::string_view h = text.substr(0, colon);
  const std::string p(text.substr(colon + 1));
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  char* end = nullptr;
  const long n = std::strtol(p.c_str(), &end, 10);
  if (p.empty() || *end != '\0' || n < 0 || n > 65535) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a port (0 to 65535)", p));
  }
  *host = h.empty() ? "0.0.0.0" : std::string(h);
  *port = static_cast<int>(n);
  return absl::OkStatus();
}

}  // namespace switchboard::service
