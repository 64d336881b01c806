// Rule authors' tests (include/switchboard/rule_test.h; the format is in
// docs/testing.md). A test file is parsed with the rule loader's positioned
// YAML reader (engine/load/rule_file.h: bounded, never throws), each test
// runs against a fresh Engine, and the decisions are compared, as their JSON
// objects (Decision::ToJson), with the expected members.
//
// Inline events are turned into one JSON object each and read by the same
// EventReader as `switchboard run`, so that their typing (the event schema,
// built-in members, durations as strings) is exactly the dry run's.
#include "switchboard/rule_test.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/common/suggest.h"
#include "engine/common/time_util.h"
#include "engine/io/decision_json.h"
#include "engine/load/rule_file.h"
#include "engine/plan/ruleset_access.h"
#include "simdjson.h"
#include "switchboard/decision.h"
#include "switchboard/diagnostic.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"
#include "switchboard/time.h"
#include "switchboard/trace.h"

namespace switchboard {
namespace {

using ::switchboard::common::DidYouMean;
using ::switchboard::load::ParseRuleFile;
using ::switchboard::load::RuleFile;
using ::switchboard::load::YamlLimits;
using ::switchboard::load::YamlNode;

// Largest test file read, and the longest JSON line made from one inline
// event (the EventReader's default limit).
constexpr int64_t kMaxTestFileBytes = int64_t{64} << 20;
constexpr size_t kMaxEventJsonBytes = size_t{1} << 20;
// Decisions listed in a failure report before "... and N more".
constexpr size_t kMaxDecisionsListed = 20;

// ---- JSON values (a decision's members) -----------------------------------

struct JsonMember;

struct Json {
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
  std::vector<Json> items;
  // Not std::pair<std::string, Json>: a pair of an incomplete type does not
  // compile with clang and libstdc++.
  std::vector<JsonMember> members;
};

struct JsonMember {
  JsonMember(std::string name, Json value)
      : first(std::move(name)), second(std::move(value)) {}
  std::string first;
  Json second;
};

bool FromSimdjson(simdjson::dom::element e, Json* out, int depth) {
  if (depth > 64) return false;
  switch (e.type()) {
    case simdjson::dom::element_type::NULL_VALUE:
      out->kind = Json::Kind::kNull;
      return true;
    case simdjson::dom::element_type::BOOL:
      out->kind = Json::Kind::kBool;
      out->b = e.get_bool().value_unsafe();
      return true;
    case simdjson::dom::element_type::INT64:
      out->kind = Json::Kind::kInt;
      out->i = e.get_int64().value_unsafe();
      return true;
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      out->kind = Json::Kind::kDouble;
      out->d = e.get_double().value_unsafe();
      return true;
    case simdjson::dom::element_type::STRING:
      out->kind = Json::Kind::kString;
      out->s = std::string(e.get_string().value_unsafe());
      return true;
    case simdjson::dom::element_type::ARRAY: {
      out->kind = Json::Kind::kArray;
      // Copy the array handle out of the temporary result before looping:
      // a range-for over get_array().value_unsafe() would iterate a
      // destroyed temporary.
      const simdjson::dom::array array = e.get_array().value_unsafe();
      for (simdjson::dom::element item : array) {
        out->items.emplace_back();
        if (!FromSimdjson(item, &out->items.back(), depth + 1)) return false;
      }
      return true;
    }
    case simdjson::dom::element_type::OBJECT: {
      out->kind = Json::Kind::kObject;
      const simdjson::dom::object object = e.get_object().value_unsafe();
      for (simdjson::dom::key_value_pair kv : object) {
        out->members.emplace_back(std::string(kv.key), Json());
        if (!FromSimdjson(kv.value, &out->members.back().second, depth + 1)) {
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

std::string JsonText(const Json& v) {
  std::string out;
  switch (v.kind) {
    case Json::Kind::kNull:
      return "null";
    case Json::Kind::kBool:
      return v.b ? "true" : "false";
    case Json::Kind::kInt:
      return std::to_string(v.i);
    case Json::Kind::kDouble: {
      char buf[40];
      std::snprintf(buf, sizeof(buf), "%.17g", v.d);
      return buf;
    }
    case Json::Kind::kString:
      AppendJsonString(v.s, &out);
      return out;
    case Json::Kind::kArray:
      out = "[";
      for (size_t k = 0; k < v.items.size(); ++k) {
        if (k > 0) out += ",";
        out += JsonText(v.items[k]);
      }
      return out + "]";
    case Json::Kind::kObject:
      out = "{";
      for (size_t k = 0; k < v.members.size(); ++k) {
        if (k > 0) out += ",";
        AppendJsonString(v.members[k].first, &out);
        out += ":" + JsonText(v.members[k].second);
      }
      return out + "}";
  }
  return out;
}

// ---- YAML scalars as JSON -------------------------------------------------

// How a YAML scalar reads as JSON: plain scalars are YAML 1.2 core-schema
// null, booleans, integers and floats; quoted and block scalars (and plain
// ones that are none of those) are strings.
enum class ScalarType { kNull, kBool, kInt, kDouble, kString };

struct ScalarValue {
  ScalarType type = ScalarType::kString;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  bool int_overflow = false;  // digits that do not fit int64
};

ScalarValue ReadScalar(const YamlNode& node) {
  ScalarValue v;
  if (node.is_null()) {
    v.type = ScalarType::kNull;
    return v;
  }
  if (!node.is_plain_scalar() || node.tagged) return v;
  const std::string& s = node.value;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    v.type = ScalarType::kNull;
    return v;
  }
  if (s == "true" || s == "True" || s == "TRUE") {
    v.type = ScalarType::kBool;
    v.b = true;
    return v;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    v.type = ScalarType::kBool;
    return v;
  }
  // Integers: [-+]?[0-9]+.
  {
    size_t k = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    bool digits = k < s.size();
    for (size_t j = k; j < s.size(); ++j) {
      if (s[j] < '0' || s[j] > '9') digits = false;
    }
    if (digits) {
      const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
      auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v.i);
      v.type = ScalarType::kInt;
      if (ec != std::errc() || ptr != s.data() + s.size()) {
        v.int_overflow = true;
      }
      return v;
    }
  }
  // Floats: a decimal number with a fraction or exponent (no inf / nan:
  // JSON has none, so those stay strings).
  {
    bool numeric = true;
    bool has_digit = false;
    for (char c : s) {
      if (c >= '0' && c <= '9') {
        has_digit = true;
      } else if (c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E') {
        numeric = false;
      }
    }
    if (numeric && has_digit) {
      const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
      std::string text(begin, s.data() + s.size());
      char* end = nullptr;
      const double d = std::strtod(text.c_str(), &end);
      if (end == text.c_str() + text.size() && std::isfinite(d)) {
        v.type = ScalarType::kDouble;
        v.d = d;
        return v;
      }
    }
  }
  return v;
}

// Writes a YAML node as JSON. False when it is nested too deep or the
// text passes kMaxEventJsonBytes (alias-expanded input stays bounded).
bool YamlToJson(const YamlNode& node, std::string* out, int depth) {
  if (depth > 64 || out->size() > kMaxEventJsonBytes) return false;
  if (node.is_sequence()) {
    out->push_back('[');
    for (size_t k = 0; k < node.items.size(); ++k) {
      if (k > 0) out->push_back(',');
      if (!YamlToJson(*node.items[k], out, depth + 1)) return false;
    }
    out->push_back(']');
    return true;
  }
  if (node.is_map()) {
    out->push_back('{');
    for (size_t k = 0; k < node.entries.size(); ++k) {
      if (k > 0) out->push_back(',');
      AppendJsonString(node.entries[k].key->value, out);
      out->push_back(':');
      if (!YamlToJson(*node.entries[k].value, out, depth + 1)) return false;
    }
    out->push_back('}');
    return true;
  }
  const ScalarValue v = ReadScalar(node);
  switch (v.type) {
    case ScalarType::kNull:
      *out += "null";
      break;
    case ScalarType::kBool:
      *out += v.b ? "true" : "false";
      break;
    case ScalarType::kInt:
      // Out-of-range digits are passed on as written: the reader rejects
      // them as out of range, as it does in a JSON Lines file.
      if (v.int_overflow) {
        *out += node.value[0] == '+' ? node.value.substr(1) : node.value;
      } else {
        *out += std::to_string(v.i);
      }
      break;
    case ScalarType::kDouble: {
      char buf[40];
      std::snprintf(buf, sizeof(buf), "%.17g", v.d);
      *out += buf;
      if (std::string_view(buf).find_first_of(".eE") == std::string::npos) {
        *out += ".0";
      }
      break;
    }
    case ScalarType::kString:
      AppendJsonString(node.value, out);
      break;
  }
  return out->size() <= kMaxEventJsonBytes;
}

std::string YamlText(const YamlNode& node) {
  std::string out;
  if (!YamlToJson(node, &out, 0)) return "(too large to show)";
  return out;
}

// ---- Comparing expected members with a decision ---------------------------

bool SameTime(std::string_view a, std::string_view b) {
  absl::StatusOr<absl::Time> ta = ParseTimestamp(a);
  absl::StatusOr<absl::Time> tb = ParseTimestamp(b);
  return ta.ok() && tb.ok() && *ta == *tb;
}

// Whether `actual` is a duration as decisions write them (protobuf-JSON:
// digits, an optional fraction, 's': "57600s", "0.250s").
bool IsDecisionDuration(std::string_view actual) {
  if (actual.size() < 2 || actual.back() != 's') return false;
  bool digits = false;
  bool dot = false;
  for (size_t k = actual[0] == '-' ? 1 : 0; k + 1 < actual.size(); ++k) {
    const char c = actual[k];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot && digits) {
      dot = true;
    } else {
      return false;
    }
  }
  return digits;
}

// A decision's duration `actual` and an expected duration in any form CEL
// reads ("16h", "1h30m", "57600s"): the same length of time.
bool SameDuration(std::string_view expected, std::string_view actual) {
  if (!IsDecisionDuration(actual)) return false;
  absl::StatusOr<absl::Duration> e = ParseDuration(expected);
  absl::StatusOr<absl::Duration> a = ParseDuration(actual);
  return e.ok() && a.ok() && *e == *a;
}

// Whether expected YAML `e` equals actual JSON `a`: strings that both read
// as RFC 3339 timestamps compare as instants, a decision's duration and an
// expected duration as lengths of time, everything else exactly
// (an int equals a plain YAML integer, a string equals a YAML string or a
// plain scalar of the same text that is not a number, bool or null; lists
// element by element; maps with the same keys).
bool Matches(const YamlNode& e, const Json& a, int depth) {
  if (depth > 64) return false;
  switch (a.kind) {
    case Json::Kind::kString: {
      if (!e.is_scalar()) return false;
      const ScalarType t = ReadScalar(e).type;
      if (t != ScalarType::kString) return false;
      return e.value == a.s || SameTime(e.value, a.s) ||
             SameDuration(e.value, a.s);
    }
    case Json::Kind::kNull:
      return ReadScalar(e).type == ScalarType::kNull && !e.is_sequence() &&
             !e.is_map();
    case Json::Kind::kBool: {
      const ScalarValue v = ReadScalar(e);
      return e.is_scalar() && v.type == ScalarType::kBool && v.b == a.b;
    }
    case Json::Kind::kInt: {
      const ScalarValue v = ReadScalar(e);
      return e.is_scalar() && v.type == ScalarType::kInt && !v.int_overflow &&
             v.i == a.i;
    }
    case Json::Kind::kDouble: {
      const ScalarValue v = ReadScalar(e);
      if (!e.is_scalar()) return false;
      if (v.type == ScalarType::kDouble) return v.d == a.d;
      return v.type == ScalarType::kInt && !v.int_overflow &&
             static_cast<double>(v.i) == a.d;
    }
    case Json::Kind::kArray:
      if (!e.is_sequence() || e.items.size() != a.items.size()) return false;
      for (size_t k = 0; k < a.items.size(); ++k) {
        if (!Matches(*e.items[k], a.items[k], depth + 1)) return false;
      }
      return true;
    case Json::Kind::kObject:
      if (!e.is_map() || e.entries.size() != a.members.size()) return false;
      for (const YamlNode::Entry& entry : e.entries) {
        const Json* member = nullptr;
        for (const auto& [name, value] : a.members) {
          if (name == entry.key->value) member = &value;
        }
        if (member == nullptr || !Matches(*entry.value, *member, depth + 1)) {
          return false;
        }
      }
      return true;
  }
  return false;
}

const Json* Member(const Json& object, std::string_view name) {
  for (const auto& [key, value] : object.members) {
    if (key == name) return &value;
  }
  return nullptr;
}

// The members of pattern `expected` (a map) that `decision` does not match,
// each as "name: expected X, got Y".
std::vector<std::string> Differences(const YamlNode& expected,
                                     const Json& decision) {
  std::vector<std::string> out;
  for (const YamlNode::Entry& entry : expected.entries) {
    const Json* actual = Member(decision, entry.key->value);
    if (actual == nullptr) {
      out.push_back(entry.key->value + ": expected " + YamlText(*entry.value) +
                    ", but the decision has no '" + entry.key->value +
                    "' member");
    } else if (!Matches(*entry.value, *actual, 0)) {
      out.push_back(entry.key->value + ": expected " + YamlText(*entry.value) +
                    ", got " + JsonText(*actual));
    }
  }
  return out;
}

// ---- Test file structure --------------------------------------------------

struct ExpectedLoadError {
  const YamlNode* node = nullptr;
  int line = 0;
  std::optional<int> column;
  std::string message;
  std::optional<std::string> file;
};

struct TestCase {
  const YamlNode* node = nullptr;
  std::string name;
  const YamlNode* ruleset = nullptr;  // the test's override, or null
  const YamlNode* events = nullptr;
  const YamlNode* events_file = nullptr;
  const YamlNode* until = nullptr;
  const YamlNode* expect = nullptr;
  const YamlNode* never = nullptr;
  bool only = false;
  bool has_load_errors = false;
  std::vector<ExpectedLoadError> load_errors;
  std::vector<Diagnostic> problems;  // malformed parts of the test
};

const std::vector<std::string>& TopLevelKeys() {
  static const auto* const keys =
      new std::vector<std::string>{"ruleset", "tests"};
  return *keys;
}
const std::vector<std::string>& TestKeys() {
  static const auto* const keys = new std::vector<std::string>{
      "name",   "ruleset", "events", "events_file", "until",
      "expect", "never",   "only",   "load_errors"};
  return *keys;
}
const std::vector<std::string>& LoadErrorKeys() {
  static const auto* const keys =
      new std::vector<std::string>{"line", "column", "message", "file"};
  return *keys;
}

std::string Indent(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out += "  ";
    out.append(text, start, nl - start);
    out += "\n";
    start = nl + 1;
  }
  return out;
}

std::optional<int> ReadPositiveInt(const YamlNode* node) {
  if (node == nullptr || !node->is_scalar()) return std::nullopt;
  const ScalarValue v = ReadScalar(*node);
  if (v.type != ScalarType::kInt || v.int_overflow || v.i < 1 ||
      v.i > 100000000) {
    return std::nullopt;
  }
  return static_cast<int>(v.i);
}

// Reads one entry of `tests:`. Problems go to test->problems.
TestCase ReadTest(const RuleFile& file, const YamlNode& node, int index) {
  TestCase test;
  test.node = &node;
  test.name = "test " + std::to_string(index + 1);
  const auto error = [&](const YamlNode& at, std::string message) {
    test.problems.push_back(file.At(at, Severity::kError, std::move(message)));
  };
  if (!node.is_map()) {
    error(node, "a test must be a map with 'name' and what to check");
    return test;
  }
  for (const YamlNode::Entry& entry : node.entries) {
    const std::string& key = entry.key->value;
    const YamlNode& value = *entry.value;
    if (key == "name") {
      if (value.is_scalar() && !value.value.empty()) {
        test.name = value.value;
      } else {
        error(value, "'name' must be a non-empty string");
      }
    } else if (key == "ruleset") {
      if (value.is_scalar() && !value.value.empty()) {
        test.ruleset = &value;
      } else {
        error(value, "'ruleset' must be a path (relative to the test file)");
      }
    } else if (key == "events") {
      if (value.is_sequence()) {
        test.events = &value;
      } else if (!value.is_null()) {
        error(value, "'events' must be a list of events (YAML maps)");
      }
    } else if (key == "events_file") {
      if (value.is_scalar() && !value.value.empty()) {
        test.events_file = &value;
      } else {
        error(value,
              "'events_file' must be a path (relative to the test "
              "file) of a JSON Lines file");
      }
    } else if (key == "until") {
      if (value.is_scalar() && ParseTimestamp(value.value).ok()) {
        test.until = &value;
      } else {
        error(value,
              "'until' must be an RFC 3339 time, e.g. "
              "\"2026-11-23T11:00:00Z\"");
      }
    } else if (key == "expect" || key == "never") {
      bool ok = value.is_sequence();
      if (ok) {
        for (const YamlNode* item : value.items) {
          if (!item->is_map()) {
            error(*item, "each entry of '" + key +
                             "' must be a map of decision members, e.g. "
                             "{rule: r, action: offer}");
            ok = false;
          }
        }
      } else if (!value.is_null()) {
        error(value, "'" + key +
                         "' must be a list of decision members "
                         "(YAML maps)");
      }
      if (ok) (key == "expect" ? test.expect : test.never) = &value;
    } else if (key == "only") {
      const ScalarValue v = ReadScalar(value);
      if (value.is_scalar() && v.type == ScalarType::kBool) {
        test.only = v.b;
      } else {
        error(value, "'only' must be true or false");
      }
    } else if (key == "load_errors") {
      test.has_load_errors = true;
      if (!value.is_sequence() || value.items.empty()) {
        error(value,
              "'load_errors' must be a non-empty list of "
              "{line: N, message: \"text\"}");
        continue;
      }
      for (const YamlNode* item : value.items) {
        if (!item->is_map()) {
          error(*item,
                "each load error must be a map {line: N, message: "
                "\"text\"}, with optional column and file");
          continue;
        }
        ExpectedLoadError want;
        want.node = item;
        bool ok = true;
        for (const YamlNode::Entry& e : item->entries) {
          const std::string& k = e.key->value;
          if (k == "line" || k == "column") {
            const std::optional<int> n = ReadPositiveInt(e.value);
            if (!n) {
              error(*e.value, "'" + k + "' must be a positive integer");
              ok = false;
            } else if (k == "line") {
              want.line = *n;
            } else {
              want.column = *n;
            }
          } else if (k == "message" || k == "file") {
            if (!e.value->is_scalar()) {
              error(*e.value, "'" + k + "' must be a string");
              ok = false;
            } else if (k == "message") {
              want.message = e.value->value;
            } else {
              want.file = e.value->value;
            }
          } else {
            error(*e.key, "unknown key '" + k + "' in a load error" +
                              DidYouMean(k, LoadErrorKeys()) +
                              " (keys: line, column, message, file)");
            ok = false;
          }
        }
        if (want.line == 0 && ok) {
          error(*item, "a load error needs 'line'");
          ok = false;
        }
        if (ok) test.load_errors.push_back(std::move(want));
      }
    } else {
      error(*entry.key,
            "unknown key '" + key + "' in a test" +
                DidYouMean(key, TestKeys()) +
                " (keys: name, ruleset, events, events_file, until, expect, "
                "never, only, load_errors)");
    }
  }
  if (test.events != nullptr && test.events_file != nullptr) {
    error(*test.events_file, "give 'events' or 'events_file', not both");
  }
  if (test.has_load_errors &&
      (test.events != nullptr || test.events_file != nullptr ||
       test.until != nullptr || test.expect != nullptr ||
       test.never != nullptr || test.only)) {
    error(node,
          "a test with 'load_errors' checks loading only: it takes no "
          "events, until, expect, never or only");
  }
  if (!test.has_load_errors && test.expect == nullptr &&
      test.never == nullptr && !test.only) {
    error(node,
          "the test checks nothing: give 'expect', 'never', "
          "'only: true' or 'load_errors'");
  }
  return test;
}

// ---- Running one test -----------------------------------------------------

class CollectingSink : public DecisionSink {
 public:
  void OnDecision(const Decision& decision) override {
    lines_.push_back(decision.ToJson());
  }
  std::vector<std::string>& lines() { return lines_; }

 private:
  std::vector<std::string> lines_;
};

// The engine's trace of one test (`switchboard test --trace FILE`): each
// record as a JSON line that starts with the test's file and name.
class TestTraceSink : public TraceSink {
 public:
  TestTraceSink(std::string_view file, std::string_view test) {
    prefix_ = "{\"file\":";
    io::AppendJsonString(file, &prefix_);
    prefix_ += ",\"test\":";
    io::AppendJsonString(test, &prefix_);
    prefix_ += ',';
  }
  void OnTrigger(const TriggerTrace& trace) override {
    line_.clear();
    trace.AppendJson(&line_);
    text_ += prefix_;
    text_.append(line_, 1);  // without the record's own '{'
    text_ += '\n';
  }
  std::string& text() { return text_; }

 private:
  std::string prefix_;
  std::string line_;
  std::string text_;
};

std::string ResolvePath(const std::string& test_file, const std::string& rel) {
  std::filesystem::path p(rel);
  if (p.is_absolute()) return rel;
  const std::filesystem::path dir =
      std::filesystem::path(test_file).parent_path();
  return dir.empty() ? rel : (dir / p).lexically_normal().string();
}

std::string FormatDecisions(const std::vector<std::string>& lines) {
  std::string out = "decisions (" + std::to_string(lines.size()) + "):\n";
  if (lines.empty()) out = "decisions: none\n";
  for (size_t k = 0; k < lines.size() && k < kMaxDecisionsListed; ++k) {
    out += "  #" + std::to_string(k + 1) + " " + lines[k] + "\n";
  }
  if (lines.size() > kMaxDecisionsListed) {
    out += "  ... and " + std::to_string(lines.size() - kMaxDecisionsListed) +
           " more\n";
  }
  return out;
}

std::string Where(const RuleFile& file, const YamlNode& node) {
  return file.name() + ":" + std::to_string(node.line) + ":" +
         std::to_string(node.column);
}

// Checks `decisions` against the test's expect / never / only; appends each
// failure to `report`.
void CheckDecisions(const RuleFile& file, const TestCase& test,
                    const std::vector<std::string>& lines,
                    const std::vector<Json>& decisions, std::string* report) {
  std::vector<bool> matched(decisions.size(), false);
  size_t next = 0;  // the first decision the next expectation may match
  if (test.expect != nullptr) {
    for (size_t e = 0; e < test.expect->items.size(); ++e) {
      const YamlNode& want = *test.expect->items[e];
      size_t found = decisions.size();
      for (size_t d = next; d < decisions.size(); ++d) {
        if (Differences(want, decisions[d]).empty()) {
          found = d;
          break;
        }
      }
      if (found < decisions.size()) {
        matched[found] = true;
        next = found + 1;
        continue;
      }
      std::string msg = Where(file, want) + ": expect[" +
                        std::to_string(e + 1) + "] " + YamlText(want) +
                        " not found";
      msg += next == 0
                 ? " among the decisions\n"
                 : " after decision #" + std::to_string(next) +
                       " (matched by expect[" + std::to_string(e) + "])\n";
      // A full match earlier than the allowed position: an order problem.
      for (size_t d = 0; d < next; ++d) {
        if (Differences(want, decisions[d]).empty()) {
          msg += "  decision #" + std::to_string(d + 1) +
                 " matches, but comes too early (expect is in order)\n";
          break;
        }
      }
      // The closest candidate among the allowed ones (or all of them).
      const size_t from = next < decisions.size() ? next : 0;
      size_t best = decisions.size();
      std::vector<std::string> best_diff;
      for (size_t d = from; d < decisions.size(); ++d) {
        std::vector<std::string> diff = Differences(want, decisions[d]);
        if (best == decisions.size() || diff.size() < best_diff.size()) {
          best = d;
          best_diff = std::move(diff);
        }
      }
      if (best < decisions.size()) {
        msg += "  closest: decision #" + std::to_string(best + 1) + " " +
               lines[best] + "\n";
        for (const std::string& d : best_diff) msg += "    " + d + "\n";
      }
      *report += msg;
      break;  // later expectations depend on this one's position
    }
  }
  if (test.never != nullptr) {
    for (size_t n = 0; n < test.never->items.size(); ++n) {
      const YamlNode& bad = *test.never->items[n];
      for (size_t d = 0; d < decisions.size(); ++d) {
        if (Differences(bad, decisions[d]).empty()) {
          *report += Where(file, bad) + ": never[" + std::to_string(n + 1) +
                     "] " + YamlText(bad) + " matches decision #" +
                     std::to_string(d + 1) + " " + lines[d] + "\n";
        }
      }
    }
  }
  if (test.only) {
    std::string extra;
    int count = 0;
    for (size_t d = 0; d < decisions.size(); ++d) {
      if (matched[d]) continue;
      ++count;
      extra += "  #" + std::to_string(d + 1) + " " + lines[d] + "\n";
    }
    if (count > 0) {
      *report += Where(file, *test.node) + ": only: " + std::to_string(count) +
                 " decision" + (count == 1 ? "" : "s") +
                 " beyond those matched by expect:\n" + extra;
    }
  }
}

struct RulesetCache {
  std::map<std::string, LoadResult> loaded;
  const LoadResult& Get(const std::string& path) {
    auto it = loaded.find(path);
    if (it == loaded.end()) it = loaded.emplace(path, LoadRuleset(path)).first;
    return it->second;
  }
};

void CheckLoadErrors(const RuleFile& file, const TestCase& test,
                     const LoadResult& result, std::string* report) {
  if (result.ok()) {
    *report += Where(file, *test.node) +
               ": the ruleset loaded without errors; expected " +
               std::to_string(test.load_errors.size()) + " load error" +
               (test.load_errors.size() == 1 ? "" : "s") + "\n";
    return;
  }
  if (result.error_count() == 0) {  // NotFound and the like
    *report += std::string(result.status().message()) + "\n";
    return;
  }
  bool missing = false;
  for (const ExpectedLoadError& want : test.load_errors) {
    bool found = false;
    for (const Diagnostic& d : result.diagnostics()) {
      if (!d.is_error() || d.line != want.line) continue;
      if (want.column && d.column != *want.column) continue;
      if (d.message.find(want.message) == std::string::npos) continue;
      if (want.file) {
        const std::string& f = *want.file;
        const bool ends =
            d.file.size() >= f.size() &&
            d.file.compare(d.file.size() - f.size(), f.size(), f) == 0 &&
            (d.file.size() == f.size() ||
             d.file[d.file.size() - f.size() - 1] == '/');
        if (!ends) continue;
      }
      found = true;
      break;
    }
    if (!found) {
      missing = true;
      std::string what = "line " + std::to_string(want.line);
      if (want.column) what += ", column " + std::to_string(*want.column);
      if (want.file) what += ", file '" + *want.file + "'";
      *report += Where(file, *want.node) + ": no load error at " + what +
                 " whose message contains \"" + want.message + "\"\n";
    }
  }
  if (missing) {
    *report += "the load errors were:\n";
    for (const Diagnostic& d : result.diagnostics()) {
      if (!d.is_error()) continue;
      *report += "  " + d.file + ":" + std::to_string(d.line) + ":" +
                 std::to_string(d.column) + ": error: " + d.message + "\n";
    }
  }
}

RuleTestResult RunTest(const RuleFile& file, const TestCase& test,
                       const YamlNode* default_ruleset, RulesetCache* cache) {
  RuleTestResult result;
  result.file = file.name();
  result.name = test.name;
  std::string report;
  std::vector<Diagnostic> problems = test.problems;
  SortDiagnostics(&problems);
  for (const Diagnostic& d : problems) report += FormatDiagnostic(d);
  const YamlNode* ruleset_node =
      test.ruleset != nullptr ? test.ruleset : default_ruleset;
  if (ruleset_node == nullptr && test.node != nullptr) {
    report += FormatDiagnostic(file.At(
        *test.node, Severity::kError,
        "no ruleset: give 'ruleset:' at the top of the file or in the test"));
  }
  if (!report.empty()) {
    result.report = Indent(report);
    return result;
  }
  const std::string ruleset_path =
      ResolvePath(file.name(), ruleset_node->value);
  const LoadResult& loaded = cache->Get(ruleset_path);
  if (test.has_load_errors) {
    CheckLoadErrors(file, test, loaded, &report);
    result.passed = report.empty();
    result.report = Indent(report);
    return result;
  }
  if (!loaded.ok()) {
    report += Where(file, *ruleset_node) + ": the ruleset failed to load:\n";
    report += loaded.error_count() > 0
                  ? FormatDiagnostics(loaded.diagnostics())
                  : std::string(loaded.status().message()) + "\n";
    result.report = Indent(report);
    return result;
  }
  // Traced, for the report of a failure (RuleTestResult::trace): a test's
  // events are few.
  TestTraceSink trace(file.name(), result.name);
  EngineOptions engine_options;
  engine_options.trace = &trace;
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create(loaded.ruleset(), engine_options);
  if (!engine.ok()) {
    result.report = Indent(std::string(engine.status().message()) + "\n");
    return result;
  }
  // Coverage: which rules ran, once the events (and `until`) have run.
  const auto record_coverage = [&] {
    const Ruleset& ruleset = *loaded.ruleset();
    const EngineStats& stats = (*engine)->stats();
    result.ruleset_path = ruleset_path;
    result.ruleset_name = ruleset.name();
    for (int r = 0; r < ruleset.rule_count(); ++r) {
      result.rules.push_back(ruleset.rule_name(r));
      if (r < static_cast<int>(stats.rule_runs.size()) &&
          stats.rule_runs[r] > 0) {
        result.rules_ran.push_back(ruleset.rule_name(r));
      }
    }
  };
  EventReader reader(*loaded.ruleset());
  CollectingSink sink;
  Event event;
  if (test.events != nullptr) {
    std::string json;
    for (size_t k = 0; k < test.events->items.size(); ++k) {
      const YamlNode& item = *test.events->items[k];
      std::string problem;
      json.clear();
      if (!item.is_map()) {
        problem = "an event must be a map, e.g. {time: \"...\", type: t, ...}";
      } else if (!YamlToJson(item, &json, 0)) {
        problem = "the event is too large or nested too deep";
      } else if (absl::Status s = reader.Next(json, &event); !s.ok()) {
        problem = std::string(s.message());
      } else if (absl::Status p = (*engine)->Process(event, &sink); !p.ok()) {
        problem = std::string(p.message());
      }
      if (!problem.empty()) {
        report += FormatDiagnostic(
            file.At(item, Severity::kError,
                    "event " + std::to_string(k + 1) + ": " + problem));
      }
    }
  } else if (test.events_file != nullptr) {
    const std::string path = ResolvePath(file.name(), test.events_file->value);
    // Only a regular file: a FIFO or a device (/dev/zero) would block or
    // never end. Read line by line, each line bounded (LineReader).
    std::error_code ec;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(
        std::filesystem::is_regular_file(path, ec)
            ? std::fopen(path.c_str(), "rb")
            : nullptr,
        &std::fclose);
    if (in == nullptr) {
      report +=
          FormatDiagnostic(file.At(*test.events_file, Severity::kError,
                                   "cannot read events file '" + path + "'"));
    } else {
      const ReaderOptions limits;
      LineReader lines(in.get(), limits.max_line_bytes);
      LineReader::Line line;
      int64_t number = 0;
      const auto bad = [&](std::string_view message) {
        report += path + ":" + std::to_string(number) +
                  ": error: " + std::string(message) + "\n";
      };
      while (lines.Next(&line)) {
        ++number;
        if (line.too_long) {
          bad("line too long: " + std::to_string(line.length) +
              " bytes (the limit is " + std::to_string(limits.max_line_bytes) +
              ")");
          continue;
        }
        if (EventReader::IsBlankLine(line.text)) continue;
        absl::Status s = reader.Next(line.text, &event);
        if (s.ok()) s = (*engine)->Process(event, &sink);
        if (!s.ok()) bad(std::string(s.message()));
      }
      if (!lines.status().ok()) bad(std::string(lines.status().message()));
    }
  }
  if (!report.empty()) {  // bad events: the decisions would mislead
    record_coverage();
    result.report = Indent(report);
    result.trace = std::move(trace.text());
    return result;
  }
  if (test.until != nullptr) {
    (*engine)->AdvanceTo(*ParseTimestamp(test.until->value), &sink);
  }
  record_coverage();
  std::vector<std::string>& lines = sink.lines();
  std::vector<Json> decisions(lines.size());
  simdjson::dom::parser parser;
  for (size_t k = 0; k < lines.size(); ++k) {
    simdjson::dom::element root;
    if (parser.parse(lines[k]).get(root) != simdjson::SUCCESS ||
        !FromSimdjson(root, &decisions[k], 0)) {
      report += "internal error: decision #" + std::to_string(k + 1) +
                " is not valid JSON: " + lines[k] + "\n";
    }
  }
  if (report.empty()) CheckDecisions(file, test, lines, decisions, &report);
  if (!report.empty()) report += FormatDecisions(lines);
  result.passed = report.empty();
  result.report = Indent(report);
  if (!result.passed) result.trace = std::move(trace.text());
  return result;
}

RuleTestResult FileFailure(const std::string& path, std::string report) {
  RuleTestResult r;
  r.file = path;
  r.name = path;
  r.passed = false;
  r.report = Indent(report);
  return r;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    return absl::NotFoundError("test file '" + path + "' does not exist");
  }
  if (!std::filesystem::is_regular_file(st)) {
    return absl::InvalidArgumentError("test file '" + path +
                                      "' is not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::PermissionDeniedError("cannot read test file '" + path + "'");
  }
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (static_cast<int64_t>(text.size()) > kMaxTestFileBytes) {
      return absl::InvalidArgumentError("test file '" + path +
                                        "' is larger than 64 MiB");
    }
  }
  if (in.bad()) {
    return absl::UnavailableError("error reading test file '" + path + "'");
  }
  return text;
}

bool HasTopLevelTests(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("tests:", 0) == 0) return true;
  }
  return false;
}

std::vector<RuleTestResult> RunParsed(const RuleFile& file) {
  std::vector<RuleTestResult> results;
  const YamlNode& root = file.root();
  std::string problems;
  const YamlNode* ruleset = nullptr;
  const YamlNode* tests = nullptr;
  if (!root.is_map()) {
    problems += FormatDiagnostic(file.At(root, Severity::kError,
                                         "a test file is a map with 'ruleset' "
                                         "and 'tests' (see docs/testing.md)"));
  } else {
    for (const YamlNode::Entry& entry : root.entries) {
      const std::string& key = entry.key->value;
      if (key == "ruleset") {
        if (entry.value->is_scalar() && !entry.value->value.empty()) {
          ruleset = entry.value;
        } else {
          problems += FormatDiagnostic(
              file.At(*entry.value, Severity::kError,
                      "'ruleset' must be a path (relative to the test file)"));
        }
      } else if (key == "tests") {
        if (entry.value->is_sequence() && !entry.value->items.empty()) {
          tests = entry.value;
        } else {
          problems += FormatDiagnostic(
              file.At(*entry.value, Severity::kError,
                      "'tests' must be a non-empty list of tests"));
        }
      } else {
        problems += FormatDiagnostic(file.At(
            *entry.key, Severity::kError,
            "unknown top-level key '" + key + "'" +
                DidYouMean(key, TopLevelKeys()) + " (keys: ruleset, tests)"));
      }
    }
    if (tests == nullptr && problems.empty()) {
      problems += FormatDiagnostic(
          file.At(root, Severity::kError, "no 'tests:' list in the file"));
    }
  }
  if (!problems.empty()) {
    results.push_back(FileFailure(file.name(), problems));
    return results;
  }
  RulesetCache cache;
  for (size_t k = 0; k < tests->items.size(); ++k) {
    const TestCase test = ReadTest(file, *tests->items[k], static_cast<int>(k));
    results.push_back(RunTest(file, test, ruleset, &cache));
  }
  return results;
}

}  // namespace

absl::StatusOr<std::vector<RuleTestResult>> RunRuleTestFile(
    const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return RunRuleTestText(*text, path);
}

std::vector<RuleTestResult> RunRuleTestText(std::string_view text,
                                            const std::string& path) {
  if (static_cast<int64_t>(text.size()) > kMaxTestFileBytes) {
    return {
        FileFailure(path, "test file '" + path + "' is larger than 64 MiB\n")};
  }
  std::vector<Diagnostic> diagnostics;
  std::unique_ptr<RuleFile> file =
      ParseRuleFile(path, std::string(text), YamlLimits(), &diagnostics);
  if (CountErrors(diagnostics) > 0 || file == nullptr) {
    SortDiagnostics(&diagnostics);
    std::vector<RuleTestResult> results;
    results.push_back(FileFailure(path, FormatDiagnostics(diagnostics)));
    return results;
  }
  return RunParsed(*file);
}

std::vector<std::string> RuleCoverage::RulesetCoverage::NeverRan() const {
  std::vector<std::string> names;
  for (const RuleCount& rule : rules) {
    if (rule.tests == 0) names.push_back(rule.name);
  }
  return names;
}

void RuleCoverage::Add(const RuleTestResult& result) {
  if (result.ruleset_path.empty()) return;
  RulesetCoverage* coverage = nullptr;
  for (RulesetCoverage& c : rulesets_) {
    if (c.path == result.ruleset_path) coverage = &c;
  }
  if (coverage == nullptr) {
    coverage = &rulesets_.emplace_back();
    coverage->path = result.ruleset_path;
    coverage->name = result.ruleset_name;
    for (const std::string& rule : result.rules) {
      coverage->rules.push_back({rule, 0});
    }
  }
  ++coverage->tests;
  absl::flat_hash_map<std::string_view, RuleCount*> by_name;
  for (RuleCount& rule : coverage->rules) by_name.emplace(rule.name, &rule);
  for (const std::string& ran : result.rules_ran) {
    auto it = by_name.find(ran);
    if (it != by_name.end()) ++it->second->tests;
  }
}

absl::StatusOr<std::vector<std::string>> FindRuleTestFiles(
    const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) || ec) {
      return absl::NotFoundError("'" + path + "' does not exist");
    }
    if (!std::filesystem::is_directory(path, ec)) {
      out.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    std::filesystem::recursive_directory_iterator it(
        path, std::filesystem::directory_options::skip_permission_denied, ec);
    for (; !ec && it != std::filesystem::recursive_directory_iterator();
         it.increment(ec)) {
      const std::filesystem::path& p = it->path();
      const std::string ext = p.extension().string();
      if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file(ec) &&
          HasTopLevelTests(p.string())) {
        found.push_back(p.lexically_normal().string());
      }
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

}  // namespace switchboard
