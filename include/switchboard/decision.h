// What the engine decides: one Decision per action that emits one (route,
// handoff, deflect, offer, callback, tag; and, with agents, assign). A
// Decision views memory owned by the engine and its ruleset: it is valid
// only during the DecisionSink call that receives it; copy what you keep
// (ToJson() makes a self-contained line).
#ifndef SWITCHBOARD_DECISION_H_
#define SWITCHBOARD_DECISION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"

namespace switchboard {

// A parameter of a decision, as written in the rule (`queue`, `priority`,
// `skills`, `timeout`, `to`, `reason`, `message`, `channel`, `within`,
// `labels`) or added by the engine (deflect's `requested` and `reason`,
// assign's `queue`, `agent`, `waited`).
struct DecisionParam {
  enum class Kind : uint8_t { kString, kInt, kDuration, kStringList, kIntMap };
  std::string_view name;
  Kind kind = Kind::kString;
  std::string_view string_value;
  int64_t int_value = 0;
  absl::Duration duration_value;
  absl::Span<const std::string> strings;                   // kStringList
  absl::Span<const std::pair<std::string, int64_t>> ints;  // kIntMap
};

// Why a decision was made (EngineOptions::explain). Allocates; only built
// when asked for.
struct Explanation {
  struct ConditionValue {
    std::string text;   // the CEL source of the condition
    std::string value;  // its value: true, false, or error("...")
  };
  struct RuleOutcome {
    std::string rule;
    // "ran", "false" (a condition was false), "error" (a condition or an
    // action failed), "overridden" (its route/handoff/deflect lost to a
    // higher-priority rule), "after_final" (a final rule ran before it).
    std::string outcome;
    std::vector<ConditionValue> conditions;
    std::string detail;  // e.g. the error, or who overrode it
  };
  // Every rule the trigger considered, in the order they ran.
  std::vector<RuleOutcome> rules;
  // Free-form notes, e.g. "whatsapp is down; chose sms".
  std::vector<std::string> notes;
};

struct Decision {
  absl::Time time;  // event time (a timer's deadline for timers)
  std::string_view ruleset;
  std::string_view session;
  std::string_view rule;
  std::string_view action;   // "route", "handoff", "deflect", ...
  std::string_view trigger;  // the event type, "idle", "after" or "assign"
  absl::Span<const DecisionParam> params;    // in the rule's written order
  const Explanation* explanation = nullptr;  // with EngineOptions::explain

  // The decision as one JSON object (docs/events-and-decisions.md), without a
  // newline: time (RFC 3339 UTC), ruleset, session, rule, action, the params,
  // trigger, and "explain" when there is an explanation.
  std::string ToJson() const;
  // Appends the same to `out` (no allocation when `out` has room).
  void AppendJson(std::string* out) const;

  // The decision for people (`run --format text`), without a final newline:
  //
  //   2026-11-23T10:00:50.250Z v-3 busy: deflect to=sms requested=whatsapp (on
  //   message.received)
  //
  // time (RFC 3339 UTC), session, "rule:", action, the params as name=value
  // in the rule's written order (durations as rules write them, "2h",
  // "1m30s"; lists and maps comma-separated, "labels=vip,gold",
  // "skills=billing:2"), and "(on TRIGGER)". A value that is empty or holds
  // a space, a quote, a backslash or a control character (or, in a list or
  // map, a ',' or ':') is written as a JSON string, so a line is always one
  // line. With an explanation, each rule considered follows on a line of its
  // own, indented by two spaces (rule, outcome, each evaluated condition as
  // "CEL -> value" separated by "; ", the detail in brackets), then each
  // note as "  note: ...".
  std::string ToText() const;
  // Appends the same to `out`.
  void AppendText(std::string* out) const;
};

// Receives decisions, synchronously, on the thread that called the engine.
class DecisionSink {
 public:
  virtual ~DecisionSink() = default;
  virtual void OnDecision(const Decision& decision) = 0;
};

// Appends `s` to `out` as a JSON string, quotes included, escaped as the
// strings of decisions are (control characters as \uXXXX, invalid UTF-8
// replaced by U+FFFD): for JSON that a tool writes beside decisions, so that
// the project has one JSON string escaper.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace switchboard

#endif  // SWITCHBOARD_DECISION_H_
