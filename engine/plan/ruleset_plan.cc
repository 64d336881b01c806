// RulesetPlan: builds the tables an engine runs from a CheckedRuleset (see
// ruleset_plan.h), once per ruleset.
#include "engine/plan/ruleset_plan.h"

#include <algorithm>
#include <utility>

#include "engine/cel/types.h"
#include "engine/cel/value.h"
#include "engine/check/rule_env.h"

namespace switchboard::plan {
namespace {

using ::switchboard::check::kDefaultEndsOn;

using ::switchboard::check::ActionKind;
using ::switchboard::check::ActionParam;
using ::switchboard::check::CheckedRuleset;
using ::switchboard::check::EventAttribute;
using ::switchboard::check::EventPattern;
using ::switchboard::check::IsGlobalEventType;
using ::switchboard::check::kEventQueueField;
using ::switchboard::check::kEventTimeField;
using ::switchboard::check::kEventTypeField;
using ::switchboard::check::kEventWaitedField;
using ::switchboard::check::kFirstDeclaredSessionField;
using ::switchboard::check::Queue;
using ::switchboard::check::Rule;
using ::switchboard::check::SessionField;
using ::switchboard::check::Trigger;
using ::switchboard::check::TriggerKind;

// A decision parameter viewing `value` (owned by the ruleset), with storage
// for lists and maps in `plan`.
DecisionParam MakeParam(std::string_view name, const cel::Value& value,
                        ActionPlan* plan) {
  DecisionParam p;
  p.name = name;
  switch (value.kind()) {
    case cel::ValueKind::kInt:
      p.kind = DecisionParam::Kind::kInt;
      p.int_value = value.int_value();
      break;
    case cel::ValueKind::kDuration:
      p.kind = DecisionParam::Kind::kDuration;
      p.duration_value = value.duration_value();
      break;
    case cel::ValueKind::kList: {
      std::vector<std::string>& list = plan->string_lists.emplace_back();
      for (const cel::Value& e : value.list_value().elements()) {
        list.push_back(e.kind() == cel::ValueKind::kString
                           ? std::string(e.string_value())
                           : e.DebugString());
      }
      p.kind = DecisionParam::Kind::kStringList;
      p.strings = list;
      break;
    }
    case cel::ValueKind::kMap: {
      auto& map = plan->int_maps.emplace_back();
      for (const auto& [k, v] : value.map_value().entries()) {
        map.emplace_back(k.kind() == cel::ValueKind::kString
                             ? std::string(k.string_value())
                             : k.DebugString(),
                         v.kind() == cel::ValueKind::kInt ? v.int_value() : 0);
      }
      p.kind = DecisionParam::Kind::kIntMap;
      p.ints = map;
      break;
    }
    case cel::ValueKind::kString:
      p.kind = DecisionParam::Kind::kString;
      p.string_value = value.string_value();
      break;
    default:
      p.kind = DecisionParam::Kind::kString;
      p.string_value = "";
      break;
  }
  return p;
}

// How an attribute of `index` and `type` is stored (FastStore).
FastStore FastStoreOf(size_t index, const cel::Type& type) {
  if (index == kEventTypeField || index == kEventTimeField) {
    return FastStore::kSkip;
  }
  if (index == kEventQueueField || index == kEventWaitedField) {
    return FastStore::kRouteTimeoutOnly;
  }
  if (type.is_dyn()) return FastStore::kConvert;
  switch (type.kind()) {
    case cel::TypeKind::kString:
      return FastStore::kString;
    case cel::TypeKind::kInt:
      return FastStore::kInt;
    case cel::TypeKind::kDouble:
      return FastStore::kDouble;
    case cel::TypeKind::kBool:
      return FastStore::kBool;
    default:
      return FastStore::kConvert;
  }
}

}  // namespace

RulesetPlan::RulesetPlan(const CheckedRuleset& checked) : checked_(&checked) {
  PlanRuleOrder();
  PlanTriggers();
  PlanRuleIndexes();
  PlanAttributes();
  PlanActions();
  PlanChannelsAndSessions();
}

void RulesetPlan::PlanRuleOrder() {
  const std::vector<Rule>& rules = checked_->rules;
  const int n = static_cast<int>(rules.size());
  rule_order_.resize(n);
  for (int i = 0; i < n; ++i) rule_order_[i] = i;
  std::stable_sort(rule_order_.begin(), rule_order_.end(),
                   [&rules](int a, int b) {
                     const Rule& ra = rules[a];
                     const Rule& rb = rules[b];
                     if (ra.priority != rb.priority) {
                       return ra.priority > rb.priority;
                     }
                     return ra.index != rb.index ? ra.index < rb.index : a < b;
                   });
  rank_.assign(n, 0);
  for (int i = 0; i < n; ++i) rank_[rule_order_[i]] = i;
}

void RulesetPlan::PlanTriggers() {
  for (int r : rule_order_) {
    const Rule& rule = checked_->rules[r];
    if (!rule.enabled) continue;
    const Trigger& t = rule.trigger;
    if (t.kind == TriggerKind::kEvent) {
      for (const EventPattern& p : t.events) {
        if (p.prefix) {
          prefix_rules_.emplace_back(p.text, r);
        } else {
          std::vector<int>& list = exact_rules_[p.text];
          if (list.empty() || list.back() != r) list.push_back(r);
        }
      }
      continue;
    }
    auto [it, inserted] =
        group_by_key_.emplace(t.key, static_cast<int>(groups_.size()));
    if (inserted) {
      TimerGroup g;
      g.kind = t.kind;
      g.delay = t.delay;
      g.trigger = &t;
      groups_.push_back(std::move(g));
    }
    groups_[it->second].rules.push_back(r);  // rule_order_ is rule order
  }
  // Groups were created in the order of their first rule: already sorted.
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (groups_[g].kind == TriggerKind::kIdle) {
      idle_groups_.push_back(static_cast<int>(g));
    } else {
      groups_[g].after_slot = static_cast<int>(after_groups_.size());
      after_groups_.push_back(static_cast<int>(g));
    }
  }
}

void RulesetPlan::PlanRuleIndexes() {
  std::vector<int> rules;
  for (const auto& entry : exact_rules_) {
    EventRules(entry.first, &rules);
    rule_index_of_type_.Insert(entry.first,
                               static_cast<int32_t>(rule_indexes_.size()));
    const RuleIndex& index = rule_indexes_.emplace_back(*checked_, rules);
    rule_index_words_ = std::max(rule_index_words_, index.words());
  }
}

void RulesetPlan::PlanAttributes() {
  const std::vector<EventAttribute>& attributes = checked_->event_attributes;
  fast_store_.resize(attributes.size());
  attribute_name_sizes_.resize(attributes.size());
  for (size_t i = 0; i < attributes.size(); ++i) {
    attribute_index_.emplace(attributes[i].name, attributes[i].index);
    fast_store_[i] = FastStoreOf(i, attributes[i].type);
    attribute_name_sizes_[i] = static_cast<uint32_t>(attributes[i].name.size());
  }
}

void RulesetPlan::PlanActions() {
  action_plans_.resize(checked_->rules.size());
  for (size_t r = 0; r < checked_->rules.size(); ++r) {
    const Rule& rule = checked_->rules[r];
    action_plans_[r].resize(rule.actions.size());
    for (size_t a = 0; a < rule.actions.size(); ++a) {
      ActionPlan& plan = action_plans_[r][a];
      for (const ActionParam& p : rule.actions[a].params) {
        if (rule.actions[a].kind == ActionKind::kDeflect && p.name == "to") {
          plan.to_param = static_cast<int>(plan.params.size());
        }
        plan.params.push_back(MakeParam(p.name, p.value, &plan));
      }
    }
  }
}

void RulesetPlan::PlanChannelsAndSessions() {
  fallback_.resize(checked_->channels.size());
  for (size_t c = 0; c < checked_->channels.size(); ++c) {
    for (const std::string& name : checked_->channels[c].fallback) {
      const int f = checked_->FindChannel(name);
      if (f >= 0) fallback_[c].push_back(f);
    }
  }
  for (std::string_view e : kDefaultEndsOn) ends_on_types_.Insert(e, 0);
  for (const Queue& q : checked_->queues) {
    for (const std::string& e : q.ends_on) ends_on_types_.Insert(e, 0);
  }
  default_fields_.resize(checked_->session.fields.size());
  for (const SessionField& f : checked_->session.fields) {
    const int i = f.index - kFirstDeclaredSessionField;
    if (i < 0 || static_cast<size_t>(i) >= default_fields_.size()) continue;
    if (f.default_value.has_value()) {
      StoreOwned(*f.default_value, &default_fields_[i]);
    }
  }
}

void RulesetPlan::EventRules(std::string_view type,
                             std::vector<int>* out) const {
  out->clear();
  if (IsGlobalEventType(type)) return;  // global events never trigger rules
  auto it = exact_rules_.find(AbslView(type));
  if (it != exact_rules_.end()) {
    out->insert(out->end(), it->second.begin(), it->second.end());
  }
  bool merged = false;
  for (const auto& [prefix, rule] : prefix_rules_) {
    if (type.size() > prefix.size() &&
        type.compare(0, prefix.size(), prefix) == 0) {
      out->push_back(rule);
      merged = true;
    }
  }
  if (merged) {
    std::sort(out->begin(), out->end(),
              [this](int a, int b) { return rank_[a] < rank_[b]; });
    out->erase(std::unique(out->begin(), out->end()), out->end());
  }
}

int RulesetPlan::FindTimerGroup(std::string_view key) const {
  auto it = group_by_key_.find(AbslView(key));
  return it == group_by_key_.end() ? -1 : it->second;
}

}  // namespace switchboard::plan
