// Loading rulesets: YAML rule files (docs/rule-language.md) -> a checked,
// compiled, immutable Ruleset, or the list of every mistake in them.
//
//   switchboard::LoadResult result = switchboard::LoadRuleset("rules/shop");
//   if (!result.ok()) {
//     std::cerr << switchboard::FormatDiagnostics(result.diagnostics());
//     return;
//   }
//   std::shared_ptr<const switchboard::Ruleset> ruleset = result.ruleset();
//
// Loading never throws and never crashes on any input (invalid UTF-8, NUL
// bytes, YAML alias bombs, very deep nesting, huge files): each problem is a
// Diagnostic. A Ruleset is immutable and may be shared by any number of
// threads (and engines) through std::shared_ptr<const Ruleset>.
#ifndef SWITCHBOARD_RULESET_H_
#define SWITCHBOARD_RULESET_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "switchboard/diagnostic.h"
#include "switchboard/rule_graph.h"

namespace switchboard {

namespace plan {
class RulesetAccess;  // the library's internal access (engine/plan)
}  // namespace plan

// Limits that keep loading bounded on hostile input. The defaults suit any
// hand-written ruleset; raise them for generated ones.
struct LoadOptions {
  // Largest rule file accepted, in bytes. Default: 64 MiB.
  int64_t max_file_size = int64_t{64} << 20;
  // Most rules in one ruleset (all files together). Default: 100,000.
  int max_rules = 100000;
  // Deepest YAML nesting (block indentation levels plus flow brackets),
  // refused before parsing. Default: 64.
  int max_yaml_depth = 64;
  // Most YAML nodes per file, each alias counted as the size of what it
  // expands to (bounds "billion laughs" alias bombs). Default: 4,000,000.
  int64_t max_yaml_nodes = 4000000;
  // Deepest CEL expression accepted. Default: 250.
  int cel_max_depth = 250;
  // Longest CEL expression accepted, in bytes. Default: 100 KiB.
  int cel_max_length = 100 * 1024;
};

// A loaded ruleset: checked, with every CEL expression compiled, and
// planned (the tables every engine of it runs, built once). Made only by
// LoadRuleset / LoadRulesetFromString. Immutable; thread-safe.
class Ruleset {
 public:
  ~Ruleset();
  Ruleset(const Ruleset&) = delete;
  Ruleset& operator=(const Ruleset&) = delete;

  // The name from the `ruleset:` key.
  const std::string& name() const;
  // Number of rules (enabled or not).
  int rule_count() const;
  // The name of the rule at `index`, 0 <= index < rule_count(), in the order
  // the rules were loaded (file order; folders: file-name order), which is
  // the order of the per-rule vectors of EngineStats (rule_runs,
  // rule_errors). The engine runs rules by priority, then in this order.
  const std::string& rule_name(int index) const;
  // The event attribute that names a session (`session.key`; default
  // "conversation"): what a producer keys events by (docs/scale-out.md).
  const std::string& session_key() const;
  // Number of declared queues (`queues:`).
  int queue_count() const;
  // Number of distinct triggers the rules wait for: each event type and
  // prefix named in an `on`, and each distinct idle / after timer.
  int trigger_count() const;
  // Number of declared session fields.
  int field_count() const;
  // The files the ruleset was loaded from, in load order.
  const std::vector<std::string>& files() const;
  // The warnings found while loading (sorted).
  const std::vector<Diagnostic>& warnings() const;

  // The rule graph (triggers, emits, session field reads and writes) as
  // Graphviz DOT.
  std::string GraphDot() const;
  // The same graph as data (rule_graph.h), for callers that draw it
  // themselves (`switchboard studio`). Vertices and edges in the order of
  // GraphDot().
  RuleGraph Graph() const;

 private:
  friend class plan::RulesetAccess;
  struct Rep;  // engine/plan/ruleset.cc
  explicit Ruleset(std::unique_ptr<const Rep> rep);

  std::unique_ptr<const Rep> rep_;
};

// What loading produced: a ruleset, or the reasons there is none.
class LoadResult {
 public:
  LoadResult() = default;
  LoadResult(absl::Status status, std::vector<Diagnostic> diagnostics,
             std::shared_ptr<const Ruleset> ruleset);

  // True when the ruleset loaded without errors (warnings allowed).
  bool ok() const { return ruleset_ != nullptr; }
  // Every error and warning, sorted by file, line and column (errors before
  // warnings at the same place).
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  int error_count() const;
  int warning_count() const;
  // The ruleset; null unless ok().
  const std::shared_ptr<const Ruleset>& ruleset() const { return ruleset_; }
  // OK when ok(); NotFound when the path does not exist; PermissionDenied
  // or Unavailable when it cannot be read; otherwise InvalidArgument whose
  // message is the formatted diagnostics (FormatDiagnostics).
  const absl::Status& status() const { return status_; }

 private:
  absl::Status status_;
  std::vector<Diagnostic> diagnostics_;
  std::shared_ptr<const Ruleset> ruleset_;
};

// Loads the ruleset at `path`: a YAML file, or a folder whose *.yaml and
// *.yml files (not those starting with '.', not subfolders) load together
// in file-name (byte) order, which is also their rule order. Diagnostics name
// files as `path` itself or `path`/name. Never throws. Thread-safe.
LoadResult LoadRuleset(const std::string& path,
                       const LoadOptions& options = {});

// Loads a ruleset from YAML text; `file_name` is what diagnostics call it.
// Never throws. Thread-safe.
LoadResult LoadRulesetFromString(std::string_view yaml,
                                 const std::string& file_name,
                                 const LoadOptions& options = {});

// A rule file's text, for LoadRulesetFromTexts: `name` is what diagnostics
// call it, `text` its YAML.
struct RuleText {
  std::string name;
  std::string text;
};

// Loads the ruleset made of `files`, in the given order (their rule order),
// as LoadRuleset loads the files of a folder: an editor's unsaved buffers
// are checked exactly as the files on disk would be. An empty list is an
// error diagnostic. Never throws. Thread-safe.
LoadResult LoadRulesetFromTexts(std::vector<RuleText> files,
                                const LoadOptions& options = {});

// The rule files LoadRuleset(path) reads, in load order, named as its
// diagnostics name them: `path` itself for a file; for a folder,
// `path`/name for each *.yaml and *.yml regular file not starting with '.'
// (not in subfolders), in file-name (byte) order. Errors: NotFound when
// `path` does not exist, Unavailable when the folder cannot be read,
// InvalidArgument for a folder without rule files.
absl::StatusOr<std::vector<std::string>> RuleFilePaths(const std::string& path);

}  // namespace switchboard

#endif  // SWITCHBOARD_RULESET_H_
