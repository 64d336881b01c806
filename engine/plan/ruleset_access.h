// RulesetAccess: the library's own door into switchboard::Ruleset, whose
// representation the public header keeps opaque (include/switchboard/
// ruleset.h). A Ruleset holds the checked ruleset (engine/check), its plan
// (ruleset_plan.h) and the warnings of loading; the loader makes one with
// Make, and the stages after planning (the engine, the JSON Lines reader,
// the rule tests) read the first two through Checked and Plan. Not part of
// the public API: embedders use include/switchboard/ alone.
#ifndef SWITCHBOARD_ENGINE_PLAN_RULESET_ACCESS_H_
#define SWITCHBOARD_ENGINE_PLAN_RULESET_ACCESS_H_

#include <memory>
#include <vector>

#include "engine/check/checked_ruleset.h"
#include "engine/plan/ruleset_plan.h"
#include "switchboard/diagnostic.h"
#include "switchboard/ruleset.h"

namespace switchboard::plan {

class RulesetAccess {
 public:
  // A Ruleset of `checked` (non-null), planned here (RulesetPlan), with the
  // warnings of loading it. Thread-safe.
  static std::shared_ptr<const Ruleset> Make(
      std::shared_ptr<const check::CheckedRuleset> checked,
      std::vector<Diagnostic> warnings = {});

  // The checked ruleset and the plan of `ruleset`; valid as long as it is.
  static const check::CheckedRuleset& Checked(const Ruleset& ruleset);
  static const RulesetPlan& Plan(const Ruleset& ruleset);
};

}  // namespace switchboard::plan

#endif  // SWITCHBOARD_ENGINE_PLAN_RULESET_ACCESS_H_
