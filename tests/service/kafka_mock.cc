// A Kafka cluster for tests, with no broker: librdkafka's mock cluster
// (rdkafka_mock.h) in a process of its own, on loopback, and a reader of
// topics (tests/service/kafka_test.py, bench/kafka_bench.sh).
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
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: switchboard_kafka_mock cluster [--brokers N] "
               "[--topic NAME:PARTITIONS]...\n"
               "       switchboard_kafka_mock abort BROKERS TOPIC VALUE\n"
               "       switchboard_kafka_mock read BROKERS TOPIC\n");
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
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic, nullptr);
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      md->topic_cnt != 1 || md->topics[0].partition_cnt == 0) {
    std::fprintf(stderr, "kafka_mock: no topic %s\n", topic);
    return 1;
  }
  const int partitions = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
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
  return Usage();
}
