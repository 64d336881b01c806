// The rule language's CEL environment (see rule_env.h).
#include "engine/check/rule_env.h"

#include <utility>

namespace switchboard::check {

bool IsGlobalEventType(std::string_view type) {
  return type == "channel.down" || type == "channel.up" ||
         (type.size() > 6 && type.substr(0, 6) == "agent.");
}

bool IsGlobalEventPrefix(std::string_view prefix) {
  return prefix.size() >= 6 && prefix.substr(0, 6) == "agent.";
}

std::vector<std::string> BuiltinEventAttributes(std::string_view session_key) {
  return {"type",  "channel", "time", std::string(session_key),
          "queue", "waited"};
}

std::vector<std::string> BuiltinSessionMembers() {
  return {"id", "channel", "started", "last_seen", "events"};
}

RuleEnv BuildRuleEnv(
    std::string_view session_key,
    const std::vector<std::pair<std::string, cel::Type>>& attributes,
    const std::vector<std::pair<std::string, cel::Type>>& fields) {
  auto event = std::make_shared<cel::ObjectType>("event", "attribute");
  event->AddField("type", cel::Type::String());
  event->AddField("channel", cel::Type::String());
  event->AddField("time", cel::Type::Timestamp());
  event->AddField(std::string(session_key), cel::Type::String());
  event->AddField("queue", cel::Type::String());
  event->AddField("waited", cel::Type::Duration());
  for (const auto& [name, type] : attributes) event->AddField(name, type);

  auto session = std::make_shared<cel::ObjectType>("session", "field");
  session->AddField("id", cel::Type::String());
  session->AddField("channel", cel::Type::String());
  session->AddField("started", cel::Type::Timestamp());
  session->AddField("last_seen", cel::Type::Timestamp());
  session->AddField("events", cel::Type::Int());
  for (const auto& [name, type] : fields) session->AddField(name, type);

  auto stats = std::make_shared<cel::ObjectType>("queue_stats", "statistic");
  stats->AddField("waiting", cel::Type::Int());
  stats->AddField("available", cel::Type::Int());
  stats->AddField("longest_wait", cel::Type::Duration());
  stats->AddField("estimated_wait", cel::Type::Duration());

  auto env = std::make_shared<cel::Env>();
  env->AddVariable("event", cel::Type::Object(event));
  env->AddVariable("session", cel::Type::Object(session));
  env->AddVariable("now", cel::Type::Timestamp());
  env->AddExtension({"open",
                     false,
                     {cel::Type::String()},
                     cel::Type::Bool(),
                     kOpenExtension});
  env->AddExtension({"open",
                     false,
                     {cel::Type::String(), cel::Type::Timestamp()},
                     cel::Type::Bool(),
                     kOpenAtExtension});
  env->AddExtension({"channel_up",
                     false,
                     {cel::Type::String()},
                     cel::Type::Bool(),
                     kChannelUpExtension});
  env->AddExtension({"queue",
                     false,
                     {cel::Type::String()},
                     cel::Type::Object(stats),
                     kQueueExtension});

  RuleEnv result;
  result.event_type = std::move(event);
  result.session_type = std::move(session);
  result.queue_stats_type = std::move(stats);
  result.env = std::move(env);
  return result;
}

}  // namespace switchboard::check
