// Skill routing in the engine (docs/skill-routing.md): agent.* events into the
// Assigner (engine/route/assigner.h), `route` decisions that enqueue (or
// transfer), ends_on events, assignment after every input event and every
// timer with its `assign` decisions, the Assigner's wake-ups (relax steps,
// route timeouts deriving `route.timeout`) in deadline order with the
// engine's timers, and queue() statistics for CEL.
#include <algorithm>
#include <optional>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "engine/check/rule_env.h"
#include "engine/run/engine_impl.h"

namespace switchboard::run {

using ::switchboard::check::kEventChannelField;
using ::switchboard::check::kEventKeyField;
using ::switchboard::check::kEventQueueField;
using ::switchboard::check::kEventTimeField;
using ::switchboard::check::kEventTypeField;
using ::switchboard::check::kEventWaitedField;
using ::switchboard::check::kQueueAvailableField;
using ::switchboard::check::kQueueEstimatedWaitField;
using ::switchboard::check::kQueueLongestWaitField;
using ::switchboard::check::kQueueWaitingField;
using ::switchboard::check::kRouteTimeoutEvent;
using ::switchboard::check::RouteAction;
using ::switchboard::route::Assigner;
using ::switchboard::route::Assignment;
using ::switchboard::route::RouteTimeout;

cel::Value QueueStatsObject::GetField(int index) const {
  switch (index) {
    case kQueueWaitingField:
      return cel::Value::Int(stats.waiting);
    case kQueueAvailableField:
      return cel::Value::Int(stats.available);
    case kQueueLongestWaitField:
      return cel::Value::Duration(stats.longest_wait);
    case kQueueEstimatedWaitField:
      return cel::Value::Duration(stats.estimated_wait);
    default:
      return cel::Value::MissingField(type_, index);
  }
}

cel::Value EngineImpl::QueueStatsValue(int q, absl::Time now) const {
  if (queue_objects_.size() != rs_->queues.size()) {
    queue_objects_.clear();
    for (size_t i = 0; i < rs_->queues.size(); ++i) {
      queue_objects_.push_back(
          std::make_unique<QueueStatsObject>(rs_->queue_stats_type.get()));
    }
  }
  QueueStatsObject& object = *queue_objects_[q];
  object.stats = assigner_.Stats(q, now);
  return cel::Value::Object(&object);
}

void EngineImpl::ApplyAgentEvent(const Event& event, absl::Time now) {
  const Event::Attribute* agent = event.Find("agent");
  if (agent == nullptr || agent->kind != Event::Kind::kString ||
      agent->string_value.empty()) {
    ++agent_events_ignored_;
    return;
  }
  const std::string_view type = event.type();
  const std::string& id = agent->string_value;
  auto read_map = [&](std::string_view name, Assigner::IntMap* out) {
    const Event::Attribute* a = event.Find(name);
    if (a == nullptr || a->kind != Event::Kind::kIntMap) return false;
    out->assign(a->ints.begin(), a->ints.end());
    return true;
  };
  if (type == "agent.login") {
    const bool has_skills = read_map("skills", &agent_skills_);
    const bool has_capacity = read_map("capacity", &agent_capacity_);
    const Event::Attribute* ready = event.Find("ready");
    const bool is_ready = ready == nullptr ||
                          ready->kind != Event::Kind::kBool ||
                          ready->bool_value;
    assigner_.Login(id, has_skills ? &agent_skills_ : nullptr,
                    has_capacity ? &agent_capacity_ : nullptr, is_ready, now);
  } else if (type == "agent.ready") {
    assigner_.SetReady(id, true, now);
  } else if (type == "agent.not_ready") {
    assigner_.SetReady(id, false, now);
  } else if (type == "agent.logout") {
    assigner_.Logout(id, now);
  } else if (type == "agent.skills") {
    const bool has_skills = read_map("skills", &agent_skills_);
    assigner_.SetSkills(id, has_skills ? &agent_skills_ : nullptr, now);
  } else {
    ++agent_events_ignored_;  // another agent.* type: no effect
  }
}

void EngineImpl::EnqueueRoute(uint32_t s, int rule, const RouteAction& route,
                              absl::Time now) {
  const SessionHeader& h = slab_[s].header;
  std::optional<std::string_view> channel;
  if (h.has_channel) channel = h.channel;
  assigner_.Enqueue(h.id, s, rs_->rules[rule].name, route, channel, now);
}

void EngineImpl::EndConversationOn(uint32_t s, std::string_view type,
                                   absl::Time now) {
  if (rs_->queues.empty()) return;
  // Most events end nothing: only a type some queue's ends_on names (or
  // the default list) asks the Assigner, which hashes the session key.
  if (!plan_->EndsConversation(type)) return;
  if (assigner_.EndOn(slab_[s].header.id, type, now) && slab_[s].armed == 0) {
    EnsureExpiryQueued(s);
  }
}

void EngineImpl::RunAssign(absl::Time now, DecisionSink* sink) {
  if (!assigner_.CanAssign()) return;
  const bool explain = options_.explain;
  assigner_.Assign(now, explaining_, &assignments_);
  if (assign_counts_.size() != rs_->rules.size()) {
    assign_counts_.resize(rs_->rules.size(), 0);
  }
  for (const Assignment& a : assignments_) {
    assign_params_.resize(3);
    assign_params_[0].name = "queue";
    assign_params_[0].kind = DecisionParam::Kind::kString;
    assign_params_[0].string_value = a.queue;
    assign_params_[1].name = "agent";
    assign_params_[1].kind = DecisionParam::Kind::kString;
    assign_params_[1].string_value = a.agent;
    assign_params_[2].name = "waited";
    assign_params_[2].kind = DecisionParam::Kind::kDuration;
    assign_params_[2].duration_value = a.waited;
    Decision d;
    d.time = now;
    d.ruleset = rs_->name;
    d.session = a.session;
    d.rule = a.rule;
    d.action = "assign";
    d.trigger = "assign";
    d.params = assign_params_;
    if (explain) {
      assign_explanation_.rules.clear();
      assign_explanation_.notes.assign(a.notes.begin(), a.notes.end());
      d.explanation = &assign_explanation_;
    }
    ++stats_.decisions;
    const int r = rs_->FindRule(a.rule);
    if (r >= 0) ++assign_counts_[r];
    sink->OnDecision(d);
    if (options_.trace != nullptr) {  // one record per assignment
      assign_explanation_.rules.clear();
      assign_explanation_.notes.assign(a.notes.begin(), a.notes.end());
      TriggerTrace t;
      t.time = now;
      t.ruleset = rs_->name;
      t.session = a.session;
      t.trigger = "assign";
      t.source = "assign";
      t.explanation = &assign_explanation_;
      t.decisions = 1;
      options_.trace->OnTrigger(t);
    }
  }
}

void EngineImpl::FireAssigner(absl::Time t, DecisionSink* sink) {
  if (t > clock_) clock_ = t;
  // docs/semantics.md: at one instant, relax steps and assignment come before
  // route timeouts.
  assigner_.ApplyRelax(t);
  RunAssign(t, sink);
  RouteTimeout timeout;
  while (assigner_.PopTimeout(t, &timeout)) {
    // The session, which cannot have expired while it waited; an evicted
    // one ended its conversation, so this is a live session.
    const uint32_t s = session_index_.Find(timeout.session);
    if (s == kNoSlot) continue;
    Session& session = slab_[s];
    if (derived_size_ == derived_.size()) {
      derived_.push_back(std::make_unique<EventRecord>());
    }
    EventRecord& rec = *derived_[derived_size_++];
    rec.Reset(rs_->event_attributes.size());
    rec.slots[kEventTypeField].SetText(kRouteTimeoutEvent);
    rec.slots[kEventTimeField].SetValue(cel::Value::Timestamp(t));
    rec.slots[kEventKeyField].SetText(session.header.id);
    if (session.header.has_channel) {
      rec.slots[kEventChannelField].SetText(session.header.channel);
    }
    rec.slots[kEventQueueField].SetText(timeout.queue);
    rec.slots[kEventWaitedField].SetValue(cel::Value::Duration(timeout.waited));
    ProcessDerived(s, t, sink);
    if (slab_[s].live && slab_[s].armed == 0) EnsureExpiryQueued(s);
    RunAssign(t, sink);
  }
}

}  // namespace switchboard::run
