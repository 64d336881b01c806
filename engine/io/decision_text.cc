// Decision::ToText / AppendText (include/switchboard/decision.h): a decision
// for people, as `switchboard run --format text` prints it,
//
//   2026-11-23T10:00:30Z v-3 billing: route queue=billing priority=2 (on
//   message.received)
//     billing  ran    event.intent == 'billing' -> true
//
// the second line only with an explanation. Unlike the JSON, which is for
// programs, durations are written as rules write them ("2h", "1m30s").
// Values that would break the line or its reading (empty, spaces, quotes,
// control characters; ',' and ':' inside lists and maps) are written as
// JSON strings.
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "engine/io/decision_json.h"
#include "switchboard/decision.h"
#include "switchboard/time.h"

namespace switchboard {
namespace {

// Whether `value` can stand as it is in a text line. `in_collection`: also
// refuse ',' and ':', which separate list and map elements.
bool IsPlain(std::string_view value, bool in_collection) {
  if (value.empty()) return false;
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '\\') return false;
    if (in_collection && (c == ',' || c == ':')) return false;
  }
  return true;
}

void AppendValue(std::string_view value, bool in_collection, std::string* out) {
  if (IsPlain(value, in_collection)) {
    out->append(value);
  } else {
    AppendJsonString(value, out);
  }
}

void AppendParam(const DecisionParam& p, std::string* out) {
  out->append(p.name);
  out->push_back('=');
  switch (p.kind) {
    case DecisionParam::Kind::kString:
      AppendValue(p.string_value, false, out);
      break;
    case DecisionParam::Kind::kInt:
      out->append(std::to_string(p.int_value));
      break;
    case DecisionParam::Kind::kDuration:
      out->append(absl::FormatDuration(p.duration_value));
      break;
    case DecisionParam::Kind::kStringList: {
      if (p.strings.empty()) out->append("[]");
      bool first = true;
      for (const std::string& s : p.strings) {
        if (!first) out->push_back(',');
        first = false;
        AppendValue(s, true, out);
      }
      break;
    }
    case DecisionParam::Kind::kIntMap: {
      if (p.ints.empty()) out->append("{}");
      bool first = true;
      for (const auto& [key, value] : p.ints) {
        if (!first) out->push_back(',');
        first = false;
        AppendValue(key, true, out);
        out->push_back(':');
        out->append(std::to_string(value));
      }
      break;
    }
  }
}

// `text` on one line: control characters (a multi-line condition's line
// breaks) become spaces.
void AppendOneLine(std::string_view text, std::string* out) {
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    out->push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
}

void AppendPadded(std::string_view text, size_t width, std::string* out) {
  AppendOneLine(text, out);
  if (text.size() < width) out->append(width - text.size(), ' ');
}

void AppendExplanation(const Explanation& e, std::string* out) {
  size_t rule_width = 0;
  size_t outcome_width = 0;
  for (const Explanation::RuleOutcome& r : e.rules) {
    rule_width = std::max(rule_width, r.rule.size());
    outcome_width = std::max(outcome_width, r.outcome.size());
  }
  for (const Explanation::RuleOutcome& r : e.rules) {
    std::string line = "\n  ";
    AppendPadded(r.rule, rule_width, &line);
    line.append("  ");
    AppendPadded(r.outcome, outcome_width, &line);
    // A rule that ran (or was overridden) held every condition: with none
    // listed, it has none.
    if (r.conditions.empty() &&
        (r.outcome == "ran" || r.outcome == "overridden")) {
      line.append("  (no conditions)");
    }
    bool first = true;
    for (const Explanation::ConditionValue& c : r.conditions) {
      line.append(first ? "  " : "; ");
      first = false;
      AppendOneLine(c.text, &line);
      line.append(" -> ");
      AppendOneLine(c.value, &line);
    }
    if (!r.detail.empty()) {
      line.append("  [");
      AppendOneLine(r.detail, &line);
      line.push_back(']');
    }
    while (line.back() == ' ') line.pop_back();
    out->append(line);
  }
  for (const std::string& note : e.notes) {
    out->append("\n  note: ");
    AppendOneLine(note, out);
  }
}

}  // namespace

std::string Decision::ToText() const {
  std::string out;
  AppendText(&out);
  return out;
}

void Decision::AppendText(std::string* out) const {
  out->append(FormatTimestamp(time));
  out->push_back(' ');
  AppendValue(session, false, out);
  out->push_back(' ');
  AppendValue(rule, false, out);
  out->append(": ");
  AppendValue(action, false, out);
  for (const DecisionParam& p : params) {
    out->push_back(' ');
    AppendParam(p, out);
  }
  out->append(" (on ");
  AppendValue(trigger, false, out);
  out->push_back(')');
  if (explanation != nullptr) AppendExplanation(*explanation, out);
}

}  // namespace switchboard
