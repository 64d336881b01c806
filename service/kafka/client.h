// The few things every Kafka client of switchboard needs from librdkafka
// (Debian's librdkafka-dev, the C API): handles that free themselves,
// configuration from name=value settings with errors as Status, partition
// counts, watermarks, headers, and reading one partition to its end.
//
// Thread-safety: librdkafka's handles are thread-safe as librdkafka says;
// these helpers add no state of their own.
#ifndef SWITCHBOARD_SERVICE_KAFKA_CLIENT_H_
#define SWITCHBOARD_SERVICE_KAFKA_CLIENT_H_

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace switchboard::service::kafka {

// librdkafka settings (CONFIGURATION.md of librdkafka), applied in order: a
// later one wins.
using Settings = std::vector<std::pair<std::string, std::string>>;

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList =
    std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// A new client of `type` with `settings`; `prepare`, when given, sets
// callbacks and the opaque on the configuration before the client is made.
// Errors: InvalidArgument naming a setting librdkafka refuses, Internal when
// the client cannot be made.
absl::StatusOr<Handle> NewClient(
    rd_kafka_type_t type, const Settings& settings,
    const std::function<void(rd_kafka_conf_t*)>& prepare = nullptr);

// A Status for a librdkafka error: Unavailable for the transport and
// broker errors a retry may cure, FailedPrecondition for fencing, Internal
// otherwise; the message is "WHAT: librdkafka's text".
absl::Status KafkaError(rd_kafka_resp_err_t err, std::string_view what);
// The same for an rd_kafka_error_t, which it destroys (null: OK).
absl::Status KafkaError(rd_kafka_error_t* error, std::string_view what);

// The number of partitions of `topic`. Errors: NotFound when it does not
// exist, Unavailable when the brokers do not answer within `timeout`.
absl::StatusOr<int32_t> PartitionCount(rd_kafka_t* rk, const std::string& topic,
                                       absl::Duration timeout);

// The low and high watermarks of a partition (the first offset kept, the
// offset the next record gets).
struct Watermarks {
  int64_t low = 0;
  int64_t high = 0;
};
absl::StatusOr<Watermarks> QueryWatermarks(rd_kafka_t* rk,
                                           const std::string& topic,
                                           int32_t partition,
                                           absl::Duration timeout);

// The value of header `name` of `message`, or nullopt.
std::optional<std::string_view> HeaderValue(const rd_kafka_message_t& message,
                                            const char* name);

// A record's key and value as views.
inline std::string_view Key(const rd_kafka_message_t& m) {
  return {static_cast<const char*>(m.key), m.key_len};
}
inline std::string_view Value(const rd_kafka_message_t& m) {
  return {static_cast<const char*>(m.payload), m.len};
}

// Reads partition `partition` of `topic` with `reader` (a consumer made
// with enable.partition.eof=true and no subscription), from `from` (or the
// first offset kept, when later) to the high watermark at the time of the
// call, passing each record to `visit` in offset order. With
// isolation.level=read_committed it waits for the transactions open below
// that mark to end. Returns where it started (the low watermark when
// retention deleted records after `from`) and that high watermark. Errors:
// DeadlineExceeded past `timeout`, and the consumer's errors.
struct ReadRange {
  int64_t start = 0;
  int64_t end = 0;
};
absl::StatusOr<ReadRange> ReadToEnd(
    rd_kafka_t* reader, const std::string& topic, int32_t partition,
    int64_t from, absl::Duration timeout,
    const std::function<void(const rd_kafka_message_t&)>& visit);

}  // namespace switchboard::service::kafka

#endif  // SWITCHBOARD_SERVICE_KAFKA_CLIENT_H_
