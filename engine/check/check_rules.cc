// The `rules` section: each rule's keys, its trigger, its conditions and its
// actions, and the CEL glue (parse, check, compile, with every issue mapped
// to its position in the YAML file).
#include <algorithm>
#include <cctype>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "engine/cel/checker.h"
#include "engine/cel/parser.h"
#include "engine/cel/program.h"
#include "engine/check/checker_internal.h"
#include "engine/check/rule_env.h"
#include "engine/common/suggest.h"
#include "engine/common/time_util.h"

namespace switchboard::check_internal {
namespace {

constexpr const char* kActionNames[] = {
    "route", "handoff", "deflect", "offer", "callback", "tag", "set", "emit"};

int64_t MaxId(const cel::Expr& e) {
  int64_t id = e.id;
  auto visit = [&](const std::unique_ptr<cel::Expr>& child) {
    if (child) id = std::max(id, MaxId(*child));
  };
  visit(e.target);
  for (const auto& a : e.args) visit(a);
  visit(e.iter_range);
  visit(e.accu_init);
  visit(e.loop_condition);
  visit(e.loop_step);
  visit(e.result);
  return id;
}

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

std::string DescribeType(const cel::Type& t) { return t.DebugString(); }

const char kTagHint[] =
    "starts with '!', which YAML reads as a tag: quote the expression, e.g. "
    "\"!session.chat_offered\"";

}  // namespace

// ---- CEL -------------------------------------------------------------------

std::optional<CompiledExpr> Checker::CompileExpr(
    const YamlNode& scalar, std::string_view text, int64_t base,
    const cel::Env& env, Rule* rule, const cel::Type* want) {
  cel::ParseOptions parse_options;
  parse_options.max_depth = options_.cel_max_depth;
  parse_options.max_length = options_.cel_max_length;
  cel::ParseResult parsed = cel::Parse(text, parse_options);
  if (!parsed.issues.empty() || parsed.expr == nullptr) {
    for (const cel::Issue& issue : parsed.issues) {
      ErrorAt(scalar, base + issue.offset, issue.message);
    }
    if (parsed.issues.empty()) ErrorAt(scalar, base, "syntax error");
    return std::nullopt;
  }
  cel::CheckResult checked = cel::Check(*parsed.expr, env);
  if (!checked.ok()) {
    for (const cel::Issue& issue : checked.issues) {
      ErrorAt(scalar, base + issue.offset, issue.message);
    }
    // The names that did resolve are still worth checking.
    if (rule != nullptr) CheckNames(scalar, base, *parsed.expr, checked, rule);
    return std::nullopt;
  }
  const int errors_before = errors_;
  if (rule != nullptr) CheckNames(scalar, base, *parsed.expr, checked, rule);
  if (errors_ != errors_before) return std::nullopt;
  if (want != nullptr && want->kind() == cel::TypeKind::kDouble &&
      checked.type.kind() == cel::TypeKind::kInt) {
    // An int stored into a double: compile double(expr).
    auto wrapper = std::make_unique<cel::Expr>();
    wrapper->id = MaxId(*parsed.expr) + 1;
    wrapper->offset = parsed.expr->offset;
    wrapper->kind = cel::ExprKind::kCall;
    wrapper->name = "double";
    wrapper->args.push_back(std::move(parsed.expr));
    parsed.expr = std::move(wrapper);
    checked = cel::Check(*parsed.expr, env);
    if (!checked.ok()) {
      ErrorAt(scalar, base, "cannot convert the int value to double");
      return std::nullopt;
    }
  }
  absl::StatusOr<cel::Program> program =
      cel::Compile(*parsed.expr, env, &checked);
  if (!program.ok()) {
    ErrorAt(scalar, base, std::string(program.status().message()));
    return std::nullopt;
  }
  CompiledExpr out;
  out.type = checked.type;
  out.expr = std::shared_ptr<const cel::Expr>(std::move(parsed.expr));
  out.program = std::move(*program);
  return out;
}

void Checker::CheckNames(const YamlNode& scalar, int64_t base,
                         const cel::Expr& expr, const cel::CheckResult& checked,
                         Rule* rule) {
  if (expr.kind == cel::ExprKind::kCall) {
    auto ext = checked.extensions.find(expr.id);
    if (ext != checked.extensions.end() && !expr.args.empty() &&
        expr.args[0]->kind == cel::ExprKind::kConstant &&
        expr.args[0]->constant.kind == cel::Constant::Kind::kString) {
      const std::string& name = expr.args[0]->constant.string_value;
      const int64_t at = base + expr.args[0]->offset;
      std::vector<std::string> names;
      switch (ext->second) {
        case kOpenExtension:
        case kOpenAtExtension:
          if (out_->FindCalendar(name) < 0) {
            for (const Calendar& c : out_->calendars) names.push_back(c.name);
            ErrorAt(
                scalar, at,
                "unknown calendar '" + name + "'" + DidYouMean(name, names));
          }
          break;
        case kChannelUpExtension:
          if (out_->FindChannel(name) < 0) {
            for (const Channel& c : out_->channels) names.push_back(c.name);
            ErrorAt(scalar, at,
                    "unknown channel '" + name + "'" + DidYouMean(name, names));
          }
          break;
        case kQueueExtension:
          if (out_->FindQueue(name) < 0) {
            for (const Queue& q : out_->queues) names.push_back(q.name);
            ErrorAt(scalar, at,
                    "unknown queue '" + name + "'" + DidYouMean(name, names));
          }
          break;
        default:
          break;
      }
    }
  }
  if (expr.kind == cel::ExprKind::kSelect && expr.target &&
      expr.target->kind == cel::ExprKind::kIdent) {
    auto var = checked.variables.find(expr.target->id);
    if (var != checked.variables.end() && var->second == kSessionVariable) {
      const int field = out_->session_type->FindField(expr.name);
      if (field >= kFirstDeclaredSessionField) {
        rule->reads.push_back(field);
        ++field_reads_[field];
      }
    }
  }
  auto visit = [&](const std::unique_ptr<cel::Expr>& child) {
    if (child) CheckNames(scalar, base, *child, checked, rule);
  };
  visit(expr.target);
  for (const auto& a : expr.args) visit(a);
  visit(expr.iter_range);
  visit(expr.accu_init);
  visit(expr.loop_condition);
  visit(expr.loop_step);
  visit(expr.result);
}

// ---- rules -----------------------------------------------------------------

void Checker::CheckRules() {
  bool any_section = false;
  // Size the rule tables once: a Rule is large, and growing the vector moves
  // every rule checked so far (and frees big blocks, which makes malloc
  // consolidate its free lists).
  size_t expected = 0;
  for (const Section& section : rules_) {
    if (section.value->is_sequence()) expected += section.value->items.size();
  }
  expected = std::min(expected, static_cast<size_t>(options_.max_rules));
  out_->rules.reserve(expected);
  rule_sources_.reserve(expected);
  out_->rule_index.reserve(expected);
  for (const Section& section : rules_) {
    file_ = section.file;
    any_section = true;
    const YamlNode& body = *section.value;
    if (body.is_null()) continue;
    if (!ExpectList(body, "rules")) continue;
    for (const YamlNode* item : body.items) {
      if (static_cast<int>(out_->rules.size()) >= options_.max_rules) {
        Error(*item, "too many rules: the limit is " +
                         std::to_string(options_.max_rules));
        return;
      }
      CheckRule(*item, static_cast<int>(out_->rules.size()));
    }
  }
  if (!any_section && !files_.empty()) {
    ++errors_;
    Diagnostic d;
    d.file = files_.front()->name();
    d.message = "missing 'rules': a ruleset needs a list of rules";
    diagnostics_->push_back(std::move(d));
  }
  // Distinct triggers.
  absl::flat_hash_map<std::string, int> keys;
  for (const Rule& rule : out_->rules) {
    if (rule.trigger.kind == TriggerKind::kEvent) {
      for (const EventPattern& p : rule.trigger.events) {
        keys.emplace(p.Written(), 0);
      }
    } else if (!rule.trigger.key.empty()) {
      keys.emplace(rule.trigger.key, 0);
    }
  }
  out_->trigger_count = static_cast<int>(keys.size());
}

void Checker::CheckRule(const YamlNode& node, int index) {
  if (!ExpectMap(node, "a rule")) return;
  Rule rule;
  rule.index = index;
  rule.pos = Pos(node);
  RuleSource source;
  source.file = file_;
  source.map = &node;
  source.name = &node;

  const YamlNode* name = node.Find("name");
  if (name == nullptr) {
    Error(node, "a rule needs a 'name'");
  } else if (auto n = ReadString(*name, "a rule name")) {
    rule.name = *n;
    source.name = name;
    auto [it, inserted] = out_->rule_index.emplace(rule.name, index);
    if (!inserted) {
      const int first = it->second;
      Error(*name,
            "duplicate rule name '" + rule.name + "' (first at " +
                Where(rule_sources_[first].file, out_->rules[first].pos.line) +
                ")");
    }
  }
  const std::string label =
      rule.name.empty() ? std::string("rule") : "rule '" + rule.name + "'";
  CheckKeys(node,
            {"name", "description", "priority", "on", "if", "then", "final",
             "enabled"},
            "in " + label);
  if (const YamlNode* d = node.Find("description")) {
    if (auto text = ReadString(*d, "description", /*allow_empty=*/true)) {
      rule.description = *text;
    }
  }
  if (const YamlNode* p = node.Find("priority")) {
    if (auto v = ReadInt(*p, "priority")) rule.priority = *v;
  }
  if (const YamlNode* f = node.Find("final")) {
    if (auto v = ReadBool(*f, "final")) rule.final = *v;
  }
  if (const YamlNode* e = node.Find("enabled")) {
    if (auto v = ReadBool(*e, "enabled")) rule.enabled = *v;
  }
  const YamlNode* on = node.Find("on");
  if (on == nullptr) {
    Error(*source.name, label + " has no 'on' (its trigger)");
    source.has_errors = true;
  } else if (!CheckTrigger(*on, &rule.trigger)) {
    source.has_errors = true;
  }
  if (const YamlNode* cond = node.Find("if")) {
    source.has_if = true;
    CheckConditions(*cond, &rule);
  }
  const YamlNode* then = node.Find("then");
  if (then == nullptr) {
    Error(*source.name, label + " has no 'then' (its actions)");
  } else {
    CheckActions(*then, &rule);
  }
  for (auto* list : {&rule.reads, &rule.writes}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
  out_->rules.push_back(std::move(rule));
  rule_sources_.push_back(source);
}

bool Checker::CheckTrigger(const YamlNode& on, Trigger* trigger) {
  trigger->pos = Pos(on);
  const int errors_before = errors_;
  auto global_trigger = [&](const YamlNode& node, const EventPattern& p) {
    if (p.prefix ? IsGlobalEventPrefix(p.text) : IsGlobalEventType(p.text)) {
      Error(node, "a rule cannot be triggered by the global event '" +
                      p.Written() + "': global events belong to no session");
      return true;
    }
    return false;
  };
  if (on.is_scalar() || on.is_sequence()) {
    trigger->kind = TriggerKind::kEvent;
    if (on.is_sequence() && on.items.empty()) {
      Error(on, "'on' is an empty list: give at least one event type");
    }
    for (const YamlNode* item :
         ReadScalars(on, "'on'", /*allow_single=*/true)) {
      auto pattern = ReadPattern(*item, "'on'", /*allow_prefix=*/true);
      if (!pattern || global_trigger(*item, *pattern)) continue;
      trigger->events.push_back(std::move(*pattern));
    }
    std::string key;
    for (const EventPattern& p : trigger->events) {
      if (!key.empty()) key += ", ";
      key += p.Written();
    }
    trigger->key = key;
    return errors_ == errors_before && !trigger->events.empty();
  }
  if (!on.is_map()) {
    Error(on,
          "'on' must be an event type, a list of them, a prefix such as "
          "'cart.*', {idle: D} or {after: D, since: TYPE}, got " +
              Describe(on));
    return false;
  }
  CheckKeys(on, {"idle", "after", "since", "unless"}, "in 'on'");
  const YamlNode* idle = on.Find("idle");
  const YamlNode* after = on.Find("after");
  const YamlNode* since = on.Find("since");
  const YamlNode* unless = on.Find("unless");
  if (idle != nullptr) {
    trigger->kind = TriggerKind::kIdle;
    if (after != nullptr || since != nullptr || unless != nullptr) {
      Error(on,
            "a trigger is either {idle: D} or {after: D, since: TYPE, "
            "unless: [TYPE, ...]}, not both");
    }
    if (auto d = ReadDuration(*idle, "idle")) {
      trigger->delay = *d;
      trigger->key = "idle " + absl::FormatDuration(*d);
    }
    return errors_ == errors_before;
  }
  if (after == nullptr) {
    if (on.entries.empty() || since != nullptr || unless != nullptr) {
      Error(since != nullptr ? *since : on,
            "'on' needs 'after' (the delay) with 'since', or 'idle'");
    }
    return false;
  }
  trigger->kind = TriggerKind::kAfter;
  std::optional<absl::Duration> delay = ReadDuration(*after, "after");
  if (delay) trigger->delay = *delay;
  auto wait_event = [&](const YamlNode& node,
                        const char* role) -> std::optional<EventPattern> {
    auto p = ReadPattern(node, role, /*allow_prefix=*/true);
    if (!p) return std::nullopt;
    if (p->prefix ? IsGlobalEventPrefix(p->text) : IsGlobalEventType(p->text)) {
      Error(node, "'" + p->Written() +
                      "' is a global event and belongs to no session; it "
                      "cannot be '" +
                      role + "'");
      return std::nullopt;
    }
    return p;
  };
  if (since == nullptr) {
    Error(*after,
          "'after' needs 'since': the event that starts the wait, "
          "e.g. {after: 3m, since: call.queued}");
  } else if (auto p = wait_event(*since, "since")) {
    trigger->since = *p;
  }
  if (unless != nullptr && !unless->is_null()) {
    for (const YamlNode* item :
         ReadScalars(*unless, "unless", /*allow_single=*/true)) {
      if (auto p = wait_event(*item, "unless")) {
        trigger->unless.push_back(*p);
      }
    }
  }
  if (errors_ != errors_before) return false;
  std::vector<std::string> unless_names;
  for (const EventPattern& u : trigger->unless) {
    unless_names.push_back(u.Written());
  }
  std::sort(unless_names.begin(), unless_names.end());
  trigger->key = "after " + absl::FormatDuration(trigger->delay) + " since " +
                 trigger->since.Written();
  for (size_t i = 0; i < unless_names.size(); ++i) {
    trigger->key += (i == 0 ? " unless " : ", ") + unless_names[i];
  }
  return true;
}

void Checker::CheckConditions(const YamlNode& node, Rule* rule) {
  std::vector<const YamlNode*> items;
  if (node.is_null()) {
    Error(node, "'if' is empty: write a condition, or remove 'if'");
    return;
  }
  if (node.is_scalar()) {
    items.push_back(&node);
  } else if (node.is_sequence()) {
    if (node.items.empty()) {
      Error(node, "'if' is an empty list: write a condition, or remove 'if'");
    }
    for (const YamlNode* item : node.items) {
      if (item->is_scalar()) {
        items.push_back(item);
      } else {
        Error(*item, "a condition must be a CEL expression (a string), got " +
                         Describe(*item));
      }
    }
  } else {
    Error(node, "'if' must be a CEL expression or a list of them, got " +
                    Describe(node));
    return;
  }
  for (const YamlNode* item : items) {
    if (item->tagged) {
      Error(*item, std::string("this condition ") + kTagHint);
      continue;
    }
    if (Trim(item->value).empty()) {
      Error(*item, "empty condition");
      continue;
    }
    std::optional<CompiledExpr> compiled =
        CompileExpr(*item, item->value, 0, *out_->env, rule);
    if (!compiled) continue;
    if (compiled->type.kind() != cel::TypeKind::kBool &&
        !compiled->type.is_dyn()) {
      ErrorAt(*item, 0,
              "condition must be bool, got " + DescribeType(compiled->type));
      continue;
    }
    Condition c;
    c.text = item->value;
    const auto [line, column] = file_->Locate(*item, 0);
    c.pos = SourcePos{file_->name(), line, column};
    c.expr = std::move(compiled->expr);
    c.program = std::move(compiled->program);
    rule->conditions.push_back(std::move(c));
  }
}

// ---- actions ---------------------------------------------------------------

void Checker::CheckActions(const YamlNode& node, Rule* rule) {
  if (node.is_null()) {
    Error(node, "'then' is empty: a rule needs at least one action");
    return;
  }
  if (!node.is_sequence()) {
    Error(node, "then must be a list of actions, e.g. '- tag: [vip]', got " +
                    Describe(node));
    return;
  }
  if (node.items.empty()) {
    Error(node, "'then' is an empty list: a rule needs at least one action");
    return;
  }
  for (const YamlNode* item : node.items) {
    if (!item->is_map() || item->entries.empty()) {
      Error(*item,
            "an action must be a map with the action's name, e.g. "
            "'tag: [vip]', got " +
                Describe(*item));
      continue;
    }
    for (size_t i = 1; i < item->entries.size(); ++i) {
      Error(*item->entries[i].key, "one action per list item: start '" +
                                       item->entries[i].key->value +
                                       "' with its own '- '");
    }
    const YamlNode::Entry& entry = item->entries.front();
    Action action;
    action.pos = Pos(*entry.key);
    if (CheckAction(*entry.key, *entry.value, &action, rule)) {
      rule->actions.push_back(std::move(action));
    }
  }
}

bool Checker::CheckAction(const YamlNode& name, const YamlNode& body,
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
    Error(name,
          "unknown action '" + n + "'" +
              DidYouMean(n, std::vector<std::string>(std::begin(kActionNames),
                                                     std::end(kActionNames))));
    return false;
  }
  action->kind = kKinds[found];
  switch (action->kind) {
    case ActionKind::kRoute:
      return CheckRoute(body, action);
    case ActionKind::kHandoff:
      return CheckHandoff(body, action);
    case ActionKind::kDeflect:
      return CheckDeflectOrOffer(body, /*deflect=*/true, action);
    case ActionKind::kOffer:
      return CheckDeflectOrOffer(body, /*deflect=*/false, action);
    case ActionKind::kCallback:
      return CheckCallback(body, action);
    case ActionKind::kTag:
      return CheckTag(body, action);
    case ActionKind::kSet:
      return CheckSet(body, action, rule);
    case ActionKind::kEmit:
      return CheckEmit(body, action, rule);
  }
  return false;
}

bool Checker::CheckRoute(const YamlNode& body, Action* action) {
  if (!body.is_map()) {
    Error(body,
          "route must be a map such as {queue: sales}, got " + Describe(body));
    return false;
  }
  const int errors_before = errors_;
  CheckKeys(body, {"queue", "priority", "skills", "timeout"}, "in route");
  RouteAction route;
  for (const YamlNode::Entry& e : body.entries) {
    const std::string& key = e.key->value;
    const YamlNode& v = *e.value;
    if (key == "queue") {
      if (auto name = ReadString(v, "route queue")) {
        route.queue = out_->FindQueue(*name);
        if (route.queue < 0) {
          std::vector<std::string> names;
          for (const Queue& q : out_->queues) names.push_back(q.name);
          Error(v, "unknown queue '" + *name + "'" + DidYouMean(*name, names));
        } else {
          action->params.push_back({"queue", cel::Value::String(*name)});
        }
      }
    } else if (key == "priority") {
      if (auto p = ReadInt(v, "route priority")) {
        route.priority = *p;
        action->params.push_back({"priority", cel::Value::Int(*p)});
      }
    } else if (key == "skills") {
      route.skills = ReadSkills(v, "route skills");
      route.skills_written = true;
      std::vector<std::pair<cel::Value, cel::Value>> entries;
      for (const SkillLevel& s : route.skills) {
        entries.emplace_back(cel::Value::String(s.skill),
                             cel::Value::Int(s.level));
      }
      action->params.push_back({"skills", cel::Value::Map(std::move(entries))});
    } else if (key == "timeout") {
      if (auto d = ReadDuration(v, "route timeout")) {
        route.timeout = *d;
        action->params.push_back({"timeout", cel::Value::Duration(*d)});
      }
    }
  }
  if (body.Find("queue") == nullptr) {
    Error(body, "route needs a 'queue'");
  }
  if (route.queue >= 0 && !route.skills_written) {
    route.skills = out_->queues[route.queue].skills;
  }
  action->detail = std::move(route);
  return errors_ == errors_before;
}

bool Checker::CheckHandoff(const YamlNode& body, Action* action) {
  if (!body.is_map()) {
    Error(body,
          "handoff must be a map such as {to: agent}, got " + Describe(body));
    return false;
  }
  const int errors_before = errors_;
  CheckKeys(body, {"to", "reason"}, "in handoff");
  HandoffAction handoff;
  for (const YamlNode::Entry& e : body.entries) {
    const std::string& key = e.key->value;
    const YamlNode& v = *e.value;
    if (key == "to") {
      if (v.is_scalar() && (v.value == "bot" || v.value == "agent")) {
        handoff.to_agent = v.value == "agent";
        action->params.push_back({"to", cel::Value::String(v.value)});
      } else {
        Error(v, "handoff 'to' must be 'bot' or 'agent', got " + Describe(v));
      }
    } else if (key == "reason") {
      if (auto r = ReadString(v, "handoff reason", /*allow_empty=*/true)) {
        handoff.reason = *r;
        action->params.push_back({"reason", cel::Value::String(*r)});
      }
    }
  }
  if (body.Find("to") == nullptr) {
    Error(body, "handoff needs 'to': bot or agent");
  }
  action->detail = std::move(handoff);
  return errors_ == errors_before;
}

bool Checker::CheckDeflectOrOffer(const YamlNode& body, bool deflect,
                                  Action* action) {
  const char* kind = deflect ? "deflect" : "offer";
  const char* channel_key = deflect ? "to" : "channel";
  if (!body.is_map()) {
    Error(body, std::string(kind) + " must be a map such as {" + channel_key +
                    ": chat, message: M}, got " + Describe(body));
    return false;
  }
  const int errors_before = errors_;
  CheckKeys(body, {channel_key, "message"}, std::string("in ") + kind);
  int channel = -1;
  std::string message;
  for (const YamlNode::Entry& e : body.entries) {
    const std::string& key = e.key->value;
    const YamlNode& v = *e.value;
    if (key == channel_key) {
      channel = ResolveChannel(v, std::string(kind) + " '" + channel_key + "'");
      if (channel >= 0) {
        action->params.push_back({key, cel::Value::String(v.value)});
      }
    } else if (key == "message") {
      if (auto m = ReadString(v, "message", /*allow_empty=*/true)) {
        message = *m;
        action->params.push_back({"message", cel::Value::String(*m)});
      }
    }
  }
  if (body.Find(channel_key) == nullptr) {
    Error(body,
          std::string(kind) + " needs '" + channel_key + "': the channel");
  }
  if (deflect) {
    action->detail = DeflectAction{channel, message};
  } else {
    action->detail = OfferAction{channel, message};
  }
  return errors_ == errors_before;
}

bool Checker::CheckCallback(const YamlNode& body, Action* action) {
  CallbackAction callback;
  if (body.is_null()) {
    action->detail = callback;
    return true;
  }
  if (!body.is_map()) {
    Error(body,
          "callback must be a map such as {within: 2h}, got " + Describe(body));
    return false;
  }
  const int errors_before = errors_;
  CheckKeys(body, {"within"}, "in callback");
  if (const YamlNode* within = body.Find("within")) {
    if (auto d = ReadDuration(*within, "callback within")) {
      callback.within = *d;
      action->params.push_back({"within", cel::Value::Duration(*d)});
    }
  }
  action->detail = callback;
  return errors_ == errors_before;
}

bool Checker::CheckTag(const YamlNode& body, Action* action) {
  const int errors_before = errors_;
  TagAction tag;
  std::vector<cel::Value> labels;
  if (body.is_sequence() && body.items.empty()) {
    Error(body, "tag needs at least one label, e.g. 'tag: [vip]'");
  }
  for (const YamlNode* item : ReadScalars(body, "tag", /*allow_single=*/true)) {
    tag.labels.push_back(item->value);
    labels.push_back(cel::Value::String(item->value));
  }
  action->params.push_back({"labels", cel::Value::List(std::move(labels))});
  action->detail = std::move(tag);
  return errors_ == errors_before;
}

std::optional<ComputedValue> Checker::CheckValue(const YamlNode& value,
                                                 const cel::Type& target,
                                                 std::string_view what,
                                                 Rule* rule) {
  ComputedValue out;
  out.pos = Pos(value);
  auto mismatch = [&](const std::string& got) {
    ErrorAt(value, 0,
            std::string(what) + " is " + DescribeType(target) +
                ", but the value is " + got);
  };
  if (value.is_null()) {
    Error(value, std::string(what) + " needs a value");
    return std::nullopt;
  }
  if (!value.is_scalar()) {
    Error(value, std::string(what) +
                     " must be a YAML number or bool, or a CEL expression in "
                     "a string, got " +
                     Describe(value));
    return std::nullopt;
  }
  if (value.tagged) {
    Error(value, std::string("this value ") + kTagHint);
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
        mismatch(DescribeType(type));
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
    Error(value, std::string(what) + " needs a value");
    return std::nullopt;
  }
  std::optional<CompiledExpr> compiled =
      CompileExpr(value, text, 0, *out_->env, rule, &target);
  if (!compiled) return std::nullopt;
  if (!IsAssignable(compiled->type, target)) {
    mismatch(DescribeType(compiled->type));
    return std::nullopt;
  }
  out.text = text;
  const auto [line, column] = file_->Locate(value, 0);
  out.pos = SourcePos{file_->name(), line, column};
  out.program = std::move(compiled->program);
  return out;
}

bool Checker::CheckSet(const YamlNode& body, Action* action, Rule* rule) {
  if (!body.is_map() || body.entries.empty()) {
    Error(body,
          "set must be a map of session fields to values, e.g. "
          "{chat_offered: true}, got " +
              Describe(body));
    return false;
  }
  const int errors_before = errors_;
  SetAction set;
  const cel::ObjectType& session = *out_->session_type;
  for (const YamlNode::Entry& e : body.entries) {
    const std::string& name = e.key->value;
    const int index = session.FindField(name);
    if (index < 0) {
      std::vector<std::string> names;
      for (const SessionField& f : out_->session.fields)
        names.push_back(f.name);
      Error(*e.key, "unknown field '" + name + "' of session" +
                        DidYouMean(name, names));
      continue;
    }
    if (index < kFirstDeclaredSessionField) {
      Error(*e.key,
            "'" + name + "' is a built-in member of session and cannot be set");
      continue;
    }
    rule->writes.push_back(index);
    ++field_writes_[index];
    std::optional<ComputedValue> v = CheckValue(
        *e.value, session.fields()[index].type, "field '" + name + "'", rule);
    if (!v) continue;
    set.assignments.push_back({name, index, std::move(*v)});
  }
  action->detail = std::move(set);
  return errors_ == errors_before;
}

bool Checker::CheckEmit(const YamlNode& body, Action* action, Rule* rule) {
  if (!body.is_map()) {
    Error(body, "emit must be a map such as {type: order.checked}, got " +
                    Describe(body));
    return false;
  }
  const int errors_before = errors_;
  EmitAction emit;
  const YamlNode* type = body.Find("type");
  if (type == nullptr) {
    Error(body, "emit needs a 'type': the event type to emit");
  } else if (auto p = ReadPattern(*type, "emit type", /*allow_prefix=*/false)) {
    if (IsGlobalEventType(p->text)) {
      Error(*type, "cannot emit the global event '" + p->text +
                       "': derived events belong to the session");
    } else {
      emit.type = p->text;
    }
  }
  const cel::ObjectType& event = *out_->event_type;
  for (const YamlNode::Entry& e : body.entries) {
    const std::string& name = e.key->value;
    if (name == "type") continue;
    const int index = event.FindField(name);
    if (index == kEventTimeField) {
      Error(*e.key,
            "'time' cannot be set: a derived event carries its "
            "parent's time");
      continue;
    }
    if (index == kEventKeyField) {
      Error(*e.key, "'" + name +
                        "' cannot be set: a derived event belongs to the "
                        "same session");
      continue;
    }
    if (index < 0) {
      std::vector<std::string> names = {"type", "channel", "queue", "waited"};
      for (const EventAttribute& a : out_->event_attributes) {
        if (!a.builtin) names.push_back(a.name);
      }
      Error(*e.key, "unknown attribute '" + name + "' of event" +
                        DidYouMean(name, names));
      continue;
    }
    std::optional<ComputedValue> v = CheckValue(
        *e.value, event.fields()[index].type, "attribute '" + name + "'", rule);
    if (!v) continue;
    emit.attributes.push_back({name, index, std::move(*v)});
  }
  action->detail = std::move(emit);
  return errors_ == errors_before;
}

}  // namespace switchboard::check_internal
