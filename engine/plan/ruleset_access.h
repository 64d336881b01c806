// RulesetAccess: the library's own door into switchboard::Ruleset, whose
// representation the public header keeps opaque (include/switchboard/
// ruleset.h). A Ruleset holds the checked ruleset (engine/check) and the
// warnings of loading; the loader makes one with Make, and the stages that
// run it (the engine, the JSON Lines reader, the rule tests) read the
// checked ruleset through Checked. Not part of the public API: embedders
// use include/switchboard/ alone.
#ifndef SWITCHBOARD_ENGINE_PLAN_RULESET_ACCESS_H_
#define SWITCHBOARD_ENGINE_PLAN_RULESET_ACCESS_H_

#include <memory>
#include <vector>

#include "engine/check/checked_ruleset.h"
#include "switchboard/diagnostic.h"
#include "switchboard/ruleset.h"

namespace switchboard::plan {

class RulesetAccess {
 public:
  // A Ruleset of `checked` (non-null), with the warnings of loading it.
  // Thread-safe.
  static std::shared_ptr<const Ruleset> Make(
      std::shared_ptr<const CheckedRuleset> checked,
      std::vector<Diagnostic> warnings = {});

  // The checked ruleset of `ruleset`; valid as long as it is.
  static const CheckedRuleset& Checked(const Ruleset& ruleset);
};

}  // namespace switchboard::plan

#endif  // SWITCHBOARD_ENGINE_PLAN_RULESET_ACCESS_H_
