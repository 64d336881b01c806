// Handles, settings and partition reads on librdkafka (client.h).
#include "service/kafka/client.h"

#include <chrono>

#include "fmt/format.h"

namespace switchboard::service::kafka {
namespace {

int Millis(absl::Duration d) {
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(d), 1 << 30));
}

// librdkafka's log, on stderr in switchboard's form. Settings meant for the
// other kind of client (--kafka-config goes to every client) are not
// worth a warning.
void Log(const rd_kafka_t*, int level, const char* facility, const char* text) {
  const std::string_view message(text);
  if (message.find("will be ignored by this") != std::string_view::npos) {
    return;
  }
  fmt::print(stderr, "switchboard: kafka: {} {}: {}\n",
             level <= 3   ? "error"
             : level == 4 ? "warning"
                          : "note",
             facility, message);
}

}  // namespace

absl::StatusOr<Handle> NewClient(
    rd_kafka_type_t type, const Settings& settings,
    const std::function<void(rd_kafka_conf_t*)>& prepare) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error,
                          sizeof(error)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(
          fmt::format("Kafka setting {}={}: {}", name, value, error));
    }
  }
  rd_kafka_conf_set_log_cb(conf, &Log);
  if (prepare) prepare(conf);
  rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof(error));
  if (rk == nullptr) {  // conf is still ours
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(
        fmt::format("cannot make a Kafka client: {}", error));
  }
  return Handle(rk);
}

absl::Status KafkaError(rd_kafka_resp_err_t err, std::string_view what) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  const std::string message = fmt::format(
      "{}: {} ({})", what, rd_kafka_err2str(err), rd_kafka_err2name(err));
  switch (err) {
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
      return absl::FailedPreconditionError(message);
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return absl::NotFoundError(message);
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::Status KafkaError(rd_kafka_error_t* error, std::string_view what) {
  if (error == nullptr) return absl::OkStatus();
  const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
  absl::Status st = KafkaError(code, what);
  const std::string message =
      fmt::format("{}: {}", what, rd_kafka_error_string(error));
  rd_kafka_error_destroy(error);
  return absl::Status(st.code(), message);
}

absl::StatusOr<int32_t> PartitionCount(rd_kafka_t* rk, const std::string& topic,
                                       absl::Duration timeout) {
  // The metadata of every topic: asking for one by name would create it on
  // a cluster that creates topics on demand.
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, /*all_topics=*/1, nullptr, &md, Millis(timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError(err, fmt::format("the metadata of topic '{}'", topic));
  }
  absl::StatusOr<int32_t> count =
      absl::NotFoundError(fmt::format("topic '{}' does not exist", topic));
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (topic != t.topic) continue;
    if (t.err == RD_KAFKA_RESP_ERR_NO_ERROR && t.partition_cnt > 0) {
      count = t.partition_cnt;
    } else if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR &&
               t.err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      count = KafkaError(t.err, fmt::format("topic '{}'", topic));
    }
  }
  rd_kafka_metadata_destroy(md);
  return count;
}

absl::StatusOr<Watermarks> QueryWatermarks(rd_kafka_t* rk,
                                           const std::string& topic,
                                           int32_t partition,
                                           absl::Duration timeout) {
  Watermarks w;
  const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      rk, topic.c_str(), partition, &w.low, &w.high, Millis(timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError(err,
                      fmt::format("the offsets of {}[{}]", topic, partition));
  }
  return w;
}

std::optional<std::string_view> HeaderValue(const rd_kafka_message_t& message,
                                            const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) !=
          RD_KAFKA_RESP_ERR_NO_ERROR ||
      headers == nullptr) {
    return std::nullopt;
  }
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  return std::string_view(static_cast<const char*>(value), size);
}

absl::StatusOr<ReadRange> ReadToEnd(
    rd_kafka_t* reader, const std::string& topic, int32_t partition,
    int64_t from, absl::Duration timeout,
    const std::function<void(const rd_kafka_message_t&)>& visit) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<Watermarks> marks =
      QueryWatermarks(reader, topic, partition, timeout);
  if (!marks.ok()) return marks.status();
  const int64_t start = std::max(from, marks->low);
  if (start >= marks->high) return ReadRange{start, marks->high};
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)
      ->offset = start;
  if (rd_kafka_resp_err_t err = rd_kafka_assign(reader, list.get())) {
    return KafkaError(err, fmt::format("reading {}[{}]", topic, partition));
  }
  absl::Status status;
  for (;;) {
    Message m(rd_kafka_consumer_poll(reader, 100));
    if (m == nullptr) {
      if (absl::Now() > deadline) {
        status = absl::DeadlineExceededError(fmt::format(
            "reading {}[{}] from {} to {} took more than {}", topic, partition,
            start, marks->high, absl::FormatDuration(timeout)));
        break;
      }
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (m->offset >= marks->high) break;
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status =
          KafkaError(m->err, fmt::format("reading {}[{}]", topic, partition));
      break;
    }
    visit(*m);
    if (m->offset + 1 >= marks->high) break;
  }
  rd_kafka_assign(reader, nullptr);
  if (!status.ok()) return status;
  return ReadRange{start, marks->high};
}

}  // namespace switchboard::service::kafka
