// The public loading API (include/switchboard/ruleset.h): every key of the
// rule language into the CheckedRuleset, the defaults, folders, limits and
// hostile input.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "engine/check/checked_ruleset.h"
#include "engine/check/rule_env.h"
#include "engine/plan/ruleset_access.h"
#include "gtest/gtest.h"
#include "switchboard/ruleset.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_util.h"

namespace switchboard {
namespace {

using ::switchboard::check::Calendar;
using ::switchboard::check::Channel;
using ::switchboard::check::Queue;

using ::switchboard::check::CheckedRuleset;
using ::switchboard::check::kBuiltinChannels;
using ::switchboard::check::kEventKeyField;
using ::switchboard::check::kEventTypeField;
using ::switchboard::check::kEventVariable;
using ::switchboard::check::kNowVariable;
using ::switchboard::check::kSessionVariable;
using ::switchboard::check::MinuteRange;
using ::switchboard::check::SessionField;

using ::switchboard::check::Action;
using ::switchboard::check::ActionKind;
using ::switchboard::check::CallbackAction;
using ::switchboard::check::DeflectAction;
using ::switchboard::check::EmitAction;
using ::switchboard::check::HandoffAction;
using ::switchboard::check::kFirstDeclaredEventField;
using ::switchboard::check::kFirstDeclaredSessionField;
using ::switchboard::check::OfferAction;
using ::switchboard::check::RouteAction;
using ::switchboard::check::Rule;
using ::switchboard::check::SetAction;
using ::switchboard::check::SkillLevel;
using ::switchboard::check::TagAction;
using ::switchboard::check::TriggerKind;

using ::switchboard::testing::StatusIs;

namespace fs = std::filesystem;

std::shared_ptr<const Ruleset> LoadOk(const std::string& yaml) {
  LoadResult result = LoadRulesetFromString(yaml, "test.yaml");
  EXPECT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  EXPECT_TRUE(result.status().ok());
  return result.ruleset();
}

LoadResult LoadBad(const std::string& yaml, const LoadOptions& options = {}) {
  LoadResult result = LoadRulesetFromString(yaml, "test.yaml", options);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.ruleset(), nullptr);
  EXPECT_GT(result.error_count(), 0);
  return result;
}

bool Mentions(const LoadResult& result, const std::string& text) {
  for (const Diagnostic& d : result.diagnostics()) {
    if (d.message.find(text) != std::string::npos) return true;
  }
  return false;
}

// An activation with no variables: enough for constant programs.
struct NoVariables : cel::Activation {
  cel::Value GetVariable(int) const override {
    return cel::Value::Error(cel::ErrorCode::kUnknownVariable);
  }
};

constexpr char kEveryKey[] = R"yaml(
ruleset: shop
session:
  key: visitor
  expire: 12h
  fields:
    chat_offered: bool = false
    cart_items: int = 0
    score: double = 1
    language: string = "en"
    wait: duration = duration('90s')
    since: timestamp = 2026-01-01T00:00:00Z
    tags: list(string) = []
    last_offer: timestamp
event:
  cart_items: int
  cart_value: double
  intent: string
  tier: string
calendars:
  service_hours:
    timezone: Europe/Berlin
    weekly:
      mon-fri: ["08:00-20:00"]
      sat: ["09:00-14:00", "22:00-02:00"]
      sun: ["00:00-24:00"]
    closed: ["2026-12-25", "2026-12-24", "2026-12-25"]
    special: {"2026-12-31": ["08:00-12:00"], "2026-12-30": []}
  offset:
    timezone: "+02:00"
    weekly:
      fri-mon: ["10:00-11:00"]
channels:
  voice: {fallback: [whatsapp, sms]}
  line: {fallback: [chat]}
queues:
  billing_de:
    skills: {billing: 2, german: 1}
    channels: [voice, chat, line]
    ends_on: [conversation.closed]
    relax:
      - {after: 30s, drop: [german]}
      - {after: 90s, skills: {billing: 1}}
    handle_time: 4m
  sales: {skills: {sales: 1}}
rules:
  - name: track-cart
    description: Remember the cart
    priority: 100
    on: cart.*
    if: has(event.cart_items)
    then:
      - set: {cart_items: "event.cart_items", score: "event.cart_items"}
  - name: route-billing
    on: [message.received, chat.started]
    if:
      - has(event.intent) && event.intent == 'billing'
      - open('service_hours') && channel_up('voice')
      - queue('billing_de').available > 0
    final: true
    then:
      - route: {queue: billing_de, priority: 5, timeout: 10m}
      - route: {timeout: 1m, skills: {sales: 3}, queue: sales}
      - handoff: {to: agent, reason: billing}
      - deflect: {to: line, message: busy}
      - offer: {message: hi, channel: chat}
      - callback: {within: 2h}
      - tag: [billing, vip]
      - emit: {type: billing.routed, intent: "'billing'", cart_value: 3}
  - name: cart-abandonment
    on: {idle: 90s}
    if: session.cart_items > 0 && !session.chat_offered
    enabled: false
    then:
      - offer: {channel: chat, message: cart_help}
      - set: {chat_offered: true, last_offer: "now"}
  - name: reminder
    on: {after: 4h, since: cart.updated, unless: [order.placed, cart.cleared]}
    then:
      - offer: {channel: email, message: reminder}
      - set: {language: "session.language", tags: "session.tags + ['x']", wait: 5m, since: "session.since"}
)yaml";

TEST(LoaderTest, LoadsEveryKey) {
  auto ruleset = LoadOk(kEveryKey);
  ASSERT_NE(ruleset, nullptr);
  EXPECT_EQ(ruleset->name(), "shop");
  EXPECT_EQ(ruleset->rule_count(), 4);
  EXPECT_EQ(ruleset->field_count(), 8);
  // cart.*, message.received, chat.started, idle 90s, after ...
  EXPECT_EQ(ruleset->trigger_count(), 5);
  // Rules by name, in load order: the order of EngineStats' per-rule
  // vectors.
  EXPECT_EQ(ruleset->rule_name(0), "track-cart");
  EXPECT_EQ(ruleset->rule_name(1), "route-billing");
  EXPECT_EQ(ruleset->rule_name(2), "cart-abandonment");
  EXPECT_EQ(ruleset->rule_name(3), "reminder");
  EXPECT_EQ(ruleset->queue_count(), 2);
  const CheckedRuleset& c = plan::RulesetAccess::Checked(*ruleset);

  // session
  EXPECT_EQ(c.session.key, "visitor");
  EXPECT_EQ(c.session.expire, absl::Hours(12));
  ASSERT_EQ(c.session.fields.size(), 8u);
  const SessionField& score = c.session.fields[2];
  EXPECT_EQ(score.name, "score");
  EXPECT_EQ(score.type, cel::Type::Double());
  EXPECT_EQ(score.index, kFirstDeclaredSessionField + 2);
  ASSERT_TRUE(score.default_value);
  EXPECT_EQ(score.default_value->kind(), cel::ValueKind::kDouble);
  EXPECT_EQ(score.default_value->double_value(), 1.0);
  EXPECT_EQ(c.session.fields[3].default_value->string_value(), "en");
  EXPECT_EQ(c.session.fields[4].default_value->duration_value(),
            absl::Seconds(90));
  EXPECT_EQ(c.session.fields[5].default_value->kind(),
            cel::ValueKind::kTimestamp);
  EXPECT_EQ(c.session.fields[6].type, cel::Type::List(cel::Type::String()));
  EXPECT_FALSE(c.session.fields[7].default_value);
  EXPECT_EQ(c.session_type->fields()[score.index].name, "score");

  // event schema: built-ins, then the declared attributes
  ASSERT_EQ(c.event_attributes.size(), 10u);
  EXPECT_EQ(c.event_attributes[kEventTypeField].name, "type");
  EXPECT_EQ(c.event_attributes[kEventKeyField].name, "visitor");
  EXPECT_TRUE(c.event_attributes[kEventKeyField].builtin);
  EXPECT_EQ(c.event_attributes[kFirstDeclaredEventField].name, "cart_items");
  EXPECT_EQ(c.event_attributes[kFirstDeclaredEventField + 1].type,
            cel::Type::Double());
  EXPECT_EQ(c.event_type->fields().size(), 10u);
  EXPECT_EQ(c.env->variables()[kEventVariable].name, "event");
  EXPECT_EQ(c.env->variables()[kSessionVariable].name, "session");
  EXPECT_EQ(c.env->variables()[kNowVariable].name, "now");

  // calendars
  ASSERT_EQ(c.calendars.size(), 2u);
  const Calendar& hours = c.calendars[c.FindCalendar("service_hours")];
  EXPECT_EQ(hours.zone_name, "Europe/Berlin");
  for (int d = 0; d < 5; ++d) {
    EXPECT_EQ(hours.weekly[d], (std::vector<MinuteRange>{{480, 1200}}));
  }
  EXPECT_EQ(hours.weekly[5],
            (std::vector<MinuteRange>{{540, 840}, {1320, 1560}}));
  EXPECT_EQ(hours.weekly[6], (std::vector<MinuteRange>{{0, 1440}}));
  EXPECT_EQ(hours.closed,
            (std::vector<absl::CivilDay>{absl::CivilDay(2026, 12, 24),
                                         absl::CivilDay(2026, 12, 25)}));
  EXPECT_TRUE(hours.IsClosed(absl::CivilDay(2026, 12, 25)));
  ASSERT_EQ(hours.special.size(), 2u);
  EXPECT_EQ(hours.special[0].first, absl::CivilDay(2026, 12, 30));
  EXPECT_TRUE(hours.special[0].second.empty());
  EXPECT_EQ(hours.HoursOf(absl::CivilDay(2026, 12, 31)),
            (std::vector<MinuteRange>{{480, 720}}));
  EXPECT_EQ(hours.HoursOf(absl::CivilDay(2026, 12, 29)),  // a Tuesday
            (std::vector<MinuteRange>{{480, 1200}}));
  const Calendar& offset = c.calendars[1];
  // fri-mon wraps around the week: fri, sat, sun, mon.
  EXPECT_EQ(offset.weekly[0].size(), 1u);
  EXPECT_TRUE(offset.weekly[1].empty());
  EXPECT_EQ(offset.weekly[4].size(), 1u);
  EXPECT_EQ(offset.weekly[6].size(), 1u);

  // channels: the 12 built-ins, then declared new ones
  ASSERT_EQ(c.channels.size(), 13u);
  EXPECT_EQ(c.channels[0].name, "web");
  const Channel& voice = c.channels[c.FindChannel("voice")];
  EXPECT_TRUE(voice.builtin);
  EXPECT_TRUE(voice.declared);
  EXPECT_EQ(voice.fallback, (std::vector<std::string>{"whatsapp", "sms"}));
  EXPECT_EQ(c.channels[12].name, "line");
  EXPECT_FALSE(c.channels[12].builtin);

  // queues
  ASSERT_EQ(c.queues.size(), 2u);
  const Queue& billing = c.queues[0];
  EXPECT_EQ(billing.skills,
            (std::vector<SkillLevel>{{"billing", 2}, {"german", 1}}));
  EXPECT_EQ(billing.channels,
            (std::vector<std::string>{"voice", "chat", "line"}));
  EXPECT_EQ(billing.ends_on, (std::vector<std::string>{"conversation.closed"}));
  ASSERT_EQ(billing.relax.size(), 2u);
  EXPECT_EQ(billing.relax[0].after, absl::Seconds(30));
  EXPECT_EQ(billing.relax[0].drop, (std::vector<std::string>{"german"}));
  EXPECT_EQ(billing.relax[1].skills, (std::vector<SkillLevel>{{"billing", 1}}));
  EXPECT_EQ(billing.handle_time, absl::Minutes(4));
  EXPECT_EQ(c.queues[1].ends_on,
            (std::vector<std::string>{"conversation.closed", "call.ended"}));
  EXPECT_TRUE(c.queues[1].channels.empty());
  EXPECT_FALSE(c.queues[1].handle_time);

  // rules, in file order
  ASSERT_EQ(c.rules.size(), 4u);
  const Rule& track = c.rules[0];
  EXPECT_EQ(track.name, "track-cart");
  EXPECT_EQ(track.description, "Remember the cart");
  EXPECT_EQ(track.priority, 100);
  EXPECT_EQ(track.trigger.kind, TriggerKind::kEvent);
  ASSERT_EQ(track.trigger.events.size(), 1u);
  EXPECT_TRUE(track.trigger.events[0].prefix);
  EXPECT_EQ(track.trigger.events[0].text, "cart.");
  EXPECT_TRUE(track.trigger.events[0].Matches("cart.updated"));
  EXPECT_FALSE(track.trigger.events[0].Matches("cartx.updated"));
  EXPECT_EQ(track.pos.file, "test.yaml");
  ASSERT_EQ(track.conditions.size(), 1u);
  EXPECT_EQ(track.conditions[0].text, "has(event.cart_items)");
  EXPECT_NE(track.conditions[0].expr, nullptr);
  // set: an int expression into a double field is compiled as double(expr).
  const auto& set = std::get<SetAction>(track.actions[0].detail);
  ASSERT_EQ(set.assignments.size(), 2u);
  EXPECT_EQ(set.assignments[1].field, "score");
  EXPECT_FALSE(set.assignments[1].value.literal);
  EXPECT_EQ(track.writes, (std::vector<int>{kFirstDeclaredSessionField + 1,
                                            kFirstDeclaredSessionField + 2}));

  const Rule& route = c.rules[1];
  EXPECT_EQ(route.priority, 0);
  EXPECT_TRUE(route.final);
  EXPECT_TRUE(route.enabled);
  EXPECT_EQ(route.trigger.events.size(), 2u);
  EXPECT_EQ(route.conditions.size(), 3u);
  ASSERT_EQ(route.actions.size(), 8u);
  const Action& r1 = route.actions[0];
  EXPECT_EQ(r1.kind, ActionKind::kRoute);
  const auto& rd = std::get<RouteAction>(r1.detail);
  EXPECT_EQ(rd.queue, 0);
  EXPECT_EQ(rd.priority, 5);
  EXPECT_EQ(rd.timeout, absl::Minutes(10));
  EXPECT_FALSE(rd.skills_written);
  EXPECT_EQ(rd.skills, billing.skills);  // defaults to the queue's
  ASSERT_EQ(r1.params.size(), 3u);
  EXPECT_EQ(r1.params[0].name, "queue");
  EXPECT_EQ(r1.params[1].name, "priority");
  EXPECT_EQ(r1.params[2].name, "timeout");
  // Parameters keep their written order.
  const Action& r2 = route.actions[1];
  ASSERT_EQ(r2.params.size(), 3u);
  EXPECT_EQ(r2.params[0].name, "timeout");
  EXPECT_EQ(r2.params[1].name, "skills");
  EXPECT_EQ(r2.params[2].name, "queue");
  EXPECT_EQ(std::get<RouteAction>(r2.detail).skills,
            (std::vector<SkillLevel>{{"sales", 3}}));
  EXPECT_TRUE(std::get<HandoffAction>(route.actions[2].detail).to_agent);
  EXPECT_EQ(std::get<HandoffAction>(route.actions[2].detail).reason, "billing");
  EXPECT_EQ(std::get<DeflectAction>(route.actions[3].detail).channel, 12);
  EXPECT_EQ(route.actions[4].params[0].name, "message");
  EXPECT_EQ(std::get<OfferAction>(route.actions[4].detail).channel,
            c.FindChannel("chat"));
  EXPECT_EQ(std::get<CallbackAction>(route.actions[5].detail).within,
            absl::Hours(2));
  EXPECT_EQ(std::get<TagAction>(route.actions[6].detail).labels,
            (std::vector<std::string>{"billing", "vip"}));
  EXPECT_EQ(route.actions[6].params[0].name, "labels");
  const auto& emit = std::get<EmitAction>(route.actions[7].detail);
  EXPECT_EQ(emit.type, "billing.routed");
  ASSERT_EQ(emit.attributes.size(), 2u);
  EXPECT_EQ(emit.attributes[1].name, "cart_value");
  EXPECT_EQ(emit.attributes[1].attribute_index, kFirstDeclaredEventField + 1);
  ASSERT_TRUE(emit.attributes[1].value.literal);  // 3 -> 3.0
  EXPECT_EQ(emit.attributes[1].value.literal->kind(), cel::ValueKind::kDouble);

  const Rule& idle = c.rules[2];
  EXPECT_EQ(idle.trigger.kind, TriggerKind::kIdle);
  EXPECT_EQ(idle.trigger.delay, absl::Seconds(90));
  EXPECT_FALSE(idle.enabled);
  EXPECT_EQ(idle.reads, (std::vector<int>{kFirstDeclaredSessionField,
                                          kFirstDeclaredSessionField + 1}));

  const Rule& after = c.rules[3];
  EXPECT_EQ(after.trigger.kind, TriggerKind::kAfter);
  EXPECT_EQ(after.trigger.delay, absl::Hours(4));
  EXPECT_EQ(after.trigger.since.text, "cart.updated");
  ASSERT_EQ(after.trigger.unless.size(), 2u);
  EXPECT_EQ(after.trigger.unless[1].text, "cart.cleared");
  const auto& set2 = std::get<SetAction>(after.actions[1].detail);
  ASSERT_TRUE(set2.assignments[2].value.literal);  // wait: 5m, a bare duration
  EXPECT_EQ(set2.assignments[2].value.literal->duration_value(),
            absl::Minutes(5));
}

TEST(LoaderTest, CompiledProgramsEvaluate) {
  auto ruleset = LoadOk(R"yaml(
ruleset: x
session:
  fields:
    score: double = 0
rules:
  - name: r
    on: a.b
    if: 1 + 2 == 3
    then:
      - set: {score: "2 * 3"}
)yaml");
  ASSERT_NE(ruleset, nullptr);
  const Rule& rule = plan::RulesetAccess::Checked(*ruleset).rules[0];
  NoVariables activation;
  const cel::Value cond = rule.conditions[0].program.Evaluate(activation);
  ASSERT_TRUE(cond.is_bool()) << cond.DebugString();
  EXPECT_TRUE(cond.bool_value());
  const cel::Value v = std::get<SetAction>(rule.actions[0].detail)
                           .assignments[0]
                           .value.program.Evaluate(activation);
  ASSERT_EQ(v.kind(), cel::ValueKind::kDouble) << v.DebugString();
  EXPECT_EQ(v.double_value(), 6.0);
  ASSERT_TRUE(
      plan::RulesetAccess::Checked(*ruleset).session.fields[0].default_value);
  EXPECT_EQ(plan::RulesetAccess::Checked(*ruleset)
                .session.fields[0]
                .default_value->kind(),
            cel::ValueKind::kDouble);
}

TEST(LoaderTest, AppliesDefaults) {
  auto ruleset = LoadOk(
      "ruleset: min\nrules:\n  - name: r\n    on: a.b\n"
      "    then:\n      - tag: [x]\n");
  ASSERT_NE(ruleset, nullptr);
  const CheckedRuleset& c = plan::RulesetAccess::Checked(*ruleset);
  EXPECT_EQ(c.session.key, "conversation");
  EXPECT_EQ(c.session.expire, absl::Hours(24));
  EXPECT_TRUE(c.session.fields.empty());
  EXPECT_EQ(c.event_attributes.size(), 6u);  // built-ins only
  EXPECT_EQ(c.event_attributes[kEventKeyField].name, "conversation");
  EXPECT_EQ(c.channels.size(), kBuiltinChannels.size());
  const Rule& r = c.rules[0];
  EXPECT_EQ(r.priority, 0);
  EXPECT_FALSE(r.final);
  EXPECT_TRUE(r.enabled);
  EXPECT_TRUE(r.conditions.empty());
  EXPECT_EQ(r.description, "");
  EXPECT_EQ(ruleset->files(), std::vector<std::string>{"test.yaml"});
}

TEST(LoaderTest, StatusCarriesTheFormattedDiagnostics) {
  LoadResult result = LoadBad(
      "ruleset: x\nrules:\n  - name: r\n    on: a.b\n"
      "    priority: high\n    then:\n      - tag: [x]\n");
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(std::string(result.status().message()),
            FormatDiagnostics(result.diagnostics()));
  EXPECT_EQ(std::string(result.status().message()),
            "test.yaml:5:15: error: priority must be an integer, got 'high'\n"
            "    priority: high\n"
            "              ^\n");
}

TEST(LoaderTest, WarningsDoNotStopLoading) {
  LoadResult result = LoadRulesetFromString(
      "ruleset: x\nsession:\n  fields:\n    unused: int = 0\nrules: []\n",
      "w.yaml");
  ASSERT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  EXPECT_EQ(result.error_count(), 0);
  EXPECT_EQ(result.warning_count(), 1);
  EXPECT_EQ(result.ruleset()->warnings().size(), 1u);
  EXPECT_EQ(result.ruleset()->rule_count(), 0);
}

// ---- folders ------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("switchboard_loader_test_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    const fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

TEST(LoaderTest, LoadsAFolderInFileNameOrder) {
  TempDir dir;
  dir.Write("20-rules.yml",
            "rules:\n  - name: second\n    on: b.c\n    then:\n"
            "      - set: {count: \"session.count + 1\"}\n");
  dir.Write("10-schema.yaml",
            "ruleset: folder\nsession:\n  fields:\n    count: int = 0\n"
            "rules:\n  - name: first\n    on: a.b\n    if: session.count > 1\n"
            "    then:\n      - tag: [x]\n");
  dir.Write("30-more.yaml",
            "event:\n  intent: string\nrules:\n  - name: third\n    on: a.b\n"
            "    if: has(event.intent)\n    then:\n      - tag: [y]\n");
  dir.Write(".hidden.yaml", "this: [is not loaded\n");
  dir.Write("notes.txt", "not yaml: [\n");
  LoadResult result = LoadRuleset(dir.path());
  ASSERT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  const CheckedRuleset& c = plan::RulesetAccess::Checked(*result.ruleset());
  ASSERT_EQ(c.rules.size(), 3u);
  EXPECT_EQ(c.rules[0].name, "first");
  EXPECT_EQ(c.rules[1].name, "second");
  EXPECT_EQ(c.rules[2].name, "third");
  EXPECT_EQ(c.rules[1].index, 1);
  EXPECT_EQ(c.rules[1].pos.file,
            (fs::path(dir.path()) / "20-rules.yml").string());
  ASSERT_EQ(c.files.size(), 3u);
  EXPECT_EQ(c.files[0], (fs::path(dir.path()) / "10-schema.yaml").string());
}

TEST(LoaderTest, FolderDiagnosticsNameTheirFiles) {
  TempDir dir;
  dir.Write("a.yaml", "ruleset: one\nrules: []\n");
  dir.Write("b.yaml",
            "ruleset: two\nrules:\n  - name: r\n    on: a.b\n    then:\n"
            "      - tagg: [x]\n");
  LoadResult result = LoadRuleset(dir.path());
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics().size(), 2u)
      << FormatDiagnostics(result.diagnostics());
  const std::string b = (fs::path(dir.path()) / "b.yaml").string();
  EXPECT_EQ(result.diagnostics()[0].file, b);
  EXPECT_EQ(result.diagnostics()[0].message,
            "'ruleset' is already given at " +
                (fs::path(dir.path()) / "a.yaml").string() + ":1");
  EXPECT_EQ(result.diagnostics()[1].line, 6);
}

TEST(LoaderTest, FolderSectionsMergeAndClash) {
  TempDir dir;
  dir.Write("1.yaml",
            "ruleset: merged\nevent:\n  a: int\ncalendars:\n"
            "  c: {timezone: UTC}\nqueues:\n  q: {}\nchannels:\n  line: {}\n"
            "rules: []\n");
  dir.Write("2.yaml",
            "event:\n  b: string\nqueues:\n  r: {}\n"
            "rules:\n  - name: x\n    on: a.b\n"
            "    if: event.a > 0 && has(event.b) && open('c')\n"
            "    then:\n      - route: {queue: r}\n"
            "      - offer: {channel: line}\n");
  LoadResult result = LoadRuleset(dir.path());
  ASSERT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  EXPECT_EQ(plan::RulesetAccess::Checked(*result.ruleset()).queues.size(), 2u);

  dir.Write("3.yaml",
            "session: {key: visitor}\nevent:\n  a: int\ncalendars:\n"
            "  c: {timezone: UTC}\nqueues:\n  q: {}\nchannels:\n  line: {}\n");
  dir.Write("4.yaml", "session: {expire: 1h}\n");
  result = LoadRuleset(dir.path());
  ASSERT_FALSE(result.ok());
  std::vector<std::string> messages;
  for (const Diagnostic& d : result.diagnostics()) {
    messages.push_back(d.message);
  }
  const std::string one = (fs::path(dir.path()) / "1.yaml").string();
  const std::string three = (fs::path(dir.path()) / "3.yaml").string();
  EXPECT_EQ(messages, (std::vector<std::string>{
                          "attribute 'a' is already declared at " + one + ":3",
                          "calendar 'c' is already declared at " + one + ":5",
                          "queue 'q' is already declared at " + one + ":7",
                          "channel 'line' is already declared at " + one + ":9",
                          "'session' is already given at " + three + ":1"}));
}

TEST(LoaderTest, SessionKeyCannotBeABuiltInAttribute) {
  LoadResult result =
      LoadBad("ruleset: x\nsession: {key: channel}\nrules: []\n");
  EXPECT_TRUE(Mentions(result, "the session key cannot be 'channel'"));
  result = LoadBad(
      "ruleset: x\nsession: {key: visitor}\n"
      "event: {visitor: int}\nrules: []\n");
  EXPECT_TRUE(Mentions(result, "always a string"));
  // Declaring the key as a string is allowed (and changes nothing).
  auto ruleset = LoadOk(
      "ruleset: x\nsession: {key: visitor}\n"
      "event: {visitor: string}\nrules: []\n");
  ASSERT_NE(ruleset, nullptr);
  EXPECT_EQ(plan::RulesetAccess::Checked(*ruleset).event_attributes.size(), 6u);
}

TEST(LoaderTest, AFolderFileWithBrokenYamlStopsTheRuleset) {
  TempDir dir;
  dir.Write("a.yaml", "ruleset: one\nrules: []\n");
  dir.Write("b.yaml", "rules: [\n");
  LoadResult result = LoadRuleset(dir.path());
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics().size(), 1u);
  EXPECT_NE(result.diagnostics()[0].message.find("YAML syntax error"),
            std::string::npos);
}

TEST(LoaderTest, MissingPathIsNotFound) {
  LoadResult result = LoadRuleset("/no/such/switchboard/rules.yaml");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kNotFound));
  ASSERT_EQ(result.diagnostics().size(), 1u);
  EXPECT_EQ(FormatDiagnostics(result.diagnostics()),
            "/no/such/switchboard/rules.yaml: error: no such file or folder\n");
}

TEST(LoaderTest, EmptyFolderIsAnError) {
  TempDir dir;
  LoadResult result = LoadRuleset(dir.path());
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(Mentions(result, "no *.yaml or *.yml files"));
}

// ---- limits and hostile input -------------------------------------------

std::string ManyRules(int n) {
  std::string yaml =
      "ruleset: big\nsession:\n  key: visitor\n  fields:\n"
      "    count: int = 0\n    offered: bool = false\n    score: double = 0\n"
      "event:\n  items: int\n  intent: string\n"
      "queues:\n  sales: {skills: {sales: 1}}\nrules:\n";
  for (int i = 0; i < n; ++i) {
    const std::string id = std::to_string(i);
    yaml += "  - name: rule-" + id + "\n";
    yaml += "    priority: " + std::to_string(i % 100) + "\n";
    yaml += "    on: cart.updated" + std::to_string(i % 50) + "\n";
    yaml += "    if: has(event.items) && event.items > " +
            std::to_string(i % 7) + " && !session.offered\n";
    yaml += "    then:\n";
    yaml += "      - offer: {channel: chat, message: m" + id + "}\n";
    yaml +=
        "      - set: {count: \"session.count + 1\", offered: true, "
        "score: \"session.score + 0.5\"}\n";
  }
  return yaml;
}

// A ruleset of 20,000 rules loads whole. (How fast is a benchmark's
// business: BM_Compile in bench/compile_bench.cc; a quadratic step would
// show there, not as a timed assertion here.)
TEST(LoaderTest, LoadsTwentyThousandRules) {
  const std::string yaml = ManyRules(20000);
  LoadResult result = LoadRulesetFromString(yaml, "big.yaml");
  ASSERT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  EXPECT_EQ(result.ruleset()->rule_count(), 20000);
  EXPECT_EQ(result.ruleset()->trigger_count(), 50);
  EXPECT_EQ(result.ruleset()->rule_name(19999), "rule-19999");
}

TEST(LoaderTest, RefusesTooManyRules) {
  LoadOptions options;
  options.max_rules = 10;
  LoadResult result = LoadBad(ManyRules(11), options);
  EXPECT_TRUE(Mentions(result, "too many rules: the limit is 10"));
}

TEST(LoaderTest, RefusesTooLargeFiles) {
  LoadOptions options;
  options.max_file_size = 1000;
  LoadResult result = LoadBad(ManyRules(20), options);
  EXPECT_TRUE(Mentions(result, "file too large"));

  // From disk, the size is checked before reading.
  TempDir dir;
  const std::string path = dir.Write("big.yaml", ManyRules(20));
  result = LoadRuleset(path, options);
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(Mentions(result, "file too large"));
}

TEST(LoaderTest, RefusesDeepYaml) {
  LoadOptions options;
  options.max_yaml_depth = 3;
  LoadResult result = LoadBad("ruleset: x\nrules: [[[[x]]]]\n", options);
  EXPECT_TRUE(Mentions(result, "nested too deeply"));
  for (const std::string& text :
       {"ruleset: x\nrules: " + std::string(100000, '[') +
            std::string(100000, ']') + "\n",
        [] {
          std::string s = "ruleset: x\nrules:\n";
          for (int i = 0; i < 100000; ++i) s += "- ";
          return s + "x\n";
        }()}) {
    result = LoadBad(text);
    EXPECT_TRUE(Mentions(result, "nested too deeply"));
  }
}

TEST(LoaderTest, RefusesDeepCel) {
  LoadOptions options;
  options.cel_max_depth = 10;
  const std::string deep = std::string(20, '(') + "true" + std::string(20, ')');
  LoadResult result = LoadBad(
      "ruleset: x\nrules:\n  - name: r\n    on: a.b\n"
      "    if: " +
          deep + "\n    then:\n      - tag: [x]\n",
      options);
  EXPECT_EQ(result.diagnostics()[0].line, 5);
}

TEST(LoaderTest, RefusesAliasBomb) {
  std::string yaml = "ruleset: x\nl0: &l0 [a, a, a, a, a, a, a, a, a, a]\n";
  for (int i = 1; i <= 9; ++i) {
    yaml += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) {
      yaml += (k ? ", *l" : "*l") + std::to_string(i - 1);
    }
    yaml += "]\n";
  }
  yaml += "rules: *l9\n";
  LoadResult result = LoadBad(yaml);
  EXPECT_TRUE(Mentions(result, "once aliases are expanded"));
  LoadOptions options;
  options.max_yaml_nodes = 50;
  result = LoadBad(ManyRules(5), options);
  EXPECT_TRUE(Mentions(result, "more than 50 nodes"));
}

TEST(LoaderTest, RefusesInvalidUtf8AndNul) {
  LoadResult result = LoadBad("ruleset: caf\xc3\n rules: []\n");
  ASSERT_EQ(result.diagnostics().size(), 1u);
  EXPECT_EQ(result.diagnostics()[0].line, 1);
  EXPECT_EQ(result.diagnostics()[0].column, 13);
  result = LoadBad(std::string("ruleset: x\nrules: [\0]\n", 20));
  ASSERT_EQ(result.diagnostics().size(), 1u);
  EXPECT_EQ(result.diagnostics()[0].line, 2);
  EXPECT_EQ(result.diagnostics()[0].column, 9);
}

TEST(LoaderTest, SurvivesGarbage) {
  // Odd but valid YAML of every shape where sections and rules belong.
  const std::vector<std::string> texts = {
      "",
      "~",
      "[]",
      "42",
      "\"text\"",
      "ruleset:",
      "ruleset: [a]",
      "rules: 7",
      "rules: [1, [2], {a: b}, ~]",
      "rules: {a: b}",
      "ruleset: x\nrules:\n  - {name: [x], on: {}, then: [[]], if: [[]]}\n",
      "ruleset: x\nrules:\n  - {name: r, on: [], then: [{}], if: []}\n",
      "ruleset: x\nsession: {fields: {a: '= 1', b: 'int =', c: '='}}\n",
      "ruleset: x\ncalendars: {c: {weekly: {'-': ['-']}, closed: [[]]}}\n",
      "ruleset: x\nqueues: {q: {relax: [{}, 1, {after: 1s, drop: x}]}}\n",
      "ruleset: x\nchannels: {a: [1], b: {fallback: {}}}\n",
      "ruleset: x\nevent: {a: {b: c}, 1: int, type: string}\n",
      "ruleset: x\nrules:\n  - {name: r, on: a.b, then: [{set: {a: ~}}, "
      "{emit: {type: [x]}}, {route: ~}, {tag: ~}, {callback: 1}]}\n",
      "ruleset: x\nrules:\n  - {name: r, on: '.*', then: [{tag: [x]}]}\n",
      "ruleset: x\nrules:\n  - {name: r, on: {after: 1s}, then: [{tag: "
      "[x]}]}\n",
      "ruleset: x\nrules:\n  - {name: r, on: {since: a}, then: [{tag: [x]}]}\n",
  };
  for (const std::string& text : texts) {
    LoadResult result = LoadRulesetFromString(text, "garbage.yaml");
    EXPECT_FALSE(result.ok()) << text;
    EXPECT_GT(result.error_count(), 0) << text;
    for (const Diagnostic& d : result.diagnostics()) {
      EXPECT_FALSE(d.message.empty()) << text;
    }
  }
}

// Mutated rule files (bytes flipped, deleted, duplicated; YAML and CEL
// punctuation inserted) never crash or hang the loader: each load ends with
// a ruleset or with diagnostics. Deterministic (fixed seed).
TEST(LoaderTest, SurvivesMutatedRuleFiles) {
  std::vector<std::string> seeds;
  for (const char* dir : {"tests/data/diagnostics", "rules/cart_abandonment",
                          "rules/skill_routing", "rules/after_hours"}) {
    std::error_code ec;
    for (const auto& entry :
         fs::directory_iterator(fs::path(testing::SourceDir()) / dir, ec)) {
      if (entry.path().extension() == ".yaml") {
        seeds.push_back(testing::ReadFileOrEmpty(entry.path().string()));
      }
    }
  }
  ASSERT_GE(seeds.size(), 10u);
  std::mt19937 rng(20261123);
  const std::string punctuation = "[]{}:,-&*!|>'\"#%@`?\n\t ()=.";
  int loads = 0;
  for (const std::string& seed : seeds) {
    for (int round = 0; round < 60; ++round) {
      std::string text = seed;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !text.empty(); ++e) {
        const size_t at = rng() % text.size();
        switch (rng() % 5) {
          case 0:
            text[at] = static_cast<char>(rng() % 256);
            break;
          case 1:
            text.erase(at, 1 + rng() % 8);
            break;
          case 2:
            text.insert(at, 1, punctuation[rng() % punctuation.size()]);
            break;
          case 3:
            text.insert(at, text.substr(at, rng() % 40));
            break;
          default:
            text.insert(at, "  ");
            break;
        }
      }
      LoadResult result = LoadRulesetFromString(text, "mutant.yaml");
      ++loads;
      if (!result.ok()) {
        ASSERT_GT(result.error_count(), 0) << text;
        for (const Diagnostic& d : result.diagnostics()) {
          ASSERT_FALSE(d.message.empty()) << text;
          ASSERT_EQ(d.message.find('\n'), std::string::npos) << d.message;
        }
      }
    }
  }
  EXPECT_GT(loads, 500);
}

}  // namespace
}  // namespace switchboard
