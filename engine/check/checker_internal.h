// Internal to engine/check: the Checker behind CheckRuleset(), shared by
// checker.cc (sections, value readers, whole-ruleset analysis) and
// check_rules.cc (rules, triggers, conditions, actions, CEL).
#ifndef SWITCHBOARD_ENGINE_CHECK_CHECKER_INTERNAL_H_
#define SWITCHBOARD_ENGINE_CHECK_CHECKER_INTERNAL_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "engine/cel/ast.h"
#include "engine/cel/checker.h"
#include "engine/cel/types.h"
#include "engine/check/checked_ruleset.h"
#include "engine/check/checker.h"
#include "engine/load/rule_file.h"
#include "switchboard/diagnostic.h"

namespace switchboard::check_internal {

// `s` without leading and trailing white space.
std::string Trim(std::string_view s);

// Where a rule came from, for the whole-ruleset analyses.
struct RuleSource {
  const RuleFile* file = nullptr;
  const YamlNode* map = nullptr;   // the rule
  const YamlNode* name = nullptr;  // its name's value (or the map)
  bool has_errors = false;         // its trigger could not be read
  bool has_if = false;             // it has an `if` (even a broken one)
};

// A CEL expression written in a scalar, compiled.
struct CompiledExpr {
  std::shared_ptr<const cel::Expr> expr;
  cel::Type type;
  cel::Program program;
};

class Checker {
 public:
  Checker(const std::vector<const RuleFile*>& files,
          const CheckOptions& options, std::vector<Diagnostic>* diagnostics);

  std::unique_ptr<CheckedRuleset> Run();

 private:
  // ---- diagnostics (at the current file_) ----
  void Error(const YamlNode& node, std::string message);
  void Warning(const YamlNode& node, std::string message);
  void ErrorAt(const YamlNode& scalar, int64_t offset, std::string message);
  // "line 12" in the same file, "other.yaml:12" in another.
  std::string Where(const RuleFile* file, int line) const;
  SourcePos Pos(const YamlNode& node) const;

  // ---- value readers: each reports its own mistakes ----
  static std::string Describe(const YamlNode& node);
  bool ExpectMap(const YamlNode& node, std::string_view what);
  bool ExpectList(const YamlNode& node, std::string_view what);
  // Reports the keys of `map` that are not in `allowed`.
  void CheckKeys(const YamlNode& map,
                 std::initializer_list<const char*> allowed,
                 std::string_view where);
  std::optional<std::string> ReadString(const YamlNode& node,
                                        std::string_view what,
                                        bool allow_empty = false);
  std::optional<std::string> ReadName(const YamlNode& node,
                                      std::string_view what);
  std::optional<int64_t> ReadInt(const YamlNode& node, std::string_view what);
  std::optional<bool> ReadBool(const YamlNode& node, std::string_view what);
  std::optional<absl::Duration> ReadDuration(const YamlNode& node,
                                             std::string_view what);
  std::optional<int> ReadSkillLevel(const YamlNode& node);
  // A scalar or a list of scalars; `what` names one item.
  std::vector<const YamlNode*> ReadScalars(const YamlNode& node,
                                           std::string_view what,
                                           bool allow_single);
  std::optional<EventPattern> ReadPattern(const YamlNode& node,
                                          std::string_view what,
                                          bool allow_prefix);
  // A known channel; reports unknown ones with a hint.
  int ResolveChannel(const YamlNode& node, std::string_view what);

  // ---- sections ----
  void CollectSections();
  void CheckRulesetName();
  void CheckSession();
  void CheckSessionFields(const YamlNode& fields);
  void CheckEventSchema();
  void BuildEnvironment();
  void CheckFieldDefaults();
  void CheckCalendars();
  void CheckCalendar(const YamlNode& name, const YamlNode& body);
  bool ReadHours(const YamlNode& node, std::string_view what,
                 std::vector<MinuteRange>* out);
  void CheckChannels();
  void CheckQueues();
  void CheckQueue(const YamlNode& name, const YamlNode& body);
  std::vector<SkillLevel> ReadSkills(const YamlNode& node,
                                     std::string_view what);

  // ---- rules (check_rules.cc) ----
  void CheckRules();
  void CheckRule(const YamlNode& node, int index);
  bool CheckTrigger(const YamlNode& on, Trigger* trigger);
  void CheckConditions(const YamlNode& node, Rule* rule);
  void CheckActions(const YamlNode& node, Rule* rule);
  bool CheckAction(const YamlNode& name, const YamlNode& body, Action* action,
                   Rule* rule);
  bool CheckRoute(const YamlNode& body, Action* action);
  bool CheckHandoff(const YamlNode& body, Action* action);
  bool CheckDeflectOrOffer(const YamlNode& body, bool deflect, Action* action);
  bool CheckCallback(const YamlNode& body, Action* action);
  bool CheckTag(const YamlNode& body, Action* action);
  bool CheckSet(const YamlNode& body, Action* action, Rule* rule);
  bool CheckEmit(const YamlNode& body, Action* action, Rule* rule);
  // A `set` or `emit` value of type `target`.
  std::optional<ComputedValue> CheckValue(const YamlNode& value,
                                          const cel::Type& target,
                                          std::string_view what, Rule* rule);

  // ---- CEL ----
  // Parses, checks and compiles the expression in `scalar` (its value, or the
  // part of it starting at `base`), reporting issues at their file
  // positions. With `want` double, an int expression is compiled as
  // double(expr). With a `rule`, names in extension calls are checked and
  // the session fields read are recorded.
  std::optional<CompiledExpr> CompileExpr(const YamlNode& scalar,
                                          std::string_view text, int64_t base,
                                          const cel::Env& env, Rule* rule,
                                          const cel::Type* want = nullptr);
  // Checks names in open('c'), channel_up('c'), queue('q') and records the
  // session fields `expr` reads.
  void CheckNames(const YamlNode& scalar, int64_t base, const cel::Expr& expr,
                  const cel::CheckResult& checked, Rule* rule);

  // ---- whole-ruleset analyses ----
  void CheckReachability();
  void CheckEmitCycles();
  void CheckFieldUsage();

  const std::vector<const RuleFile*>& files_;
  const CheckOptions& options_;
  std::vector<Diagnostic>* diagnostics_;
  int errors_ = 0;

  const RuleFile* file_ = nullptr;  // the file being read

  // The sections as found, with their files.
  struct Section {
    const RuleFile* file = nullptr;
    const YamlNode* key = nullptr;
    const YamlNode* value = nullptr;
  };
  std::optional<Section> ruleset_name_;
  std::optional<Section> session_;
  std::vector<Section> event_, calendars_, channels_, queues_, rules_;

  std::unique_ptr<CheckedRuleset> out_;
  // Declared session fields whose defaults are checked once the CEL
  // environment exists: (file, value node, offset of the default, field).
  struct PendingDefault {
    const RuleFile* file;
    const YamlNode* node;
    int64_t offset;
    int field;  // index in out_->session.fields
  };
  std::vector<PendingDefault> pending_defaults_;
  absl::flat_hash_map<std::string, std::pair<const RuleFile*, int>>
      attribute_lines_;                   // declared attribute -> where
  std::vector<RuleSource> rule_sources_;  // parallel to out_->rules
  // Per session object field index: how often read and written.
  std::vector<int> field_reads_, field_writes_;
  std::vector<const RuleFile*> field_files_;
  std::vector<const YamlNode*> field_nodes_;
};

}  // namespace switchboard::check_internal

#endif  // SWITCHBOARD_ENGINE_CHECK_CHECKER_INTERNAL_H_
