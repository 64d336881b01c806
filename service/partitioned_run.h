// PartitionedRun: one stream of events through N engines on N threads, with
// the decisions of a single engine, byte for byte, in the same order.
//
// `switchboard run --threads N` uses it. Sessions are partitioned by a hash
// of their key: partition p owns the sessions whose key hashes to p, global
// events (channel.*, agent.*) go to every partition. Every partition sees
// every event's time (AdvanceTo for the events it does not own), so all the
// partitions' clocks move exactly as one engine's clock would, and each
// fires its own sessions' timers when one engine would have fired them.
//
// The merge order is the single engine's (docs/semantics.md): for each
// input step, first the timers that fall due at it, in deadline order, then
// session key (bytes), then rule order, then the step's own event's
// decisions. A timer's decisions (and those of the events it derives) all
// belong to one session, so merging the partitions' timer decisions by
// (time, session key) and keeping each partition's own order for equal keys
// gives exactly the single engine's sequence.
//
// Threads: the caller's thread fills batches of steps and writes; each
// partition runs on a thread of its own over the batches, and formats its
// decisions as JSON (or text) into its own buffer; the caller's thread merges a
// batch's buffers once every partition is done with it. A ring of batches
// bounds memory; the caller blocks when every batch is in flight. Engines never
// see each other.
//
// Events come in two ways. CommitEvent: the caller parses (NextEvent gives
// the one Event to fill) and the event is packed into the batch, for the
// partitions to unpack. CommitLine: the caller hands over the raw JSON line
// and every partition reads every line with its own EventReader: each needs
// every line's validity and time before its clock may move, and on a
// machine whose cores do not share a cache, reading a line again costs less
// than handing the event over from the core that read it (docs/
// performance.md). The caller then only splits lines, so its parse no
// longer bounds the run as with CommitEvent; but every partition parses
// every line, so use it with no more partitions than cores.
//
// Not supported (Create refuses them; the CLI then runs one engine, whose
// output is the same): rulesets with queues (skill routing assigns agents
// across all sessions), and the --max-sessions limit is per partition
// (max_sessions / N, rounded up): the output is identical as long as no
// session is evicted (the summary counts evictions).
//
// Thread-compatible: one caller thread drives it.
#ifndef SWITCHBOARD_SERVICE_PARTITIONED_RUN_H_
#define SWITCHBOARD_SERVICE_PARTITIONED_RUN_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"

namespace switchboard::service {

class PartitionedRun {
 public:
  struct Options {
    int partitions = 2;
    EngineOptions engine;  // max_sessions is split across the partitions
    bool text = false;     // Decision::AppendText rather than AppendJson
    size_t batch_steps = 1024;
    // A batch is full at batch_steps steps or once its events and lines
    // take batch_bytes (lines may be long): memory stays under about
    // batches * (batch_bytes + the longest line).
    size_t batch_bytes = size_t{4} << 20;
    int batches = 4;  // in flight at once
    // How CommitLine's lines are read (report_unknown_members is not
    // supported: its warnings have no place in the output; Create refuses
    // it).
    ReaderOptions reader;
  };
  // Where the merged output goes, in order: decision lines (each ends with
  // '\n'; `bytes` may hold many), and the errors of events an engine
  // refused (`line` as given to CommitEvent).
  struct Callbacks {
    std::function<void(std::string_view bytes)> write;
    std::function<void(int64_t line, const absl::Status& error)> refused;
  };

  // Refuses (FailedPrecondition, saying why) what it cannot run with the
  // single engine's output: a ruleset with queues, fewer than 2 partitions.
  static absl::StatusOr<std::unique_ptr<PartitionedRun>> Create(
      std::shared_ptr<const Ruleset> ruleset, const Options& options,
      Callbacks callbacks);
  ~PartitionedRun();  // stops the threads (Finish first to keep the output)

  // The event to fill for the next step (Reset by the caller, e.g. through
  // EventReader::Next); then CommitEvent, or nothing to drop it.
  Event* NextEvent();
  void CommitEvent(int64_t line);
  // One line of JSON Lines (without its newline; not blank), read by the
  // partitions with an EventReader (Options::reader) under the event schema
  // of the ruleset in effect at this step (the last Reload's). A line the
  // reader refuses is reported through Callbacks::refused with the reader's
  // message, in order, and moves no clock: what `switchboard run` does with
  // a bad line. The text is copied.
  void CommitLine(int64_t line, std::string_view text);
  // A line refused before any engine saw it (too long, or refused by the
  // caller's reader): reported through Callbacks::refused in its place
  // among the other lines' reports, so that the reports keep the input's
  // order; moves no clock.
  void CommitRefusal(int64_t line, absl::Status error);
  // AdvanceTo(time) on every engine, as a step of its own.
  void AdvanceTo(absl::Time time);
  // Engine::Reload on every engine at `time` (after AdvanceTo(time)), as a
  // step of its own; a failure is reported by Finish.
  void Reload(absl::Time time, std::shared_ptr<const Ruleset> ruleset);
  // Processes and writes everything committed so far; the run goes on.
  void Flush();
  // Processes and writes everything committed; returns the first Reload
  // error, if any. Then the engines may be inspected.
  absl::Status Finish();

  // After Finish: the counters of the partitions added up as one engine
  // would count them (a global event counted once), and the other figures
  // one engine's summary shows.
  EngineStats stats() const;
  std::vector<PendingTimer> PendingTimers() const;
  int64_t session_count() const;
  absl::Time now() const;
  const Ruleset& ruleset() const;
  int partitions() const { return static_cast<int>(parts_.size()); }

  // The partition of a session key, out of `partitions` (FNV-1a, 64 bits).
  static int PartitionOf(std::string_view session_key, int partitions);

 private:
  struct Step;
  struct Output;
  struct Batch;
  struct Part;
  class PartSink;

  PartitionedRun(std::shared_ptr<const Ruleset> ruleset, const Options& options,
                 Callbacks callbacks);
  // The batch the caller fills, after waiting for a free one.
  Batch& Filling();
  // Hands the filling batch to the partitions (when it has steps).
  void Publish();
  // Merges and writes the oldest published batch once every partition is
  // done with it; returns false when none is published.
  bool DrainOne();
  void Work(int part);
  // Where an event goes: its partition (kGlobal: every one), and whether
  // the clocks move to its time (not for an event every engine refuses
  // before its clock moves).
  static constexpr int kGlobal = -1;
  struct Route {
    int owner;
    bool advance;
  };
  // `accepted`: Engine::CheckEvent accepts the event.
  static Route RouteOf(const Event& event, bool accepted,
                       const std::string& session_key, int partitions);
  static Route RouteOf(const CompactEvent& event, bool accepted,
                       const std::string& session_key, int partitions);
  void Merge(Batch& batch);

  const std::shared_ptr<const Ruleset> ruleset_;
  const Options options_;
  const Callbacks callbacks_;
  std::vector<std::unique_ptr<Part>> parts_;
  // The caller's engine for CommitEvent's Engine::CheckEvent (it processes
  // nothing; it follows the reloads).
  std::unique_ptr<Engine> checker_;
  std::vector<std::unique_ptr<Batch>> ring_;
  // Batches are numbered from 0; batch k lives in ring_[k % ring_.size()].
  uint64_t filling_ = 0;    // the batch the caller fills
  uint64_t published_ = 0;  // batches [0, published_) went to the parts
  uint64_t merged_ = 0;     // batches [0, merged_) were written

  std::mutex mu_;
  std::condition_variable work_cv_;  // published_ grew, or stopping_
  std::condition_variable done_cv_;  // a part finished a batch
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  absl::Status reload_error_;
  // The ruleset whose event schema reads the next CommitLine (the last
  // Reload's); every such ruleset is kept until the run ends, since steps
  // point to it.
  const Ruleset* schema_;
  std::vector<std::shared_ptr<const Ruleset>> schemas_;
  std::string merge_buffer_;
  Event event_;  // NextEvent's: filled by the caller, packed by CommitEvent
};

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_PARTITIONED_RUN_H_
