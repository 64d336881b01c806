// PartitionedRun (partitioned_run.h): N engines on N threads, one engine's
// output.
#include "service/partitioned_run.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "switchboard/decision.h"

namespace switchboard::service {

// One step of the input: an event (of one partition, or of all when
// global), a clock advance, or a reload.
struct PartitionedRun::Step {
  enum class Kind : uint8_t { kEvent, kLine, kRefusal, kAdvance, kReload };
  Kind kind = Kind::kEvent;
  // kEvent: the partition that owns the event, or kGlobal; advance: false
  // for an event the engines refuse before their clocks move
  // (Engine::CheckEvent): no partition advances for it. A kLine's are found
  // by each partition as it reads the line (RouteOf).
  int owner = kGlobal;
  bool advance = true;
  absl::Time time;
  int64_t line = 0;
  // kEvent: the event's packed form (Event::AppendPacked) in the batch's
  // `packed` bytes. kLine: the line's text, in the batch's `lines`.
  size_t begin = 0, end = 0;
  // kLine: the ruleset whose event schema reads it.
  const Ruleset* schema = nullptr;
  absl::Status error;                      // kRefusal
  std::shared_ptr<const Ruleset> ruleset;  // kReload
};

// What one partition made of one batch: its decisions' bytes, and for each
// decision where it belongs in the merge.
struct PartitionedRun::Output {
  struct Record {
    uint32_t step;
    uint8_t phase;  // 0: timers due at the step; 1: the step's own event
    absl::Time time;
    size_t key_begin, key_size;  // the session key, in `keys`
    size_t begin, end;           // the decision's line, in `bytes`
  };
  struct Refusal {
    uint32_t step;
    absl::Status error;
  };
  std::string bytes;
  std::string keys;
  std::vector<Record> records;
  std::vector<Refusal> refusals;
  absl::Status reload_error;

  void Clear() {
    bytes.clear();
    keys.clear();
    records.clear();
    refusals.clear();
    reload_error = absl::OkStatus();
  }
  std::string_view key(const Record& r) const {
    return std::string_view(keys).substr(r.key_begin, r.key_size);
  }
};

struct PartitionedRun::Batch {
  std::vector<Step> steps;  // [0, size) in use
  // The steps' events, packed one after the other: the engines' threads
  // read a few hundred bytes per event, in order, rather than the caller's
  // Event slots (a kilobyte or more each, cold in another core's cache).
  std::string packed;
  std::string lines;  // kLine steps' text, one after the other
  size_t size = 0;
  std::vector<Output> outputs;  // one per partition
  int done = 0;                 // partitions done with it (under mu_)
};

// One partition: its engine, and what it counts that one engine would
// count once (global events are processed by every partition).
struct PartitionedRun::Part {
  std::unique_ptr<Engine> engine;
  Event event;  // the step's event, unpacked (stays in this core's cache)
  CompactEvent line_event;  // a kLine step's event, as the reader read it
  // CommitLine's reader, for the event schema of `reader_schema`.
  std::unique_ptr<EventReader> reader;
  const Ruleset* reader_schema = nullptr;
  int64_t globals = 0;  // global events (counted by partition 0 only)
  int64_t late_globals = 0;
  int64_t refused_globals = 0;
  // Rule name -> when the rule's first error happened here, as 2 * step +
  // phase (steps counted from the run's first; phase 0: the timers due at
  // the step, 1: its event or reload). The summary shows the first error
  // of the partition that erred first, as one engine would; when two
  // partitions' timers at one step both first-err in one rule, the lower
  // partition's (one engine's would be the earlier (deadline, session)).
  absl::flat_hash_map<std::string, uint64_t> first_error_at;
  int rules_with_errors = 0;  // the engine's, when last looked at
  uint64_t steps = 0;         // steps run so far

  // After a Reload: forgets the first errors the engine did not carry over
  // (a rule removed, or renamed), so that a rule added back later starts
  // afresh, as in one engine.
  void AfterReload() {
    const EngineStats& stats = engine->stats();
    const Ruleset& rs = engine->ruleset();
    absl::flat_hash_map<std::string, uint64_t> kept;
    for (size_t r = 0; r < stats.rule_first_errors.size(); ++r) {
      if (stats.rule_first_errors[r].empty()) continue;
      auto it = first_error_at.find(rs.rule_name(static_cast<int>(r)));
      if (it != first_error_at.end()) kept.insert(*it);
    }
    first_error_at = std::move(kept);
    rules_with_errors = engine->rules_with_errors();
  }

  // Notes the rules that first erred in `phase` of the current step.
  void NoteFirstErrors(int phase) {
    if (engine->rules_with_errors() == rules_with_errors) return;
    rules_with_errors = engine->rules_with_errors();
    const EngineStats& stats = engine->stats();
    const Ruleset& rs = engine->ruleset();
    for (size_t r = 0; r < stats.rule_first_errors.size(); ++r) {
      if (!stats.rule_first_errors[r].empty()) {
        first_error_at.try_emplace(rs.rule_name(static_cast<int>(r)),
                                   2 * steps + phase);
      }
    }
  }
};

// Formats a partition's decisions into its Output, tagged with the step
// and phase they belong to.
class PartitionedRun::PartSink : public DecisionSink {
 public:
  PartSink(Output* out, bool text) : out_(out), text_(text) {}
  void At(uint32_t step, uint8_t phase) {
    step_ = step;
    phase_ = phase;
  }
  void OnDecision(const Decision& decision) override {
    Output::Record r;
    r.step = step_;
    r.phase = phase_;
    r.time = decision.time;
    r.key_begin = out_->keys.size();
    r.key_size = decision.session.size();
    out_->keys.append(decision.session);
    r.begin = out_->bytes.size();
    if (text_) {
      decision.AppendText(&out_->bytes);
    } else {
      decision.AppendJson(&out_->bytes);
    }
    out_->bytes.push_back('\n');
    r.end = out_->bytes.size();
    out_->records.push_back(r);
  }

 private:
  Output* out_;
  bool text_;
  uint32_t step_ = 0;
  uint8_t phase_ = 0;
};

int PartitionedRun::PartitionOf(std::string_view session_key, int partitions) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (unsigned char c : session_key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<int>(h % static_cast<uint64_t>(partitions));
}

absl::StatusOr<std::unique_ptr<PartitionedRun>> PartitionedRun::Create(
    std::shared_ptr<const Ruleset> ruleset, const Options& options,
    Callbacks callbacks) {
  if (ruleset == nullptr) {
    return absl::InvalidArgumentError("PartitionedRun: the ruleset is null");
  }
  if (options.partitions < 2) {
    return absl::FailedPreconditionError(
        "PartitionedRun: fewer than 2 partitions (run one engine)");
  }
  if (ruleset->queue_count() > 0) {
    return absl::FailedPreconditionError(
        "the ruleset has queues: skill routing assigns agents across all "
        "sessions, so one engine runs it");
  }
  if (options.reader.report_unknown_members) {
    return absl::InvalidArgumentError(
        "PartitionedRun: ReaderOptions::report_unknown_members is not "
        "supported (its warnings have no place in the output)");
  }
  if (options.batch_steps == 0 || options.batch_bytes == 0 ||
      options.batches < 2) {
    return absl::InvalidArgumentError(
        "PartitionedRun: needs batch_steps > 0, batch_bytes > 0 and at least "
        "2 batches");
  }
  std::unique_ptr<PartitionedRun> run(
      new PartitionedRun(std::move(ruleset), options, std::move(callbacks)));
  EngineOptions engine_options = options.engine;
  if (engine_options.max_sessions > 0) {
    engine_options.max_sessions =
        (engine_options.max_sessions + options.partitions - 1) /
        options.partitions;
  }
  for (int p = 0; p < options.partitions; ++p) {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(run->ruleset_, engine_options);
    if (!engine.ok()) return engine.status();
    run->parts_.push_back(std::make_unique<Part>());
    run->parts_.back()->engine = std::move(*engine);
  }
  absl::StatusOr<std::unique_ptr<Engine>> checker =
      Engine::Create(run->ruleset_, engine_options);
  if (!checker.ok()) return checker.status();
  run->checker_ = std::move(*checker);
  for (int b = 0; b < options.batches; ++b) {
    auto batch = std::make_unique<Batch>();
    batch->steps.resize(options.batch_steps);
    batch->packed.reserve(options.batch_steps * 256);
    batch->lines.reserve(options.batch_steps * 256);
    batch->outputs.resize(options.partitions);
    run->ring_.push_back(std::move(batch));
  }
  for (int p = 0; p < options.partitions; ++p) {
    run->threads_.emplace_back([r = run.get(), p] { r->Work(p); });
  }
  return run;
}

PartitionedRun::PartitionedRun(std::shared_ptr<const Ruleset> ruleset,
                               const Options& options, Callbacks callbacks)
    : ruleset_(std::move(ruleset)),
      options_(options),
      callbacks_(std::move(callbacks)),
      schema_(ruleset_.get()) {}

PartitionedRun::~PartitionedRun() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

PartitionedRun::Batch& PartitionedRun::Filling() {
  for (;;) {
    // The slot of batch filling_ is free once the batch ring_.size() before
    // it was merged.
    while (filling_ >= merged_ + ring_.size()) DrainOne();
    Batch& batch = *ring_[filling_ % ring_.size()];
    if (batch.size < batch.steps.size() &&
        batch.packed.size() + batch.lines.size() < options_.batch_bytes) {
      return batch;
    }
    Publish();
  }
}

void PartitionedRun::Publish() {
  Batch& batch = *ring_[filling_ % ring_.size()];
  if (batch.size == 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    published_ = filling_ + 1;
  }
  work_cv_.notify_all();
  ++filling_;
}

bool PartitionedRun::DrainOne() {
  if (merged_ == published_) return false;
  Batch& batch = *ring_[merged_ % ring_.size()];
  {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(
        lock, [&] { return batch.done == static_cast<int>(parts_.size()); });
  }
  Merge(batch);
  for (Output& out : batch.outputs) out.Clear();
  batch.packed.clear();
  batch.lines.clear();
  batch.size = 0;
  batch.done = 0;
  ++merged_;
  return true;
}

Event* PartitionedRun::NextEvent() { return &event_; }

PartitionedRun::Route PartitionedRun::RouteOf(const Event& event, bool accepted,
                                              const std::string& session_key,
                                              int partitions) {
  // An event the engines refuse (Engine::CheckEvent: no type, a bad time, no
  // session key, a channel event without a channel, an attribute of the
  // wrong type) moves no clock: its owner (any partition: 0) refuses and
  // reports it, no other partition advances, as with one engine.
  if (!accepted) return {0, false};
  if (IsGlobalEvent(event.type())) return {kGlobal, true};
  // Accepted and not global: the key is there, typed as a string.
  const Event::Attribute* key = event.Find(session_key);
  return {key != nullptr && key->kind == Event::Kind::kString
              ? PartitionOf(key->string_value, partitions)
              : 0,
          true};
}

PartitionedRun::Route PartitionedRun::RouteOf(const CompactEvent& event,
                                              bool accepted,
                                              const std::string& session_key,
                                              int partitions) {
  if (!accepted) return {0, false};
  if (IsGlobalEvent(event.type())) return {kGlobal, true};
  const int key = event.Find(session_key);
  return {key >= 0 && event.attribute(key).kind() == Event::Kind::kString
              ? PartitionOf(event.attribute(key).string_value(), partitions)
              : 0,
          true};
}

void PartitionedRun::CommitEvent(int64_t line) {
  Batch& batch = Filling();
  Step& step = batch.steps[batch.size++];
  step.kind = Step::Kind::kEvent;
  step.line = line;
  step.begin = batch.packed.size();
  event_.AppendPacked(&batch.packed);
  step.end = batch.packed.size();
  step.schema = nullptr;
  step.ruleset = nullptr;
  step.error = absl::OkStatus();
  step.time = event_.time();
  const Route route =
      RouteOf(event_, checker_->CheckEvent(event_).ok(), schema_->session_key(),
              static_cast<int>(parts_.size()));
  step.owner = route.owner;
  step.advance = route.advance;
}

void PartitionedRun::CommitLine(int64_t line, std::string_view text) {
  Batch& batch = Filling();
  Step& step = batch.steps[batch.size++];
  step.kind = Step::Kind::kLine;
  step.line = line;
  step.begin = batch.lines.size();
  batch.lines.append(text);
  step.end = batch.lines.size();
  step.schema = schema_;
  step.ruleset = nullptr;
  step.error = absl::OkStatus();
}

void PartitionedRun::CommitRefusal(int64_t line, absl::Status error) {
  Batch& batch = Filling();
  Step& step = batch.steps[batch.size++];
  step.kind = Step::Kind::kRefusal;
  step.line = line;
  step.schema = nullptr;
  step.ruleset = nullptr;
  step.error = std::move(error);
}

void PartitionedRun::AdvanceTo(absl::Time time) {
  Batch& batch = Filling();
  Step& step = batch.steps[batch.size++];
  step.kind = Step::Kind::kAdvance;
  step.owner = -1;
  step.advance = true;
  step.time = time;
  step.line = 0;
  step.ruleset = nullptr;
}

void PartitionedRun::Reload(absl::Time time,
                            std::shared_ptr<const Ruleset> ruleset) {
  if (ruleset != nullptr) {
    schema_ = ruleset.get();
    schemas_.push_back(ruleset);
    // As the partitions' engines will (their error comes with Finish).
    checker_->Reload(ruleset).IgnoreError();
  }
  Batch& batch = Filling();
  Step& step = batch.steps[batch.size++];
  step.kind = Step::Kind::kReload;
  step.owner = -1;
  step.advance = true;
  step.time = time;
  step.line = 0;
  step.ruleset = std::move(ruleset);
}

void PartitionedRun::Flush() {
  Publish();
  while (DrainOne()) {
  }
}

absl::Status PartitionedRun::Finish() {
  Flush();
  return reload_error_;
}

void PartitionedRun::Work(int p) {
  Part& part = *parts_[p];
  Engine& engine = *part.engine;
  const int partitions = static_cast<int>(parts_.size());
  uint64_t next = 0;
  for (;;) {
    Batch* batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || published_ > next; });
      if (published_ <= next) return;  // stopping, nothing left
      batch = ring_[next % ring_.size()].get();
    }
    Output& out = batch->outputs[p];
    PartSink sink(&out, options_.text);
    for (size_t i = 0; i < batch->size; ++i) {
      const Step& step = batch->steps[i];
      const uint32_t index = static_cast<uint32_t>(i);
      ++part.steps;
      if (step.kind == Step::Kind::kRefusal) continue;  // Merge reports it
      Event& event = part.event;
      Route route{step.owner, step.advance};
      absl::Time time = step.time;
      if (step.kind == Step::Kind::kLine) {
        // Every partition reads every line: each needs the line's validity
        // and time before its clock may move, and reading it here costs
        // less than handing the event over from the core that read it.
        if (part.reader_schema != step.schema) {
          part.reader =
              std::make_unique<EventReader>(*step.schema, options_.reader);
          part.reader_schema = step.schema;
        }
        absl::Status st =
            part.reader->Next(std::string_view(batch->lines)
                                  .substr(step.begin, step.end - step.begin),
                              &part.line_event);
        if (!st.ok()) {  // a bad line: no clock moves; partition 0 says so
          if (p == 0) out.refusals.push_back({index, std::move(st)});
          continue;
        }
        route =
            RouteOf(part.line_event, engine.CheckEvent(part.line_event).ok(),
                    step.schema->session_key(), partitions);
        time = part.line_event.time();
      }
      // Phase 0: the timers due at the step, as one engine fires them
      // before the event (Process fires nothing more after this).
      sink.At(index, 0);
      if (route.advance) {
        engine.AdvanceTo(time, &sink);
        part.NoteFirstErrors(0);
      }
      sink.At(index, 1);
      switch (step.kind) {
        case Step::Kind::kAdvance:
        case Step::Kind::kRefusal:  // skipped above
          break;
        case Step::Kind::kReload:
          if (absl::Status st = engine.Reload(step.ruleset); !st.ok()) {
            out.reload_error = st;
          }
          part.AfterReload();
          break;
        case Step::Kind::kEvent:
        case Step::Kind::kLine: {
          const bool global = route.owner == kGlobal;
          if (!global && route.owner != p) break;
          if (step.kind == Step::Kind::kEvent &&
              !event.Unpack(std::string_view(batch->packed)
                                .substr(step.begin, step.end - step.begin))) {
            // Cannot happen (the caller packed it); an error, not a crash.
            out.refusals.push_back(
                {index, absl::InternalError("a packed event did not unpack")});
            break;
          }
          if (global && p == 0) ++part.globals;
          const absl::Time event_time = step.kind == Step::Kind::kLine
                                            ? part.line_event.time()
                                            : event.time();
          const bool late =
              global && event_time < engine.now() &&
              engine.now() - event_time > options_.engine.late_tolerance;
          const absl::Status st = step.kind == Step::Kind::kLine
                                      ? engine.Process(part.line_event, &sink)
                                      : engine.Process(event, &sink);
          if (!st.ok()) {
            if (global) ++part.refused_globals;
            if (!global || p == 0) out.refusals.push_back({index, st});
          } else if (late) {
            ++part.late_globals;
          }
          break;
        }
      }
      part.NoteFirstErrors(1);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++batch->done;
    }
    done_cv_.notify_all();
    ++next;
  }
}

void PartitionedRun::Merge(Batch& batch) {
  const size_t n = parts_.size();
  std::vector<size_t> cursor(n, 0);
  std::vector<size_t> refusal(n, 0);
  std::string& merged = merge_buffer_;
  merged.clear();
  const auto flush = [&] {
    if (!merged.empty() && callbacks_.write) callbacks_.write(merged);
    merged.clear();
  };
  const auto at = [&](size_t p, uint32_t step, uint8_t phase) {
    const Output& out = batch.outputs[p];
    return cursor[p] < out.records.size() &&
           out.records[cursor[p]].step == step &&
           out.records[cursor[p]].phase == phase;
  };
  const auto take = [&](size_t p) {
    const Output& out = batch.outputs[p];
    const Output::Record& r = out.records[cursor[p]++];
    merged.append(out.bytes, r.begin, r.end - r.begin);
  };
  for (size_t i = 0; i < batch.size; ++i) {
    const uint32_t step = static_cast<uint32_t>(i);
    // Phase 0: by (time, session key); one partition per session.
    for (;;) {
      size_t best = n;
      for (size_t p = 0; p < n; ++p) {
        if (!at(p, step, 0)) continue;
        if (best == n) {
          best = p;
          continue;
        }
        const Output::Record& a = batch.outputs[p].records[cursor[p]];
        const Output::Record& b = batch.outputs[best].records[cursor[best]];
        if (a.time < b.time ||
            (a.time == b.time &&
             batch.outputs[p].key(a) < batch.outputs[best].key(b))) {
          best = p;
        }
      }
      if (best == n) break;
      // The rest of that session's decisions at that time come next.
      const Output& out = batch.outputs[best];
      const Output::Record& first = out.records[cursor[best]];
      const std::string_view key = out.key(first);
      const absl::Time time = first.time;
      do {
        take(best);
      } while (at(best, step, 0) && out.records[cursor[best]].time == time &&
               out.key(out.records[cursor[best]]) == key);
    }
    // Phase 1: the step's own event (its partition; every partition's, in
    // partition order, for a global event).
    for (size_t p = 0; p < n; ++p) {
      while (at(p, step, 1)) take(p);
    }
    if (batch.steps[i].kind == Step::Kind::kRefusal) {
      flush();  // the decisions before it first
      if (callbacks_.refused) {
        callbacks_.refused(batch.steps[i].line, batch.steps[i].error);
      }
    }
    for (size_t p = 0; p < n; ++p) {
      const Output& out = batch.outputs[p];
      while (refusal[p] < out.refusals.size() &&
             out.refusals[refusal[p]].step == step) {
        flush();  // the decisions before it first
        if (callbacks_.refused) {
          callbacks_.refused(batch.steps[i].line,
                             out.refusals[refusal[p]].error);
        }
        ++refusal[p];
      }
    }
  }
  flush();
  for (size_t p = 0; p < n; ++p) {
    if (!batch.outputs[p].reload_error.ok() && reload_error_.ok()) {
      reload_error_ = batch.outputs[p].reload_error;
    }
  }
}

// ---- after Finish -----------------------------------------------------------

EngineStats PartitionedRun::stats() const {
  EngineStats sum;
  const Ruleset& rs = ruleset();
  sum.rule_runs.assign(rs.rule_count(), 0);
  sum.rule_errors.assign(rs.rule_count(), 0);
  sum.rule_first_errors.assign(rs.rule_count(), std::string());
  std::vector<uint64_t> first_at(rs.rule_count(), UINT64_MAX);
  absl::flat_hash_map<std::string, int64_t> unmatched;
  // decisions_by_rule_action in one engine's order: rule order, then the
  // actions in the order EngineStats documents (engine.h).
  static constexpr std::string_view kActionOrder[] = {
      "route", "handoff", "deflect", "offer", "callback",
      "tag",   "set",     "emit",    "assign"};
  absl::flat_hash_map<std::string, int> rule_index;
  for (int r = 0; r < rs.rule_count(); ++r) rule_index[rs.rule_name(r)] = r;
  absl::flat_hash_map<std::pair<std::string, std::string>, int64_t> by_action;
  for (const std::unique_ptr<Part>& part : parts_) {
    const EngineStats& s = part->engine->stats();
    sum.events += s.events;
    sum.derived_events += s.derived_events;
    sum.late_events += s.late_events - part->late_globals;
    sum.rejected_events += s.rejected_events - part->refused_globals;
    sum.decisions += s.decisions;
    sum.timers_fired += s.timers_fired;
    sum.sessions_created += s.sessions_created;
    sum.sessions_expired += s.sessions_expired;
    sum.sessions_evicted += s.sessions_evicted;
    sum.timers_dropped += s.timers_dropped;
    sum.deflects_without_channel += s.deflects_without_channel;
    sum.derived_events_dropped += s.derived_events_dropped;
    for (size_t r = 0; r < s.rule_runs.size() && r < sum.rule_runs.size();
         ++r) {
      sum.rule_runs[r] += s.rule_runs[r];
      sum.rule_errors[r] += s.rule_errors[r];
    }
    for (const auto& [key, count] : s.decisions_by_rule_action) {
      by_action[key] += count;
    }
    for (const auto& [type, count] : s.unmatched_event_types) {
      unmatched[type] += count;
    }
    for (size_t r = 0;
         r < s.rule_first_errors.size() && r < sum.rule_first_errors.size();
         ++r) {
      if (s.rule_first_errors[r].empty()) continue;
      auto it = part->first_error_at.find(rs.rule_name(static_cast<int>(r)));
      const uint64_t at =
          it == part->first_error_at.end() ? UINT64_MAX - 1 : it->second;
      if (at < first_at[r]) {
        first_at[r] = at;
        sum.rule_first_errors[r] = s.rule_first_errors[r];
      }
    }
  }
  // Most frequent first, then by type (as one engine lists them).
  sum.unmatched_event_types.assign(unmatched.begin(), unmatched.end());
  std::sort(sum.unmatched_event_types.begin(), sum.unmatched_event_types.end(),
            [](const std::pair<std::string, int64_t>& a,
               const std::pair<std::string, int64_t>& b) {
              if (a.second != b.second) return a.second > b.second;
              return a.first < b.first;
            });
  // Global events: every partition processed them; one engine counts once.
  const int64_t copies = static_cast<int64_t>(parts_.size()) - 1;
  const Part& first = *parts_[0];
  sum.events -= copies * (first.globals - first.refused_globals);
  sum.late_events += first.late_globals;
  sum.rejected_events += first.refused_globals;
  for (const auto& [key, count] : by_action) {
    sum.decisions_by_rule_action.push_back({key, count});
  }
  const auto action_rank = [&](const std::string& action) {
    return std::find(std::begin(kActionOrder), std::end(kActionOrder), action) -
           std::begin(kActionOrder);
  };
  std::sort(sum.decisions_by_rule_action.begin(),
            sum.decisions_by_rule_action.end(),
            [&](const auto& a, const auto& b) {
              const int ra = rule_index[a.first.first];
              const int rb = rule_index[b.first.first];
              if (ra != rb) return ra < rb;
              return action_rank(a.first.second) < action_rank(b.first.second);
            });
  return sum;
}

std::vector<PendingTimer> PartitionedRun::PendingTimers() const {
  std::vector<PendingTimer> all;
  for (const std::unique_ptr<Part>& part : parts_) {
    std::vector<PendingTimer> timers = part->engine->PendingTimers();
    std::move(timers.begin(), timers.end(), std::back_inserter(all));
  }
  // One engine's order is deadline, session, then the order its rules run
  // in; each partition's list has it, and a session lives in one
  // partition, so a stable sort on (deadline, session) keeps the rest.
  std::stable_sort(all.begin(), all.end(),
                   [](const PendingTimer& a, const PendingTimer& b) {
                     if (a.deadline != b.deadline) {
                       return a.deadline < b.deadline;
                     }
                     return a.session < b.session;
                   });
  return all;
}

int64_t PartitionedRun::session_count() const {
  int64_t n = 0;
  for (const std::unique_ptr<Part>& part : parts_) {
    n += part->engine->session_count();
  }
  return n;
}

absl::Time PartitionedRun::now() const { return parts_[0]->engine->now(); }

const Ruleset& PartitionedRun::ruleset() const {
  return parts_[0]->engine->ruleset();
}

}  // namespace switchboard::service
