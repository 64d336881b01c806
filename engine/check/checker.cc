// RuleFiles -> CheckedRuleset: the sections other than `rules` (ruleset,
// session, event, calendars, channels, queues), the readers of YAML values
// that report their own mistakes, and the analyses of the whole ruleset
// (reachability, emit cycles, field usage). Rules are in check_rules.cc.
#include "engine/check/checker.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/time/civil_time.h"
#include "engine/cel/env.h"
#include "engine/check/checker_internal.h"
#include "engine/check/rule_env.h"
#include "engine/check/rule_graph.h"
#include "engine/common/suggest.h"
#include "engine/common/time_util.h"

namespace switchboard {

namespace check_internal {
namespace {

constexpr const char* kDayNames[] = {"mon", "tue", "wed", "thu",
                                     "fri", "sat", "sun"};

bool IsIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

bool IsCelReserved(std::string_view s) {
  static constexpr std::string_view kReserved[] = {
      "true",     "false",   "null",      "in",       "as",  "break",  "const",
      "continue", "else",    "for",       "function", "if",  "import", "let",
      "loop",     "package", "namespace", "return",   "var", "void",   "while"};
  return std::find(std::begin(kReserved), std::end(kReserved), s) !=
         std::end(kReserved);
}

std::string FormatMinutes(int minutes) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}

// "HH:MM" (or "H:MM") -> minutes; 24:00 allowed; nullopt when malformed.
std::optional<int> ParseClock(std::string_view s) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 ||
      s.size() - colon - 1 != 2) {
    return std::nullopt;
  }
  int h = 0, m = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == colon) continue;
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  }
  for (size_t i = 0; i < colon; ++i) h = h * 10 + (s[i] - '0');
  m = (s[colon + 1] - '0') * 10 + (s[colon + 2] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

// "YYYY-MM-DD", a real date.
std::optional<absl::CivilDay> ParseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  }
  const int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
                (s[3] - '0');
  const int m = (s[5] - '0') * 10 + (s[6] - '0');
  const int d = (s[8] - '0') * 10 + (s[9] - '0');
  const absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) {
    return std::nullopt;
  }
  return day;
}

// "; did you mean 'int'?" for a mistyped type name, including names other
// languages use (integer, float, boolean, str...).
std::string TypeHint(const std::string& name) {
  static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
      {"integer", "int"},        {"long", "int"},
      {"int64", "int"},          {"float", "double"},
      {"number", "double"},      {"real", "double"},
      {"boolean", "bool"},       {"str", "string"},
      {"text", "string"},        {"time", "timestamp"},
      {"datetime", "timestamp"}, {"date", "timestamp"},
      {"interval", "duration"},  {"array", "list"},
      {"object", "map"},         {"any", "dyn"}};
  for (const auto& [alias, type] : kAliases) {
    if (name == alias) return "; did you mean '" + std::string(type) + "'?";
  }
  return DidYouMean(name, {"bool", "int", "double", "string", "duration",
                           "timestamp", "list", "map", "dyn"});
}

// A copy of `v` that owns all its strings: a program's result may view the
// program's constants, and the program is gone once a default is computed.
cel::Value OwnedCopy(const cel::Value& v) {
  switch (v.kind()) {
    case cel::ValueKind::kString:
      return cel::Value::String(std::string(v.string_value()));
    case cel::ValueKind::kList: {
      std::vector<cel::Value> items;
      for (const cel::Value& item : v.list_value().elements()) {
        items.push_back(OwnedCopy(item));
      }
      return cel::Value::List(std::move(items));
    }
    case cel::ValueKind::kMap: {
      std::vector<std::pair<cel::Value, cel::Value>> entries;
      for (const auto& [key, value] : v.map_value().entries()) {
        entries.emplace_back(OwnedCopy(key), OwnedCopy(value));
      }
      return cel::Value::Map(std::move(entries));
    }
    default:
      return v;
  }
}

std::vector<std::string> Strings(std::initializer_list<const char*> list) {
  return std::vector<std::string>(list.begin(), list.end());
}

}  // namespace

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// ---- diagnostics ------------------------------------------------------------

Checker::Checker(const std::vector<const RuleFile*>& files,
                 const CheckOptions& options,
                 std::vector<Diagnostic>* diagnostics)
    : files_(files),
      options_(options),
      diagnostics_(diagnostics),
      out_(std::make_unique<CheckedRuleset>()) {}

void Checker::Error(const YamlNode& node, std::string message) {
  ++errors_;
  diagnostics_->push_back(
      file_->At(node, Severity::kError, std::move(message)));
}

void Checker::Warning(const YamlNode& node, std::string message) {
  diagnostics_->push_back(
      file_->At(node, Severity::kWarning, std::move(message)));
}

void Checker::ErrorAt(const YamlNode& scalar, int64_t offset,
                      std::string message) {
  ++errors_;
  diagnostics_->push_back(
      file_->AtOffset(scalar, offset, Severity::kError, std::move(message)));
}

std::string Checker::Where(const RuleFile* file, int line) const {
  if (file == file_) return "line " + std::to_string(line);
  return file->name() + ":" + std::to_string(line);
}

SourcePos Checker::Pos(const YamlNode& node) const {
  return SourcePos{file_->name(), node.line, node.column};
}

// ---- value readers ------------------------------------------------------

std::string Checker::Describe(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return "nothing";
    case YamlNode::Kind::kSequence:
      return "a list";
    case YamlNode::Kind::kMap:
      return "a map";
    case YamlNode::Kind::kScalar:
      break;
  }
  // One line, short: a diagnostic's message is a single line.
  std::string text;
  for (char c : node.value) {
    if (text.size() >= 40 && (static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      text += "...";
      break;
    }
    if (c == '\n') {
      text += "\\n";
    } else if (c == '\t') {
      text += "\\t";
    } else {
      text += c;
    }
  }
  return "'" + text + "'";
}

bool Checker::ExpectMap(const YamlNode& node, std::string_view what) {
  if (node.is_map()) return true;
  Error(node, std::string(what) + " must be a map, got " + Describe(node));
  return false;
}

bool Checker::ExpectList(const YamlNode& node, std::string_view what) {
  if (node.is_sequence()) return true;
  Error(node, std::string(what) + " must be a list, got " + Describe(node));
  return false;
}

void Checker::CheckKeys(const YamlNode& map,
                        std::initializer_list<const char*> allowed,
                        std::string_view where) {
  for (const YamlNode::Entry& e : map.entries) {
    const std::string& key = e.key->value;
    const bool known = std::any_of(allowed.begin(), allowed.end(),
                                   [&](const char* a) { return key == a; });
    if (!known) {
      Error(*e.key, "unknown key '" + key + "' " + std::string(where) +
                        DidYouMean(key, Strings(allowed)));
    }
  }
}

std::optional<std::string> Checker::ReadString(const YamlNode& node,
                                               std::string_view what,
                                               bool allow_empty) {
  if (!node.is_scalar() || (!allow_empty && node.value.empty())) {
    Error(node, std::string(what) + " must be a string, got " + Describe(node));
    return std::nullopt;
  }
  return node.value;
}

std::optional<std::string> Checker::ReadName(const YamlNode& node,
                                             std::string_view what) {
  std::optional<std::string> s = ReadString(node, what);
  if (!s) return std::nullopt;
  if (!IsIdentifier(*s)) {
    Error(node, std::string(what) + " '" + *s +
                    "' must be a name of letters, digits and '_' (not "
                    "starting with a digit)");
    return std::nullopt;
  }
  if (IsCelReserved(*s)) {
    Error(node, std::string(what) + " '" + *s +
                    "' is a reserved word in CEL; choose another name");
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> Checker::ReadInt(const YamlNode& node,
                                        std::string_view what) {
  int64_t value = 0;
  if (node.is_plain_scalar() && !node.value.empty() &&
      node.value.find_first_of(" \t") == std::string::npos &&
      absl::SimpleAtoi(node.value, &value)) {
    return value;
  }
  Error(node, std::string(what) + " must be an integer, got " + Describe(node));
  return std::nullopt;
}

std::optional<bool> Checker::ReadBool(const YamlNode& node,
                                      std::string_view what) {
  if (node.is_plain_scalar()) {
    const std::string& v = node.value;
    if (v == "true" || v == "True" || v == "TRUE") return true;
    if (v == "false" || v == "False" || v == "FALSE") return false;
  }
  Error(node,
        std::string(what) + " must be true or false, got " + Describe(node));
  return std::nullopt;
}

std::optional<absl::Duration> Checker::ReadDuration(const YamlNode& node,
                                                    std::string_view what) {
  if (!node.is_scalar()) {
    Error(node, std::string(what) + " must be a duration such as '90s', got " +
                    Describe(node));
    return std::nullopt;
  }
  absl::StatusOr<absl::Duration> d = ParseDuration(node.value);
  if (!d.ok()) {
    Error(node, "bad duration " + Describe(node) + " for " + std::string(what) +
                    ": write a number with a unit, e.g. '90s', '5m' or "
                    "'1h30m'");
    return std::nullopt;
  }
  if (*d <= absl::ZeroDuration()) {
    Error(node, std::string(what) + " must be a positive duration, got " +
                    Describe(node));
    return std::nullopt;
  }
  return *d;
}

std::optional<int> Checker::ReadSkillLevel(const YamlNode& node) {
  int64_t value = 0;
  if (node.is_plain_scalar() && absl::SimpleAtoi(node.value, &value) &&
      value >= 1 && value <= 10) {
    return static_cast<int>(value);
  }
  Error(node,
        "a skill level must be an integer from 1 to 10, got " + Describe(node));
  return std::nullopt;
}

std::vector<const YamlNode*> Checker::ReadScalars(const YamlNode& node,
                                                  std::string_view what,
                                                  bool allow_single) {
  std::vector<const YamlNode*> out;
  if (allow_single && node.is_scalar()) {
    out.push_back(&node);
    return out;
  }
  if (!node.is_sequence()) {
    Error(node, std::string(what) + " must be a list, got " + Describe(node));
    return out;
  }
  for (const YamlNode* item : node.items) {
    if (item->is_scalar() && !item->value.empty()) {
      out.push_back(item);
    } else {
      Error(*item, "each item of " + std::string(what) +
                       " must be a name, got " + Describe(*item));
    }
  }
  return out;
}

std::optional<EventPattern> Checker::ReadPattern(const YamlNode& node,
                                                 std::string_view what,
                                                 bool allow_prefix) {
  if (!node.is_scalar()) {
    Error(node, std::string(what) +
                    " must be an event type such as "
                    "'message.received', got " +
                    Describe(node));
    return std::nullopt;
  }
  std::string text = node.value;
  EventPattern pattern;
  if (text.size() >= 2 && text.compare(text.size() - 2, 2, ".*") == 0) {
    if (!allow_prefix) {
      Error(node, std::string(what) +
                      " must be an event type, not a prefix "
                      "like '" +
                      text + "'");
      return std::nullopt;
    }
    pattern.prefix = true;
    text.pop_back();  // keep the '.'
  }
  // A dotted name: segments of letters, digits, '_' and '-'.
  bool ok = !text.empty();
  bool segment_start = true;
  for (char c : text) {
    if (c == '.') {
      if (segment_start) ok = false;
      segment_start = true;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
               c == '-') {
      segment_start = false;
    } else {
      ok = false;
    }
  }
  if (segment_start && !pattern.prefix) ok = false;
  if (!ok) {
    Error(node, "bad event type " + Describe(node) + " in " +
                    std::string(what) +
                    ": write a dotted name such as 'cart.updated'" +
                    (allow_prefix ? " or a prefix such as 'cart.*'" : ""));
    return std::nullopt;
  }
  pattern.text = std::move(text);
  return pattern;
}

int Checker::ResolveChannel(const YamlNode& node, std::string_view what) {
  if (!node.is_scalar() || node.value.empty()) {
    Error(node,
          std::string(what) + " must be a channel name, got " + Describe(node));
    return -1;
  }
  const int index = out_->FindChannel(node.value);
  if (index >= 0) return index;
  std::vector<std::string> names;
  names.reserve(out_->channels.size());
  for (const Channel& c : out_->channels) names.push_back(c.name);
  Error(node,
        "unknown channel '" + node.value + "'" + DidYouMean(node.value, names));
  return -1;
}

// ---- sections ---------------------------------------------------------------

void Checker::CollectSections() {
  for (const RuleFile* file : files_) {
    file_ = file;
    const YamlNode& root = file->root();
    if (root.is_null()) continue;  // an empty file
    if (!root.is_map()) {
      Error(root,
            "a rule file must be a map of sections (ruleset, session, event, "
            "calendars, channels, queues, rules), got " +
                Describe(root));
      continue;
    }
    for (const YamlNode::Entry& e : root.entries) {
      const std::string& key = e.key->value;
      const Section section{file, e.key, e.value};
      auto once = [&](std::optional<Section>* slot) {
        if (*slot) {
          Error(*e.key, "'" + key + "' is already given at " +
                            Where((*slot)->file, (*slot)->key->line));
        } else {
          *slot = section;
        }
      };
      if (key == "ruleset") {
        once(&ruleset_name_);
      } else if (key == "session") {
        once(&session_);
      } else if (key == "event") {
        event_.push_back(section);
      } else if (key == "calendars") {
        calendars_.push_back(section);
      } else if (key == "channels") {
        channels_.push_back(section);
      } else if (key == "queues") {
        queues_.push_back(section);
      } else if (key == "rules") {
        rules_.push_back(section);
      } else {
        Error(*e.key,
              "unknown key '" + key + "' at the top level" +
                  DidYouMean(
                      key, Strings({"ruleset", "session", "event", "calendars",
                                    "channels", "queues", "rules"})));
      }
    }
  }
}

void Checker::CheckRulesetName() {
  for (const RuleFile* f : files_) out_->files.push_back(f->name());
  if (!ruleset_name_) {
    ++errors_;
    Diagnostic d;
    d.file = files_.empty() ? "" : files_.front()->name();
    d.message =
        "missing 'ruleset': every ruleset needs a name, e.g. 'ruleset: shop'";
    diagnostics_->push_back(std::move(d));
    return;
  }
  file_ = ruleset_name_->file;
  if (auto name = ReadString(*ruleset_name_->value, "ruleset")) {
    out_->name = *name;
  }
}

void Checker::CheckSession() {
  if (!session_) return;
  file_ = session_->file;
  const YamlNode& body = *session_->value;
  if (body.is_null()) return;
  if (!ExpectMap(body, "session")) return;
  CheckKeys(body, {"key", "expire", "fields"}, "in session");
  if (const YamlNode* key = body.Find("key")) {
    if (auto name = ReadName(*key, "session key")) {
      const std::vector<std::string> builtins = BuiltinEventAttributes("");
      if (std::find(builtins.begin(), builtins.end(), *name) !=
          builtins.end()) {
        Error(*key, "the session key cannot be '" + *name +
                        "', a built-in attribute of event");
      } else {
        out_->session.key = *name;
      }
    }
  }
  if (const YamlNode* expire = body.Find("expire")) {
    if (auto d = ReadDuration(*expire, "expire")) out_->session.expire = *d;
  }
  if (const YamlNode* fields = body.Find("fields")) {
    if (!fields->is_null() && ExpectMap(*fields, "session fields")) {
      CheckSessionFields(*fields);
    }
  }
}

void Checker::CheckSessionFields(const YamlNode& fields) {
  const std::vector<std::string> builtins = BuiltinSessionMembers();
  for (const YamlNode::Entry& e : fields.entries) {
    const YamlNode& key = *e.key;
    const YamlNode& value = *e.value;
    std::optional<std::string> name = ReadName(key, "field name");
    if (!name) continue;
    if (std::find(builtins.begin(), builtins.end(), *name) != builtins.end()) {
      Error(key, "'" + *name +
                     "' is a built-in member of session; choose another "
                     "field name");
      continue;
    }
    if (!value.is_scalar() || value.value.empty()) {
      Error(value.is_null() ? key : value,
            "field '" + *name +
                "' needs a type: write 'TYPE' or 'TYPE = DEFAULT', e.g. "
                "'int = 0'");
      continue;
    }
    const std::string& text = value.value;
    const size_t eq = text.find('=');
    const std::string type_text = Trim(std::string_view(text).substr(0, eq));
    size_t type_offset = 0;
    while (type_offset < text.size() &&
           std::isspace(static_cast<unsigned char>(text[type_offset]))) {
      ++type_offset;
    }
    std::optional<cel::Type> type = cel::ParseTypeName(type_text);
    if (!type) {
      ErrorAt(value, type_offset,
              "unknown type '" + type_text + "' for field '" + *name + "'" +
                  TypeHint(type_text));
      // Declared as dyn all the same, so that its uses are not reported as
      // unknown fields too.
    }
    SessionField field;
    field.name = *name;
    field.type = type ? *type : cel::Type::Dyn();
    field.pos = Pos(key);
    out_->session.fields.push_back(std::move(field));
    field_files_.push_back(file_);
    field_nodes_.push_back(&key);
    if (eq != std::string::npos && type) {
      size_t offset = eq + 1;
      while (offset < text.size() &&
             std::isspace(static_cast<unsigned char>(text[offset]))) {
        ++offset;
      }
      pending_defaults_.push_back(
          {file_, &value, static_cast<int64_t>(offset),
           static_cast<int>(out_->session.fields.size()) - 1});
    }
  }
}

void Checker::CheckEventSchema() {
  const std::vector<std::string> builtins =
      BuiltinEventAttributes(out_->session.key);
  for (const Section& section : event_) {
    file_ = section.file;
    const YamlNode& body = *section.value;
    if (body.is_null() || !ExpectMap(body, "event")) continue;
    for (const YamlNode::Entry& e : body.entries) {
      const YamlNode& key = *e.key;
      const YamlNode& value = *e.value;
      std::optional<std::string> name = ReadName(key, "attribute name");
      if (!name) continue;
      if (!value.is_scalar() || value.value.empty()) {
        Error(value.is_null() ? key : value, "attribute '" + *name +
                                                 "' needs a type, e.g. '" +
                                                 *name + ": string'");
        continue;
      }
      std::optional<cel::Type> type = cel::ParseTypeName(Trim(value.value));
      if (!type) {
        Error(value, "unknown type '" + Trim(value.value) +
                         "' for attribute '" + *name + "'" +
                         TypeHint(Trim(value.value)));
        type = cel::Type::Dyn();  // declared all the same: no cascade
      }
      const auto builtin = std::find(builtins.begin(), builtins.end(), *name);
      if (builtin != builtins.end()) {
        const int index = static_cast<int>(builtin - builtins.begin());
        if (index == kEventKeyField) {
          if (*type != cel::Type::String()) {
            Error(value, "'" + *name +
                             "' is the session key attribute, which is "
                             "always a string");
          }
        } else {
          Error(key, "'" + *name +
                         "' is a built-in attribute of event; do not declare "
                         "it");
        }
        continue;
      }
      auto [it, inserted] =
          attribute_lines_.emplace(*name, std::make_pair(file_, key.line));
      if (!inserted) {
        Error(key, "attribute '" + *name + "' is already declared at " +
                       Where(it->second.first, it->second.second));
        continue;
      }
      EventAttribute attribute;
      attribute.name = *name;
      attribute.type = *type;
      attribute.pos = Pos(key);
      out_->event_attributes.push_back(std::move(attribute));
    }
  }
}

void Checker::BuildEnvironment() {
  std::vector<std::pair<std::string, cel::Type>> attributes, fields;
  for (const EventAttribute& a : out_->event_attributes) {
    attributes.emplace_back(a.name, a.type);
  }
  for (const SessionField& f : out_->session.fields) {
    fields.emplace_back(f.name, f.type);
  }
  RuleEnv env = BuildRuleEnv(out_->session.key, attributes, fields);
  std::vector<EventAttribute> declared = std::move(out_->event_attributes);
  out_->event_attributes.clear();
  const auto& event_fields = env.event_type->fields();
  for (size_t i = 0; i < event_fields.size(); ++i) {
    EventAttribute a;
    a.name = event_fields[i].name;
    a.type = event_fields[i].type;
    a.index = static_cast<int>(i);
    a.builtin = static_cast<int>(i) < kFirstDeclaredEventField;
    if (!a.builtin) a.pos = declared[i - kFirstDeclaredEventField].pos;
    out_->event_attributes.push_back(std::move(a));
  }
  for (size_t i = 0; i < out_->session.fields.size(); ++i) {
    out_->session.fields[i].index =
        kFirstDeclaredSessionField + static_cast<int>(i);
  }
  const size_t n = env.session_type->fields().size();
  field_reads_.assign(n, 0);
  field_writes_.assign(n, 0);
  out_->event_type = env.event_type;
  out_->session_type = env.session_type;
  out_->queue_stats_type = env.queue_stats_type;
  out_->env = env.env;
}

void Checker::CheckFieldDefaults() {
  const cel::Env constants;  // defaults are constant expressions
  for (const PendingDefault& p : pending_defaults_) {
    file_ = p.file;
    SessionField& field = out_->session.fields[p.field];
    const std::string text =
        Trim(std::string_view(p.node->value)
                 .substr(std::min<size_t>(p.offset, p.node->value.size())));
    const std::string what = "the default of field '" + field.name + "'";
    if (text.empty()) {
      ErrorAt(*p.node, p.offset, what + " is missing after '='");
      continue;
    }
    // Durations and timestamps may also be written as bare literals:
    // `wait: duration = 90s`, `since: timestamp = 2026-01-01T00:00:00Z`.
    std::string_view bare = text;
    if (bare.size() >= 2 && (bare.front() == '"' || bare.front() == '\'') &&
        bare.back() == bare.front()) {
      bare = bare.substr(1, bare.size() - 2);
    }
    if (field.type.kind() == cel::TypeKind::kDuration) {
      if (auto d = ParseDuration(bare); d.ok()) {
        field.default_value = cel::Value::Duration(*d);
        continue;
      }
    }
    if (field.type.kind() == cel::TypeKind::kTimestamp) {
      if (auto t = ParseTimestamp(bare); t.ok()) {
        field.default_value = cel::Value::Timestamp(*t);
        continue;
      }
    }
    std::optional<CompiledExpr> compiled =
        CompileExpr(*p.node, std::string_view(p.node->value).substr(p.offset),
                    p.offset, constants, nullptr, &field.type);
    if (!compiled) continue;
    bool assignable = compiled->type == field.type || field.type.is_dyn() ||
                      compiled->type.is_dyn();
    const bool widen = compiled->type.kind() == cel::TypeKind::kInt &&
                       field.type.kind() == cel::TypeKind::kDouble;
    if (!assignable && !widen && compiled->type.kind() == field.type.kind() &&
        (field.type.kind() == cel::TypeKind::kList ||
         field.type.kind() == cel::TypeKind::kMap)) {
      assignable = true;  // [] and {} fit any list and map type
    }
    if (!assignable && !widen) {
      ErrorAt(*p.node, p.offset,
              what + " must be " + field.type.DebugString() + ", got " +
                  compiled->type.DebugString());
      continue;
    }
    struct NoVariables : cel::Activation {
      cel::Value GetVariable(int) const override {
        return cel::Value::Error(cel::ErrorCode::kUnknownVariable);
      }
    } activation;
    cel::Value value = compiled->program.Evaluate(activation);
    if (value.is_error()) {
      ErrorAt(*p.node, p.offset,
              what + " cannot be computed: " + value.ErrorMessage());
      continue;
    }
    if (widen && value.kind() == cel::ValueKind::kInt) {
      value = cel::Value::Double(static_cast<double>(value.int_value()));
    }
    field.default_value = OwnedCopy(value);
  }
}

bool Checker::ReadHours(const YamlNode& node, std::string_view what,
                        std::vector<MinuteRange>* out) {
  bool ok = true;
  for (const YamlNode* item : ReadScalars(node, what, /*allow_single=*/true)) {
    const std::string& text = item->value;
    const size_t dash = text.find('-');
    std::optional<int> start, end;
    if (dash != std::string::npos) {
      start = ParseClock(Trim(std::string_view(text).substr(0, dash)));
      end = ParseClock(Trim(std::string_view(text).substr(dash + 1)));
    }
    if (!start || !end) {
      Error(*item, "bad time range " + Describe(*item) +
                       ": write HH:MM-HH:MM with hours from 00 to 24, e.g. "
                       "'08:00-20:00'");
      ok = false;
      continue;
    }
    if (*start == 1440) {
      Error(*item, "bad time range " + Describe(*item) +
                       ": a range cannot start at 24:00");
      ok = false;
      continue;
    }
    if (*start == *end || (*start == 0 && *end == 0)) {
      Error(*item, "empty time range " + Describe(*item) +
                       ": for the whole day write '00:00-24:00'");
      ok = false;
      continue;
    }
    int e = *end;
    if (e < *start) e += 1440;  // runs past midnight
    out->push_back(MinuteRange{*start, e});
  }
  std::sort(out->begin(), out->end(),
            [](const MinuteRange& a, const MinuteRange& b) {
              return a.start < b.start || (a.start == b.start && a.end < b.end);
            });
  for (size_t i = 1; i < out->size(); ++i) {
    if ((*out)[i].start < (*out)[i - 1].end) {
      Warning(node, "overlapping time ranges '" +
                        FormatMinutes((*out)[i - 1].start) + "-" +
                        FormatMinutes((*out)[i - 1].end % 1440) + "' and '" +
                        FormatMinutes((*out)[i].start) + "-" +
                        FormatMinutes((*out)[i].end % 1440) + "' in " +
                        std::string(what));
    }
  }
  return ok;
}

void Checker::CheckCalendar(const YamlNode& name_node, const YamlNode& body) {
  const std::string& name = name_node.value;
  if (out_->FindCalendar(name) >= 0) {
    const Calendar& first = out_->calendars[out_->FindCalendar(name)];
    Error(name_node,
          "calendar '" + name + "' is already declared at " +
              (first.pos.file == file_->name()
                   ? "line " + std::to_string(first.pos.line)
                   : first.pos.file + ":" + std::to_string(first.pos.line)));
    return;
  }
  Calendar calendar;
  calendar.name = name;
  calendar.pos = Pos(name_node);
  const std::string where = "in calendar '" + name + "'";
  if (ExpectMap(body, "calendar '" + name + "'")) {
    CheckKeys(body, {"timezone", "weekly", "closed", "special"}, where);
    const YamlNode* zone = body.Find("timezone");
    if (zone == nullptr) {
      Error(name_node, "calendar '" + name +
                           "' needs a 'timezone', e.g. 'timezone: "
                           "Europe/Berlin'");
    } else if (auto text = ReadString(*zone, "timezone")) {
      absl::StatusOr<absl::TimeZone> tz = LoadTimeZone(*text);
      if (tz.ok()) {
        calendar.zone = *tz;
        calendar.zone_name = *text;
      } else {
        Error(*zone, "unknown time zone '" + *text +
                         "': use an IANA name such as 'Europe/Berlin' or an "
                         "offset such as '+01:00'");
      }
    }
    if (const YamlNode* weekly = body.Find("weekly")) {
      if (!weekly->is_null() && ExpectMap(*weekly, "weekly")) {
        std::array<const YamlNode*, 7> given{};
        const std::vector<std::string> day_names(std::begin(kDayNames),
                                                 std::end(kDayNames));
        for (const YamlNode::Entry& e : weekly->entries) {
          // "mon", "mon-fri", "sat,sun", "fri-mon" (wraps).
          std::vector<int> days;
          bool ok = true;
          std::string_view spec = e.key->value;
          while (ok) {
            const size_t comma = spec.find(',');
            const std::string part = Trim(spec.substr(0, comma));
            const size_t dash = part.find('-');
            auto day_index = [&](const std::string& d) -> int {
              for (int i = 0; i < 7; ++i) {
                if (d == kDayNames[i]) return i;
              }
              Error(*e.key, "unknown day '" + d + "'" +
                                DidYouMean(d, day_names) +
                                " (days are mon, tue, wed, thu, fri, sat, "
                                "sun; ranges like mon-fri)");
              return -1;
            };
            if (dash == std::string::npos) {
              const int d = day_index(part);
              if (d < 0)
                ok = false;
              else
                days.push_back(d);
            } else {
              const int from = day_index(Trim(part.substr(0, dash)));
              const int to =
                  from < 0 ? -1 : day_index(Trim(part.substr(dash + 1)));
              if (from < 0 || to < 0) {
                ok = false;
              } else {
                for (int d = from;; d = (d + 1) % 7) {
                  days.push_back(d);
                  if (d == to) break;
                }
              }
            }
            if (comma == std::string_view::npos) break;
            spec = spec.substr(comma + 1);
          }
          if (!ok) continue;
          std::vector<MinuteRange> hours;
          const bool hours_ok = ReadHours(
              *e.value, "the hours of '" + e.key->value + "'", &hours);
          for (int d : days) {
            if (given[d] != nullptr) {
              Error(*e.key, std::string("'") + kDayNames[d] +
                                "' already has hours at line " +
                                std::to_string(given[d]->line));
              continue;
            }
            given[d] = e.key;
            if (hours_ok) calendar.weekly[d] = hours;
          }
        }
      }
    }
    if (const YamlNode* closed = body.Find("closed")) {
      if (!closed->is_null()) {
        for (const YamlNode* item :
             ReadScalars(*closed, "closed", /*allow_single=*/false)) {
          if (auto day = ParseDate(item->value)) {
            calendar.closed.push_back(*day);
          } else {
            Error(*item, "bad date " + Describe(*item) +
                             ": write YYYY-MM-DD, a real date such as "
                             "'2026-12-24'");
          }
        }
        std::sort(calendar.closed.begin(), calendar.closed.end());
        calendar.closed.erase(
            std::unique(calendar.closed.begin(), calendar.closed.end()),
            calendar.closed.end());
      }
    }
    if (const YamlNode* special = body.Find("special")) {
      if (!special->is_null() && ExpectMap(*special, "special")) {
        for (const YamlNode::Entry& e : special->entries) {
          std::optional<absl::CivilDay> day = ParseDate(e.key->value);
          if (!day) {
            Error(*e.key, "bad date " + Describe(*e.key) +
                              ": write YYYY-MM-DD, a real date such as "
                              "'2026-12-31'");
            continue;
          }
          std::vector<MinuteRange> hours;
          if (!e.value->is_null() &&
              !ReadHours(*e.value, "the hours of '" + e.key->value + "'",
                         &hours)) {
            continue;
          }
          calendar.special.emplace_back(*day, std::move(hours));
        }
        std::sort(
            calendar.special.begin(), calendar.special.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
      }
    }
  }
  out_->calendar_index.emplace(name, static_cast<int>(out_->calendars.size()));
  out_->calendars.push_back(std::move(calendar));
}

void Checker::CheckCalendars() {
  for (const Section& section : calendars_) {
    file_ = section.file;
    const YamlNode& body = *section.value;
    if (body.is_null() || !ExpectMap(body, "calendars")) continue;
    for (const YamlNode::Entry& e : body.entries) {
      if (e.key->value.empty()) continue;
      CheckCalendar(*e.key, *e.value);
    }
  }
}

void Checker::CheckChannels() {
  for (std::string_view name : kBuiltinChannels) {
    Channel c;
    c.name = std::string(name);
    c.builtin = true;
    out_->channel_index.emplace(c.name,
                                static_cast<int>(out_->channels.size()));
    out_->channels.push_back(std::move(c));
  }
  // First every declared name (a fallback may name a channel declared
  // later), then the bodies.
  struct Declared {
    const RuleFile* file;
    const YamlNode* key;
    const YamlNode* value;
    int index;
  };
  std::vector<Declared> declared;
  absl::flat_hash_map<std::string, std::pair<const RuleFile*, int>> seen;
  for (const Section& section : channels_) {
    file_ = section.file;
    const YamlNode& body = *section.value;
    if (body.is_null() || !ExpectMap(body, "channels")) continue;
    for (const YamlNode::Entry& e : body.entries) {
      const std::string& name = e.key->value;
      if (name.empty()) continue;
      auto [it, inserted] =
          seen.emplace(name, std::make_pair(file_, e.key->line));
      if (!inserted) {
        Error(*e.key, "channel '" + name + "' is already declared at " +
                          Where(it->second.first, it->second.second));
        continue;
      }
      int index = out_->FindChannel(name);
      if (index < 0) {
        index = static_cast<int>(out_->channels.size());
        Channel c;
        c.name = name;
        out_->channel_index.emplace(name, index);
        out_->channels.push_back(std::move(c));
      }
      out_->channels[index].declared = true;
      declared.push_back({file_, e.key, e.value, index});
    }
  }
  for (const Declared& d : declared) {
    file_ = d.file;
    const std::string& name = d.key->value;
    if (d.value->is_null()) continue;
    if (!ExpectMap(*d.value, "channel '" + name + "'")) continue;
    CheckKeys(*d.value, {"fallback"}, "in channel '" + name + "'");
    const YamlNode* fallback = d.value->Find("fallback");
    if (fallback == nullptr || fallback->is_null()) continue;
    std::vector<std::string> names;
    for (const YamlNode* item :
         ReadScalars(*fallback, "fallback", /*allow_single=*/true)) {
      const int index = ResolveChannel(*item, "a fallback");
      if (index < 0) continue;
      if (index == d.index) {
        Error(*item, "channel '" + name + "' cannot fall back to itself");
        continue;
      }
      names.push_back(item->value);
    }
    out_->channels[d.index].fallback = std::move(names);
  }
}

std::vector<SkillLevel> Checker::ReadSkills(const YamlNode& node,
                                            std::string_view what) {
  std::vector<SkillLevel> skills;
  if (node.is_null() || !ExpectMap(node, what)) return skills;
  for (const YamlNode::Entry& e : node.entries) {
    if (e.key->value.empty()) continue;
    if (auto level = ReadSkillLevel(*e.value)) {
      skills.push_back(SkillLevel{e.key->value, *level});
    }
  }
  return skills;
}

void Checker::CheckQueue(const YamlNode& name_node, const YamlNode& body) {
  const std::string& name = name_node.value;
  Queue& queue = out_->queues[out_->FindQueue(name)];
  queue.pos = Pos(name_node);
  for (std::string_view e : kDefaultEndsOn) queue.ends_on.emplace_back(e);
  if (body.is_null()) return;
  if (!ExpectMap(body, "queue '" + name + "'")) return;
  const std::string where = "in queue '" + name + "'";
  CheckKeys(body, {"skills", "channels", "ends_on", "relax", "handle_time"},
            where);
  if (const YamlNode* skills = body.Find("skills")) {
    queue.skills = ReadSkills(*skills, "skills");
  }
  if (const YamlNode* channels = body.Find("channels")) {
    if (!channels->is_null()) {
      for (const YamlNode* item :
           ReadScalars(*channels, "channels", /*allow_single=*/true)) {
        if (ResolveChannel(*item, "a queue channel") >= 0) {
          queue.channels.push_back(item->value);
        }
      }
    }
  }
  if (const YamlNode* ends_on = body.Find("ends_on")) {
    queue.ends_on.clear();
    if (!ends_on->is_null()) {
      for (const YamlNode* item :
           ReadScalars(*ends_on, "ends_on", /*allow_single=*/true)) {
        auto pattern = ReadPattern(*item, "ends_on", /*allow_prefix=*/false);
        if (!pattern) continue;
        if (IsGlobalEventType(pattern->text)) {
          Error(*item, "'" + pattern->text +
                           "' is a global event and belongs to no session; "
                           "it cannot end a conversation");
          continue;
        }
        queue.ends_on.push_back(pattern->text);
      }
    }
  }
  if (const YamlNode* relax = body.Find("relax")) {
    if (!relax->is_null() && ExpectList(*relax, "relax")) {
      std::vector<std::string> skill_names;
      for (const SkillLevel& s : queue.skills) skill_names.push_back(s.skill);
      std::optional<absl::Duration> previous;
      for (const YamlNode* step_node : relax->items) {
        if (!ExpectMap(*step_node, "a relax step")) continue;
        CheckKeys(*step_node, {"after", "drop", "skills"},
                  "in a relax step of queue '" + name + "'");
        RelaxStep step;
        const YamlNode* after = step_node->Find("after");
        const YamlNode* drop = step_node->Find("drop");
        const YamlNode* skills = step_node->Find("skills");
        bool ok = true;
        if (after == nullptr) {
          Error(*step_node,
                "a relax step needs 'after', e.g. {after: 30s, drop: "
                "[german]}");
          ok = false;
        } else if (auto d = ReadDuration(*after, "after")) {
          step.after = *d;
          if (previous && *d <= *previous) {
            Error(*after,
                  "relax steps must come in increasing 'after' "
                  "order");
          }
          previous = *d;
        } else {
          ok = false;
        }
        if ((drop == nullptr) == (skills == nullptr)) {
          Error(*step_node,
                "a relax step needs either 'drop' (skills no "
                "longer required) or 'skills' (lower levels)");
          ok = false;
        }
        auto known_skill = [&](const YamlNode& node) {
          if (std::find(skill_names.begin(), skill_names.end(), node.value) !=
              skill_names.end()) {
            return true;
          }
          Error(node, "queue '" + name + "' does not require skill '" +
                          node.value + "'" +
                          DidYouMean(node.value, skill_names));
          return false;
        };
        if (drop != nullptr) {
          for (const YamlNode* item :
               ReadScalars(*drop, "drop", /*allow_single=*/true)) {
            if (known_skill(*item)) step.drop.push_back(item->value);
          }
        }
        if (skills != nullptr && ExpectMap(*skills, "relax skills")) {
          for (const YamlNode::Entry& e : skills->entries) {
            if (!known_skill(*e.key)) continue;
            if (auto level = ReadSkillLevel(*e.value)) {
              step.skills.push_back(SkillLevel{e.key->value, *level});
            }
          }
        }
        if (ok) queue.relax.push_back(std::move(step));
      }
    }
  }
  if (const YamlNode* handle_time = body.Find("handle_time")) {
    if (auto d = ReadDuration(*handle_time, "handle_time")) {
      queue.handle_time = *d;
    }
  }
}

void Checker::CheckQueues() {
  struct Declared {
    const RuleFile* file;
    const YamlNode* key;
    const YamlNode* value;
  };
  std::vector<Declared> declared;
  for (const Section& section : queues_) {
    file_ = section.file;
    const YamlNode& body = *section.value;
    if (body.is_null() || !ExpectMap(body, "queues")) continue;
    for (const YamlNode::Entry& e : body.entries) {
      const std::string& name = e.key->value;
      if (name.empty()) continue;
      const int existing = out_->FindQueue(name);
      if (existing >= 0) {
        Error(*e.key,
              "queue '" + name + "' is already declared at " +
                  Where(declared[existing].file, declared[existing].key->line));
        continue;
      }
      out_->queue_index.emplace(name, static_cast<int>(out_->queues.size()));
      Queue q;
      q.name = name;
      out_->queues.push_back(std::move(q));
      declared.push_back({file_, e.key, e.value});
    }
  }
  for (const Declared& d : declared) {
    file_ = d.file;
    CheckQueue(*d.key, *d.value);
  }
}

// ---- whole-ruleset analyses -------------------------------------------

void Checker::CheckReachability() {
  // Rules in the order a trigger runs them: priority (higher first), then
  // file order. A rule is never reached when, for every pattern of its
  // trigger, a rule that runs before it on a covering trigger is enabled,
  // final and unconditional (a "blocker").
  std::vector<int> order(out_->rules.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return out_->rules[a].priority > out_->rules[b].priority;
  });
  absl::flat_hash_map<std::string, int> exact, prefixes, timers;
  // The blocker covering `pattern`, or -1.
  auto blocker_of = [&](const EventPattern& pattern) -> int {
    if (!pattern.prefix) {
      if (auto it = exact.find(pattern.text); it != exact.end()) {
        return it->second;
      }
    }
    // Any blocking prefix that is a dotted prefix of the pattern.
    const std::string& t = pattern.text;
    for (size_t dot = t.find('.'); dot != std::string::npos;
         dot = t.find('.', dot + 1)) {
      if (auto it = prefixes.find(t.substr(0, dot + 1)); it != prefixes.end()) {
        return it->second;
      }
    }
    return -1;
  };
  for (int index : order) {
    const Rule& rule = out_->rules[index];
    const RuleSource& source = rule_sources_[index];
    if (source.has_errors) continue;
    int blocker = -1;
    std::string on;
    if (rule.trigger.kind == TriggerKind::kEvent) {
      for (const EventPattern& p : rule.trigger.events) {
        const int b = blocker_of(p);
        if (b < 0) {
          blocker = -1;
          break;
        }
        if (blocker < 0) {
          blocker = b;
          on = p.Written();
        }
      }
    } else if (auto it = timers.find(rule.trigger.key); it != timers.end()) {
      blocker = it->second;
      on = rule.trigger.key;
    }
    if (blocker >= 0 && rule.enabled) {
      file_ = source.file;
      const Rule& b = out_->rules[blocker];
      Error(*source.name, "rule '" + rule.name + "' is never reached: rule '" +
                              b.name + "' (" +
                              Where(rule_sources_[blocker].file, b.pos.line) +
                              ") runs before it on '" + on +
                              "', is final and has no condition");
      continue;
    }
    if (!rule.enabled || !rule.final || source.has_if) continue;
    if (rule.trigger.kind == TriggerKind::kEvent) {
      for (const EventPattern& p : rule.trigger.events) {
        (p.prefix ? prefixes : exact).emplace(p.text, index);
      }
    } else {
      timers.emplace(rule.trigger.key, index);
    }
  }
}

void Checker::CheckEmitCycles() {
  for (const EmitCycle& cycle : FindEmitCycles(*out_)) {
    const int first = cycle.rules.front();
    file_ = rule_sources_[first].file;
    std::string path;
    for (size_t i = 0; i < cycle.rules.size(); ++i) {
      path += (i == 0 ? "rule '" : ", which triggers rule '") +
              out_->rules[cycle.rules[i]].name +
              (i == 0 ? "' emits '" : "', which emits '") + cycle.types[i] +
              "'";
    }
    path += ", which triggers '" + out_->rules[first].name + "' again";
    ++errors_;
    const SourcePos& pos = cycle.first_emit;
    diagnostics_->push_back(file_->AtPosition(
        pos.line, pos.column, Severity::kError, "emit cycle: " + path));
  }
}

void Checker::CheckFieldUsage() {
  for (size_t i = 0; i < out_->session.fields.size(); ++i) {
    const SessionField& field = out_->session.fields[i];
    const int reads = field_reads_[field.index];
    const int writes = field_writes_[field.index];
    file_ = field_files_[i];
    const YamlNode& node = *field_nodes_[i];
    if (reads == 0 && writes == 0) {
      Warning(node,
              "session field '" + field.name + "' is never read or written");
    } else if (reads == 0) {
      Warning(node,
              "session field '" + field.name + "' is written but never read");
    } else if (writes == 0 && !field.default_value) {
      Warning(node, "session field '" + field.name +
                        "' is never written and has no default, so it is "
                        "always absent");
    }
  }
}

std::unique_ptr<CheckedRuleset> Checker::Run() {
  CollectSections();
  CheckRulesetName();
  CheckSession();
  CheckEventSchema();
  BuildEnvironment();
  CheckFieldDefaults();
  CheckCalendars();
  CheckChannels();
  CheckQueues();
  CheckRules();
  CheckReachability();
  CheckEmitCycles();
  CheckFieldUsage();
  if (errors_ > 0) return nullptr;
  return std::move(out_);
}

}  // namespace check_internal

std::unique_ptr<CheckedRuleset> CheckRuleset(
    const std::vector<const RuleFile*>& files, const CheckOptions& options,
    std::vector<Diagnostic>* diagnostics) {
  return check_internal::Checker(files, options, diagnostics).Run();
}

}  // namespace switchboard
