// The pieces every switchboard command shares: exit statuses, the command
// table, flag parsing, a buffered standard output that remembers a failed
// write, loading a ruleset with its diagnostics on stderr, and reading a
// whole file with a bound. The CLI is a thin layer over the public API
// (include/switchboard/); nothing here reaches into the engine.
#ifndef SWITCHBOARD_TOOLS_SWITCHBOARD_CLI_H_
#define SWITCHBOARD_TOOLS_SWITCHBOARD_CLI_H_

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "fmt/format.h"
#include "switchboard/ruleset.h"
#include "switchboard/trace.h"

namespace switchboard::cli {

// Exit statuses (docs/cli.md).
inline constexpr int kExitOk = 0;
// The command ran and found a problem: a ruleset with errors, a failed
// test, a file that cannot be read.
inline constexpr int kExitProblem = 1;
// A bad command line (the command's usage on stderr).
inline constexpr int kExitUsage = 2;
// Standard output (or another output file) could not be written: a full
// disk, a closed descriptor. Said on stderr.
inline constexpr int kExitWriteError = 3;

// The largest file a command reads whole (a snapshot, a test's events
// file): well under the memory of a small machine. Default: 1 GiB.
inline constexpr uint64_t kMaxWholeFileBytes = uint64_t{1} << 30;

// Standard output through a large buffer. Remembers the first failed write;
// after one, writes are dropped. Not thread-safe.
class Output {
 public:
  explicit Output(std::FILE* file) : file_(file) { buffer_.reserve(kFlushAt); }
  ~Output() { Flush(); }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void Write(std::string_view text) {
    buffer_.append(text);
    MaybeFlush();
  }
  template <typename... T>
  void Print(fmt::format_string<T...> format, T&&... args) {
    fmt::format_to(std::back_inserter(buffer_), format,
                   std::forward<T>(args)...);
    MaybeFlush();
  }
  // The buffer, for appending in place (then call MaybeFlush()).
  std::string* buffer() { return &buffer_; }
  void MaybeFlush() {
    if (buffer_.size() >= kFlushAt) Flush();
  }
  // Writes what is buffered and flushes the file; false once a write has
  // failed (then error() says why).
  bool Flush();
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }

 private:
  static constexpr size_t kFlushAt = 256 * 1024;
  std::FILE* file_;
  std::string buffer_;
  bool failed_ = false;
  std::string error_;
};

// `--trace FILE` (run, test): one JSON line per trigger the engine
// evaluated (TriggerTrace::AppendJson) on `file`. With `interleave` (the
// trace goes to stderr: `--trace -`), each line is written at once, after
// the decisions buffered in *interleave, so that on a terminal each record
// follows its trigger's decisions and keeps its place among the other
// messages on stderr.
class TraceLines : public TraceSink {
 public:
  TraceLines(std::FILE* file, Output* interleave)
      : out_(file), interleave_(interleave) {}
  void OnTrigger(const TriggerTrace& trace) override {
    trace.AppendJson(out_.buffer());
    out_.buffer()->push_back('\n');
    if (interleave_ != nullptr) {
      interleave_->Flush();
      out_.Flush();
    } else {
      out_.MaybeFlush();
    }
  }
  Output& output() { return out_; }

 private:
  Output out_;
  Output* interleave_;
};

// One command of the table (main.cc).
struct Command {
  std::string_view name;
  std::string_view synopsis;  // after "switchboard "
  std::string_view summary;   // one line for the list of commands
  std::string_view help;      // the details for `switchboard help NAME`
  int (*run)(const std::vector<std::string>& args, Output& out);
};

// The commands, in the order `switchboard help` lists them.
absl::Span<const Command> Commands();
// The command named `name`, or null.
const Command* FindCommand(std::string_view name);

// Prints "switchboard: COMMAND: MESSAGE" and the command's usage to stderr
// and returns kExitUsage. `command` empty: the list of commands instead.
int UsageError(std::string_view command, std::string_view message);

// Prints the help of `command` (or the list of commands when empty) to
// `out`; kExitOk.
int PrintHelp(std::string_view command, Output& out);

// A command's flags: "--name" (a switch), "--name VALUE" / "--name=VALUE"
// (a value), repeatable or not. Arguments that do not start with "--" (and
// "-", which means stdin) are positional; "--" ends the flags.
class Flags {
 public:
  explicit Flags(std::string_view command) : command_(command) {}

  void Switch(std::string_view name, bool* value) {
    specs_.push_back({name, Spec::kSwitch, value, nullptr, nullptr});
  }
  void Value(std::string_view name, std::optional<std::string>* value) {
    specs_.push_back({name, Spec::kValue, nullptr, value, nullptr});
  }
  void Repeated(std::string_view name, std::vector<std::string>* values) {
    specs_.push_back({name, Spec::kRepeated, nullptr, nullptr, values});
  }

  // Parses `args` into the flags and `positional`. Returns nullopt when the
  // command should go on; otherwise the exit status to return: after a
  // usage error (printed) or after `--help` / `-h` (the command's help
  // printed to `out`).
  std::optional<int> Parse(const std::vector<std::string>& args,
                           std::vector<std::string>* positional, Output& out);

 private:
  struct Spec {
    std::string_view name;
    enum Kind { kSwitch, kValue, kRepeated } kind;
    bool* on;
    std::optional<std::string>* value;
    std::vector<std::string>* values;
  };
  std::string_view command_;
  std::vector<Spec> specs_;
};

// What "-" is called in messages (a ruleset or events read from stdin).
inline constexpr std::string_view kStdinName = "<stdin>";

// --format json|text (absent: json): sets `text`; nullopt, or the usage
// error's exit status for another value.
std::optional<int> ParseFormat(std::string_view command,
                               const std::optional<std::string>& value,
                               bool* text);

// An events file opened for reading: `path`, or stdin for "-" (named
// kStdinName). Errors: NotFound saying "cannot read events file 'PATH':
// REASON".
struct EventsFile {
  std::string name;  // for FILE:LINE messages
  std::FILE* file = nullptr;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned{nullptr, &std::fclose};
};
absl::StatusOr<EventsFile> OpenEvents(const std::string& path);

// Usage error unless exactly one RULES path was given: nullopt when it was.
std::optional<int> RequireOneRuleset(std::string_view command,
                                     const std::vector<std::string>& paths);

// Loads the ruleset at `path` ("-": from stdin, named kStdinName in
// diagnostics), printing its diagnostics (warnings too) to stderr; on errors
// also "N errors, M warnings", and returns null.
std::shared_ptr<const Ruleset> LoadOrReport(const std::string& path);

// Reads `file` to its end into `out`, refusing more than `limit` bytes
// (before reading when its size is known). Errors: ResourceExhausted naming
// the limit, DataLoss on a read error.
absl::Status ReadAll(std::FILE* file, uint64_t limit, std::string* out);

// Reads the whole file at `path` into `out`, refusing one larger than
// `limit` bytes (before reading it when its size is known, else as soon as
// more arrives). Errors: NotFound / PermissionDenied when it cannot be
// opened, ResourceExhausted naming the limit, DataLoss on a read error.
absl::Status ReadWholeFile(const std::string& path, uint64_t limit,
                           std::string* out);

// Writes `bytes` to `path` atomically: a temporary file beside it, fsync,
// then rename. Errors name the step that failed.
absl::Status WriteFileAtomically(const std::string& path,
                                 std::string_view bytes);

// --trace FILE of run and test: FILE opened for writing, or stderr for "-".
// `owned` keeps (and closes) a file opened here. On failure prints
// "switchboard: cannot write the trace 'FILE': REASON" and returns null.
using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;
std::FILE* OpenTraceFile(const std::string& path, FilePtr* owned);

// The message of `status` (absl::string_view is its own type in Debian's
// Abseil, which fmt does not know).
inline std::string_view Message(const absl::Status& status) {
  return std::string_view(status.message().data(), status.message().size());
}

// Appends fmt's `format` of `args` to `out` (summaries built whole, then
// written to stderr at once).
template <typename... T>
void Put(std::string& out, fmt::format_string<T...> format, T&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<T>(args)...);
}

// A positive duration as rules write them ("60s", "5m", "1h30m"); a bare
// number is seconds. False when `text` is not one.
bool ParsePositiveDuration(std::string_view text, absl::Duration* out);

// NAME=VALUE arguments of a repeatable flag (e.g. --kafka-config), appended
// to *out in order. nullopt, or the usage error's exit status.
std::optional<int> ParseNameValues(
    std::string_view command, std::string_view flag,
    const std::vector<std::string>& texts,
    std::vector<std::pair<std::string, std::string>>* out);

// "1 rule", "2 rules".
std::string Plural(int64_t n, std::string_view word);

}  // namespace switchboard::cli

#endif  // SWITCHBOARD_TOOLS_SWITCHBOARD_CLI_H_
