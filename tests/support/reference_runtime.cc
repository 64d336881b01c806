// ReferenceRuntime: the slow, obviously correct engine used to cross-check
// switchboard::Engine. See reference_runtime.h. Deliberately independent of
// engine/run: every structure here is the plainest one that works.
#include "tests/support/reference_runtime.h"

#include <algorithm>
#include <string>
#include <utility>
#include <variant>

#include "engine/check/checked_ruleset.h"
#include "engine/check/rule_env.h"
#include "engine/common/time_util.h"
#include "engine/plan/ruleset_access.h"
#include "engine/route/calendar.h"

namespace switchboard::testing {
namespace {

using ::switchboard::check::Action;
using ::switchboard::check::ActionKind;
using ::switchboard::check::ActionName;
using ::switchboard::check::ActionParam;
using ::switchboard::check::Calendar;
using ::switchboard::check::Channel;
using ::switchboard::check::CheckedRuleset;
using ::switchboard::check::Condition;
using ::switchboard::check::DeflectAction;
using ::switchboard::check::EmitAction;
using ::switchboard::check::EventAttribute;
using ::switchboard::check::EventPattern;
using ::switchboard::check::kChannelUpExtension;
using ::switchboard::check::kEventChannelField;
using ::switchboard::check::kEventKeyField;
using ::switchboard::check::kEventQueueField;
using ::switchboard::check::kEventTimeField;
using ::switchboard::check::kEventTypeField;
using ::switchboard::check::kEventVariable;
using ::switchboard::check::kEventWaitedField;
using ::switchboard::check::kFirstDeclaredSessionField;
using ::switchboard::check::kNowVariable;
using ::switchboard::check::kOpenAtExtension;
using ::switchboard::check::kOpenExtension;
using ::switchboard::check::kQueueAvailableField;
using ::switchboard::check::kQueueExtension;
using ::switchboard::check::kQueueWaitingField;
using ::switchboard::check::kSessionChannelField;
using ::switchboard::check::kSessionEventsField;
using ::switchboard::check::kSessionIdField;
using ::switchboard::check::kSessionLastSeenField;
using ::switchboard::check::kSessionStartedField;
using ::switchboard::check::kSessionVariable;
using ::switchboard::check::Queue;
using ::switchboard::check::RouteAction;
using ::switchboard::check::Rule;
using ::switchboard::check::SessionField;
using ::switchboard::check::SetAction;
using ::switchboard::check::Trigger;
using ::switchboard::check::TriggerKind;
using ::switchboard::route::CalendarOpen;

using Record = ReferenceRuntime::Record;
using Session = ReferenceRuntime::Session;

// The checked ruleset: the reference reads it alone, never the engine's
// plan (engine/plan/ruleset_plan.h), so that the cross-check compares two
// independent readings of the rules.
const CheckedRuleset& Checked(const Ruleset& ruleset) {
  return plan::RulesetAccess::Checked(ruleset);
}

// A deep copy of `v` that owns its strings; an error value for objects.
cel::Value Owned(const cel::Value& v) {
  switch (v.kind()) {
    case cel::ValueKind::kString:
      return cel::Value::String(std::string(v.string_value()));
    case cel::ValueKind::kList: {
      std::vector<cel::Value> elements;
      for (const cel::Value& e : v.list_value().elements()) {
        elements.push_back(Owned(e));
      }
      return cel::Value::List(std::move(elements));
    }
    case cel::ValueKind::kMap: {
      std::vector<std::pair<cel::Value, cel::Value>> entries;
      for (const auto& [k, x] : v.map_value().entries()) {
        entries.emplace_back(Owned(k), Owned(x));
      }
      return cel::Value::Map(std::move(entries));
    }
    case cel::ValueKind::kObject:
      return cel::Value::Error(cel::ErrorCode::kHost, "object");
    default:
      return v;
  }
}

bool Keepable(const cel::Value& v) {
  return !v.is_error() && v.kind() != cel::ValueKind::kObject;
}

class RecordObject final : public cel::ObjectValue {
 public:
  RecordObject(const cel::ObjectType* type, const Record* record)
      : type_(type), record_(record) {}
  const cel::ObjectType& type() const override { return *type_; }
  cel::Value GetField(int index) const override {
    auto it = record_->attrs.find(index);
    if (it == record_->attrs.end()) {
      return cel::Value::MissingField(type_, index);
    }
    return it->second;
  }
  bool HasField(int index) const override {
    return record_->attrs.count(index) > 0;
  }

 private:
  const cel::ObjectType* type_;
  const Record* record_;
};

class SessionView final : public cel::ObjectValue {
 public:
  SessionView(const cel::ObjectType* type, const Session* session,
              const std::map<int, cel::Value>* fields)
      : type_(type), session_(session), fields_(fields) {}
  const cel::ObjectType& type() const override { return *type_; }
  cel::Value GetField(int index) const override {
    switch (index) {
      case kSessionIdField:
        return cel::Value::StringView(session_->id);
      case kSessionChannelField:
        if (!session_->has_channel) {
          return cel::Value::MissingField(type_, index);
        }
        return cel::Value::StringView(session_->channel);
      case kSessionStartedField:
        return cel::Value::Timestamp(session_->started);
      case kSessionLastSeenField:
        return cel::Value::Timestamp(session_->last_seen);
      case kSessionEventsField:
        return cel::Value::Int(session_->events);
      default: {
        auto it = fields_->find(index);
        if (it == fields_->end()) return cel::Value::MissingField(type_, index);
        return it->second;
      }
    }
  }
  bool HasField(int index) const override {
    if (index == kSessionChannelField) return session_->has_channel;
    if (index < kFirstDeclaredSessionField) return true;
    return fields_->count(index) > 0;
  }

 private:
  const cel::ObjectType* type_;
  const Session* session_;
  const std::map<int, cel::Value>* fields_;
};

class ZeroStats final : public cel::ObjectValue {
 public:
  explicit ZeroStats(const cel::ObjectType* type) : type_(type) {}
  const cel::ObjectType& type() const override { return *type_; }
  cel::Value GetField(int index) const override {
    if (index == kQueueWaitingField || index == kQueueAvailableField) {
      return cel::Value::Int(0);
    }
    return cel::Value::Duration(absl::ZeroDuration());
  }
  bool HasField(int) const override { return true; }

 private:
  const cel::ObjectType* type_;
};

class RefActivation final : public cel::Activation {
 public:
  RefActivation(const CheckedRuleset& rs,
                const std::map<std::string, bool>& health,
                const cel::ObjectValue* event, const cel::ObjectValue* session,
                absl::Time now)
      : rs_(rs),
        health_(health),
        event_(event),
        session_(session),
        now_(now),
        zero_(rs.queue_stats_type.get()) {}

  cel::Value GetVariable(int index) const override {
    if (index == kEventVariable) return cel::Value::Object(event_);
    if (index == kSessionVariable) return cel::Value::Object(session_);
    if (index == kNowVariable) return cel::Value::Timestamp(now_);
    return cel::Value::Error(cel::ErrorCode::kUnknownVariable);
  }

  cel::Value CallExtension(int id,
                           absl::Span<const cel::Value> args) const override {
    if (args.empty() || args[0].kind() != cel::ValueKind::kString) {
      return cel::Value::Error(cel::ErrorCode::kNoSuchOverload);
    }
    const std::string name(args[0].string_value());
    if (id == kChannelUpExtension) {
      auto it = health_.find(name);
      return cel::Value::Bool(it == health_.end() || it->second);
    }
    if (id == kOpenExtension || id == kOpenAtExtension) {
      absl::Time at = now_;
      if (id == kOpenAtExtension) {
        if (args.size() < 2 || args[1].kind() != cel::ValueKind::kTimestamp) {
          return cel::Value::Error(cel::ErrorCode::kNoSuchOverload);
        }
        at = args[1].timestamp_value();
      }
      for (const Calendar& c : rs_.calendars) {
        if (c.name == name) return cel::Value::Bool(CalendarOpen(c, at));
      }
      return cel::Value::Error(cel::ErrorCode::kHost, "unknown calendar");
    }
    if (id == kQueueExtension) {
      for (const Queue& q : rs_.queues) {
        if (q.name == name) return cel::Value::Object(&zero_);
      }
      return cel::Value::Error(cel::ErrorCode::kHost, "unknown queue");
    }
    return cel::Value::Error(cel::ErrorCode::kNoSuchOverload);
  }

 private:
  const CheckedRuleset& rs_;
  const std::map<std::string, bool>& health_;
  const cel::ObjectValue* event_;
  const cel::ObjectValue* session_;
  absl::Time now_;
  ZeroStats zero_;
};

std::string RecordType(const Record& r) {
  auto it = r.attrs.find(kEventTypeField);
  return it == r.attrs.end() ? std::string()
                             : std::string(it->second.string_value());
}

bool MatchesAny(const std::vector<EventPattern>& patterns,
                const std::string& type) {
  for (const EventPattern& p : patterns) {
    if (p.prefix) {
      if (type.size() > p.text.size() &&
          type.compare(0, p.text.size(), p.text) == 0) {
        return true;
      }
    } else if (type == p.text) {
      return true;
    }
  }
  return false;
}

bool IsGlobal(const std::string& type) {
  return type == "channel.down" || type == "channel.up" ||
         (type.size() > 6 && type.rfind("agent.", 0) == 0);
}

// The attribute as a value of `type`, or an error value.
cel::Value TypeAttribute(const Event::Attribute& a, const cel::Type& type) {
  const cel::TypeKind k = type.kind();
  const bool dyn = type.is_dyn();
  const cel::Value bad = cel::Value::Error(cel::ErrorCode::kConversion);
  switch (a.kind) {
    case Event::Kind::kNull:
      return dyn || k == cel::TypeKind::kNull ? cel::Value::Null() : bad;
    case Event::Kind::kBool:
      return dyn || k == cel::TypeKind::kBool ? cel::Value::Bool(a.bool_value)
                                              : bad;
    case Event::Kind::kInt:
      if (k == cel::TypeKind::kDouble) {
        return cel::Value::Double(static_cast<double>(a.int_value));
      }
      return dyn || k == cel::TypeKind::kInt ? cel::Value::Int(a.int_value)
                                             : bad;
    case Event::Kind::kDouble:
      return dyn || k == cel::TypeKind::kDouble
                 ? cel::Value::Double(a.double_value)
                 : bad;
    case Event::Kind::kString:
      if (k == cel::TypeKind::kDuration) {
        auto d = ::switchboard::ParseDuration(a.string_value);
        return d.ok() ? cel::Value::Duration(*d) : bad;
      }
      if (k == cel::TypeKind::kTimestamp) {
        auto t = ::switchboard::ParseTimestamp(a.string_value);
        return t.ok() ? cel::Value::Timestamp(*t) : bad;
      }
      return dyn || k == cel::TypeKind::kString
                 ? cel::Value::String(a.string_value)
                 : bad;
    case Event::Kind::kDuration:
      return dyn || k == cel::TypeKind::kDuration
                 ? cel::Value::Duration(a.duration_value)
                 : bad;
    case Event::Kind::kTimestamp:
      return dyn || k == cel::TypeKind::kTimestamp
                 ? cel::Value::Timestamp(a.time_value)
                 : bad;
    default:
      return bad;  // lists and maps: not covered by the reference
  }
}

std::string ParamText(const cel::Value& v) {
  switch (v.kind()) {
    case cel::ValueKind::kString:
      return std::string(v.string_value());
    case cel::ValueKind::kInt:
      return std::to_string(v.int_value());
    case cel::ValueKind::kDuration:
      return ::switchboard::FormatDuration(v.duration_value());
    case cel::ValueKind::kList: {
      std::string s;
      for (const cel::Value& e : v.list_value().elements()) {
        if (!s.empty()) s += ",";
        s += e.kind() == cel::ValueKind::kString ? std::string(e.string_value())
                                                 : e.DebugString();
      }
      return s;
    }
    case cel::ValueKind::kMap: {
      std::string s;
      for (const auto& [k, x] : v.map_value().entries()) {
        if (!s.empty()) s += ",";
        s +=
            std::string(k.string_value()) + ":" + std::to_string(x.int_value());
      }
      return s;
    }
    default:
      return "";
  }
}

}  // namespace

std::string DecisionLine(const Decision& d) {
  std::string line = ::switchboard::FormatTimestamp(d.time) + "|" +
                     std::string(d.session) + "|" + std::string(d.rule) + "|" +
                     std::string(d.action) + "|" + std::string(d.trigger) + "|";
  bool first = true;
  for (const DecisionParam& p : d.params) {
    if (!first) line += ";";
    first = false;
    line += std::string(p.name) + "=";
    switch (p.kind) {
      case DecisionParam::Kind::kString:
        line += std::string(p.string_value);
        break;
      case DecisionParam::Kind::kInt:
        line += std::to_string(p.int_value);
        break;
      case DecisionParam::Kind::kDuration:
        line += ::switchboard::FormatDuration(p.duration_value);
        break;
      case DecisionParam::Kind::kStringList: {
        std::string s;
        for (const std::string& x : p.strings) s += (s.empty() ? "" : ",") + x;
        line += s;
        break;
      }
      case DecisionParam::Kind::kIntMap: {
        std::string s;
        for (const auto& [k, n] : p.ints) {
          s += (s.empty() ? "" : ",") + k + ":" + std::to_string(n);
        }
        line += s;
        break;
      }
    }
  }
  return line;
}

ReferenceRuntime::ReferenceRuntime(std::shared_ptr<const Ruleset> ruleset)
    : ruleset_(std::move(ruleset)) {
  const CheckedRuleset& rs = Checked(*ruleset_);
  for (size_t i = 0; i < rs.rules.size(); ++i) order_.push_back(int(i));
  rule_errors_.assign(rs.rules.size(), 0);
  std::stable_sort(order_.begin(), order_.end(), [&rs](int a, int b) {
    return rs.rules[a].priority > rs.rules[b].priority;
  });
}

ReferenceRuntime::~ReferenceRuntime() = default;

bool ReferenceRuntime::ChannelUp(const std::string& name) const {
  auto it = channel_up_.find(name);
  return it == channel_up_.end() || it->second;
}

std::vector<int> ReferenceRuntime::RulesForEvent(
    const std::string& type) const {
  std::vector<int> out;
  if (IsGlobal(type)) return out;
  for (int r : order_) {
    const Rule& rule = Checked(*ruleset_).rules[r];
    if (rule.enabled && rule.trigger.kind == TriggerKind::kEvent &&
        MatchesAny(rule.trigger.events, type)) {
      out.push_back(r);
    }
  }
  return out;
}

std::vector<int> ReferenceRuntime::RulesForKey(const std::string& key) const {
  std::vector<int> out;
  for (int r : order_) {
    const Rule& rule = Checked(*ruleset_).rules[r];
    if (rule.enabled && rule.trigger.kind != TriggerKind::kEvent &&
        rule.trigger.key == key) {
      out.push_back(r);
    }
  }
  return out;
}

int ReferenceRuntime::KeyRank(const std::string& key) const {
  for (size_t i = 0; i < order_.size(); ++i) {
    const Rule& rule = Checked(*ruleset_).rules[order_[i]];
    if (rule.enabled && rule.trigger.kind != TriggerKind::kEvent &&
        rule.trigger.key == key) {
      return static_cast<int>(i);
    }
  }
  return static_cast<int>(order_.size());
}

void ReferenceRuntime::Arm(const std::string& session, const std::string& key,
                           absl::Time deadline, const Record* since) {
  Cancel(session, key);
  Timer t;
  t.session = session;
  t.key = key;
  t.deadline = deadline;
  if (since != nullptr) t.since = *since;
  timers_.push_back(std::move(t));
}

void ReferenceRuntime::Cancel(const std::string& session,
                              const std::string& key) {
  for (size_t i = 0; i < timers_.size(); ++i) {
    if (timers_[i].session == session && timers_[i].key == key) {
      timers_.erase(timers_.begin() + static_cast<std::ptrdiff_t>(i));
      NoteTimerGone(session);
      return;
    }
  }
}

void ReferenceRuntime::NoteTimerGone(const std::string& session) {
  for (const Timer& t : timers_) {
    if (t.session == session) return;
  }
  auto it = sessions_.find(session);
  if (it != sessions_.end()) it->second.timerless_since = clock_;
}

void ReferenceRuntime::ApplyAfter(Session& s, const Record& rec,
                                  absl::Time now) {
  const std::string type = RecordType(rec);
  // Each distinct `after` key once (the rules of one key share one wait).
  std::vector<std::string> done;
  for (int r : order_) {
    const Rule& rule = Checked(*ruleset_).rules[r];
    if (!rule.enabled || rule.trigger.kind != TriggerKind::kAfter) continue;
    const Trigger& t = rule.trigger;
    if (std::find(done.begin(), done.end(), t.key) != done.end()) continue;
    done.push_back(t.key);
    // The engine's documented order: `unless` cancels, then `since` (re)arms.
    if (MatchesAny(t.unless, type)) Cancel(s.id, t.key);
    if (MatchesAny({t.since}, type)) Arm(s.id, t.key, now + t.delay, &rec);
  }
}

void ReferenceRuntime::FireDue(absl::Time limit,
                               std::vector<std::string>* out) {
  for (;;) {
    int best = -1;
    for (size_t i = 0; i < timers_.size(); ++i) {
      const Timer& t = timers_[i];
      if (t.deadline > limit) continue;
      if (best < 0) {
        best = static_cast<int>(i);
        continue;
      }
      const Timer& b = timers_[best];
      if (t.deadline != b.deadline) {
        if (t.deadline < b.deadline) best = static_cast<int>(i);
        continue;
      }
      if (t.session != b.session) {
        if (t.session < b.session) best = static_cast<int>(i);
        continue;
      }
      if (KeyRank(t.key) < KeyRank(b.key)) best = static_cast<int>(i);
    }
    // Session expiry: a session without timers expires `expire` after its
    // last event, or when its last timer ends if that is later. At one
    // instant, timers fire before sessions expire.
    const absl::Duration expire = Checked(*ruleset_).session.expire;
    std::string expiring;
    absl::Time expiry_time = absl::InfiniteFuture();
    if (expire > absl::ZeroDuration() && expire != absl::InfiniteDuration()) {
      for (const auto& [id, session] : sessions_) {
        bool has_timer = false;
        for (const Timer& t : timers_) has_timer |= t.session == id;
        if (has_timer || session.queue >= 0) continue;
        const absl::Time due =
            std::max(session.last_seen + expire, session.timerless_since);
        if (due <= limit && due < expiry_time) {
          expiry_time = due;
          expiring = id;
        }
      }
    }
    if (!expiring.empty() &&
        (best < 0 || expiry_time < timers_[best].deadline)) {
      if (expiry_time > clock_) clock_ = expiry_time;
      sessions_.erase(expiring);
      continue;
    }
    if (best < 0) return;
    Timer timer = std::move(timers_[best]);
    timers_.erase(timers_.begin() + best);
    if (timer.deadline > clock_) clock_ = timer.deadline;
    NoteTimerGone(timer.session);
    Session& s = sessions_.at(timer.session);
    const std::vector<int> rules = RulesForKey(timer.key);
    const bool idle =
        Checked(*ruleset_).rules[rules[0]].trigger.kind == TriggerKind::kIdle;
    const Record source = idle ? s.last_event : timer.since;
    RunTrigger(s, source, timer.deadline, idle ? "idle" : "after", rules, out);
    RunDerived(s, timer.deadline, out);
  }
}

absl::Status ReferenceRuntime::Process(const Event& event,
                                       std::vector<std::string>* out) {
  const CheckedRuleset& rs = Checked(*ruleset_);
  if (event.type().empty()) return absl::InvalidArgumentError("no type");
  if (event.time() == absl::InfinitePast() ||
      event.time() == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("no time");
  }
  Record rec;
  rec.attrs[kEventTypeField] = cel::Value::String(event.type());
  rec.attrs[kEventTimeField] = cel::Value::Timestamp(event.time());
  if (rec.attrs[kEventTimeField].is_error()) {
    return absl::InvalidArgumentError("time out of range");
  }
  const bool route_timeout = event.type() == "route.timeout";
  for (const Event::Attribute& a : event) {
    for (const EventAttribute& ea : rs.event_attributes) {
      if (ea.name != a.name) continue;
      if (ea.index == kEventTypeField || ea.index == kEventTimeField) break;
      if ((ea.index == kEventQueueField || ea.index == kEventWaitedField) &&
          !route_timeout) {
        break;
      }
      cel::Value v = TypeAttribute(a, ea.type);
      if (v.is_error()) return absl::InvalidArgumentError("attribute type");
      rec.attrs[ea.index] = v;
      break;
    }
  }
  const bool global = IsGlobal(event.type());
  if (!global && rec.attrs.count(kEventKeyField) == 0) {
    return absl::InvalidArgumentError("no session key");
  }
  if (global && event.type().rfind("channel.", 0) == 0 &&
      rec.attrs.count(kEventChannelField) == 0) {
    return absl::InvalidArgumentError("no channel");
  }

  const absl::Time t = event.time() < clock_ ? clock_ : event.time();
  FireDue(t, out);
  clock_ = t;
  if (global) {
    if (event.type() == "channel.down" || event.type() == "channel.up") {
      channel_up_[std::string(rec.attrs[kEventChannelField].string_value())] =
          event.type() == "channel.up";
    }
    return absl::OkStatus();
  }
  const std::string id(rec.attrs[kEventKeyField].string_value());
  auto [it, created] = sessions_.try_emplace(id);
  Session& s = it->second;
  if (created) {
    s.id = id;
    s.started = t;
    s.timerless_since = t;
    for (const SessionField& f : rs.session.fields) {
      if (f.default_value.has_value()) {
        s.fields[f.index] = Owned(*f.default_value);
      }
    }
  }
  s.last_seen = t;
  ++s.events;
  auto ch = rec.attrs.find(kEventChannelField);
  if (ch != rec.attrs.end() && ch->second.kind() == cel::ValueKind::kString) {
    s.has_channel = true;
    s.channel = std::string(ch->second.string_value());
  }
  // Customer activity re-arms every idle timer.
  for (int r : order_) {
    const Rule& rule = rs.rules[r];
    if (rule.enabled && rule.trigger.kind == TriggerKind::kIdle) {
      Arm(id, rule.trigger.key, t + rule.trigger.delay, nullptr);
    }
  }
  ApplyAfter(s, rec, t);
  EndConversation(s, event.type(), t);
  RunTrigger(s, rec, t, event.type(), RulesForEvent(event.type()), out);
  RunDerived(s, t, out);
  s.last_event = rec;
  return absl::OkStatus();
}

std::vector<std::string> ReferenceRuntime::PendingTimerLines() const {
  std::vector<const Timer*> sorted;
  for (const Timer& t : timers_) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(),
            [this](const Timer* a, const Timer* b) {
              if (a->deadline != b->deadline) return a->deadline < b->deadline;
              if (a->session != b->session) return a->session < b->session;
              return KeyRank(a->key) < KeyRank(b->key);
            });
  std::vector<std::string> out;
  for (const Timer* t : sorted) {
    for (int r : RulesForKey(t->key)) {
      const Rule& rule = Checked(*ruleset_).rules[r];
      out.push_back(
          ::switchboard::FormatTimestamp(t->deadline) + "|" + t->session + "|" +
          rule.name + "|" +
          (rule.trigger.kind == TriggerKind::kIdle ? "idle" : "after"));
    }
  }
  return out;
}

void ReferenceRuntime::AdvanceTo(absl::Time time,
                                 std::vector<std::string>* out) {
  FireDue(time, out);
  if (time > clock_) clock_ = time;
}

void ReferenceRuntime::EndConversation(Session& s, const std::string& type,
                                       absl::Time now) {
  if (s.queue < 0) return;
  const Queue& q = Checked(*ruleset_).queues[s.queue];
  std::vector<std::string> ends = q.ends_on;
  if (ends.empty()) ends = {"conversation.closed", "call.ended"};
  for (const std::string& e : ends) {
    if (e == type) {
      s.queue = -1;
      s.timerless_since = std::max(s.timerless_since, now);
      return;
    }
  }
}

void ReferenceRuntime::RunDerived(Session& s, absl::Time now,
                                  std::vector<std::string>* out) {
  int processed = 0;
  while (!derived_.empty()) {
    if (processed >= 1000) {  // the engine's cap on one chain
      derived_.clear();
      break;
    }
    ++processed;
    const Record rec = derived_.front();
    derived_.pop_front();
    ApplyAfter(s, rec, now);
    const std::string type = RecordType(rec);
    EndConversation(s, type, now);
    RunTrigger(s, rec, now, type, RulesForEvent(type), out);
  }
}

void ReferenceRuntime::RunTrigger(Session& s, const Record& event,
                                  absl::Time now, const std::string& trigger,
                                  const std::vector<int>& rules,
                                  std::vector<std::string>* out) {
  const CheckedRuleset& rs = Checked(*ruleset_);
  const std::map<int, cel::Value> snapshot = s.fields;
  RecordObject event_object(rs.event_type.get(), &event);
  SessionView cond_session(rs.session_type.get(), &s, &snapshot);
  SessionView live_session(rs.session_type.get(), &s, &s.fields);
  RefActivation cond(rs, channel_up_, &event_object, &cond_session, now);
  RefActivation live(rs, channel_up_, &event_object, &live_session, now);
  bool taken[3] = {false, false, false};  // route, handoff, deflect
  const std::string head =
      ::switchboard::FormatTimestamp(now) + "|" + s.id + "|";
  for (int r : rules) {
    const Rule& rule = rs.rules[r];
    // CEL's `&&` over the list, written as its truth table: any false item
    // makes the rule false (no error); else any error makes it an error.
    bool any_false = false;
    bool any_error = false;
    for (const Condition& c : rule.conditions) {
      cel::Value v = c.program.Evaluate(cond);
      if (!v.is_bool()) {
        any_error = true;
      } else if (!v.bool_value()) {
        any_false = true;
        break;
      }
    }
    if (any_false) continue;
    if (any_error) {
      ++rule_errors_[r];
      continue;
    }
    for (const Action& action : rule.actions) {
      const std::string prefix = head + rule.name + "|" +
                                 std::string(ActionName(action.kind)) + "|" +
                                 trigger + "|";
      auto params = [&](const std::string& to_override) {
        std::string p;
        for (const ActionParam& ap : action.params) {
          if (!p.empty()) p += ";";
          std::string text = ParamText(ap.value);
          if (!to_override.empty() && ap.name == "to") text = to_override;
          p += ap.name + "=" + text;
        }
        return p;
      };
      int slot = -1;
      if (action.kind == ActionKind::kRoute) slot = 0;
      if (action.kind == ActionKind::kHandoff) slot = 1;
      if (action.kind == ActionKind::kDeflect) slot = 2;
      if (slot >= 0 && taken[slot]) continue;  // overridden
      if (action.kind == ActionKind::kRoute && !taken[0]) {
        s.queue = std::get<RouteAction>(action.detail).queue;
      }
      switch (action.kind) {
        case ActionKind::kRoute:
        case ActionKind::kHandoff:
        case ActionKind::kOffer:
        case ActionKind::kCallback:
        case ActionKind::kTag:
          if (slot >= 0) taken[slot] = true;
          out->push_back(prefix + params(""));
          break;
        case ActionKind::kDeflect: {
          const Channel& asked =
              rs.channels[std::get<DeflectAction>(action.detail).channel];
          if (ChannelUp(asked.name)) {
            taken[slot] = true;
            out->push_back(prefix + params(""));
            break;
          }
          for (const std::string& f : asked.fallback) {
            if (ChannelUp(f)) {
              taken[slot] = true;
              out->push_back(prefix + params(f) + ";requested=" + asked.name +
                             ";reason=channel_down");
              break;
            }
          }
          break;  // no healthy channel: no deflect, the slot stays free
        }
        case ActionKind::kSet: {
          // All or nothing: a failed value skips the whole action.
          const auto before = s.fields;
          for (const SetAction::Assignment& as :
               std::get<SetAction>(action.detail).assignments) {
            cel::Value v = as.value.literal.has_value()
                               ? *as.value.literal
                               : as.value.program.Evaluate(live);
            if (!Keepable(v)) {
              s.fields = before;
              ++rule_errors_[r];
              break;
            }
            s.fields[as.field_index] = Owned(v);
          }
          break;
        }
        case ActionKind::kEmit: {
          const EmitAction& emit = std::get<EmitAction>(action.detail);
          Record rec;
          rec.attrs[kEventTypeField] = cel::Value::String(emit.type);
          rec.attrs[kEventTimeField] = cel::Value::Timestamp(now);
          rec.attrs[kEventKeyField] = cel::Value::String(s.id);
          auto ch = event.attrs.find(kEventChannelField);
          if (ch != event.attrs.end()) {
            rec.attrs[kEventChannelField] = ch->second;
          }
          bool ok = true;
          for (const EmitAction::Attribute& a : emit.attributes) {
            cel::Value v = a.value.literal.has_value()
                               ? *a.value.literal
                               : a.value.program.Evaluate(live);
            if (!Keepable(v)) {
              ok = false;
              ++rule_errors_[r];
              break;
            }
            rec.attrs[a.attribute_index] = Owned(v);
          }
          if (ok) derived_.push_back(std::move(rec));
          break;
        }
      }
    }
    if (rule.final) break;
  }
}

}  // namespace switchboard::testing
