// The engine's trace (docs/cli.md, `switchboard run --trace FILE`): one
// record per trigger the engine evaluated, whether it decided or not, with
// each rule it considered and that rule's outcome. For rule authors: a rule
// that never fires (a condition that errs on a typo'd time zone, an absent
// attribute, a division by zero) shows up here with the error's message.
//
//   class Lines : public switchboard::TraceSink {
//     void OnTrigger(const switchboard::TriggerTrace& t) override {
//       std::puts(t.ToJson().c_str());
//     }
//   };
//   Lines lines;
//   switchboard::EngineOptions options;
//   options.trace = &lines;  // must outlive the engine
//
// Tracing costs nothing when EngineOptions::trace is null (one pointer test
// per trigger); when set, every trigger builds an explanation (allocates) and
// the rule index is off, so that every rule of a trigger is listed.
#ifndef SWITCHBOARD_TRACE_H_
#define SWITCHBOARD_TRACE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "switchboard/decision.h"

namespace switchboard {

// One trigger the engine evaluated. Views memory owned by the engine: valid
// only during the TraceSink call that receives it.
struct TriggerTrace {
  // The trigger's processing time: the event's (the clock's when it was
  // late), the timer's deadline, the parent's for a derived event.
  absl::Time time;
  std::string_view ruleset;
  // The session; empty for a global event (channel.*, agent.*). For an
  // assignment, the assigned conversation's session.
  std::string_view session;
  // The event type, "idle", "after" or "assign".
  std::string_view trigger;
  // Where the trigger came from: "event" (an input event), "derived" (an
  // `emit` or a `route.timeout`), "timer" (a group of idle / after timers
  // of one session and deadline) or "assign" (one assignment).
  std::string_view source;
  // Every rule the trigger considered, in the order they ran, with its
  // outcome ("ran", "false", "error", "overridden", "after_final"), its
  // evaluated conditions and values, and the detail (for "error", the
  // evaluation error's message); and the notes (deflect without a healthy
  // channel, assignment notes). Never null.
  const Explanation* explanation = nullptr;
  // How many decisions the trigger made.
  int64_t decisions = 0;

  // The trace record as one JSON object, without a newline:
  //   {"time":T,"ruleset":R,"session":S,"trigger":G,"source":O,
  //    "rules":[{"rule":N,"outcome":O,"conditions":[{"if":CEL,"value":V}],
  //              "detail":D},...],"notes":[...],"decisions":N}
  // (time RFC 3339 UTC; "session" always present, "" for global events;
  // "detail" only when non-empty).
  std::string ToJson() const;
  // Appends the same to `out`.
  void AppendJson(std::string* out) const;
};

// Receives trace records, synchronously, on the thread that called the
// engine (inside Process / AdvanceTo), after the trigger's decisions were
// delivered to the DecisionSink.
class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void OnTrigger(const TriggerTrace& trace) = 0;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_TRACE_H_
