// Tests of Engine::Snapshot / Restore and of the snapshot byte codec
// (engine/common/snapshot_codec.h):
//   - codec round trips (varint edges, zigzag, durations and times with
//     infinities, sections) and the CRC-32C check value;
//   - the property test: for random rulesets and streams (the generator of
//     the runtime cross-check, tests/run/random_engine_case.h) and a random
//     split point, running straight gives exactly the decisions (JSON
//     lines), final clock, sessions, pending timers and counters of running
//     to the split, snapshotting, restoring into a NEW engine and running
//     the rest; and a restored engine snapshots to the same bytes;
//   - refusals: every truncation of a small snapshot, random bit flips,
//     wrong magic, wrong version, hostile payloads with a valid checksum
//     (huge counts, deep nesting, random bytes): a clear status, never a
//     crash, and the engine is left as it was;
//   - restore under a changed ruleset (remapping by name).
// SWITCHBOARD_RUNTIME_SEEDS raises the number of random cases.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/common/snapshot_codec.h"
#include "engine/common/time_util.h"
#include "gtest/gtest.h"
#include "switchboard/decision.h"
#include "switchboard/engine.h"
#include "switchboard/ruleset.h"
#include "tests/run/engine_test_util.h"
#include "tests/run/random_engine_case.h"
#include "tests/support/status_matchers.h"

namespace switchboard {
namespace {

using ::switchboard::common::Crc32c;
using ::switchboard::common::FrameSnapshot;
using ::switchboard::common::SnapshotReader;
using ::switchboard::common::SnapshotWriter;

using ::switchboard::common::Crc32c;
using ::switchboard::common::FrameSnapshot;
using ::switchboard::common::SnapshotReader;
using ::switchboard::common::SnapshotWriter;
using ::switchboard::testing::MakeEngine;
using ::switchboard::testing::MustLoad;
using ::switchboard::testing::StatusIs;
using ::switchboard::testing::T;
using ::switchboard::testing::random_case::DescribeStream;
using ::switchboard::testing::random_case::Gen;
using ::switchboard::testing::random_case::GenEvent;
using ::switchboard::testing::random_case::GenRuleset;
using ::switchboard::testing::random_case::GenStream;
using ::switchboard::testing::random_case::Stream;

int SeedCount(int default_count) {
  const char* env = std::getenv("SWITCHBOARD_RUNTIME_SEEDS");
  if (env == nullptr) return default_count;
  const int n = std::atoi(env);
  return n > 0 ? n : default_count;
}

// Keeps each decision as its JSON line.
class JsonSink : public DecisionSink {
 public:
  void OnDecision(const Decision& d) override { lines.push_back(d.ToJson()); }
  std::vector<std::string> lines;
};

void Step(Engine& engine, const GenEvent& e, JsonSink* sink) {
  if (e.advance) {
    engine.AdvanceTo(e.time, sink);
  } else {
    (void)engine.Process(e.ToEvent(), sink);
  }
}

// The engine's observable state after a run, as lines.
std::vector<std::string> FinalLines(const Engine& engine) {
  std::vector<std::string> lines;
  lines.push_back("now " + FormatTimestamp(engine.now()));
  lines.push_back("sessions " + std::to_string(engine.session_count()));
  for (const PendingTimer& t : engine.PendingTimers()) {
    lines.push_back("pending " + FormatTimestamp(t.deadline) + "|" + t.session +
                    "|" + t.rule + "|" + t.trigger);
  }
  const EngineStats& s = engine.stats();
  lines.push_back(absl::StrCat(
      "stats events=", s.events, " derived=", s.derived_events,
      " late=", s.late_events, " rejected=", s.rejected_events,
      " decisions=", s.decisions, " fired=", s.timers_fired,
      " created=", s.sessions_created, " expired=", s.sessions_expired,
      " no_channel=", s.deflects_without_channel));
  for (size_t r = 0; r < s.rule_runs.size(); ++r) {
    lines.push_back(absl::StrCat("rule ", r, " runs=", s.rule_runs[r],
                                 " errors=", s.rule_errors[r]));
  }
  for (const auto& [key, n] : s.decisions_by_rule_action) {
    lines.push_back("decided " + key.first + " " + key.second + " " +
                    std::to_string(n));
  }
  return lines;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += "    " + l + "\n";
  return s;
}

// ---- codec -----------------------------------------------------------------

TEST(SnapshotCodecTest, Crc32cCheckValue) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(SnapshotCodecTest, RoundTripsEveryKind) {
  const std::vector<uint64_t> unsigned_values = {
      0, 1, 127, 128, 16383, 16384, (1ull << 35) + 3, ~0ull};
  const std::vector<int64_t> signed_values = {0,  -1,        1,        -64,
                                              64, INT64_MIN, INT64_MAX};
  const std::vector<absl::Duration> durations = {
      absl::ZeroDuration(),     absl::Nanoseconds(1),
      -absl::Nanoseconds(1),    absl::Seconds(90) + absl::Milliseconds(5),
      -absl::Hours(30000),      absl::InfiniteDuration(),
      -absl::InfiniteDuration()};
  const std::vector<absl::Time> times = {
      T("2026-11-23T10:00:00Z"), absl::UnixEpoch() - absl::Nanoseconds(3),
      absl::InfinitePast(), absl::InfiniteFuture()};
  SnapshotWriter w;
  for (uint64_t v : unsigned_values) w.PutVarint(v);
  for (int64_t v : signed_values) w.PutSigned(v);
  for (absl::Duration d : durations) w.PutDuration(d);
  for (absl::Time t : times) w.PutTime(t);
  w.PutDouble(-2.5);
  w.PutBool(true);
  w.PutFixed32(0xDEADBEEF);
  const size_t section = w.BeginSection(9);
  w.PutString("inside");
  w.EndSection(section);
  w.PutString(std::string("a\0b", 3));

  SnapshotReader r(w.data());
  for (uint64_t want : unsigned_values) {
    uint64_t got = 0;
    ASSERT_TRUE(r.ReadVarint(&got, "u"));
    EXPECT_EQ(got, want);
  }
  for (int64_t want : signed_values) {
    int64_t got = 0;
    ASSERT_TRUE(r.ReadSigned(&got, "s"));
    EXPECT_EQ(got, want);
  }
  for (absl::Duration want : durations) {
    absl::Duration got;
    ASSERT_TRUE(r.ReadDuration(&got, "d"));
    EXPECT_EQ(got, want);
  }
  for (absl::Time want : times) {
    absl::Time got;
    ASSERT_TRUE(r.ReadTime(&got, "t"));
    EXPECT_EQ(got, want);
  }
  double d = 0;
  bool b = false;
  uint32_t f = 0;
  ASSERT_TRUE(r.ReadDouble(&d, "d"));
  ASSERT_TRUE(r.ReadBool(&b, "b"));
  ASSERT_TRUE(r.ReadFixed32(&f, "f"));
  EXPECT_EQ(d, -2.5);
  EXPECT_TRUE(b);
  EXPECT_EQ(f, 0xDEADBEEFu);
  uint64_t tag = 0;
  SnapshotReader body(std::string_view(), 0);
  ASSERT_TRUE(r.ReadSection(&tag, &body));
  EXPECT_EQ(tag, 9u);
  std::string s;
  ASSERT_TRUE(body.ReadString(&s, "inside"));
  EXPECT_EQ(s, "inside");
  EXPECT_TRUE(body.ExpectDone("section"));
  ASSERT_TRUE(r.ReadString(&s, "s"));
  EXPECT_EQ(s, std::string("a\0b", 3));
  EXPECT_TRUE(r.ExpectDone("all"));
}

TEST(SnapshotCodecTest, ReaderRefusesLiesAboutLengths) {
  SnapshotWriter w;
  w.PutVarint(1ull << 60);  // a string "length" far past the end
  w.PutString("x");
  std::string s;
  SnapshotReader r(w.data());
  EXPECT_FALSE(r.ReadString(&s, "name"));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_NE(r.status().message().find("name at byte 0"), std::string::npos)
      << r.status();
  // Sticky: later reads fail too.
  uint64_t v;
  EXPECT_FALSE(r.ReadVarint(&v, "next"));

  SnapshotReader counts(w.data());
  EXPECT_FALSE(counts.ReadCount(&v, 1, "count"));

  const std::string overlong(11, '\xFF');  // an 11-byte varint
  SnapshotReader varint(overlong);
  EXPECT_FALSE(varint.ReadVarint(&v, "varint"));

  const std::string bad_bool = "\x02";
  bool b;
  SnapshotReader bools(bad_bool);
  EXPECT_FALSE(bools.ReadBool(&b, "flag"));
}

// ---- the property test
// ---------------------------------------------------------

TEST(SnapshotTest, SplitRunWithRestoreEqualsStraightRun) {
  const int cases = SeedCount(1500);
  int loaded = 0, mismatches = 0, with_timers = 0;
  for (int seed = 1; seed <= cases; ++seed) {
    Gen g(static_cast<uint32_t>(seed));
    const std::string yaml = GenRuleset(g);
    LoadResult result = LoadRulesetFromString(yaml, "gen.yaml");
    if (!result.ok()) continue;
    ++loaded;
    std::shared_ptr<const Ruleset> rs = result.ruleset();
    const Stream st = GenStream(g);
    const size_t split =
        static_cast<size_t>(g.Int(0, static_cast<int>(st.events.size())));

    // Straight.
    std::unique_ptr<Engine> straight = *Engine::Create(rs);
    JsonSink want;
    for (const GenEvent& e : st.events) Step(*straight, e, &want);
    straight->AdvanceTo(st.until, &want);
    std::vector<std::string> want_lines = want.lines;
    for (std::string& l : FinalLines(*straight)) want_lines.push_back(l);

    // Split: run, snapshot, restore into a new engine, run the rest.
    std::unique_ptr<Engine> first = *Engine::Create(rs);
    JsonSink got;
    for (size_t i = 0; i < split; ++i) Step(*first, st.events[i], &got);
    if (!first->PendingTimers().empty()) ++with_timers;
    absl::StatusOr<std::string> bytes = first->Snapshot();
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    first.reset();
    std::unique_ptr<Engine> second = *Engine::Create(rs);
    absl::Status restored = second->Restore(*bytes);
    std::string error;
    if (!restored.ok()) error = restored.ToString();
    absl::StatusOr<std::string> again = second->Snapshot();
    if (!again.ok() || *again != *bytes) {
      error += "\nsnapshot of the restored engine differs";
    }
    for (size_t i = split; i < st.events.size(); ++i) {
      Step(*second, st.events[i], &got);
    }
    second->AdvanceTo(st.until, &got);
    std::vector<std::string> got_lines = got.lines;
    for (std::string& l : FinalLines(*second)) got_lines.push_back(l);

    if (got_lines != want_lines || !error.empty()) {
      ++mismatches;
      if (mismatches <= 3) {
        ADD_FAILURE() << "seed " << seed << ", split before event " << split
                      << " " << error << "\n--- ruleset:\n"
                      << yaml << "--- events:\n"
                      << DescribeStream(st) << "--- straight:\n"
                      << Join(want_lines) << "--- split:\n"
                      << Join(got_lines);
      }
    }
  }
  std::printf(
      "cases %d, loaded %d, snapshots with pending timers %d, "
      "mismatches %d\n",
      cases, loaded, with_timers, mismatches);
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(loaded, cases / 2);
  EXPECT_GT(with_timers, loaded / 10) << "too few snapshots with timers";
}

// ---- refusals
// --------------------------------------------------------------------

constexpr char kSmallRules[] = R"yaml(
ruleset: small
session:
  fields:
    score: int = 0
    tags: list(string)
event:
  n: int
channels:
  chat: {fallback: [email]}
rules:
  - name: count
    on: a.b
    then:
      - set: {score: "session.score + event.n", tags: "['x', 'y']"}
  - name: quiet
    on: {idle: 30s}
    then:
      - tag: [quiet]
  - name: wait
    on: {after: 2m, since: a.b, unless: [a.c]}
    then:
      - offer: {channel: chat, message: hi}
)yaml";

// An engine with two sessions, pending timers and a channel down.
std::unique_ptr<Engine> SmallEngine() {
  std::unique_ptr<Engine> engine = MakeEngine(kSmallRules);
  JsonSink sink;
  Event a("a.b", T("10:00:00"));
  a.SetString("conversation", "c1");
  a.SetInt("n", 3);
  a.SetString("channel", "chat");
  EXPECT_TRUE(engine->Process(a, &sink).ok());
  Event b("a.b", T("10:00:10"));
  b.SetString("conversation", "c2");
  b.SetInt("n", 4);
  EXPECT_TRUE(engine->Process(b, &sink).ok());
  Event down("channel.down", T("10:00:20"));
  down.SetString("channel", "pigeon");
  EXPECT_TRUE(engine->Process(down, &sink).ok());
  return engine;
}

TEST(SnapshotTest, EveryTruncationIsRefused) {
  std::unique_ptr<Engine> source = SmallEngine();
  const std::string bytes = *source->Snapshot();
  std::unique_ptr<Engine> target = MakeEngine(kSmallRules);
  const std::string before = *target->Snapshot();
  for (size_t n = 0; n < bytes.size(); ++n) {
    absl::Status st = target->Restore(std::string_view(bytes.data(), n));
    ASSERT_FALSE(st.ok()) << "a prefix of " << n << " bytes was accepted";
    EXPECT_TRUE(st.code() == absl::StatusCode::kDataLoss ||
                st.code() == absl::StatusCode::kInvalidArgument)
        << st;
  }
  EXPECT_EQ(*target->Snapshot(), before) << "a refused restore changed state";
  EXPECT_TRUE(target->Restore(bytes).ok());
  EXPECT_EQ(target->session_count(), 2);
}

TEST(SnapshotTest, BitFlipsAreRefused) {
  std::unique_ptr<Engine> source = SmallEngine();
  const std::string bytes = *source->Snapshot();
  std::unique_ptr<Engine> target = MakeEngine(kSmallRules);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string corrupt = bytes;
    const int flips = 1 + trial % 3;
    for (int f = 0; f < flips; ++f) {
      const size_t bit = rng() % (corrupt.size() * 8);
      corrupt[bit / 8] = static_cast<char>(corrupt[bit / 8] ^ (1 << (bit % 8)));
    }
    if (corrupt == bytes) continue;  // two flips of the same bit
    absl::Status st = target->Restore(corrupt);
    ASSERT_FALSE(st.ok()) << "trial " << trial;
  }
  EXPECT_EQ(target->session_count(), 0);
}

TEST(SnapshotTest, WrongMagicAndVersionAreInvalidArgument) {
  std::unique_ptr<Engine> engine = MakeEngine(kSmallRules);
  absl::Status st = engine->Restore("{\"not\": \"a snapshot\"}");
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(st.message().find("SWBSNAP"), std::string::npos) << st;

  std::string future = *SmallEngine()->Snapshot();
  future[7] = 2;  // the version varint follows the 7-byte magic
  st = engine->Restore(future);
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(st.message().find("version 2"), std::string::npos) << st;

  st = engine->Restore("");
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument));
}

// A payload with a valid frame and checksum whose content lies.
absl::Status RestorePayload(Engine& engine, const SnapshotWriter& payload) {
  return engine.Restore(FrameSnapshot(payload.data()));
}

TEST(SnapshotTest, HostilePayloadsWithValidChecksumAreRefused) {
  std::unique_ptr<Engine> engine = MakeEngine(kSmallRules);
  {  // A session count of 2^60: refused before any allocation.
    SnapshotWriter w;
    size_t s = w.BeginSection(1);
    w.PutTime(T("10:00:00"));
    w.PutString("small");
    w.PutString("conversation");
    w.EndSection(s);
    s = w.BeginSection(4);
    w.PutVarint(1ull << 60);
    w.EndSection(s);
    absl::Status st = RestorePayload(*engine, w);
    EXPECT_THAT(st, StatusIs(absl::StatusCode::kDataLoss)) << st;
    EXPECT_NE(st.message().find("session count"), std::string::npos) << st;
  }
  {  // Sessions before the header; no header at all.
    SnapshotWriter w;
    size_t s = w.BeginSection(4);
    w.PutVarint(0);
    w.EndSection(s);
    EXPECT_THAT(RestorePayload(*engine, w),
                StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_THAT(RestorePayload(*engine, SnapshotWriter()),
                StatusIs(absl::StatusCode::kDataLoss));
  }
  {  // A field value nested 10,000 lists deep: refused, no stack overflow.
    SnapshotWriter w;
    size_t s = w.BeginSection(1);
    w.PutTime(T("10:00:00"));
    w.PutString("small");
    w.PutString("conversation");
    w.EndSection(s);
    s = w.BeginSection(4);
    w.PutVarint(1);
    w.PutString("c1");
    w.PutBool(false);
    w.PutString("");
    w.PutTime(T("10:00:00"));
    w.PutTime(T("10:00:00"));
    w.PutSigned(1);
    w.PutVarint(1);
    w.PutString("tags");
    w.PutString("list(string)");
    w.PutBool(true);
    for (int i = 0; i < 10000; ++i) {
      w.PutU8(7);  // list
      w.PutVarint(1);
    }
    w.PutU8(0);
    w.EndSection(s);
    absl::Status st = RestorePayload(*engine, w);
    EXPECT_THAT(st, StatusIs(absl::StatusCode::kDataLoss)) << st;
  }
  EXPECT_EQ(engine->session_count(), 0);
}

// Structure-aware corruption: mutate the payload, then frame it with a
// valid checksum, so the decoder itself meets the damage.
TEST(SnapshotTest, MutatedPayloadsNeverCrash) {
  std::unique_ptr<Engine> source = SmallEngine();
  const std::string bytes = *source->Snapshot();
  absl::StatusOr<std::string_view> payload = common::UnframeSnapshot(bytes);
  ASSERT_TRUE(payload.ok()) << payload.status();
  const std::string original(*payload);
  std::unique_ptr<Engine> target = MakeEngine(kSmallRules);
  std::mt19937 rng(11);
  int refused = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string p = original;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % p.size();
      switch (rng() % 3) {
        case 0:
          p[at] = static_cast<char>(rng());
          break;
        case 1:
          p.erase(at, 1 + rng() % 8);
          break;
        default:
          p.insert(at, 1 + rng() % 4, static_cast<char>(rng()));
          break;
      }
      if (p.empty()) p = "x";
    }
    absl::Status st = target->Restore(FrameSnapshot(p));
    if (!st.ok()) {
      ++refused;
      EXPECT_THAT(st, StatusIs(absl::StatusCode::kDataLoss)) << st;
    }
    // Whatever was accepted must be a usable engine.
    JsonSink sink;
    Event e("a.b", T("2026-11-24T00:00:00Z"));
    e.SetString("conversation", "c1");
    e.SetInt("n", 1);
    (void)target->Process(e, &sink);
    target->AdvanceTo(T("2026-11-25T00:00:00Z"), &sink);
    (void)target->Snapshot();
  }
  EXPECT_GT(refused, 1000);
}

// ---- what a snapshot holds
// ----------------------------------------------------------

TEST(SnapshotTest, RestoreReplacesStateAndKeepsEverything) {
  std::unique_ptr<Engine> source = SmallEngine();
  const std::string bytes = *source->Snapshot();
  // The target has a session of its own, which Restore replaces.
  std::unique_ptr<Engine> target = MakeEngine(kSmallRules);
  JsonSink sink;
  Event other("a.c", T("09:00:00"));
  other.SetString("conversation", "zz");
  ASSERT_TRUE(target->Process(other, &sink).ok());
  ASSERT_TRUE(target->Restore(bytes).ok());
  EXPECT_EQ(target->now(), T("10:00:20"));
  EXPECT_EQ(target->session_count(), 2);
  EXPECT_EQ(target->stats().events, 3);
  EXPECT_EQ(target->stats().sessions_created, 2);
  ASSERT_EQ(target->PendingTimers().size(), source->PendingTimers().size());
  // The unknown channel's health and the fields come back: c1's `wait`
  // timer offers at 10:02:00, and the restored score feeds the next set.
  testing::CollectingSink got;
  Event next("a.c", T("10:00:30"));
  next.SetString("conversation", "c2");  // cancels c2's wait
  ASSERT_TRUE(target->Process(next, &got).ok());
  target->AdvanceTo(T("10:05:00"), &got);
  EXPECT_EQ(got.Lines(), (std::vector<std::string>{
                             "10:00:30 c1 quiet tag idle",
                             "10:01:00 c2 quiet tag idle",
                             "10:02:00 c1 wait offer after",
                         }));
}

TEST(SnapshotTest, RestoreUnderAChangedRulesetRemapsByName) {
  std::unique_ptr<Engine> source = SmallEngine();
  const std::string bytes = *source->Snapshot();
  // `wait` is gone (its timers are dropped, counted), `score` became a
  // string (reset to its new default), `tags` is gone, `extra` is new.
  std::unique_ptr<Engine> target = MakeEngine(R"yaml(
ruleset: small2
session:
  fields:
    score: string = 'none'
    extra: int = 7
event:
  n: int
rules:
  - name: quiet
    on: {idle: 30s}
    then:
      - tag: [quiet]
  - name: show
    on: a.z
    then:
      - emit: {type: a.shown}
  - name: shown
    on: a.shown
    if: "session.score == 'none' && session.extra == 7"
    then:
      - tag: [fresh]
)yaml");
  ASSERT_TRUE(target->Restore(bytes).ok());
  EXPECT_EQ(target->stats().timers_dropped, 2);  // c1's and c2's `wait`
  testing::CollectingSink got;
  Event z("a.z", T("10:00:25"));
  z.SetString("conversation", "c1");
  ASSERT_TRUE(target->Process(z, &got).ok());
  target->AdvanceTo(T("10:05:00"), &got);
  EXPECT_EQ(got.Lines(), (std::vector<std::string>{
                             "10:00:25 c1 shown tag a.shown",
                             "10:00:40 c2 quiet tag idle",
                             "10:00:55 c1 quiet tag idle",
                         }));
  // The unknown channel is remembered by name.
  EXPECT_NE(target->Snapshot()->find("pigeon"), std::string::npos);
}

// ---- the CLI: --snapshot-out / --snapshot-in
// ------------------------------------

std::string ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return "<missing " + path + ">";
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0)
    out.append(buffer, n);
  std::fclose(f);
  return out;
}

// Runs `switchboard run ARGS` (stdout and stderr to files); the exit code.
int RunCli(const std::string& args, const std::string& out,
           const std::string& err) {
  const char* dir = std::getenv("SWITCHBOARD_BINARY_DIR");
  const std::string cmd =
      std::string(dir) + "/switchboard run " + args + " >" + out + " 2>" + err;
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(SnapshotCliTest, SplitRunThroughSnapshotFilesEqualsStraightRun) {
  const char* dir = std::getenv("SWITCHBOARD_BINARY_DIR");
  std::FILE* probe =
      dir == nullptr
          ? nullptr
          : std::fopen((std::string(dir) + "/switchboard").c_str(), "rb");
  if (probe == nullptr) GTEST_SKIP() << "the switchboard binary is not built";
  std::fclose(probe);
  const std::string tmp = ::testing::TempDir() + "/snapshot_cli_";
  const std::string rules = "tests/golden/run/shop.yaml";
  // The golden events (bad lines, a late event, a channel down, a route).
  const std::string events = ReadFile("tests/golden/run/events.jsonl");
  size_t cut = 0;
  for (int line = 0; line < 6; ++line) cut = events.find('\n', cut) + 1;
  {
    std::FILE* f = std::fopen((tmp + "part1.jsonl").c_str(), "wb");
    std::fwrite(events.data(), 1, cut, f);
    std::fclose(f);
    f = std::fopen((tmp + "part2.jsonl").c_str(), "wb");
    std::fwrite(events.data() + cut, 1, events.size() - cut, f);
    std::fclose(f);
  }
  const std::string until = " --until 2026-11-23T15:00:00Z";
  ASSERT_EQ(RunCli(rules + " --events tests/golden/run/events.jsonl" + until,
                   tmp + "straight.out", tmp + "straight.err"),
            0);
  ASSERT_EQ(RunCli(rules + " --events " + tmp + "part1.jsonl --snapshot-out " +
                       tmp + "state.snap",
                   tmp + "first.out", tmp + "first.err"),
            0)
      << ReadFile(tmp + "first.err");
  ASSERT_EQ(RunCli(rules + " --events " + tmp + "part2.jsonl --snapshot-in " +
                       tmp + "state.snap" + until,
                   tmp + "second.out", tmp + "second.err"),
            0)
      << ReadFile(tmp + "second.err");
  const std::string straight = ReadFile(tmp + "straight.out");
  EXPECT_GT(straight.size(), 100u);
  EXPECT_EQ(ReadFile(tmp + "first.out") + ReadFile(tmp + "second.out"),
            straight);
  // The summary counts the whole run.
  EXPECT_NE(ReadFile(tmp + "second.err").find("events: 8 (late: 1"),
            std::string::npos)
      << ReadFile(tmp + "second.err");

  // Not a snapshot: exit 1 and a message naming the file.
  EXPECT_EQ(RunCli(rules + " --events " + tmp + "part2.jsonl --snapshot-in " +
                       "tests/golden/run/events.jsonl",
                   tmp + "bad.out", tmp + "bad.err"),
            1);
  const std::string bad = ReadFile(tmp + "bad.err");
  EXPECT_NE(bad.find("cannot restore the snapshot "
                     "'tests/golden/run/events.jsonl'"),
            std::string::npos)
      << bad;
  EXPECT_NE(bad.find("SWBSNAP"), std::string::npos) << bad;
  EXPECT_EQ(ReadFile(tmp + "bad.out"), "");
}

}  // namespace
}  // namespace switchboard
