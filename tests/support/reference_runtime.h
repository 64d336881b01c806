// ReferenceRuntime: a slow, deliberately simple re-implementation of the
// engine's semantics (docs/events-and-decisions.md, docs/semantics.md), written
// independently of engine/run, for cross-checking the Engine on random rulesets
// and event streams (tests/run/runtime_cross_check_test.cc).
//
// Simplicity over speed: sessions in a std::map, pending timers in a plain
// std::vector scanned entirely at every step, rules scanned entirely for
// every trigger (no index), conditions evaluated through the compiled
// cel::Programs of the CheckedRuleset with this file's own Activation and
// ObjectValues.
//
// Covered: event triggers (types, lists, prefixes), idle (re-armed by
// customer events only), after/since/unless (restart, one wait per rule key
// and session, a timer beats an `unless` of the same instant), timers of one
// Trigger::key due together forming one trigger, rule order (priority, then
// file order), final, enabled, the condition snapshot, set (sequential, a
// failed assignment skipped alone, as the engine documents), emit (FIFO,
// parent's time and channel, no customer activity), exclusivity of
// route/handoff/deflect, deflect fallback by channel health, late events,
// AdvanceTo, session expiry (`expire` after the last event, never while a
// timer is pending or a routed conversation waits). Not covered: agents
// and assignment (the generator has none), queue() statistics, the
// derived-event cap's statistics, explanations.
#ifndef SWITCHBOARD_TESTS_SUPPORT_REFERENCE_RUNTIME_H_
#define SWITCHBOARD_TESTS_SUPPORT_REFERENCE_RUNTIME_H_

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/cel/value.h"
#include "switchboard/decision.h"
#include "switchboard/event.h"
#include "switchboard/ruleset.h"

namespace switchboard::testing {

// A decision as one comparable line:
// "time|session|rule|action|trigger|name=value;name=value" (time RFC 3339,
// durations as protobuf JSON, lists joined by ',', maps as k:v joined by
// ',').
std::string DecisionLine(const Decision& decision);

// A DecisionSink that keeps DecisionLine()s.
class LineSink : public DecisionSink {
 public:
  void OnDecision(const Decision& decision) override {
    lines.push_back(DecisionLine(decision));
  }
  std::vector<std::string> lines;
};

class ReferenceRuntime {
 public:
  explicit ReferenceRuntime(std::shared_ptr<const Ruleset> ruleset);
  ~ReferenceRuntime();

  // As Engine::Process: fires due timers, then the event and what it
  // derives; appends decision lines to `out`. Invalid events (no type, no
  // session key on a session event, an attribute of the wrong type, a
  // channel event without channel) return InvalidArgument and change nothing.
  absl::Status Process(const Event& event, std::vector<std::string>* out);
  // As Engine::AdvanceTo.
  void AdvanceTo(absl::Time time, std::vector<std::string>* out);
  absl::Time now() const { return clock_; }
  // Number of live sessions.
  int64_t session_count() const {
    return static_cast<int64_t>(sessions_.size());
  }
  // The pending timers as "deadline|session|rule|idle-or-after" lines, by
  // deadline, then session, then rule order (as Engine::PendingTimers).
  std::vector<std::string> PendingTimerLines() const;
  // Per rule (load order): evaluation errors counted as the engine counts
  // them (EngineStats::rule_errors): an `if` list is CEL's `&&` (a false
  // item wins over an error), a failed set or emit value.
  const std::vector<int64_t>& rule_errors() const { return rule_errors_; }

  // Public for the .cc's helpers; not part of the interface.
  struct Record {
    std::map<int, cel::Value> attrs;  // event attribute index -> owned value
  };
  struct Session {
    std::string id;
    bool has_channel = false;
    std::string channel;
    absl::Time started, last_seen;
    int64_t events = 0;
    // When the session last had no pending timer (for expiry).
    absl::Time timerless_since;
    std::map<int, cel::Value> fields;  // session field index -> owned value
    Record last_event;
    // Skill routing without agents: the queue its last `route` put it in
    // (-1: none), until an ends_on event of that queue. Such a session does
    // not expire (docs/semantics.md).
    int queue = -1;
  };
  struct Timer {
    std::string session;
    std::string key;  // Trigger::key
    absl::Time deadline;
    Record since;  // `after`: the since event
  };

 private:
  void FireDue(absl::Time limit, std::vector<std::string>* out);
  void Arm(const std::string& session, const std::string& key,
           absl::Time deadline, const Record* since);
  void Cancel(const std::string& session, const std::string& key);
  // Records the time a session's last pending timer went away.
  void NoteTimerGone(const std::string& session);
  void ApplyAfter(Session& s, const Record& rec, absl::Time now);
  std::vector<int> RulesForEvent(const std::string& type) const;
  std::vector<int> RulesForKey(const std::string& key) const;
  int KeyRank(const std::string& key) const;
  void RunTrigger(Session& s, const Record& event, absl::Time now,
                  const std::string& trigger, const std::vector<int>& rules,
                  std::vector<std::string>* out);
  void RunDerived(Session& s, absl::Time now, std::vector<std::string>* out);
  // Ends the session's conversation when `type` is in its queue's ends_on.
  void EndConversation(Session& s, const std::string& type, absl::Time now);
  bool ChannelUp(const std::string& name) const;

  std::shared_ptr<const Ruleset> ruleset_;
  absl::Time clock_ = absl::InfinitePast();
  std::map<std::string, Session> sessions_;
  std::vector<Timer> timers_;
  std::map<std::string, bool> channel_up_;
  std::deque<Record> derived_;
  std::vector<int> order_;  // rules in rule order (priority, file order)
  std::vector<int64_t> rule_errors_;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_SUPPORT_REFERENCE_RUNTIME_H_
