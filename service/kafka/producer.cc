// switchboard produce: events into the events topic (producer.h).
#include "service/kafka/producer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "service/kafka/records.h"
#include "switchboard/event.h"

namespace switchboard::service::kafka {
namespace {

std::string Text(const absl::Status& status) {
  return std::string(status.message());
}

struct Delivery {
  int64_t failed = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  auto* d = static_cast<Delivery*>(opaque);
  if (d->failed++ == 0) d->first_error = m->err;
}

}  // namespace

int32_t PartitionOf(std::string_view key, int32_t partitions) {
  constexpr uint32_t kM = 0x5bd1e995;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const size_t n = key.size();
  uint32_t h = 0x9747b28cu ^ static_cast<uint32_t>(n);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t k = static_cast<uint32_t>(data[i]) |
                 static_cast<uint32_t>(data[i + 1]) << 8 |
                 static_cast<uint32_t>(data[i + 2]) << 16 |
                 static_cast<uint32_t>(data[i + 3]) << 24;
    k *= kM;
    k ^= k >> 24;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  switch (n - i) {
    case 3:
      h ^= static_cast<uint32_t>(data[i + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(data[i + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint32_t>(data[i]);
      h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return static_cast<int32_t>((h & 0x7fffffffu) %
                              static_cast<uint32_t>(partitions));
}

absl::StatusOr<ProduceReport> ProduceEvents(const Ruleset& ruleset,
                                            const ProduceOptions& options,
                                            LineReader& lines,
                                            std::string_view source) {
  Settings settings = {{"bootstrap.servers", options.brokers},
                       {"client.id", "switchboard-produce"},
                       {"enable.idempotence", "true"},
                       {"linger.ms", "5"},
                       {"batch.num.messages", "10000"},
                       {"compression.type", "lz4"},
                       {"queue.buffering.max.messages", "1000000"}};
  settings.insert(settings.end(), options.settings.begin(),
                  options.settings.end());
  Delivery delivery;
  absl::StatusOr<Handle> producer =
      NewClient(RD_KAFKA_PRODUCER, settings, [&](rd_kafka_conf_t* conf) {
        rd_kafka_conf_set_opaque(conf, &delivery);
        rd_kafka_conf_set_dr_msg_cb(conf, &OnDelivery);
      });
  if (!producer.ok()) return producer.status();
  rd_kafka_t* rk = producer->get();
  absl::StatusOr<int32_t> partitions =
      PartitionCount(rk, options.topic, options.timeout);
  if (!partitions.ok()) return partitions.status();
  rd_kafka_topic_t* topic =
      rd_kafka_topic_new(rk, options.topic.c_str(), nullptr);
  ProduceReport report;
  report.partitions = *partitions;

  absl::Status failure;
  const auto send = [&](int32_t partition, std::string_view key,
                        std::string_view value, bool mark) {
    for (;;) {
      const rd_kafka_resp_err_t err =
          mark ? rd_kafka_producev(
                     rk, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_PARTITION(partition),
                     RD_KAFKA_V_KEY(key.data(), key.size()),
                     RD_KAFKA_V_VALUE(const_cast<char*>(value.data()),
                                      value.size()),
                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                     RD_KAFKA_V_HEADER(kMarkHeader.data(), kClockMark.data(),
                                       static_cast<ssize_t>(kClockMark.size())),
                     RD_KAFKA_V_END)
               : rd_kafka_producev(
                     rk, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_PARTITION(partition),
                     RD_KAFKA_V_KEY(key.data(), key.size()),
                     RD_KAFKA_V_VALUE(const_cast<char*>(value.data()),
                                      value.size()),
                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++report.records;
        return;
      }
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        if (failure.ok()) failure = KafkaError(err, "producing");
        return;
      }
      rd_kafka_poll(rk, 50);
    }
  };
  // Each partition's clock as the partition will see it, and the stream's.
  std::vector<absl::Time> clocks(static_cast<size_t>(*partitions),
                                 absl::InfinitePast());
  absl::Time largest = absl::InfinitePast();
  const auto mark = [&](int32_t partition, absl::Time time) {
    send(partition, "", ClockMarkValue(time), /*mark=*/true);
    clocks[static_cast<size_t>(partition)] = time;
    ++report.clock_marks;
  };

  EventReader reader(ruleset);
  Event event;
  LineReader::Line line;
  int64_t number = 0;
  const auto began = std::chrono::steady_clock::now();
  while (failure.ok() && lines.Next(&line)) {
    ++number;
    if (line.too_long) {
      ++report.bad_lines;
      fmt::print(
          stderr, "{}\n",
          FormatBadLine(source, number,
                        fmt::format("line too long ({} bytes)", line.length)));
      continue;
    }
    if (EventReader::IsBlankLine(line.text)) continue;
    if (absl::Status st = reader.Next(line.text, &event); !st.ok()) {
      ++report.bad_lines;
      fmt::print(stderr, "{}\n", FormatBadLine(source, number, Text(st)));
      continue;
    }
    std::string_view value = line.text;
    if (!value.empty() && value.back() == '\r') value.remove_suffix(1);
    const absl::Time t = event.time();
    const bool global = IsGlobalEvent(event.type());
    std::string_view key;
    int32_t first = 0, last = *partitions - 1;
    if (!global) {
      const Event::Attribute* a = event.Find(ruleset.session_key());
      key = a->string_value;
      first = last = PartitionOf(key, *partitions);
    }
    for (int32_t p = first; p <= last; ++p) {
      // A late event: its partition's clock goes where one engine's would.
      if (t < largest && clocks[static_cast<size_t>(p)] < largest) {
        mark(p, largest);
      }
      send(p, key, value, /*mark=*/false);
      clocks[static_cast<size_t>(p)] =
          std::max(clocks[static_cast<size_t>(p)], t);
    }
    ++report.events;
    if (global) ++report.global_events;
    if (t > largest) {
      largest = t;
      // Partitions that fell `mark_every` behind catch up.
      for (int32_t p = 0; p < *partitions; ++p) {
        if (clocks[static_cast<size_t>(p)] + options.mark_every <= largest) {
          mark(p, largest);
        }
      }
    }
    rd_kafka_poll(rk, 0);
    if (options.rate > 0) {
      const auto due =
          began +
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              std::chrono::duration<double>(static_cast<double>(report.events) /
                                            options.rate));
      std::this_thread::sleep_until(due);
    }
  }
  if (failure.ok() && !lines.status().ok()) failure = lines.status();
  if (failure.ok()) {
    const absl::Time end = options.until.value_or(largest);
    if (end != absl::InfinitePast()) {
      for (int32_t p = 0; p < *partitions; ++p) {
        if (clocks[static_cast<size_t>(p)] < end) mark(p, end);
      }
    }
  }
  const rd_kafka_resp_err_t flushed = rd_kafka_flush(
      rk, static_cast<int>(absl::ToInt64Milliseconds(options.timeout)));
  rd_kafka_topic_destroy(topic);
  if (!failure.ok()) return failure;
  if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError(flushed, "delivering the last records");
  }
  if (delivery.failed > 0) {
    return KafkaError(
        delivery.first_error,
        fmt::format("{} records were not delivered", delivery.failed));
  }
  return report;
}

}  // namespace switchboard::service::kafka
