// The engine: events in, decisions out, in event time.
//
// An Engine holds the state of one partition of the session key space:
// sessions with their fields and timers, channel health, and its clock (the
// largest event time seen, or a later time given to AdvanceTo). It has no
// global state; everything it knows is in the object.
//
// Threading: an Engine is not thread-safe; use one per thread or partition
// (many engines may share one Ruleset, which is immutable). Decisions are
// delivered synchronously to the caller's DecisionSink, on the calling
// thread, before Process / AdvanceTo return.
#ifndef SWITCHBOARD_ENGINE_H_
#define SWITCHBOARD_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/compact_event.h"
#include "switchboard/decision.h"
#include "switchboard/event.h"
#include "switchboard/ruleset.h"
#include "switchboard/trace.h"

namespace switchboard {

struct EngineOptions {
  // Attach an Explanation to every decision (slower; allocates). Default:
  // false.
  bool explain = false;
  // Find an event's candidate rules with the rule index (engine/plan/
  // rule_index.h: equality, `in` and range tests of the conditions on event
  // attributes) instead of evaluating every rule of the trigger. Exact: the
  // decisions, stats and error counts are the same either way. Ignored
  // (no pruning) when `explain` is on or `trace` is set. Default: true.
  bool index_rules = true;
  // The most live sessions the engine keeps; creating one more evicts the
  // longest-idle session (smallest last_seen; ties: the one touched
  // earliest), with its fields and pending timers, counted in
  // EngineStats::sessions_evicted. 0 = unlimited. Default: 1,000,000.
  int64_t max_sessions = 1000000;
  // How far behind the clock an event may be without being counted as late
  // (EngineStats::late_events). Such an event is still processed at the
  // clock's time, as every event older than the clock is; only the count
  // changes. For a service whose clock follows the wall clock, where events
  // reach the engine a little after the time they carry (`switchboard serve
  // --clock wall` uses 1 s). Default: zero (every event older than the
  // clock is counted).
  absl::Duration late_tolerance = absl::ZeroDuration();
  // Where to send one TriggerTrace per trigger evaluated (trace.h, docs/cli.md:
  // `switchboard run --trace FILE`); not owned, must outlive the engine, called
  // on the engine's thread. When set, every trigger builds an explanation and
  // the rule index is off (every rule of a trigger is listed); decisions and
  // stats are the same either way. Default: null (no tracing: Process costs one
  // pointer test more and allocates nothing).
  TraceSink* trace = nullptr;
};

// Counters since the engine was created. Rule-indexed vectors follow the
// ruleset's rule order.
struct EngineStats {
  int64_t events = 0;           // input events processed (not derived ones)
  int64_t derived_events = 0;   // emit / route.timeout events processed
  int64_t late_events = 0;      // events older than the clock
  int64_t rejected_events = 0;  // Process() calls that returned an error
  int64_t decisions = 0;
  int64_t timers_fired = 0;
  int64_t sessions_created = 0;
  int64_t sessions_expired = 0;
  int64_t sessions_evicted = 0;  // dropped by EngineOptions::max_sessions
  // Pending timers that Reload / Restore did not carry over, one per rule:
  // the rule is gone, or its `after` trigger changed, or it is no longer on
  // a timer (docs/reliability.md, "Reload, pending timers"). A changed
  // `idle` trigger is armed again from the session's last customer event.
  int64_t timers_dropped = 0;
  int64_t deflects_without_channel = 0;  // no healthy channel on the chain
  // Skill routing (docs/skill-routing.md).
  int64_t assignments = 0;              // `assign` decisions
  int64_t conversations_abandoned = 0;  // ended (ends_on) while waiting
  int64_t route_timeouts = 0;           // route.timeout events derived
  // Routes whose session had no channel, or one the queue does not serve:
  // they wait without being assignable until timeout, transfer or end.
  int64_t unassignable_routes = 0;
  int64_t transfers = 0;  // routes of a session already waiting or assigned
  int64_t conversations_waiting = 0;   // now, in every queue
  int64_t conversations_assigned = 0;  // now, with agents
  // agent.* events without effect: no `agent` string, an unknown type, or
  // ready / not_ready / logout / skills of an agent not logged in.
  int64_t agent_events_ignored = 0;
  // Derived events dropped because one trigger's emit chain passed the
  // engine's cap (1,000 derived events per input event or timer).
  int64_t derived_events_dropped = 0;
  std::vector<int64_t> rule_runs;    // per rule: triggers where it ran
  std::vector<int64_t> rule_errors;  // per rule: failed conditions/actions
  // Per rule: the message of its first evaluation error ("" when it had
  // none), e.g. "no such key: 'tier'". Kept by Reload for rules that stay;
  // not part of a snapshot (a restored engine starts with none).
  std::vector<std::string> rule_first_errors;
  // Input events whose type no trigger matched (no enabled rule's `on`, no
  // `since` or `unless` of an `after` timer, no queue's `ends_on`), by
  // type with their counts, most frequent first (then by type). Global
  // events (channel.*, agent.*) are left out. Catches `cart.update` sent
  // where the rules wait for `cart.updated`. Not part of a snapshot.
  std::vector<std::pair<std::string, int64_t>> unmatched_event_types;
  // Decisions per rule and action name, e.g. {"cart-abandonment", "offer"},
  // only those made: in rule order (the ruleset's), then in this order of
  // actions: route, handoff, deflect, offer, callback, tag, set, emit,
  // assign (the order `switchboard run`'s summary lists them in).
  std::vector<std::pair<std::pair<std::string, std::string>, int64_t>>
      decisions_by_rule_action;
};

// A timer waiting to fire, for the dry run's summary.
struct PendingTimer {
  absl::Time deadline;
  std::string session;
  std::string rule;
  // "idle" or "after"; for PendingRoutingTimers, "relax" (a queue's next
  // relax step for a waiting conversation) or "timeout" (its route
  // timeout), and `rule` is the rule whose route queued it.
  std::string trigger;
};

class Engine {
 public:
  // Creates an engine for `ruleset` (must be non-null). The clock starts at
  // absl::InfinitePast() (the first event sets it).
  static absl::StatusOr<std::unique_ptr<Engine>> Create(
      std::shared_ptr<const Ruleset> ruleset,
      const EngineOptions& options = {});

  virtual ~Engine() = default;

  // Processes one event: first fires every timer due at or before the
  // event's time (docs/semantics.md), then the event and the events it derives,
  // delivering each decision to `sink` (non-null). An event older than the
  // clock is processed at the clock's time and counted as late.
  // Errors (nothing is changed, the event is counted as rejected):
  // InvalidArgument when the event has no type, no time, no session key
  // (unless it is a global event: channel.*, agent.*) or an attribute of the
  // wrong type for the schema.
  virtual absl::Status Process(const Event& event, DecisionSink* sink) = 0;
  // The same for an event in compact form (compact_event.h), as
  // EventReader::Next fills one: the same decisions, stats and errors as
  // Process of the same Event, faster (the engine reads dense attribute
  // headers instead of Event's slots). The engine Create makes allocates
  // nothing here once warmed up, as for an Event; this default (for other
  // implementations of Engine) converts the event to an Event first.
  virtual absl::Status Process(const CompactEvent& event, DecisionSink* sink) {
    Event copy;
    event.CopyTo(&copy);
    return Process(copy, sink);
  }

  // The error Process would return for `event` before it moves the clock
  // (the errors listed above), or OK when Process would take it; processes
  // nothing and changes nothing a caller can observe (not const: it uses
  // the engine's scratch space). For a caller that must know whether an
  // event moves the clock before handing it on: service::PartitionedRun
  // does, so that partitions that do not own an event the engine refuses
  // leave their clocks alone, as one engine would.
  virtual absl::Status CheckEvent(const Event& event) = 0;
  virtual absl::Status CheckEvent(const CompactEvent& event) {
    Event copy;
    event.CopyTo(&copy);
    return CheckEvent(copy);
  }

  // Advances the clock to `time` (no-op when not later), firing the timers
  // that fall due, in deadline order.
  virtual void AdvanceTo(absl::Time time, DecisionSink* sink) = 0;

  // The engine's clock.
  virtual absl::Time now() const = 0;
  virtual const EngineStats& stats() const = 0;
  // How many rules have a first error in stats().rule_first_errors, without
  // building the stats (O(1) in the engine Create makes): for a caller that
  // watches for rules' first errors event by event (service::PartitionedRun
  // does, to report each rule's first error as one engine would).
  virtual int rules_with_errors() const {
    int n = 0;
    for (const std::string& e : stats().rule_first_errors) n += !e.empty();
    return n;
  }
  // Pending timers, by deadline (then session, then rule order).
  virtual std::vector<PendingTimer> PendingTimers() const = 0;
  // PendingTimers().size(), without building the list: O(live sessions),
  // allocates nothing (for metrics).
  virtual int64_t PendingTimerCount() const = 0;
  // Skill routing's pending wake-ups (docs/skill-routing.md): for each
  // waiting conversation, its next relax step and its route timeout, by
  // deadline (then session). Not included in PendingTimers.
  virtual std::vector<PendingTimer> PendingRoutingTimers() const { return {}; }
  // The earliest time at which something may fall due: a rule timer, a
  // session's expiry, a skill-routing wake-up (relax step, route timeout);
  // absl::InfiniteFuture() when nothing is pending. AdvanceTo(t) for a t
  // before it fires nothing. It may be earlier than anything that really
  // happens (a wake-up found stale when reached changes nothing but the
  // clock), never later. For a service that sleeps until then and calls
  // AdvanceTo with the wall clock. Amortized O(1); not const: it may drop
  // stale skill-routing wake-ups on the way.
  virtual absl::Time NextDeadline() = 0;
  // Number of live sessions.
  virtual int64_t session_count() const = 0;
  virtual const Ruleset& ruleset() const = 0;

  // ---- state (docs/reliability.md, "State: snapshot, restore, reload,
  // session limit") ----

  // The engine's whole state as bytes (a versioned binary format with a
  // CRC-32C): the clock, every live session (header, fields, pending timers
  // with their deadlines and `since` events, last event), channel health,
  // agents and queues, and the stats counters. Names (rules, fields, timer
  // triggers, channels) are stored as names, so a snapshot can be restored
  // under a changed ruleset. Does not change the engine.
  virtual absl::StatusOr<std::string> Snapshot() const = 0;

  // Replaces the engine's state with the one in `bytes` (from Snapshot(),
  // possibly of an engine with another ruleset: state is remapped by name as
  // Reload does). All or nothing: on error the engine is unchanged.
  // Errors: InvalidArgument (not a snapshot: wrong magic; or a format
  // version this build does not read), DataLoss (truncated, corrupted,
  // checksum mismatch, impossible counts or values).
  virtual absl::Status Restore(std::string_view bytes) = 0;

  // Swaps the ruleset (non-null) atomically, keeping the clock, sessions,
  // channel health, agents and queues: fields are kept by name (a removed
  // field is dropped, an added one gets its default or stays absent, one
  // whose type changed is reset), pending timers are kept by trigger
  // (Trigger::key) with their deadlines, idle triggers new in `ruleset` are
  // armed from each session's last customer event, and the rest are dropped
  // (EngineStats::timers_dropped, one per rule). Stats of rules that still
  // exist are kept by rule name. All or nothing: on error the engine keeps
  // its old ruleset and state. Errors: InvalidArgument for a null ruleset.
  // Restore and Reload must not be called from inside a DecisionSink
  // callback of the same engine; they cost time in proportion to the state.
  virtual absl::Status Reload(std::shared_ptr<const Ruleset> ruleset) = 0;
};

// The most bytes a snapshot's header takes (magic, format version, payload
// length).
inline constexpr size_t kSnapshotHeaderBytes = 27;

// The size in bytes of the snapshot that starts with `header` (its first
// kSnapshotHeaderBytes bytes, or the whole snapshot when shorter), read from
// the header alone: a caller can refuse a file that is not a snapshot, or
// that is larger than it is willing to read, before reading its body.
// Errors: InvalidArgument (not a snapshot, or a format version this build
// does not read), DataLoss (the header is cut short or malformed).
absl::StatusOr<uint64_t> SnapshotSize(std::string_view header);

}  // namespace switchboard

#endif  // SWITCHBOARD_ENGINE_H_
