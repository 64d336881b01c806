// switchboard diff OLD NEW --events FILE|- [--until TIME] [--format
// json|text]: both rulesets over the same events, each in its own engine
// (switchboard::RulesetDiff, include/switchboard/diff.h), their decisions
// compared. stdout: one line per difference, in time order (JSON, or text
// for people); stderr: the lines a side rejected, then a summary (decisions
// on each side, unchanged, changed, removed, added, and the same per rule).
// Exit status as diff(1): 0 identical, 1 different, 2 trouble (a bad command
// line, a ruleset that does not load, events that cannot be read); 3 when
// stdout cannot be written.
#include "switchboard/diff.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"
#include "switchboard/time.h"
#include "tools/switchboard/cli.h"
#include "tools/switchboard/commands.h"

namespace switchboard::cli {

extern const char kDiffHelp[] =
    "Runs OLD and NEW (rulesets: YAML files or folders; one of them may be\n"
    "'-', stdin) over the same events, each in its own engine, and compares\n"
    "their decisions. Decisions are grouped by (session, time, trigger,\n"
    "action) and paired in the order each side made them: a pair that\n"
    "differs in another member (the rule, a parameter; not 'ruleset') is\n"
    "'changed', a decision without a partner 'removed' (OLD only) or\n"
    "'added' (NEW only).\n"
    "\n"
    "stdout: one line per difference, in time order: a JSON object\n"
    "{\"change\":...,\"session\":...,\"time\":...,\"trigger\":...,\"action\":.."
    ".,\n"
    "\"old\":{...},\"new\":{...}}, or with --format text 'removed LINE',\n"
    "'added LINE', 'changed LINE' and '     to LINE'. stderr: the lines a\n"
    "side rejected (FILE:LINE: error: [old: |new: ]MESSAGE; the rulesets may\n"
    "have different schemas), then a summary: events and bad lines per\n"
    "side, decisions on each side, unchanged, changed, removed, added, and\n"
    "the same per rule.\n"
    "Exits 0 when the decisions are the same, 1 when they differ, 2 when\n"
    "a ruleset does not load, the events cannot be read or the command line\n"
    "is wrong, 3 when stdout cannot be written.\n"
    "\n"
    "  --events FILE  the events, JSON Lines ('-' for stdin); required\n"
    "  --until TIME   after the last event, advance both clocks to TIME\n"
    "                 (RFC 3339), firing the timers that fall due\n"
    "  --format F     json (the default) or text\n";

namespace {

// Writes differences to `out`, one per line.
class LinesDiffSink : public DiffSink {
 public:
  LinesDiffSink(Output& out, bool text) : out_(out), text_(text) {}
  void OnDifference(const DecisionDifference& difference) override {
    out_.Write(text_ ? difference.ToText() : difference.ToJson());
    out_.Write("\n");
  }

 private:
  Output& out_;
  bool text_;
};

void PrintCounts(std::string& out, const DiffCounts& c) {
  Put(out, "old {}, new {}, unchanged {}, changed {}, removed {}, added {}\n",
      c.old_decisions, c.new_decisions, c.unchanged, c.changed, c.removed,
      c.added);
}

void PrintSummary(const RulesetDiff& diff, const std::string& old_path,
                  const std::string& new_path, int64_t old_bad,
                  int64_t new_bad) {
  const DiffStats& stats = diff.stats();
  std::string out;
  Put(out, "old: {} ({})\n", diff.old_engine().ruleset().name(), old_path);
  Put(out, "new: {} ({})\n", diff.new_engine().ruleset().name(), new_path);
  Put(out, "events: old {}, new {} (bad lines: old {}, new {})\n",
      diff.old_engine().stats().events, diff.new_engine().stats().events,
      old_bad, new_bad);
  out += "decisions: ";
  PrintCounts(out, stats.total);
  for (const RuleDiffCounts& r : stats.rules) {
    Put(out, "  {}: ", r.rule);
    PrintCounts(out, r.counts);
  }
  out += stats.identical() ? "identical\n" : "different\n";
  std::fputs(out.c_str(), stderr);
}

}  // namespace

int Diff(const std::vector<std::string>& args, Output& out) {
  std::optional<std::string> events_path, until_text, format;
  Flags flags("diff");
  flags.Value("--events", &events_path);
  flags.Value("--until", &until_text);
  flags.Value("--format", &format);
  std::vector<std::string> paths;
  if (auto rc = flags.Parse(args, &paths, out)) return *rc;
  if (paths.size() != 2) {
    return UsageError("diff", fmt::format("give two rulesets, OLD and NEW, "
                                          "not {}",
                                          paths.size()));
  }
  if (!events_path.has_value()) {
    return UsageError("diff", "missing --events FILE (or -)");
  }
  if (events_path->empty()) return UsageError("diff", "--events needs a file");
  const int stdin_uses =
      (paths[0] == "-") + (paths[1] == "-") + (*events_path == "-");
  if (stdin_uses > 1) {
    return UsageError("diff", "only one of OLD, NEW and --events can be stdin");
  }
  bool text = false;
  if (auto rc = ParseFormat("diff", format, &text)) return *rc;
  std::optional<absl::Time> until;
  if (until_text.has_value()) {
    absl::StatusOr<absl::Time> t = ParseTimestamp(*until_text);
    if (!t.ok()) {
      return UsageError("diff",
                        fmt::format("--until: {}", Message(t.status())));
    }
    until = *t;
  }

  // As diff(1): trouble (a ruleset that does not load) is 2, not 1, which
  // means "different".
  const std::shared_ptr<const Ruleset> old_rules = LoadOrReport(paths[0]);
  if (old_rules == nullptr) return kExitUsage;
  const std::shared_ptr<const Ruleset> new_rules = LoadOrReport(paths[1]);
  if (new_rules == nullptr) return kExitUsage;
  const ReaderOptions reader_options;
  absl::StatusOr<std::unique_ptr<RulesetDiff>> created =
      RulesetDiff::Create(old_rules, new_rules, {}, reader_options);
  if (!created.ok()) {
    fmt::print(stderr, "switchboard: {}\n", Message(created.status()));
    return kExitUsage;
  }
  RulesetDiff& diff = **created;
  absl::StatusOr<EventsFile> events = OpenEvents(*events_path);
  if (!events.ok()) {
    fmt::print(stderr, "switchboard: {}\n", Message(events.status()));
    return kExitUsage;
  }

  LinesDiffSink sink(out, text);
  LineReader source(events->file, reader_options.max_line_bytes);
  LineReader::Line line;
  int64_t line_number = 0;
  int64_t old_bad = 0;
  int64_t new_bad = 0;
  const auto report = [&](std::string_view side, std::string_view message) {
    out.Flush();  // the differences so far before the message
    fmt::print(stderr, "{}\n",
               FormatBadLine(events->name, line_number,
                             std::string(side) + std::string(message)));
  };
  while (!out.failed() && source.Next(&line)) {
    ++line_number;
    if (line.too_long) {
      ++old_bad;
      ++new_bad;
      report("", fmt::format("line too long: {} bytes (the limit is {})",
                             line.length, reader_options.max_line_bytes));
      continue;
    }
    if (EventReader::IsBlankLine(line.text)) continue;
    const RulesetDiff::LineResult r = diff.ProcessLine(line.text, &sink);
    old_bad += r.old_status.ok() ? 0 : 1;
    new_bad += r.new_status.ok() ? 0 : 1;
    if (!r.old_status.ok() && !r.new_status.ok() &&
        r.old_status.message() == r.new_status.message()) {
      report("", Message(r.old_status));
      continue;
    }
    if (!r.old_status.ok()) report("old: ", Message(r.old_status));
    if (!r.new_status.ok()) report("new: ", Message(r.new_status));
  }
  if (!source.status().ok()) {
    fmt::print(stderr, "switchboard: error reading '{}': {}\n", events->name,
               Message(source.status()));
    return kExitUsage;
  }
  if (until.has_value() && !out.failed()) diff.AdvanceTo(*until, &sink);
  diff.Finish(&sink);
  out.Flush();  // main reports a failed write (exit 3)
  PrintSummary(diff, paths[0] == "-" ? std::string(kStdinName) : paths[0],
               paths[1] == "-" ? std::string(kStdinName) : paths[1], old_bad,
               new_bad);
  return diff.stats().identical() ? kExitOk : kExitProblem;
}

}  // namespace switchboard::cli
