// The rule language's built-in names and the CEL environment that conditions,
// `set` and `emit` values are checked and compiled against:
//   variable 0 `event`   object type "event": type, channel, time, the
//                        session key attribute, queue, waited (built-ins, in
//                        this order), then the declared attributes
//   variable 1 `session` object type "session": id, channel, started,
//                        last_seen, events (built-ins), then the declared
//                        fields
//   variable 2 `now`     timestamp
//   extensions           open(string) -> bool, open(string, timestamp) ->
//                        bool, channel_up(string) -> bool,
//                        queue(string) -> queue_stats (object type with
//                        waiting, available, longest_wait, estimated_wait)
// The runtime engine binds the variables by these indexes, reads objects by
// these field indexes and answers Activation::CallExtension for these ids.
#ifndef SWITCHBOARD_ENGINE_CHECK_RULE_ENV_H_
#define SWITCHBOARD_ENGINE_CHECK_RULE_ENV_H_

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/cel/env.h"
#include "engine/cel/types.h"

namespace switchboard::check {

// Variable indexes (cel::Activation::GetVariable).
inline constexpr int kEventVariable = 0;
inline constexpr int kSessionVariable = 1;
inline constexpr int kNowVariable = 2;

// Field indexes of the `event` object type.
inline constexpr int kEventTypeField = 0;     // string
inline constexpr int kEventChannelField = 1;  // string
inline constexpr int kEventTimeField = 2;     // timestamp
inline constexpr int kEventKeyField = 3;      // string, named by session.key
inline constexpr int kEventQueueField = 4;    // string (route.timeout)
inline constexpr int kEventWaitedField = 5;   // duration (route.timeout)
inline constexpr int kFirstDeclaredEventField = 6;

// Field indexes of the `session` object type.
inline constexpr int kSessionIdField = 0;        // string
inline constexpr int kSessionChannelField = 1;   // string
inline constexpr int kSessionStartedField = 2;   // timestamp
inline constexpr int kSessionLastSeenField = 3;  // timestamp
inline constexpr int kSessionEventsField = 4;    // int
inline constexpr int kFirstDeclaredSessionField = 5;

// Field indexes of the `queue_stats` object type (the result of queue()).
inline constexpr int kQueueWaitingField = 0;        // int
inline constexpr int kQueueAvailableField = 1;      // int
inline constexpr int kQueueLongestWaitField = 2;    // duration
inline constexpr int kQueueEstimatedWaitField = 3;  // duration

// Extension overload ids (cel::ExtensionDecl::id,
// cel::Activation::CallExtension).
inline constexpr int kOpenExtension = 1;    // open(string) -> bool
inline constexpr int kOpenAtExtension = 2;  // open(string, timestamp) -> bool
inline constexpr int kChannelUpExtension = 3;  // channel_up(string) -> bool
inline constexpr int kQueueExtension = 4;      // queue(string) -> queue_stats

// The channels every ruleset knows (docs/rule-language.md), in this order.
inline constexpr std::array<std::string_view, 12> kBuiltinChannels = {
    "web",   "chat",      "whatsapp",  "sms",      "rcs",  "email",
    "voice", "messenger", "instagram", "telegram", "push", "in_app"};

// Session events that end a queued or assigned conversation when a queue
// does not say (`ends_on`).
inline constexpr std::array<std::string_view, 2> kDefaultEndsOn = {
    "conversation.closed", "call.ended"};

// The event the engine emits when a route times out.
inline constexpr std::string_view kRouteTimeoutEvent = "route.timeout";

// Whether events of `type` are global (belong to no session): channel.down,
// channel.up and agent.* (docs/events-and-decisions.md).
bool IsGlobalEventType(std::string_view type);

// Whether every type starting with `prefix` (e.g. "agent.") is global.
bool IsGlobalEventPrefix(std::string_view prefix);

// The CEL declarations of a ruleset.
struct RuleEnv {
  std::shared_ptr<const cel::ObjectType> event_type;
  std::shared_ptr<const cel::ObjectType> session_type;
  std::shared_ptr<const cel::ObjectType> queue_stats_type;
  std::shared_ptr<const cel::Env> env;
};

// Builds the environment for a ruleset whose sessions are keyed by
// `session_key`, with the declared event attributes and session fields (in
// order; names must not collide with the built-ins: the caller checks).
RuleEnv BuildRuleEnv(
    std::string_view session_key,
    const std::vector<std::pair<std::string, cel::Type>>& attributes,
    const std::vector<std::pair<std::string, cel::Type>>& fields);

// Names of the built-in event attributes and session members, for checks
// and messages ("type", "channel", ... with the key in place).
std::vector<std::string> BuiltinEventAttributes(std::string_view session_key);
std::vector<std::string> BuiltinSessionMembers();

}  // namespace switchboard::check

#endif  // SWITCHBOARD_ENGINE_CHECK_RULE_ENV_H_
