// The actions of a rule (action_checks.h). A `set` or `emit` value is a
// YAML number or bool, a bare duration or timestamp, or a CEL expression in
// a string, of the type of the field or attribute it is stored into.
#include "engine/check/action_checks.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "engine/cel/types.h"
#include "engine/cel/value.h"
#include "engine/check/cel_expressions.h"
#include "engine/check/rule_env.h"
#include "engine/check/yaml_values.h"
#include "engine/common/suggest.h"
#include "engine/common/time_util.h"

namespace switchboard::check {
namespace {

using ::switchboard::common::DidYouMean;
using ::switchboard::load::YamlNode;

constexpr const char* kActionNames[] = {
    "route", "handoff", "deflect", "offer", "callback", "tag", "set", "emit"};

// Whether a value of type `from` may be stored where `to` is declared.
bool IsAssignable(const cel::Type& from, const cel::Type& to) {
  using cel::TypeKind;
  if (from.is_dyn() || to.is_dyn()) return true;
  if (from.kind() == TypeKind::kTypeParam ||
      to.kind() == TypeKind::kTypeParam) {
    return true;
  }
  if (from.kind() != to.kind()) return false;
  switch (to.kind()) {
    case TypeKind::kList:
      return IsAssignable(from.elem(), to.elem());
    case TypeKind::kMap:
      return IsAssignable(from.key(), to.key()) &&
             IsAssignable(from.value(), to.value());
    case TypeKind::kObject:
      return from.object() == to.object();
    default:
      return true;
  }
}

bool IsYamlBool(const std::string& v, bool* value) {
  if (v == "true" || v == "True" || v == "TRUE") {
    *value = true;
    return true;
  }
  if (v == "false" || v == "False" || v == "FALSE") {
    *value = false;
    return true;
  }
  return false;
}

// YAML 1.2 core schema floats:
// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsYamlFloat(const std::string& v) {
  size_t i = 0;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
  size_t digits = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) {
    ++i, ++digits;
  }
  if (i < v.size() && v[i] == '.') {
    ++i;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) {
      ++i, ++digits;
    }
  }
  if (digits == 0) return false;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    size_t exp = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) {
      ++i, ++exp;
    }
    if (exp == 0) return false;
  }
  return i == v.size();
}

bool CheckRoute(CheckContext& ctx, const YamlNode& body, Action* action) {
  if (!body.is_map()) {
    ctx.Error(body, "route must be a map such as {queue: sales}, got " +
                        Describe(body));
    return false;
  }
  const int errors_before = ctx.errors();
  CheckKeys(ctx, body, {"queue", "priority", "skills", "timeout"}, "in route");
  RouteAction route;
  for (const YamlNode::Entry& e : body.entries) {
    const std::string& key = e.key->value;
    const YamlNode& v = *e.value;
    if (key == "queue") {
      if (auto name = ReadString(ctx, v, "route queue")) {
        route.queue = ctx.ruleset().FindQueue(*name);
        if (route.queue < 0) {
          std::vector<std::string> names;
          for (const Queue& q : ctx.ruleset().queues) names.push_back(q.name);
          ctx.Error(v,
                    "unknown queue '" + *name + "'" + DidYouMean(*name, names));
        } else {
          action->params.push_back({"queue", cel::Value::String(*name)});
        }
      }
    } else if (key == "priority") {
      if (auto p = ReadInt(ctx, v, "route priority")) {
        route.priority = *p;
        action->params.push_back({"priority", cel::Value::Int(*p)});
      }
    } else if (key == "skills") {
      route.skills = ReadSkills(ctx, v, "route skills");
      route.skills_written = true;
      std::vector<std::pair<cel::Value, cel::Value>> entries;
      for (const SkillLevel& s : route.skills) {
        entries.emplace_back(cel::Value::String(s.skill),
                             cel::Value::Int(s.level));
      }
      action->params.push_back({"skills", cel::Value::Map(std::move(entries))});
    } else if (key == "timeout") {
      if (auto d = ReadDuration(ctx, v, "route timeout")) {
        route.timeout = *d;
        action->params.push_back({"timeout", cel::Value::Duration(*d)});
      }
    }
  }
  if (body.Find("queue") == nullptr) {
    ctx.Error(body, "route needs a 'queue'");
  }
  if (route.queue >= 0 && !route.skills_written) {
    route.skills = ctx.ruleset().queues[route.queue].skills;
  }
  action->detail = std::move(route);
  return ctx.errors() == errors_before;
}

bool CheckHandoff(CheckContext& ctx, const YamlNode& body, Action* action) {
  if (!body.is_map()) {
    ctx.Error(body, "handoff must be a map such as {to: agent}, got " +
                        Describe(body));
    return false;
  }
  const int errors_before = ctx.errors();
  CheckKeys(ctx, body, {"to", "reason"}, "in handoff");
  HandoffAction handoff;
  for (const YamlNode::Entry& e : body.entries) {
    const std::string& key = e.key->value;
    const YamlNode& v = *e.value;
    if (key == "to") {
      if (v.is_scalar() && (v.value == "bot" || v.value == "agent")) {
        handoff.to_agent = v.value == "agent";
        action->params.push_back({"to", cel::Value::String(v.value)});
      } else {
        ctx.Error(v,
                  "handoff 'to' must be 'bot' or 'agent', got " + Describe(v));
      }
    } else if (key == "reason") {
      if (auto r = ReadString(ctx, v, "handoff reason", /*allow_empty=*/true)) {
        handoff.reason = *r;
        action->params.push_back({"reason", cel::Value::String(*r)});
      }
    }
  }
  if (body.Find("to") == nullptr) {
    ctx.Error(body, "handoff needs 'to': bot or agent");
  }
  action->detail = std::move(handoff);
  return ctx.errors() == errors_before;
}

bool CheckDeflectOrOffer(CheckContext& ctx, const YamlNode& body, bool deflect,
                         Action* action) {
  const char* kind = deflect ? "deflect" : "offer";
  const char* channel_key = deflect ? "to" : "channel";
  if (!body.is_map()) {
    ctx.Error(body, std::string(kind) + " must be a map such as {" +
                        channel_key + ": chat, message: M}, got " +
                        Describe(body));
    return false;
  }
  const int errors_before = ctx.errors();
  CheckKeys(ctx, body, {channel_key, "message"}, std::string("in ") + kind);
  int channel = -1;
  std::string message;
  for (const YamlNode::Entry& e : body.entries) {
    const std::string& key = e.key->value;
    const YamlNode& v = *e.value;
    if (key == channel_key) {
      channel =
          ResolveChannel(ctx, v, std::string(kind) + " '" + channel_key + "'");
      if (channel >= 0) {
        action->params.push_back({key, cel::Value::String(v.value)});
      }
    } else if (key == "message") {
      if (auto m = ReadString(ctx, v, "message", /*allow_empty=*/true)) {
        message = *m;
        action->params.push_back({"message", cel::Value::String(*m)});
      }
    }
  }
  if (body.Find(channel_key) == nullptr) {
    ctx.Error(body,
              std::string(kind) + " needs '" + channel_key + "': the channel");
  }
  if (deflect) {
    action->detail = DeflectAction{channel, message};
  } else {
    action->detail = OfferAction{channel, message};
  }
  return ctx.errors() == errors_before;
}

bool CheckCallback(CheckContext& ctx, const YamlNode& body, Action* action) {
  CallbackAction callback;
  if (body.is_null()) {
    action->detail = callback;
    return true;
  }
  if (!body.is_map()) {
    ctx.Error(body, "callback must be a map such as {within: 2h}, got " +
                        Describe(body));
    return false;
  }
  const int errors_before = ctx.errors();
  CheckKeys(ctx, body, {"within"}, "in callback");
  if (const YamlNode* within = body.Find("within")) {
    if (auto d = ReadDuration(ctx, *within, "callback within")) {
      callback.within = *d;
      action->params.push_back({"within", cel::Value::Duration(*d)});
    }
  }
  action->detail = callback;
  return ctx.errors() == errors_before;
}

bool CheckTag(CheckContext& ctx, const YamlNode& body, Action* action) {
  const int errors_before = ctx.errors();
  TagAction tag;
  std::vector<cel::Value> labels;
  if (body.is_sequence() && body.items.empty()) {
    ctx.Error(body, "tag needs at least one label, e.g. 'tag: [vip]'");
  }
  for (const YamlNode* item :
       ReadScalars(ctx, body, "tag", /*allow_single=*/true)) {
    tag.labels.push_back(item->value);
    labels.push_back(cel::Value::String(item->value));
  }
  action->params.push_back({"labels", cel::Value::List(std::move(labels))});
  action->detail = std::move(tag);
  return ctx.errors() == errors_before;
}

// A `set` or `emit` value of type `target`.
std::optional<ComputedValue> CheckValue(CheckContext& ctx,
                                        const YamlNode& value,
                                        const cel::Type& target,
                                        std::string_view what, Rule* rule) {
  ComputedValue out;
  out.pos = ctx.Pos(value);
  auto mismatch = [&](const std::string& got) {
    ctx.ErrorAt(value, 0,
                std::string(what) + " is " + target.DebugString() +
                    ", but the value is " + got);
  };
  if (value.is_null()) {
    ctx.Error(value, std::string(what) + " needs a value");
    return std::nullopt;
  }
  if (!value.is_scalar()) {
    ctx.Error(value,
              std::string(what) +
                  " must be a YAML number or bool, or a CEL expression in "
                  "a string, got " +
                  Describe(value));
    return std::nullopt;
  }
  if (value.tagged) {
    ctx.Error(value, std::string("this value ") + kTagHint);
    return std::nullopt;
  }
  const std::string& text = value.value;
  if (value.is_plain_scalar()) {
    bool b = false;
    int64_t i = 0;
    double d = 0;
    std::optional<cel::Value> literal;
    cel::Type type;
    if (IsYamlBool(text, &b)) {
      literal = cel::Value::Bool(b);
      type = cel::Type::Bool();
    } else if (absl::SimpleAtoi(text, &i) &&
               text.find_first_of(" \t") == std::string::npos) {
      literal = cel::Value::Int(i);
      type = cel::Type::Int();
    } else if (IsYamlFloat(text) && absl::SimpleAtod(text, &d)) {
      literal = cel::Value::Double(d);
      type = cel::Type::Double();
    }
    if (literal) {
      if (type.kind() == cel::TypeKind::kInt &&
          target.kind() == cel::TypeKind::kDouble) {
        literal = cel::Value::Double(static_cast<double>(i));
      } else if (!IsAssignable(type, target)) {
        mismatch(type.DebugString());
        return std::nullopt;
      }
      out.literal = std::move(literal);
      return out;
    }
  }
  // Durations and timestamps may be written bare: `wait: 90s`.
  if (target.kind() == cel::TypeKind::kDuration) {
    if (auto dur = ParseDuration(text); dur.ok()) {
      out.literal = cel::Value::Duration(*dur);
      return out;
    }
  }
  if (target.kind() == cel::TypeKind::kTimestamp) {
    if (auto t = ParseTimestamp(text); t.ok()) {
      out.literal = cel::Value::Timestamp(*t);
      return out;
    }
  }
  if (Trim(text).empty()) {
    ctx.Error(value, std::string(what) + " needs a value");
    return std::nullopt;
  }
  std::optional<CompiledExpr> compiled =
      CompileExpr(ctx, value, text, 0, *ctx.ruleset().env, rule, &target);
  if (!compiled) return std::nullopt;
  if (!IsAssignable(compiled->type, target)) {
    mismatch(compiled->type.DebugString());
    return std::nullopt;
  }
  out.text = text;
  const auto [line, column] = ctx.file()->Locate(value, 0);
  out.pos = SourcePos{ctx.file()->name(), line, column};
  out.program = std::move(compiled->program);
  return out;
}

bool CheckSet(CheckContext& ctx, const YamlNode& body, Action* action,
              Rule* rule) {
  if (!body.is_map() || body.entries.empty()) {
    ctx.Error(body,
              "set must be a map of session fields to values, e.g. "
              "{chat_offered: true}, got " +
                  Describe(body));
    return false;
  }
  const int errors_before = ctx.errors();
  SetAction set;
  const cel::ObjectType& session = *ctx.ruleset().session_type;
  for (const YamlNode::Entry& e : body.entries) {
    const std::string& name = e.key->value;
    const int index = session.FindField(name);
    if (index < 0) {
      std::vector<std::string> names;
      for (const SessionField& f : ctx.ruleset().session.fields)
        names.push_back(f.name);
      ctx.Error(*e.key, "unknown field '" + name + "' of session" +
                            DidYouMean(name, names));
      continue;
    }
    if (index < kFirstDeclaredSessionField) {
      ctx.Error(
          *e.key,
          "'" + name + "' is a built-in member of session and cannot be set");
      continue;
    }
    rule->writes.push_back(index);
    ++ctx.field_usage().writes[index];
    std::optional<ComputedValue> v =
        CheckValue(ctx, *e.value, session.fields()[index].type,
                   "field '" + name + "'", rule);
    if (!v) continue;
    set.assignments.push_back({name, index, std::move(*v)});
  }
  action->detail = std::move(set);
  return ctx.errors() == errors_before;
}

bool CheckEmit(CheckContext& ctx, const YamlNode& body, Action* action,
               Rule* rule) {
  if (!body.is_map()) {
    ctx.Error(body, "emit must be a map such as {type: order.checked}, got " +
                        Describe(body));
    return false;
  }
  const int errors_before = ctx.errors();
  EmitAction emit;
  const YamlNode* type = body.Find("type");
  if (type == nullptr) {
    ctx.Error(body, "emit needs a 'type': the event type to emit");
  } else if (auto p =
                 ReadPattern(ctx, *type, "emit type", /*allow_prefix=*/false)) {
    if (IsGlobalEventType(p->text)) {
      ctx.Error(*type, "cannot emit the global event '" + p->text +
                           "': derived events belong to the session");
    } else {
      emit.type = p->text;
    }
  }
  const cel::ObjectType& event = *ctx.ruleset().event_type;
  for (const YamlNode::Entry& e : body.entries) {
    const std::string& name = e.key->value;
    if (name == "type") continue;
    const int index = event.FindField(name);
    if (index == kEventTimeField) {
      ctx.Error(*e.key,
                "'time' cannot be set: a derived event carries its "
                "parent's time");
      continue;
    }
    if (index == kEventKeyField) {
      ctx.Error(*e.key, "'" + name +
                            "' cannot be set: a derived event belongs to the "
                            "same session");
      continue;
    }
    if (index < 0) {
      std::vector<std::string> names = {"type", "channel", "queue", "waited"};
      for (const EventAttribute& a : ctx.ruleset().event_attributes) {
        if (!a.builtin) names.push_back(a.name);
      }
      ctx.Error(*e.key, "unknown attribute '" + name + "' of event" +
                            DidYouMean(name, names));
      continue;
    }
    std::optional<ComputedValue> v =
        CheckValue(ctx, *e.value, event.fields()[index].type,
                   "attribute '" + name + "'", rule);
    if (!v) continue;
    emit.attributes.push_back({name, index, std::move(*v)});
  }
  action->detail = std::move(emit);
  return ctx.errors() == errors_before;
}

bool CheckAction(CheckContext& ctx, const YamlNode& name, const YamlNode& body,
                 Action* action, Rule* rule) {
  const std::string& n = name.value;
  static constexpr ActionKind kKinds[] = {
      ActionKind::kRoute, ActionKind::kHandoff,  ActionKind::kDeflect,
      ActionKind::kOffer, ActionKind::kCallback, ActionKind::kTag,
      ActionKind::kSet,   ActionKind::kEmit};
  int found = -1;
  for (int i = 0; i < 8; ++i) {
    if (n == kActionNames[i]) found = i;
  }
  if (found < 0) {
    ctx.Error(name, "unknown action '" + n + "'" +
                        DidYouMean(n, std::vector<std::string>(
                                          std::begin(kActionNames),
                                          std::end(kActionNames))));
    return false;
  }
  action->kind = kKinds[found];
  switch (action->kind) {
    case ActionKind::kRoute:
      return CheckRoute(ctx, body, action);
    case ActionKind::kHandoff:
      return CheckHandoff(ctx, body, action);
    case ActionKind::kDeflect:
      return CheckDeflectOrOffer(ctx, body, /*deflect=*/true, action);
    case ActionKind::kOffer:
      return CheckDeflectOrOffer(ctx, body, /*deflect=*/false, action);
    case ActionKind::kCallback:
      return CheckCallback(ctx, body, action);
    case ActionKind::kTag:
      return CheckTag(ctx, body, action);
    case ActionKind::kSet:
      return CheckSet(ctx, body, action, rule);
    case ActionKind::kEmit:
      return CheckEmit(ctx, body, action, rule);
  }
  return false;
}

}  // namespace

void CheckActions(CheckContext& ctx, const YamlNode& node, Rule* rule) {
  if (node.is_null()) {
    ctx.Error(node, "'then' is empty: a rule needs at least one action");
    return;
  }
  if (!node.is_sequence()) {
    ctx.Error(node,
              "then must be a list of actions, e.g. '- tag: [vip]', got " +
                  Describe(node));
    return;
  }
  if (node.items.empty()) {
    ctx.Error(node,
              "'then' is an empty list: a rule needs at least one action");
    return;
  }
  for (const YamlNode* item : node.items) {
    if (!item->is_map() || item->entries.empty()) {
      ctx.Error(*item,
                "an action must be a map with the action's name, e.g. "
                "'tag: [vip]', got " +
                    Describe(*item));
      continue;
    }
    for (size_t i = 1; i < item->entries.size(); ++i) {
      ctx.Error(*item->entries[i].key, "one action per list item: start '" +
                                           item->entries[i].key->value +
                                           "' with its own '- '");
    }
    const YamlNode::Entry& entry = item->entries.front();
    Action action;
    action.pos = ctx.Pos(*entry.key);
    if (CheckAction(ctx, *entry.key, *entry.value, &action, rule)) {
      rule->actions.push_back(std::move(action));
    }
  }
}

}  // namespace switchboard::check
