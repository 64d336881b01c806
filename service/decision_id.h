// A decision as the service writes it: `run`'s JSON object plus an "id"
// member, last (docs/scale-out.md, "Records"). Both the stdin/HTTP
// service (INSTANCE-SEQ-K, docs/serving.md) and the Kafka partitions
// (TOPIC-PARTITION-OFFSET-K, docs/scale-out.md) write them this way.
#ifndef SWITCHBOARD_SERVICE_DECISION_ID_H_
#define SWITCHBOARD_SERVICE_DECISION_ID_H_

#include <charconv>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "fmt/format.h"
#include "switchboard/decision.h"

namespace switchboard::service {

// The text between a decision's last member and K: `,"id":"` and the id's
// prefix, "INSTANCE-SEQ-" or "TOPIC-PARTITION-OFFSET-". Reused for every
// decision of one input.
inline void SetIdHead(std::string* head, std::string_view prefix,
                      uint64_t seq) {
  head->clear();
  fmt::format_to(std::back_inserter(*head), ",\"id\":\"{}{}-", prefix, seq);
}

// Appends `decision` as one JSON object whose last member is the id
// `head` (SetIdHead) followed by `k`; no newline.
inline void AppendDecisionWithId(const Decision& decision,
                                 std::string_view head, int64_t k,
                                 std::string* out) {
  decision.AppendJson(out);
  out->pop_back();  // the object's closing brace
  out->append(head);
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), k);
  out->append(digits, end);
  out->append("\"}");
}

}  // namespace switchboard::service

#endif  // SWITCHBOARD_SERVICE_DECISION_ID_H_
