// One partition of the events topic, served: its own Engine, its own
// transactional producer, its snapshots (docs/scale-out.md).
//
// Open() makes a partition ready to consume, in the order the exactly-once
// argument needs (docs/scale-out.md, "Exactly once"):
//
//   1. fence: the producer's transactional.id is a function of the group,
//      T and the partition, so init_transactions() fences the partition's
//      previous owner (a zombie) and aborts its open transaction;
//   2. restore: the newest complete snapshot of the partition in the state
//      topic S, or a fresh engine at the group's committed offset (or the
//      start of the partition) when there is none;
//   3. learn what is written: read the decisions topic D's partition from
//      the offset the snapshot recorded to its end, with the visibility of
//      a read_committed consumer, and keep the ids of decisions made by
//      records at or after the snapshot's offset.
//
// Then Apply() takes the partition's records in offset order: a clock mark
// advances the clock, an event goes through the engine, and each decision
// gets the id T-P-OFFSET-K and is produced to D's partition P mod |D|,
// keyed by session, unless step 3 found that id written already. Work is
// grouped in transactions of about `commit_every`; a snapshot (every
// `snapshot_events` records or `snapshot_every`, at a reload, and at
// Close) is produced to S inside one, after every decision before it has
// been delivered.
//
// Thread-safety: none; one worker thread calls everything after Open.
#ifndef SWITCHBOARD_SERVICE_KAFKA_PARTITION_H_
#define SWITCHBOARD_SERVICE_KAFKA_PARTITION_H_

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/engine_loop.h"
#include "service/kafka/client.h"
#include "service/kafka/records.h"
#include "service/metrics.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"

namespace switchboard::service::kafka {

// What every partition of one `serve --kafka` shares.
struct PartitionConfig {
  // The brokers and --kafka-config, given to every client.
  Settings settings;
  std::string group;
  std::string events_topic;
  std::string decisions_topic;
  std::string state_topic;  // empty: none (a restart loses the sessions)
  int32_t decisions_partitions = 1;
  int32_t state_partitions = 1;
  // kEvent: the clock is the partition's event time, moved on by clock
  // marks; kWall: also by clock marks that the owner writes into its own
  // partition when a timer is due or the partition is idle.
  ClockMode clock = ClockMode::kEvent;
  absl::Duration late_tolerance = absl::ZeroDuration();
  // kWall: an event dated more than this ahead of the partition's clock is
  // a bad record. Default: 1 minute.
  absl::Duration max_ahead = absl::Minutes(1);
  int64_t max_sessions = 1000000;
  // A transaction is committed this long after it began. Default: 20 ms.
  absl::Duration commit_every = absl::Milliseconds(20);
  // A snapshot after this many records, or this long, whichever first (and
  // only when a record was applied since the last). Defaults: 100,000; 60 s.
  int64_t snapshot_records = 100000;
  absl::Duration snapshot_every = absl::Seconds(60);
  // kWall: a clock mark when no record came for this long. Default: 1 s.
  absl::Duration mark_every = absl::Seconds(1);
  // Bound on each step of Open (fencing, reading S, reading D). Default: 2 min.
  absl::Duration restore_timeout = absl::Minutes(2);
  // How long the owner's process may be stopped and still take the
  // partition for its own: the group consumer's session.timeout.ms less
  // its heartbeat.interval.ms, past which the group may have given the
  // partition to another member (docs/scale-out.md, "A paused owner").
  // Also the producer's message.timeout.ms. Default: 45 s - 3 s.
  absl::Duration ownership_lease = absl::Seconds(42);
};

// A partition's counters, for /metrics (copied on its worker thread).
struct PartitionMetrics {
  int32_t partition = 0;
  std::vector<std::string> rule_names;
  EngineStats engine;
  int64_t sessions = 0;
  int64_t timers_pending = 0;
  absl::Time clock = absl::InfinitePast();
  int64_t next_offset = 0;
  int64_t high_watermark = -1;  // as the consumer last saw it; -1 unknown
  int64_t records = 0;          // applied: events, clock marks
  int64_t clock_marks = 0;
  int64_t clock_marks_written = 0;  // kWall: by this owner
  int64_t bad_records = 0;
  int64_t decisions_produced = 0;
  int64_t decisions_suppressed = 0;  // found in D already (replay)
  int64_t transactions = 0;
  int64_t transactions_aborted = 0;
  int64_t snapshots = 0;
  int64_t snapshot_bytes = 0;                       // the last one
  absl::Time snapshot_time = absl::InfinitePast();  // taken (or restored)
  Histogram snapshot_seconds;  // engine snapshot + produce, per snapshot
  Histogram processing;        // per record
  int64_t reloads = 0;
  bool replaying = false;
};

// Notices that the whole process was stopped (SIGSTOP, a suspended VM, a
// starved machine) for longer than the lease ("A paused owner"): a thread
// that wakes every 50 ms on the monotonic clock, which runs on while the
// process is stopped, and counts the sleeps longer than the lease. A
// stalled worker thread (a slow broker) is not a pause: the consumer's
// heartbeats went on. One per process; the first Get sets the lease.
class PauseWatch {
 public:
  static PauseWatch& Get(absl::Duration lease);
  uint64_t pauses() const { return pauses_.load(); }
  // Whether the process was stopped for longer than the lease since
  // pauses() was `pauses_seen` (also when the watch has not woken yet).
  bool Paused(uint64_t pauses_seen) const;

 private:
  explicit PauseWatch(absl::Duration lease);
  static int64_t Now();

  const int64_t lease_ns_;
  std::atomic<int64_t> beat_ns_;
  std::atomic<uint64_t> pauses_{0};
};

class KafkaPartition {
 public:
  // Fences, restores and reads D as above; `consumer` (the group's) is used
  // for the committed offset, offset commits and seeks. The engine runs
  // `ruleset` (non-null). Errors: a client cannot be made, a step does not
  // finish within restore_timeout, the snapshot does not restore.
  static absl::StatusOr<std::unique_ptr<KafkaPartition>> Open(
      int32_t partition, std::shared_ptr<const Ruleset> ruleset,
      const PartitionConfig& config, rd_kafka_t* consumer);
  ~KafkaPartition();
  KafkaPartition(const KafkaPartition&) = delete;
  KafkaPartition& operator=(const KafkaPartition&) = delete;

  int32_t partition() const { return partition_; }
  // The offset to consume from next.
  int64_t next_offset() const { return next_offset_; }
  // What Open (or the last rewind) found, one line for stderr.
  const std::string& restore_report() const { return restore_report_; }

  // Applies one record of the partition (records before next_offset() are
  // skipped: left over from before a seek).
  void Apply(const rd_kafka_message_t& record);
  // Does the work due at `now`: serves delivery reports, writes a clock
  // mark (kWall), commits the transaction, takes a snapshot. Returns when
  // it wants to be called again.
  absl::Time Tick(absl::Time now);
  // Swaps in `ruleset` before the next record (Engine::Reload), then takes
  // a snapshot, so that no replay crosses the reload.
  void SetRuleset(std::shared_ptr<const Ruleset> ruleset);
  // The partition leaves: commit, a last snapshot, commit, the producer
  // closed. `lost` (the group gave it to another member already): nothing
  // more is written, the open transaction is left to be aborted.
  absl::Status Close(bool lost);

  // Not OK once the partition stopped: its producer was fenced (another
  // instance owns it now) or failed for good. Its records are then dropped.
  const absl::Status& failure() const { return failure_; }

  void FillMetrics(PartitionMetrics* m);

 private:
  class Sink;
  enum Tag : int { kDecision = 1, kSnapshot = 2, kMark = 3 };

  KafkaPartition(int32_t partition, std::shared_ptr<const Ruleset> ruleset,
                 const PartitionConfig& config, rd_kafka_t* consumer);
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* m,
                         void* opaque);

  absl::Status MakeEngine();
  // Steps 2 and 3 of Open; also after an aborted transaction (`seek`: move
  // the consumer to the restored offset).
  absl::Status Restore(bool seek);
  bool EnsureTransaction();
  // Produces with backpressure (a full queue is served, then retried).
  bool Produce(rd_kafka_topic_t* topic, int32_t partition, std::string_view key,
               std::string_view value, Tag tag, bool clock_mark = false);
  void ProduceDecision(std::string_view session, std::string_view line);
  bool Suppressed(int64_t offset, int64_t k);
  // Commits the open transaction; an abortable failure aborts it and
  // rewinds to the last snapshot (Restore).
  void Commit();
  void TakeSnapshot();
  void MaybeWriteMark(absl::Time now);
  void Fail(absl::Status status);
  // The guard of "A paused owner": false, and the partition stopped (its
  // queue purged, its transaction aborted, never committed), when it may
  // be another member's by now: the group says it is lost or no longer
  // assigned (`ask_group`), or the owner was unseen for longer than the
  // lease. Otherwise true, and the owner is seen now.
  bool StillOwner(bool ask_group);
  void CommitOffset(int64_t offset);

  const int32_t partition_;
  const PartitionConfig& config_;
  rd_kafka_t* consumer_;
  const std::string id_prefix_;  // "T-P-"
  const int32_t decisions_partition_;
  const int32_t state_partition_;

  std::shared_ptr<const Ruleset> ruleset_;
  std::shared_ptr<const Ruleset> pending_ruleset_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<EventReader> reader_;
  std::unique_ptr<Sink> sink_;
  Event event_;

  Handle producer_;
  rd_kafka_topic_t* events_topic_ = nullptr;
  rd_kafka_topic_t* decisions_topic_ = nullptr;
  rd_kafka_topic_t* state_topic_ = nullptr;

  int64_t next_offset_ = 0;
  // Replay: the places of decisions already in D, for records up to
  // replay_until_ (inclusive); and the D offset the restored snapshot
  // recorded, which stays the bound until the replay is over.
  absl::flat_hash_set<DecisionPlace> written_;
  int64_t replay_until_ = -1;
  int64_t restored_decisions_offset_ = 0;
  // Every decision this producer delivers to D's partition lands at or
  // after this offset (the end of D's partition when read, then one past
  // the last delivery).
  int64_t decisions_end_ = 0;

  // PauseWatch::pauses() when the partition was opened.
  uint64_t pauses_seen_ = 0;
  // StillOwner found the partition in the consumer's assignment once.
  bool was_assigned_ = false;

  bool txn_open_ = false;
  // The open transaction failed (librdkafka refuses to produce in it): it
  // is to be aborted and the partition rewound before the next record.
  bool abort_pending_ = false;
  absl::Time txn_began_;
  rd_kafka_resp_err_t delivery_error_ = RD_KAFKA_RESP_ERR_NO_ERROR;
  // A snapshot produced in the open transaction: the offset it resumes at.
  int64_t snapshot_in_txn_ = -1;
  uint64_t generation_ = 0;
  int64_t snapshot_offset_ = -1;  // of the last snapshot taken or restored
  int64_t records_since_snapshot_ = 0;
  absl::Time next_snapshot_ = absl::InfiniteFuture();

  // kWall clock marks.
  bool mark_in_flight_ = false;
  absl::Time mark_sent_ = absl::InfinitePast();     // wall clock
  absl::Time mark_time_ = absl::InfinitePast();     // the mark's value
  absl::Time last_applied_ = absl::InfinitePast();  // wall clock

  std::string line_;  // scratch: a decision line
  std::string restore_report_;
  absl::Status failure_;
  PartitionMetrics m_;
};

}  // namespace switchboard::service::kafka

#endif  // SWITCHBOARD_SERVICE_KAFKA_PARTITION_H_
