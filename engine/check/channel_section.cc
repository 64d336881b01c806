// The `channels` section: the built-in channels, then the declared ones and
// their fallbacks (which may name a channel declared later).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/check/rule_env.h"
#include "engine/check/sections.h"
#include "engine/check/yaml_values.h"

namespace switchboard::check {

using ::switchboard::load::RuleFile;
using ::switchboard::load::YamlNode;

void CheckChannels(CheckContext& ctx, const std::vector<Section>& sections) {
  for (std::string_view name : kBuiltinChannels) {
    Channel c;
    c.name = std::string(name);
    c.builtin = true;
    ctx.ruleset().channel_index.emplace(
        c.name, static_cast<int>(ctx.ruleset().channels.size()));
    ctx.ruleset().channels.push_back(std::move(c));
  }
  // First every declared name (a fallback may name a channel declared
  // later), then the bodies.
  struct Declared {
    const RuleFile* file;
    const YamlNode* key;
    const YamlNode* value;
    int index;
  };
  std::vector<Declared> declared;
  absl::flat_hash_map<std::string, std::pair<const RuleFile*, int>> seen;
  for (const Section& section : sections) {
    ctx.set_file(section.file);
    const YamlNode& body = *section.value;
    if (body.is_null() || !ExpectMap(ctx, body, "channels")) continue;
    for (const YamlNode::Entry& e : body.entries) {
      const std::string& name = e.key->value;
      if (name.empty()) continue;
      auto [it, inserted] =
          seen.emplace(name, std::make_pair(ctx.file(), e.key->line));
      if (!inserted) {
        ctx.Error(*e.key, "channel '" + name + "' is already declared at " +
                              ctx.Where(it->second.first, it->second.second));
        continue;
      }
      int index = ctx.ruleset().FindChannel(name);
      if (index < 0) {
        index = static_cast<int>(ctx.ruleset().channels.size());
        Channel c;
        c.name = name;
        ctx.ruleset().channel_index.emplace(name, index);
        ctx.ruleset().channels.push_back(std::move(c));
      }
      ctx.ruleset().channels[index].declared = true;
      declared.push_back({ctx.file(), e.key, e.value, index});
    }
  }
  for (const Declared& d : declared) {
    ctx.set_file(d.file);
    const std::string& name = d.key->value;
    if (d.value->is_null()) continue;
    if (!ExpectMap(ctx, *d.value, "channel '" + name + "'")) continue;
    CheckKeys(ctx, *d.value, {"fallback"}, "in channel '" + name + "'");
    const YamlNode* fallback = d.value->Find("fallback");
    if (fallback == nullptr || fallback->is_null()) continue;
    std::vector<std::string> names;
    for (const YamlNode* item :
         ReadScalars(ctx, *fallback, "fallback", /*allow_single=*/true)) {
      const int index = ResolveChannel(ctx, *item, "a fallback");
      if (index < 0) continue;
      if (index == d.index) {
        ctx.Error(*item, "channel '" + name + "' cannot fall back to itself");
        continue;
      }
      names.push_back(item->value);
    }
    ctx.ruleset().channels[d.index].fallback = std::move(names);
  }
}

}  // namespace switchboard::check
