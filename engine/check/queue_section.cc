// The `queues` section: every queue's name first (so that duplicates are
// reported at once), then each body: required skills, channels, the event
// types that end a conversation, relax steps and handle time.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "engine/check/rule_env.h"
#include "engine/check/sections.h"
#include "engine/check/yaml_values.h"
#include "engine/common/suggest.h"

namespace switchboard::check {
namespace {

using ::switchboard::common::DidYouMean;
using ::switchboard::load::RuleFile;
using ::switchboard::load::YamlNode;

void CheckQueue(CheckContext& ctx, const YamlNode& name_node,
                const YamlNode& body) {
  const std::string& name = name_node.value;
  Queue& queue = ctx.ruleset().queues[ctx.ruleset().FindQueue(name)];
  queue.pos = ctx.Pos(name_node);
  for (std::string_view e : kDefaultEndsOn) queue.ends_on.emplace_back(e);
  if (body.is_null()) return;
  if (!ExpectMap(ctx, body, "queue '" + name + "'")) return;
  const std::string where = "in queue '" + name + "'";
  CheckKeys(ctx, body,
            {"skills", "channels", "ends_on", "relax", "handle_time"}, where);
  if (const YamlNode* skills = body.Find("skills")) {
    queue.skills = ReadSkills(ctx, *skills, "skills");
  }
  if (const YamlNode* channels = body.Find("channels")) {
    if (!channels->is_null()) {
      for (const YamlNode* item :
           ReadScalars(ctx, *channels, "channels", /*allow_single=*/true)) {
        if (ResolveChannel(ctx, *item, "a queue channel") >= 0) {
          queue.channels.push_back(item->value);
        }
      }
    }
  }
  if (const YamlNode* ends_on = body.Find("ends_on")) {
    queue.ends_on.clear();
    if (!ends_on->is_null()) {
      for (const YamlNode* item :
           ReadScalars(ctx, *ends_on, "ends_on", /*allow_single=*/true)) {
        auto pattern =
            ReadPattern(ctx, *item, "ends_on", /*allow_prefix=*/false);
        if (!pattern) continue;
        if (IsGlobalEventType(pattern->text)) {
          ctx.Error(*item, "'" + pattern->text +
                               "' is a global event and belongs to no session; "
                               "it cannot end a conversation");
          continue;
        }
        queue.ends_on.push_back(pattern->text);
      }
    }
  }
  if (const YamlNode* relax = body.Find("relax")) {
    if (!relax->is_null() && ExpectList(ctx, *relax, "relax")) {
      std::vector<std::string> skill_names;
      for (const SkillLevel& s : queue.skills) skill_names.push_back(s.skill);
      std::optional<absl::Duration> previous;
      for (const YamlNode* step_node : relax->items) {
        if (!ExpectMap(ctx, *step_node, "a relax step")) continue;
        CheckKeys(ctx, *step_node, {"after", "drop", "skills"},
                  "in a relax step of queue '" + name + "'");
        RelaxStep step;
        const YamlNode* after = step_node->Find("after");
        const YamlNode* drop = step_node->Find("drop");
        const YamlNode* skills = step_node->Find("skills");
        bool ok = true;
        if (after == nullptr) {
          ctx.Error(*step_node,
                    "a relax step needs 'after', e.g. {after: 30s, drop: "
                    "[german]}");
          ok = false;
        } else if (auto d = ReadDuration(ctx, *after, "after")) {
          step.after = *d;
          if (previous && *d <= *previous) {
            ctx.Error(*after,
                      "relax steps must come in increasing 'after' "
                      "order");
          }
          previous = *d;
        } else {
          ok = false;
        }
        if ((drop == nullptr) == (skills == nullptr)) {
          ctx.Error(*step_node,
                    "a relax step needs either 'drop' (skills no "
                    "longer required) or 'skills' (lower levels)");
          ok = false;
        }
        auto known_skill = [&](const YamlNode& node) {
          if (std::find(skill_names.begin(), skill_names.end(), node.value) !=
              skill_names.end()) {
            return true;
          }
          ctx.Error(node, "queue '" + name + "' does not require skill '" +
                              node.value + "'" +
                              DidYouMean(node.value, skill_names));
          return false;
        };
        if (drop != nullptr) {
          for (const YamlNode* item :
               ReadScalars(ctx, *drop, "drop", /*allow_single=*/true)) {
            if (known_skill(*item)) step.drop.push_back(item->value);
          }
        }
        if (skills != nullptr && ExpectMap(ctx, *skills, "relax skills")) {
          for (const YamlNode::Entry& e : skills->entries) {
            if (!known_skill(*e.key)) continue;
            if (auto level = ReadSkillLevel(ctx, *e.value)) {
              step.skills.push_back(SkillLevel{e.key->value, *level});
            }
          }
        }
        if (ok) queue.relax.push_back(std::move(step));
      }
    }
  }
  if (const YamlNode* handle_time = body.Find("handle_time")) {
    if (auto d = ReadDuration(ctx, *handle_time, "handle_time")) {
      queue.handle_time = *d;
    }
  }
}

}  // namespace

void CheckQueues(CheckContext& ctx, const std::vector<Section>& sections) {
  struct Declared {
    const RuleFile* file;
    const YamlNode* key;
    const YamlNode* value;
  };
  std::vector<Declared> declared;
  for (const Section& section : sections) {
    ctx.set_file(section.file);
    const YamlNode& body = *section.value;
    if (body.is_null() || !ExpectMap(ctx, body, "queues")) continue;
    for (const YamlNode::Entry& e : body.entries) {
      const std::string& name = e.key->value;
      if (name.empty()) continue;
      const int existing = ctx.ruleset().FindQueue(name);
      if (existing >= 0) {
        ctx.Error(*e.key, "queue '" + name + "' is already declared at " +
                              ctx.Where(declared[existing].file,
                                        declared[existing].key->line));
        continue;
      }
      ctx.ruleset().queue_index.emplace(
          name, static_cast<int>(ctx.ruleset().queues.size()));
      Queue q;
      q.name = name;
      ctx.ruleset().queues.push_back(std::move(q));
      declared.push_back({ctx.file(), e.key, e.value});
    }
  }
  for (const Declared& d : declared) {
    ctx.set_file(d.file);
    CheckQueue(ctx, *d.key, *d.value);
  }
}

}  // namespace switchboard::check
