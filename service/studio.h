// The studio's back end (`switchboard studio RULES`,
// docs/studio.md): what the page asks of the ruleset it edits, as JSON in
// and JSON out, without HTTP (studio_server.h serves it). Every request
// carries the editor's buffers, the rule files of RULES as the author has
// them now, and the answer is about those texts, not the files on disk:
//
//   State()  the rule files of RULES (names relative to RULES, texts),
//            and the events file's name
//   Check()  the edited ruleset's diagnostics (file, line, column,
//            severity, message, hint, source line)
//   Graph()  its rule graph as an inline SVG (studio_graph.h)
//   Run()    the events (the --events file, or pasted JSON Lines) through
//            the edited rules: every decision with its explanation, and a
//            summary (decisions per rule and action, the rules that never
//            ran, evaluation errors with their messages, bad lines)
//   Diff()   the edited rules against the files on disk over the same
//            events (switchboard/diff.h)
//   Save()   writes the buffers to their files, only under RULES: every
//            changed file or none (each new text is written and synced
//            beside its file before any is renamed over its file);
//            refuses a ruleset with errors unless forced, and a file
//            changed on disk since the page read it unless overwritten
//
// A request body is a JSON object: "files" (a list of {"name", "text"},
// every rule file of RULES by its name relative to RULES), and for Run and
// Diff an optional "events" (JSON Lines; absent: the --events file), for
// Save an optional "force" and "overwrite" (bools) and, per file, an
// optional "base" (the text the page last read from disk or saved). A name that
// is not a rule file of RULES (a path, "..", an absolute name, a name the
// folder does not hold as a regular file) is refused with 403.
//
// Thread-safety: every method may be called from many threads at once
// (each request builds its own engines); Save calls are serialized.
#ifndef SWITCHBOARD_SERVICE_STUDIO_H_
#define SWITCHBOARD_SERVICE_STUDIO_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace switchboard::service {

struct StudioOptions {
  // The ruleset: a rule file or a folder of them (as `run` takes it).
  std::string rules;
  // The events run on load and whenever a request has no "events"; empty:
  // none (the page asks for pasted events).
  std::string events;
  // Decisions a run or a diff answers with at most (the counts stay
  // exact; the answer says it was cut). Default: 100,000.
  int64_t max_decisions = 100000;
  // Trace records a run answers with at most: one per trigger that made a
  // kept decision, each listing every rule the trigger considered; later
  // decisions answer "trace": null. Default: 10,000.
  int64_t max_traces = 10000;
  // Differences a diff answers with at most. Default: 100,000.
  int64_t max_differences = 100000;
  // Bad event lines listed at most (all are counted). Default: 1,000.
  int64_t max_bad_lines = 1000;
  // Largest events file read. Default: 256 MiB.
  int64_t max_events_bytes = int64_t{256} << 20;
};

// An answer: the HTTP status and a JSON body (an object; on an error
// {"error": MESSAGE}).
struct StudioAnswer {
  int status = 200;
  std::string body;
};

class Studio {
 public:
  // Errors: NotFound / InvalidArgument / Unavailable when RULES has no rule
  // files (RuleFilePaths), NotFound when the events file cannot be read.
  static absl::StatusOr<std::unique_ptr<Studio>> Create(
      const StudioOptions& options);

  // GET /api/state: {"rules": RULES, "folder": bool, "events": FILE or
  // null, "files": [{"name", "path", "text"}]}.
  StudioAnswer State() const;
  // POST /api/check: {"ok": bool, "errors": N, "warnings": N,
  // "ruleset": NAME or null, "rules": [names], "diagnostics": [...]}.
  StudioAnswer Check(std::string_view body) const;
  // POST /api/graph: {"ok": bool, "svg": SVG or "", "rules": N}.
  StudioAnswer Graph(std::string_view body) const;
  // POST /api/run: {"ok", "diagnostics" (when not ok), "events_source",
  // "decisions": [{"decision": OBJECT as run --explain writes it, "text":
  // LINE}], "truncated": bool, "summary": {...}, "bad_lines": [...],
  // "trace": null (a place for `run --trace`'s lines)}.
  StudioAnswer Run(std::string_view body) const;
  // POST /api/diff: {"ok", "identical", "total": COUNTS, "rules": [{"rule",
  // COUNTS}], "differences": [{"change", "session", "time", "trigger",
  // "action", "old", "new", "text"}], "truncated", "old_rejected",
  // "new_rejected"}. Not ok (422) when either side does not load.
  StudioAnswer Diff(std::string_view body) const;
  // POST /api/save: {"ok": true, "saved": [names], "unchanged": [names]};
  // 422 with the diagnostics when the ruleset has errors and "force" is
  // not true; 409 with "conflicts" (names) when a file on disk is neither
  // its "base" nor the new text and "overwrite" is not true; 500 when a
  // new text cannot be written ("nothing saved") or, rarer, renamed.
  StudioAnswer Save(std::string_view body);

  const StudioOptions& options() const { return options_; }

 private:
  explicit Studio(const StudioOptions& options) : options_(options) {}

  struct File {
    std::string name;  // relative to RULES (the base name)
    std::string path;  // as the loader names it (RULES/name, or RULES)
  };

  // (name, path) of each rule file.
  std::vector<std::pair<std::string, std::string>> Known() const;

  const StudioOptions options_;
  bool folder_ = false;
  std::vector<File> files_;  // in load order
  // Saves one at a time.
  absl::Mutex save_mu_;
};

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_STUDIO_H_
