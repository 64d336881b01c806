// Internal to engine/check: the readers of the top-level sections of rule
// files other than `rules`, in the order CheckRuleset() runs them. Each
// reads its sections (from every file that has one) into ctx.ruleset(),
// reporting every mistake, and goes on past them.
#ifndef SWITCHBOARD_ENGINE_CHECK_SECTIONS_H_
#define SWITCHBOARD_ENGINE_CHECK_SECTIONS_H_

#include <cstdint>
#include <vector>

#include "engine/check/check_context.h"
#include "engine/load/rule_file.h"

namespace switchboard::check {

// A declared session field whose default (`int = 0`) is checked once the
// CEL environment exists.
struct PendingDefault {
  const load::RuleFile* file;
  const load::YamlNode* node;  // the field's value: 'TYPE = DEFAULT'
  int64_t offset;              // of the default in the value
  int field;                   // index in ctx.ruleset().session.fields
};

// session_section.cc: `session` (its key, expiry and fields; null when no
// file has one). Returns the fields' defaults, for CheckFieldDefaults.
std::vector<PendingDefault> CheckSession(CheckContext& ctx,
                                         const Section* session);

// event_section.cc: the declared `event` attributes.
void CheckEventSchema(CheckContext& ctx, const std::vector<Section>& sections);

// event_section.cc: the `event` and `session` object types and the CEL
// environment of conditions, from the attributes and fields read so far.
void BuildEnvironment(CheckContext& ctx);

// session_section.cc: the defaults of session fields, constant expressions
// of the field's type (durations and timestamps may be written bare).
void CheckFieldDefaults(CheckContext& ctx,
                        const std::vector<PendingDefault>& pending);

// calendar_section.cc: `calendars` (time zone, weekly hours, closed days,
// special days).
void CheckCalendars(CheckContext& ctx, const std::vector<Section>& sections);

// channel_section.cc: the built-in channels and the declared `channels`
// with their fallbacks.
void CheckChannels(CheckContext& ctx, const std::vector<Section>& sections);

// queue_section.cc: `queues` (skills, channels, ends_on, relax steps,
// handle time).
void CheckQueues(CheckContext& ctx, const std::vector<Section>& sections);

}  // namespace switchboard::check

#endif  // SWITCHBOARD_ENGINE_CHECK_SECTIONS_H_
