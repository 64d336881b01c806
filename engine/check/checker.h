// The second stage of loading: RuleFiles -> CheckedRuleset. Reads every
// section of the rule language (docs/rule-language.md), resolves every name,
// checks every type, compiles every CEL expression, decodes triggers,
// calendars, channels and queues, and analyses the ruleset as a whole:
// duplicate rule names, unreachable rules, rules on global events, emit cycles
// (with the rule graph, rule_graph.h) and unused session fields. Every mistake
// becomes a Diagnostic; checking never stops at the first.
//
// This file's external interface is CheckRuleset().
#ifndef SWITCHBOARD_ENGINE_CHECK_CHECKER_H_
#define SWITCHBOARD_ENGINE_CHECK_CHECKER_H_

#include <memory>
#include <vector>

#include "engine/check/checked_ruleset.h"
#include "engine/load/rule_file.h"
#include "switchboard/diagnostic.h"

namespace switchboard::check {

struct CheckOptions {
  // Most rules accepted in one ruleset. Default: 100,000.
  int max_rules = 100000;
  // Deepest CEL expression accepted (cel::ParseOptions::max_depth).
  // Default: 250.
  int cel_max_depth = 250;
  // Longest CEL expression accepted, in bytes. Default: 100 KiB.
  int cel_max_length = 100 * 1024;
};

// Checks `files` (in load order; together they form one ruleset) and appends
// every error and warning to `diagnostics` (unsorted). Returns the
// CheckedRuleset when there are no errors, null otherwise. The RuleFiles are
// only read during the call. Never throws. Thread-safe.
std::unique_ptr<CheckedRuleset> CheckRuleset(
    const std::vector<const load::RuleFile*>& files,
    const CheckOptions& options, std::vector<Diagnostic>* diagnostics);

}  // namespace switchboard::check

#endif  // SWITCHBOARD_ENGINE_CHECK_CHECKER_H_
