// `switchboard serve --kafka`: the service scaled out on Kafka
// (docs/scale-out.md).
//
//                 rebalance callbacks          ┌────────────── worker 0 ──┐
//   consumer ── (the poll thread: restore ──── │ partition 0: engine,     │── D
//   (group G,      on assign, snapshot on      │   producer, snapshots    │── S
//    topic T)      revoke)                     │ partition 2 ...          │
//      │                                       └──────────────────────────┘
//      └── each partition's queue forwarded ──▶ its worker's queue
//
// Instances with the same --group share T's partitions; each assigned
// partition has its own KafkaPartition (engine, transactional producer,
// snapshots), owned by one of `threads` worker threads, which consumes its
// partitions' records from one queue and works on them in turn. The poll
// thread serves the group: on assign it opens the new partitions (fence,
// restore, read D; on their workers, in parallel) and then assigns them
// from the offsets their snapshots cover; on revoke it closes them (commit,
// snapshot, commit). /healthz is ready once every assigned partition is
// open; /v1/reload hands a new ruleset to every partition, which swaps it
// at its next record; SIGTERM closes the partitions and leaves the group.
#ifndef SWITCHBOARD_SERVICE_KAFKA_KAFKA_SERVICE_H_
#define SWITCHBOARD_SERVICE_KAFKA_KAFKA_SERVICE_H_

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "service/http_server.h"
#include "service/kafka/client.h"
#include "service/kafka/partition.h"
#include "switchboard/ruleset.h"

namespace switchboard::service::kafka {

struct KafkaOptions {
  // RULES, loaded again from here by a reload.
  std::string rules_path;
  // --kafka BROKERS, --group, --events-topic, --decisions-topic,
  // --state-topic (empty: none), and the partitions' settings.
  std::string brokers;
  // librdkafka settings for every client (--kafka-config NAME=VALUE),
  // after switchboard's own.
  Settings settings;
  PartitionConfig partition;  // its topics, group and settings are filled
                              // from the fields above by Start
  // Worker threads (partitions are spread over them). Default: 2.
  int threads = 2;
  // --http HOST:PORT: /metrics, /healthz, /v1/reload.
  std::optional<HttpOptions> http;
  // How long Start waits for the brokers to describe the topics.
  absl::Duration metadata_timeout = absl::Seconds(30);
};

class Worker;

class KafkaService {
 public:
  // Checks the topics (they must exist; T's partition count decides the
  // refusal of rulesets with queues, docs/scale-out.md "Agents across
  // partitions"), starts the workers and HTTP, joins the group, and prints
  // on stderr what it serves, ending with "switchboard: consuming T as
  // group G" (and "listening on http://..." with --http). Partitions are
  // assigned later; each is reported as it opens ("switchboard: assigned
  // T[P]: ...") and closes ("switchboard: revoked T[P]: ..."). Errors: a
  // topic is missing or the brokers do not answer (Unavailable), queues
  // with several partitions (FailedPrecondition), a bad setting.
  static absl::StatusOr<std::unique_ptr<KafkaService>> Start(
      const KafkaOptions& options, std::shared_ptr<const Ruleset> ruleset);
  ~KafkaService();  // Stop()s

  // Blocks until a stop is asked for (RequestStop: a signal, or a failure:
  // a partition that cannot be opened, a producer failed for good).
  int WaitForStopRequest();
  void RequestStop(int exit_status);
  // Loads RULES and hands it to every partition (each swaps it at its next
  // record); a ruleset with errors, or with queues while T has several
  // partitions, is refused (422) and the running one stays.
  HttpAnswer Reload();
  // /metrics: the engine families summed over the assigned partitions, and
  // the Kafka ones per partition (docs/scale-out.md, "Metrics").
  absl::StatusOr<std::string> MetricsText();
  // /healthz: the group was joined and every assigned partition is open.
  bool Ready() const;
  // Closes every partition (commit, snapshot), leaves the group, stops the
  // threads; returns the exit status (the one asked for, or 1 when a
  // partition could not be closed). Idempotent.
  int Stop();

 private:
  explicit KafkaService(const KafkaOptions& options);
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions,
                          void* opaque);
  void Rebalance(rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* partitions);
  void Assign(rd_kafka_topic_partition_list_t* partitions, bool cooperative);
  void Revoke(rd_kafka_topic_partition_list_t* partitions, bool cooperative,
              bool lost);
  void Poll();
  Worker* LeastLoaded();
  // A partition stopped for good: fenced (it is another member's now;
  // reported) or failed (the service stops with exit 1).
  void OnPartitionFailure(int32_t partition, const absl::Status& status);

  KafkaOptions options_;
  PartitionConfig config_;  // with topics, group and settings
  int32_t events_partitions_ = 0;
  Handle consumer_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<HttpServer> http_;
  std::thread poll_thread_;
  std::atomic<bool> poll_stop_{false};
  absl::Mutex reload_mu_;  // one reload at a time

  mutable absl::Mutex mu_;
  std::shared_ptr<const Ruleset> ruleset_ ABSL_GUARDED_BY(mu_);
  std::map<int32_t, Worker*> owners_ ABSL_GUARDED_BY(mu_);
  bool joined_ ABSL_GUARDED_BY(mu_) = false;
  int opening_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  int exit_status_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  int64_t rebalances_assign_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rebalances_revoke_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rebalances_lost_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reloads_ok_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reloads_refused_ ABSL_GUARDED_BY(mu_) = 0;
};

// The refusal of a ruleset with queues over a topic of several partitions
// (docs/scale-out.md, "Agents across partitions"), or OK.
absl::Status CheckAgentsFit(const Ruleset& ruleset, const std::string& topic,
                            int32_t partitions);

}  // namespace switchboard::service::kafka

#endif  // SWITCHBOARD_SERVICE_KAFKA_KAFKA_SERVICE_H_
