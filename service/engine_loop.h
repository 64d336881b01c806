// EngineLoop: one Engine owned by one thread, fed through a bounded queue.
//
// A partition of the service (docs/serving.md, "Threads"): it owns an
// Engine, the EventReader for its ruleset, the sequence numbers that
// decision ids are made of, and, with a state folder, the journal and the
// snapshots. Inputs of any kind (the stdin reader, the HTTP workers; later a
// Kafka consumer) hand it Batches of JSON lines and wait for their
// decisions; no lock is ever held around Engine::Process.
//
// Each cycle of the engine thread: take everything queued; with the wall
// clock, advance the engine's clock to the wall clock (the timers that fall
// due fire); parse and process each line; journal the inputs applied (with
// state); then, once they are durable, publish the decisions (DecisionHub)
// and complete the batches. Between cycles it sleeps until the next input,
// the engine's next deadline (Engine::NextDeadline), or the next snapshot.
//
// Decision ids: every input applied (an event line, a clock advance that
// moved the clock) takes the next sequence number, its position; the k-th
// decision it makes (from 0) gets the id INSTANCE-SEQ-K. A restart restores
// the snapshot and applies the journal's inputs again with their numbers,
// so the same decisions get the same ids.
#ifndef SWITCHBOARD_SERVICE_ENGINE_LOOP_H_
#define SWITCHBOARD_SERVICE_ENGINE_LOOP_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "service/decision_hub.h"
#include "service/journal.h"
#include "service/metrics.h"
#include "service/state_dir.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"

namespace switchboard::service {

enum class ClockMode {
  kWall,   // the clock follows the wall clock: timers fire on time
  kEvent,  // event time only, as `switchboard run` (replays)
};

struct LoopOptions {
  ClockMode clock = ClockMode::kWall;
  // The prefix of decision ids (StateDir::instance, or a fresh name).
  std::string instance;
  // Events up to this far behind the clock are not counted late. Default:
  // 1 s (docs/serving.md).
  absl::Duration late_tolerance = absl::Seconds(1);
  // With the wall clock: an event dated more than this ahead of the wall
  // clock is rejected as a bad line (it would move the clock, and fire
  // every timer due until then, at once). Default: 1 minute.
  absl::Duration max_ahead = absl::Minutes(1);
  // EngineOptions::max_sessions. Default: 1,000,000.
  int64_t max_sessions = 1000000;
  // Events the queue holds at most (waiting, not yet taken by the engine
  // thread); a batch that does not fit is refused. Default: 100,000.
  size_t queue_events = 100000;
  // With state: a snapshot this often (when anything was applied since the
  // last one), and at a stop. Default: 60 s.
  absl::Duration snapshot_every = absl::Seconds(60);
  // With state: journal bytes committed and not yet durable past which the
  // engine thread waits (backpressure). Default: 64 MiB.
  size_t journal_pending_bytes = size_t{64} << 20;
  // With state and a damaged journal or no usable snapshot: start anyway
  // with what can be read, reporting what is lost (default: refuse to start).
  bool accept_state_loss = false;
};

// One line of a batch: its text and its number for error messages.
struct BatchLine {
  std::string_view text;
  int64_t number = 0;
};

// A request of an input to the engine thread: JSON lines in, what they made
// out. The submitter keeps the Batch (and the text its lines view) alive
// until it is done (Wait), unless it hands it over (SubmitOwned).
struct Batch {
  // ---- in ----
  std::vector<BatchLine> lines;  // blank lines left out
  // Storage the lines may view, for batches handed over (SubmitOwned).
  std::string text;
  std::unique_ptr<char[]> storage;
  // Where bad lines are reported: empty: into `errors`, as "N: error: M";
  // else on stderr as "SOURCE:N: error: M" (as `run` does; "<stdin>").
  std::string source;
  // Collect the decisions the lines made into `decisions` (HTTP answers).
  bool collect = false;

  // ---- out, once done ----
  std::string decisions;            // JSON Lines with ids
  std::vector<std::string> errors;  // with an empty `source`
  int64_t accepted = 0;             // lines applied
  // OK; Unavailable when the service stopped before the lines were taken,
  // or the journal failed before they were durable.
  absl::Status status;

  // Blocks until the engine thread is done with the batch. Polls for a few
  // microseconds first: a small batch is often done by then, and a thread
  // that did not sleep need not be woken (tens of microseconds saved).
  void Wait();
  absl::Notification done;
};

// What /metrics shows of a loop, copied by the engine thread.
struct LoopMetrics {
  std::string ruleset;
  std::vector<std::string> rule_names;  // rule order (EngineStats vectors)
  EngineStats stats;
  int64_t sessions = 0;
  int64_t timers_pending = 0;
  absl::Time clock = absl::InfinitePast();
  uint64_t position = 0;       // the last sequence number applied
  int64_t lines_rejected = 0;  // bad lines (parse, engine, ahead)
  int64_t lines_ahead = 0;     // of which: too far ahead of the wall clock
  int64_t clock_advances = 0;  // wall-clock advances applied
  int64_t replayed = 0;        // inputs applied again at the start
  int64_t reloads = 0;
  int64_t reload_failures = 0;
  Histogram processing;      // per line: parse + Process
  int64_t queue_events = 0;  // waiting now
  int64_t queue_capacity = 0;
  int64_t queue_full = 0;  // batches refused
  bool state = false;
  JournalWriter::Stats journal;
  SnapshotWriter::Stats snapshots;
};

class EngineLoop {
 public:
  // Creates the engine for `ruleset` (non-null). With `state` (may be null;
  // must outlive the loop): restores the newest usable snapshot and applies
  // the journal after it again (the decisions re-made are published to
  // `hub` with their ids), reporting on stderr what it found and what it did
  // about damage, then starts a new journal segment. Errors: the engine
  // cannot be created; with state, InternalError/DataLoss when the state
  // cannot be recovered without losing inputs (unless accept_state_loss).
  static absl::StatusOr<std::unique_ptr<EngineLoop>> Create(
      std::shared_ptr<const Ruleset> ruleset, const LoopOptions& options,
      StateDir* state, DecisionHub* hub);
  // Stop()s.
  ~EngineLoop();
  EngineLoop(const EngineLoop&) = delete;
  EngineLoop& operator=(const EngineLoop&) = delete;

  // Starts the engine thread.
  void Start();

  // Queues `batch` (its lines must not exceed the queue's capacity) and
  // returns at once; the caller then Waits. ResourceExhausted when the
  // queue has no room for its lines now (answer 503 and retry later),
  // Unavailable when the loop is closed; in both cases the batch is not
  // queued (and not done).
  absl::Status Submit(Batch* batch);
  // Queues an owned batch, waiting until the queue holds at most
  // `max_queued_events` events with it (and the queue's capacity; a batch
  // goes into an empty queue whatever its size); the loop frees it when
  // done. A stream (stdin) keeps the queue short this way, so that what it
  // reads is still in the cache when the engine takes it. Unavailable (and
  // the batch dropped) when the loop is closed.
  absl::Status SubmitOwned(std::unique_ptr<Batch> batch,
                           size_t max_queued_events = SIZE_MAX);

  // Swaps the ruleset on the engine thread (Engine::Reload: sessions kept);
  // with state, a snapshot follows at once, so that the journal is never
  // replayed under other rules than it was made with. Waits for it.
  absl::Status Reload(std::shared_ptr<const Ruleset> ruleset);
  // The loop's metrics, from the engine thread; DeadlineExceeded when it
  // does not answer within `timeout` (busy with a long batch, or held back
  // by a full stdout).
  absl::StatusOr<LoopMetrics> Metrics(absl::Duration timeout);

  // Stops taking input: Submit answers Unavailable from now on.
  void Close();
  // Close()s, lets the engine thread process what is queued, writes a last
  // snapshot (with state, unless the journal failed), waits for the
  // journal and the snapshot, and joins the thread. Returns the error that
  // stopped the loop, if any. Idempotent.
  absl::Status Stop();

  // The ruleset in use (changes with Reload).
  std::shared_ptr<const Ruleset> ruleset() const;
  // Whether it takes input: started, not closed, the journal working.
  bool healthy() const;
  // Called once, from the journal's thread, when the journal fails (the
  // service then stops: the state on disk no longer follows the engine).
  void set_on_failure(std::function<void(const absl::Status&)> callback) {
    on_failure_ = std::move(callback);
  }

 private:
  struct Control;
  struct Item {
    Batch* batch = nullptr;
    bool owned = false;
    std::shared_ptr<Control> control;  // shared: a caller may stop waiting
  };
  class IdSink;

  EngineLoop(std::shared_ptr<const Ruleset> ruleset, const LoopOptions& options,
             StateDir* state, DecisionHub* hub);
  absl::Status Recover();
  // Applies the inputs of segment `first_seq` from *expect on, advancing
  // *expect; `last`: a damaged tail is a torn write, not a loss.
  absl::Status ReplaySegment(uint64_t first_seq, bool last, uint64_t* expect);
  // Inputs that cannot be recovered, described by `what`: DataLoss
  // (nothing changed) unless options_.accept_state_loss, then reported.
  absl::Status AcceptLoss(const std::string& what);
  // Applies one event line as input `seq`; the decisions go to out_. Returns
  // the error of a bad line (nothing applied).
  absl::Status ApplyLine(std::string_view line, uint64_t seq, absl::Time wall);
  void ApplyAdvance(absl::Time clock, uint64_t seq);

  void Run();
  // One cycle over the items taken from the queue.
  void Cycle(std::vector<Item>& items);
  void ProcessBatch(Batch& batch, absl::Time wall);
  void RunControl(Control& control);
  void FillMetrics(LoopMetrics* m);
  // Publishes out_ and completes the cycle's batches: at once without
  // state, once the journal has them on disk with it.
  void Commit();
  // With state: a snapshot of the engine now (after the last input) and a
  // new journal segment after it.
  void TakeSnapshot();
  // Moves the engine's clock to the wall clock `wall` (to the millisecond)
  // as an input of its own: the timers due by then fire.
  void Advance(absl::Time wall);
  void Complete(std::vector<Item>& done, const absl::Status& status);
  void Fail(const absl::Status& status);
  absl::Time SleepUntil();

  LoopOptions options_;
  StateDir* state_;
  DecisionHub* hub_;
  std::function<void(const absl::Status&)> on_failure_;

  // ---- the engine thread's (and the creating thread's, before Start) ----
  std::shared_ptr<const Ruleset> ruleset_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<EventReader> reader_;
  std::unique_ptr<IdSink> sink_;
  Event event_;
  std::string out_;         // decisions of the cycle, JSON Lines
  std::string records_;     // journal records of the cycle
  std::vector<Item> done_;  // batches of the cycle
  uint64_t next_seq_ = 1;
  uint64_t snapshot_seq_ = 0;  // the input the last snapshot ends at
  absl::Time next_snapshot_ = absl::InfiniteFuture();
  absl::Time last_advance_ = absl::InfinitePast();  // wall time
  Histogram processing_;
  int64_t lines_rejected_ = 0;
  int64_t lines_ahead_ = 0;
  int64_t clock_advances_ = 0;
  int64_t replayed_ = 0;
  int64_t reloads_ = 0;
  int64_t reload_failures_ = 0;
  std::unique_ptr<JournalWriter> journal_;
  std::unique_ptr<SnapshotWriter> snapshots_;

  // ---- shared ----
  mutable absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_events_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<const Ruleset> shared_ruleset_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> queue_full_{0};
  std::atomic<bool> failed_{false};
  // Items queued (the engine thread polls it before it sleeps).
  std::atomic<int64_t> submitted_{0};
  std::thread thread_;
};

// The line number and message of a bad line, as HTTP answers list them:
// "N: error: MESSAGE" (control characters escaped).
std::string BadLine(int64_t number, std::string_view message);

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_ENGINE_LOOP_H_
