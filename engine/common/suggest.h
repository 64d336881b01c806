// "did you mean 'x'?" hints: the nearest known name to a mistyped one.
#ifndef SWITCHBOARD_ENGINE_COMMON_SUGGEST_H_
#define SWITCHBOARD_ENGINE_COMMON_SUGGEST_H_

#include <string>
#include <string_view>
#include <vector>

namespace switchboard {

// The candidate nearest to `name` by edit distance (insertions, deletions,
// substitutions and swaps of adjacent characters, case-insensitive), if it
// is near enough: a distance of at most max(1, size/3). Empty when none.
std::string NearestName(std::string_view name,
                        const std::vector<std::string>& candidates);

// "; did you mean 'x'?" for the nearest candidate, or "" when none is near.
std::string DidYouMean(std::string_view name,
                       const std::vector<std::string>& candidates);

}  // namespace switchboard

#endif  // SWITCHBOARD_ENGINE_COMMON_SUGGEST_H_
