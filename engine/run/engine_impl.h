// EngineImpl: the implementation behind switchboard::Engine (engine.h).
//
// Data layout, chosen for the hot path (Process of an event for an existing
// session must not allocate in steady state):
//   - Sessions live in a slab (ChunkedSlab<Session>, session_slab.h:
//     chunks of 1,024 slots that never move) indexed by a uint32 slot; a
//     SessionIndex (a set of slots, hashing the key kept in the slot) maps
//     the session key to the slot (heterogeneous lookup by string_view, no
//     allocation). A freed slot keeps its storage
//     (field strings, event records) for the next session and bumps its
//     incarnation, which invalidates old timer wake-ups.
//   - The ruleset's immutable tables (rule order, the trigger index with
//     its timer groups, the rule indexes, attribute typing, decision
//     parameters, fallback chains, ends_on types, default session fields)
//     are its plan (engine/plan/ruleset_plan.h), built once when the
//     ruleset loads and shared by every engine of it: Create() and Reload()
//     build none of them. The engine keeps only mutable state.
//   - Timers: see timers.h (a min-heap of wake-ups, state in the session).
//   - Expiry: each live session has one expiry wake-up of its own kind
//     (kExpiryGroup), at started + expire, postponed lazily to last_seen +
//     expire when popped. When it falls due and the session has no armed
//     timer, the session is dropped; when timers are armed, the check is
//     queued again as soon as the last one fires or is cancelled.
//   - Session limit (EngineOptions::max_sessions): live sessions form an
//     intrusive list by last customer event (Session::lru_prev/next); a new
//     session beyond the limit evicts the head. When the timer heap holds
//     more than twice the wake-ups live sessions can own, the stale ones
//     (of dropped sessions) are compacted away (MaybeCompactTimers).
//   - Snapshot / Restore / Reload: snapshot.cc and reload.cc; Restore and
//     Reload rebuild the engine in place (ReplaceState).
//   - Scratch buffers (the typed input event, candidate lists, the rule
//     index's words, the derived event queue, the pending decisions of a
//     trigger, the condition snapshot) are members, reused across calls.
#ifndef SWITCHBOARD_ENGINE_RUN_ENGINE_IMPL_H_
#define SWITCHBOARD_ENGINE_RUN_ENGINE_IMPL_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/check/checked_ruleset.h"
#include "engine/plan/records.h"
#include "engine/plan/rule_index.h"
#include "engine/plan/ruleset_plan.h"
#include "engine/plan/string_table.h"
#include "engine/route/assigner.h"
#include "engine/run/session_slab.h"
#include "engine/run/timers.h"
#include "switchboard/decision.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/ruleset.h"

namespace switchboard::run {

// The records and tables of the plan stage (engine/plan), by their names.
using plan::AbslView;
using plan::ActionPlan;
using plan::EventObject;
using plan::EventRecord;
using plan::FastStore;
using plan::KeyWord;
using plan::RuleIndex;
using plan::RulesetPlan;
using plan::SessionHeader;
using plan::SessionObject;
using plan::Slot;
using plan::StoreOwned;
using plan::TimerGroup;

// Longest chain of derived events one input event or timer may cause.
inline constexpr int kMaxDerivedChain = 1000;

// "No session slot" in the lists of the session slab.
inline constexpr uint32_t kNoSlot = 0xFFFFFFFFu;

// `queue('q')` for CEL: the statistics of one queue (agents.cc).
class QueueStatsObject final : public cel::ObjectValue {
 public:
  explicit QueueStatsObject(const cel::ObjectType* type) : type_(type) {}
  const cel::ObjectType& type() const override { return *type_; }
  cel::Value GetField(int index) const override;
  bool HasField(int index) const override { return true; }
  route::QueueStats stats;

 private:
  const cel::ObjectType* type_;
};

// The events a session keeps for its timers.
struct SessionRecords {
  EventRecord last_event;                 // last customer event (idle timers)
  std::vector<EventRecord> since_events;  // per `after` group
};

struct Session {
  SessionHeader header;
  uint32_t incarnation = 0;
  bool live = false;
  bool expiry_queued = false;
  int armed = 0;  // armed timers
  // Live sessions form a list by last touch (max_sessions evicts the head):
  // slab slots, kNoSlot at the ends.
  uint32_t lru_prev = kNoSlot;
  uint32_t lru_next = kNoSlot;
  std::vector<Slot> fields;       // declared fields
  std::vector<TimerSlot> timers;  // per timer group
  // The kept events, only for rulesets with idle or after timers (else
  // null: 8 bytes instead of 48 per session). Kept when the slot is freed.
  std::unique_ptr<SessionRecords> records;
};

// Maps a session key to its slab slot without a second copy of the key: the
// set holds slots, and hashes and compares the key kept in the slot's
// header (heterogeneous lookup by string_view, no allocation). One live
// session costs 4 bytes here (plus the table's free capacity) instead of a
// std::string and a slot.
class SessionIndex {
 public:
  explicit SessionIndex(const ChunkedSlab<Session>* slab)
      : set_(0,
             Hash{slab,
                  absl::Hash<const void*>{}(static_cast<const void*>(this))},
             Eq{slab}) {}

  // The slot of `id`, or kNoSlot.
  uint32_t Find(std::string_view id) const {
    auto it = set_.find(id);
    return it == set_.end() ? kNoSlot : *it;
  }
  bool Contains(std::string_view id) const { return set_.contains(id); }
  // Adds slot `s`, whose header.id must be set and not yet indexed.
  void Insert(uint32_t s) { set_.insert(s); }
  // Removes the slot of `id` (call before the slot's id changes).
  void Erase(std::string_view id) { set_.erase(id); }

 private:
  struct Hash {
    using is_transparent = void;
    const ChunkedSlab<Session>* slab;
    uint64_t seed;  // per index (its address): keys cannot be chosen to collide
    size_t operator()(std::string_view id) const {
      const size_t n = id.size();
      if (n > 16) {
        return absl::Hash<absl::string_view>{}(AbslView(id)) ^ seed;
      }
      // Keys of up to 16 bytes (the usual): two words, one 128-bit
      // multiply (as wyhash's mix), inline.
      uint64_t a, b;
      if (n >= 8) {
        std::memcpy(&a, id.data(), 8);
        std::memcpy(&b, id.data() + n - 8, 8);
      } else {
        a = KeyWord(id);
        b = 0;
      }
      const unsigned __int128 m =
          static_cast<unsigned __int128>(a ^ seed ^ 0xA0761D6478BD642Full) *
          (b ^ n ^ 0xE7037ED1A0B428DBull);
      return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
    }
    size_t operator()(uint32_t s) const {
      return (*this)(std::string_view((*slab)[s].header.id));
    }
  };
  struct Eq {
    using is_transparent = void;
    const ChunkedSlab<Session>* slab;
    std::string_view Key(std::string_view id) const { return id; }
    std::string_view Key(uint32_t s) const { return (*slab)[s].header.id; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return Key(a) == Key(b);
    }
  };
  absl::flat_hash_set<uint32_t, Hash, Eq> set_;
};

// The timer groups of the engine that wrote a snapshot (its header's tail):
// trigger key -> the names of the group's rules. `known` is false for a
// snapshot written before this was recorded.
struct WriterTimerGroups {
  bool known = false;
  absl::flat_hash_map<std::string_view, std::vector<std::string_view>> rules;
  absl::flat_hash_set<std::string_view> idle_rules;  // rules of idle groups
};

class EngineImpl final : public Engine {
 public:
  EngineImpl(std::shared_ptr<const Ruleset> ruleset,
             const EngineOptions& options);

  absl::Status Process(const Event& event, DecisionSink* sink) override;
  absl::Status Process(const CompactEvent& event, DecisionSink* sink) override;
  absl::Status CheckEvent(const Event& event) override {
    return TypeEvent(event);  // Process types its event again
  }
  absl::Status CheckEvent(const CompactEvent& event) override {
    return TypeEvent(event);
  }
  void AdvanceTo(absl::Time time, DecisionSink* sink) override;
  absl::Time now() const override { return clock_; }
  const EngineStats& stats() const override;
  std::vector<PendingTimer> PendingTimers() const override;
  int64_t PendingTimerCount() const override;
  std::vector<PendingTimer> PendingRoutingTimers() const override;
  absl::Time NextDeadline() override;
  int64_t session_count() const override { return live_sessions_; }
  int rules_with_errors() const override { return rules_with_errors_; }
  const Ruleset& ruleset() const override { return *ruleset_; }
  absl::StatusOr<std::string> Snapshot() const override;  // snapshot.cc
  absl::Status Restore(std::string_view bytes) override;  // snapshot.cc
  absl::Status Reload(std::shared_ptr<const Ruleset> ruleset) override;

  // Answers the rule extensions (open, channel_up, queue) at `now`.
  cel::Value CallExtension(int id, absl::Span<const cel::Value> args,
                           absl::Time now) const;

 private:
  // ---- input (engine_impl.cc) ----
  // Types `event` into input_ by the schema; errors leave the engine as is.
  absl::Status TypeEvent(const Event& event);
  absl::Status TypeEvent(const CompactEvent& event);
  // TypeEvent's work for either form (`attributes` gives the attributes by
  // position; `tagged`: their schema indexes are this ruleset's).
  template <typename Attributes>
  absl::Status TypeAttributes(std::string_view event_type,
                              absl::Time event_time,
                              const Attributes& attributes, bool tagged);
  // Process after TypeEvent succeeded: the event is in input_ (`event` or
  // `compact` is the caller's, for agent.* events).
  void RunTyped(absl::Time event_time, const Event* event,
                const CompactEvent* compact, DecisionSink* sink);
  void ApplyGlobal(const EventRecord& record);
  uint32_t FindOrCreateSession(std::string_view id, absl::Time now);
  // Gives `session` its kept records when the ruleset has idle or after
  // timers (sized for the after groups).
  void EnsureRecords(Session& session);

  // ---- timers and sessions (engine_impl.cc) ----
  void Arm(uint32_t s, int group, absl::Time deadline);
  void Cancel(uint32_t s, int group);
  void EnsureExpiryQueued(uint32_t s);
  // Fires every wake-up due at or before `limit`.
  void FireDue(absl::Time limit, DecisionSink* sink);
  void FireTimer(const TimerEntry& entry, DecisionSink* sink);
  void HandleExpiry(const TimerEntry& entry);
  // Frees a live session; `evicted` counts it as evicted, else expired.
  void DropSession(uint32_t s, bool evicted = false);
  // Drops the heap's stale wake-ups when they outnumber the live ones.
  void MaybeCompactTimers();
  // The list of live sessions by last touch (see Session::lru_prev).
  void LruAppend(uint32_t s);
  void LruUnlink(uint32_t s);
  void LruTouch(uint32_t s) {
    if (lru_tail_ != s) {
      LruUnlink(s);
      LruAppend(s);
    }
  }

  // ---- state (snapshot.cc) ----
  // Writes the snapshot payload (no frame).
  void WriteState(common::SnapshotWriter& w) const;
  // Decodes `payload` and, when it is valid, replaces this engine's state
  // with it (remapped by name to this engine's ruleset); on error nothing
  // changes.
  absl::Status ReadState(std::string_view payload, size_t base_offset);
  // The sessions section of ReadState; `writer` describes the timer groups
  // of the engine that wrote it.
  absl::Status ReadSessions(common::SnapshotReader& r,
                            const WriterTimerGroups& writer);
  // After a session's pending timers are read (ReadSessions): arms the idle
  // groups that are new in this ruleset, and counts the rules whose pending
  // timer does not carry over (EngineStats::timers_dropped).
  void CarryTimersOver(uint32_t s, const WriterTimerGroups& writer,
                       absl::Span<const std::string_view> pending_keys,
                       absl::Span<const int> rule_group);
  // Restore / Reload: checks that `payload` reads under `ruleset` (else
  // returns the error, nothing changed), then rebuilds *this in place for
  // `ruleset` with that state. `payload` must not point into *this.
  absl::Status ReplaceState(std::shared_ptr<const Ruleset> ruleset,
                            std::string_view payload, size_t base_offset);
  // Applies `since` / `unless` of the after groups for an event of `type`
  // (the since record is `record`).
  void ApplyAfterTriggers(uint32_t s, const EventRecord& record,
                          absl::Time now);

  // ---- skill routing (agents.cc) ----
  // agent.* events: the `agent`, `skills`, `capacity`, `ready` members of
  // the raw event (they are not schema attributes).
  void ApplyAgentEvent(const Event& event, absl::Time now);
  // A `route` decision of session `s` by `rule`: enqueue (or transfer).
  void EnqueueRoute(uint32_t s, int rule, const check::RouteAction& route,
                    absl::Time now);
  // An event of `type` for session `s`: ends its conversation when `type`
  // is in its queue's ends_on.
  void EndConversationOn(uint32_t s, std::string_view type, absl::Time now);
  // Runs assignment at `now`, delivering `assign` decisions.
  void RunAssign(absl::Time now, DecisionSink* sink);
  // The Assigner's wake-up at `t`: relax steps, assignment, then each route
  // timeout (derived route.timeout for its session) and assignment.
  void FireAssigner(absl::Time t, DecisionSink* sink);
  // queue('q') for the queue of index `q` at `now`.
  cel::Value QueueStatsValue(int q, absl::Time now) const;

  // ---- dispatch (dispatch.cc) ----
  // The enabled event rules that `type` triggers, in rule order, into
  // candidates_.
  // With the rule index (options_.index_rules, not explaining), only the
  // rules whose indexed tests the event passes (rule_index.h).
  // Also sets type_triggers_rules_: whether any enabled rule's `on`
  // matches the type (pruned or not).
  void CollectEventRules(const EventRecord& event);
  // Counts an input event of `type`, which no rule's `on` matches, in
  // unmatched_ unless an `after` timer's since / unless or a queue's
  // ends_on names it (EngineStats::unmatched_event_types).
  void CountUnmatched(std::string_view type);
  // Runs one trigger: conditions, actions, decisions (delivered at the end,
  // with the complete explanation).
  // `source` names the trigger's origin in the trace (TriggerTrace::source).
  void RunTrigger(uint32_t s, const EventRecord& event, absl::Time now,
                  std::string_view trigger, absl::Span<const int> rules,
                  DecisionSink* sink, std::string_view source);
  // Sends explanation_ as the record of one trigger to options_.trace
  // (non-null); `s` may be kNoSlot (a global event: no session).
  void Trace(uint32_t s, absl::Time now, std::string_view trigger,
             std::string_view source, int64_t decisions);
  // Counts an evaluation error of rule `r`, keeping the first one's message
  // (`error`'s, or `otherwise` when it is not an error value).
  void CountRuleError(int r, const cel::Value& error,
                      std::string_view otherwise);
  // Processes the derived events queued by the last trigger(s).
  void ProcessDerived(uint32_t s, absl::Time now, DecisionSink* sink);
  // A `set` / `emit` action of `rule`; false (the error counted, and
  // described in *detail when non-null) when a value failed.
  bool RunSet(int rule, const check::SetAction& set, Session& session,
              const cel::Activation& live, std::string* detail);
  bool RunEmit(int rule, const check::EmitAction& emit,
               const EventRecord& parent, absl::Time parent_time,
               const Session& session, const cel::Activation& live,
               std::string* detail);
  void Deliver(uint32_t s, absl::Time now, std::string_view trigger,
               DecisionSink* sink);

  std::shared_ptr<const Ruleset> ruleset_;
  const check::CheckedRuleset* rs_;
  const RulesetPlan* plan_;  // of ruleset_
  EngineOptions options_;
  absl::Time clock_ = absl::InfinitePast();
  mutable EngineStats stats_;
  std::vector<int64_t> decision_counts_;  // rule * kActionKinds + kind

  // TypeEvent's guesses: the attribute index of the i-th attribute of the
  // last event (-1: none). Fixed size, no allocation per event.
  std::vector<int> attr_guess_;

  // Channel health (by channel index); names the ruleset does not know
  // are kept by name.
  std::vector<uint8_t> channel_up_;
  absl::flat_hash_map<std::string, bool> other_channels_;

  // Skill routing (agents.cc): the Assigner, queue() results (one object
  // per queue, refreshed at each call), scratch for assign decisions.
  route::Assigner assigner_;
  mutable std::vector<std::unique_ptr<QueueStatsObject>> queue_objects_;
  std::vector<route::Assignment> assignments_;
  std::vector<DecisionParam> assign_params_;
  Explanation assign_explanation_;
  route::Assigner::IntMap agent_skills_;
  route::Assigner::IntMap agent_capacity_;
  std::vector<int64_t> assign_counts_;  // per rule: assign decisions
  int64_t agent_events_ignored_ = 0;    // agent.* without a usable `agent`

  // Sessions.
  ChunkedSlab<Session> slab_;
  std::vector<uint32_t> free_slots_;
  SessionIndex session_index_{&slab_};
  int64_t live_sessions_ = 0;
  int rules_with_errors_ = 0;    // set entries of stats_.rule_first_errors
  uint32_t lru_head_ = kNoSlot;  // least recently touched live session
  uint32_t lru_tail_ = kNoSlot;
  TimerHeap heap_;

  // Scratch, reused.
  EventRecord input_;
  // Process(CompactEvent) of an agent.* event: the event as an Event for
  // ApplyAgentEvent (rare: not worth a second reader of agent events).
  Event agent_event_;
  // The slots of input_ that TypeEvent filled (cleared by the next call),
  // and whether input_ must be reset whole (it was swapped with a kept
  // record).
  std::vector<uint32_t> input_filled_;  // [0, input_filled_count_)
  size_t input_filled_count_ = 0;
  bool input_dirty_ = true;
  std::vector<std::unique_ptr<EventRecord>> derived_;
  size_t derived_size_ = 0;
  std::vector<int> candidates_;
  bool type_triggers_rules_ = false;  // set by CollectEventRules
  // Input events no trigger matched, by type (allocates once per type).
  absl::flat_hash_map<std::string, int64_t> unmatched_;
  RuleIndex::Scratch index_scratch_;  // for the plan's rule indexes
  bool prune_rules_ = false;          // index_rules && !explain && !trace
  bool explaining_ = false;           // explain || trace: build explanation_
  std::vector<Slot> snapshot_;
  // The session fields before a `set`, restored when one of its values fails.
  std::vector<Slot> set_undo_;
  struct PendingDecision {
    int rule;
    int action;
    int deflect_to;  // deflect: the chosen channel
  };
  std::vector<PendingDecision> pending_;
  std::vector<DecisionParam> deflect_params_;
  std::vector<TimerEntry> batch_;
  std::vector<TimerEntry> expiry_batch_;
  Explanation explanation_;
};

}  // namespace switchboard::run

#endif  // SWITCHBOARD_ENGINE_RUN_ENGINE_IMPL_H_
