// `switchboard produce RULES --kafka BROKERS --topic T FILE|-`: JSON Lines
// events into the events topic the way `serve --kafka` needs them
// (docs/scale-out.md, "Producing events"):
//
//   - an event goes to partition murmur2(key) mod |T| of its session key
//     (the ruleset's `session.key`), the partitioner of the Java client and
//     librdkafka's `murmur2_random`, so that other producers can match it;
//     the record's key is the session key, its value the line as read;
//   - a global event (channel.down, channel.up, agent.*) goes to every
//     partition;
//   - clock marks (records.h) keep each partition's clock where a single
//     engine's would be over the whole stream: before an event dated behind
//     the largest time so far (a late event) its partition gets a mark of
//     that time, if it is not there yet; a partition that got nothing for
//     `mark_every` of event time gets one; and at the end every partition
//     gets one of the largest time (or of `until`). So serve --kafka --clock
//     event decides what `run` decides over the same lines.
//
// Lines are checked against the ruleset as `run` reads them; bad ones are
// reported on stderr (FILE:LINE: error: MESSAGE) and skipped.
#ifndef SWITCHBOARD_SERVICE_KAFKA_PRODUCER_H_
#define SWITCHBOARD_SERVICE_KAFKA_PRODUCER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/kafka/client.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"

namespace switchboard::service::kafka {

struct ProduceOptions {
  std::string brokers;
  std::string topic;
  // librdkafka settings after switchboard's own (--kafka-config).
  Settings settings;
  // A partition that got no record for this much event time gets a clock
  // mark of the largest time so far (liveness: an idle partition's timers
  // fire within this much event time). Default: 10 s.
  absl::Duration mark_every = absl::Seconds(10);
  // The time of the last marks (`run --until`); default: the largest event
  // time of the input.
  std::optional<absl::Time> until;
  // Events per second at most (0: as fast as the brokers take them).
  double rate = 0;
  // How long to wait for the brokers (metadata, the last deliveries).
  absl::Duration timeout = absl::Seconds(60);
};

struct ProduceReport {
  int32_t partitions = 0;
  int64_t events = 0;         // lines sent (a global event counts once)
  int64_t global_events = 0;  // of which global: sent to every partition
  int64_t records = 0;        // records produced, clock marks included
  int64_t clock_marks = 0;
  int64_t bad_lines = 0;
};

// The partition of a record keyed `key` in a topic of `partitions`
// partitions: murmur2 (Kafka's variant, seed 0x9747b28c) of the key's
// bytes, its top bit cleared, modulo `partitions`.
int32_t PartitionOf(std::string_view key, int32_t partitions);

// Produces the lines of `lines` (named `source` in messages). Errors: the
// topic cannot be described, a record could not be delivered (the report
// is lost then: some records may be in the topic).
absl::StatusOr<ProduceReport> ProduceEvents(const Ruleset& ruleset,
                                            const ProduceOptions& options,
                                            LineReader& lines,
                                            std::string_view source);

}  // namespace switchboard::service::kafka

#endif  // SWITCHBOARD_SERVICE_KAFKA_PRODUCER_H_
