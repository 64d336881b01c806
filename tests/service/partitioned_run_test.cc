// Tests of service::PartitionedRun (service/partitioned_run.h): N engines
// on N threads give one engine's output, byte for byte, and its counters.
// The cross-check runs random rulesets and streams (tests/run/
// random_engine_case.h: timers, fields, emits, channel health, late events,
// AdvanceTo) through one engine and through 2, 3 and 5 partitions, with
// batches small enough that steps straddle batch and ring boundaries.
#include "service/partitioned_run.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "switchboard/decision.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"
#include "switchboard/time.h"
#include "tests/run/engine_test_util.h"
#include "tests/run/random_engine_case.h"
#include "tests/support/status_matchers.h"

namespace switchboard::service {
namespace {

using ::switchboard::testing::MustLoad;
using ::switchboard::testing::StatusIs;
using ::switchboard::testing::random_case::DescribeStream;
using ::switchboard::testing::random_case::Gen;
using ::switchboard::testing::random_case::GenEvent;
using ::switchboard::testing::random_case::GenRuleset;
using ::switchboard::testing::random_case::GenStream;
using ::switchboard::testing::random_case::Stream;

// The generator's rulesets declare queues (skill routing runs on one
// engine): without them, routes become tags.
std::string WithoutQueues(std::string yaml) {
  yaml = absl::StrReplaceAll(yaml,
                             {{"queues:\n  q1: {skills: {billing: 1}}\n"
                               "  q2: {skills: {sales: 2}}\n",
                               ""},
                              {"route: {queue: q1, priority: 3}", "tag: [q1]"},
                              {"route: {queue: q2}", "tag: [q2]"}});
  return yaml;
}

class StringSink : public DecisionSink {
 public:
  explicit StringSink(bool text) : text_(text) {}
  void OnDecision(const Decision& d) override {
    if (text_) {
      d.AppendText(&out);
    } else {
      d.AppendJson(&out);
    }
    out.push_back('\n');
  }
  std::string out;

 private:
  bool text_;
};

// What a run leaves: its output and what its summary would show.
struct Outcome {
  std::string out;
  std::vector<std::string> refused;  // "LINE: message"
  EngineStats stats;
  std::vector<std::string> pending;
  int64_t sessions = 0;
  absl::Time now;
};

std::vector<std::string> Describe(const std::vector<PendingTimer>& timers) {
  std::vector<std::string> out;
  for (const PendingTimer& t : timers) {
    out.push_back(FormatTimestamp(t.deadline) + " " + t.session + " " + t.rule +
                  " " + t.trigger);
  }
  return out;
}

std::string Refusal(int64_t line, const absl::Status& st) {
  return std::to_string(line) + ": " + std::string(st.message());
}

// One engine's end of a run: --until, then what its summary would show.
void FinishOne(Engine& engine, absl::Time until, StringSink& sink, Outcome* o) {
  engine.AdvanceTo(until, &sink);
  o->out = std::move(sink.out);
  o->stats = engine.stats();
  o->pending = Describe(engine.PendingTimers());
  o->sessions = engine.session_count();
  o->now = engine.now();
}

// Callbacks that collect a partitioned run's output into `o`.
PartitionedRun::Callbacks CollectInto(Outcome* o) {
  PartitionedRun::Callbacks callbacks;
  callbacks.write = [o](std::string_view bytes) { o->out.append(bytes); };
  callbacks.refused = [o](int64_t line, const absl::Status& st) {
    o->refused.push_back(Refusal(line, st));
  };
  return callbacks;
}

void FinishPartitioned(PartitionedRun& run, absl::Time until, Outcome* o) {
  run.AdvanceTo(until);
  EXPECT_TRUE(run.Finish().ok());
  o->stats = run.stats();
  o->pending = Describe(run.PendingTimers());
  o->sessions = run.session_count();
  o->now = run.now();
}

Outcome RunOne(std::shared_ptr<const Ruleset> rs, const Stream& stream,
               bool explain) {
  EngineOptions options;
  options.explain = explain;
  auto engine = Engine::Create(rs, options);
  EXPECT_TRUE(engine.ok());
  StringSink sink(explain);
  Outcome o;
  int64_t line = 0;
  for (const GenEvent& e : stream.events) {
    ++line;
    if (e.advance) {
      (*engine)->AdvanceTo(e.time, &sink);
    } else if (absl::Status st = (*engine)->Process(e.ToEvent(), &sink);
               !st.ok()) {
      o.refused.push_back(Refusal(line, st));
    }
  }
  FinishOne(**engine, stream.until, sink, &o);
  return o;
}

Outcome RunPartitioned(std::shared_ptr<const Ruleset> rs, const Stream& stream,
                       int partitions, bool explain) {
  PartitionedRun::Options options;
  options.partitions = partitions;
  options.engine.explain = explain;
  options.text = explain;
  options.batch_steps = 7;
  options.batches = 2;
  Outcome o;
  auto run = PartitionedRun::Create(rs, options, CollectInto(&o));
  EXPECT_TRUE(run.ok()) << run.status();
  if (!run.ok()) return o;
  int64_t line = 0;
  for (const GenEvent& e : stream.events) {
    ++line;
    if (e.advance) {
      (*run)->AdvanceTo(e.time);
    } else {
      *(*run)->NextEvent() = e.ToEvent();
      (*run)->CommitEvent(line);
    }
  }
  FinishPartitioned(**run, stream.until, &o);
  return o;
}

// What a failing random case prints: the seed, the ruleset and the stream.
std::string CaseContext(uint32_t seed, int partitions, const std::string& yaml,
                        const Stream& stream) {
  return "seed " + std::to_string(seed) + ", " + std::to_string(partitions) +
         " partitions\n" + yaml + DescribeStream(stream);
}

void ExpectSame(const Outcome& one, const Outcome& many,
                const std::string& context) {
  EXPECT_EQ(many.out, one.out) << context;
  EXPECT_EQ(many.refused, one.refused) << context;
  EXPECT_EQ(many.stats.events, one.stats.events) << context;
  EXPECT_EQ(many.stats.derived_events, one.stats.derived_events) << context;
  EXPECT_EQ(many.stats.late_events, one.stats.late_events) << context;
  EXPECT_EQ(many.stats.rejected_events, one.stats.rejected_events) << context;
  EXPECT_EQ(many.stats.decisions, one.stats.decisions) << context;
  EXPECT_EQ(many.stats.timers_fired, one.stats.timers_fired) << context;
  EXPECT_EQ(many.stats.sessions_created, one.stats.sessions_created) << context;
  EXPECT_EQ(many.stats.sessions_expired, one.stats.sessions_expired) << context;
  EXPECT_EQ(many.stats.deflects_without_channel,
            one.stats.deflects_without_channel)
      << context;
  EXPECT_EQ(many.stats.rule_runs, one.stats.rule_runs) << context;
  EXPECT_EQ(many.stats.rule_errors, one.stats.rule_errors) << context;
  EXPECT_EQ(many.stats.rule_first_errors, one.stats.rule_first_errors)
      << context;

  EXPECT_EQ(many.stats.unmatched_event_types, one.stats.unmatched_event_types)
      << context;
  EXPECT_EQ(many.stats.decisions_by_rule_action,
            one.stats.decisions_by_rule_action)
      << context;
  EXPECT_EQ(many.pending, one.pending) << context;
  EXPECT_EQ(many.sessions, one.sessions) << context;
  EXPECT_EQ(many.now, one.now) << context;
}

TEST(PartitionedRunTest, RandomCasesMatchOneEngine) {
  int compared = 0;
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    Gen g(seed);
    const std::string yaml = WithoutQueues(GenRuleset(g));
    LoadResult loaded = LoadRulesetFromString(yaml, "gen.yaml");
    Stream stream = GenStream(g);
    if (!loaded.ok()) continue;  // e.g. an unreachable rule
    // Invalid events (wrong attribute types, no key) are the reader's to
    // refuse; `run` never gives them to the engines (see the header).
    std::erase_if(stream.events,
                  [](const GenEvent& e) { return e.bad != GenEvent::kValid; });
    const bool explain = seed % 7 == 0;
    const Outcome one = RunOne(loaded.ruleset(), stream, explain);
    for (int partitions : {2, 3, 5}) {
      const Outcome many =
          RunPartitioned(loaded.ruleset(), stream, partitions, explain);
      ExpectSame(one, many, CaseContext(seed, partitions, yaml, stream));
      if (::testing::Test::HasFailure()) return;
    }
    ++compared;
  }
  EXPECT_GT(compared, 300);
}

// The stream as JSON Lines, for CommitLine: each event as `switchboard run`
// would read it, its invalid forms as lines the reader refuses, and every
// `bad_every`-th line one that is not an event at all.
std::vector<std::string> ToLines(const Stream& stream, int bad_every) {
  std::vector<std::string> lines;
  for (const GenEvent& e : stream.events) {
    if (e.advance) {
      lines.push_back("");  // AdvanceTo: not a line
      continue;
    }
    if (bad_every > 0 && lines.size() % bad_every == 3) {
      lines.push_back(lines.size() % 2 == 0
                          ? "{\"type\": \"a.b\", "
                          : "{\"type\":\"a.b\",\"time\":\"yesterday\"}");
      continue;
    }
    std::string line = "{\"type\":\"" + e.type + "\",\"time\":\"" +
                       FormatTimestamp(e.time) + "\"";
    if (!e.session.empty() && e.bad != GenEvent::kNoKey) {
      line += e.bad == GenEvent::kIntKey
                  ? ",\"conversation\":7"
                  : ",\"conversation\":\"" + e.session + "\"";
    }
    if (e.bad == GenEvent::kBadAttr) {
      line += ",\"n\":\"seven\"";
    } else if (e.has_n) {
      line += ",\"n\":" + std::to_string(e.n);
    }
    if (!e.channel.empty()) line += ",\"channel\":\"" + e.channel + "\"";
    if (!e.tier.empty()) line += ",\"tier\":\"" + e.tier + "\"";
    lines.push_back(line + "}");
  }
  return lines;
}

// `switchboard run` with one engine: each line read by an EventReader, a
// bad line reported with the reader's message; at `reload_at` (a line
// index), a Reload to `next`, whose schema reads the lines after it.
Outcome RunOneLines(std::shared_ptr<const Ruleset> rs, const Stream& stream,
                    const std::vector<std::string>& lines, size_t reload_at,
                    std::shared_ptr<const Ruleset> next) {
  auto engine = Engine::Create(rs, {});
  EXPECT_TRUE(engine.ok());
  auto reader = std::make_unique<EventReader>(*rs);
  StringSink sink(false);
  Outcome o;
  Event event;
  for (size_t i = 0; i < lines.size(); ++i) {
    const int64_t line = static_cast<int64_t>(i) + 1;
    if (i == reload_at) {
      (*engine)->AdvanceTo(stream.events[i].time, &sink);
      EXPECT_TRUE((*engine)->Reload(next).ok());
      reader = std::make_unique<EventReader>(*next);
    }
    if (stream.events[i].advance) {
      (*engine)->AdvanceTo(stream.events[i].time, &sink);
      continue;
    }
    absl::Status st = reader->Next(lines[i], &event);
    if (st.ok()) st = (*engine)->Process(event, &sink);
    if (!st.ok()) o.refused.push_back(Refusal(line, st));
  }
  FinishOne(**engine, stream.until, sink, &o);
  return o;
}

Outcome RunPartitionedLines(std::shared_ptr<const Ruleset> rs,
                            const Stream& stream,
                            const std::vector<std::string>& lines,
                            size_t reload_at,
                            std::shared_ptr<const Ruleset> next,
                            int partitions) {
  PartitionedRun::Options options;
  options.partitions = partitions;
  options.batch_steps = 5;
  options.batch_bytes = 300;  // some batches end on bytes, not steps
  options.batches = 3;
  Outcome o;
  auto run = PartitionedRun::Create(rs, options, CollectInto(&o));
  EXPECT_TRUE(run.ok()) << run.status();
  if (!run.ok()) return o;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i == reload_at) (*run)->Reload(stream.events[i].time, next);
    if (stream.events[i].advance) {
      (*run)->AdvanceTo(stream.events[i].time);
    } else {
      (*run)->CommitLine(static_cast<int64_t>(i) + 1, lines[i]);
    }
  }
  FinishPartitioned(**run, stream.until, &o);
  return o;
}

TEST(PartitionedRunTest, RandomLinesMatchOneEngineReadingThem) {
  // CommitLine: the partitions read the lines; bad lines (the reader's
  // refusals, invalid events, lines that are no event) are reported in one
  // engine's order and move no clock.
  int compared = 0;
  int refused = 0;
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    Gen g(seed);
    const std::string yaml = WithoutQueues(GenRuleset(g));
    LoadResult loaded = LoadRulesetFromString(yaml, "gen.yaml");
    const Stream stream = GenStream(g);
    if (!loaded.ok()) continue;
    const std::vector<std::string> lines =
        ToLines(stream, seed % 3 == 0 ? 7 : 0);
    const Outcome one =
        RunOneLines(loaded.ruleset(), stream, lines, SIZE_MAX, nullptr);
    refused += static_cast<int>(one.refused.size());
    for (int partitions : {2, 3}) {
      ExpectSame(one,
                 RunPartitionedLines(loaded.ruleset(), stream, lines, SIZE_MAX,
                                     nullptr, partitions),
                 CaseContext(seed, partitions, yaml, stream));
      if (::testing::Test::HasFailure()) return;
    }
    ++compared;
  }
  EXPECT_GT(compared, 200);
  EXPECT_GT(refused, 50);  // bad lines were among them
}

TEST(PartitionedRunTest, LinesAfterAReloadAreReadUnderItsSchema) {
  auto v1 = MustLoad(R"yaml(
ruleset: v1
event:
  n: int
rules:
  - name: big
    on: a.b
    if: "event.n > 4"
    then:
      - tag: [big]
)yaml");
  auto v2 = MustLoad(R"yaml(
ruleset: v2
event:
  n: string
rules:
  - name: named
    on: a.b
    if: "event.n == 'five'"
    then:
      - tag: [named]
)yaml");
  Stream stream;
  std::vector<std::string> lines;
  const absl::Time t0 = absl::FromUnixSeconds(1795000000);
  for (int i = 0; i < 12; ++i) {
    GenEvent e;
    e.type = "a.b";
    e.time = t0 + absl::Seconds(i);
    e.session = "c" + std::to_string(i % 5);
    stream.events.push_back(e);
    const std::string n = i % 2 == 0 ? "7" : "\"five\"";
    lines.push_back("{\"type\":\"a.b\",\"time\":\"" + FormatTimestamp(e.time) +
                    "\",\"conversation\":\"" + e.session + "\",\"n\":" + n +
                    "}");
  }
  stream.until = t0 + absl::Minutes(1);
  const Outcome one = RunOneLines(v1, stream, lines, 6, v2);
  // Before the reload the strings are bad lines, after it the numbers.
  ASSERT_EQ(one.refused.size(), 6u);
  EXPECT_NE(one.out.find("big"), std::string::npos);
  EXPECT_NE(one.out.find("named"), std::string::npos);
  for (int partitions : {2, 4}) {
    ExpectSame(one, RunPartitionedLines(v1, stream, lines, 6, v2, partitions),
               std::to_string(partitions) + " partitions");
  }
}

TEST(PartitionedRunTest, TimersOfManySessionsMergeInOneEnginesOrder) {
  // Sessions whose timers fall due at the same instant, on different
  // partitions: one engine fires them by session key (bytes), then rule.
  auto rs = MustLoad(R"yaml(
ruleset: merge
rules:
  - name: quiet
    on: {idle: 30s}
    then:
      - tag: [quiet]
  - name: later
    on: {idle: 30s}
    then:
      - tag: [later]
  - name: seen
    on: a.b
    then:
      - tag: [seen]
)yaml");
  Stream stream;
  const absl::Time t0 = absl::FromUnixSeconds(1795000000);
  for (int i = 0; i < 40; ++i) {
    GenEvent e;
    e.type = "a.b";
    e.time = t0 + absl::Seconds(i % 3);
    e.session = "s" + std::to_string(i % 17);
    stream.events.push_back(e);
  }
  stream.until = t0 + absl::Minutes(5);
  const Outcome one = RunOne(rs, stream, false);
  for (int partitions : {2, 4, 7}) {
    ExpectSame(one, RunPartitioned(rs, stream, partitions, false),
               std::to_string(partitions) + " partitions");
  }
}

TEST(PartitionedRunTest, AGlobalEventIsCountedOnce) {
  auto rs = MustLoad(R"yaml(
ruleset: global
rules:
  - name: seen
    on: a.b
    if: "channel_up('chat')"
    then:
      - tag: [seen]
)yaml");
  Stream stream;
  const absl::Time t0 = absl::FromUnixSeconds(1795000000);
  const auto add = [&](std::string type, std::string session, int s,
                       std::string channel = "") {
    GenEvent e;
    e.type = std::move(type);
    e.session = std::move(session);
    e.time = t0 + absl::Seconds(s);
    e.channel = std::move(channel);
    stream.events.push_back(e);
  };
  add("a.b", "c1", 10);
  add("channel.down", "", 20, "chat");
  add("a.b", "c2", 30);
  add("channel.up", "", 5, "chat");  // late
  add("a.b", "c3", 40);
  stream.until = t0 + absl::Seconds(60);
  const Outcome one = RunOne(rs, stream, false);
  const Outcome many = RunPartitioned(rs, stream, 3, false);
  ExpectSame(one, many, "3 partitions");
  EXPECT_EQ(many.stats.events, 5);
  EXPECT_EQ(many.stats.late_events, 1);
  EXPECT_EQ(many.stats.decisions, 2);  // c1 and c3
}

TEST(PartitionedRunTest, AnEventRefusedBeforeTheClockMovesFiresNoTimer) {
  auto rs = MustLoad(R"yaml(
ruleset: refused
rules:
  - name: quiet
    on: {idle: 30s}
    then:
      - tag: [quiet]
)yaml");
  Stream stream;
  const absl::Time t0 = absl::FromUnixSeconds(1795000000);
  GenEvent a;
  a.type = "a.b";
  a.session = "c1";
  a.time = t0;
  stream.events.push_back(a);
  GenEvent b = a;  // no type: refused, no timer fires at its time
  b.type = "";
  b.session = "c2";
  b.time = t0 + absl::Minutes(2);
  stream.events.push_back(b);
  GenEvent c = a;
  c.time = t0 + absl::Seconds(10);  // late by then only if b had counted
  stream.events.push_back(c);
  stream.until = t0 + absl::Minutes(3);
  const Outcome one = RunOne(rs, stream, false);
  ASSERT_EQ(one.refused.size(), 1u);
  ExpectSame(one, RunPartitioned(rs, stream, 2, false), "2 partitions");
}

TEST(PartitionedRunTest, RefusalsAreReportedInTheInputsOrder) {
  // A line the caller refuses (too long) after one a partition refuses
  // (malformed): the reports keep the input's order.
  auto rs = MustLoad(
      "ruleset: p\nrules:\n  - name: r\n    on: a.b\n    then:\n"
      "      - tag: [t]\n");
  PartitionedRun::Options options;
  options.partitions = 2;
  std::vector<std::string> refused;
  std::string out;
  PartitionedRun::Callbacks callbacks;
  callbacks.write = [&out](std::string_view bytes) { out.append(bytes); };
  callbacks.refused = [&refused](int64_t line, const absl::Status& st) {
    refused.push_back(Refusal(line, st));
  };
  auto run = PartitionedRun::Create(rs, options, std::move(callbacks));
  ASSERT_TRUE(run.ok()) << run.status();
  (*run)->CommitLine(
      1, R"({"type":"a.b","time":"2026-11-23T10:00:00Z","conversation":"c1"})");
  (*run)->CommitLine(2, R"({"type":"a.b", BAD)");
  (*run)->CommitRefusal(3, absl::InvalidArgumentError("line too long"));
  (*run)->CommitLine(
      4, R"({"type":"a.b","time":"2026-11-23T10:00:01Z","conversation":"c2"})");
  (*run)->CommitRefusal(5, absl::InvalidArgumentError("line too long"));
  ASSERT_TRUE((*run)->Finish().ok());
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_EQ(refused[0].substr(0, 3), "2: ");
  EXPECT_EQ(refused[1], "3: line too long");
  EXPECT_EQ(refused[2], "5: line too long");
  EXPECT_EQ((*run)->stats().events, 2);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
}

TEST(PartitionedRunTest, ARulesFirstErrorIsOneEnginesFirst) {
  // Two sessions on two partitions err in one rule with different messages,
  // in one batch; the higher partition's session errs first. The summary's
  // first error is one engine's: the earlier one, not the lower partition's.
  auto rs = MustLoad(R"yaml(
ruleset: errors
event:
  n: int
  m: int
rules:
  - name: sum
    on: a.b
    if: "event.n + event.m > 0"
    then:
      - tag: [positive]
)yaml");
  std::string high, low;  // keys on partition 1 and 0 of 2
  for (int i = 0; high.empty() || low.empty(); ++i) {
    const std::string key = "k" + std::to_string(i);
    (PartitionedRun::PartitionOf(key, 2) == 1 ? high : low) = key;
  }
  Stream stream;
  const absl::Time t0 = absl::FromUnixSeconds(1795000000);
  GenEvent first;  // no n: "no such attribute"-like error naming n
  first.type = "a.b";
  first.session = high;
  first.time = t0;
  stream.events.push_back(first);
  GenEvent second = first;  // n but no m: an error naming m
  second.session = low;
  second.time = t0 + absl::Seconds(1);
  second.has_n = true;
  second.n = 3;
  stream.events.push_back(second);
  stream.until = t0 + absl::Minutes(1);
  const Outcome one = RunOne(rs, stream, false);
  ASSERT_EQ(one.stats.rule_first_errors.size(), 1u);
  ASSERT_NE(one.stats.rule_first_errors[0].find("'n'"), std::string::npos)
      << one.stats.rule_first_errors[0];
  ExpectSame(one, RunPartitioned(rs, stream, 2, false), "2 partitions");
}

TEST(PartitionedRunTest, AnEventTheEnginesRefuseMovesNoPartitionsClock) {
  // The reader takes a channel event without a channel; the engine refuses
  // it before its clock moves. No partition may fire the timers due by its
  // time, nor count later events as late.
  auto rs = MustLoad(R"yaml(
ruleset: refused
rules:
  - name: wait
    on: {after: 2m, since: x.start}
    then:
      - tag: [waited]
)yaml");
  Stream stream;
  const absl::Time t0 = absl::FromUnixSeconds(1795000000);
  for (int i = 0; i < 6; ++i) {  // sessions on every partition
    GenEvent e;
    e.type = "x.start";
    e.session = "s" + std::to_string(i);
    e.time = t0;
    stream.events.push_back(e);
  }
  GenEvent down;
  down.type = "channel.down";  // no channel: refused
  down.time = t0 + absl::Minutes(30);
  stream.events.push_back(down);
  GenEvent ping;
  ping.type = "x.ping";
  ping.session = "s0";
  ping.time = t0 + absl::Minutes(1);
  stream.events.push_back(ping);
  stream.until = t0 + absl::Seconds(90);  // before any timer is due
  const Outcome one = RunOne(rs, stream, false);
  ASSERT_EQ(one.refused.size(), 1u);
  ASSERT_EQ(one.out, "");
  ASSERT_EQ(one.pending.size(), 6u);
  ASSERT_EQ(one.stats.late_events, 0);
  for (int partitions : {2, 3}) {
    ExpectSame(one, RunPartitioned(rs, stream, partitions, false),
               std::to_string(partitions) + " partitions, events");
  }
  const std::vector<std::string> lines = ToLines(stream, 0);
  const Outcome read = RunOneLines(rs, stream, lines, SIZE_MAX, nullptr);
  ASSERT_EQ(read.refused.size(), 1u);
  for (int partitions : {2, 3}) {
    ExpectSame(
        read,
        RunPartitionedLines(rs, stream, lines, SIZE_MAX, nullptr, partitions),
        std::to_string(partitions) + " partitions, lines");
  }
}

TEST(PartitionedRunTest, AReloadForgetsTheFirstErrorsOfTheRulesItRemoves) {
  // Rule `x` errs on partition 0's session, is removed, comes back, then
  // errs on partition 1's session with another message and on partition 0's
  // again: one engine shows partition 1's error (the removal forgot the
  // first), not partition 0's second.
  const std::string with_x = R"yaml(
ruleset: r
event:
  n: int
  m: int
rules:
  - name: x
    on: a.b
    if: "event.n + event.m > 0"
    then:
      - tag: [x]
  - name: y
    on: a.b
    then:
      - tag: [y]
)yaml";
  auto r1 = MustLoad(with_x);
  auto r2 = MustLoad(
      "ruleset: r\nevent:\n  n: int\n  m: int\nrules:\n  - name: y\n"
      "    on: a.b\n    then:\n      - tag: [y]\n");
  std::string p0, p1;
  for (int i = 0; p0.empty() || p1.empty(); ++i) {
    const std::string key = "u" + std::to_string(i);
    (PartitionedRun::PartitionOf(key, 2) == 0 ? p0 : p1) = key;
  }
  const absl::Time t0 = absl::FromUnixSeconds(1795000000);
  const auto event = [&](const std::string& session, int minute,
                         const char* member) {
    Event e("a.b", t0 + absl::Minutes(minute));
    e.SetString("conversation", session);
    e.SetInt(member, 1);
    return e;
  };
  // One engine.
  auto engine = Engine::Create(r1, {});
  ASSERT_TRUE(engine.ok());
  StringSink sink(false);
  ASSERT_TRUE((*engine)->Process(event(p0, 0, "m"), &sink).ok());  // no n
  (*engine)->AdvanceTo(t0 + absl::Minutes(5), &sink);
  ASSERT_TRUE((*engine)->Reload(r2).ok());
  (*engine)->AdvanceTo(t0 + absl::Minutes(10), &sink);
  ASSERT_TRUE((*engine)->Reload(r1).ok());
  ASSERT_TRUE((*engine)->Process(event(p1, 15, "n"), &sink).ok());  // no m
  ASSERT_TRUE((*engine)->Process(event(p0, 20, "m"), &sink).ok());  // no n
  const std::vector<std::string> first = (*engine)->stats().rule_first_errors;
  ASSERT_EQ(first.size(), 2u);
  ASSERT_NE(first[0].find("'m'"), std::string::npos) << first[0];
  // Two partitions.
  PartitionedRun::Options options;
  options.partitions = 2;
  Outcome o;
  auto run = PartitionedRun::Create(r1, options, CollectInto(&o));
  ASSERT_TRUE(run.ok());
  *(*run)->NextEvent() = event(p0, 0, "m");
  (*run)->CommitEvent(1);
  (*run)->Reload(t0 + absl::Minutes(5), r2);
  (*run)->Reload(t0 + absl::Minutes(10), r1);
  *(*run)->NextEvent() = event(p1, 15, "n");
  (*run)->CommitEvent(2);
  *(*run)->NextEvent() = event(p0, 20, "m");
  (*run)->CommitEvent(3);
  ASSERT_TRUE((*run)->Finish().ok());
  EXPECT_EQ((*run)->stats().rule_first_errors, first);
  EXPECT_EQ(o.out, sink.out);
}

TEST(PartitionedRunTest, FlushReportsWhatWasCommitted) {
  // Before a message that must follow them (run's read error), the reports
  // of the lines committed so far are out.
  auto rs = MustLoad(
      "ruleset: p\nrules:\n  - name: r\n    on: a.b\n    then:\n"
      "      - tag: [t]\n");
  PartitionedRun::Options options;
  options.partitions = 2;
  Outcome o;
  auto run = PartitionedRun::Create(rs, options, CollectInto(&o));
  ASSERT_TRUE(run.ok());
  (*run)->CommitLine(
      1, R"({"type":"a.b","time":"2026-11-23T10:00:00Z","conversation":"c1"})");
  (*run)->CommitLine(2, R"({"type":"a.b", BAD)");
  (*run)->Flush();
  ASSERT_EQ(o.refused.size(), 1u);
  EXPECT_EQ(o.refused[0].substr(0, 3), "2: ");
  EXPECT_NE(o.out, "");
  (*run)->CommitLine(
      3, R"({"type":"a.b","time":"2026-11-23T10:00:01Z","conversation":"c2"})");
  ASSERT_TRUE((*run)->Finish().ok());
  EXPECT_EQ((*run)->stats().events, 2);
}

TEST(PartitionedRunTest, RefusesQueuesAndFewerThanTwoPartitions) {
  auto queued = MustLoad(R"yaml(
ruleset: q
queues:
  billing: {skills: {billing: 1}}
rules:
  - name: r
    on: a.b
    then:
      - route: {queue: billing}
)yaml");
  PartitionedRun::Options options;
  EXPECT_THAT(PartitionedRun::Create(queued, options, {}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  options.partitions = 1;
  auto plain = MustLoad(
      "ruleset: p\nrules:\n  - name: r\n    on: a.b\n    then:\n"
      "      - tag: [t]\n");
  EXPECT_THAT(PartitionedRun::Create(plain, options, {}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(PartitionedRunTest, PartitionOfIsStableAndInRange) {
  // FNV-1a: documented, so that other tools can partition alike.
  EXPECT_EQ(PartitionedRun::PartitionOf("", 7),
            static_cast<int>(14695981039346656037ull % 7));
  for (int n : {1, 2, 3, 16}) {
    for (std::string_view key : {"a", "visitor-17", "s10"}) {
      const int p = PartitionedRun::PartitionOf(key, n);
      EXPECT_GE(p, 0);
      EXPECT_LT(p, n);
      EXPECT_EQ(p, PartitionedRun::PartitionOf(key, n));
    }
  }
}

}  // namespace
}  // namespace switchboard::service
