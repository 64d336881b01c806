// One partition of the events topic: restore, apply, transactions,
// snapshots (partition.h).
#include "service/kafka/partition.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>

#include "fmt/format.h"
#include "service/decision_id.h"
#include "switchboard/decision.h"
#include "switchboard/time.h"

namespace switchboard::service::kafka {
namespace {

std::string Text(const absl::Status& status) {
  return std::string(status.message());
}

int Millis(absl::Duration d) {
  return static_cast<int>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(d), 0, 1 << 30));
}

absl::Time WallMillis(absl::Time t) {
  return absl::FromUnixMillis(absl::ToUnixMillis(t));
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

PauseWatch::PauseWatch(absl::Duration lease)
    : lease_ns_(absl::ToInt64Nanoseconds(lease)), beat_ns_(Now()) {
  std::thread([this] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const int64_t now = Now();
      if (now - beat_ns_.load() > lease_ns_) pauses_.fetch_add(1);
      beat_ns_.store(now);  // after the count: see Paused
    }
  }).detach();
}

PauseWatch& PauseWatch::Get(absl::Duration lease) {
  static PauseWatch* const watch = new PauseWatch(lease);
  return *watch;
}

int64_t PauseWatch::Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool PauseWatch::Paused(uint64_t pauses_seen) const {
  // The beat first: if it is fresh, a pause before it is counted already.
  if (Now() - beat_ns_.load() > lease_ns_) return true;
  return pauses_.load() != pauses_seen;
}

// Gives each decision its id T-P-OFFSET-K and hands it to the partition,
// which produces it unless it is in D already.
class KafkaPartition::Sink : public DecisionSink {
 public:
  Sink(KafkaPartition* owner, std::string_view prefix)
      : owner_(owner), prefix_(prefix) {}

  void Begin(int64_t offset) {
    offset_ = offset;
    k_ = 0;
    head_.clear();
  }

  void OnDecision(const Decision& decision) override {
    const int64_t k = k_++;
    if (owner_->Suppressed(offset_, k)) return;
    if (head_.empty()) SetIdHead(&head_, prefix_, offset_);
    std::string& line = owner_->line_;
    line.clear();
    AppendDecisionWithId(decision, head_, k, &line);
    owner_->ProduceDecision(decision.session, line);
  }

 private:
  KafkaPartition* owner_;
  const std::string prefix_;
  std::string head_;
  int64_t offset_ = 0;
  int64_t k_ = 0;
};

KafkaPartition::KafkaPartition(int32_t partition,
                               std::shared_ptr<const Ruleset> ruleset,
                               const PartitionConfig& config,
                               rd_kafka_t* consumer)
    : partition_(partition),
      config_(config),
      consumer_(consumer),
      id_prefix_(IdPrefix(config.events_topic, partition)),
      decisions_partition_(partition % config.decisions_partitions),
      state_partition_(config.state_partitions > 0
                           ? partition % config.state_partitions
                           : 0),
      ruleset_(std::move(ruleset)) {
  m_.partition = partition;
}

KafkaPartition::~KafkaPartition() {
  for (rd_kafka_topic_t* t : {events_topic_, decisions_topic_, state_topic_}) {
    if (t != nullptr) rd_kafka_topic_destroy(t);
  }
}

absl::StatusOr<std::unique_ptr<KafkaPartition>> KafkaPartition::Open(
    int32_t partition, std::shared_ptr<const Ruleset> ruleset,
    const PartitionConfig& config, rd_kafka_t* consumer) {
  std::unique_ptr<KafkaPartition> p(
      new KafkaPartition(partition, std::move(ruleset), config, consumer));
  // A stop from here on counts ("A paused owner").
  p->pauses_seen_ = PauseWatch::Get(config.ownership_lease).pauses();
  if (absl::Status st = p->MakeEngine(); !st.ok()) return st;
  p->sink_ = std::make_unique<Sink>(p.get(), p->id_prefix_);

  // 1. The producer, fencing the partition's previous owner.
  Settings settings = config.settings;
  settings.insert(
      settings.begin(),
      {{"linger.ms", "2"},
       {"batch.num.messages", "10000"},
       {"compression.type", "lz4"},
       {"transactional.id", fmt::format("switchboard-{}-{}-{}", config.group,
                                        config.events_topic, partition)}});
  // A record still queued when the owner stops must not go out once the
  // partition may be another's ("A paused owner"): librdkafka times it out
  // instead of sending it (a smaller --kafka-config value stays).
  int64_t message_timeout = absl::ToInt64Milliseconds(config.ownership_lease);
  for (const auto& [name, value] : config.settings) {
    if (name == "message.timeout.ms" || name == "delivery.timeout.ms") {
      message_timeout = std::min<int64_t>(
          message_timeout, std::strtoll(value.c_str(), nullptr, 10));
    }
  }
  settings.push_back({"message.timeout.ms", std::to_string(message_timeout)});
  KafkaPartition* self = p.get();
  absl::StatusOr<Handle> producer =
      NewClient(RD_KAFKA_PRODUCER, settings, [self](rd_kafka_conf_t* conf) {
        rd_kafka_conf_set_opaque(conf, self);
        rd_kafka_conf_set_dr_msg_cb(conf, &KafkaPartition::OnDelivery);
      });
  if (!producer.ok()) return producer.status();
  p->producer_ = std::move(*producer);
  rd_kafka_t* rk = p->producer_.get();
  p->events_topic_ =
      rd_kafka_topic_new(rk, config.events_topic.c_str(), nullptr);
  p->decisions_topic_ =
      rd_kafka_topic_new(rk, config.decisions_topic.c_str(), nullptr);
  if (!config.state_topic.empty()) {
    p->state_topic_ =
        rd_kafka_topic_new(rk, config.state_topic.c_str(), nullptr);
  }
  const absl::Time deadline = absl::Now() + config.restore_timeout;
  for (;;) {
    rd_kafka_error_t* error =
        rd_kafka_init_transactions(rk, Millis(config.restore_timeout));
    if (error == nullptr) break;
    if (!rd_kafka_error_is_retriable(error) || absl::Now() > deadline) {
      return KafkaError(error, fmt::format("fencing {}[{}] (init_transactions)",
                                           config.events_topic, partition));
    }
    rd_kafka_error_destroy(error);
  }
  // 2 and 3.
  if (absl::Status st = p->Restore(/*seek=*/false); !st.ok()) return st;
  return p;
}

absl::Status KafkaPartition::MakeEngine() {
  EngineOptions options;
  options.max_sessions = config_.max_sessions;
  options.late_tolerance = config_.late_tolerance;
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create(ruleset_, options);
  if (!engine.ok()) return engine.status();
  engine_ = std::move(*engine);
  reader_ = std::make_unique<EventReader>(*ruleset_);
  return absl::OkStatus();
}

absl::Status KafkaPartition::Restore(bool seek) {
  const std::string where =
      fmt::format("{}[{}]", config_.events_topic, partition_);
  Settings settings = config_.settings;
  for (auto setting :
       Settings{{"group.id", config_.group + ".switchboard-reader"},
                {"enable.auto.commit", "false"},
                {"enable.partition.eof", "true"},
                {"isolation.level", "read_committed"},
                {"auto.offset.reset", "earliest"}}) {
    settings.push_back(std::move(setting));
  }
  absl::StatusOr<Handle> reader = NewClient(RD_KAFKA_CONSUMER, settings);
  if (!reader.ok()) return reader.status();

  // 2. The newest complete snapshot, or the committed offset.
  std::optional<StoredSnapshot> snapshot;
  std::string found;
  if (state_topic_ != nullptr) {
    SnapshotAssembler assembler(config_.events_topic, partition_);
    absl::StatusOr<ReadRange> read =
        ReadToEnd(reader->get(), config_.state_topic, state_partition_, 0,
                  config_.restore_timeout, [&](const rd_kafka_message_t& m) {
                    assembler.Add(Key(m), Value(m), m.offset);
                  });
    if (!read.ok()) return read.status();
    snapshot = assembler.Take();
    if (assembler.incomplete() > 0) {
      found += fmt::format("; {} snapshot(s) passed over ({})",
                           assembler.incomplete(), assembler.last_problem());
    }
  }
  int64_t start = 0;
  int64_t decisions_from = 0;
  if (snapshot.has_value()) {
    if (absl::Status st = engine_->Restore(snapshot->bytes); !st.ok()) {
      return absl::DataLossError(fmt::format(
          "{}: the snapshot at {}[{}] offset {} does not restore: {}", where,
          config_.state_topic, state_partition_, snapshot->manifest_offset,
          Text(st)));
    }
    reader_ = std::make_unique<EventReader>(*ruleset_);
    generation_ = snapshot->manifest.generation;
    start = snapshot->manifest.offset;
    decisions_from = snapshot->manifest.decisions_offset;
    m_.snapshot_time = snapshot->manifest.taken;
    m_.snapshot_bytes = static_cast<int64_t>(snapshot->bytes.size());
    found = fmt::format("snapshot {} of offset {} ({} bytes, {} sessions)",
                        generation_, start, snapshot->bytes.size(),
                        engine_->session_count()) +
            found;
  } else {
    if (seek) {  // a rewind without a snapshot: start afresh
      if (absl::Status st = MakeEngine(); !st.ok()) return st;
    }
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), config_.events_topic.c_str(),
                                      partition_);
    const rd_kafka_resp_err_t err = rd_kafka_committed(
        consumer_, list.get(), Millis(config_.restore_timeout));
    const int64_t committed =
        err == RD_KAFKA_RESP_ERR_NO_ERROR ? list->elems[0].offset : -1;
    absl::StatusOr<Watermarks> marks =
        QueryWatermarks(reader->get(), config_.events_topic, partition_,
                        config_.restore_timeout);
    if (!marks.ok()) return marks.status();
    if (committed >= 0) {
      start = std::max(committed, marks->low);
      found = fmt::format("no snapshot; the group's committed offset {}",
                          committed) +
              found;
      if (state_topic_ != nullptr && committed > marks->low) {
        found += fmt::format(
            " (the sessions of records {} to {} are not in a snapshot: "
            "lost)",
            marks->low, committed - 1);
      }
    } else {
      start = marks->low;
      found = "no snapshot, no committed offset: from the start" + found;
    }
  }

  // 3. Which decisions of records from `start` on are in D already.
  written_.clear();
  replay_until_ = -1;
  if (state_topic_ != nullptr) {
    absl::StatusOr<ReadRange> read =
        ReadToEnd(reader->get(), config_.decisions_topic, decisions_partition_,
                  decisions_from, config_.restore_timeout,
                  [&](const rd_kafka_message_t& m) {
                    const std::optional<DecisionPlace> place =
                        ParseDecisionPlace(Value(m), id_prefix_);
                    if (place.has_value() && place->offset >= start) {
                      written_.insert(*place);
                      replay_until_ = std::max(replay_until_, place->offset);
                    }
                  });
    if (!read.ok()) return read.status();
    decisions_end_ = read->end;
    if (read->start > decisions_from) {
      found += fmt::format(
          "; WARNING: {}[{}] no longer holds offsets {} to {} (retention): "
          "decisions there cannot be recognized and may be written again",
          config_.decisions_topic, decisions_partition_, decisions_from,
          read->start - 1);
    }
    found += fmt::format("; {} decisions in {}[{}] already", written_.size(),
                         config_.decisions_topic, decisions_partition_);
  }
  restored_decisions_offset_ = decisions_from;
  next_offset_ = start;
  snapshot_offset_ = snapshot.has_value() ? start : -1;
  records_since_snapshot_ = 0;
  next_snapshot_ = absl::Now() + config_.snapshot_every;
  restore_report_ =
      fmt::format("{}: {}; resuming at offset {}", where, found, start);
  if (seek) {
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), config_.events_topic.c_str(),
                                      partition_)
        ->offset = start;
    if (rd_kafka_error_t* error = rd_kafka_seek_partitions(
            consumer_, list.get(), Millis(config_.restore_timeout))) {
      return KafkaError(error, fmt::format("seeking {} to {}", where, start));
    }
  }
  return absl::OkStatus();
}

void KafkaPartition::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m,
                                void* opaque) {
  auto* self = static_cast<KafkaPartition*>(opaque);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->delivery_error_ = m->err;
    return;
  }
  if (reinterpret_cast<intptr_t>(m->_private) == kDecision) {
    self->decisions_end_ = std::max(self->decisions_end_, m->offset + 1);
  }
}

bool KafkaPartition::EnsureTransaction() {
  if (txn_open_) return true;
  if (!failure_.ok()) return false;
  if (rd_kafka_error_t* error = rd_kafka_begin_transaction(producer_.get())) {
    Fail(KafkaError(error, "begin_transaction"));
    return false;
  }
  txn_open_ = true;
  txn_began_ = absl::Now();
  return true;
}

bool KafkaPartition::Produce(rd_kafka_topic_t* topic, int32_t partition,
                             std::string_view key, std::string_view value,
                             Tag tag, bool clock_mark) {
  if (!EnsureTransaction() || !StillOwner(/*ask_group=*/false)) return false;
  // The record, as rd_kafka_produceva's list (the clock mark's header only
  // on clock marks).
  rd_kafka_vu_t vu[7];
  size_t n = 0;
  vu[n].vtype = RD_KAFKA_VTYPE_RKT;
  vu[n++].u.rkt = topic;
  vu[n].vtype = RD_KAFKA_VTYPE_PARTITION;
  vu[n++].u.i32 = partition;
  vu[n].vtype = RD_KAFKA_VTYPE_KEY;
  vu[n].u.mem.ptr = const_cast<char*>(key.data());
  vu[n++].u.mem.size = key.size();
  vu[n].vtype = RD_KAFKA_VTYPE_VALUE;
  vu[n].u.mem.ptr = const_cast<char*>(value.data());
  vu[n++].u.mem.size = value.size();
  vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
  vu[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
  vu[n++].u.ptr = reinterpret_cast<void*>(intptr_t{tag});
  if (clock_mark) {
    vu[n].vtype = RD_KAFKA_VTYPE_HEADER;
    vu[n].u.header.name = kMarkHeader.data();
    vu[n].u.header.val = kClockMark.data();
    vu[n++].u.header.size = static_cast<ssize_t>(kClockMark.size());
  }
  for (;;) {
    rd_kafka_error_t* error = rd_kafka_produceva(producer_.get(), vu, n);
    const rd_kafka_resp_err_t err = error == nullptr
                                        ? RD_KAFKA_RESP_ERR_NO_ERROR
                                        : rd_kafka_error_code(error);
    if (error != nullptr) rd_kafka_error_destroy(error);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
    if (err == RD_KAFKA_RESP_ERR__STATE &&
        rd_kafka_fatal_error(producer_.get(), nullptr, 0) ==
            RD_KAFKA_RESP_ERR_NO_ERROR) {
      // The transaction failed (a record refused for good): nothing more
      // goes into it; Apply or Tick aborts it and rewinds (Commit).
      abort_pending_ = true;
      return false;
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      Fail(KafkaError(err, "producing"));
      return false;
    }
    rd_kafka_poll(producer_.get(), 5);  // the queue drains as it is acked
  }
}

void KafkaPartition::ProduceDecision(std::string_view session,
                                     std::string_view line) {
  if (Produce(decisions_topic_, decisions_partition_, session, line,
              kDecision)) {
    ++m_.decisions_produced;
  }
}

bool KafkaPartition::Suppressed(int64_t offset, int64_t k) {
  if (offset > replay_until_) return false;
  if (!written_.contains(DecisionPlace{offset, k})) return false;
  ++m_.decisions_suppressed;
  return true;
}

void KafkaPartition::Apply(const rd_kafka_message_t& record) {
  if (!failure_.ok() || record.offset < next_offset_) return;
  if (!StillOwner(/*ask_group=*/false)) return;
  if (abort_pending_) {
    // Aborts; with a state topic, rewinds to the last snapshot and seeks
    // there: `record` comes again after the seek.
    Commit();
    if (state_topic_ != nullptr || !failure_.ok()) return;
  }
  const auto start = std::chrono::steady_clock::now();
  if (pending_ruleset_ != nullptr) {
    std::shared_ptr<const Ruleset> ruleset = std::move(pending_ruleset_);
    if (absl::Status st = engine_->Reload(ruleset); st.ok()) {
      ruleset_ = std::move(ruleset);
      reader_ = std::make_unique<EventReader>(*ruleset_);
      ++m_.reloads;
      TakeSnapshot();  // no replay crosses the reload
    } else {
      fmt::print(stderr, "switchboard: {}[{}]: reload failed: {}\n",
                 config_.events_topic, partition_, Text(st));
    }
  }
  if (!EnsureTransaction()) return;
  const int64_t offset = record.offset;
  sink_->Begin(offset);
  absl::Status st;
  if (HeaderValue(record, kMarkHeader.data()) == kClockMark) {
    absl::StatusOr<absl::Time> t = ParseClockMark(Value(record));
    if (t.ok()) {
      engine_->AdvanceTo(*t, sink_.get());
      ++m_.clock_marks;
      if (mark_in_flight_ && *t >= mark_time_) mark_in_flight_ = false;
    } else {
      st = t.status();
    }
  } else {
    st = reader_->Next(Value(record), &event_);
    if (st.ok() && config_.clock == ClockMode::kWall &&
        engine_->now() != absl::InfinitePast() &&
        event_.time() - engine_->now() > config_.max_ahead) {
      st = absl::InvalidArgumentError(fmt::format(
          "time {} is {} ahead of the partition's clock (the limit is {})",
          FormatTimestamp(event_.time()),
          ::switchboard::FormatDuration(
              absl::Floor(event_.time() - engine_->now(), absl::Seconds(1))),
          ::switchboard::FormatDuration(config_.max_ahead)));
    }
    if (st.ok()) st = engine_->Process(event_, sink_.get());
  }
  if (!st.ok()) {
    ++m_.bad_records;
    fmt::print(
        stderr, "switchboard: {}\n",
        FormatBadLine(fmt::format("{}[{}]", config_.events_topic, partition_),
                      offset, Text(st)));
  }
  next_offset_ = offset + 1;
  ++m_.records;
  ++records_since_snapshot_;
  if (next_offset_ > replay_until_ && !written_.empty()) {
    written_.clear();  // the replay is over
    written_.rehash(0);
  }
  last_applied_ = absl::Now();
  m_.processing.Observe(Seconds(std::chrono::steady_clock::now() - start));
}

absl::Time KafkaPartition::Tick(absl::Time now) {
  if (!failure_.ok()) return absl::InfiniteFuture();
  if (!StillOwner(/*ask_group=*/false)) return absl::InfiniteFuture();
  rd_kafka_poll(producer_.get(), 0);  // delivery reports
  if (abort_pending_) Commit();       // aborts and rewinds
  MaybeWriteMark(now);
  if (txn_open_ && now - txn_began_ >= config_.commit_every) Commit();
  if (state_topic_ != nullptr && records_since_snapshot_ > 0 &&
      (records_since_snapshot_ >= config_.snapshot_records ||
       now >= next_snapshot_)) {
    TakeSnapshot();
  }
  if (!failure_.ok()) return absl::InfiniteFuture();
  absl::Time wake = absl::InfiniteFuture();
  if (txn_open_) wake = txn_began_ + config_.commit_every;
  if (state_topic_ != nullptr && records_since_snapshot_ > 0) {
    wake = std::min(wake, next_snapshot_);
  }
  if (config_.clock == ClockMode::kWall) {
    wake = std::min(wake, mark_in_flight_
                              ? mark_sent_ + absl::Seconds(5)
                              : std::min(engine_->NextDeadline(),
                                         last_applied_ + config_.mark_every));
  }
  return wake;
}

void KafkaPartition::MaybeWriteMark(absl::Time now) {
  if (config_.clock != ClockMode::kWall) return;
  // One mark at a time: the next once this one has been read back (or, if
  // it was lost with an aborted transaction, after 5 s).
  if (mark_in_flight_ && now - mark_sent_ < absl::Seconds(5)) return;
  const absl::Time wall = WallMillis(now);
  if (wall <= engine_->now() && engine_->now() != absl::InfinitePast()) return;
  const bool due = engine_->NextDeadline() <= wall;
  const bool idle = now - last_applied_ >= config_.mark_every;
  if (!due && !idle) return;
  const std::string value = ClockMarkValue(wall);
  if (Produce(events_topic_, partition_, "", value, kMark,
              /*clock_mark=*/true)) {
    mark_in_flight_ = true;
    mark_sent_ = now;
    mark_time_ = wall;
    ++m_.clock_marks_written;
  }
}

void KafkaPartition::Commit() {
  if (!txn_open_ || !failure_.ok()) return;
  // Never commit what may be another owner's to write.
  if (!StillOwner(/*ask_group=*/true)) return;
  const absl::Time deadline = absl::Now() + config_.restore_timeout;
  for (;;) {
    rd_kafka_error_t* error = rd_kafka_commit_transaction(
        producer_.get(), Millis(config_.restore_timeout));
    if (error == nullptr) break;
    if (rd_kafka_error_txn_requires_abort(error)) {
      fmt::print(stderr,
                 "switchboard: {}[{}]: transaction failed ({}); aborting it "
                 "and going back to the last snapshot\n",
                 config_.events_topic, partition_,
                 rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
      txn_open_ = false;
      abort_pending_ = false;
      snapshot_in_txn_ = -1;
      ++m_.transactions_aborted;
      if (rd_kafka_error_t* e = rd_kafka_abort_transaction(
              producer_.get(), Millis(config_.restore_timeout))) {
        Fail(KafkaError(e, "abort_transaction"));
        return;
      }
      delivery_error_ = RD_KAFKA_RESP_ERR_NO_ERROR;
      if (state_topic_ == nullptr) {
        fmt::print(stderr,
                   "switchboard: {}[{}]: without --state-topic the decisions "
                   "of the aborted transaction are lost\n",
                   config_.events_topic, partition_);
        return;
      }
      if (absl::Status st = Restore(/*seek=*/true); !st.ok()) {
        Fail(st);
        return;
      }
      fmt::print(stderr, "switchboard: rewound {}\n", restore_report_);
      return;
    }
    if (!rd_kafka_error_is_retriable(error) || absl::Now() > deadline) {
      Fail(KafkaError(error, "commit_transaction"));
      return;
    }
    rd_kafka_error_destroy(error);
  }
  txn_open_ = false;
  ++m_.transactions;
  if (snapshot_in_txn_ >= 0) {
    CommitOffset(snapshot_in_txn_);
    snapshot_in_txn_ = -1;
  } else if (state_topic_ == nullptr) {
    CommitOffset(next_offset_);
  }
}

void KafkaPartition::CommitOffset(int64_t offset) {
  // The group's committed offset: where a start without a snapshot resumes,
  // and what lag tools show. Asynchronous; a failure (a rebalance under
  // way) only leaves an older offset.
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), config_.events_topic.c_str(),
                                    partition_)
      ->offset = offset;
  rd_kafka_commit(consumer_, list.get(), /*async=*/1);
}

void KafkaPartition::TakeSnapshot() {
  if (state_topic_ == nullptr || !failure_.ok()) return;
  if (next_offset_ == snapshot_offset_) return;  // nothing new
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::string> bytes = engine_->Snapshot();
  if (!bytes.ok()) {
    fmt::print(stderr, "switchboard: {}[{}]: cannot take a snapshot: {}\n",
               config_.events_topic, partition_, Text(bytes.status()));
    return;
  }
  if (!EnsureTransaction()) return;
  // Every decision before the snapshot is delivered before it: a
  // snapshot that is visible implies its decisions are (on the mock too,
  // where an aborted transaction's records stay visible).
  if (rd_kafka_resp_err_t err =
          rd_kafka_flush(producer_.get(), Millis(config_.restore_timeout))) {
    Fail(KafkaError(err, "flushing the decisions before a snapshot"));
    return;
  }
  SnapshotManifest manifest;
  manifest.partition = partition_;
  manifest.generation = generation_ + 1;
  manifest.offset = next_offset_;
  // While replaying, decisions of records after the snapshot may sit in D
  // before decisions_end_: keep the bound the restored snapshot gave.
  manifest.decisions_offset = next_offset_ <= replay_until_
                                  ? restored_decisions_offset_
                                  : decisions_end_;
  manifest.bytes = bytes->size();
  manifest.chunks = static_cast<int32_t>(
      (bytes->size() + kSnapshotChunkBytes - 1) / kSnapshotChunkBytes);
  manifest.taken = absl::Now();
  manifest.ruleset = ruleset_->name();
  for (int32_t i = 0; i < manifest.chunks; ++i) {
    const std::string_view payload = std::string_view(*bytes).substr(
        static_cast<size_t>(i) * kSnapshotChunkBytes, kSnapshotChunkBytes);
    if (!Produce(
            state_topic_, state_partition_,
            ChunkKey(config_.events_topic, partition_, manifest.generation, i),
            EncodeChunk(manifest.generation, i, payload), kSnapshot)) {
      return;
    }
  }
  if (!Produce(state_topic_, state_partition_,
               ManifestKey(config_.events_topic, partition_),
               EncodeManifest(manifest), kSnapshot)) {
    return;
  }
  generation_ = manifest.generation;
  snapshot_offset_ = next_offset_;
  snapshot_in_txn_ = next_offset_;
  records_since_snapshot_ = 0;
  next_snapshot_ = absl::Now() + config_.snapshot_every;
  Commit();
  if (!failure_.ok() || snapshot_offset_ != manifest.offset) return;
  ++m_.snapshots;
  m_.snapshot_bytes = static_cast<int64_t>(bytes->size());
  m_.snapshot_time = manifest.taken;
  m_.snapshot_seconds.Observe(
      Seconds(std::chrono::steady_clock::now() - start));
}

void KafkaPartition::SetRuleset(std::shared_ptr<const Ruleset> ruleset) {
  pending_ruleset_ = std::move(ruleset);
}

absl::Status KafkaPartition::Close(bool lost) {
  if (failure_.ok() && !lost) {
    Commit();
    TakeSnapshot();
    Commit();
  }
  if (lost && failure_.ok()) {
    // Another member owns the partition now: nothing more may be written.
    rd_kafka_purge(producer_.get(),
                   RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    if (txn_open_) {
      rd_kafka_error_t* error = rd_kafka_abort_transaction(producer_.get(), 0);
      if (error != nullptr) rd_kafka_error_destroy(error);
      txn_open_ = false;
    }
  }
  if (!lost) rd_kafka_flush(producer_.get(), Millis(config_.restore_timeout));
  return failure_;
}

bool KafkaPartition::StillOwner(bool ask_group) {
  const PauseWatch& watch = PauseWatch::Get(config_.ownership_lease);
  std::string why;
  if (watch.Paused(pauses_seen_)) {
    why = fmt::format(
        "the process was stopped for more than session.timeout.ms less "
        "heartbeat.interval.ms ({}): the group may have given the partition "
        "to another member",
        ::switchboard::FormatDuration(config_.ownership_lease));
  } else if (ask_group) {
    if (rd_kafka_assignment_lost(consumer_)) {
      why = "the group's assignment is lost";
    } else {
      // Open runs before the group's assign call: only a partition that
      // was in the assignment can have left it.
      rd_kafka_topic_partition_list_t* assignment = nullptr;
      if (rd_kafka_assignment(consumer_, &assignment) ==
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        const bool in = rd_kafka_topic_partition_list_find(
                            assignment, config_.events_topic.c_str(),
                            partition_) != nullptr;
        if (in) {
          was_assigned_ = true;
        } else if (was_assigned_) {
          why = "the partition is no longer assigned";
        }
      }
      if (assignment != nullptr) {
        rd_kafka_topic_partition_list_destroy(assignment);
      }
    }
  }
  if (why.empty()) return true;
  // Nothing more goes out: the queue is dropped (what is in flight was
  // sent before the stop) and the transaction aborted, not committed.
  rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE);
  if (txn_open_) {
    rd_kafka_error_t* error = rd_kafka_abort_transaction(producer_.get(), 0);
    if (error != nullptr) rd_kafka_error_destroy(error);
    txn_open_ = false;
    ++m_.transactions_aborted;
  }
  Fail(absl::FailedPreconditionError(
      fmt::format("{}; nothing more is written to it", why)));
  return false;
}

void KafkaPartition::Fail(absl::Status status) {
  if (!failure_.ok()) return;
  failure_ = std::move(status);
  fmt::print(stderr,
             "switchboard: {}[{}]: {}; the partition stops here (its records "
             "are left to its next owner)\n",
             config_.events_topic, partition_, Text(failure_));
}

void KafkaPartition::FillMetrics(PartitionMetrics* m) {
  *m = m_;
  m->rule_names.clear();
  for (int r = 0; r < ruleset_->rule_count(); ++r) {
    m->rule_names.push_back(ruleset_->rule_name(r));
  }
  m->engine = engine_->stats();
  m->sessions = engine_->session_count();
  m->timers_pending = engine_->PendingTimerCount();
  m->clock = engine_->now();
  m->next_offset = next_offset_;
  int64_t low = 0, high = -1;
  if (rd_kafka_get_watermark_offsets(consumer_, config_.events_topic.c_str(),
                                     partition_, &low,
                                     &high) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    m->high_watermark = high;
  }
  m->replaying = next_offset_ <= replay_until_;
}

}  // namespace switchboard::service::kafka
