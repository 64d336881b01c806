// The engine thread, its queue, recovery from the state folder (engine_loop.h).
#include "service/engine_loop.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <utility>

#include "fmt/format.h"
#include "service/decision_id.h"
#include "switchboard/decision.h"
#include "switchboard/time.h"

namespace switchboard::service {
namespace {

// Timer wake-ups closer together than this are served by one advance of the
// clock (one journal record), so a steady trickle of timers costs at most
// 100 advances a second; well within the promised 100 ms.
constexpr absl::Duration kTick = absl::Milliseconds(10);

// How long a submitter polls for its batch to be done before it sleeps,
// and how long the engine thread polls for more input after a cycle with
// input before it sleeps: a thread that does not sleep need not be woken,
// which costs tens of microseconds per hand-over on a virtual machine.
constexpr absl::Duration kWaitSpin = absl::Microseconds(50);
constexpr absl::Duration kIdleSpin = absl::Microseconds(200);

// Polls `ready` for up to `limit`; whether it became true.
template <typename Ready>
bool Spin(absl::Duration limit, Ready ready) {
  const auto until =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(limit);
  do {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    // Let a thread that waits for this CPU run (the one we wait for, maybe).
    sched_yield();
  } while (std::chrono::steady_clock::now() < until);
  return ready();
}

// Replayed decisions are published in pieces of about this size.
constexpr size_t kReplayPublishBytes = size_t{1} << 20;

std::string Text(const absl::Status& status) {
  return std::string(status.message());
}

// The wall clock to the millisecond: decisions made at it carry short
// times ("2026-12-07T10:00:00.123Z").
absl::Time WallMillis(absl::Time wall) {
  return absl::FromUnixMillis(absl::ToUnixMillis(wall));
}

}  // namespace

void Batch::Wait() {
  if (Spin(kWaitSpin, [this] { return done.HasBeenNotified(); })) return;
  done.WaitForNotification();
}

std::string BadLine(int64_t number, std::string_view message) {
  return FormatBadLine("", number, message);
}

// Gives each decision its id: INSTANCE-SEQ-K, K counting the decisions of
// input SEQ from 0. Appends the decision as a JSON line to *out.
class EngineLoop::IdSink : public DecisionSink {
 public:
  IdSink(std::string instance, std::string* out)
      : prefix_(std::move(instance) + "-"), out_(out) {}

  // The next decisions belong to input `seq`.
  void Begin(uint64_t seq) {
    seq_ = seq;
    k_ = 0;
    head_.clear();
  }

  void OnDecision(const Decision& decision) override {
    if (head_.empty()) SetIdHead(&head_, prefix_, seq_);
    AppendDecisionWithId(decision, head_, k_++, out_);
    out_->push_back('\n');
  }

 private:
  const std::string prefix_;  // "INSTANCE-"
  std::string* out_;
  std::string head_;
  uint64_t seq_ = 0;
  int64_t k_ = 0;
};

struct EngineLoop::Control {
  enum class Kind { kReload, kMetrics } kind = Kind::kMetrics;
  std::shared_ptr<const Ruleset> ruleset;  // kReload
  absl::Status status;
  LoopMetrics metrics;  // kMetrics
  absl::Notification done;
};

EngineLoop::EngineLoop(std::shared_ptr<const Ruleset> ruleset,
                       const LoopOptions& options, StateDir* state,
                       DecisionHub* hub)
    : options_(options), state_(state), hub_(hub), ruleset_(ruleset) {
  shared_ruleset_ = std::move(ruleset);
}

absl::StatusOr<std::unique_ptr<EngineLoop>> EngineLoop::Create(
    std::shared_ptr<const Ruleset> ruleset, const LoopOptions& options,
    StateDir* state, DecisionHub* hub) {
  if (ruleset == nullptr) {
    return absl::InvalidArgumentError("EngineLoop::Create: no ruleset");
  }
  std::unique_ptr<EngineLoop> loop(
      new EngineLoop(ruleset, options, state, hub));
  EngineOptions engine_options;
  engine_options.max_sessions = options.max_sessions;
  // With event time the service counts late events as `run` does.
  engine_options.late_tolerance = options.clock == ClockMode::kWall
                                      ? options.late_tolerance
                                      : absl::ZeroDuration();
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create(ruleset, engine_options);
  if (!engine.ok()) return engine.status();
  loop->engine_ = std::move(*engine);
  loop->reader_ = std::make_unique<EventReader>(*ruleset);
  loop->sink_ = std::make_unique<IdSink>(options.instance, &loop->out_);
  if (state != nullptr) {
    if (absl::Status st = loop->Recover(); !st.ok()) return st;
    absl::StatusOr<std::unique_ptr<JournalWriter>> journal =
        JournalWriter::Start(state->path(), loop->next_seq_,
                             options.journal_pending_bytes);
    if (!journal.ok()) return journal.status();
    loop->journal_ = std::move(*journal);
    loop->journal_->Commit({});  // nothing, but starts with a synced segment
    loop->snapshots_ = std::make_unique<SnapshotWriter>(state);
    loop->next_snapshot_ = absl::Now() + options.snapshot_every;
  }
  return loop;
}

EngineLoop::~EngineLoop() { Stop().IgnoreError(); }

// ---- recovery
// -----------------------------------------------------------------

absl::Status EngineLoop::Recover() {
  const std::vector<uint64_t> snapshots = state_->Snapshots();
  const std::vector<uint64_t> segments = state_->Segments();
  uint64_t base = 0;
  bool restored = false;
  std::vector<uint64_t> damaged;
  for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
    std::string bytes;
    absl::Status st = state_->ReadSnapshot(*it, &bytes);
    if (st.ok()) st = engine_->Restore(bytes);
    if (st.ok()) {
      base = *it;
      restored = true;
      break;
    }
    fmt::print(stderr, "switchboard: state: cannot restore '{}': {}\n",
               state_->SnapshotPath(*it), Text(st));
    damaged.push_back(*it);
  }
  if (!restored && !snapshots.empty()) {
    fmt::print(stderr,
               "switchboard: state: no snapshot could be restored; starting "
               "from the journal alone\n");
  }
  uint64_t expect = base + 1;
  for (size_t i = 0; i < segments.size(); ++i) {
    const bool last = i + 1 == segments.size();
    // Segment i holds inputs segments[i] .. segments[i + 1] - 1.
    if (!last && segments[i + 1] <= expect) continue;
    if (segments[i] > expect) {
      const std::string message = fmt::format(
          "the journal has no inputs {} to {} (the segment before '{}' is "
          "missing)",
          expect, segments[i] - 1, state_->SegmentPath(segments[i]));
      if (absl::Status st = AcceptLoss(message); !st.ok()) return st;
      expect = segments[i];
    }
    if (absl::Status st = ReplaySegment(segments[i], last, &expect); !st.ok()) {
      return st;
    }
  }
  if (!restored && !snapshots.empty() && segments.empty()) {
    if (absl::Status st = AcceptLoss(
            "no snapshot could be restored and there is no journal: every "
            "input");
        !st.ok()) {
      return st;
    }
  }
  hub_->Publish(out_);
  out_.clear();
  next_seq_ = expect;
  snapshot_seq_ = restored ? base : 0;
  // A segment that would clash with the new one holds no input (else
  // `expect` would be past it): it goes.
  const std::string clash = state_->SegmentPath(next_seq_);
  if (::access(clash.c_str(), F_OK) == 0) ::unlink(clash.c_str());
  for (uint64_t seq : damaged) {
    absl::StatusOr<std::string> aside = state_->SetAside(
        state_->SnapshotPath(seq).substr(state_->path().size() + 1));
    if (aside.ok()) {
      fmt::print(stderr, "switchboard: state: set aside as '{}'\n", *aside);
    }
  }
  if (restored || replayed_ > 0) {
    fmt::print(stderr,
               "switchboard: state: restored {}, applied {} journaled input{} "
               "again; next input {}\n",
               restored ? fmt::format("snapshot {}", base)
                        : std::string("no snapshot"),
               replayed_, replayed_ == 1 ? "" : "s", next_seq_);
  }
  return absl::OkStatus();
}

absl::Status EngineLoop::AcceptLoss(const std::string& what) {
  if (!options_.accept_state_loss) {
    return absl::DataLossError(fmt::format(
        "{}; nothing was changed; --accept-state-loss starts without them",
        what));
  }
  fmt::print(stderr, "switchboard: state: {}: lost\n", what);
  return absl::OkStatus();
}

absl::Status EngineLoop::ReplaySegment(uint64_t first_seq, bool last,
                                       uint64_t* expect) {
  const std::string path = state_->SegmentPath(first_seq);
  absl::StatusOr<std::unique_ptr<JournalReader>> opened =
      JournalReader::Open(path);
  if (!opened.ok()) return opened.status();
  JournalReader& reader = **opened;
  JournalRecord record;
  for (;;) {
    const JournalReader::Result result = reader.Next(&record);
    if (result == JournalReader::Result::kEnd) return absl::OkStatus();
    if (result == JournalReader::Result::kBad) {
      uint64_t at = 0, seq = 0;
      const bool more = reader.Resync(*expect - 1, &at, &seq);
      if (!more && last) {
        // A torn tail: the last group commit, cut by a crash before its
        // fsync returned; none of it was acknowledged.
        const uint64_t cut = reader.offset();
        const std::string aside = fmt::format("{}.tail-damaged-{}", path,
                                              absl::ToUnixSeconds(absl::Now()));
        if (std::FILE* f = std::fopen(aside.c_str(), "wb"); f != nullptr) {
          const std::string_view rest = reader.rest();
          std::fwrite(rest.data(), 1, rest.size(), f);
          std::fflush(f);
          ::fsync(fileno(f));
          std::fclose(f);
        }
        fmt::print(stderr,
                   "switchboard: state: '{}' ends in {} bytes at byte {} that "
                   "are not a whole record ({}): an input cut short by a "
                   "crash, never acknowledged; dropped (kept in '{}')\n",
                   path, reader.size() - cut, cut, reader.error(), aside);
        if (::truncate(path.c_str(), static_cast<off_t>(cut)) != 0) {
          return absl::InternalError(
              fmt::format("cannot truncate '{}' to {} bytes", path, cut));
        }
        return absl::OkStatus();
      }
      const std::string message =
          more ? fmt::format(
                     "the journal '{}' is damaged at byte {} ({}), and inputs "
                     "follow from {} on: inputs {} to {} cannot be read",
                     path, reader.offset(), reader.error(), seq, *expect,
                     seq - 1)
               : fmt::format(
                     "the journal '{}' is damaged at byte {} ({}) and later "
                     "segments follow: the rest of it cannot be read",
                     path, reader.offset(), reader.error());
      if (absl::Status st = AcceptLoss(message); !st.ok()) return st;
      if (!more) return absl::OkStatus();
      *expect = seq;
      continue;
    }
    if (record.seq < *expect) continue;  // in the snapshot already
    if (record.seq > *expect) {
      const std::string message =
          fmt::format("the journal '{}' skips from input {} to {}", path,
                      *expect, record.seq);
      if (absl::Status st = AcceptLoss(message); !st.ok()) return st;
    }
    if (record.type == RecordType::kAdvance) {
      ApplyAdvance(record.clock, record.seq);
    } else if (absl::Status st =
                   ApplyLine(record.line, record.seq, absl::InfinitePast());
               !st.ok()) {
      // The rules on disk changed since it was applied.
      ++lines_rejected_;
      fmt::print(stderr,
                 "switchboard: state: journaled input {} (it no longer "
                 "applies under the rules on disk)\n",
                 FormatBadLine("", record.seq, Text(st)));
    }
    ++replayed_;
    *expect = record.seq + 1;
    if (out_.size() >= kReplayPublishBytes) {
      hub_->Publish(out_);
      out_.clear();
    }
  }
}

// ---- applying inputs
// ----------------------------------------------------------

absl::Status EngineLoop::ApplyLine(std::string_view line, uint64_t seq,
                                   absl::Time wall) {
  if (absl::Status st = reader_->Next(line, &event_); !st.ok()) return st;
  if (wall != absl::InfinitePast() &&
      event_.time() - wall > options_.max_ahead) {
    ++lines_ahead_;
    return absl::InvalidArgumentError(
        fmt::format("time {} is {} ahead of the wall clock (the limit is {})",
                    FormatTimestamp(event_.time()),
                    ::switchboard::FormatDuration(absl::Floor(
                        event_.time() - wall, absl::Milliseconds(1))),
                    ::switchboard::FormatDuration(options_.max_ahead)));
  }
  sink_->Begin(seq);
  return engine_->Process(event_, sink_.get());
}

void EngineLoop::ApplyAdvance(absl::Time clock, uint64_t seq) {
  sink_->Begin(seq);
  engine_->AdvanceTo(clock, sink_.get());
}

void EngineLoop::Advance(absl::Time wall) {
  const absl::Time t = WallMillis(wall);
  last_advance_ = wall;
  if (t <= engine_->now()) return;
  ApplyAdvance(t, next_seq_);
  if (state_ != nullptr) AppendAdvanceRecord(next_seq_, t, &records_);
  ++next_seq_;
  ++clock_advances_;
}

// ---- the engine thread
// ----------------------------------------------------------

void EngineLoop::Start() {
  absl::MutexLock lock(&mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

absl::Time EngineLoop::SleepUntil() {
  absl::Time wake = absl::InfiniteFuture();
  if (options_.clock == ClockMode::kWall) {
    const absl::Time next = engine_->NextDeadline();
    if (next != absl::InfiniteFuture()) {
      wake = std::max(next, last_advance_ + kTick);
    }
  }
  if (state_ != nullptr) wake = std::min(wake, next_snapshot_);
  return wake;
}

void EngineLoop::Run() {
  std::vector<Item> items;
  int64_t seen = 0;  // submitted_ when the queue was last taken
  for (;;) {
    const absl::Time wake = SleepUntil();
    if (seen > 0 && wake > absl::Now()) {
      // Input came lately: more may be on its way.
      Spin(kIdleSpin,
           [&] { return submitted_.load(std::memory_order_acquire) != seen; });
    }
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || closed_;
      };
      mu_.AwaitWithDeadline(absl::Condition(&ready), wake);
      items.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.end()));
      queue_.clear();
      queued_events_ = 0;
      finish = closed_ && items.empty();
    }
    // Poll after a cycle with input only (an idle service sleeps).
    seen = items.empty() ? 0 : submitted_.load(std::memory_order_acquire);
    if (finish) break;
    Cycle(items);
    items.clear();
  }
  if (state_ != nullptr && !failed_.load()) TakeSnapshot();
  Commit();
}

void EngineLoop::Cycle(std::vector<Item>& items) {
  const bool wall_clock = options_.clock == ClockMode::kWall;
  const absl::Time wall = wall_clock ? absl::Now() : absl::InfinitePast();
  bool advanced = false;
  for (Item& item : items) {
    if (item.control != nullptr) {
      RunControl(*item.control);
      continue;
    }
    if (wall_clock && !advanced) {
      Advance(wall);  // events are processed at the wall clock's time
      advanced = true;
    }
    ProcessBatch(*item.batch, wall);
    done_.push_back(std::move(item));
  }
  if (wall_clock && !advanced && engine_->NextDeadline() <= wall) {
    Advance(wall);  // timers due
  }
  Commit();
  if (state_ != nullptr && absl::Now() >= next_snapshot_) TakeSnapshot();
}

void EngineLoop::ProcessBatch(Batch& batch, absl::Time wall) {
  // One clock read per line: a line ends when the next one starts.
  auto start = std::chrono::steady_clock::now();
  for (const BatchLine& line : batch.lines) {
    const size_t mark = out_.size();
    const absl::Status st = ApplyLine(line.text, next_seq_, wall);
    if (st.ok()) {
      if (state_ != nullptr) AppendEventRecord(next_seq_, line.text, &records_);
      ++next_seq_;
      ++batch.accepted;
      if (batch.collect && out_.size() > mark) {
        batch.decisions.append(out_, mark, std::string::npos);
      }
    } else {
      ++lines_rejected_;
      if (batch.source.empty()) {
        batch.errors.push_back(BadLine(line.number, Text(st)));
      } else {
        fmt::print(stderr, "{}\n",
                   FormatBadLine(batch.source, line.number, Text(st)));
      }
    }
    const auto end = std::chrono::steady_clock::now();
    processing_.Observe(std::chrono::duration<double>(end - start).count());
    start = end;
  }
}

void EngineLoop::RunControl(Control& control) {
  switch (control.kind) {
    case Control::Kind::kMetrics:
      FillMetrics(&control.metrics);
      break;
    case Control::Kind::kReload: {
      // Decisions so far were made under the old rules: out with them.
      control.status = engine_->Reload(control.ruleset);
      if (control.status.ok()) {
        ++reloads_;
        reader_ = std::make_unique<EventReader>(*control.ruleset);
        ruleset_ = control.ruleset;
        {
          absl::MutexLock lock(&mu_);
          shared_ruleset_ = ruleset_;
        }
        if (state_ != nullptr) TakeSnapshot();
      } else {
        ++reload_failures_;
      }
      break;
    }
  }
  control.done.Notify();
}

void EngineLoop::FillMetrics(LoopMetrics* m) {
  m->ruleset = ruleset_->name();
  m->rule_names.clear();
  for (int r = 0; r < ruleset_->rule_count(); ++r) {
    m->rule_names.push_back(ruleset_->rule_name(r));
  }
  m->stats = engine_->stats();
  m->sessions = engine_->session_count();
  m->timers_pending = engine_->PendingTimerCount();
  m->clock = engine_->now();
  m->position = next_seq_ - 1;
  m->lines_rejected = lines_rejected_;
  m->lines_ahead = lines_ahead_;
  m->clock_advances = clock_advances_;
  m->replayed = replayed_;
  m->reloads = reloads_;
  m->reload_failures = reload_failures_;
  m->processing = processing_;
  {
    absl::MutexLock lock(&mu_);
    m->queue_events = static_cast<int64_t>(queued_events_);
  }
  m->queue_capacity = static_cast<int64_t>(options_.queue_events);
  m->queue_full = queue_full_.load(std::memory_order_relaxed);
  m->state = state_ != nullptr;
  if (journal_ != nullptr) m->journal = journal_->stats();
  if (snapshots_ != nullptr) m->snapshots = snapshots_->stats();
}

void EngineLoop::Commit() {
  if (out_.empty() && records_.empty() && done_.empty()) return;
  if (state_ == nullptr) {
    hub_->Publish(out_);
    out_.clear();
    Complete(done_, absl::OkStatus());
    done_.clear();
    return;
  }
  JournalWriter::Group group;
  group.records.swap(records_);
  group.durable = [this, items = std::move(done_), decisions = std::move(out_)](
                      const absl::Status& status) mutable {
    if (status.ok()) {
      hub_->Publish(decisions);
    } else {
      Fail(status);
    }
    Complete(items, status.ok() ? status
                                : absl::UnavailableError(fmt::format(
                                      "not durable: {}", Text(status))));
  };
  done_.clear();
  out_.clear();
  journal_->Commit(std::move(group));
}

void EngineLoop::TakeSnapshot() {
  next_snapshot_ = absl::Now() + options_.snapshot_every;
  const uint64_t seq = next_seq_ - 1;
  if (seq == snapshot_seq_) return;  // nothing applied since the last one
  absl::StatusOr<std::string> bytes = engine_->Snapshot();
  if (!bytes.ok()) {
    fmt::print(stderr, "switchboard: cannot take a snapshot: {}\n",
               Text(bytes.status()));
    return;
  }
  Commit();  // the inputs up to `seq` go into the segment that ends here
  snapshot_seq_ = seq;
  JournalWriter::Group group;
  group.rotate_to = seq + 1;
  auto shared = std::make_shared<std::string>(std::move(*bytes));
  group.durable = [this, seq, shared](const absl::Status& status) {
    if (status.ok()) snapshots_->Write(seq, std::move(*shared));
  };
  journal_->Commit(std::move(group));
}

void EngineLoop::Complete(std::vector<Item>& done, const absl::Status& status) {
  for (Item& item : done) {
    if (item.batch == nullptr) continue;
    item.batch->status = status;
    if (item.owned) {
      delete item.batch;
    } else {
      item.batch->done.Notify();  // the waiter may free it at once
    }
    item.batch = nullptr;
  }
}

void EngineLoop::Fail(const absl::Status& status) {
  if (failed_.exchange(true)) return;
  {
    absl::MutexLock lock(&mu_);
    failure_ = status;
  }
  fmt::print(stderr, "switchboard: the journal failed: {}\n", Text(status));
  if (on_failure_) on_failure_(status);
}

// ---- the other threads' side
// ------------------------------------------------------

absl::Status EngineLoop::Submit(Batch* batch) {
  absl::MutexLock lock(&mu_);
  if (closed_ || !failure_.ok()) {
    return absl::UnavailableError(
        failure_.ok() ? "the service is stopping"
                      : fmt::format("the journal failed: {}", Text(failure_)));
  }
  const size_t n = batch->lines.size();
  if (queued_events_ + n > options_.queue_events) {
    queue_full_.fetch_add(1, std::memory_order_relaxed);
    return absl::ResourceExhaustedError(
        fmt::format("the queue is full ({} events waiting, room for {})",
                    queued_events_, options_.queue_events));
  }
  queue_.push_back({batch, false, nullptr});
  queued_events_ += n;
  submitted_.fetch_add(1, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status EngineLoop::SubmitOwned(std::unique_ptr<Batch> batch,
                                     size_t max_queued_events) {
  absl::MutexLock lock(&mu_);
  const size_t n = batch->lines.size();
  const size_t limit = std::min(max_queued_events, options_.queue_events);
  const auto room = [this, n, limit]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || !failure_.ok() || queue_.empty() ||
           queued_events_ + n <= limit;
  };
  mu_.Await(absl::Condition(&room));
  if (closed_ || !failure_.ok()) {
    return absl::UnavailableError("the service is stopping");
  }
  queue_.push_back({batch.release(), true, nullptr});
  queued_events_ += n;
  submitted_.fetch_add(1, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status EngineLoop::Reload(std::shared_ptr<const Ruleset> ruleset) {
  auto control = std::make_shared<Control>();
  control->kind = Control::Kind::kReload;
  control->ruleset = std::move(ruleset);
  {
    absl::MutexLock lock(&mu_);
    if (closed_ || !started_) {
      return absl::UnavailableError("the service is stopping");
    }
    queue_.push_back({nullptr, false, control});
  }
  control->done.WaitForNotification();
  return control->status;
}

absl::StatusOr<LoopMetrics> EngineLoop::Metrics(absl::Duration timeout) {
  auto control = std::make_shared<Control>();
  control->kind = Control::Kind::kMetrics;
  {
    absl::MutexLock lock(&mu_);
    if (closed_ || !started_) {
      return absl::UnavailableError("the service is stopping");
    }
    queue_.push_back({nullptr, false, control});
  }
  if (!control->done.WaitForNotificationWithTimeout(timeout)) {
    return absl::DeadlineExceededError(
        "the engine thread did not answer in time");
  }
  return std::move(control->metrics);
}

void EngineLoop::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

absl::Status EngineLoop::Stop() {
  bool join = false;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    if (stopped_) return failure_;
    stopped_ = true;
    join = started_;
  }
  if (join) {
    thread_.join();
  } else {
    Complete(done_, absl::UnavailableError("the service is stopping"));
  }
  // Whatever is still queued (it came before Close) was taken by the last
  // cycles; controls queued after the thread ended are answered here.
  {
    absl::MutexLock lock(&mu_);
    for (Item& item : queue_) {
      if (item.control != nullptr) item.control->done.Notify();
      if (item.batch != nullptr) {
        item.batch->status = absl::UnavailableError("the service stopped");
        if (item.owned) {
          delete item.batch;
        } else {
          item.batch->done.Notify();
        }
      }
    }
    queue_.clear();
  }
  absl::Status status;
  if (journal_ != nullptr) status = journal_->Close();
  if (snapshots_ != nullptr) {
    absl::Status written = snapshots_->Flush();
    if (status.ok() && !written.ok()) status = written;
  }
  absl::MutexLock lock(&mu_);
  if (failure_.ok() && !status.ok()) failure_ = status;
  return failure_;
}

std::shared_ptr<const Ruleset> EngineLoop::ruleset() const {
  absl::MutexLock lock(&mu_);
  return shared_ruleset_;
}

bool EngineLoop::healthy() const {
  absl::MutexLock lock(&mu_);
  return started_ && !closed_ && failure_.ok();
}

}  // namespace switchboard::service
