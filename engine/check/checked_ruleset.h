// CheckedRuleset: a ruleset after checking, the data model the runtime engine
// reads. Every name is resolved (to an index where the engine needs one),
// every type checked, every CEL expression compiled to a cel::Program, every
// trigger decoded, every duration, date and clock time parsed. Built by
// CheckRuleset() (engine/check/checker.h) only when the ruleset has no
// errors; immutable afterwards and safe to share between threads.
//
// Pipeline: YAML text -> RuleFile (engine/load) -> CheckedRuleset (here) ->
// RulesetPlan (engine/plan/ruleset_plan.h); switchboard::Ruleset
// (include/switchboard/ruleset.h) holds both.
#ifndef SWITCHBOARD_ENGINE_CHECK_CHECKED_RULESET_H_
#define SWITCHBOARD_ENGINE_CHECK_CHECKED_RULESET_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/cel/ast.h"
#include "engine/cel/env.h"
#include "engine/cel/program.h"
#include "engine/cel/types.h"
#include "engine/cel/value.h"

namespace switchboard::check {

// Where a thing was written: a file as given to the loader, 1-based line and
// column.
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
};

// ---- session and event schema ----------------------------------------------

// A declared session field (`session.fields`). Built-in members (session.id,
// .channel, .started, .last_seen, .events) are not listed here; they are the
// first fields of the session object type (see rule_env.h).
struct SessionField {
  std::string name;
  cel::Type type;
  // The default as a value of `type`, or nullopt: the field is absent until
  // a `set` writes it.
  std::optional<cel::Value> default_value;
  // The field's index in the `session` object type (CheckedRuleset::
  // session_type), which is what compiled programs read.
  int index = 0;
  SourcePos pos;
};

struct SessionSpec {
  std::string key = "conversation";         // the event attribute naming it
  absl::Duration expire = absl::Hours(24);  // drop after this long idle
  std::vector<SessionField> fields;         // in declaration order
};

// An attribute of the `event` object type: the built-ins first (type,
// channel, time, the session key, queue, waited; see rule_env.h), then the
// declared ones in declaration order. index == position in the vector ==
// field index in CheckedRuleset::event_type.
struct EventAttribute {
  std::string name;
  cel::Type type;
  int index = 0;
  bool builtin = false;
  SourcePos pos;  // declared attributes only
};

// ---- calendars -------------------------------------------------------------

// Opening hours of one day: [start, end) in minutes after the day's local
// midnight. 0 <= start < 1440 and start < end <= start + 1440; an end past
// 1440 runs into the next day ("22:00-02:00" is {1320, 1560}) and belongs to
// the day it starts on. "24:00" is 1440.
struct MinuteRange {
  int start = 0;
  int end = 0;
  friend bool operator==(const MinuteRange& a, const MinuteRange& b) {
    return a.start == b.start && a.end == b.end;
  }
};

struct Calendar {
  std::string name;
  std::string zone_name;  // as written: "Europe/Berlin", "+02:00"
  absl::TimeZone zone;
  // Weekly hours by day: index 0 is Monday ... 6 is Sunday (the order of
  // absl::Weekday). Each day's ranges sorted by start. Days not written: {}.
  std::array<std::vector<MinuteRange>, 7> weekly;
  // Days closed all day (sorted, unique); wins over weekly and special.
  std::vector<absl::CivilDay> closed;
  // Days closed every year, written "MM-DD", as month * 100 + day (sorted,
  // unique); "02-29" only matches in leap years.
  std::vector<int> closed_yearly;
  // Days whose hours replace the weekly ones (an empty list: closed),
  // sorted by day, unique.
  std::vector<std::pair<absl::CivilDay, std::vector<MinuteRange>>> special;
  // The same every year ("MM-DD" as month * 100 + day), sorted; a dated
  // `special` of the same day wins.
  std::vector<std::pair<int, std::vector<MinuteRange>>> special_yearly;
  SourcePos pos;

  // Whether `day` is in `closed` or `closed_yearly` (binary search).
  bool IsClosed(absl::CivilDay day) const;
  // The special hours of `day` (dated, else yearly), or null when it has
  // none (binary search).
  const std::vector<MinuteRange>* FindSpecial(absl::CivilDay day) const;
  // The hours of `day` before `closed` applies: special, else weekly.
  const std::vector<MinuteRange>& HoursOf(absl::CivilDay day) const;
};

// ---- channels and queues ---------------------------------------------------

struct Channel {
  std::string name;
  bool builtin = false;   // one of the known channels (kBuiltinChannels)
  bool declared = false;  // listed under `channels:`
  // Where `deflect` goes, in order, when this channel is down (names of
  // known channels, never the channel itself).
  std::vector<std::string> fallback;
};

// A skill requirement: every agent needs `skill` at `level` (1..10) or above.
struct SkillLevel {
  std::string skill;
  int level = 1;
  friend bool operator==(const SkillLevel& a, const SkillLevel& b) {
    return a.skill == b.skill && a.level == b.level;
  }
};

// A relax step of a queue. Steps are cumulative and sorted by `after`
// (strictly increasing): at `after`, the skills in `drop` are no longer
// required and the levels in `skills` replace the current ones.
struct RelaxStep {
  absl::Duration after;
  std::vector<std::string> drop;
  std::vector<SkillLevel> skills;
};

struct Queue {
  std::string name;
  std::vector<SkillLevel> skills;     // in written order
  std::vector<std::string> channels;  // empty: every channel
  // Session events that end an assigned or waiting conversation.
  // Default: {"conversation.closed", "call.ended"}.
  std::vector<std::string> ends_on;
  std::vector<RelaxStep> relax;
  std::optional<absl::Duration> handle_time;  // estimator's assumption
  SourcePos pos;
};

// ---- rules -----------------------------------------------------------------

enum class TriggerKind : uint8_t {
  kEvent,  // event types and/or prefixes
  kIdle,   // {idle: D}
  kAfter,  // {after: D, since: T, unless: [...]}
};

// An event pattern: an exact type ("cart.updated") or a prefix written
// "cart.*", kept as "cart." (matches every type starting with it).
struct EventPattern {
  std::string text;  // exact type, or the prefix including its final '.'
  bool prefix = false;

  bool Matches(std::string_view type) const {
    return prefix ? type.size() > text.size() &&
                        type.substr(0, text.size()) == text
                  : type == text;
  }
  // As written: "cart.updated", "cart.*".
  std::string Written() const { return prefix ? text + "*" : text; }
};

struct Trigger {
  TriggerKind kind = TriggerKind::kEvent;
  // kEvent: the types and prefixes, as written (at least one).
  std::vector<EventPattern> events;
  // kIdle / kAfter: the delay (> 0).
  absl::Duration delay;
  // kAfter: the event that starts the wait, and those that cancel it.
  EventPattern since;
  std::vector<EventPattern> unless;
  // A normal form of the `on`: timers with the same key (same delay, since
  // and unless set) form one trigger (docs/semantics.md). Timers: "idle 1m30s",
  // "after 4h since cart.updated unless cart.cleared, order.placed" (delay
  // as absl::FormatDuration, unless sorted). Events: the patterns as
  // written, joined by ", " (informational).
  std::string key;
  SourcePos pos;
};

// One `if` condition. The condition of a rule is all of them (&&).
struct Condition {
  std::string text;                       // the CEL source
  SourcePos pos;                          // of the text's first character
  std::shared_ptr<const cel::Expr> expr;  // the checked tree, for --explain
  cel::Program program;                   // evaluates to bool (or an error)
};

// A CEL value computed by an action (`set` and `emit`): a literal, or a
// compiled expression of the target's type. Literals are YAML numbers and
// booleans (an int literal into a double becomes a double), and, for
// duration and timestamp targets, bare "90s" / RFC 3339 strings (which are
// not CEL). An int expression stored into a double is compiled as
// double(expr). Literal strings own their bytes.
struct ComputedValue {
  std::optional<cel::Value> literal;  // set when the YAML gave a literal
  std::string text;                   // the CEL source ("" for literals)
  cel::Program program;               // when !literal
  SourcePos pos;
};

// An action's literal parameter, in the order written, for the decision's
// JSON: string parameters as cel strings, `priority` as int, durations as
// cel durations, `skills` as a map string -> int, `tag`'s list as a list of
// strings under the name "labels".
struct ActionParam {
  std::string name;
  cel::Value value;
};

enum class ActionKind : uint8_t {
  kRoute,
  kHandoff,
  kDeflect,
  kOffer,
  kCallback,
  kTag,
  kSet,
  kEmit,
};

// The action's name as written in rules and decisions: "route", ...
std::string_view ActionName(ActionKind kind);

struct RouteAction {
  int queue = -1;        // index in CheckedRuleset::queues
  int64_t priority = 0;  // default 0
  // The required skills: as written, or (when not written) the queue's.
  std::vector<SkillLevel> skills;
  bool skills_written = false;
  std::optional<absl::Duration> timeout;  // none: waits until it ends
};
struct HandoffAction {
  bool to_agent = false;  // to: agent (true) or bot (false)
  std::string reason;     // "" when not written
};
struct DeflectAction {
  int channel = -1;  // index in CheckedRuleset::channels
  std::string message;
};
struct OfferAction {
  int channel = -1;  // index in CheckedRuleset::channels
  std::string message;
};
struct CallbackAction {
  absl::Duration within;
};
struct TagAction {
  std::vector<std::string> labels;
};
// `set`: assignments in written order; each value sees the session with the
// earlier assignments (and earlier actions of the trigger) applied.
struct SetAction {
  struct Assignment {
    std::string field;
    int field_index = 0;  // index in the session object type
    ComputedValue value;  // of the field's type
  };
  std::vector<Assignment> assignments;
};
// `emit`: a derived event of `type` for the same session.
struct EmitAction {
  std::string type;
  struct Attribute {
    std::string name;
    int attribute_index = 0;  // index in the event object type
    ComputedValue value;      // of the attribute's type
  };
  std::vector<Attribute> attributes;  // in written order
};

struct Action {
  ActionKind kind = ActionKind::kTag;
  SourcePos pos;
  // The literal parameters in written order (route, handoff, deflect, offer,
  // callback, tag); empty for set and emit.
  std::vector<ActionParam> params;
  std::variant<RouteAction, HandoffAction, DeflectAction, OfferAction,
               CallbackAction, TagAction, SetAction, EmitAction>
      detail;
};

struct Rule {
  std::string name;
  std::string description;
  int64_t priority = 0;
  Trigger trigger;
  std::vector<Condition> conditions;  // empty: always
  std::vector<Action> actions;
  bool final = false;
  bool enabled = true;
  int index = 0;  // file order (folder rulesets: file-name order, then line)
  SourcePos pos;  // of the rule's map
  // Session fields (indexes in the session object type) the rule's
  // expressions read and its `set`s write; sorted, unique.
  std::vector<int> reads;
  std::vector<int> writes;
};

// ---- the whole ruleset ----------------------------------------------------

struct CheckedRuleset {
  std::string name;
  std::vector<std::string> files;  // as given to the loader, in load order

  SessionSpec session;
  // The CEL object types and the environment every program was compiled
  // against (variables event, session, now; the extensions of rule_env.h).
  std::shared_ptr<const cel::ObjectType> event_type;
  std::shared_ptr<const cel::ObjectType> session_type;
  std::shared_ptr<const cel::ObjectType> queue_stats_type;
  std::shared_ptr<const cel::Env> env;
  std::vector<EventAttribute> event_attributes;  // == event_type's fields

  std::vector<Calendar> calendars;  // in written order
  std::vector<Channel> channels;  // built-ins (documented order), then declared
  std::vector<Queue> queues;      // in written order
  std::vector<Rule> rules;        // in file order

  // Number of distinct triggers (distinct Trigger::key) among the rules.
  int trigger_count = 0;

  // Lookups by name: the index, or -1.
  int FindCalendar(std::string_view name) const;
  int FindChannel(std::string_view name) const;
  int FindQueue(std::string_view name) const;
  int FindRule(std::string_view name) const;

  absl::flat_hash_map<std::string, int> calendar_index;
  absl::flat_hash_map<std::string, int> channel_index;
  absl::flat_hash_map<std::string, int> queue_index;
  absl::flat_hash_map<std::string, int> rule_index;
};

}  // namespace switchboard::check

#endif  // SWITCHBOARD_ENGINE_CHECK_CHECKED_RULESET_H_
