// Dispatch of one trigger (docs/semantics.md): the candidate
// rules in rule order, their conditions against the session as it was when
// the trigger came, their actions in order, exclusivity of route / handoff /
// deflect, deflection along the fallback list, derived events, and the
// delivery of the trigger's decisions with their explanation.
#include <algorithm>
#include <variant>

#include "absl/strings/str_cat.h"
#include "engine/check/rule_env.h"
#include "engine/run/engine_impl.h"

namespace switchboard::run {
namespace {

using ::switchboard::check::Action;
using ::switchboard::check::ActionKind;
using ::switchboard::check::ActionName;
using ::switchboard::check::Condition;
using ::switchboard::check::DeflectAction;
using ::switchboard::check::EmitAction;
using ::switchboard::check::kEventChannelField;
using ::switchboard::check::kEventKeyField;
using ::switchboard::check::kEventTimeField;
using ::switchboard::check::kEventTypeField;
using ::switchboard::check::kEventVariable;
using ::switchboard::check::kFirstDeclaredSessionField;
using ::switchboard::check::kNowVariable;
using ::switchboard::check::kSessionVariable;
using ::switchboard::check::RouteAction;
using ::switchboard::check::Rule;
using ::switchboard::check::SetAction;

constexpr int kActionKinds = 8;

// The variables and extensions of a rule's programs.
class RuleActivation final : public cel::Activation {
 public:
  RuleActivation(const EngineImpl* engine, const cel::ObjectValue* event,
                 const cel::ObjectValue* session, absl::Time now)
      : engine_(engine), event_(event), session_(session), now_(now) {}

  cel::Value GetVariable(int index) const override {
    switch (index) {
      case kEventVariable:
        return cel::Value::Object(event_);
      case kSessionVariable:
        return cel::Value::Object(session_);
      case kNowVariable:
        return cel::Value::Timestamp(now_);
      default:
        return cel::Value::Error(cel::ErrorCode::kUnknownVariable);
    }
  }
  cel::Value CallExtension(int id,
                           absl::Span<const cel::Value> args) const override {
    return engine_->CallExtension(id, args, now_);
  }

 private:
  const EngineImpl* engine_;
  const cel::ObjectValue* event_;
  const cel::ObjectValue* session_;
  absl::Time now_;
};

// Index of an exclusive action kind (route, handoff, deflect), or -1.
int ExclusiveSlot(ActionKind kind) {
  switch (kind) {
    case ActionKind::kRoute:
      return 0;
    case ActionKind::kHandoff:
      return 1;
    case ActionKind::kDeflect:
      return 2;
    default:
      return -1;
  }
}

}  // namespace

void EngineImpl::CollectEventRules(const EventRecord& event) {
  const std::string_view type = event.type();
  const RuleIndex* index = plan_->FindRuleIndex(type);
  if (index == nullptr) {
    plan_->EventRules(type, &candidates_);  // only prefix rules, or none
    type_triggers_rules_ = !candidates_.empty();
    return;
  }
  type_triggers_rules_ = !index->rules().empty();
  if (prune_rules_) {
    index->Candidates(event, &index_scratch_, &candidates_);
  } else {
    candidates_.assign(index->rules().begin(), index->rules().end());
  }
}

void EngineImpl::CountRuleError(int r, const cel::Value& error,
                                std::string_view otherwise) {
  if (stats_.rule_errors[r]++ == 0) {  // the first: its message, once
    stats_.rule_first_errors[r] =
        error.is_error() ? error.ErrorMessage() : std::string(otherwise);
    if (!stats_.rule_first_errors[r].empty()) ++rules_with_errors_;
  }
}

void EngineImpl::RunTrigger(uint32_t s, const EventRecord& event,
                            absl::Time now, std::string_view trigger,
                            absl::Span<const int> rules, DecisionSink* sink,
                            std::string_view source) {
  if (rules.empty()) {
    // Traced all the same: every input event gets a record (docs/cli.md), with
    // no rule.
    if (options_.trace != nullptr) {
      explanation_.rules.clear();
      explanation_.notes.clear();
      pending_.clear();
      Trace(s, now, trigger, source, 0);
    }
    return;
  }
  Session& session = slab_[s];
  const bool explain = explaining_;
  if (explain) {
    explanation_.rules.clear();
    explanation_.notes.clear();
  }
  pending_.clear();

  EventObject event_object(rs_->event_type.get(), &event);
  // Conditions read `cond_session`, which switches to a snapshot of the
  // fields at the first `set` of the trigger; actions read the live fields.
  SessionObject cond_session(rs_->session_type.get(), &session.header,
                             &session.fields);
  SessionObject live_session(rs_->session_type.get(), &session.header,
                             &session.fields);
  const RuleActivation cond_activation(this, &event_object, &cond_session, now);
  const RuleActivation live_activation(this, &event_object, &live_session, now);
  bool snapshot_taken = false;
  int winner[3] = {-1, -1, -1};  // route, handoff, deflect
  bool final_ran = false;

  static const std::vector<Condition> kProven;  // no condition left to test
  for (int entry : rules) {
    // The rule index writes ~r for a rule whose condition it proved true
    // (rule_index.h): it holds without evaluating its condition.
    const bool proven = entry < 0;
    const int r = proven ? ~entry : entry;
    const Rule& rule = rs_->rules[r];
    Explanation::RuleOutcome* out = nullptr;
    if (explain) {
      out = &explanation_.rules.emplace_back();
      out->rule = rule.name;
    }
    if (final_ran) {
      if (out == nullptr) break;
      out->outcome = "after_final";
      continue;
    }
    // An `if` list is `&&` with CEL's error rules (docs/semantics.md): a false
    // item makes the rule false even after an error ([error, false] is
    // false, no error counted); an error with no false item is an error
    // ([error, true]). Items are evaluated in order up to the first false.
    bool holds = true;
    bool failed = false;
    cel::Value first_error;
    for (const Condition& c : proven ? kProven : rule.conditions) {
      const cel::Value v = c.program.Evaluate(cond_activation);
      if (out != nullptr) out->conditions.push_back({c.text, v.DebugString()});
      if (v.is_error() || !v.is_bool()) {
        if (!failed) {
          failed = true;
          first_error = v;
        }
        continue;
      }
      if (!v.bool_value()) {
        holds = false;
        break;
      }
    }
    if (!holds) {
      if (out != nullptr) out->outcome = "false";
      continue;
    }
    if (failed) {
      CountRuleError(r, first_error, "the condition is not a bool");
      if (out != nullptr) {
        out->outcome = "error";
        out->detail = first_error.is_error() ? first_error.ErrorMessage()
                                             : "the condition is not a bool";
      }
      continue;
    }

    ++stats_.rule_runs[r];
    if (out != nullptr) out->outcome = "ran";
    for (size_t a = 0; a < rule.actions.size(); ++a) {
      const Action& action = rule.actions[a];
      const int exclusive = ExclusiveSlot(action.kind);
      if (exclusive >= 0) {
        if (winner[exclusive] >= 0) {
          if (out != nullptr) {
            out->outcome = "overridden";
            if (!out->detail.empty()) out->detail += "; ";
            absl::StrAppend(&out->detail, AbslView(ActionName(action.kind)),
                            " overridden by '",
                            rs_->rules[winner[exclusive]].name, "'");
          }
          continue;
        }
        int chosen = -1;
        if (action.kind == ActionKind::kDeflect) {
          const int asked = std::get<DeflectAction>(action.detail).channel;
          if (asked >= 0 && channel_up_[asked]) {
            chosen = asked;
          } else if (asked >= 0) {
            for (int f : plan_->fallback(asked)) {
              if (channel_up_[f]) {
                chosen = f;
                break;
              }
            }
          }
          if (chosen < 0) {
            ++stats_.deflects_without_channel;
            if (explain) {
              explanation_.notes.push_back(absl::StrCat(
                  "rule '", rule.name,
                  "': ", asked >= 0 ? rs_->channels[asked].name : "?",
                  " is down and no channel of its fallback list is up; no "
                  "deflect"));
            }
            continue;
          }
          if (explain && chosen != asked) {
            explanation_.notes.push_back(
                absl::StrCat(rs_->channels[asked].name, " is down; chose ",
                             rs_->channels[chosen].name));
          }
        }
        winner[exclusive] = r;
        pending_.push_back({r, static_cast<int>(a), chosen});
        continue;
      }
      switch (action.kind) {
        case ActionKind::kOffer:
        case ActionKind::kCallback:
        case ActionKind::kTag:
          pending_.push_back({r, static_cast<int>(a), -1});
          break;
        case ActionKind::kSet:
          if (!snapshot_taken) {
            snapshot_ = session.fields;
            cond_session.set_fields(&snapshot_);
            snapshot_taken = true;
          }
          if (!RunSet(r, std::get<SetAction>(action.detail), session,
                      live_activation,
                      out != nullptr ? &out->detail : nullptr) &&
              out != nullptr) {
            out->outcome = "error";
          }
          break;
        case ActionKind::kEmit:
          if (!RunEmit(r, std::get<EmitAction>(action.detail), event, now,
                       session, live_activation,
                       out != nullptr ? &out->detail : nullptr) &&
              out != nullptr) {
            out->outcome = "error";
          }
          break;
        default:
          break;
      }
    }
    if (rule.final) final_ran = true;
  }
  const int64_t decisions = static_cast<int64_t>(pending_.size());
  Deliver(s, now, trigger, sink);
  if (options_.trace != nullptr) Trace(s, now, trigger, source, decisions);
}

void EngineImpl::Trace(uint32_t s, absl::Time now, std::string_view trigger,
                       std::string_view source, int64_t decisions) {
  TriggerTrace t;
  t.time = now;
  t.ruleset = rs_->name;
  if (s != kNoSlot) t.session = slab_[s].header.id;
  t.trigger = trigger;
  t.source = source;
  t.explanation = &explanation_;
  t.decisions = decisions;
  options_.trace->OnTrigger(t);
}

namespace {

// Appends "; " (when `detail` has text) and `text` to *detail.
void AddDetail(std::string* detail, std::string_view what,
               const cel::Value& v) {
  if (!detail->empty()) detail->append("; ");
  detail->append(what);
  detail->append(": ");
  detail->append(v.is_error() ? v.ErrorMessage()
                              : "the value does not fit the type");
}

}  // namespace

bool EngineImpl::RunSet(int rule, const SetAction& set, Session& session,
                        const cel::Activation& live, std::string* detail) {
  // A `set` is one action: its assignments apply in order (a later value
  // sees the earlier ones), and when any value fails the whole action is
  // skipped (docs/rule-language.md), so the fields are restored from
  // `set_undo_` (a reused buffer: no allocation in the steady state).
  set_undo_ = session.fields;
  for (const SetAction::Assignment& as : set.assignments) {
    const int i = as.field_index - kFirstDeclaredSessionField;
    if (i < 0 || static_cast<size_t>(i) >= session.fields.size()) continue;
    const cel::Value v = as.value.literal.has_value()
                             ? *as.value.literal
                             : as.value.program.Evaluate(live);
    if (v.is_error() || !StoreOwned(v, &session.fields[i])) {
      session.fields.swap(set_undo_);
      CountRuleError(rule, v, "a set value does not fit the field's type");
      if (detail != nullptr) {
        AddDetail(detail,
                  absl::StrCat(
                      "set ", rs_->session.fields[static_cast<size_t>(i)].name),
                  v);
      }
      return false;
    }
  }
  return true;
}

bool EngineImpl::RunEmit(int rule, const EmitAction& emit,
                         const EventRecord& parent, absl::Time parent_time,
                         const Session& session, const cel::Activation& live,
                         std::string* detail) {
  if (derived_size_ == derived_.size()) {
    derived_.push_back(std::make_unique<EventRecord>());
  }
  EventRecord& rec = *derived_[derived_size_];
  rec.Reset(rs_->event_attributes.size());
  rec.slots[kEventTypeField].SetText(emit.type);
  rec.slots[kEventTimeField].SetValue(cel::Value::Timestamp(parent_time));
  rec.slots[kEventKeyField].SetText(session.header.id);
  // A derived event keeps its parent's channel unless it sets one.
  if (parent.slots.size() > kEventChannelField &&
      parent.slots[kEventChannelField].present) {
    rec.slots[kEventChannelField] = parent.slots[kEventChannelField];
  }
  for (const EmitAction::Attribute& attr : emit.attributes) {
    if (attr.attribute_index < 0 ||
        static_cast<size_t>(attr.attribute_index) >= rec.slots.size()) {
      continue;
    }
    const cel::Value v = attr.value.literal.has_value()
                             ? *attr.value.literal
                             : attr.value.program.Evaluate(live);
    if (v.is_error() || !StoreOwned(v, &rec.slots[attr.attribute_index])) {
      CountRuleError(rule, v,
                     "an emit value does not fit the attribute's type");
      if (detail != nullptr) {
        AddDetail(
            detail,
            absl::StrCat("emit ", emit.type, " ",
                         rs_->event_attributes[attr.attribute_index].name),
            v);
      }
      return false;  // the whole emit is skipped
    }
  }
  ++derived_size_;
  return true;
}

void EngineImpl::ProcessDerived(uint32_t s, absl::Time now,
                                DecisionSink* sink) {
  size_t head = 0;
  while (head < derived_size_) {
    if (head >= static_cast<size_t>(kMaxDerivedChain)) {
      stats_.derived_events_dropped +=
          static_cast<int64_t>(derived_size_ - head);
      break;
    }
    // Records are heap-allocated: appending more (emits of this one) does
    // not move them.
    const EventRecord& rec = *derived_[head++];
    ++stats_.derived_events;
    ApplyAfterTriggers(s, rec, now);
    EndConversationOn(s, rec.type(), now);  // agents.cc
    CollectEventRules(rec);
    RunTrigger(s, rec, now, rec.type(), candidates_, sink, "derived");
  }
  derived_size_ = 0;
}

void EngineImpl::Deliver(uint32_t s, absl::Time now, std::string_view trigger,
                         DecisionSink* sink) {
  for (const PendingDecision& p : pending_) {
    const Rule& rule = rs_->rules[p.rule];
    const Action& action = rule.actions[p.action];
    const ActionPlan& plan = plan_->action_plan(p.rule, p.action);
    Decision d;
    d.time = now;
    d.ruleset = rs_->name;
    d.session = slab_[s].header.id;
    d.rule = rule.name;
    d.action = ActionName(action.kind);
    d.trigger = trigger;
    d.params = plan.params;
    if (action.kind == ActionKind::kDeflect) {
      const int asked = std::get<DeflectAction>(action.detail).channel;
      if (p.deflect_to >= 0 && p.deflect_to != asked) {
        deflect_params_.assign(plan.params.begin(), plan.params.end());
        if (plan.to_param >= 0) {
          deflect_params_[plan.to_param].string_value =
              rs_->channels[p.deflect_to].name;
        }
        DecisionParam requested;
        requested.name = "requested";
        requested.string_value = rs_->channels[asked].name;
        deflect_params_.push_back(requested);
        DecisionParam reason;
        reason.name = "reason";
        reason.string_value = "channel_down";
        deflect_params_.push_back(reason);
        d.params = deflect_params_;
      }
    }
    d.explanation = options_.explain ? &explanation_ : nullptr;
    ++stats_.decisions;
    ++decision_counts_[p.rule * kActionKinds + static_cast<int>(action.kind)];
    sink->OnDecision(d);
    if (action.kind == ActionKind::kRoute) {  // skill routing (agents.cc)
      EnqueueRoute(s, p.rule, std::get<RouteAction>(action.detail), now);
    }
  }
  pending_.clear();
}

}  // namespace switchboard::run
