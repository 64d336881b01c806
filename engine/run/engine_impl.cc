// The engine: setup, event input, clock, timers and sessions. Dispatch of a
// trigger (conditions, actions, decisions) is in dispatch.cc. See
// engine_impl.h for the data layout.
#include "engine/run/engine_impl.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/check/rule_env.h"
#include "engine/common/event_access.h"
#include "engine/common/time_util.h"
#include "engine/plan/ruleset_access.h"
#include "engine/route/calendar.h"

namespace switchboard {

using ::switchboard::check::ActionKind;
using ::switchboard::check::ActionName;
using ::switchboard::check::EventPattern;
using ::switchboard::check::IsGlobalEventType;
using ::switchboard::check::kChannelUpExtension;
using ::switchboard::check::kEventChannelField;
using ::switchboard::check::kEventKeyField;
using ::switchboard::check::kEventTimeField;
using ::switchboard::check::kEventTypeField;
using ::switchboard::check::kOpenAtExtension;
using ::switchboard::check::kOpenExtension;
using ::switchboard::check::kQueueExtension;
using ::switchboard::check::kRouteTimeoutEvent;
using ::switchboard::check::Trigger;
using ::switchboard::check::TriggerKind;
using ::switchboard::route::AssignerStats;
using ::switchboard::route::CalendarOpen;

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(
    std::shared_ptr<const Ruleset> ruleset, const EngineOptions& options) {
  if (ruleset == nullptr) {
    return absl::InvalidArgumentError("Engine::Create: the ruleset is null");
  }
  return std::unique_ptr<Engine>(
      new run::EngineImpl(std::move(ruleset), options));
}

namespace run {
namespace {

constexpr int kActionKinds = 8;

std::string_view KindName(Event::Kind kind) {
  switch (kind) {
    case Event::Kind::kNull:
      return "null";
    case Event::Kind::kBool:
      return "bool";
    case Event::Kind::kInt:
      return "int";
    case Event::Kind::kDouble:
      return "double";
    case Event::Kind::kString:
      return "string";
    case Event::Kind::kDuration:
      return "duration";
    case Event::Kind::kTimestamp:
      return "timestamp";
    case Event::Kind::kStringList:
      return "list of strings";
    case Event::Kind::kIntMap:
      return "map of ints";
    case Event::Kind::kList:
      return "list";
    case Event::Kind::kMap:
      return "map";
  }
  return "value";
}

bool AcceptsString(const cel::Type& t) {
  return t.kind() == cel::TypeKind::kString || t.is_dyn();
}
bool AcceptsInt(const cel::Type& t) {
  return t.kind() == cel::TypeKind::kInt || t.is_dyn();
}

// `a` (an attribute, or an element of a list or map attribute) as an owned
// CEL value of `type`, recursively; false when it does not fit (an int is
// accepted for a double, a string for a duration or a timestamp).
bool ToValue(const Event::Attribute& a, const cel::Type& type,
             cel::Value* out) {
  const bool dyn = type.is_dyn();
  const cel::TypeKind k = type.kind();
  switch (a.kind) {
    case Event::Kind::kNull:
      if (!dyn && k != cel::TypeKind::kNull) return false;
      *out = cel::Value::Null();
      return true;
    case Event::Kind::kBool:
      if (!dyn && k != cel::TypeKind::kBool) return false;
      *out = cel::Value::Bool(a.bool_value);
      return true;
    case Event::Kind::kInt:
      if (k == cel::TypeKind::kDouble) {
        *out = cel::Value::Double(static_cast<double>(a.int_value));
        return true;
      }
      if (!dyn && k != cel::TypeKind::kInt) return false;
      *out = cel::Value::Int(a.int_value);
      return true;
    case Event::Kind::kDouble:
      if (!dyn && k != cel::TypeKind::kDouble) return false;
      *out = cel::Value::Double(a.double_value);
      return true;
    case Event::Kind::kString:
      if (k == cel::TypeKind::kDuration) {
        absl::StatusOr<absl::Duration> d = ParseDuration(a.string_value);
        if (!d.ok()) return false;
        *out = cel::Value::Duration(*d);
      } else if (k == cel::TypeKind::kTimestamp) {
        absl::StatusOr<absl::Time> t = ParseTimestamp(a.string_value);
        if (!t.ok()) return false;
        *out = cel::Value::Timestamp(*t);
      } else {
        if (!AcceptsString(type)) return false;
        *out = cel::Value::String(a.string_value);
      }
      return !out->is_error();
    case Event::Kind::kDuration:
      if (!dyn && k != cel::TypeKind::kDuration) return false;
      *out = cel::Value::Duration(a.duration_value);
      return !out->is_error();
    case Event::Kind::kTimestamp:
      if (!dyn && k != cel::TypeKind::kTimestamp) return false;
      *out = cel::Value::Timestamp(a.time_value);
      return !out->is_error();
    case Event::Kind::kStringList: {
      if (!dyn && !(k == cel::TypeKind::kList && AcceptsString(type.elem()))) {
        return false;
      }
      std::vector<cel::Value> elements;
      elements.reserve(a.strings.size());
      for (const std::string& s : a.strings) {
        elements.push_back(cel::Value::String(s));
      }
      *out = cel::Value::List(std::move(elements));
      return true;
    }
    case Event::Kind::kIntMap: {
      if (!dyn && !(k == cel::TypeKind::kMap && AcceptsString(type.key()))) {
        return false;
      }
      const cel::Type value_type = dyn ? cel::Type::Dyn() : type.value();
      std::vector<std::pair<cel::Value, cel::Value>> entries;
      entries.reserve(a.ints.size());
      for (const auto& [key, n] : a.ints) {
        cel::Value v;
        if (value_type.kind() == cel::TypeKind::kDouble) {
          v = cel::Value::Double(static_cast<double>(n));
        } else if (AcceptsInt(value_type)) {
          v = cel::Value::Int(n);
        } else {
          return false;
        }
        entries.emplace_back(cel::Value::String(key), std::move(v));
      }
      *out = cel::Value::Map(std::move(entries));
      return !out->is_error();
    }
    case Event::Kind::kList: {
      if (!dyn && k != cel::TypeKind::kList) return false;
      const cel::Type elem = dyn ? cel::Type::Dyn() : type.elem();
      std::vector<cel::Value> elements;
      elements.reserve(a.elements.size());
      for (const Event::Attribute& e : a.elements) {
        if (!ToValue(e, elem, &elements.emplace_back())) return false;
      }
      *out = cel::Value::List(std::move(elements));
      return true;
    }
    case Event::Kind::kMap: {
      if (!dyn && !(k == cel::TypeKind::kMap && AcceptsString(type.key()))) {
        return false;
      }
      const cel::Type value_type = dyn ? cel::Type::Dyn() : type.value();
      std::vector<std::pair<cel::Value, cel::Value>> entries;
      entries.reserve(a.elements.size());
      for (const Event::Attribute& e : a.elements) {
        cel::Value v;
        if (!ToValue(e, value_type, &v)) return false;
        entries.emplace_back(cel::Value::String(e.name), std::move(v));
      }
      *out = cel::Value::Map(std::move(entries));
      return !out->is_error();  // duplicate keys
    }
  }
  return false;
}

// An attribute of an Event as TypeAttributes reads it (the same accessors
// as CompactEvent::AttributeView's).
class EventAttributeRef {
 public:
  explicit EventAttributeRef(const Event::Attribute& a) : a_(a) {}
  std::string_view name() const { return a_.name; }
  Event::Kind kind() const { return a_.kind; }
  int32_t schema_index() const { return a_.schema_index; }
  bool bool_value() const { return a_.bool_value; }
  int64_t int_value() const { return a_.int_value; }
  double double_value() const { return a_.double_value; }
  std::string_view string_value() const { return a_.string_value; }
  absl::Duration duration_value() const { return a_.duration_value; }
  absl::Time time_value() const { return a_.time_value; }
  const Event::Attribute& composite() const { return a_; }

 private:
  const Event::Attribute& a_;
};

// The attributes of an Event, or of a CompactEvent, by position.
struct EventAttributes {
  const Event& event;
  size_t size() const { return event.size(); }
  EventAttributeRef operator[](size_t i) const {
    return EventAttributeRef(event.begin()[i]);
  }
};
// An attribute of a CompactEvent, read from its header and the arena
// without the kind checks of CompactEvent::AttributeView (the engine reads
// only the member of the attribute's kind).
class CompactAttributeRef {
 public:
  CompactAttributeRef(const CompactEvent& event,
                      const CompactEvent::Header& header, const char* arena,
                      size_t index)
      : event_(event), h_(header), arena_(arena), index_(index) {}
  std::string_view name() const {
    return std::string_view(arena_ + h_.offset, h_.name_size);
  }
  Event::Kind kind() const { return h_.kind; }
  int32_t schema_index() const { return h_.schema_index; }
  bool bool_value() const { return h_.scalar != 0; }
  int64_t int_value() const { return h_.scalar; }
  double double_value() const {
    double d;
    std::memcpy(&d, &h_.scalar, sizeof(d));
    return d;
  }
  std::string_view string_value() const {
    return std::string_view(arena_ + h_.offset + h_.name_size, h_.payload_size);
  }
  absl::Duration duration_value() const {
    return event_.attribute(index_).duration_value();
  }
  absl::Time time_value() const {
    return event_.attribute(index_).time_value();
  }
  const Event::Attribute& composite() const {
    return event_.attribute(index_).composite();
  }

 private:
  const CompactEvent& event_;
  const CompactEvent::Header& h_;
  const char* arena_;
  size_t index_;
};

struct CompactAttributes {
  explicit CompactAttributes(const CompactEvent& e)
      : event(e),
        headers(internal::CompactEventAccess::Headers(e)),
        arena(internal::CompactEventAccess::Arena(e)) {}
  const CompactEvent& event;
  const CompactEvent::Header* headers;
  const char* arena;
  size_t size() const { return event.size(); }
  CompactAttributeRef operator[](size_t i) const {
    return CompactAttributeRef(event, headers[i], arena, i);
  }
};

// Attribute `a` (an EventAttributeRef or a CompactEvent::AttributeView) as
// a value of `type` into `slot`; false when the kinds do not fit (an int is
// accepted for a double; a string for a duration or a timestamp when it
// parses).
template <typename Ref>
bool Convert(const Ref& a, const cel::Type& type, Slot* slot) {
  const bool dyn = type.is_dyn();
  switch (a.kind()) {
    case Event::Kind::kNull:
      if (!dyn && type.kind() != cel::TypeKind::kNull) return false;
      slot->SetValue(cel::Value::Null());
      return true;
    case Event::Kind::kBool:
      if (!dyn && type.kind() != cel::TypeKind::kBool) return false;
      slot->SetValue(cel::Value::Bool(a.bool_value()));
      return true;
    case Event::Kind::kInt:
      if (type.kind() == cel::TypeKind::kDouble) {
        slot->SetValue(cel::Value::Double(static_cast<double>(a.int_value())));
        return true;
      }
      if (!dyn && type.kind() != cel::TypeKind::kInt) return false;
      slot->SetValue(cel::Value::Int(a.int_value()));
      return true;
    case Event::Kind::kDouble:
      if (!dyn && type.kind() != cel::TypeKind::kDouble) return false;
      slot->SetValue(cel::Value::Double(a.double_value()));
      return true;
    case Event::Kind::kString:
      if (type.kind() == cel::TypeKind::kDuration) {
        absl::StatusOr<absl::Duration> d = ParseDuration(a.string_value());
        if (!d.ok()) return false;
        slot->SetValue(cel::Value::Duration(*d));
        return !slot->value.is_error();
      }
      if (type.kind() == cel::TypeKind::kTimestamp) {
        absl::StatusOr<absl::Time> t = ParseTimestamp(a.string_value());
        if (!t.ok()) return false;
        slot->SetValue(cel::Value::Timestamp(*t));
        return !slot->value.is_error();
      }
      if (!AcceptsString(type)) return false;
      // A view of the caller's string: Process keeps input_ only after
      // EventRecord::Own().
      slot->SetView(a.string_value());
      return true;
    case Event::Kind::kDuration:
      if (!dyn && type.kind() != cel::TypeKind::kDuration) return false;
      slot->SetValue(cel::Value::Duration(a.duration_value()));
      return !slot->value.is_error();
    case Event::Kind::kTimestamp:
      if (!dyn && type.kind() != cel::TypeKind::kTimestamp) return false;
      slot->SetValue(cel::Value::Timestamp(a.time_value()));
      return !slot->value.is_error();
    case Event::Kind::kStringList:
    case Event::Kind::kIntMap:
    case Event::Kind::kList:
    case Event::Kind::kMap: {
      cel::Value v;
      if (!ToValue(a.composite(), type, &v)) return false;
      slot->SetValue(std::move(v));
      return !slot->value.is_error();
    }
  }
  return false;
}

}  // namespace

EngineImpl::EngineImpl(std::shared_ptr<const Ruleset> ruleset,
                       const EngineOptions& options)
    : ruleset_(std::move(ruleset)),
      rs_(&plan::RulesetAccess::Checked(*ruleset_)),
      plan_(&plan::RulesetAccess::Plan(*ruleset_)),
      options_(options),
      assigner_(*rs_) {
  stats_.rule_runs.assign(rs_->rules.size(), 0);
  stats_.rule_errors.assign(rs_->rules.size(), 0);
  stats_.rule_first_errors.assign(rs_->rules.size(), std::string());
  decision_counts_.assign(rs_->rules.size() * kActionKinds, 0);
  channel_up_.assign(rs_->channels.size(), 1);
  attr_guess_.assign(rs_->event_attributes.size() + 8, -1);
  input_filled_.assign(rs_->event_attributes.size(), 0);
  explaining_ = options_.explain || options_.trace != nullptr;
  prune_rules_ = options_.index_rules && !explaining_;
  index_scratch_.Reserve(plan_->rule_index_words());
  candidates_.reserve(rs_->rules.size());
  // The wake-ups (expiry and timers) of the first sessions without
  // regrowing the heap: 32 bytes each, 32 KiB.
  heap_.Reserve(1024);
}

// ---- input -----------------------------------------------------------------

absl::Status EngineImpl::TypeEvent(const Event& event) {
  return TypeAttributes(event.type(), event.time(), EventAttributes{event},
                        internal::EventAccess::SchemaTag(event) == rs_);
}

absl::Status EngineImpl::TypeEvent(const CompactEvent& event) {
  return TypeAttributes(event.type(), event.time(), CompactAttributes(event),
                        internal::CompactEventAccess::SchemaTag(event) == rs_);
}

template <typename Attributes>
absl::Status EngineImpl::TypeAttributes(std::string_view event_type,
                                        absl::Time event_time,
                                        const Attributes& attributes,
                                        bool tagged) {
  if (event_type.empty()) {
    return absl::InvalidArgumentError("event has no type");
  }
  if (event_time == absl::InfinitePast() ||
      event_time == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event '", AbslView(event_type), "' has no valid time"));
  }
  const cel::Value time = cel::Value::Timestamp(event_time);
  if (time.is_error()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event '", AbslView(event_type), "': time out of range"));
  }
  // Empty the record: only the slots the last call filled (the record's
  // other slots are clear), unless the record was swapped with a kept one.
  const size_t attribute_count = rs_->event_attributes.size();
  if (input_dirty_ || input_.slots.size() != attribute_count) {
    input_.Reset(attribute_count);
    input_dirty_ = false;
  } else {
    for (size_t i = 0; i < input_filled_count_; ++i) {
      input_.slots[input_filled_[i]].Clear();
    }
  }
  input_filled_count_ = 0;
  // Records slot `index` as filled (once: a slot is clear until filled, so
  // there are at most attribute_count entries).
  const auto filled = [this](uint32_t index) {
    if (!input_.slots[index].present) {
      input_filled_[input_filled_count_++] = index;
    }
  };
  // Strings are views of `event`'s (see Slot): input_ is owned before it is
  // kept (Process).
  input_.slots[kEventTypeField].SetView(event_type);
  input_.slots[kEventTimeField].SetValue(time);
  const bool route_timeout = event_type == kRouteTimeoutEvent;
  // An event typed by a reader for this very ruleset (`tagged`) carries
  // each attribute's schema index (Event::schema_tag): no name matching
  // then.
  // The plan's tables as plain pointers: stores into input_ cannot change
  // them, so they stay in registers through the loop.
  const uint32_t* const name_sizes = plan_->attribute_name_sizes().data();
  const FastStore* const fast_store = plan_->fast_store().data();
  const size_t count = attributes.size();
  for (size_t position = 0; position < count; ++position) {
    const auto a = attributes[position];
    const int32_t schema_index = a.schema_index();
    int index = -1;
    if (tagged && schema_index >= 0 &&
        static_cast<size_t>(schema_index) < attribute_count &&
        name_sizes[schema_index] == a.name().size()) {
      index = schema_index;
    } else if (position < attr_guess_.size()) {
      // Interning: the attribute at this position of the last event usually
      // has the same name (a reader fills events in the order of the
      // input's keys), so the guess is checked by comparing names, and the
      // hash map is only asked on a miss.
      const int guess = attr_guess_[position];
      if (guess >= 0 && rs_->event_attributes[guess].name == a.name()) {
        index = guess;
      }
    }
    if (index < 0) {
      auto it = plan_->attribute_index().find(AbslView(a.name()));
      if (it != plan_->attribute_index().end()) {
        index = it->second;
        if (position < attr_guess_.size()) attr_guess_[position] = index;
      }
    }
    if (index < 0) continue;  // undeclared: ignored
    Slot& slot = input_.slots[index];
    // The common kinds are stored in place; the rest (and every mismatch,
    // which may be an error) go through Convert.
    switch (fast_store[index]) {
      case FastStore::kSkip:
        continue;
      case FastStore::kRouteTimeoutOnly:
        if (!route_timeout) continue;
        break;
      case FastStore::kString:
        if (a.kind() == Event::Kind::kString) {
          filled(static_cast<uint32_t>(index));
          slot.SetView(a.string_value());
          continue;
        }
        break;
      case FastStore::kInt:
        if (a.kind() == Event::Kind::kInt) {
          filled(static_cast<uint32_t>(index));
          slot.SetInt(a.int_value());
          continue;
        }
        break;
      case FastStore::kDouble:
        if (a.kind() == Event::Kind::kDouble || a.kind() == Event::Kind::kInt) {
          filled(static_cast<uint32_t>(index));
          slot.SetDouble(a.kind() == Event::Kind::kDouble
                             ? a.double_value()
                             : static_cast<double>(a.int_value()));
          continue;
        }
        break;
      case FastStore::kBool:
        if (a.kind() == Event::Kind::kBool) {
          filled(static_cast<uint32_t>(index));
          slot.SetBool(a.bool_value());
          continue;
        }
        break;
      case FastStore::kConvert:
        break;
    }
    filled(static_cast<uint32_t>(index));
    const cel::Type& type = rs_->event_attributes[index].type;
    if (!Convert(a, type, &slot)) {
      slot.Clear();
      return absl::InvalidArgumentError(
          absl::StrCat("event '", AbslView(event_type), "': attribute '",
                       AbslView(a.name()), "' must be ", type.DebugString(),
                       ", got ", AbslView(KindName(a.kind()))));
    }
  }
  const bool global = IsGlobalEventType(event_type);
  if (!global && !input_.slots[kEventKeyField].present) {
    return absl::InvalidArgumentError(
        absl::StrCat("event '", AbslView(event_type), "' has no session key '",
                     rs_->session.key, "'"));
  }
  if (global && event_type.rfind("channel.", 0) == 0 &&
      !input_.slots[kEventChannelField].present) {
    return absl::InvalidArgumentError(
        absl::StrCat("event '", AbslView(event_type), "' has no 'channel'"));
  }
  return absl::OkStatus();
}

void EngineImpl::ApplyGlobal(const EventRecord& record) {
  const std::string_view type = record.type();
  if (type != "channel.down" && type != "channel.up") {
    return;  // agent.* events: skill routing is not implemented yet
  }
  const bool up = type == "channel.up";
  const std::string_view name = record.slots[kEventChannelField].str();
  const int c = rs_->FindChannel(name);
  if (c >= 0) {
    channel_up_[c] = up ? 1 : 0;
  } else {
    other_channels_[std::string(name)] = up;
  }
}

void EngineImpl::EnsureRecords(Session& session) {
  const size_t after_groups = plan_->after_groups().size();
  if (plan_->idle_groups().empty() && after_groups == 0) return;
  if (session.records == nullptr) {
    session.records = std::make_unique<SessionRecords>();
  }
  if (session.records->since_events.size() != after_groups) {
    session.records->since_events.resize(after_groups);
  }
}

uint32_t EngineImpl::FindOrCreateSession(std::string_view id, absl::Time now) {
  if (uint32_t found = session_index_.Find(id); found != kNoSlot) {
    return found;
  }
  // The session limit: make room by evicting the longest-idle session.
  if (options_.max_sessions > 0 && live_sessions_ >= options_.max_sessions &&
      lru_head_ != kNoSlot) {
    DropSession(lru_head_, /*evicted=*/true);
  }
  uint32_t s;
  if (!free_slots_.empty()) {
    s = free_slots_.back();
    free_slots_.pop_back();
  } else {
    s = static_cast<uint32_t>(slab_.size());
    slab_.emplace_back();
  }
  Session& session = slab_[s];
  session.live = true;
  session.header.id.assign(id.data(), id.size());
  session.header.channel.clear();
  session.header.has_channel = false;
  session.header.started = now;
  session.header.last_seen = now;
  session.header.events = 0;
  session.expiry_queued = false;
  session.armed = 0;
  session.fields = plan_->default_fields();
  session.timers.assign(plan_->timer_groups().size(), TimerSlot());
  EnsureRecords(session);
  session_index_.Insert(s);
  LruAppend(s);
  ++live_sessions_;
  ++stats_.sessions_created;
  EnsureExpiryQueued(s);
  return s;
}

absl::Status EngineImpl::Process(const Event& event, DecisionSink* sink) {
  if (absl::Status status = TypeEvent(event); !status.ok()) {
    ++stats_.rejected_events;
    return status;
  }
  RunTyped(event.time(), &event, nullptr, sink);
  return absl::OkStatus();
}

absl::Status EngineImpl::Process(const CompactEvent& event,
                                 DecisionSink* sink) {
  if (absl::Status status = TypeEvent(event); !status.ok()) {
    ++stats_.rejected_events;
    return status;
  }
  RunTyped(event.time(), nullptr, &event, sink);
  return absl::OkStatus();
}

void EngineImpl::RunTyped(absl::Time event_time, const Event* event,
                          const CompactEvent* compact, DecisionSink* sink) {
  const bool late = event_time < clock_;
  const absl::Time t = late ? clock_ : event_time;
  FireDue(t, sink);
  clock_ = t;
  ++stats_.events;
  if (late && clock_ - event_time > options_.late_tolerance) {
    ++stats_.late_events;
  }

  const std::string_view type = input_.type();  // a view of the event's
  if (IsGlobalEventType(type)) {
    ApplyGlobal(input_);
    if (type.rfind("agent.", 0) == 0) {
      // Agent events are rare: the compact form goes through an Event.
      if (event == nullptr) {
        compact->CopyTo(&agent_event_);
        event = &agent_event_;
      }
      ApplyAgentEvent(*event, t);
    }
    if (options_.trace != nullptr) {
      explanation_.rules.clear();
      explanation_.notes.clear();
      Trace(kNoSlot, t, type, "event", 0);
    }
    RunAssign(t, sink);
    return;
  }
  const uint32_t s = FindOrCreateSession(input_.slots[kEventKeyField].str(), t);
  {
    Session& session = slab_[s];
    SessionHeader& h = session.header;
    h.last_seen = t;
    LruTouch(s);
    ++h.events;
    const Slot& channel = input_.slots[kEventChannelField];
    if (channel.present && channel.is_string()) {
      const std::string_view name = channel.str();
      if (h.channel != name) h.channel.assign(name);
      h.has_channel = true;
    }
    // Customer activity re-arms every idle timer of the session.
    const std::vector<TimerGroup>& groups = plan_->timer_groups();
    for (int g : plan_->idle_groups()) Arm(s, g, t + groups[g].delay);
  }
  ApplyAfterTriggers(s, input_, t);
  EndConversationOn(s, type, t);
  CollectEventRules(input_);
  if (!type_triggers_rules_) CountUnmatched(type);
  RunTrigger(s, input_, t, type, candidates_, sink, "event");
  ProcessDerived(s, t, sink);
  RunAssign(t, sink);
  // Keep the event as the session's last one (what an idle timer's rules
  // see as `event`); the swap hands the old record's storage to input_.
  if (!plan_->idle_groups().empty()) {
    input_.Own();  // its strings view the caller's Event
    std::swap(slab_[s].records->last_event, input_);
    input_dirty_ = true;  // input_ now holds the session's old record
  }
}

void EngineImpl::AdvanceTo(absl::Time time, DecisionSink* sink) {
  FireDue(time, sink);
  if (time > clock_) clock_ = time;
}

absl::Time EngineImpl::NextDeadline() {
  const absl::Time routing = assigner_.NextDeadline();
  if (heap_.empty()) return routing;
  return std::min(routing, heap_.top().deadline);
}

// ---- timers and sessions
// -----------------------------------------------------

void EngineImpl::Arm(uint32_t s, int group, absl::Time deadline) {
  Session& session = slab_[s];
  TimerSlot& slot = session.timers[group];
  if (!slot.armed) {
    slot.armed = true;
    ++session.armed;
  }
  slot.deadline = deadline;
  if (slot.queued && slot.queued_deadline <= deadline) {
    return;  // the queued wake-up will be postponed when popped
  }
  if (slot.queued) ++slot.generation;  // supersede the later wake-up
  slot.queued = true;
  slot.queued_deadline = deadline;
  heap_.Push({deadline, s, session.incarnation, group, slot.generation});
}

void EngineImpl::Cancel(uint32_t s, int group) {
  Session& session = slab_[s];
  TimerSlot& slot = session.timers[group];
  if (!slot.armed) return;
  slot.armed = false;  // the queued wake-up is skipped when popped
  --session.armed;
  if (session.armed == 0) EnsureExpiryQueued(s);
}

void EngineImpl::EnsureExpiryQueued(uint32_t s) {
  Session& session = slab_[s];
  if (session.expiry_queued) return;
  const absl::Duration expire = rs_->session.expire;
  if (expire <= absl::ZeroDuration() || expire == absl::InfiniteDuration()) {
    return;  // never expires
  }
  absl::Time due = session.header.last_seen + expire;
  if (due < clock_) due = clock_;
  session.expiry_queued = true;
  heap_.Push({due, s, session.incarnation, kExpiryGroup, 0});
}

void EngineImpl::ApplyAfterTriggers(uint32_t s, const EventRecord& record,
                                    absl::Time now) {
  const std::string_view type = record.type();
  const std::vector<TimerGroup>& groups = plan_->timer_groups();
  for (int g : plan_->after_groups()) {
    const Trigger& t = *groups[g].trigger;
    for (const EventPattern& p : t.unless) {
      if (p.Matches(type)) {
        Cancel(s, g);
        break;
      }
    }
    if (t.since.Matches(type)) {
      slab_[s].records->since_events[groups[g].after_slot] = record;
      Arm(s, g, now + groups[g].delay);
    }
  }
}

void EngineImpl::CountUnmatched(std::string_view type) {
  const std::vector<TimerGroup>& groups = plan_->timer_groups();
  for (int g : plan_->after_groups()) {
    const Trigger& t = *groups[g].trigger;
    if (t.since.Matches(type)) return;
    for (const EventPattern& p : t.unless) {
      if (p.Matches(type)) return;
    }
  }
  if (!rs_->queues.empty() && plan_->EndsConversation(type)) return;
  auto it = unmatched_.find(AbslView(type));
  if (it != unmatched_.end()) {
    ++it->second;
  } else {
    unmatched_.emplace(std::string(type), 1);
  }
}

void EngineImpl::FireDue(absl::Time limit, DecisionSink* sink) {
  for (;;) {
    // Skill routing's wake-ups (relax steps, route timeouts) go first at an
    // instant (agents.cc).
    const absl::Time routing = assigner_.NextDeadline();
    if (routing <= limit &&
        (heap_.empty() || routing <= heap_.top().deadline)) {
      FireAssigner(routing, sink);
      continue;
    }
    if (heap_.empty() || heap_.top().deadline > limit) break;
    const absl::Time deadline = heap_.top().deadline;
    if (deadline > clock_) clock_ = deadline;
    batch_.clear();
    expiry_batch_.clear();
    while (!heap_.empty() && heap_.top().deadline == deadline) {
      const TimerEntry e = heap_.Pop();
      Session& session = slab_[e.session];
      if (!session.live || session.incarnation != e.incarnation) continue;
      if (e.group == kExpiryGroup) {
        expiry_batch_.push_back(e);
        continue;
      }
      TimerSlot& slot = session.timers[e.group];
      if (slot.generation != e.generation || !slot.queued) continue;
      slot.queued = false;
      if (!slot.armed) continue;       // cancelled
      if (slot.deadline > deadline) {  // postponed by a re-arm
        slot.queued = true;
        slot.queued_deadline = slot.deadline;
        heap_.Push({slot.deadline, e.session, e.incarnation, e.group,
                    slot.generation});
        continue;
      }
      batch_.push_back(e);
    }
    // Ties: session id (bytes), then rule order (groups are sorted by it).
    std::sort(batch_.begin(), batch_.end(),
              [this](const TimerEntry& a, const TimerEntry& b) {
                if (a.session != b.session) {
                  return slab_[a.session].header.id <
                         slab_[b.session].header.id;
                }
                return a.group < b.group;
              });
    for (const TimerEntry& e : batch_) FireTimer(e, sink);
    for (const TimerEntry& e : expiry_batch_) HandleExpiry(e);
  }
}

void EngineImpl::FireTimer(const TimerEntry& e, DecisionSink* sink) {
  Session& session = slab_[e.session];
  if (!session.live || session.incarnation != e.incarnation) return;
  TimerSlot& slot = session.timers[e.group];
  // An earlier trigger of this batch may have cancelled or restarted it.
  if (!slot.armed || slot.deadline != e.deadline) return;
  slot.armed = false;
  --session.armed;
  ++stats_.timers_fired;
  const TimerGroup& group = plan_->timer_groups()[e.group];
  const bool idle = group.kind == TriggerKind::kIdle;
  // `event` is the session's last event (idle) or the `since` event (after).
  // No action of the trigger writes either record (derived events, which
  // may restart an `after`, run after RunTrigger returns).
  const EventRecord& source =
      idle ? session.records->last_event
           : session.records->since_events[group.after_slot];
  RunTrigger(e.session, source, e.deadline, idle ? "idle" : "after",
             group.rules, sink, "timer");
  ProcessDerived(e.session, e.deadline, sink);
  if (slab_[e.session].armed == 0) EnsureExpiryQueued(e.session);
  RunAssign(e.deadline, sink);
}

void EngineImpl::HandleExpiry(const TimerEntry& e) {
  Session& session = slab_[e.session];
  if (!session.live || session.incarnation != e.incarnation) return;
  session.expiry_queued = false;
  const absl::Time due = session.header.last_seen + rs_->session.expire;
  if (due > e.deadline) {
    session.expiry_queued = true;
    heap_.Push({due, e.session, e.incarnation, kExpiryGroup, 0});
    return;
  }
  // With armed timers the check is queued again when the last one ends;
  // with a waiting or assigned conversation, when it ends (agents.cc).
  if (session.armed > 0 || assigner_.HasConversation(session.header.id)) {
    return;
  }
  DropSession(e.session);
}

void EngineImpl::DropSession(uint32_t s, bool evicted) {
  Session& session = slab_[s];
  // An evicted session's conversation ends with it (abandoned if waiting).
  if (evicted) assigner_.End(session.header.id, clock_);
  session_index_.Erase(session.header.id);
  LruUnlink(s);
  session.live = false;
  ++session.incarnation;  // invalidates every queued wake-up
  --live_sessions_;
  if (evicted) {
    ++stats_.sessions_evicted;
  } else {
    ++stats_.sessions_expired;
  }
  free_slots_.push_back(s);
  MaybeCompactTimers();
}

void EngineImpl::MaybeCompactTimers() {
  // A live session has at most one current wake-up per timer group and one
  // expiry check; everything beyond that is stale (dropped sessions,
  // superseded re-arms) and would otherwise stay until its deadline, so a
  // flood of short-lived sessions would grow the heap without bound.
  // Compacting at twice the bound keeps the cost amortized O(1) per push.
  const size_t bound =
      static_cast<size_t>(live_sessions_) * (plan_->timer_groups().size() + 1);
  if (heap_.size() <= 2 * bound + 4096) return;
  heap_.EraseIf([this](const TimerEntry& e) {
    const Session& session = slab_[e.session];
    if (!session.live || session.incarnation != e.incarnation) return true;
    if (e.group == kExpiryGroup) return false;
    const TimerSlot& slot = session.timers[e.group];
    return slot.generation != e.generation || !slot.queued;
  });
}

void EngineImpl::LruAppend(uint32_t s) {
  Session& session = slab_[s];
  session.lru_prev = lru_tail_;
  session.lru_next = kNoSlot;
  if (lru_tail_ != kNoSlot) {
    slab_[lru_tail_].lru_next = s;
  } else {
    lru_head_ = s;
  }
  lru_tail_ = s;
}

void EngineImpl::LruUnlink(uint32_t s) {
  Session& session = slab_[s];
  if (session.lru_prev != kNoSlot) {
    slab_[session.lru_prev].lru_next = session.lru_next;
  } else {
    lru_head_ = session.lru_next;
  }
  if (session.lru_next != kNoSlot) {
    slab_[session.lru_next].lru_prev = session.lru_prev;
  } else {
    lru_tail_ = session.lru_prev;
  }
  session.lru_prev = kNoSlot;
  session.lru_next = kNoSlot;
}

// ---- queries
// -------------------------------------------------------------------

const EngineStats& EngineImpl::stats() const {
  stats_.decisions_by_rule_action.clear();
  for (size_t r = 0; r < rs_->rules.size(); ++r) {
    for (int k = 0; k < kActionKinds; ++k) {
      const int64_t n = decision_counts_[r * kActionKinds + k];
      if (n == 0) continue;
      stats_.decisions_by_rule_action.push_back(
          {{rs_->rules[r].name,
            std::string(ActionName(static_cast<ActionKind>(k)))},
           n});
    }
    if (static_cast<size_t>(r) < assign_counts_.size() &&
        assign_counts_[r] > 0) {
      stats_.decisions_by_rule_action.push_back(
          {{rs_->rules[r].name, "assign"}, assign_counts_[r]});
    }
  }
  stats_.unmatched_event_types.assign(unmatched_.begin(), unmatched_.end());
  std::sort(stats_.unmatched_event_types.begin(),
            stats_.unmatched_event_types.end(),
            [](const std::pair<std::string, int64_t>& a,
               const std::pair<std::string, int64_t>& b) {
              if (a.second != b.second) return a.second > b.second;
              return a.first < b.first;
            });
  const AssignerStats& routing = assigner_.stats();
  stats_.assignments = routing.assignments;
  stats_.conversations_abandoned = routing.abandoned;
  stats_.route_timeouts = routing.route_timeouts;
  stats_.unassignable_routes = routing.unassignable;
  stats_.transfers = routing.transfers;
  stats_.conversations_waiting = assigner_.waiting();
  stats_.conversations_assigned = assigner_.assigned();
  stats_.agent_events_ignored =
      agent_events_ignored_ + routing.agent_events_ignored;
  return stats_;
}

int64_t EngineImpl::PendingTimerCount() const {
  int64_t n = 0;
  for (const Session& session : slab_) {
    if (!session.live || session.armed == 0) continue;
    for (size_t g = 0; g < session.timers.size(); ++g) {
      if (session.timers[g].armed) n += plan_->timer_groups()[g].rules.size();
    }
  }
  return n;
}

std::vector<PendingTimer> EngineImpl::PendingRoutingTimers() const {
  std::vector<PendingTimer> out;
  for (const route::Assigner::PendingWake& w : assigner_.PendingWakes()) {
    out.push_back({w.deadline, std::string(w.session), std::string(w.rule),
                   w.timeout ? "timeout" : "relax"});
  }
  return out;
}

std::vector<PendingTimer> EngineImpl::PendingTimers() const {
  struct Item {
    absl::Time deadline;
    const std::string* session;
    int group;
  };
  std::vector<Item> items;
  for (const Session& session : slab_) {
    if (!session.live) continue;
    for (size_t g = 0; g < session.timers.size(); ++g) {
      if (session.timers[g].armed) {
        items.push_back({session.timers[g].deadline, &session.header.id,
                         static_cast<int>(g)});
      }
    }
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.deadline != b.deadline) return a.deadline < b.deadline;
    if (*a.session != *b.session) return *a.session < *b.session;
    return a.group < b.group;
  });
  std::vector<PendingTimer> out;
  for (const Item& item : items) {
    const TimerGroup& group = plan_->timer_groups()[item.group];
    for (int r : group.rules) {
      out.push_back({item.deadline, *item.session, rs_->rules[r].name,
                     group.kind == TriggerKind::kIdle ? "idle" : "after"});
    }
  }
  return out;
}

// ---- extensions
// ------------------------------------------------------------------

cel::Value EngineImpl::CallExtension(int id, absl::Span<const cel::Value> args,
                                     absl::Time now) const {
  if (args.empty() || args[0].kind() != cel::ValueKind::kString) {
    return cel::Value::Error(cel::ErrorCode::kNoSuchOverload);
  }
  const std::string_view name = args[0].string_value();
  switch (id) {
    case kOpenExtension:
    case kOpenAtExtension: {
      absl::Time at = now;
      if (id == kOpenAtExtension) {
        if (args.size() < 2 || args[1].kind() != cel::ValueKind::kTimestamp) {
          return cel::Value::Error(cel::ErrorCode::kNoSuchOverload);
        }
        at = args[1].timestamp_value();
      }
      auto it = rs_->calendar_index.find(AbslView(name));
      if (it == rs_->calendar_index.end()) {
        return cel::Value::Error(
            cel::ErrorCode::kHost,
            absl::StrCat("unknown calendar '", AbslView(name), "'"));
      }
      return cel::Value::Bool(CalendarOpen(rs_->calendars[it->second], at));
    }
    case kChannelUpExtension: {
      auto it = rs_->channel_index.find(AbslView(name));
      if (it != rs_->channel_index.end()) {
        return cel::Value::Bool(channel_up_[it->second] != 0);
      }
      auto other = other_channels_.find(AbslView(name));
      return cel::Value::Bool(other == other_channels_.end() || other->second);
    }
    case kQueueExtension: {
      auto it = rs_->queue_index.find(AbslView(name));
      if (it == rs_->queue_index.end()) {
        return cel::Value::Error(
            cel::ErrorCode::kHost,
            absl::StrCat("unknown queue '", AbslView(name), "'"));
      }
      return QueueStatsValue(it->second, now);
    }
    default:
      return cel::Value::Error(cel::ErrorCode::kNoSuchOverload);
  }
}

}  // namespace run
}  // namespace switchboard
