// Tests of Decision::ToJson / AppendJson (engine/io/decision_json.cc): the
// exact JSON of decisions with every kind of parameter, escaping, times,
// durations and explanations; and the direct path of AppendJson against the
// general one (AppendDecisionJsonGeneral) on random decisions. Also
// Decision::ToText (engine/io/decision_text.cc), the same decisions for
// people: the line's parts in order, values quoted when they would break
// the line, the explanation's lines.
#include "engine/io/decision_json.h"

#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "engine/common/time_util.h"
#include "gtest/gtest.h"
#include "switchboard/decision.h"

namespace switchboard {
namespace {

using ::switchboard::io::AppendDecisionJsonGeneral;

absl::Time At(const char* text) { return *switchboard::ParseTimestamp(text); }

Decision Base() {
  Decision d;
  d.time = At("2026-11-23T18:03:30Z");
  d.ruleset = "shop";
  d.session = "v-17";
  d.rule = "cart-abandonment";
  d.action = "offer";
  d.trigger = "idle";
  return d;
}

DecisionParam StringParam(std::string_view name, std::string_view value) {
  DecisionParam p;
  p.name = name;
  p.kind = DecisionParam::Kind::kString;
  p.string_value = value;
  return p;
}

TEST(DecisionJsonTest, SpecExample) {
  Decision d = Base();
  const DecisionParam params[] = {StringParam("channel", "chat"),
                                  StringParam("message", "cart_help")};
  d.params = params;
  EXPECT_EQ(
      d.ToJson(),
      R"({"time":"2026-11-23T18:03:30Z","ruleset":"shop","session":"v-17",)"
      R"("rule":"cart-abandonment","action":"offer","channel":"chat",)"
      R"("message":"cart_help","trigger":"idle"})");
}

TEST(DecisionJsonTest, NoParams) {
  Decision d = Base();
  EXPECT_EQ(
      d.ToJson(),
      R"({"time":"2026-11-23T18:03:30Z","ruleset":"shop","session":"v-17",)"
      R"("rule":"cart-abandonment","action":"offer","trigger":"idle"})");
}

TEST(DecisionJsonTest, EveryParamKind) {
  Decision d = Base();
  d.action = "route";
  d.trigger = "message.received";
  const std::vector<std::pair<std::string, int64_t>> skills = {{"billing", 2},
                                                               {"german", 1}};
  const std::vector<std::string> labels = {"vip", "b\"x"};
  DecisionParam queue = StringParam("queue", "billing_de");
  DecisionParam priority;
  priority.name = "priority";
  priority.kind = DecisionParam::Kind::kInt;
  priority.int_value = -9223372036854775807 - 1;
  DecisionParam skill_param;
  skill_param.name = "skills";
  skill_param.kind = DecisionParam::Kind::kIntMap;
  skill_param.ints = skills;
  DecisionParam timeout;
  timeout.name = "timeout";
  timeout.kind = DecisionParam::Kind::kDuration;
  timeout.duration_value = absl::Milliseconds(250);
  DecisionParam label_param;
  label_param.name = "labels";
  label_param.kind = DecisionParam::Kind::kStringList;
  label_param.strings = labels;
  DecisionParam empty_list;
  empty_list.name = "empty";
  empty_list.kind = DecisionParam::Kind::kStringList;
  DecisionParam empty_map;
  empty_map.name = "none";
  empty_map.kind = DecisionParam::Kind::kIntMap;
  const DecisionParam params[] = {queue,       priority,   skill_param, timeout,
                                  label_param, empty_list, empty_map};
  d.params = params;
  EXPECT_EQ(
      d.ToJson(),
      R"({"time":"2026-11-23T18:03:30Z","ruleset":"shop","session":"v-17",)"
      R"("rule":"cart-abandonment","action":"route","queue":"billing_de",)"
      R"("priority":-9223372036854775808,"skills":{"billing":2,"german":1},)"
      R"("timeout":"0.250s","labels":["vip","b\"x"],"empty":[],"none":{},)"
      R"("trigger":"message.received"})");
  // For people: durations as rules write them, list elements with a quote
  // as JSON strings.
  EXPECT_EQ(d.ToText(),
            "2026-11-23T18:03:30Z v-17 cart-abandonment: route "
            "queue=billing_de priority=-9223372036854775808 "
            "skills=billing:2,german:1 timeout=250ms labels=vip,\"b\\\"x\" "
            "empty=[] none={} (on message.received)");
}

TEST(DecisionJsonTest, Durations) {
  Decision d = Base();
  DecisionParam p;
  p.name = "within";
  p.kind = DecisionParam::Kind::kDuration;
  const DecisionParam* params = &p;
  d.params = absl::MakeConstSpan(params, 1);
  const std::pair<absl::Duration, const char*> cases[] = {
      {absl::Seconds(90), "90s"},
      {absl::Hours(2), "7200s"},
      {absl::ZeroDuration(), "0s"},
      {absl::Microseconds(1500), "0.001500s"},
      {-absl::Nanoseconds(1000000001), "-1.000000001s"},
  };
  for (const auto& [duration, text] : cases) {
    p.duration_value = duration;
    const std::string json = d.ToJson();
    EXPECT_NE(json.find(std::string("\"within\":\"") + text + "\""),
              std::string::npos)
        << json;
  }
}

TEST(DecisionJsonTest, TimesMatchFormatTimestamp) {
  Decision d = Base();
  const absl::Time base = At("2026-11-23T18:03:30Z");
  const absl::Duration offsets[] = {
      absl::ZeroDuration(),          absl::Milliseconds(250),
      absl::Microseconds(1),         absl::Nanoseconds(1),
      -absl::Nanoseconds(1),         absl::Hours(24 * 365 * 7000),
      -absl::Hours(24 * 365 * 2020), absl::Seconds(-1) + absl::Milliseconds(5)};
  for (absl::Duration offset : offsets) {
    d.time = base + offset;
    const std::string want =
        "{\"time\":\"" + switchboard::FormatTimestamp(d.time) + "\",";
    EXPECT_EQ(d.ToJson().substr(0, want.size()), want);
  }
  d.time = At("2026-11-23T19:03:30.125+01:00");
  EXPECT_EQ(d.ToJson().substr(0, 34), R"({"time":"2026-11-23T18:03:30.125Z")");
  d.time = At("0001-01-01T00:00:00Z");
  EXPECT_EQ(d.ToJson().substr(0, 30), R"({"time":"0001-01-01T00:00:00Z")");
}

TEST(DecisionJsonTest, EscapesStrings) {
  Decision d = Base();
  d.session = std::string_view("a\"b\\c\n\t\x01\x1f/\x7f", 11);
  const std::string json = d.ToJson();
  EXPECT_NE(json.find(R"("session":"a\"b\\c\u000a\u0009\u0001\u001f/)"
                      "\x7f\""),
            std::string::npos)
      << json;
}

TEST(DecisionJsonTest, PassesValidUtf8AndReplacesInvalid) {
  Decision d = Base();
  d.session = "Grüße 日本 😀";
  EXPECT_NE(d.ToJson().find("\"session\":\"Grüße 日本 😀\""), std::string::npos);
  // A lone continuation byte, a truncated sequence, an overlong '/', a
  // surrogate: each invalid byte becomes U+FFFD.
  d.session =
      "a\x80"
      "b\xE6\x97"
      "c\xC0\xAF"
      "d\xED\xA0\x80";
  EXPECT_NE(d.ToJson().find("\"session\":\"a\xEF\xBF\xBD"
                            "b\xEF\xBF\xBD\xEF\xBF\xBD"
                            "c\xEF\xBF\xBD\xEF\xBF\xBD"
                            "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""),
            std::string::npos)
      << d.ToJson();
}

TEST(DecisionJsonTest, Explanation) {
  Decision d = Base();
  d.action = "deflect";
  d.trigger = "call.queued";
  const DecisionParam params[] = {StringParam("to", "sms"),
                                  StringParam("requested", "whatsapp"),
                                  StringParam("reason", "channel_down")};
  d.params = params;
  Explanation e;
  e.rules.push_back(
      {"deflect-voice",
       "ran",
       {{"session.events > 0", "true"}, {"event.tier == \"gold\"", "false"}},
       ""});
  e.rules.push_back({"other",
                     "error",
                     {{"event.intent == 'x'", "error(\"no such attribute\")"}},
                     "no such attribute 'intent'"});
  e.notes.push_back("whatsapp is down; chose sms");
  d.explanation = &e;
  EXPECT_EQ(
      d.ToJson(),
      R"({"time":"2026-11-23T18:03:30Z","ruleset":"shop","session":"v-17",)"
      R"("rule":"cart-abandonment","action":"deflect","to":"sms",)"
      R"("requested":"whatsapp","reason":"channel_down","trigger":"call.queued",)"
      R"("explain":{"rules":[{"rule":"deflect-voice","outcome":"ran",)"
      R"("conditions":[{"if":"session.events > 0","value":"true"},)"
      R"({"if":"event.tier == \"gold\"","value":"false"}]},)"
      R"({"rule":"other","outcome":"error","conditions":[{"if":"event.intent == 'x'",)"
      R"j("value":"error(\"no such attribute\")"}],"detail":"no such attribute 'intent'"}],)j"
      R"("notes":["whatsapp is down; chose sms"]}})");
  EXPECT_EQ(d.ToText(),
            "2026-11-23T18:03:30Z v-17 cart-abandonment: deflect to=sms "
            "requested=whatsapp reason=channel_down (on call.queued)\n"
            "  deflect-voice  ran    session.events > 0 -> true; "
            "event.tier == \"gold\" -> false\n"
            "  other          error  event.intent == 'x' -> "
            "error(\"no such attribute\")  [no such attribute 'intent']\n"
            "  note: whatsapp is down; chose sms");
  Explanation empty;
  d.explanation = &empty;
  d.params = {};
  EXPECT_EQ(
      d.ToJson(),
      R"({"time":"2026-11-23T18:03:30Z","ruleset":"shop","session":"v-17",)"
      R"("rule":"cart-abandonment","action":"deflect","trigger":"call.queued",)"
      R"("explain":{"rules":[],"notes":[]}})");
}

TEST(DecisionJsonTest, AppendJsonAppends) {
  Decision d = Base();
  std::string out = "prefix ";
  d.AppendJson(&out);
  EXPECT_EQ(out, "prefix " + d.ToJson());
  out.reserve(4096);
  const char* data = out.data();
  d.AppendJson(&out);  // room left: no reallocation
  EXPECT_EQ(out.data(), data);
}

// Random strings mixing plain text with every byte that needs care: quotes,
// backslashes, control bytes, valid and invalid UTF-8.
std::string RandomText(std::mt19937& rng) {
  static const std::string kPieces[] = {"a",
                                        "route",
                                        "q47",
                                        "c-9069",
                                        "\"",
                                        "\\",
                                        "\n",
                                        std::string(1, '\0'),
                                        "\x1f",
                                        "\x7f",
                                        "\xc3\xa9",
                                        "\xe6\x97\xa5",
                                        "\xf0\x9f\x98\x80",
                                        "\xff",
                                        "\xc3",
                                        "\xed\xa0\x80",
                                        "0123456789abcdef",
                                        " "};
  std::string s;
  const int n = static_cast<int>(rng() % 12);
  for (int i = 0; i < n; ++i) s += kPieces[rng() % std::size(kPieces)];
  return s;
}

TEST(DecisionJsonTest, DirectPathWritesWhatTheGeneralPathWrites) {
  std::mt19937 rng(20261123);
  const absl::Time times[] = {At("2026-11-23T18:03:30Z"),
                              At("2026-11-23T18:03:30.125Z"),
                              At("2026-11-23T18:03:30.000125Z"),
                              At("2026-11-23T18:03:30.000000001Z"),
                              At("0001-01-01T00:00:00Z"),
                              At("9999-12-31T23:59:59.999999999Z"),
                              At("1969-12-31T23:59:59.5Z"),
                              At("2000-02-29T12:00:00Z"),
                              absl::InfiniteFuture(),
                              absl::InfinitePast(),
                              absl::FromUnixSeconds(int64_t{1} << 40)};
  int direct_kinds = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::string> texts;
    for (int i = 0; i < 12; ++i) texts.push_back(RandomText(rng));
    Decision d;
    d.time = times[rng() % std::size(times)];
    d.ruleset = texts[0];
    d.session = texts[1];
    d.rule = texts[2];
    d.action = texts[3];
    d.trigger = texts[4];
    // Lists and maps of 0 to 2 items (both take the direct path too).
    std::vector<std::string> list = {texts[5], texts[6]};
    list.resize(rng() % 3);
    std::vector<std::pair<std::string, int64_t>> map = {{texts[7], -5},
                                                        {texts[6], INT64_MIN}};
    map.resize(rng() % 3);
    std::vector<DecisionParam> params;
    const int n = static_cast<int>(rng() % 4);
    bool simple = true;
    for (int i = 0; i < n; ++i) {
      DecisionParam p;
      p.name = texts[8 + i];
      switch (rng() % 8) {
        case 0:
          p.kind = DecisionParam::Kind::kStringList;
          p.strings = list;
          break;
        case 1:
          p.kind = DecisionParam::Kind::kIntMap;
          p.ints = map;
          break;
        case 2:
          p.kind = DecisionParam::Kind::kDuration;
          p.duration_value = absl::Milliseconds(static_cast<int>(rng() % 9999));
          simple = false;
          break;
        case 3:
        case 4: {
          p.kind = DecisionParam::Kind::kInt;
          const int64_t extremes[] = {
              0, -1, 7, INT64_MIN, INT64_MAX, static_cast<int64_t>(rng())};
          p.int_value = extremes[rng() % std::size(extremes)];
          break;
        }
        default:
          p.kind = DecisionParam::Kind::kString;
          p.string_value = texts[11 - i];
      }
      params.push_back(p);
    }
    d.params = params;
    if (simple) ++direct_kinds;
    // Appended after earlier text, which must stay as it was.
    std::string direct = "prefix";
    d.AppendJson(&direct);
    std::string general = "prefix";
    AppendDecisionJsonGeneral(d, &general);
    ASSERT_EQ(direct, general) << "round " << round;
  }
  EXPECT_GT(direct_kinds, 1000);  // both paths were compared often
}

TEST(DecisionTextTest, TimeSessionRuleActionParamsTrigger) {
  Decision d = Base();
  const DecisionParam params[] = {StringParam("channel", "chat"),
                                  StringParam("message", "cart_help")};
  d.params = params;
  EXPECT_EQ(d.ToText(),
            "2026-11-23T18:03:30Z v-17 cart-abandonment: offer channel=chat "
            "message=cart_help (on idle)");
}

TEST(DecisionTextTest, QuotesValuesThatWouldBreakTheLine) {
  Decision d = Base();
  d.session = "visitor 7";
  const std::vector<std::string> labels = {"a,b", "c:d", ""};
  DecisionParam label_param;
  label_param.name = "labels";
  label_param.kind = DecisionParam::Kind::kStringList;
  label_param.strings = labels;
  const DecisionParam params[] = {StringParam("message", ""),
                                  StringParam("reason", "line\nbreak"),
                                  label_param};
  d.params = params;
  EXPECT_EQ(d.ToText(),
            "2026-11-23T18:03:30Z \"visitor 7\" cart-abandonment: offer "
            "message=\"\" reason=\"line\\u000abreak\" "
            "labels=\"a,b\",\"c:d\",\"\" (on idle)");
}

TEST(DecisionTextTest, ExplanationLinesStayOneLineEach) {
  Decision d = Base();
  Explanation e;
  // A multi-line condition is shown on one line; a rule that ran without
  // conditions says so.
  e.rules.push_back({"vip", "false", {{"event.tier ==\n'gold'", "false"}}, ""});
  e.rules.push_back({"tag-all", "overridden", {}, "by busy"});
  d.explanation = &e;
  EXPECT_EQ(d.ToText(),
            "2026-11-23T18:03:30Z v-17 cart-abandonment: offer (on idle)\n"
            "  vip      false       event.tier == 'gold' -> false\n"
            "  tag-all  overridden  (no conditions)  [by busy]");
}

TEST(DecisionTextTest, AppendTextAppends) {
  Decision d = Base();
  std::string out = "> ";
  d.AppendText(&out);
  EXPECT_EQ(out, "> " + d.ToText());
}

}  // namespace
}  // namespace switchboard

namespace switchboard {
namespace {

// The public escaper (decision.h) is the one decisions use: the studio and
// other tools write their JSON with it.
TEST(DecisionJsonTest, AppendJsonStringEscapesAsDecisionsDo) {
  std::string out = "x";
  AppendJsonString("a\"b\\c\n\x01 \xff", &out);
  EXPECT_EQ(out, "x\"a\\\"b\\\\c\\u000a\\u0001 \xEF\xBF\xBD\"");
}

}  // namespace
}  // namespace switchboard
