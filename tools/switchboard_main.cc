// The switchboard command-line tool: a thin layer over the public API
// (include/switchboard/). Commands live in one table; each takes its
// arguments and returns the exit status:
//   0  success
//   1  the command ran and found a problem (a ruleset with errors, a file
//      that cannot be read)
//   2  bad command line (usage on stderr)
//
//   switchboard check RULES [--graph]
//     Loads and checks RULES (a YAML file or a folder of them). Success:
//     warnings (if any) on stderr, then one line on stdout,
//       ok: ruleset 'shop': 12 rules, 7 triggers, 4 fields
//     With --graph, stdout holds only the rule graph as Graphviz DOT (so it
//     can be piped to `dot`); the summary line goes to stderr instead.
//     Errors: every diagnostic on stderr, then "N errors, M warnings", exit 1.
//   switchboard run RULES --events FILE|- [--explain] [--until TIME] [--strict]
//       [--max-sessions N] [--snapshot-in FILE] [--snapshot-out FILE]
//       [--reload-at TIME:RULES]...
//     Dry run: loads RULES (exit 1 with the diagnostics when it has errors),
//     feeds the events (JSON Lines; '-' is stdin) to an Engine and prints the
//     decisions as JSON Lines on stdout. A bad line is reported on stderr as
//     FILE:LINE: error: MESSAGE, counted and skipped (--strict: the run
//     stops there and exits 1). --until TIME advances the clock after the
//     last event. Then a summary on stderr, whose last line (the only one
//     that depends on timing) starts with "throughput:". Exit 0 otherwise.
//   switchboard test TESTS...
//     Rule authors' tests (docs/testing.md): runs every test of each test
//     file (a folder: its *.yaml / *.yml files with a top-level `tests:`),
//     printing "PASS name" or "FAIL name" and an indented report per test on
//     stdout, then "N passed, M failed". Exit 1 when any test failed (a
//     malformed or unreadable test file counts as one failed test).
//   switchboard help [COMMAND], switchboard --help, switchboard version
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/check/checked_ruleset.h"
#include "engine/common/time_util.h"
#include "engine/io/jsonl_reader.h"
#include "engine/plan/ruleset_access.h"
#include "switchboard/decision.h"
#include "switchboard/diagnostic.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/rule_test.h"
#include "switchboard/ruleset.h"

namespace switchboard {
namespace {

#ifndef SWITCHBOARD_VERSION
#define SWITCHBOARD_VERSION "0.1.0"
#endif

struct Command {
  const char* name;
  const char* synopsis;  // after "switchboard "
  const char* summary;
  const char* help;  // details for `switchboard help NAME`
  int (*run)(const std::vector<std::string>& args);
};

int Check(const std::vector<std::string>& args);
int Run(const std::vector<std::string>& args);
int Test(const std::vector<std::string>& args);
int Help(const std::vector<std::string>& args);
int Version(const std::vector<std::string>& args);

constexpr Command kCommands[] = {
    {"check", "check RULES [--graph]",
     "load and check a ruleset; report every mistake",
     "RULES is a YAML rule file or a folder of them (*.yaml, *.yml, loaded\n"
     "together in file-name order).\n"
     "\n"
     "On success prints 'ok: ruleset NAME: N rules, N triggers, N fields' on\n"
     "stdout (warnings, if any, on stderr) and exits 0. On errors prints "
     "every\n"
     "diagnostic on stderr as file:line:column: error: message, with the\n"
     "source line and a caret, then 'N errors, M warnings', and exits 1.\n"
     "\n"
     "  --graph   print the rule graph (triggers, emits, session field reads\n"
     "            and writes) as Graphviz DOT on stdout; the summary line\n"
     "            goes to stderr\n",
     Check},
    {"run", "run RULES --events FILE|- [--explain] [--until TIME] [--strict]",
     "dry run: events (JSON Lines) in, decisions (JSON Lines) out",
     "Loads RULES (as check does: on errors prints the diagnostics and exits\n"
     "1), then feeds the events of FILE ('-': stdin), one JSON object per\n"
     "line, to the engine, and prints every decision as one JSON object per\n"
     "line on stdout. Blank lines are skipped. A bad line (malformed JSON, a\n"
     "missing time, type or session key, a member of the wrong type) is\n"
     "reported on stderr as FILE:LINE: error: MESSAGE, counted and skipped.\n"
     "At the end a summary goes to stderr: events, late events, bad lines,\n"
     "decisions per rule and action, evaluation errors per rule, deflects\n"
     "without a healthy channel, pending timers, sessions, and a last line\n"
     "'throughput: ...' (the only one that depends on timing).\n"
     "Exits 0 unless the ruleset fails to load or --strict meets a bad line.\n"
     "\n"
     "  --events FILE  the events, JSON Lines ('-' for stdin); required\n"
     "  --explain      add to each decision an \"explain\" member: each rule\n"
     "                 the trigger considered, its conditions and their\n"
     "                 values, and which rules were overridden\n"
     "  --until TIME   after the last event, advance the clock to TIME (RFC\n"
     "                 3339), firing the timers that fall due\n"
     "  --strict       stop at the first bad line and exit 1\n"
     "  --max-sessions N  keep at most N live sessions, evicting the\n"
     "                 longest idle (default 1000000; 0: unlimited)\n"
     "  --snapshot-in FILE   start from the engine state saved in FILE\n"
     "  --snapshot-out FILE  at the end (after --until), save the engine\n"
     "                 state to FILE (a binary snapshot)\n"
     "  --reload-at TIME:RULES  before the first event at or after TIME,\n"
     "                 advance the clock to TIME and reload the rules from\n"
     "                 RULES, keeping sessions and timers (repeatable; a\n"
     "                 TIME after the last event applies during --until)\n",
     Run},
    {"test", "test TESTS...",
     "run rule authors' tests: events in, expected decisions checked",
     "TESTS are test files (YAML, see docs/testing.md) or folders, searched\n"
     "recursively for *.yaml and *.yml files with a top-level 'tests:' key.\n"
     "A test file names a ruleset (relative to itself) and lists tests; each\n"
     "test feeds events (inline, or a JSON Lines events_file) to a fresh\n"
     "engine, optionally advances the clock ('until'), and checks the\n"
     "decisions: 'expect' (subset matches, in relative order), 'never' (no\n"
     "decision may match), 'only: true' (no decision beyond 'expect'); or\n"
     "checks that the ruleset fails to load ('load_errors').\n"
     "\n"
     "Prints 'PASS name' or 'FAIL name' per test, each failure followed by\n"
     "an indented report (what was not found after which decision, the\n"
     "closest decision and the members that differ, the decisions made),\n"
     "then the line 'N passed, M failed'. A malformed test file is reported\n"
     "as file:line:column: error: ... and counts as one failed test.\n"
     "Exits 0 when every test passed, 1 otherwise.\n",
     Test},
    {"help", "help [COMMAND]", "show this help, or a command's", "", Help},
    {"version", "version", "print the version", "", Version},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out, "usage: switchboard COMMAND [ARGS...]\n\ncommands:\n");
  for (const Command& c : kCommands) {
    if (std::strlen(c.synopsis) > 28) {  // the summary on a line of its own
      std::fprintf(out, "  switchboard %s\n  %-40s %s\n", c.synopsis, "",
                   c.summary);
    } else {
      std::fprintf(out, "  switchboard %-28s %s\n", c.synopsis, c.summary);
    }
  }
  std::fprintf(out,
               "\nexit status: 0 success, 1 errors found, 2 bad command "
               "line\n");
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "switchboard: %s\n\n", message.c_str());
  PrintUsage(stderr);
  return 2;
}

// Usage error unless exactly one ruleset path was given: -1 when it was,
// else the exit status to return.
int RequireOneRuleset(std::string_view command,
                      const std::vector<std::string>& paths) {
  if (paths.size() == 1) return -1;
  return UsageError(paths.empty()
                        ? std::string(command) + ": missing RULES"
                        : std::string(command) +
                              ": give one ruleset (a file or a folder), not " +
                              std::to_string(paths.size()));
}

std::string Plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

int Check(const std::vector<std::string>& args) {
  bool graph = false;
  std::vector<std::string> paths;
  for (const std::string& arg : args) {
    if (arg == "--graph") {
      graph = true;
    } else if (arg == "--help" || arg == "-h") {
      return Help({"check"});
    } else if (arg.size() > 1 && arg[0] == '-') {
      return UsageError("check: unknown option '" + arg + "'");
    } else {
      paths.push_back(arg);
    }
  }
  if (int rc = RequireOneRuleset("check", paths); rc >= 0) return rc;
  const LoadResult result = LoadRuleset(paths[0]);
  std::fputs(FormatDiagnostics(result.diagnostics()).c_str(), stderr);
  if (!result.ok()) {
    std::fprintf(stderr, "%s, %s\n",
                 Plural(result.error_count(), "error").c_str(),
                 Plural(result.warning_count(), "warning").c_str());
    return 1;
  }
  const Ruleset& ruleset = *result.ruleset();
  const std::string summary =
      "ok: ruleset '" + ruleset.name() +
      "': " + Plural(ruleset.rule_count(), "rule") + ", " +
      Plural(ruleset.trigger_count(), "trigger") + ", " +
      Plural(ruleset.field_count(), "field") + "\n";
  if (graph) {
    std::fputs(ruleset.GraphDot().c_str(), stdout);
    std::fputs(summary.c_str(), stderr);
  } else {
    std::fputs(summary.c_str(), stdout);
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

// ---- run -------------------------------------------------------------------

// Lines of a file, read in large chunks. A line longer than `max_line`
// bytes is not kept: it is skipped up to its newline and reported with its
// length only, so a hostile file cannot make the reader hold a huge line.
class LineSource {
 public:
  LineSource(std::FILE* file, size_t max_line)
      : file_(file), max_line_(max_line), buffer_(max_line + (1 << 20)) {}

  struct Line {
    std::string_view text;  // empty when too_long
    size_t length = 0;      // bytes, without the newline
    bool too_long = false;
  };

  // The next line; false at the end of the input (or on a read error:
  // error() tells).
  bool Next(Line* line) {
    size_t skipped = 0;  // bytes of an over-long line dropped so far
    while (true) {
      const char* begin = buffer_.data() + pos_;
      const void* nl = std::memchr(begin, '\n', end_ - pos_);
      if (nl != nullptr) {
        const size_t n = static_cast<const char*>(nl) - begin;
        pos_ += n + 1;
        return Finish(begin, n, skipped, line);
      }
      if (eof_) {
        if (pos_ == end_ && skipped == 0) return false;
        const size_t n = end_ - pos_;
        pos_ = end_;
        return Finish(begin, n, skipped, line);
      }
      if (end_ - pos_ > max_line_) {  // over long: drop what we have
        skipped += end_ - pos_;
        pos_ = end_ = 0;
      } else if (pos_ > 0) {  // keep the partial line at the front
        std::memmove(buffer_.data(), begin, end_ - pos_);
        end_ -= pos_;
        pos_ = 0;
      }
      const size_t got =
          std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_);
      end_ += got;
      if (got == 0) {
        eof_ = true;
        error_ = std::ferror(file_) != 0;
      }
    }
  }

  bool error() const { return error_; }

 private:
  bool Finish(const char* begin, size_t n, size_t skipped, Line* line) {
    line->length = skipped + n;
    line->too_long = line->length > max_line_;
    line->text =
        line->too_long ? std::string_view() : std::string_view(begin, n);
    return true;
  }

  std::FILE* file_;
  size_t max_line_;
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool error_ = false;
};

// Writes decisions to stdout as JSON Lines, through a large buffer.
class JsonLinesSink : public DecisionSink {
 public:
  JsonLinesSink() { buffer_.reserve(kFlushAt + 4096); }
  ~JsonLinesSink() override { Flush(); }

  void OnDecision(const Decision& decision) override {
    decision.AppendJson(&buffer_);
    buffer_.push_back('\n');
    if (buffer_.size() >= kFlushAt) Flush();
  }

  // False when stdout could not be written.
  bool Flush() {
    if (!buffer_.empty()) {
      if (std::fwrite(buffer_.data(), 1, buffer_.size(), stdout) !=
          buffer_.size()) {
        ok_ = false;
      }
      buffer_.clear();
    }
    if (std::fflush(stdout) != 0) ok_ = false;
    return ok_;
  }

 private:
  static constexpr size_t kFlushAt = 64 * 1024;
  std::string buffer_;
  bool ok_ = true;
};

// Lines of the pending timers listed in the summary before "and N more".
constexpr size_t kMaxTimersListed = 20;

// `reloads`: the --reload-at reloads done, or -1 when none was asked for.
void PrintSummary(const Engine& engine, int64_t bad_lines, double seconds,
                  int64_t lines, int64_t reloads = -1) {
  const EngineStats& stats = engine.stats();
  const Ruleset& rules = engine.ruleset();
  std::string out;
  out += "ruleset: " + engine.ruleset().name() + "\n";
  out += "events: " + std::to_string(stats.events) +
         " (late: " + std::to_string(stats.late_events) +
         ", derived: " + std::to_string(stats.derived_events);
  if (stats.derived_events_dropped > 0) {
    out += ", derived dropped: " + std::to_string(stats.derived_events_dropped);
  }
  out += ")\n";
  out += "bad lines: " + std::to_string(bad_lines) + "\n";
  out += "decisions: " + std::to_string(stats.decisions) + "\n";
  for (const auto& [key, count] : stats.decisions_by_rule_action) {
    out += "  " + key.first + " " + key.second + ": " + std::to_string(count) +
           "\n";
  }
  int64_t errors = 0;
  for (int64_t n : stats.rule_errors) errors += n;
  out += "evaluation errors: " + std::to_string(errors) + "\n";
  for (size_t r = 0; r < stats.rule_errors.size() &&
                     r < static_cast<size_t>(rules.rule_count());
       ++r) {
    if (stats.rule_errors[r] == 0) continue;
    out += "  " + rules.rule_name(static_cast<int>(r)) + ": " +
           std::to_string(stats.rule_errors[r]) + "\n";
  }
  out += "deflects without a healthy channel: " +
         std::to_string(stats.deflects_without_channel) + "\n";
  // Skill routing (docs/skill-routing.md): once agents took or timed out
  // a conversation.
  if (rules.queue_count() > 0 &&
      (stats.assignments > 0 || stats.route_timeouts > 0)) {
    out += "skill routing: assignments " + std::to_string(stats.assignments) +
           ", route timeouts " + std::to_string(stats.route_timeouts) +
           ", transfers " + std::to_string(stats.transfers) + ", abandoned " +
           std::to_string(stats.conversations_abandoned) + ", unassignable " +
           std::to_string(stats.unassignable_routes) + "\n";
    out += "  now waiting " + std::to_string(stats.conversations_waiting) +
           ", assigned " + std::to_string(stats.conversations_assigned);
    if (stats.agent_events_ignored > 0) {
      out += ", agent events ignored " +
             std::to_string(stats.agent_events_ignored);
    }
    out += "\n";
  }
  const std::vector<PendingTimer> timers = engine.PendingTimers();
  out += "pending timers: " + std::to_string(timers.size()) + "\n";
  for (size_t i = 0; i < timers.size() && i < kMaxTimersListed; ++i) {
    const PendingTimer& t = timers[i];
    out += "  " + switchboard::FormatTimestamp(t.deadline) + " session " +
           t.session + " rule " + t.rule + " (" + t.trigger + ")\n";
  }
  if (timers.size() > kMaxTimersListed) {
    out +=
        "  and " + std::to_string(timers.size() - kMaxTimersListed) + " more\n";
  }
  out += "sessions: " + std::to_string(engine.session_count());
  if (stats.sessions_evicted > 0) {
    out += " (evicted by --max-sessions: " +
           std::to_string(stats.sessions_evicted) + ")";
  }
  out += "\n";
  out += "clock: " +
         (engine.now() == absl::InfinitePast()
              ? std::string("not started")
              : switchboard::FormatTimestamp(engine.now())) +
         "\n";
  if (reloads >= 0) {
    out += "reloads: " + std::to_string(reloads) +
           " (timers dropped: " + std::to_string(stats.timers_dropped) + ")\n";
  }
  char rate[160];
  std::snprintf(
      rate, sizeof(rate), "throughput: %lld lines in %.3f s (%.0f events/s)\n",
      static_cast<long long>(lines), seconds,
      seconds > 0 ? static_cast<double>(stats.events) / seconds : 0.0);
  out += rate;
  std::fputs(out.c_str(), stderr);
}

// The bytes of the file at `path` (binary).
absl::Status ReadWholeFile(const std::string& path, std::string* out) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(
      std::fopen(path.c_str(), "rb"), &std::fclose);
  if (f == nullptr) return absl::NotFoundError(std::strerror(errno));
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f.get())) > 0) {
    out->append(buffer, n);
  }
  if (std::ferror(f.get())) return absl::DataLossError(std::strerror(errno));
  return absl::OkStatus();
}

absl::Status WriteWholeFile(const std::string& path, std::string_view bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return absl::PermissionDeniedError(std::strerror(errno));
  const bool wrote =
      std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) return absl::DataLossError(std::strerror(errno));
  return absl::OkStatus();
}

int Run(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  std::string events_path;
  bool have_events = false;
  bool explain = false;
  bool strict = false;
  std::string until_text;
  bool have_until = false;
  std::string snapshot_in, snapshot_out, max_sessions_text;
  bool have_snapshot_in = false, have_snapshot_out = false;
  bool have_max_sessions = false;
  std::vector<std::string> reload_texts;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // --name VALUE or --name=VALUE.
    const auto value_of = [&](std::string_view name, std::string* value,
                              bool* seen) -> int {
      if (arg == name) {
        if (i + 1 >= args.size()) {
          return UsageError("run: " + std::string(name) + " needs a value");
        }
        *value = args[++i];
      } else {
        *value = arg.substr(name.size() + 1);
      }
      if (*seen)
        return UsageError("run: " + std::string(name) + " given twice");
      *seen = true;
      return -1;
    };
    const auto is = [&](std::string_view name) {
      return arg == name || (arg.size() > name.size() &&
                             arg.compare(0, name.size(), name) == 0 &&
                             arg[name.size()] == '=');
    };
    if (is("--events")) {
      if (int rc = value_of("--events", &events_path, &have_events); rc >= 0) {
        return rc;
      }
    } else if (is("--until")) {
      if (int rc = value_of("--until", &until_text, &have_until); rc >= 0) {
        return rc;
      }
    } else if (is("--snapshot-in")) {
      if (int rc = value_of("--snapshot-in", &snapshot_in, &have_snapshot_in);
          rc >= 0) {
        return rc;
      }
    } else if (is("--snapshot-out")) {
      if (int rc =
              value_of("--snapshot-out", &snapshot_out, &have_snapshot_out);
          rc >= 0) {
        return rc;
      }
    } else if (is("--max-sessions")) {
      if (int rc = value_of("--max-sessions", &max_sessions_text,
                            &have_max_sessions);
          rc >= 0) {
        return rc;
      }
    } else if (is("--reload-at")) {
      bool seen = false;  // repeatable
      std::string text;
      if (int rc = value_of("--reload-at", &text, &seen); rc >= 0) return rc;
      reload_texts.push_back(std::move(text));
    } else if (arg == "--explain") {
      explain = true;
    } else if (arg == "--strict") {
      strict = true;
    } else if (arg == "--help" || arg == "-h") {
      return Help({"run"});
    } else if (arg.size() > 1 && arg[0] == '-') {
      return UsageError("run: unknown option '" + arg + "'");
    } else {
      paths.push_back(arg);
    }
  }
  if (int rc = RequireOneRuleset("run", paths); rc >= 0) return rc;
  if (!have_events) return UsageError("run: missing --events FILE (or -)");
  if (events_path.empty()) return UsageError("run: --events needs a file");
  absl::Time until = absl::InfinitePast();
  if (have_until) {
    absl::StatusOr<absl::Time> t = switchboard::ParseTimestamp(until_text);
    if (!t.ok()) {
      return UsageError("run: --until: " + std::string(t.status().message()));
    }
    until = *t;
  }
  EngineOptions options;
  options.explain = explain;
  if (have_max_sessions) {
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(max_sessions_text.c_str(), &end, 10);
    if (max_sessions_text.empty() || *end != '\0' || errno != 0 || n < 0) {
      return UsageError("run: --max-sessions needs a number >= 0, got '" +
                        max_sessions_text + "'");
    }
    options.max_sessions = n;
  }
  if (have_snapshot_in && snapshot_in.empty()) {
    return UsageError("run: --snapshot-in needs a file");
  }
  if (have_snapshot_out && snapshot_out.empty()) {
    return UsageError("run: --snapshot-out needs a file");
  }
  // --reload-at TIME:RULES; TIME itself has colons: the shortest prefix
  // before a ':' that parses as a time is TIME.
  struct PlannedReload {
    absl::Time at;
    std::string path;
    std::shared_ptr<const Ruleset> ruleset;
  };
  std::vector<PlannedReload> reloads;
  for (const std::string& text : reload_texts) {
    bool parsed = false;
    for (size_t colon = text.find(':'); colon != std::string::npos;
         colon = text.find(':', colon + 1)) {
      absl::StatusOr<absl::Time> t =
          switchboard::ParseTimestamp(text.substr(0, colon));
      if (t.ok() && colon + 1 < text.size()) {
        reloads.push_back({*t, text.substr(colon + 1), nullptr});
        parsed = true;
        break;
      }
    }
    if (!parsed) {
      return UsageError(
          "run: --reload-at needs TIME:RULES (TIME in RFC "
          "3339), got '" +
          text + "'");
    }
  }
  std::stable_sort(reloads.begin(), reloads.end(),
                   [](const PlannedReload& a, const PlannedReload& b) {
                     return a.at < b.at;
                   });

  const LoadResult result = LoadRuleset(paths[0]);
  std::fputs(FormatDiagnostics(result.diagnostics()).c_str(), stderr);
  if (!result.ok()) {
    std::fprintf(stderr, "%s, %s\n",
                 Plural(result.error_count(), "error").c_str(),
                 Plural(result.warning_count(), "warning").c_str());
    return 1;
  }
  for (PlannedReload& r : reloads) {
    const LoadResult loaded = LoadRuleset(r.path);
    std::fputs(FormatDiagnostics(loaded.diagnostics()).c_str(), stderr);
    if (!loaded.ok()) {
      std::fprintf(
          stderr, "switchboard: --reload-at: '%s' does not load: %s, %s\n",
          r.path.c_str(), Plural(loaded.error_count(), "error").c_str(),
          Plural(loaded.warning_count(), "warning").c_str());
      return 1;
    }
    r.ruleset = loaded.ruleset();
  }
  absl::StatusOr<std::unique_ptr<Engine>> created =
      Engine::Create(result.ruleset(), options);
  if (!created.ok()) {
    std::fprintf(stderr, "switchboard: %s\n",
                 std::string(created.status().message()).c_str());
    return 1;
  }
  Engine& engine = **created;
  if (have_snapshot_in) {
    std::string bytes;
    absl::Status read = ReadWholeFile(snapshot_in, &bytes);
    if (read.ok()) read = engine.Restore(bytes);
    if (!read.ok()) {
      std::fprintf(stderr,
                   "switchboard: cannot restore the snapshot '%s': %s\n",
                   snapshot_in.c_str(), std::string(read.message()).c_str());
      return 1;
    }
  }

  const bool use_stdin = events_path == "-";
  const std::string events_name = use_stdin ? "<stdin>" : events_path;
  std::FILE* file = use_stdin ? stdin : std::fopen(events_path.c_str(), "rb");
  if (file == nullptr) {
    std::fprintf(stderr, "switchboard: cannot read events file '%s': %s\n",
                 events_path.c_str(), std::strerror(errno));
    return 1;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(
      use_stdin ? nullptr : file, &std::fclose);

  const ReaderOptions reader_options;
  // The event schema follows --reload-at (the reader is rebuilt).
  auto reader = std::make_unique<EventReader>(
      plan::RulesetAccess::Checked(*result.ruleset()), reader_options);
  size_t next_reload = 0;
  int64_t reloads_done = 0;
  bool reload_failed = false;
  // Applies the planned reloads due at or before `t`.
  const auto reload_until = [&](absl::Time t, DecisionSink* out) {
    bool any = false;
    while (next_reload < reloads.size() && reloads[next_reload].at <= t) {
      const PlannedReload& r = reloads[next_reload++];
      engine.AdvanceTo(r.at, out);
      if (absl::Status st = engine.Reload(r.ruleset); !st.ok()) {
        std::fprintf(stderr, "switchboard: --reload-at %s: %s\n",
                     r.path.c_str(), std::string(st.message()).c_str());
        reload_failed = true;
        continue;
      }
      ++reloads_done;
      any = true;
    }
    if (any) {
      reader = std::make_unique<EventReader>(
          plan::RulesetAccess::Checked(engine.ruleset()), reader_options);
    }
    return any;
  };
  LineSource source(file, reader_options.max_line_bytes);
  JsonLinesSink sink;
  Event event;
  int64_t line_number = 0;
  int64_t bad_lines = 0;
  bool stopped = false;
  const auto bad_line = [&](std::string_view message) {
    ++bad_lines;
    sink.Flush();  // decisions so far before the message (for a terminal)
    // Messages may quote the input: keep each report on one line.
    std::string text;
    for (char c : message) {
      const unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        char esc[8];
        std::snprintf(esc, sizeof(esc), "\\x%02x", u);
        text += esc;
      } else {
        text += c;
      }
    }
    std::fprintf(stderr, "%s:%lld: error: %s\n", events_name.c_str(),
                 static_cast<long long>(line_number), text.c_str());
  };
  const auto start = std::chrono::steady_clock::now();
  LineSource::Line line;
  while (source.Next(&line)) {
    ++line_number;
    if (line.too_long) {
      bad_line("line too long: " + std::to_string(line.length) +
               " bytes (the limit is " +
               std::to_string(reader_options.max_line_bytes) + ")");
    } else if (EventReader::IsBlankLine(line.text)) {
      continue;
    } else if (absl::Status s = reader->Next(line.text, &event); !s.ok()) {
      bad_line(std::string(s.message()));
    } else if (next_reload < reloads.size() &&
               reloads[next_reload].at <= event.time() &&
               reload_until(event.time(), &sink) &&
               !(s = reader->Next(line.text, &event)).ok()) {
      bad_line(std::string(s.message()));  // invalid under the new schema
    } else if (absl::Status p = engine.Process(event, &sink); !p.ok()) {
      bad_line(std::string(p.message()));
    } else {
      continue;
    }
    if (strict) {
      stopped = true;
      break;
    }
  }
  int status = 0;
  if (source.error()) {
    std::fprintf(stderr, "switchboard: error reading '%s': %s\n",
                 events_name.c_str(), std::strerror(errno));
    status = 1;
  }
  if (have_until && !stopped) {
    reload_until(until, &sink);
    engine.AdvanceTo(until, &sink);
  }
  if (next_reload < reloads.size()) {
    std::fprintf(
        stderr,
        "switchboard: --reload-at: %s not reached (after "
        "the last event and --until)\n",
        Plural(static_cast<int>(reloads.size() - next_reload), "reload")
            .c_str());
  }
  if (reload_failed) status = 1;
  if (have_snapshot_out) {
    absl::StatusOr<std::string> bytes = engine.Snapshot();
    absl::Status written =
        bytes.ok() ? WriteWholeFile(snapshot_out, *bytes) : bytes.status();
    if (!written.ok()) {
      std::fprintf(stderr, "switchboard: cannot write the snapshot '%s': %s\n",
                   snapshot_out.c_str(),
                   std::string(written.message()).c_str());
      status = 1;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!sink.Flush()) {
    std::fprintf(stderr, "switchboard: error writing the decisions\n");
    status = 1;
  }
  if (stopped) {
    std::fprintf(stderr, "stopped at the first bad line (--strict)\n");
    status = 1;
  }
  PrintSummary(engine, bad_lines, seconds, line_number,
               reloads.empty() ? -1 : reloads_done);
  return status;
}

// ---- test ------------------------------------------------------------------

int Test(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") return Help({"test"});
    if (arg.size() > 1 && arg[0] == '-') {
      return UsageError("test: unknown option '" + arg + "'");
    }
    paths.push_back(arg);
  }
  if (paths.empty()) return UsageError("test: missing TESTS");
  int passed = 0;
  int failed = 0;
  std::string out;
  // Each path on its own, so that a missing one is one failure among the
  // others' results.
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    absl::StatusOr<std::vector<std::string>> found = FindRuleTestFiles({path});
    if (!found.ok()) {
      ++failed;
      out += "FAIL " + path + "\n  " + std::string(found.status().message()) +
             "\n";
      continue;
    }
    files.insert(files.end(), found->begin(), found->end());
  }
  for (const std::string& file : files) {
    absl::StatusOr<std::vector<RuleTestResult>> results = RunRuleTestFile(file);
    if (!results.ok()) {
      ++failed;
      out += "FAIL " + file + "\n  " + std::string(results.status().message()) +
             "\n";
      continue;
    }
    for (const RuleTestResult& r : *results) {
      (r.passed ? passed : failed) += 1;
      out += (r.passed ? "PASS " : "FAIL ") + r.name + "\n" + r.report;
    }
    std::fputs(out.c_str(), stdout);
    out.clear();
  }
  if (files.empty() && failed == 0) {
    out += "no test files (*.yaml with a top-level 'tests:') found\n";
  }
  out += std::to_string(passed) + " passed, " + std::to_string(failed) +
         " failed\n";
  std::fputs(out.c_str(), stdout);
  if (std::fflush(stdout) != 0) return 1;
  return failed > 0 ? 1 : 0;
}

int Help(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::printf("switchboard %s: rule-based conversation routing\n\n",
                SWITCHBOARD_VERSION);
    PrintUsage(stdout);
    return 0;
  }
  if (args.size() > 1) return UsageError("help: give at most one command");
  for (const Command& c : kCommands) {
    if (args[0] == c.name) {
      std::printf("usage: switchboard %s\n\n%s\n%s", c.synopsis, c.summary,
                  *c.help ? (std::string("\n") + c.help).c_str() : "");
      return 0;
    }
  }
  return UsageError("help: unknown command '" + args[0] + "'");
}

int Version(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("version takes no arguments");
  std::printf("switchboard %s\n", SWITCHBOARD_VERSION);
  return 0;
}

int Main(int argc, char** argv) {
  if (argc < 2) return UsageError("missing command");
  const std::string_view name = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (name == "--help" || name == "-h") return Help(args);
  if (name == "--version") return Version(args);
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run(args);
  }
  return UsageError("unknown command '" + std::string(name) + "'");
}

}  // namespace
}  // namespace switchboard

int main(int argc, char** argv) { return switchboard::Main(argc, argv); }
