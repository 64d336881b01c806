// Where decisions go once they are made (and, with --state, durable): standard
// output as JSON Lines, and every subscriber of GET /v1/decisions as
// Server-Sent Events.
//
// Standard output is written synchronously by the publisher, one write per
// publication: a reader that stops reading holds the service back (the queue
// fills and inputs get 503), because stdout is the decision stream and
// nothing on it may be lost. A subscriber is a network client that may be
// slow: each has a bounded buffer, and one that falls further behind than
// that is dropped (its stream ends; counted), so that it never holds back
// the engine.
//
// Thread-safety: Publish is called by one thread at a time (the engine
// thread, or the journal thread with --state); Subscribe, Close and the
// subscribers' Next may be called from any thread.
#ifndef SWITCHBOARD_SERVICE_DECISION_HUB_H_
#define SWITCHBOARD_SERVICE_DECISION_HUB_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace switchboard::service {

class DecisionHub;

// One client of GET /v1/decisions: a bounded buffer of SSE events.
class Subscriber {
 public:
  // Waits up to `timeout` for events and moves them into *out (appended).
  // Returns false when the stream is over: the hub closed, or the client
  // was dropped for falling behind (then *out is left as is).
  bool Next(std::string* out, absl::Duration timeout);
  // The client went away: the hub forgets it.
  void Cancel();
  bool dropped() const;

 private:
  friend class DecisionHub;
  explicit Subscriber(size_t limit) : limit_(limit) {}

  const size_t limit_;
  mutable absl::Mutex mu_;
  std::string buffer_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool dropped_ ABSL_GUARDED_BY(mu_) = false;
};

class DecisionHub {
 public:
  struct Options {
    // Write decisions to `stdout_fd` (default: true, fd 1).
    bool to_stdout = true;
    int stdout_fd = 1;
    // Most subscribers at once; Subscribe refuses more. Default: 32.
    size_t max_subscribers = 32;
    // A subscriber's buffer, in bytes of SSE text; past it the subscriber
    // is dropped. Default: 8 MiB.
    size_t subscriber_buffer_bytes = size_t{8} << 20;
  };

  explicit DecisionHub(const Options& options);

  // Publishes decisions: JSON lines, each ending in '\n', each with its
  // "id" as its last member (as the engine loop writes them).
  void Publish(std::string_view lines);

  // A new subscriber, or null when there are max_subscribers already or
  // the hub is closed.
  std::shared_ptr<Subscriber> Subscribe();
  // Ends every subscriber's stream; later Subscribe calls get null.
  // Publishing goes on to stdout.
  void Close();

  // Called once, on the publisher's thread, when stdout cannot be written
  // (then decisions are no longer written there).
  void set_on_stdout_error(std::function<void(const std::string&)> callback) {
    on_stdout_error_ = std::move(callback);
  }

  int64_t subscribers() const;
  int64_t subscribers_dropped() const {
    return dropped_.load(std::memory_order_relaxed);
  }
  int64_t published() const {
    return published_.load(std::memory_order_relaxed);
  }
  bool stdout_failed() const {
    return stdout_failed_.load(std::memory_order_relaxed);
  }

 private:
  void WriteStdout(std::string_view lines);

  const Options options_;
  std::function<void(const std::string&)> on_stdout_error_;
  std::atomic<bool> stdout_failed_{false};
  std::atomic<int64_t> dropped_{0};
  std::atomic<int64_t> published_{0};
  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::string sse_;  // the publisher's scratch
};

// The SSE text of decision lines: per line "id: ID\nevent: decision\ndata:
// LINE\n\n", appended to *out. ID is the line's "id" member.
void AppendServerSentEvents(std::string_view lines, std::string* out);

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_DECISION_HUB_H_
