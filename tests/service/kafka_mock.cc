// A Kafka cluster for tests, with no broker: librdkafka's mock cluster
// (rdkafka_mock.h) in a process of its own, on loopback, and a reader of
// topics (tests/service/kafka_test.py, bench/kafka_bench.py).
//
//   switchboard_kafka_mock cluster [--brokers N] [--topic NAME:PARTITIONS]...
//       Starts the cluster, creates the topics, prints "bootstrap
//       HOST:PORT,..." on stdout, then takes commands on stdin, one a line,
//       answering "ok" (or "error: ...") to each:
//         topic NAME PARTITIONS           create a topic
//         errors APIKEY COUNT CODE...     the next COUNT requests of APIKEY
//                                         (numeric: 0 Produce, 1 Fetch, 24
//                                         AddPartitionsToTxn, 26 EndTxn...)
//                                         fail with the CODEs in turn
//                                         (rd_kafka_mock_push_request_errors)
//       and ends at the end of stdin (the cluster goes with it).
//   switchboard_kafka_mock abort BROKERS TOPIC VALUE
//       Produces VALUE to partition 0 of TOPIC in a transaction, and aborts
//       it (the measurement of docs/scale-out.md, "Exactly once").
//   switchboard_kafka_mock read BROKERS TOPIC
//       Prints every record of every partition of TOPIC, as a
//       read_committed consumer sees it, from the first offset kept to the
//       end, one per line: PARTITION OFFSET HEADER KEY VALUE, separated by
//       tabs (HEADER: the value of the "switchboard" header, or "-").
//   switchboard_kafka_mock latency BROKERS EVENTS DECISIONS COUNT|- TIMEOUT_S
//       Produce-to-decision latency (bench/kafka_bench.py --latency). A
//       read_committed consumer of every partition of EVENTS and
//       DECISIONS, from the first offset kept: each event record's
//       timestamp (CreateTime: when `switchboard produce` produced it) by
//       partition and offset, and for each decision the wall clock
//       (CLOCK_REALTIME) when it was received, and the event its "id"
//       (EVENTS-P-OFFSET-K) names. Prints "ready" once it fetches from every
//       partition, then, when COUNT decisions were received (with "-": the
//       count is a line on stdin, written once known) or TIMEOUT_S seconds
//       passed, one line:
//         decisions N min MS p50 MS p90 MS p99 MS p99.9 MS max MS
//         unmatched U events_ms E
//       the latency of each decision being its receipt time less its
//       event's timestamp (which has milliseconds only); U decisions whose
//       event was not read (dropped by the mock's full log) or whose id did
//       not parse; E the milliseconds from the first event timestamp to the
//       last. Exits 1 when fewer than COUNT decisions came.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: switchboard_kafka_mock cluster [--brokers N] "
               "[--topic NAME:PARTITIONS]...\n"
               "       switchboard_kafka_mock abort BROKERS TOPIC VALUE\n"
               "       switchboard_kafka_mock read BROKERS TOPIC\n"
               "       switchboard_kafka_mock latency BROKERS EVENTS "
               "DECISIONS COUNT|- TIMEOUT_S\n");
  return 2;
}

rd_kafka_t* NewClient(
    rd_kafka_type_t type,
    const std::vector<std::pair<std::string, std::string>>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error,
                          sizeof(error)) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "kafka_mock: %s\n", error);
      std::exit(1);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof(error));
  if (rk == nullptr) {
    std::fprintf(stderr, "kafka_mock: %s\n", error);
    std::exit(1);
  }
  return rk;
}

// The partition count of TOPIC, from the cluster's metadata; 0 when there
// is no such topic.
int PartitionCount(rd_kafka_t* rk, const char* topic) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic, nullptr);
  int partitions = 0;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
      partitions = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(rkt);
  return partitions;
}

int Cluster(int argc, char** argv) {
  int brokers = 1;
  std::vector<std::pair<std::string, int>> topics;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--brokers" && i + 1 < argc) {
      brokers = std::atoi(argv[++i]);
    } else if (arg == "--topic" && i + 1 < argc) {
      const std::string t = argv[++i];
      const size_t colon = t.rfind(':');
      if (colon == std::string::npos) return Usage();
      topics.push_back({t.substr(0, colon), std::atoi(t.c_str() + colon + 1)});
    } else {
      return Usage();
    }
  }
  // The cluster lives in the background threads of this client.
  rd_kafka_t* host = NewClient(RD_KAFKA_PRODUCER, {{"log_level", "3"}});
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, brokers);
  if (cluster == nullptr) {
    std::fprintf(stderr, "kafka_mock: cannot make the mock cluster\n");
    return 1;
  }
  for (const auto& [name, partitions] : topics) {
    if (rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "kafka_mock: cannot create topic %s\n",
                   name.c_str());
      return 1;
    }
  }
  std::printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string command;
    in >> command;
    if (command == "topic") {
      std::string name;
      int partitions = 0;
      in >> name >> partitions;
      const rd_kafka_resp_err_t err =
          rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1);
      std::printf("%s\n", err ? rd_kafka_err2str(err) : "ok");
    } else if (command == "errors") {
      int api = 0;
      size_t count = 0;
      in >> api >> count;
      std::vector<rd_kafka_resp_err_t> codes;
      int code = 0;
      while (in >> code)
        codes.push_back(static_cast<rd_kafka_resp_err_t>(code));
      if (codes.empty() || count == 0) {
        std::printf("error: errors APIKEY COUNT CODE...\n");
      } else {
        std::vector<rd_kafka_resp_err_t> all;
        for (size_t i = 0; i < count; ++i)
          all.push_back(codes[i % codes.size()]);
        rd_kafka_mock_push_request_errors_array(
            cluster, static_cast<int16_t>(api), all.size(), all.data());
        std::printf("ok\n");
      }
    } else if (!command.empty()) {
      std::printf("error: unknown command '%s'\n", command.c_str());
    }
    std::fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
  return 0;
}

int Abort(const char* brokers, const char* topic, const char* value) {
  rd_kafka_t* rk = NewClient(RD_KAFKA_PRODUCER,
                             {{"bootstrap.servers", brokers},
                              {"transactional.id", "switchboard-kafka-mock"},
                              {"log_level", "3"}});
  const auto check = [](rd_kafka_error_t* error, const char* what) {
    if (error == nullptr) return true;
    std::fprintf(stderr, "kafka_mock: %s: %s\n", what,
                 rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return false;
  };
  if (!check(rd_kafka_init_transactions(rk, 10000), "init_transactions") ||
      !check(rd_kafka_begin_transaction(rk), "begin_transaction")) {
    return 1;
  }
  if (rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
          RD_KAFKA_V_VALUE(const_cast<char*>(value), std::strlen(value)),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_END) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_flush(rk, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "kafka_mock: producing failed\n");
    return 1;
  }
  if (!check(rd_kafka_abort_transaction(rk, 10000), "abort_transaction")) {
    return 1;
  }
  rd_kafka_destroy(rk);
  return 0;
}

int Read(const char* brokers, const char* topic) {
  rd_kafka_t* rk =
      NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", brokers},
                                    {"group.id", "switchboard-kafka-mock-read"},
                                    {"enable.auto.commit", "false"},
                                    {"enable.partition.eof", "true"},
                                    {"isolation.level", "read_committed"},
                                    {"auto.offset.reset", "earliest"},
                                    {"fetch.wait.max.ms", "10"},
                                    {"log_level", "3"}});
  const int partitions = PartitionCount(rk, topic);
  if (partitions == 0) {
    std::fprintf(stderr, "kafka_mock: no topic %s\n", topic);
    return 1;
  }
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(partitions);
  std::vector<int64_t> ends(static_cast<size_t>(partitions));
  std::vector<bool> done(static_cast<size_t>(partitions), true);
  int open = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic, p, &low, &high, 10000) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "kafka_mock: no offsets for %s[%d]\n", topic, p);
      return 1;
    }
    ends[static_cast<size_t>(p)] = high;
    if (high > low) {
      rd_kafka_topic_partition_list_add(list, topic, p)->offset = low;
      done[static_cast<size_t>(p)] = false;
      ++open;
    }
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  while (open > 0) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 10000);
    if (m == nullptr) {
      std::fprintf(stderr, "kafka_mock: reading %s timed out\n", topic);
      return 1;
    }
    const size_t p = static_cast<size_t>(m->partition);
    const auto finish = [&] {
      if (!done[p]) {
        done[p] = true;
        --open;
      }
    };
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (m->offset >= ends[p]) finish();
    } else if (m->err) {
      std::fprintf(stderr, "kafka_mock: %s\n", rd_kafka_message_errstr(m));
      return 1;
    } else if (m->offset < ends[p]) {
      const void* header = nullptr;
      size_t header_size = 0;
      rd_kafka_headers_t* headers = nullptr;
      std::string mark = "-";
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(headers, "switchboard", &header,
                                   &header_size) ==
              RD_KAFKA_RESP_ERR_NO_ERROR) {
        mark.assign(static_cast<const char*>(header), header_size);
      }
      std::printf("%d\t%lld\t%s\t%.*s\t%.*s\n", m->partition,
                  static_cast<long long>(m->offset), mark.c_str(),
                  static_cast<int>(m->key_len),
                  static_cast<const char*>(m->key), static_cast<int>(m->len),
                  static_cast<const char*>(m->payload));
      if (m->offset + 1 >= ends[p]) finish();
    }
    rd_kafka_message_destroy(m);
  }
  std::fflush(stdout);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}

// Microseconds since the epoch, as CreateTime counts (in milliseconds).
int64_t NowMicros() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The event partition and offset a decision's "id" names: the value ends
// in ,"id":"TOPIC-P-OFFSET-K"} and TOPIC may hold '-', so the id is read
// from the right. False when it is not so or TOPIC is not `topic`.
bool DecisionEvent(const char* data, size_t size, const std::string& topic,
                   int32_t* partition, int64_t* offset) {
  const std::string value(data, size);
  const size_t at = value.rfind("\"id\":\"");
  const size_t end = value.rfind('"');
  if (at == std::string::npos || end <= at + 6) return false;
  const std::string id = value.substr(at + 6, end - at - 6);
  const size_t k = id.rfind('-');
  if (k == std::string::npos || k == 0) return false;
  const size_t o = id.rfind('-', k - 1);
  if (o == std::string::npos || o == 0) return false;
  const size_t p = id.rfind('-', o - 1);
  if (p == std::string::npos || id.compare(0, p, topic) != 0 ||
      p != topic.size()) {
    return false;
  }
  char* stop = nullptr;
  *partition = static_cast<int32_t>(std::strtol(id.c_str() + p + 1, &stop, 10));
  if (stop != id.c_str() + o) return false;
  *offset = std::strtoll(id.c_str() + o + 1, &stop, 10);
  return stop == id.c_str() + k && *partition >= 0 && *offset >= 0;
}

int Latency(const char* brokers, const char* events_topic,
            const char* decisions_topic, const char* count_arg,
            double timeout_s) {
  // The decisions to wait for: COUNT, or a line on stdin (the bench knows
  // the count once serve applied every record).
  static std::atomic<long> count{LONG_MAX};
  if (std::strcmp(count_arg, "-") != 0) {
    count = std::atol(count_arg);
  } else {
    std::thread([] {
      std::string line;
      if (std::getline(std::cin, line)) count = std::atol(line.c_str());
    }).detach();
  }
  rd_kafka_t* rk = NewClient(RD_KAFKA_CONSUMER,
                             {{"bootstrap.servers", brokers},
                              {"group.id", "switchboard-kafka-mock-latency"},
                              {"enable.auto.commit", "false"},
                              {"enable.partition.eof", "true"},
                              {"isolation.level", "read_committed"},
                              {"auto.offset.reset", "earliest"},
                              {"fetch.wait.max.ms", "5"},
                              {"log_level", "3"}});
  const int event_partitions = PartitionCount(rk, events_topic);
  const int decision_partitions = PartitionCount(rk, decisions_topic);
  if (event_partitions == 0 || decision_partitions == 0) {
    std::fprintf(stderr, "kafka_mock: no topic %s or %s\n", events_topic,
                 decisions_topic);
    return 1;
  }
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(event_partitions + decision_partitions);
  for (int p = 0; p < event_partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, events_topic, p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  for (int p = 0; p < decision_partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, decisions_topic, p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);

  // The events' timestamps (ms), by partition and offset (-1: not read);
  // the decisions: their event and when they came. A decision may be read
  // before its event (two topics), so they are matched at the end.
  std::vector<std::vector<int64_t>> created(
      static_cast<size_t>(event_partitions));
  struct Decision {
    int32_t partition;
    int64_t offset;
    int64_t received_us;
  };
  std::vector<Decision> decisions;
  long unparsed = 0;
  // The first and last event timestamps (ms): the rate produce achieved.
  int64_t first_event = INT64_MAX, last_event = 0;
  // "ready" once every partition was fetched from (its first end reached).
  std::vector<bool> fetched(
      static_cast<size_t>(event_partitions + decision_partitions), false);
  int unfetched = event_partitions + decision_partitions;
  const int64_t deadline =
      NowMicros() + static_cast<int64_t>(timeout_s * 1000000);
  while (static_cast<long>(decisions.size()) + unparsed < count &&
         NowMicros() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    const int64_t now = NowMicros();
    const bool is_event =
        std::strcmp(rd_kafka_topic_name(m->rkt), events_topic) == 0;
    const size_t slot = static_cast<size_t>(
        is_event ? m->partition : event_partitions + m->partition);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (!fetched[slot]) {
        fetched[slot] = true;
        if (--unfetched == 0) {
          std::printf("ready\n");
          std::fflush(stdout);
        }
      }
    } else if (m->err) {
      std::fprintf(stderr, "kafka_mock: %s\n", rd_kafka_message_errstr(m));
    } else if (is_event) {
      std::vector<int64_t>& times = created[static_cast<size_t>(m->partition)];
      if (static_cast<size_t>(m->offset) >= times.size())
        times.resize(static_cast<size_t>(m->offset) + 1, -1);
      times[static_cast<size_t>(m->offset)] =
          rd_kafka_message_timestamp(m, nullptr);
      first_event =
          std::min(first_event, times[static_cast<size_t>(m->offset)]);
      last_event = std::max(last_event, times[static_cast<size_t>(m->offset)]);
    } else {
      Decision d{0, 0, now};
      if (DecisionEvent(static_cast<const char*>(m->payload), m->len,
                        events_topic, &d.partition, &d.offset)) {
        decisions.push_back(d);
      } else {
        ++unparsed;
      }
    }
    rd_kafka_message_destroy(m);
  }
  // The events of the last decisions may still be on their way.
  for (int64_t until = NowMicros() + 2000000; NowMicros() < until;) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) break;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        std::strcmp(rd_kafka_topic_name(m->rkt), events_topic) == 0) {
      std::vector<int64_t>& times = created[static_cast<size_t>(m->partition)];
      if (static_cast<size_t>(m->offset) >= times.size())
        times.resize(static_cast<size_t>(m->offset) + 1, -1);
      times[static_cast<size_t>(m->offset)] =
          rd_kafka_message_timestamp(m, nullptr);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);

  std::vector<int64_t> latencies;  // microseconds
  long unmatched = unparsed;
  for (const Decision& d : decisions) {
    const size_t p = static_cast<size_t>(d.partition);
    const size_t o = static_cast<size_t>(d.offset);
    if (p >= created.size() || o >= created[p].size() || created[p][o] < 0) {
      ++unmatched;
      continue;
    }
    latencies.push_back(d.received_us - created[p][o] * 1000);
  }
  std::sort(latencies.begin(), latencies.end());
  const auto ms = [&](double q) {
    if (latencies.empty()) return 0.0;
    const size_t i = std::min(
        latencies.size() - 1,
        static_cast<size_t>(q * static_cast<double>(latencies.size())));
    return static_cast<double>(latencies[i]) / 1000;
  };
  std::printf(
      "decisions %zu min %.1f p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f "
      "unmatched %ld events_ms %lld\n",
      latencies.size(), ms(0), ms(0.5), ms(0.9), ms(0.99), ms(0.999), ms(1),
      unmatched,
      static_cast<long long>(
          last_event >= first_event ? last_event - first_event : 0));
  std::fflush(stdout);
  return static_cast<long>(decisions.size()) + unparsed < count ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "cluster") == 0) {
    return Cluster(argc - 2, argv + 2);
  }
  if (argc == 5 && std::strcmp(argv[1], "abort") == 0) {
    return Abort(argv[2], argv[3], argv[4]);
  }
  if (argc == 4 && std::strcmp(argv[1], "read") == 0) {
    return Read(argv[2], argv[3]);
  }
  if (argc == 7 && std::strcmp(argv[1], "latency") == 0) {
    return Latency(argv[2], argv[3], argv[4], argv[5], std::atof(argv[6]));
  }
  return Usage();
}
