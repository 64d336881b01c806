// Internal to engine/check: what the stages of CheckRuleset() (checker.cc)
// share. A CheckContext reports diagnostics at positions of the file being
// read, holds the CheckedRuleset that the stages build one section after
// another, and carries what a stage records for a later one: where each
// rule came from and how often each session field is read and written, for
// the analyses of the whole ruleset (ruleset_analyses.h).
#ifndef SWITCHBOARD_ENGINE_CHECK_CHECK_CONTEXT_H_
#define SWITCHBOARD_ENGINE_CHECK_CHECK_CONTEXT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/check/checked_ruleset.h"
#include "engine/check/checker.h"
#include "engine/load/rule_file.h"
#include "switchboard/diagnostic.h"

namespace switchboard::check {

// A top-level section of a rule file (`session:`, `rules:`...) as found.
struct Section {
  const load::RuleFile* file = nullptr;
  const load::YamlNode* key = nullptr;
  const load::YamlNode* value = nullptr;
};

// Where a rule came from, for the whole-ruleset analyses.
struct RuleSource {
  const load::RuleFile* file = nullptr;
  const load::YamlNode* map = nullptr;   // the rule
  const load::YamlNode* name = nullptr;  // its name's value (or the map)
  bool has_errors = false;               // its trigger could not be read
  bool has_if = false;                   // it has an `if` (even a broken one)
};

// Per field of the session object type (by field index): how often rules
// read and write it; per declared session field (in declaration order):
// where it was declared.
struct FieldUsage {
  std::vector<int> reads, writes;
  std::vector<const load::RuleFile*> files;
  std::vector<const load::YamlNode*> nodes;
};

class CheckContext {
 public:
  // `files`, `options` and `diagnostics` must outlive the context.
  CheckContext(const std::vector<const load::RuleFile*>& files,
               const CheckOptions& options,
               std::vector<Diagnostic>* diagnostics);

  const std::vector<const load::RuleFile*>& files() const { return files_; }
  const CheckOptions& options() const { return options_; }

  // ---- diagnostics, in the file being read ----

  // The file being read, where the diagnostics below are reported. Each
  // stage sets it before it reads a section.
  const load::RuleFile* file() const { return file_; }
  void set_file(const load::RuleFile* file) { file_ = file; }

  void Error(const load::YamlNode& node, std::string message);
  void Warning(const load::YamlNode& node, std::string message);
  // At byte `offset` of `scalar`'s value (a position in a CEL expression).
  void ErrorAt(const load::YamlNode& scalar, int64_t offset,
               std::string message);
  // At a 1-based line and column.
  void ErrorAtPosition(int line, int column, std::string message);
  // A mistake of the ruleset as a whole (a missing section), reported in
  // `file` with no position.
  void ErrorInFile(std::string file, std::string message);
  // The number of errors so far.
  int errors() const { return errors_; }

  // "line 12" in the file being read, "other.yaml:12" in another.
  std::string Where(const load::RuleFile* file, int line) const;
  SourcePos Pos(const load::YamlNode& node) const;

  // ---- what the stages build and hand on ----

  // The ruleset being built.
  CheckedRuleset& ruleset() { return *ruleset_; }
  // Hands the ruleset over; the context is done.
  std::unique_ptr<CheckedRuleset> TakeRuleset() { return std::move(ruleset_); }

  // Parallel to ruleset().rules.
  std::vector<RuleSource>& rule_sources() { return rule_sources_; }
  FieldUsage& field_usage() { return field_usage_; }

 private:
  const std::vector<const load::RuleFile*>& files_;
  const CheckOptions& options_;
  std::vector<Diagnostic>* diagnostics_;
  int errors_ = 0;
  const load::RuleFile* file_ = nullptr;
  std::unique_ptr<CheckedRuleset> ruleset_;
  std::vector<RuleSource> rule_sources_;
  FieldUsage field_usage_;
};

}  // namespace switchboard::check

#endif  // SWITCHBOARD_ENGINE_CHECK_CHECK_CONTEXT_H_
