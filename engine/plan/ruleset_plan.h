// RulesetPlan: what the engine runs, decided once per ruleset.
//
// The plan stage sits between checking and running: CheckedRuleset
// (engine/check) -> RulesetPlan (here) -> Engine (engine/run). A plan is
// made once, when a ruleset loads (engine/plan/ruleset.cc), held by the
// public switchboard::Ruleset and shared by every engine of that ruleset:
// engines made with Engine::Create, and engines that Reload to it, take the
// plan and build no table of their own. As in cel-cpp's Program /
// Activation split, the plan is the program and the engine keeps only its
// mutable state (sessions, timers, scratch buffers, caches such as the
// attribute guesses of TypeEvent, queue statistics) and dispatch.
//
// What the plan holds, all indexes into CheckedRuleset's vectors:
//   - rule order: priority (higher first), then file order;
//   - the trigger index: exact event type -> enabled rules, the prefix
//     rules, and timer groups (enabled rules with the same idle / after
//     Trigger::key, which fire as one trigger), with the idle and after
//     groups listed apart;
//   - one RuleIndex (rule_index.h) per exact event type some rule names;
//   - the event attributes: name -> index, how an attribute of each index
//     is stored when typing an event, the names' lengths;
//   - the decision parameters of every action (ActionPlan);
//   - per channel, its fallback chain as channel indexes;
//   - the event types that end a conversation (every queue's ends_on and
//     the default ones);
//   - the declared session fields with their defaults, as a new session
//     starts.
//
// Thread-safety: immutable after construction; any number of engines on
// any threads may read one plan at once.
#ifndef SWITCHBOARD_ENGINE_PLAN_RULESET_PLAN_H_
#define SWITCHBOARD_ENGINE_PLAN_RULESET_PLAN_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "engine/check/checked_ruleset.h"
#include "engine/plan/records.h"
#include "engine/plan/rule_index.h"
#include "engine/plan/string_table.h"
#include "switchboard/decision.h"

namespace switchboard::plan {

// Rules whose timers share a Trigger::key: one trigger when due together.
struct TimerGroup {
  check::TriggerKind kind = check::TriggerKind::kIdle;
  absl::Duration delay;
  const check::Trigger* trigger = nullptr;  // of the first rule
  std::vector<int> rules;                   // enabled rules, in rule order
  int after_slot = -1;  // kAfter: index of the `since` record
};

// The decision parameters of one action, as views into the ruleset (lists
// and maps into this plan's own storage).
struct ActionPlan {
  std::vector<DecisionParam> params;
  std::deque<std::vector<std::string>> string_lists;  // kStringList storage
  std::deque<std::vector<std::pair<std::string, int64_t>>> int_maps;
  int to_param = -1;  // deflect: position of `to` in params
};

// How the engine stores an attribute (by schema index) of an input event
// whose value has the expected kind: in place, without a conversion.
enum class FastStore : uint8_t {
  kConvert,           // converted (dyn, lists, maps, times, durations...)
  kSkip,              // type and time: never taken from attributes
  kRouteTimeoutOnly,  // queue, waited: only on route.timeout (converted)
  kString,
  kInt,
  kDouble,  // a double, or an int converted
  kBool,
};

class RulesetPlan {
 public:
  // Plans `checked`, which must outlive the plan: the plan keeps pointers
  // to its triggers and views of its names and parameter values.
  explicit RulesetPlan(const check::CheckedRuleset& checked);
  RulesetPlan(const RulesetPlan&) = delete;
  RulesetPlan& operator=(const RulesetPlan&) = delete;

  const check::CheckedRuleset& checked() const { return *checked_; }

  // ---- rule order ----

  // Every rule (enabled or not) in rule order: priority (higher first),
  // then file order.
  const std::vector<int>& rule_order() const { return rule_order_; }
  // Rule (index in checked().rules) -> its position in rule_order().
  const std::vector<int>& rank() const { return rank_; }

  // ---- triggers ----

  // Exact event type -> the enabled rules that name it, in rule order.
  const absl::flat_hash_map<std::string, std::vector<int>>& exact_rules()
      const {
    return exact_rules_;
  }
  // (prefix including its final '.', rule) of the enabled rules, in rule
  // order.
  const std::vector<std::pair<std::string, int>>& prefix_rules() const {
    return prefix_rules_;
  }
  // Writes the enabled rules that an event of `type` triggers (exact and
  // prefix ones), in rule order, into `out` (cleared first); none for a
  // global event type (channel.*, agent.*).
  void EventRules(std::string_view type, std::vector<int>* out) const;

  // Timer groups, in the order of their first rule.
  const std::vector<TimerGroup>& timer_groups() const { return groups_; }
  // Indexes into timer_groups() of the idle groups and of the after groups
  // (after_groups()[g.after_slot] is the after group g).
  const std::vector<int>& idle_groups() const { return idle_groups_; }
  const std::vector<int>& after_groups() const { return after_groups_; }
  // The timer group of Trigger::key `key`, or -1.
  int FindTimerGroup(std::string_view key) const;

  // ---- rule index ----

  // The rule index of the exact event type `type`, over every rule it
  // triggers (exact and prefix ones, in rule order); null when no rule
  // names `type` exactly (then EventRules gives its prefix rules).
  const RuleIndex* FindRuleIndex(std::string_view type) const {
    const int32_t i = rule_index_of_type_.Find(type);
    return i < 0 ? nullptr : &rule_indexes_[i];
  }
  // The most bitset words of any rule index: what a RuleIndex::Scratch
  // needs for all of them.
  size_t rule_index_words() const { return rule_index_words_; }

  // ---- event attributes (checked().event_attributes) ----

  // Attribute name -> index.
  const absl::flat_hash_map<std::string, int>& attribute_index() const {
    return attribute_index_;
  }
  // Per attribute index: how it is stored (FastStore), and its name's
  // length.
  const std::vector<FastStore>& fast_store() const { return fast_store_; }
  const std::vector<uint32_t>& attribute_name_sizes() const {
    return attribute_name_sizes_;
  }

  // ---- actions, channels, sessions ----

  // The decision parameters of action `action` of rule `rule`.
  const ActionPlan& action_plan(int rule, int action) const {
    return action_plans_[rule][action];
  }
  // The fallback chain of channel `channel` (indexes in checked().channels)
  // as channel indexes, in order; unknown names left out.
  const std::vector<int>& fallback(int channel) const {
    return fallback_[channel];
  }
  // True when an event of `type` ends a conversation: it is in some
  // queue's ends_on, or one of the default ones (kDefaultEndsOn).
  bool EndsConversation(std::string_view type) const {
    return ends_on_types_.Find(type) >= 0;
  }
  // A new session's declared fields (by field index minus
  // kFirstDeclaredSessionField): its default, or absent.
  const std::vector<Slot>& default_fields() const { return default_fields_; }

 private:
  void PlanRuleOrder();
  void PlanTriggers();
  void PlanRuleIndexes();
  void PlanAttributes();
  void PlanActions();
  void PlanChannelsAndSessions();

  const check::CheckedRuleset* checked_;
  std::vector<int> rule_order_;
  std::vector<int> rank_;
  absl::flat_hash_map<std::string, std::vector<int>> exact_rules_;
  std::vector<std::pair<std::string, int>> prefix_rules_;
  std::vector<TimerGroup> groups_;
  absl::flat_hash_map<std::string, int> group_by_key_;
  std::vector<int> idle_groups_;
  std::vector<int> after_groups_;
  std::vector<RuleIndex> rule_indexes_;
  StringTable rule_index_of_type_;  // exact event type -> rule_indexes_
  size_t rule_index_words_ = 0;
  absl::flat_hash_map<std::string, int> attribute_index_;
  std::vector<FastStore> fast_store_;
  std::vector<uint32_t> attribute_name_sizes_;
  std::vector<std::vector<ActionPlan>> action_plans_;  // [rule][action]
  std::vector<std::vector<int>> fallback_;
  StringTable ends_on_types_;
  std::vector<Slot> default_fields_;
};

}  // namespace switchboard::plan

#endif  // SWITCHBOARD_ENGINE_PLAN_RULESET_PLAN_H_
