// CheckRuleset() (checker.h): the stages of checking, in order. The
// sections of all files are collected first; then each kind of section is
// read (sections.h, one file per section), the environment of CEL
// conditions is built, the rules and their actions are checked
// (rule_checks.h, action_checks.h) and the ruleset is analysed as a whole
// (ruleset_analyses.h). The stages share a CheckContext (check_context.h):
// the diagnostics, the CheckedRuleset being built, and what each stage
// records for a later one.
#include "engine/check/checker.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/check/check_context.h"
#include "engine/check/rule_checks.h"
#include "engine/check/ruleset_analyses.h"
#include "engine/check/sections.h"
#include "engine/check/yaml_values.h"
#include "engine/common/suggest.h"

namespace switchboard::check {
namespace {

using ::switchboard::common::DidYouMean;
using ::switchboard::load::RuleFile;
using ::switchboard::load::YamlNode;

// The top-level sections of all the files, in load order.
struct Sections {
  std::optional<Section> ruleset_name;  // `ruleset`: at most one
  std::optional<Section> session;       // at most one
  std::vector<Section> event, calendars, channels, queues, rules;
};

Sections CollectSections(CheckContext& ctx) {
  Sections sections;
  for (const RuleFile* file : ctx.files()) {
    ctx.set_file(file);
    const YamlNode& root = file->root();
    if (root.is_null()) continue;  // an empty file
    if (!root.is_map()) {
      ctx.Error(
          root,
          "a rule file must be a map of sections (ruleset, session, event, "
          "calendars, channels, queues, rules), got " +
              Describe(root));
      continue;
    }
    for (const YamlNode::Entry& e : root.entries) {
      const std::string& key = e.key->value;
      const Section section{file, e.key, e.value};
      auto once = [&](std::optional<Section>* slot) {
        if (*slot) {
          ctx.Error(*e.key, "'" + key + "' is already given at " +
                                ctx.Where((*slot)->file, (*slot)->key->line));
        } else {
          *slot = section;
        }
      };
      if (key == "ruleset") {
        once(&sections.ruleset_name);
      } else if (key == "session") {
        once(&sections.session);
      } else if (key == "event") {
        sections.event.push_back(section);
      } else if (key == "calendars") {
        sections.calendars.push_back(section);
      } else if (key == "channels") {
        sections.channels.push_back(section);
      } else if (key == "queues") {
        sections.queues.push_back(section);
      } else if (key == "rules") {
        sections.rules.push_back(section);
      } else {
        ctx.Error(
            *e.key,
            "unknown key '" + key + "' at the top level" +
                DidYouMean(key, std::vector<std::string>(
                                    {"ruleset", "session", "event", "calendars",
                                     "channels", "queues", "rules"})));
      }
    }
  }
  return sections;
}

void CheckRulesetName(CheckContext& ctx,
                      const std::optional<Section>& ruleset_name) {
  for (const RuleFile* f : ctx.files())
    ctx.ruleset().files.push_back(f->name());
  if (!ruleset_name) {
    ctx.ErrorInFile(
        ctx.files().empty() ? "" : ctx.files().front()->name(),
        "missing 'ruleset': every ruleset needs a name, e.g. 'ruleset: shop'");
    return;
  }
  ctx.set_file(ruleset_name->file);
  if (auto name = ReadString(ctx, *ruleset_name->value, "ruleset")) {
    ctx.ruleset().name = *name;
  }
}

// The stages, in order.
std::unique_ptr<CheckedRuleset> Check(const std::vector<const RuleFile*>& files,
                                      const CheckOptions& options,
                                      std::vector<Diagnostic>* diagnostics) {
  CheckContext ctx(files, options, diagnostics);
  const Sections sections = CollectSections(ctx);
  CheckRulesetName(ctx, sections.ruleset_name);
  const std::vector<PendingDefault> defaults = CheckSession(
      ctx, sections.session.has_value() ? &*sections.session : nullptr);
  CheckEventSchema(ctx, sections.event);
  BuildEnvironment(ctx);
  CheckFieldDefaults(ctx, defaults);
  CheckCalendars(ctx, sections.calendars);
  CheckChannels(ctx, sections.channels);
  CheckQueues(ctx, sections.queues);
  CheckRules(ctx, sections.rules);
  AnalyzeRuleset(ctx);
  if (ctx.errors() > 0) return nullptr;
  return ctx.TakeRuleset();
}

}  // namespace

std::unique_ptr<CheckedRuleset> CheckRuleset(
    const std::vector<const RuleFile*>& files, const CheckOptions& options,
    std::vector<Diagnostic>* diagnostics) {
  return Check(files, options, diagnostics);
}

}  // namespace switchboard::check
