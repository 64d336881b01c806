// Lists and maps from JSON (docs/events-and-decisions.md): arrays and objects
// map to lists and maps of any declared element type, nested included, read
// alike by the fast path and the full parser and typed by the engine; a schema
// type that events cannot carry is a load error; --strict-schema's unknown
// members; a line that is not JSON at all.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/decision.h"
#include "switchboard/diagnostic.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"

namespace switchboard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kRules[] = R"(ruleset: lists
session: {key: visitor}
event:
  scores: list(int)
  prices: list(double)
  labels: map(string, string)
  matrix: list(list(int))
  weights: map(string, list(double))
  deadlines: list(timestamp)
  anything: dyn
rules:
  - name: second-score
    on: t
    if: event.scores[1] == 2
    then: [{tag: [scores]}]
  - name: cheap
    on: t
    if: event.prices[0] < 1.5
    then: [{tag: [prices]}]
  - name: labelled
    on: t
    if: event.labels['color'] == 'red'
    then: [{tag: [labels]}]
  - name: matrix
    on: t
    if: event.matrix[1][0] == 3
    then: [{tag: [matrix]}]
  - name: weights
    on: t
    if: event.weights['a'][1] == 2.0
    then: [{tag: [weights]}]
  - name: deadlines
    on: t
    if: event.deadlines[0] < now
    then: [{tag: [deadlines]}]
  - name: anything
    on: t
    if: event.anything.k[0] == 1 && event.anything.s == 'x'
    then: [{tag: [anything]}]
)";

constexpr char kLine[] =
    R"({"time":"2026-11-23T10:00:00Z","type":"t","visitor":"v","scores":[1,2,3],)"
    R"("prices":[1,2.5],"labels":{"color":"red"},"matrix":[[1],[3,4]],)"
    R"("weights":{"a":[1,2]},"deadlines":["2026-11-23T09:00:00Z"],)"
    R"("anything":{"k":[1,2],"s":"x"}})";

class TagSink : public DecisionSink {
 public:
  void OnDecision(const Decision& d) override {
    tags.push_back(std::string(d.rule));
  }
  std::vector<std::string> tags;
};

std::shared_ptr<const Ruleset> Load(const char* yaml) {
  LoadResult result = LoadRulesetFromString(yaml, "lists.yaml");
  EXPECT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  return result.ruleset();
}

TEST(ListMapEventTest, ArraysAndObjectsOfAnyDeclaredTypeReachTheRules) {
  std::shared_ptr<const Ruleset> rs = Load(kRules);
  ASSERT_NE(rs, nullptr);
  for (bool fast : {true, false}) {
    ReaderOptions options;
    options.fast_path = fast;
    EventReader reader(*rs, options);
    Event event;
    ASSERT_TRUE(reader.Next(kLine, &event).ok()) << fast;
    EXPECT_EQ(event.Find("scores")->kind, Event::Kind::kList);
    EXPECT_EQ(event.Find("labels")->kind, Event::Kind::kMap);
    auto engine = Engine::Create(rs);
    ASSERT_TRUE(engine.ok());
    TagSink sink;
    ASSERT_TRUE((*engine)->Process(event, &sink).ok());
    EXPECT_THAT(sink.tags,
                ElementsAre("second-score", "cheap", "labelled", "matrix",
                            "weights", "deadlines", "anything"))
        << "fast path " << fast;
    EXPECT_THAT((*engine)->stats().rule_errors,
                ElementsAre(0, 0, 0, 0, 0, 0, 0));
  }
}

TEST(ListMapEventTest, BothReadersGiveTheSameErrorsNamingTheElement) {
  std::shared_ptr<const Ruleset> rs = Load(kRules);
  ASSERT_NE(rs, nullptr);
  const std::string head =
      R"({"time":"2026-11-23T10:00:00Z","type":"t","visitor":"v",)";
  const std::pair<std::string, std::string> cases[] = {
      {R"("scores":[1,"2"]})",
       "member 'scores' must be list(int): element [1] is a string"},
      {R"("scores":[1,2.5]})",
       "member 'scores': expected an integer at element [1]"},
      {R"("matrix":[[1],[2,"x"]]})", "element [1][1] is a string"},
      {R"("labels":{"a":1}})",
       "member 'labels' must be map(string, string): element ['a'] is a "
       "number"},
      {R"("labels":{"a":"x","a":"y"}})", "duplicate key 'a'"},
      {R"("scores":{"a":1}})",
       "member 'scores' must be list(int), got an object"},
      {R"("deadlines":["soon"]})", "member 'deadlines': element [0]: "},
  };
  for (const auto& [members, want] : cases) {
    for (bool fast : {true, false}) {
      ReaderOptions options;
      options.fast_path = fast;
      EventReader reader(*rs, options);
      Event event;
      absl::Status status = reader.Next(head + members, &event);
      EXPECT_FALSE(status.ok()) << members;
      EXPECT_THAT(std::string(status.message()), HasSubstr(want))
          << members << " fast " << fast;
    }
  }
}

TEST(ListMapEventTest, EventsBuiltInCodeAreTypedAlike) {
  std::shared_ptr<const Ruleset> rs = Load(kRules);
  ASSERT_NE(rs, nullptr);
  Event event("t", absl::FromUnixSeconds(1795428000));
  event.SetString("visitor", "v");
  Event::Attribute one, two;
  one.kind = two.kind = Event::Kind::kInt;
  one.int_value = 1;
  two.int_value = 2;
  event.SetList("scores", {one, two});
  auto engine = Engine::Create(rs);
  ASSERT_TRUE(engine.ok());
  TagSink sink;
  ASSERT_TRUE((*engine)->Process(event, &sink).ok());
  EXPECT_THAT(sink.tags, ElementsAre("second-score"));
  // An element of the wrong kind rejects the event.
  Event::Attribute text;
  text.kind = Event::Kind::kString;
  text.string_value = "x";
  event.SetList("scores", {one, text});
  absl::Status status = (*engine)->Process(event, &sink);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("scores"));
}

TEST(ListMapEventTest, ASchemaTypeEventsCannotCarryIsALoadError) {
  LoadResult result = LoadRulesetFromString(R"(ruleset: bad
event:
  ok: map(string, list(int))
  by_number: map(int, string)
  nested: list(map(bool, int))
rules: []
)",
                                            "bad.yaml");
  ASSERT_FALSE(result.ok());
  const std::string text = FormatDiagnostics(result.diagnostics());
  EXPECT_THAT(text,
              HasSubstr("bad.yaml:4:14: error: events cannot carry "
                        "attribute 'by_number' of type map(int, string)"));
  EXPECT_THAT(text, HasSubstr("bad.yaml:5:11: error: events cannot carry "
                              "attribute 'nested'"));
  EXPECT_EQ(result.error_count(), 2);
}

TEST(StrictSchemaTest, UnknownMembersOfKnownTypesAreWarnedWithAHint) {
  std::shared_ptr<const Ruleset> rs = Load(kRules);
  ASSERT_NE(rs, nullptr);
  ReaderOptions options;
  options.report_unknown_members = true;
  EventReader reader(*rs, options);
  Event event;
  ASSERT_TRUE(reader
                  .Next(R"({"time":"2026-11-23T10:00:00Z","type":"t",)"
                        R"("visitor":"v","scorse":[1],"extra":1})",
                        &event)
                  .ok());
  EXPECT_THAT(reader.warnings(),
              ElementsAre("member 'scorse' is not in the event schema (type "
                          "'t'); did you mean 'scores'?",
                          "member 'extra' is not in the event schema (type "
                          "'t')"));
  // A type no rule knows: its members are nobody's business.
  ASSERT_TRUE(reader
                  .Next(R"({"time":"2026-11-23T10:00:00Z","type":"other",)"
                        R"("visitor":"v","scorse":[1]})",
                        &event)
                  .ok());
  EXPECT_THAT(reader.warnings(), IsEmpty());
  // Off by default.
  EventReader plain(*rs);
  ASSERT_TRUE(plain
                  .Next(R"({"time":"2026-11-23T10:00:00Z","type":"t",)"
                        R"("visitor":"v","scorse":[1]})",
                        &event)
                  .ok());
  EXPECT_THAT(plain.warnings(), IsEmpty());
}

TEST(NotJsonTest, ALineThatIsNotJsonIsNotCalledNull) {
  std::shared_ptr<const Ruleset> rs = Load(kRules);
  ASSERT_NE(rs, nullptr);
  EventReader reader(*rs);
  Event event;
  absl::Status status = reader.Next("not json", &event);
  EXPECT_EQ(status.message(),
            "malformed JSON: a line must be one JSON object, got 'not json'");
  EXPECT_EQ(reader.Next("null", &event).message(),
            "a line must be one JSON object, got null");
  EXPECT_EQ(
      reader.Next("truth be told, this is no JSON at all", &event).message(),
      "malformed JSON: a line must be one JSON object, got 'truth be "
      "told, this is n...'");
}

}  // namespace
}  // namespace switchboard
