// The readers of values in rule files (yaml_values.h).
#include "engine/check/yaml_values.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "engine/common/suggest.h"
#include "engine/common/time_util.h"

namespace switchboard::check {
namespace {

using ::switchboard::common::DidYouMean;
using ::switchboard::load::YamlNode;

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

std::string Describe(const YamlNode& node) {
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

bool ExpectMap(CheckContext& ctx, const YamlNode& node, std::string_view what) {
  if (node.is_map()) return true;
  ctx.Error(node, std::string(what) + " must be a map, got " + Describe(node));
  return false;
}

bool ExpectList(CheckContext& ctx, const YamlNode& node,
                std::string_view what) {
  if (node.is_sequence()) return true;
  ctx.Error(node, std::string(what) + " must be a list, got " + Describe(node));
  return false;
}

void CheckKeys(CheckContext& ctx, const YamlNode& map,
               std::initializer_list<const char*> allowed,
               std::string_view where) {
  for (const YamlNode::Entry& e : map.entries) {
    const std::string& key = e.key->value;
    const bool known = std::any_of(allowed.begin(), allowed.end(),
                                   [&](const char* a) { return key == a; });
    if (!known) {
      ctx.Error(*e.key, "unknown key '" + key + "' " + std::string(where) +
                            DidYouMean(key, Strings(allowed)));
    }
  }
}

std::optional<std::string> ReadString(CheckContext& ctx, const YamlNode& node,
                                      std::string_view what, bool allow_empty) {
  if (!node.is_scalar() || (!allow_empty && node.value.empty())) {
    ctx.Error(node,
              std::string(what) + " must be a string, got " + Describe(node));
    return std::nullopt;
  }
  return node.value;
}

std::optional<std::string> ReadName(CheckContext& ctx, const YamlNode& node,
                                    std::string_view what) {
  std::optional<std::string> s = ReadString(ctx, node, what);
  if (!s) return std::nullopt;
  if (!IsIdentifier(*s)) {
    ctx.Error(node, std::string(what) + " '" + *s +
                        "' must be a name of letters, digits and '_' (not "
                        "starting with a digit)");
    return std::nullopt;
  }
  if (IsCelReserved(*s)) {
    ctx.Error(node, std::string(what) + " '" + *s +
                        "' is a reserved word in CEL; choose another name");
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> ReadInt(CheckContext& ctx, const YamlNode& node,
                               std::string_view what) {
  int64_t value = 0;
  if (node.is_plain_scalar() && !node.value.empty() &&
      node.value.find_first_of(" \t") == std::string::npos &&
      absl::SimpleAtoi(node.value, &value)) {
    return value;
  }
  ctx.Error(node,
            std::string(what) + " must be an integer, got " + Describe(node));
  return std::nullopt;
}

std::optional<bool> ReadBool(CheckContext& ctx, const YamlNode& node,
                             std::string_view what) {
  if (node.is_plain_scalar()) {
    const std::string& v = node.value;
    if (v == "true" || v == "True" || v == "TRUE") return true;
    if (v == "false" || v == "False" || v == "FALSE") return false;
  }
  ctx.Error(node, std::string(what) + " must be true or false, got " +
                      Describe(node));
  return std::nullopt;
}

std::optional<absl::Duration> ReadDuration(CheckContext& ctx,
                                           const YamlNode& node,
                                           std::string_view what) {
  if (!node.is_scalar()) {
    ctx.Error(node, std::string(what) +
                        " must be a duration such as '90s', got " +
                        Describe(node));
    return std::nullopt;
  }
  absl::StatusOr<absl::Duration> d = ParseDuration(node.value);
  if (!d.ok()) {
    ctx.Error(node, "bad duration " + Describe(node) + " for " +
                        std::string(what) +
                        ": write a number with a unit, e.g. '90s', '5m' or "
                        "'1h30m'");
    return std::nullopt;
  }
  if (*d <= absl::ZeroDuration()) {
    ctx.Error(node, std::string(what) + " must be a positive duration, got " +
                        Describe(node));
    return std::nullopt;
  }
  return *d;
}

std::optional<int> ReadSkillLevel(CheckContext& ctx, const YamlNode& node) {
  int64_t value = 0;
  if (node.is_plain_scalar() && absl::SimpleAtoi(node.value, &value) &&
      value >= 1 && value <= 10) {
    return static_cast<int>(value);
  }
  ctx.Error(node, "a skill level must be an integer from 1 to 10, got " +
                      Describe(node));
  return std::nullopt;
}

std::vector<SkillLevel> ReadSkills(CheckContext& ctx, const YamlNode& node,
                                   std::string_view what) {
  std::vector<SkillLevel> skills;
  if (node.is_null() || !ExpectMap(ctx, node, what)) return skills;
  for (const YamlNode::Entry& e : node.entries) {
    if (e.key->value.empty()) continue;
    if (auto level = ReadSkillLevel(ctx, *e.value)) {
      skills.push_back(SkillLevel{e.key->value, *level});
    }
  }
  return skills;
}

std::vector<const YamlNode*> ReadScalars(CheckContext& ctx,
                                         const YamlNode& node,
                                         std::string_view what,
                                         bool allow_single) {
  std::vector<const YamlNode*> out;
  if (allow_single && node.is_scalar()) {
    out.push_back(&node);
    return out;
  }
  if (!node.is_sequence()) {
    ctx.Error(node,
              std::string(what) + " must be a list, got " + Describe(node));
    return out;
  }
  for (const YamlNode* item : node.items) {
    if (item->is_scalar() && !item->value.empty()) {
      out.push_back(item);
    } else {
      ctx.Error(*item, "each item of " + std::string(what) +
                           " must be a name, got " + Describe(*item));
    }
  }
  return out;
}

std::optional<EventPattern> ReadPattern(CheckContext& ctx, const YamlNode& node,
                                        std::string_view what,
                                        bool allow_prefix) {
  if (!node.is_scalar()) {
    ctx.Error(node, std::string(what) +
                        " must be an event type such as "
                        "'message.received', got " +
                        Describe(node));
    return std::nullopt;
  }
  std::string text = node.value;
  EventPattern pattern;
  if (text.size() >= 2 && text.compare(text.size() - 2, 2, ".*") == 0) {
    if (!allow_prefix) {
      ctx.Error(node, std::string(what) +
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
    ctx.Error(node, "bad event type " + Describe(node) + " in " +
                        std::string(what) +
                        ": write a dotted name such as 'cart.updated'" +
                        (allow_prefix ? " or a prefix such as 'cart.*'" : ""));
    return std::nullopt;
  }
  pattern.text = std::move(text);
  return pattern;
}

int ResolveChannel(CheckContext& ctx, const YamlNode& node,
                   std::string_view what) {
  if (!node.is_scalar() || node.value.empty()) {
    ctx.Error(node, std::string(what) + " must be a channel name, got " +
                        Describe(node));
    return -1;
  }
  const int index = ctx.ruleset().FindChannel(node.value);
  if (index >= 0) return index;
  std::vector<std::string> names;
  names.reserve(ctx.ruleset().channels.size());
  for (const Channel& c : ctx.ruleset().channels) names.push_back(c.name);
  ctx.Error(node, "unknown channel '" + node.value + "'" +
                      DidYouMean(node.value, names));
  return -1;
}

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

}  // namespace switchboard::check
