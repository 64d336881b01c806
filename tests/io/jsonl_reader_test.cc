// Tests of EventReader (engine/io/jsonl_reader.h): JSON Lines -> Event, typed
// by a ruleset's event schema; every attribute type, time offsets and
// fractions, the built-ins of agent.* and route.timeout events, each class of
// rejected line, and a fixed-seed fuzz loop (no crash on any bytes).
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/common/time_util.h"
#include "engine/plan/ruleset_access.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/compact_event.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"
#include "tests/support/status_matchers.h"

namespace switchboard {
namespace {

using ::switchboard::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kRules[] = R"(ruleset: types
session:
  key: visitor
event:
  count: int
  amount: double
  name: string
  flag: bool
  wait: duration
  at: timestamp
  labels: list(string)
  levels: map(string, int)
  ids: list(int)
  skills: list(string)
  anything: dyn
rules:
  - name: r
    on: probe
    if: event.count > 0 && event.amount > 0.0 && event.name == '' && event.flag && event.wait > duration('1s') && event.at > now && size(event.labels) > 0 && size(event.levels) > 0 && size(event.ids) > 0 && size(event.skills) > 0 && event.anything == 1
    then:
      - tag: [x]
)";

absl::Time At(const char* text) { return *switchboard::ParseTimestamp(text); }

class JsonlReaderTest : public ::testing::Test {
 protected:
  JsonlReaderTest() {
    LoadResult result = LoadRulesetFromString(kRules, "types.yaml");
    EXPECT_TRUE(result.ok()) << result.status();
    ruleset_ = result.ruleset();
    reader_ = std::make_unique<EventReader>(*ruleset_);
  }

  // Reads `line`, expecting success.
  const Event& Read(std::string_view line) {
    absl::Status status = reader_->Next(line, &event_);
    EXPECT_TRUE(status.ok()) << status << "\n  line: " << line;
    return event_;
  }
  // Reads `line`, expecting an InvalidArgument; returns its message.
  std::string Error(std::string_view line) {
    absl::Status status = reader_->Next(line, &event_);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument))
        << "line: " << line;
    return std::string(status.message());
  }

  std::shared_ptr<const Ruleset> ruleset_;
  std::unique_ptr<EventReader> reader_;
  Event event_;
};

TEST_F(JsonlReaderTest, ReadsTheSpecExample) {
  const Event& e = Read(
      R"({"time":"2026-11-23T18:02:00Z","type":"cart.updated","visitor":"v-17",)"
      R"("channel":"web","cart_items":3,"cart_value":129.9})");
  EXPECT_EQ(e.type(), "cart.updated");
  EXPECT_EQ(e.time(), At("2026-11-23T18:02:00Z"));
  ASSERT_EQ(e.size(), 2u);  // cart_* are not declared here: ignored
  EXPECT_EQ(e.Find("visitor")->string_value, "v-17");
  EXPECT_EQ(e.Find("channel")->string_value, "web");
}

TEST_F(JsonlReaderTest, ReadsEveryDeclaredType) {
  const Event& e = Read(
      R"({"type":"probe","time":"2026-11-23T19:02:00.125+01:00","visitor":"v",)"
      R"("count":-42,"amount":2.5,"name":"Grüße \"x\"\n","flag":true,)"
      R"("wait":"1m30s","at":"2026-11-23T18:00:00-05:30",)"
      R"("labels":["a","b"],"levels":{"billing":2,"german":-1},)"
      R"("skills":["x"],"anything":7})");
  EXPECT_EQ(e.time(), At("2026-11-23T18:02:00.125Z"));
  EXPECT_EQ(e.Find("count")->kind, Event::Kind::kInt);
  EXPECT_EQ(e.Find("count")->int_value, -42);
  EXPECT_EQ(e.Find("amount")->kind, Event::Kind::kDouble);
  EXPECT_EQ(e.Find("amount")->double_value, 2.5);
  EXPECT_EQ(e.Find("name")->string_value, "Grüße \"x\"\n");
  EXPECT_EQ(e.Find("flag")->kind, Event::Kind::kBool);
  EXPECT_TRUE(e.Find("flag")->bool_value);
  EXPECT_EQ(e.Find("wait")->kind, Event::Kind::kDuration);
  EXPECT_EQ(e.Find("wait")->duration_value, absl::Seconds(90));
  EXPECT_EQ(e.Find("at")->kind, Event::Kind::kTimestamp);
  EXPECT_EQ(e.Find("at")->time_value, At("2026-11-23T23:30:00Z"));
  EXPECT_EQ(e.Find("labels")->kind, Event::Kind::kStringList);
  EXPECT_EQ(e.Find("labels")->strings, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(e.Find("levels")->kind, Event::Kind::kIntMap);
  EXPECT_EQ(e.Find("levels")->ints,
            (std::vector<std::pair<std::string, int64_t>>{{"billing", 2},
                                                          {"german", -1}}));
  // `skills` is a declared list(string) on events that are not agent.*.
  EXPECT_EQ(e.Find("skills")->kind, Event::Kind::kStringList);
  EXPECT_EQ(e.Find("anything")->kind, Event::Kind::kInt);
}

TEST_F(JsonlReaderTest, AcceptsAnIntWhereADoubleIsDeclared) {
  const Event& e = Read(
      R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","amount":3})");
  EXPECT_EQ(e.Find("amount")->kind, Event::Kind::kDouble);
  EXPECT_EQ(e.Find("amount")->double_value, 3.0);
  Read(
      R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","amount":-1.5e3})");
  EXPECT_EQ(event_.Find("amount")->double_value, -1500.0);
}

TEST_F(JsonlReaderTest, TimeOffsetsAndFractions) {
  const std::pair<const char*, const char*> cases[] = {
      {"2026-11-23T18:02:00Z", "2026-11-23T18:02:00Z"},
      {"2026-11-23T18:02:00.5Z", "2026-11-23T18:02:00.500Z"},
      {"2026-11-23T18:02:00.123456789Z", "2026-11-23T18:02:00.123456789Z"},
      {"2026-11-24T03:02:00+09:00", "2026-11-23T18:02:00Z"},
      {"2026-11-23T08:32:00.25-09:30", "2026-11-23T18:02:00.250Z"},
      {"2026-11-23t18:02:00z", "2026-11-23T18:02:00Z"},
  };
  for (const auto& [written, utc] : cases) {
    const Event& e = Read(std::string(R"({"type":"t","visitor":"v","time":")") +
                          written + "\"}");
    EXPECT_EQ(switchboard::FormatTimestamp(e.time()), utc) << written;
  }
}

TEST_F(JsonlReaderTest, DynAttributes) {
  const auto read = [&](const char* value) -> const Event::Attribute* {
    Read(
        std::string(
            R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","anything":)") +
        value + "}");
    return event_.Find("anything");
  };
  EXPECT_EQ(read("null")->kind, Event::Kind::kNull);
  EXPECT_EQ(read("false")->kind, Event::Kind::kBool);
  EXPECT_EQ(read("1.5")->kind, Event::Kind::kDouble);
  EXPECT_EQ(read("\"s\"")->kind, Event::Kind::kString);
  // Arrays and objects of any JSON values, nested
  // (docs/events-and-decisions.md).
  EXPECT_EQ(read("[\"a\"]")->kind, Event::Kind::kList);
  EXPECT_EQ(read("{\"a\":1}")->kind, Event::Kind::kMap);
  const Event::Attribute* nested = read("[1,[2.5,\"x\"],{\"k\":null}]");
  ASSERT_EQ(nested->kind, Event::Kind::kList);
  ASSERT_EQ(nested->elements.size(), 3u);
  EXPECT_EQ(nested->elements[0].kind, Event::Kind::kInt);
  EXPECT_EQ(nested->elements[1].kind, Event::Kind::kList);
  EXPECT_EQ(nested->elements[1].elements[0].kind, Event::Kind::kDouble);
  EXPECT_EQ(nested->elements[2].kind, Event::Kind::kMap);
  EXPECT_EQ(nested->elements[2].elements[0].name, "k");
}

TEST_F(JsonlReaderTest, AgentBuiltins) {
  const Event& e = Read(
      R"({"time":"2026-11-23T18:02:00Z","type":"agent.login","agent":"a-17",)"
      R"("skills":{"billing":3,"german":1},"capacity":{"chat":2},"ready":false})");
  EXPECT_EQ(e.type(), "agent.login");
  EXPECT_EQ(e.Find("agent")->string_value, "a-17");
  ASSERT_EQ(e.Find("skills")->kind, Event::Kind::kIntMap);
  EXPECT_EQ(e.Find("skills")->ints.size(), 2u);
  EXPECT_EQ(e.Find("capacity")->ints[0],
            (std::pair<std::string, int64_t>{"chat", 2}));
  EXPECT_EQ(e.Find("ready")->kind, Event::Kind::kBool);
  EXPECT_FALSE(e.Find("ready")->bool_value);
}

TEST_F(JsonlReaderTest, AgentBuiltinsBeforeTheType) {
  // The type comes last: agent members are read in a second pass.
  const Event& e =
      Read(R"({"skills":{"sales":1},"agent":"a-1","ready":true,)"
           R"("time":"2026-11-23T18:02:00Z","type":"agent.skills"})");
  EXPECT_EQ(e.type(), "agent.skills");
  ASSERT_NE(e.Find("skills"), nullptr);
  EXPECT_EQ(e.Find("skills")->kind, Event::Kind::kIntMap);
  EXPECT_EQ(e.Find("agent")->string_value, "a-1");
  EXPECT_THAT(
      Error(
          R"({"skills":["x"],"time":"2026-11-23T18:02:00Z","type":"agent.skills"})"),
      HasSubstr("member 'skills' must be map(string, int), got an array"));
  // On other events, agent members that are not declared are ignored.
  const Event& other = Read(
      R"({"agent":"a","ready":1,"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v"})");
  EXPECT_EQ(other.Find("agent"), nullptr);
  EXPECT_EQ(other.Find("ready"), nullptr);
}

TEST_F(JsonlReaderTest, RouteTimeoutBuiltins) {
  const Event& e = Read(
      R"({"time":"2026-11-23T18:02:00Z","type":"route.timeout","visitor":"v",)"
      R"("queue":"billing","waited":"42s"})");
  EXPECT_EQ(e.Find("queue")->string_value, "billing");
  EXPECT_EQ(e.Find("waited")->duration_value, absl::Seconds(42));
  const Event& other = Read(
      R"({"queue":"billing","time":"2026-11-23T18:02:00Z","type":"t","visitor":"v"})");
  EXPECT_EQ(other.Find("queue"), nullptr);
}

TEST_F(JsonlReaderTest, GlobalEventsNeedNoSessionKey) {
  Read(
      R"({"time":"2026-11-23T18:02:00Z","type":"channel.down","channel":"whatsapp"})");
  EXPECT_EQ(event_.type(), "channel.down");
  EXPECT_THAT(Error(R"({"time":"2026-11-23T18:02:00Z","type":"cart.updated"})"),
              HasSubstr("missing the session key 'visitor'"));
  EventReader lenient(*ruleset_, ReaderOptions{.require_session_key = false});
  EXPECT_TRUE(
      lenient
          .Next(R"({"time":"2026-11-23T18:02:00Z","type":"cart.updated"})",
                &event_)
          .ok());
}

TEST_F(JsonlReaderTest, IgnoresUndeclaredMembersOfAnyShape) {
  const Event& e = Read(
      R"({"x":{"y":[1,2,{"z":null}],"w":1e999},"big":123456789012345678901234567890,)"
      R"("time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","s":"\u00e9"})");
  EXPECT_EQ(e.size(), 1u);
}

TEST_F(JsonlReaderTest, ReusesTheEventAcrossLines) {
  Read(
      R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","count":1,"name":"n"})");
  EXPECT_EQ(event_.size(), 3u);
  Read(R"({"time":"2026-11-23T18:03:00Z","type":"u","visitor":"w"})");
  EXPECT_EQ(event_.size(), 1u);
  EXPECT_EQ(event_.type(), "u");
  EXPECT_EQ(event_.Find("count"), nullptr);
}

// A line the full parser refuses before reading members (empty, NUL,
// not JSON, not an object) leaves an empty event, in either form: never
// the fast path's partial event or an older line's.
TEST_F(JsonlReaderTest, EarlyErrorsLeaveAnEmptyEventInEitherForm) {
  const std::string older =  // through the full parser (a list)
      R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"old","labels":["a"]})";
  const std::string plain =  // through the fast path
      R"({"time":"2026-11-23T18:03:00Z","type":"t","visitor":"new","count":1})";
  for (const std::string& bad :
       {std::string(""), std::string("{\"time\":\0}", 11), std::string("nope"),
        std::string("[1]"), std::string("{\"a\":\xff}")}) {
    SCOPED_TRACE(bad);
    CompactEvent compact;
    ASSERT_TRUE(reader_->Next(older, &compact).ok());
    ASSERT_TRUE(reader_->Next(plain, &compact).ok());
    EXPECT_FALSE(reader_->Next(bad, &compact).ok());
    EXPECT_EQ(compact.size(), 0u);
    EXPECT_EQ(compact.type(), "");
    ASSERT_TRUE(reader_->Next(older, &event_).ok());
    ASSERT_TRUE(reader_->Next(plain, &event_).ok());
    EXPECT_FALSE(reader_->Next(bad, &event_).ok());
    EXPECT_EQ(event_.size(), 0u);
    EXPECT_EQ(event_.type(), "");
  }
}

TEST_F(JsonlReaderTest, RequiredMembers) {
  EXPECT_EQ(Error(R"({"type":"t","visitor":"v"})"), "missing member 'time'");
  EXPECT_EQ(Error(R"({"time":"2026-11-23T18:02:00Z","visitor":"v"})"),
            "missing member 'type'");
  EXPECT_THAT(Error(R"({"time":"2026-11-23","type":"t","visitor":"v"})"),
              HasSubstr("member 'time': invalid timestamp '2026-11-23'"));
  EXPECT_THAT(
      Error(R"({"time":"2026-02-30T00:00:00Z","type":"t","visitor":"v"})"),
      HasSubstr("member 'time'"));
  EXPECT_THAT(
      Error(R"({"time":1795456920,"type":"t","visitor":"v"})"),
      HasSubstr(
          "member 'time' must be an RFC 3339 timestamp string, got a number"));
  EXPECT_EQ(Error(R"({"time":"2026-11-23T18:02:00Z","type":"","visitor":"v"})"),
            "member 'type': must not be empty");
  EXPECT_THAT(
      Error(R"({"time":"2026-11-23T18:02:00Z","type":3,"visitor":"v"})"),
      HasSubstr("member 'type' must be string, got a number"));
  EXPECT_THAT(
      Error(R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":17})"),
      HasSubstr("member 'visitor' must be string, got a number"));
}

TEST_F(JsonlReaderTest, WrongJsonTypes) {
  const auto error = [&](const char* member) {
    return Error(
        std::string(
            R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v",)") +
        member + "}");
  };
  EXPECT_EQ(error(R"("count":"3")"),
            "member 'count' must be int, got a string");
  EXPECT_EQ(error(R"("count":null)"), "member 'count' must be int, got null");
  EXPECT_THAT(error(R"("count":3.5)"),
              HasSubstr("member 'count': expected an integer"));
  EXPECT_THAT(error(R"("count":1e3)"),
              HasSubstr("member 'count': expected an integer"));
  EXPECT_EQ(error(R"("amount":"1")"),
            "member 'amount' must be double, got a string");
  EXPECT_EQ(error(R"("flag":1)"), "member 'flag' must be bool, got a number");
  EXPECT_EQ(error(R"("name":["a"])"),
            "member 'name' must be string, got an array");
  EXPECT_EQ(error(R"("wait":90)"),
            "member 'wait' must be duration, got a number");
  EXPECT_THAT(error(R"("wait":"90")"), HasSubstr("member 'wait': "));
  EXPECT_THAT(error(R"("at":"yesterday")"),
              HasSubstr("member 'at': invalid timestamp"));
  EXPECT_EQ(error(R"("labels":"a")"),
            "member 'labels' must be list(string), got a string");
  EXPECT_EQ(error(R"("labels":["a",1])"),
            "member 'labels': must be list(string): element 1 is a number");
  EXPECT_EQ(error(R"("levels":{"a":"1"})"),
            "member 'levels': must be map(string, int): 'a' is a string");
  EXPECT_THAT(error(R"("levels":{"a":1.5})"), HasSubstr("member 'levels'"));
  EXPECT_EQ(error(R"("levels":{"a":1,"a":2})"),
            "member 'levels': duplicate key 'a'");
  // list(int): accepted since lists of any element type are
  // (docs/events-and-decisions.md); an element of the wrong type is named.
  EXPECT_EQ(
      Read(
          R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","ids":[1,2]})")
          .Find("ids")
          ->kind,
      Event::Kind::kList);
  EXPECT_EQ(error(R"("ids":[1,"2"])"),
            "member 'ids' must be list(int): element [1] is a string");
  EXPECT_THAT(error(R"("channel":true)"),
              HasSubstr("member 'channel' must be string"));
}

TEST_F(JsonlReaderTest, NumbersOutOfRange) {
  const auto error = [&](const char* member) {
    return Error(
        std::string(
            R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v",)") +
        member + "}");
  };
  EXPECT_THAT(error(R"("count":9223372036854775808)"),
              HasSubstr("member 'count'"));
  EXPECT_THAT(error(R"("count":123456789012345678901234567890)"),
              HasSubstr("member 'count'"));
  EXPECT_THAT(error(R"("amount":1e400)"), HasSubstr("member 'amount'"));
  EXPECT_THAT(error(R"("amount":-1e400)"), HasSubstr("member 'amount'"));
  Read(
      R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","count":-9223372036854775808})");
  EXPECT_EQ(event_.Find("count")->int_value, INT64_MIN);
}

TEST_F(JsonlReaderTest, DuplicateMembersAreAnError) {
  EXPECT_EQ(
      Error(
          R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","count":1,"count":2})"),
      "duplicate member 'count'");
  EXPECT_EQ(
      Error(
          R"({"time":"2026-11-23T18:02:00Z","type":"t","type":"u","visitor":"v"})"),
      "duplicate member 'type'");
  // ... also written with an escape, and on the next line the marks are new.
  EXPECT_EQ(
      Error(
          R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","\u0076isitor":"w"})"),
      "duplicate member 'visitor'");
  Read(R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","count":1})");
}

TEST_F(JsonlReaderTest, MalformedLines) {
  EXPECT_THAT(Error(R"({"time":"2026-11-23T18:02:00Z","type":"t")"),
              HasSubstr("malformed JSON"));
  EXPECT_THAT(Error(R"({"time":"2026-11-23T18:02:00Z" "type":"t"})"),
              HasSubstr("malformed JSON"));
  EXPECT_THAT(
      Error(
          R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","x":tru})"),
      HasSubstr("malformed JSON"));
  EXPECT_THAT(
      Error(
          R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","x":[1,}})"),
      HasSubstr("malformed JSON"));
  EXPECT_THAT(
      Error(
          R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","x":"\q"})"),
      HasSubstr("malformed JSON"));
  EXPECT_THAT(Error("not json"), HasSubstr("JSON"));
  EXPECT_THAT(Error("[1,2]"),
              HasSubstr("a line must be one JSON object, got an array"));
  EXPECT_THAT(Error("\"s\""),
              HasSubstr("a line must be one JSON object, got a string"));
  EXPECT_THAT(
      Error(R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v"} {})"),
      HasSubstr("after the JSON object"));
  EXPECT_THAT(
      Error(R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v"} x)"),
      HasSubstr("JSON"));
  EXPECT_EQ(Error(""), "empty line");
  EXPECT_EQ(Error("  \r"), "empty line");
  EXPECT_TRUE(EventReader::IsBlankLine(" \t\r"));
  EXPECT_FALSE(EventReader::IsBlankLine(" {}"));
}

TEST_F(JsonlReaderTest, NulBytesAndInvalidUtf8) {
  EXPECT_EQ(Error(std::string_view("{\"time\":\"2026-11-23T18:02:00Z\","
                                   "\"type\":\"t\0\",\"visitor\":\"v\"}",
                                   58)),
            "NUL byte in the line");
  EXPECT_EQ(Error("{\"time\":\"2026-11-23T18:02:00Z\",\"type\":\"t\","
                  "\"visitor\":\"v\xff\"}"),
            "invalid UTF-8");
  EXPECT_EQ(Error("{\"time\":\"2026-11-23T18:02:00Z\",\"type\":\"t\","
                  "\"visitor\":\"v\",\"x\":\"\xC0\xAF\"}"),
            "invalid UTF-8");
  // An escaped lone surrogate is not valid text either.
  EXPECT_THAT(
      Error(R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"\ud800"})"),
      HasSubstr("JSON"));
}

TEST_F(JsonlReaderTest, DeepNesting) {
  std::string deep =
      R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","x":)";
  deep += std::string(200, '[') + std::string(200, ']') + "}";
  EXPECT_THAT(Error(deep), HasSubstr("nested deeper than 64"));
  std::string very_deep(100000, '[');
  EXPECT_THAT(Error(very_deep), HasSubstr("JSON"));
}

TEST_F(JsonlReaderTest, LongLinesAreRefusedBeforeParsing) {
  EventReader small(*ruleset_, ReaderOptions{.max_line_bytes = 64});
  const std::string line =
      R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","name":")" +
      std::string(100, 'x') + "\"}";
  absl::Status status = small.Next(line, &event_);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("line too long: 166 bytes (the limit is 64)"));
  // The default limit is 1 MiB.
  std::string big =
      R"({"time":"2026-11-23T18:02:00Z","type":"t","visitor":"v","name":")";
  big += std::string(size_t{1} << 20, 'x') + "\"}";
  EXPECT_THAT(Error(big), HasSubstr("line too long"));
}

TEST_F(JsonlReaderTest, FuzzNoCrash) {
  std::mt19937 rng(20261123);
  const std::string valid =
      R"({"time":"2026-11-23T19:02:00.125+01:00","type":"agent.login","visitor":"v",)"
      R"("count":-42,"amount":2.5,"name":"x\"\n","flag":true,"wait":"1m30s",)"
      R"("labels":["a","b"],"levels":{"billing":2},"skills":{"s":1},"agent":"a",)"
      R"("anything":7,"other":[{"q":[1,2.5e3,null,true]}]})";
  const std::string alphabet =
      "{}[]:,\"\\0123456789.eE+-tfnul \x80\xff\xc3\xa9\x00";
  int ok = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    if (i % 2 == 0) {
      // Random bytes from a JSON-ish alphabet.
      const int n = static_cast<int>(rng() % 80);
      for (int k = 0; k < n; ++k)
        line.push_back(alphabet[rng() % alphabet.size()]);
    } else {
      // A valid line with a few bytes changed, inserted or removed.
      line = valid;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < edits; ++k) {
        const size_t at = rng() % line.size();
        switch (rng() % 3) {
          case 0:
            line[at] = static_cast<char>(rng() % 256);
            break;
          case 1:
            line.insert(at, 1, alphabet[rng() % alphabet.size()]);
            break;
          default:
            line.erase(at, 1);
            break;
        }
      }
    }
    absl::Status status = reader_->Next(line, &event_);
    if (status.ok()) {
      ++ok;
      EXPECT_FALSE(event_.type().empty());
    } else {
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
      EXPECT_FALSE(status.message().empty());
    }
  }
  EXPECT_GT(ok, 0);  // some mutations keep the line valid
  EXPECT_TRUE(reader_->Next(valid, &event_).ok());
  EXPECT_EQ(event_.Find("skills")->kind, Event::Kind::kIntMap);
}

TEST(FormatBadLineTest, NamesTheSourceAndTheLineOnOneLine) {
  EXPECT_EQ(FormatBadLine("events.jsonl", 3, "missing member 'time'"),
            "events.jsonl:3: error: missing member 'time'");
  // Without a source (the lines of an HTTP request): the line alone.
  EXPECT_EQ(FormatBadLine("", 12, "malformed JSON"),
            "12: error: malformed JSON");
  // Messages may quote the input: control characters are escaped.
  EXPECT_EQ(FormatBadLine("<stdin>", 1, "got 'a\nb\x7f'"),
            "<stdin>:1: error: got 'a\\x0ab\\x7f'");
}

}  // namespace
}  // namespace switchboard
