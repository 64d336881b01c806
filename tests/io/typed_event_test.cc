// Tests of the typed fast path between EventReader and the engine: the
// reader appends attributes without a name search (Event::AppendAttribute)
// and tags them with their index in the ruleset's event schema
// (Event::schema_tag, Attribute::schema_index), and an engine running that
// ruleset types them by index instead of by name. The path must give exactly
// what the generic path gives: every line of the hostile corpus and of the
// rule packs' event files is run through two engines, one fed the reader's
// tagged events, the other the same events rebuilt with the plain setters
// (no tag, no indexes), and the decisions and errors must be identical.
// Also the reader's fast path for plain lines (ReaderOptions::fast_path):
// every corpus line and a list of tricky ones read the same with it and
// without it (same event, same error).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/check/checked_ruleset.h"
#include "engine/common/event_access.h"
#include "engine/plan/ruleset_access.h"
#include "gtest/gtest.h"
#include "switchboard/compact_event.h"
#include "switchboard/decision.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"
#include "tests/support/test_util.h"

namespace switchboard {
namespace {

class JsonSink : public DecisionSink {
 public:
  void OnDecision(const Decision& decision) override {
    decision.AppendJson(&text);
    text.push_back('\n');
  }
  std::string text;
};

// `e` rebuilt with the generic setters: no schema tag, every index -1.
Event Untagged(const Event& e) {
  Event out(e.type(), e.time());
  for (const Event::Attribute& a : e) {
    switch (a.kind) {
      case Event::Kind::kNull:
        out.SetNull(a.name);
        break;
      case Event::Kind::kBool:
        out.SetBool(a.name, a.bool_value);
        break;
      case Event::Kind::kInt:
        out.SetInt(a.name, a.int_value);
        break;
      case Event::Kind::kDouble:
        out.SetDouble(a.name, a.double_value);
        break;
      case Event::Kind::kString:
        out.SetString(a.name, a.string_value);
        break;
      case Event::Kind::kDuration:
        out.SetDuration(a.name, a.duration_value);
        break;
      case Event::Kind::kTimestamp:
        out.SetTimestamp(a.name, a.time_value);
        break;
      case Event::Kind::kStringList:
        out.SetStringList(a.name, a.strings);
        break;
      case Event::Kind::kIntMap:
        out.SetIntMap(a.name, a.ints);
        break;
      case Event::Kind::kList:
        out.SetList(a.name, a.elements);
        break;
      case Event::Kind::kMap:
        out.SetMap(a.name, a.elements);
        break;
    }
  }
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Runs every line of `events` (relative to the source dir) under `rules`
// through the typed and the generic path; returns the number of events the
// engines accepted.
int CompareOnFile(const std::string& rules, const std::string& events) {
  const std::string dir = testing::SourceDir() + "/";
  LoadResult loaded = LoadRuleset(dir + rules);
  EXPECT_TRUE(loaded.ok()) << rules;
  if (!loaded.ok()) return 0;
  std::shared_ptr<const Ruleset> ruleset = loaded.ruleset();
  ReaderOptions options;
  options.require_session_key = false;  // let the engines judge those too
  EventReader reader(*ruleset, options);
  EventReader compact_reader(*ruleset, options);
  auto typed = Engine::Create(ruleset);
  auto generic = Engine::Create(ruleset);
  auto compact = Engine::Create(ruleset);
  EXPECT_TRUE(typed.ok() && generic.ok() && compact.ok());
  if (!typed.ok() || !generic.ok() || !compact.ok()) return 0;
  JsonSink typed_sink, generic_sink, compact_sink;
  Event event;
  CompactEvent compact_event;
  int accepted = 0;
  int line_number = 0;
  const std::string text = testing::ReadFileOrEmpty(dir + events);
  EXPECT_FALSE(text.empty()) << events;
  for (const std::string& line : Lines(text)) {
    ++line_number;
    if (EventReader::IsBlankLine(line)) continue;
    const absl::Status read = reader.Next(line, &event);
    // The compact form: read by the same schema, the same verdict, and the
    // engine gives it the same decisions (checked after the loop).
    EXPECT_EQ(compact_reader.Next(line, &compact_event), read)
        << events << ":" << line_number;
    if (!read.ok()) continue;
    EXPECT_EQ((*compact)->Process(compact_event, &compact_sink),
              (*typed)->CheckEvent(event))
        << events << ":" << line_number;
    EXPECT_EQ(internal::EventAccess::SchemaTag(event),
              &plan::RulesetAccess::Checked(*ruleset));
    // Each index names the attribute's schema entry; no name twice.
    for (const Event::Attribute& a : event) {
      EXPECT_EQ(event.Find(a.name), &a) << events << ":" << line_number;
      if (a.schema_index >= 0) {
        EXPECT_LT(
            static_cast<size_t>(a.schema_index),
            plan::RulesetAccess::Checked(*ruleset).event_attributes.size());
        if (static_cast<size_t>(a.schema_index) >=
            plan::RulesetAccess::Checked(*ruleset).event_attributes.size()) {
          continue;
        }
        EXPECT_EQ(plan::RulesetAccess::Checked(*ruleset)
                      .event_attributes[a.schema_index]
                      .name,
                  a.name)
            << events << ":" << line_number;
      }
    }
    const Event plain = Untagged(event);
    EXPECT_EQ(internal::EventAccess::SchemaTag(plain), nullptr);
    const absl::Status s1 = (*typed)->Process(event, &typed_sink);
    const absl::Status s2 = (*generic)->Process(plain, &generic_sink);
    EXPECT_EQ(s1, s2) << events << ":" << line_number;
    if (s1.ok()) ++accepted;
  }
  EXPECT_EQ(typed_sink.text, generic_sink.text) << events;
  EXPECT_EQ(compact_sink.text, typed_sink.text) << events;
  EXPECT_EQ((*typed)->stats().events, (*generic)->stats().events);
  EXPECT_EQ((*compact)->stats().events, (*typed)->stats().events);
  EXPECT_EQ((*compact)->stats().rejected_events,
            (*typed)->stats().rejected_events);
  return accepted;
}

// Whether `a` and `b` hold the same event (type, time, tag, attributes in
// order with every member).
void ExpectSameEvent(const Event& a, const Event& b, const std::string& where) {
  EXPECT_EQ(a.type(), b.type()) << where;
  EXPECT_EQ(a.time(), b.time()) << where;
  EXPECT_EQ(internal::EventAccess::SchemaTag(a),
            internal::EventAccess::SchemaTag(b))
      << where;
  ASSERT_EQ(a.size(), b.size()) << where;
  for (size_t i = 0; i < a.size(); ++i) {
    const Event::Attribute& x = a.begin()[i];
    const Event::Attribute& y = b.begin()[i];
    EXPECT_EQ(x.name, y.name) << where;
    EXPECT_EQ(x.kind, y.kind) << where << " " << x.name;
    EXPECT_EQ(x.bool_value, y.bool_value) << where << " " << x.name;
    EXPECT_EQ(x.int_value, y.int_value) << where << " " << x.name;
    // Bitwise: -0.0 and 0.0 differ.
    EXPECT_EQ(std::signbit(x.double_value), std::signbit(y.double_value))
        << where << " " << x.name;
    EXPECT_EQ(x.double_value, y.double_value) << where << " " << x.name;
    EXPECT_EQ(x.string_value, y.string_value) << where << " " << x.name;
    EXPECT_EQ(x.duration_value, y.duration_value) << where << " " << x.name;
    EXPECT_EQ(x.time_value, y.time_value) << where << " " << x.name;
    EXPECT_EQ(x.strings, y.strings) << where << " " << x.name;
    EXPECT_EQ(x.ints, y.ints) << where << " " << x.name;
    EXPECT_EQ(x.schema_index, y.schema_index) << where << " " << x.name;
  }
}

// Reads each line with and without the fast path; returns how many lines
// were valid.
int CompareFastPath(const Ruleset& ruleset,
                    const std::vector<std::string>& lines,
                    const std::string& name) {
  ReaderOptions fast_options;
  ReaderOptions full_options;
  full_options.fast_path = false;
  EventReader fast(ruleset, fast_options);
  EventReader full(ruleset, full_options);
  Event a, b, c, d;
  // Read into CompactEvents too, by both paths (one CompactEvent reused
  // across lines and readers), and copied back into Events: the same.
  CompactEvent compact;
  int valid = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string where = name + ":" + std::to_string(i + 1);
    if (EventReader::IsBlankLine(lines[i])) continue;
    const absl::Status s1 = fast.Next(lines[i], &a);
    const absl::Status s2 = full.Next(lines[i], &b);
    EXPECT_EQ(s1, s2) << where;
    const absl::Status s3 = fast.Next(lines[i], &compact);
    compact.CopyTo(&c);
    const absl::Status s4 = full.Next(lines[i], &compact);
    compact.CopyTo(&d);
    EXPECT_EQ(s3, s1) << where << " (compact)";
    EXPECT_EQ(s4, s1) << where << " (compact, full parser)";
    if (s1.ok() && s2.ok()) {
      ++valid;
      ExpectSameEvent(a, b, where);
      ExpectSameEvent(c, a, where + " (compact)");
      ExpectSameEvent(d, a, where + " (compact, full parser)");
    }
  }
  return valid;
}

// Every shipped pack's rules and event files.
constexpr std::pair<const char*, const char*> kPackEventFiles[] = {
    {"rules/after_hours/hours.yaml", "rules/after_hours/events.jsonl"},
    {"rules/cart_abandonment/cart.yaml", "rules/cart_abandonment/events.jsonl"},
    {"rules/channel_deflection/deflection.yaml",
     "rules/channel_deflection/events.jsonl"},
    {"rules/response_time/response.yaml", "rules/response_time/events.jsonl"},
    {"rules/skill_routing/routing.yaml", "rules/skill_routing/roster.jsonl"},
    {"rules/skill_routing/routing.yaml", "rules/skill_routing/events.jsonl"},
};

TEST(TypedEventTest, FastPathReadsCorpusFilesLikeTheFullParser) {
  std::vector<std::pair<const char*, const char*>> files = {
      {"tests/data/hostile/events/ruleset.yaml",
       "tests/data/hostile/events/hostile.jsonl"}};
  files.insert(files.end(), std::begin(kPackEventFiles),
               std::end(kPackEventFiles));
  const std::string dir = testing::SourceDir() + "/";
  for (const auto& [rules, events] : files) {
    LoadResult loaded = LoadRuleset(dir + rules);
    ASSERT_TRUE(loaded.ok()) << rules;
    EXPECT_GT(
        CompareFastPath(*loaded.ruleset(),
                        Lines(testing::ReadFileOrEmpty(dir + events)), events),
        0);
  }
}

constexpr char kFastRules[] = R"(ruleset: fast
session:
  key: visitor
event:
  count: int
  amount: double
  name: string
  flag: bool
  wait: duration
  at: timestamp
  anything: dyn
rules:
  - name: r
    on: probe
    if: event.count > 0
    then:
      - tag: [x]
)";

TEST(TypedEventTest, FastPathReadsTrickyLinesLikeTheFullParser) {
  LoadResult loaded = LoadRulesetFromString(kFastRules, "fast.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const std::string head =
      R"({"time":"2026-11-23T10:00:00Z","type":"probe","visitor":"v1",)";
  const std::vector<std::string> values = {
      R"("count":1)",
      R"("count":-0)",
      R"("count":0)",
      R"("count":01)",
      R"("count":1.0)",
      R"("count":1e2)",
      R"("count":-)",
      R"("count":1e)",
      R"("count":123456789012345678)",
      R"("count":1234567890123456789)",
      R"("count":9223372036854775807)",
      R"("count":9223372036854775808)",
      R"("count":-9223372036854775809)",
      R"("count":"1")",
      R"("count":null)",
      R"("count":true)",
      R"("count":[1])",
      R"("count":{"a":1})",
      R"("amount":1)",
      R"("amount":-0)",
      R"("amount":-0.0)",
      R"("amount":1.5e-3)",
      R"("amount":1E400)",
      R"("amount":4.9e-324)",
      R"("amount":1e-400)",
      R"("amount":0.1)",
      R"("amount":.5)",
      R"("amount":1.)",
      R"("amount":123456789012345678901234567890)",
      R"("amount":-1.7976931348623157e308)",
      R"("amount":"x")",
      R"("name":"plain")",
      R"("name":"")",
      R"("name":"a\"b")",
      R"("name":"caf\u00e9")",
      "\"name\":\"caf\xc3\xa9\"",
      "\"name\":\"bad\xff\"",
      "\"name\":\"tab\there\"",
      R"("name":1)",
      R"("flag":true)",
      R"("flag":false)",
      R"("flag":tru)",
      R"("flag":truex)",
      R"("flag":"true")",
      R"("flag":null)",
      R"("wait":"90s")",
      R"("wait":"1h30m")",
      R"("wait":"soon")",
      R"("wait":90)",
      R"("at":"2026-11-23T10:00:00.5+01:00")",
      R"("at":"yesterday")",
      R"("anything":-0)",
      R"("anything":-0.0)",
      R"("anything":7)",
      R"("anything":7.5)",
      R"("anything":"s")",
      R"("anything":false)",
      R"("anything":null)",
      R"("anything":["a"])",
      R"("anything":{"k":1})",
      R"("anything":18446744073709551615)",
      R"("other":{"deep":[1,2,{}]})",
      R"("other":[)",
      R"("other":1,"other":2)",
      R"("count":1,"count":2)",
      R"("na\u006de":"escaped key")",
      R"("count" : 1 )",
      "\"count\":\t1",
      R"("count":1,)",
      R"("count":1}trailing)",
      R"("count":1}})",
      R"("visitor":"v2")",
      R"("channel":"chat")",
      R"("channel":5)",
      R"("agent":"a1")",
      R"("queue":"q")",
      R"("waited":"5s")",
      // Timestamps and decimals the fast path parses itself (and the forms
      // it leaves to the general parsers).
      R"("at":"2026-11-23T10:00:00Z")",
      R"("at":"2026-11-23T10:00:00.5Z")",
      R"("at":"2024-02-29T10:00:00.123456789Z")",
      R"("at":"2023-02-29T10:00:00Z")",
      R"("at":"2026-11-23T24:00:00Z")",
      R"("at":"0000-01-01T00:00:00Z")",
      R"("at":"2026-11-23t10:00:00z")",
      R"("amount":17.77)",
      R"("amount":-0.5)",
      R"("amount":0.30000000000000004)",
      R"("amount":9007199254740993.5)",
      R"("amount":123456789.123456789)",
      R"("anything":17.77)",
      R"("anything":-17.0)",
      // Strings longer than one 16-byte block, and special bytes at
      // either side of a block's end.
      R"("name":"abcdefghijklmnopqrstuvwxyz0123456789")",
      R"("name":"abcdefghijklmno"pq")",
      R"("name":"abcdefghijklmnop\q")",
      "\"name\":\"abcdefghijklmnop\xc3\xa9q\"",
      "\"name\":\"abcdefghijklmno\x01\"",
  };
  std::vector<std::string> lines;
  for (const std::string& v : values) {
    lines.push_back(head + v + "}");
    lines.push_back(head + v + "}\r");
    lines.push_back("  " + head + v + " } ");
  }
  lines.push_back(R"({})");
  lines.push_back(R"({"type":"probe","visitor":"v"})");
  lines.push_back(R"({"time":"2026-11-23T10:00:00Z","visitor":"v"})");
  lines.push_back(R"({"time":"2026-11-23T10:00:00Z","type":"probe"})");
  lines.push_back(R"({"time":"2026-11-23T10:00:00Z","type":""})");
  lines.push_back(R"({"time":"2026-11-23T10:00:00Z","type":"channel.down",)"
                  R"("channel":"chat"})");
  lines.push_back(R"({"time":"2026-11-23T10:00:00Z","type":"agent.login",)"
                  R"("agent":"a1","ready":true})");
  lines.push_back(R"({"queue":"q","time":"2026-11-23T10:00:00Z",)"
                  R"("type":"route.timeout","visitor":"v","waited":"3s"})");
  lines.push_back(
      R"({"time":"2026-11-23T10:00:00Z","time":"2026-11-23T10:00:01Z","type":"probe","visitor":"v"})");
  lines.push_back(R"([1,2])");
  lines.push_back(R"("text")");
  lines.push_back(R"({"time":"2026-11-23T10:00:00Z" "type":"probe"})");
  lines.push_back(
      R"({"time":"2026-11-23T10:00:00Z","type":"probe","visitor":"v")");
  // A time that is not the first of its date, after one that is.
  lines.push_back(
      R"({"time":"2026-11-23T10:00:05Z","type":"probe","visitor":"v"})");
  lines.push_back(
      R"({"time":"2026-11-24T00:00:00Z","type":"probe","visitor":"v"})");
  // The fast path reads most of these; count that some are valid and some
  // not, so that both outcomes are compared.
  const int valid = CompareFastPath(*loaded.ruleset(), lines, "tricky");
  EXPECT_GT(valid, 50);
  EXPECT_LT(valid, static_cast<int>(lines.size()) - 50);
}

TEST(TypedEventTest, HostileCorpusSameAsGenericPath) {
  EXPECT_GT(CompareOnFile("tests/data/hostile/events/ruleset.yaml",
                          "tests/data/hostile/events/hostile.jsonl"),
            0);
}

TEST(TypedEventTest, PackEventFilesSameAsGenericPath) {
  for (const auto& [rules, events] : kPackEventFiles) {
    SCOPED_TRACE(events);
    EXPECT_GT(CompareOnFile(rules, events), 0);
  }
}

constexpr char kRules[] = R"(ruleset: typed
session:
  key: visitor
event:
  count: int
  name: string
  skills: map(string, int)
rules:
  - name: big
    on: probe
    if: event.count > 2 && event.name == 'x'
    then:
      - tag: [big]
)";

// Members whose meaning depends on the type (agent.* built-ins) and come
// before "type" are read in a second pass: each still appears once.
TEST(TypedEventTest, DeferredMembersAppearOnce) {
  LoadResult loaded = LoadRulesetFromString(kRules, "typed.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EventReader reader(*loaded.ruleset());
  Event event;
  ASSERT_TRUE(reader
                  .Next(R"({"agent":"a1","skills":{"en":2},)"
                        R"("time":"2026-11-23T10:00:00Z","type":"agent.login",)"
                        R"("ready":true,"capacity":{"chat":1}})",
                        &event)
                  .ok());
  std::vector<std::string> names;
  for (const Event::Attribute& a : event) names.push_back(a.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"ready", "capacity", "agent", "skills"}));
  ASSERT_NE(event.Find("skills"), nullptr);
  EXPECT_EQ(event.Find("skills")->kind, Event::Kind::kIntMap);
  EXPECT_EQ(event.Find("skills")->ints.size(), 1u);
  EXPECT_EQ(event.Find("agent")->string_value, "a1");
}

// An attribute set with a plain setter after the reader (index -1), and an
// index that does not fit its name, are matched by name.
TEST(TypedEventTest, UnindexedAttributesOfATaggedEventGoByName) {
  LoadResult loaded = LoadRulesetFromString(kRules, "typed.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::shared_ptr<const Ruleset> ruleset = loaded.ruleset();
  EventReader reader(*ruleset);
  auto engine = Engine::Create(ruleset);
  ASSERT_TRUE(engine.ok());
  JsonSink sink;
  Event event;
  ASSERT_TRUE(reader
                  .Next(R"({"time":"2026-11-23T10:00:00Z","type":"probe",)"
                        R"("visitor":"v1","count":1})",
                        &event)
                  .ok());
  event.SetString("name", "x");  // new attribute: index -1
  event.SetInt("count", 5);      // overwritten in place: keeps its index
  EXPECT_EQ(event.Find("name")->schema_index, -1);
  ASSERT_TRUE((*engine)->Process(event, &sink).ok());
  EXPECT_NE(sink.text.find("\"big\""), std::string::npos) << sink.text;

  // A wrong index (of an attribute whose name has another length) under
  // the engine's own tag: the name decides.
  sink.text.clear();
  Event forged("probe", event.time() + absl::Seconds(1));
  internal::EventAccess::SetSchemaTag(forged,
                                      &plan::RulesetAccess::Checked(*ruleset));
  forged.SetString("visitor", "v2");
  int name_index = -1;
  int count_index = -1;
  const auto& attributes =
      plan::RulesetAccess::Checked(*ruleset).event_attributes;
  for (size_t i = 0; i < attributes.size(); ++i) {
    if (attributes[i].name == "name") name_index = static_cast<int>(i);
    if (attributes[i].name == "count") count_index = static_cast<int>(i);
  }
  ASSERT_GE(name_index, 0);
  ASSERT_GE(count_index, 0);
  internal::EventAccess::AppendAttribute(forged, "count", Event::Kind::kInt,
                                         name_index)
      ->int_value = 9;
  internal::EventAccess::AppendAttribute(forged, "name", Event::Kind::kString,
                                         count_index)
      ->string_value = "x";
  ASSERT_TRUE((*engine)->Process(forged, &sink).ok());
  EXPECT_NE(sink.text.find("\"big\""), std::string::npos) << sink.text;
}

TEST(TypedEventTest, ResetClearsTheTagAndSettersLeaveNoIndex) {
  Event event("probe", absl::UnixEpoch());
  int tag = 0;
  internal::EventAccess::SetSchemaTag(event, &tag);
  internal::EventAccess::AppendAttribute(event, "a", Event::Kind::kInt, 3)
      ->int_value = 1;
  EXPECT_EQ(internal::EventAccess::SchemaTag(event), &tag);
  EXPECT_EQ(event.Find("a")->schema_index, 3);
  EXPECT_EQ(event.Find("a")->int_value, 1);
  event.Reset("probe", absl::UnixEpoch());
  EXPECT_EQ(internal::EventAccess::SchemaTag(event), nullptr);
  EXPECT_EQ(event.size(), 0u);
  // The reused slot is emptied and loses its index.
  event.SetString("b", "v");
  EXPECT_EQ(event.Find("b")->schema_index, -1);
  EXPECT_EQ(event.Find("b")->int_value, 0);
  // AppendAttribute empties a reused slot of every old value.
  event.Reset("probe", absl::UnixEpoch());
  Event::Attribute* a = internal::EventAccess::AppendAttribute(
      event, "c", Event::Kind::kBool, -1);
  EXPECT_EQ(a->string_value, "");
  EXPECT_EQ(a->schema_index, -1);
  EXPECT_FALSE(a->bool_value);
}

// The fast path finds members through its own hash table: a schema of many
// names alike (same length, same first, middle and last bytes: the bytes
// the table hashes), in every order, with unknown keys alike too.
TEST(TypedEventTest, FastPathFindsEveryMemberOfALargeSchema) {
  std::string rules = "ruleset: many\nsession:\n  key: visitor\nevent:\n";
  std::vector<std::string> names;
  for (int i = 0; i < 60; ++i) {
    const std::string name =
        "a" + std::to_string(100 + i) + "xyz" + std::to_string(100 + i) + "a";
    names.push_back(name);
    rules += "  " + name + (i % 2 == 0 ? ": int\n" : ": string\n");
  }
  rules += "rules:\n  - name: r\n    on: probe\n    if: event." + names[0] +
           " > 0\n    then:\n      - tag: [x]\n";
  LoadResult loaded = LoadRulesetFromString(rules, "many.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::mt19937 rng(7);
  std::vector<std::string> lines;
  for (int n = 0; n < 200; ++n) {
    std::vector<std::string> members = {
        R"("time":"2026-11-23T10:00:00Z")", R"("type":"probe")",
        R"("visitor":"v)" + std::to_string(n) + "\""};
    for (int i = 0; i < 60; ++i) {
      if (rng() % 3 == 0) continue;
      members.push_back("\"" + names[i] +
                        "\":" + (i % 2 == 0 ? std::to_string(i) : "\"s\""));
    }
    members.push_back(R"("a999xyz999a":1)");  // unknown, alike
    members.push_back(R"("a100xyz100b":"x")");
    std::shuffle(members.begin(), members.end(), rng);
    std::string line = "{";
    for (size_t i = 0; i < members.size(); ++i) {
      line += (i > 0 ? "," : "") + members[i];
    }
    lines.push_back(line + "}");
  }
  lines.push_back(
      "{\"time\":\"2026-11-23T10:00:00Z\",\"type\":\"probe\","
      "\"visitor\":\"v\",\"" +
      names[3] + "\":\"a\",\"" + names[3] +
      "\":\"b\"}");  // a duplicate: rejected either way
  EXPECT_EQ(CompareFastPath(*loaded.ruleset(), lines, "many"), 200);
  // Every member was read (the fast path did not skip them as unknown).
  EventReader reader(*loaded.ruleset());
  Event event;
  ASSERT_TRUE(reader.Next(lines[0], &event).ok());
  size_t known = 0;
  for (const std::string& name : names) {
    if (lines[0].find("\"" + name + "\"") != std::string::npos) {
      ++known;
      EXPECT_NE(event.Find(name), nullptr) << name;
    }
  }
  EXPECT_EQ(event.size(), known + 1);  // + the session key
}

}  // namespace
}  // namespace switchboard
