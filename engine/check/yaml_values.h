// Internal to engine/check: the readers of values in rule files. Each reads
// one YAML node as what the rule language expects there (a string, a name,
// an integer, a duration, an event type, a channel...), reports its own
// mistakes through the CheckContext (at the node, in ctx.file()), and gives
// nullopt (or nothing) when the node does not hold one, so that a caller
// goes on to the next value: checking never stops at the first mistake.
#ifndef SWITCHBOARD_ENGINE_CHECK_YAML_VALUES_H_
#define SWITCHBOARD_ENGINE_CHECK_YAML_VALUES_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "engine/check/check_context.h"
#include "engine/check/checked_ruleset.h"
#include "engine/load/rule_file.h"

namespace switchboard::check {

// `s` without leading and trailing white space.
std::string Trim(std::string_view s);

// `node` for a message: 'its text' (one line, cut after 40 characters),
// "a list", "a map" or "nothing".
std::string Describe(const load::YamlNode& node);

bool ExpectMap(CheckContext& ctx, const load::YamlNode& node,
               std::string_view what);
bool ExpectList(CheckContext& ctx, const load::YamlNode& node,
                std::string_view what);
// Reports the keys of `map` that are not in `allowed`.
void CheckKeys(CheckContext& ctx, const load::YamlNode& map,
               std::initializer_list<const char*> allowed,
               std::string_view where);

std::optional<std::string> ReadString(CheckContext& ctx,
                                      const load::YamlNode& node,
                                      std::string_view what,
                                      bool allow_empty = false);
// A string that is a name of letters, digits and '_', not a CEL reserved
// word.
std::optional<std::string> ReadName(CheckContext& ctx,
                                    const load::YamlNode& node,
                                    std::string_view what);
std::optional<int64_t> ReadInt(CheckContext& ctx, const load::YamlNode& node,
                               std::string_view what);
std::optional<bool> ReadBool(CheckContext& ctx, const load::YamlNode& node,
                             std::string_view what);
// A positive duration such as '90s'.
std::optional<absl::Duration> ReadDuration(CheckContext& ctx,
                                           const load::YamlNode& node,
                                           std::string_view what);
std::optional<int> ReadSkillLevel(CheckContext& ctx,
                                  const load::YamlNode& node);
// A map of skill names to levels.
std::vector<SkillLevel> ReadSkills(CheckContext& ctx,
                                   const load::YamlNode& node,
                                   std::string_view what);
// A scalar or a list of scalars; `what` names one item.
std::vector<const load::YamlNode*> ReadScalars(CheckContext& ctx,
                                               const load::YamlNode& node,
                                               std::string_view what,
                                               bool allow_single);
// An event type such as 'cart.updated', or with `allow_prefix` a prefix
// such as 'cart.*'.
std::optional<EventPattern> ReadPattern(CheckContext& ctx,
                                        const load::YamlNode& node,
                                        std::string_view what,
                                        bool allow_prefix);
// A channel known to ctx.ruleset(): its index, or -1 (unknown ones are
// reported with a hint).
int ResolveChannel(CheckContext& ctx, const load::YamlNode& node,
                   std::string_view what);

// "; did you mean 'int'?" for a mistyped type name, including names other
// languages use (integer, float, boolean, str...).
std::string TypeHint(const std::string& name);

}  // namespace switchboard::check

#endif  // SWITCHBOARD_ENGINE_CHECK_YAML_VALUES_H_
