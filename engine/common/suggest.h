// "did you mean 'x'?" hints: the nearest known name to a mistyped one.
// NearestName itself is public (include/switchboard/diagnostic.h), so that
// the CLI's hints are the loader's.
#ifndef SWITCHBOARD_ENGINE_COMMON_SUGGEST_H_
#define SWITCHBOARD_ENGINE_COMMON_SUGGEST_H_

#include <string>
#include <string_view>
#include <vector>

#include "switchboard/diagnostic.h"

namespace switchboard::common {

// "; did you mean 'x'?" for the nearest candidate, or "" when none is near.
std::string DidYouMean(std::string_view name,
                       const std::vector<std::string>& candidates);

}  // namespace switchboard::common

#endif  // SWITCHBOARD_ENGINE_COMMON_SUGGEST_H_
