// serve --kafka: the group, the workers, the operations (kafka_service.h).
#include "service/kafka/kafka_service.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <set>
#include <utility>

#include "absl/synchronization/notification.h"
#include "fmt/format.h"
#include "service/metrics.h"
#include "service/service.h"

namespace switchboard::service::kafka {
namespace {

std::string Text(const absl::Status& status) {
  return std::string(status.message());
}

// Records taken from a worker's queue before the partitions' Tick.
constexpr size_t kBatch = 1024;

// Sums the counters of several engines (the per-rule ones by rule name, in
// the order of `rules`).
void AddStats(const EngineStats& from,
              const std::vector<std::string>& from_rules,
              const std::vector<std::string>& rules, EngineStats* to) {
  to->events += from.events;
  to->derived_events += from.derived_events;
  to->late_events += from.late_events;
  to->rejected_events += from.rejected_events;
  to->decisions += from.decisions;
  to->timers_fired += from.timers_fired;
  to->sessions_created += from.sessions_created;
  to->sessions_expired += from.sessions_expired;
  to->sessions_evicted += from.sessions_evicted;
  to->timers_dropped += from.timers_dropped;
  to->deflects_without_channel += from.deflects_without_channel;
  to->assignments += from.assignments;
  to->conversations_abandoned += from.conversations_abandoned;
  to->route_timeouts += from.route_timeouts;
  to->unassignable_routes += from.unassignable_routes;
  to->transfers += from.transfers;
  to->conversations_waiting += from.conversations_waiting;
  to->conversations_assigned += from.conversations_assigned;
  to->agent_events_ignored += from.agent_events_ignored;
  to->derived_events_dropped += from.derived_events_dropped;
  to->rule_runs.resize(rules.size());
  to->rule_errors.resize(rules.size());
  for (size_t r = 0; r < from_rules.size(); ++r) {
    const auto it = std::find(rules.begin(), rules.end(), from_rules[r]);
    if (it == rules.end()) continue;
    const size_t i = static_cast<size_t>(it - rules.begin());
    if (r < from.rule_runs.size()) to->rule_runs[i] += from.rule_runs[r];
    if (r < from.rule_errors.size()) to->rule_errors[i] += from.rule_errors[r];
  }
  for (const auto& [key, n] : from.decisions_by_rule_action) {
    auto it = std::find_if(
        to->decisions_by_rule_action.begin(),
        to->decisions_by_rule_action.end(),
        [&key = key](const auto& entry) { return entry.first == key; });
    if (it == to->decisions_by_rule_action.end()) {
      to->decisions_by_rule_action.push_back({key, n});
    } else {
      it->second += n;
    }
  }
}

}  // namespace

// A worker thread: the partitions it owns, and one queue that their
// partition queues are forwarded to. Tasks (open, close, reload, metrics)
// run on it between two batches.
class Worker {
 public:
  using FailureCallback = std::function<void(int32_t, const absl::Status&)>;

  Worker(rd_kafka_t* consumer, FailureCallback on_failure)
      : queue_(rd_kafka_queue_new(consumer)),
        on_failure_(std::move(on_failure)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Worker() { Stop(); }

  rd_kafka_queue_t* queue() const { return queue_.get(); }

  // Runs `task` on the worker thread, before its next batch.
  void Post(std::function<void()> task) {
    {
      absl::MutexLock lock(&mu_);
      tasks_.push_back(std::move(task));
    }
    rd_kafka_queue_yield(queue_.get());
  }

  // Runs the tasks still queued, closes the partitions left (a clean
  // close), and joins the thread. Idempotent.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      stop_ = true;
    }
    rd_kafka_queue_yield(queue_.get());
    thread_.join();
  }

  // Partitions owned (for spreading new ones), any thread.
  std::atomic<int> load{0};
  // The partitions: the worker thread's alone.
  std::map<int32_t, std::unique_ptr<KafkaPartition>> partitions;

 private:
  void Run() {
    bool idle = false;
    for (;;) {
      std::deque<std::function<void()>> tasks;
      bool stop = false;
      {
        absl::MutexLock lock(&mu_);
        tasks.swap(tasks_);
        stop = stop_;
      }
      for (auto& task : tasks) task();
      if (stop && tasks.empty()) break;
      const absl::Time now = absl::Now();
      absl::Time wake = now + absl::Milliseconds(100);
      for (auto& [p, partition] : partitions) {
        wake = std::min(wake, partition->Tick(now));
        Check(*partition);
      }
      int64_t timeout = absl::ToInt64Milliseconds(wake - absl::Now());
      timeout = std::clamp<int64_t>(timeout, idle ? 1 : 0, 100);
      // One record at a time: librdkafka 2.0.2's batch call moves a
      // partition's position past records it then drops at a version
      // barrier (a pause during a rebalance), which loses them
      // (confluentinc/librdkafka#4208, fixed in 2.1.0).
      size_t n = 0;
      for (rd_kafka_message_t* m =
               rd_kafka_consume_queue(queue_.get(), static_cast<int>(timeout));
           m != nullptr;
           m = ++n < kBatch ? rd_kafka_consume_queue(queue_.get(), 0)
                            : nullptr) {
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            fmt::print(stderr, "switchboard: kafka: consuming: {}\n",
                       rd_kafka_message_errstr(m));
          }
        } else if (auto it = partitions.find(m->partition);
                   it != partitions.end()) {
          it->second->Apply(*m);
        }
        rd_kafka_message_destroy(m);
      }
      idle = n == 0;
    }
    for (auto& [p, partition] : partitions) {
      absl::Status st = partition->Close(/*lost=*/false);
      if (!st.ok()) on_failure_(p, st);
    }
    partitions.clear();
  }

  // Reports a partition's failure once.
  void Check(const KafkaPartition& partition) {
    if (partition.failure().ok()) return;
    if (reported_.insert(partition.partition()).second) {
      on_failure_(partition.partition(), partition.failure());
    }
  }

  Queue queue_;
  FailureCallback on_failure_;
  std::set<int32_t> reported_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

absl::Status CheckAgentsFit(const Ruleset& ruleset, const std::string& topic,
                            int32_t partitions) {
  if (ruleset.queue_count() == 0 || partitions <= 1) return absl::OkStatus();
  return absl::FailedPreconditionError(fmt::format(
      "ruleset '{}' routes to queues (skill routing), whose agents every "
      "session shares; topic '{}' has {} partitions, each with an engine of "
      "its own, which would book the same agents twice: give it a single "
      "partition (docs/scale-out.md, \"Agents across partitions\")",
      ruleset.name(), topic, partitions));
}

KafkaService::KafkaService(const KafkaOptions& options) : options_(options) {}

absl::StatusOr<std::unique_ptr<KafkaService>> KafkaService::Start(
    const KafkaOptions& options, std::shared_ptr<const Ruleset> ruleset) {
  std::unique_ptr<KafkaService> service(new KafkaService(options));
  KafkaService* s = service.get();
  {
    absl::MutexLock lock(&s->mu_);
    s->ruleset_ = ruleset;
  }
  PartitionConfig& config = s->config_;
  config = options.partition;
  config.settings = {{"bootstrap.servers", options.brokers},
                     {"client.id", "switchboard"}};
  config.settings.insert(config.settings.end(), options.settings.begin(),
                         options.settings.end());

  // The group's consumer: offsets are switchboard's to commit, records are
  // read as a read_committed consumer of D would read them, fetches answer
  // quickly (the mock cluster does not cut a fetch's wait short when data
  // comes; a broker does).
  Settings settings = {{"bootstrap.servers", options.brokers},
                       {"client.id", "switchboard"},
                       {"enable.auto.commit", "false"},
                       {"enable.auto.offset.store", "false"},
                       {"isolation.level", "read_committed"},
                       {"auto.offset.reset", "earliest"},
                       {"partition.assignment.strategy", "cooperative-sticky"},
                       {"fetch.wait.max.ms", "10"}};
  settings.insert(settings.end(), options.settings.begin(),
                  options.settings.end());
  settings.push_back({"group.id", config.group});
  absl::StatusOr<Handle> consumer =
      NewClient(RD_KAFKA_CONSUMER, settings, [s](rd_kafka_conf_t* conf) {
        rd_kafka_conf_set_opaque(conf, s);
        rd_kafka_conf_set_rebalance_cb(conf, &KafkaService::OnRebalance);
      });
  if (!consumer.ok()) return consumer.status();
  s->consumer_ = std::move(*consumer);
  rd_kafka_poll_set_consumer(s->consumer_.get());
  // The lease of "A paused owner" (docs/scale-out.md): how long a member
  // can go without a heartbeat and still be sure it is in the group.
  {
    const rd_kafka_conf_t* conf = rd_kafka_conf(s->consumer_.get());
    auto millis = [conf](const char* name, int64_t fallback) {
      char value[64];
      size_t size = sizeof(value);
      if (rd_kafka_conf_get(conf, name, value, &size) != RD_KAFKA_CONF_OK) {
        return fallback;
      }
      return static_cast<int64_t>(std::strtoll(value, nullptr, 10));
    };
    const int64_t lease = millis("session.timeout.ms", 45000) -
                          millis("heartbeat.interval.ms", 3000);
    config.ownership_lease = absl::Milliseconds(std::max<int64_t>(lease, 100));
  }

  // The topics must exist; their partition counts.
  absl::StatusOr<int32_t> events = PartitionCount(
      s->consumer_.get(), config.events_topic, options.metadata_timeout);
  if (!events.ok()) return events.status();
  s->events_partitions_ = *events;
  if (absl::Status st =
          CheckAgentsFit(*ruleset, config.events_topic, s->events_partitions_);
      !st.ok()) {
    return st;
  }
  absl::StatusOr<int32_t> decisions = PartitionCount(
      s->consumer_.get(), config.decisions_topic, options.metadata_timeout);
  if (!decisions.ok()) return decisions.status();
  config.decisions_partitions = *decisions;
  if (!config.state_topic.empty()) {
    absl::StatusOr<int32_t> state = PartitionCount(
        s->consumer_.get(), config.state_topic, options.metadata_timeout);
    if (!state.ok()) return state.status();
    config.state_partitions = *state;
  }

  for (int i = 0; i < std::max(1, options.threads); ++i) {
    s->workers_.push_back(std::make_unique<Worker>(
        s->consumer_.get(), [s](int32_t partition, const absl::Status& st) {
          s->OnPartitionFailure(partition, st);
        }));
  }
  int port = 0;
  if (options.http.has_value()) {
    HttpOptions http = *options.http;
    http.sse_threads = 0;
    http.no_loop_reason = fmt::format(
        "with --kafka, events come from topic '{}' and decisions go to topic "
        "'{}'",
        config.events_topic, config.decisions_topic);
    HttpServer::Hooks hooks;
    hooks.metrics = [s] { return s->MetricsText(); };
    hooks.reload = [s] { return s->Reload(); };
    hooks.healthy = [s] { return s->Ready(); };
    s->http_ =
        std::make_unique<HttpServer>(http, nullptr, nullptr, std::move(hooks));
    absl::StatusOr<int> bound = s->http_->Bind();
    if (!bound.ok()) return bound.status();
    port = *bound;
  }

  PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), config.events_topic.c_str(),
                                    RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err =
          rd_kafka_subscribe(s->consumer_.get(), topics.get())) {
    return KafkaError(err,
                      fmt::format("subscribing to '{}'", config.events_topic));
  }
  s->poll_thread_ = std::thread([s] { s->Poll(); });
  if (s->http_ != nullptr) s->http_->Start();

  fmt::print(
      stderr,
      "switchboard: serving ruleset '{}' ({} rules) on Kafka: events '{}' ({} "
      "partitions), decisions '{}' ({}), {}, clock {}, {} worker thread{}\n",
      ruleset->name(), ruleset->rule_count(), config.events_topic,
      s->events_partitions_, config.decisions_topic,
      config.decisions_partitions,
      config.state_topic.empty()
          ? std::string("no state topic (a restart loses the sessions)")
          : fmt::format("state '{}' ({})", config.state_topic,
                        config.state_partitions),
      config.clock == ClockMode::kWall ? "wall" : "event", s->workers_.size(),
      s->workers_.size() == 1 ? "" : "s");
  if (s->http_ != nullptr) {
    const std::string& host = options.http->host;
    fmt::print(stderr, "switchboard: listening on http://{}:{}\n",
               host.find(':') != std::string::npos ? "[" + host + "]" : host,
               port);
  }
  fmt::print(stderr, "switchboard: consuming '{}' as group '{}'\n",
             config.events_topic, config.group);
  std::fflush(stderr);
  return service;
}

KafkaService::~KafkaService() { Stop(); }

void KafkaService::OnRebalance(rd_kafka_t*, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t* partitions,
                               void* opaque) {
  static_cast<KafkaService*>(opaque)->Rebalance(err, partitions);
}

void KafkaService::Rebalance(rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* partitions) {
  const char* protocol = rd_kafka_rebalance_protocol(consumer_.get());
  const bool cooperative =
      protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    Assign(partitions, cooperative);
  } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    Revoke(partitions, cooperative, rd_kafka_assignment_lost(consumer_.get()));
  } else {
    fmt::print(stderr, "switchboard: kafka: rebalance failed: {}\n",
               rd_kafka_err2str(err));
    rd_kafka_assign(consumer_.get(), nullptr);
  }
}

Worker* KafkaService::LeastLoaded() {
  Worker* best = workers_.front().get();
  for (const auto& w : workers_) {
    if (w->load.load() < best->load.load()) best = w.get();
  }
  return best;
}

void KafkaService::Assign(rd_kafka_topic_partition_list_t* partitions,
                          bool cooperative) {
  std::shared_ptr<const Ruleset> ruleset;
  {
    absl::MutexLock lock(&mu_);
    ruleset = ruleset_;
    opening_ += partitions->cnt;
    ++rebalances_assign_;
  }
  // Open every new partition on the worker that will own it, all at once.
  struct Opening {
    int32_t partition = 0;
    Worker* worker = nullptr;
    absl::Status status;
    int64_t offset = 0;
    std::string report;
    absl::Notification done;
  };
  std::vector<std::shared_ptr<Opening>> openings;
  for (int i = 0; i < partitions->cnt; ++i) {
    auto o = std::make_shared<Opening>();
    o->partition = partitions->elems[i].partition;
    o->worker = LeastLoaded();
    o->worker->load.fetch_add(1);
    Worker* w = o->worker;
    // Forwarded before the partition is assigned, so that no record of it
    // reaches the consumer's own queue (librdkafka keeps a forward the
    // application set).
    Queue queue(rd_kafka_queue_get_partition(
        consumer_.get(), config_.events_topic.c_str(), o->partition));
    rd_kafka_queue_forward(queue.get(), w->queue());
    w->Post([this, o, w, ruleset] {
      absl::StatusOr<std::unique_ptr<KafkaPartition>> opened =
          KafkaPartition::Open(o->partition, ruleset, config_, consumer_.get());
      if (opened.ok()) {
        o->offset = (*opened)->next_offset();
        o->report = (*opened)->restore_report();
        w->partitions[o->partition] = std::move(*opened);
      } else {
        o->status = opened.status();
      }
      o->done.Notify();
    });
    openings.push_back(std::move(o));
  }
  PartitionList list(rd_kafka_topic_partition_list_new(partitions->cnt));
  bool failed = false;
  for (const auto& o : openings) {
    o->done.WaitForNotification();
    if (!o->status.ok()) {
      fmt::print(stderr, "switchboard: cannot open {}[{}]: {}\n",
                 config_.events_topic, o->partition, Text(o->status));
      o->worker->load.fetch_sub(1);
      failed = true;
      continue;
    }
    rd_kafka_topic_partition_list_add(list.get(), config_.events_topic.c_str(),
                                      o->partition)
        ->offset = o->offset;
    fmt::print(stderr, "switchboard: assigned {}\n", o->report);
    absl::MutexLock lock(&mu_);
    owners_[o->partition] = o->worker;
  }
  std::fflush(stderr);
  if (cooperative) {
    if (rd_kafka_error_t* error =
            rd_kafka_incremental_assign(consumer_.get(), list.get())) {
      fmt::print(stderr, "switchboard: kafka: {}\n",
                 Text(KafkaError(error, "incremental_assign")));
      failed = true;
    }
  } else if (rd_kafka_resp_err_t err =
                 rd_kafka_assign(consumer_.get(), list.get())) {
    fmt::print(stderr, "switchboard: kafka: {}\n",
               Text(KafkaError(err, "assign")));
    failed = true;
  }
  {
    absl::MutexLock lock(&mu_);
    opening_ -= partitions->cnt;
    joined_ = true;
  }
  if (failed) RequestStop(1);
}

void KafkaService::Revoke(rd_kafka_topic_partition_list_t* partitions,
                          bool cooperative, bool lost) {
  struct Closing {
    int32_t partition = 0;
    absl::Status status;
    int64_t offset = 0;
    absl::Notification done;
  };
  std::vector<std::shared_ptr<Closing>> closings;
  {
    absl::MutexLock lock(&mu_);
    ++(lost ? rebalances_lost_ : rebalances_revoke_);
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    const int32_t p = partitions->elems[i].partition;
    Worker* w = nullptr;
    {
      absl::MutexLock lock(&mu_);
      auto it = owners_.find(p);
      if (it == owners_.end()) continue;
      w = it->second;
      owners_.erase(it);
    }
    auto c = std::make_shared<Closing>();
    c->partition = p;
    w->Post([c, w, lost] {
      auto it = w->partitions.find(c->partition);
      if (it != w->partitions.end()) {
        c->status = it->second->Close(lost);
        c->offset = it->second->next_offset();
        w->partitions.erase(it);
        w->load.fetch_sub(1);
      }
      c->done.Notify();
    });
    closings.push_back(std::move(c));
  }
  for (const auto& c : closings) {
    c->done.WaitForNotification();
    if (!c->status.ok()) {
      fmt::print(stderr, "switchboard: revoked {}[{}] with an error: {}\n",
                 config_.events_topic, c->partition, Text(c->status));
      absl::MutexLock lock(&mu_);
      if (stopping_) exit_status_ = std::max(exit_status_, 1);
    } else {
      fmt::print(stderr, "switchboard: {} {}[{}] at offset {}\n",
                 lost ? "lost" : "revoked", config_.events_topic, c->partition,
                 c->offset);
    }
  }
  std::fflush(stderr);
  if (cooperative) {
    if (rd_kafka_error_t* error =
            rd_kafka_incremental_unassign(consumer_.get(), partitions)) {
      fmt::print(stderr, "switchboard: kafka: {}\n",
                 Text(KafkaError(error, "incremental_unassign")));
    }
  } else {
    rd_kafka_assign(consumer_.get(), nullptr);
  }
}

void KafkaService::Poll() {
  bool warned = false;
  while (!poll_stop_.load()) {
    Message m(rd_kafka_consumer_poll(consumer_.get(), 100));
    if (m == nullptr) continue;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      fmt::print(stderr, "switchboard: kafka: {}\n",
                 rd_kafka_message_errstr(m.get()));
      if (m->err == RD_KAFKA_RESP_ERR__FATAL) RequestStop(1);
      continue;
    }
    if (!warned) {  // records go to the workers' queues: never here
      fmt::print(stderr,
                 "switchboard: kafka: a record of {}[{}] reached the group's "
                 "queue; dropped\n",
                 config_.events_topic, m->partition);
      warned = true;
    }
  }
  // Leaving the group revokes every partition (Revoke, on this thread):
  // each commits and takes its last snapshot.
  if (rd_kafka_resp_err_t err = rd_kafka_consumer_close(consumer_.get())) {
    fmt::print(stderr, "switchboard: kafka: leaving the group: {}\n",
               rd_kafka_err2str(err));
  }
}

void KafkaService::OnPartitionFailure(int32_t partition,
                                      const absl::Status& status) {
  if (absl::IsFailedPrecondition(status)) {
    fmt::print(stderr,
               "switchboard: {}[{}] was fenced: another instance owns it now; "
               "it stays idle here until the group revokes it\n",
               config_.events_topic, partition);
    return;
  }
  RequestStop(1);
}

int KafkaService::WaitForStopRequest() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&stop_requested_));
  return exit_status_;
}

void KafkaService::RequestStop(int exit_status) {
  absl::MutexLock lock(&mu_);
  stop_requested_ = true;
  exit_status_ = std::max(exit_status_, exit_status);
}

bool KafkaService::Ready() const {
  absl::MutexLock lock(&mu_);
  return joined_ && opening_ == 0 && !stopping_;
}

HttpAnswer KafkaService::Reload() {
  absl::MutexLock reload_lock(&reload_mu_);
  RulesForReload rules = LoadRulesForReload(options_.rules_path);
  if (rules.ruleset != nullptr) {
    if (absl::Status st = CheckAgentsFit(*rules.ruleset, config_.events_topic,
                                         events_partitions_);
        !st.ok()) {
      rules.refused = {422, fmt::format("{}\nthe ruleset was not reloaded; the "
                                        "running one stays\n",
                                        Text(st))};
      rules.ruleset = nullptr;
    }
  }
  absl::MutexLock lock(&mu_);
  if (rules.ruleset == nullptr) {
    ++reloads_refused_;
    return std::move(rules.refused);
  }
  ++reloads_ok_;
  ruleset_ = rules.ruleset;
  for (const auto& w : workers_) {
    Worker* worker = w.get();
    worker->Post([worker, ruleset = rules.ruleset] {
      for (auto& [p, partition] : worker->partitions) {
        partition->SetRuleset(ruleset);
      }
    });
  }
  return {200, ReloadedText(*rules.ruleset) +
                   "each partition swaps it in at its next record\n"};
}

absl::StatusOr<std::string> KafkaService::MetricsText() {
  struct Collect {
    std::vector<PartitionMetrics> partitions;
    absl::Notification done;
  };
  std::vector<std::shared_ptr<Collect>> collects;
  for (const auto& w : workers_) {
    auto c = std::make_shared<Collect>();
    Worker* worker = w.get();
    worker->Post([c, worker] {
      for (auto& [p, partition] : worker->partitions) {
        partition->FillMetrics(&c->partitions.emplace_back());
      }
      c->done.Notify();
    });
    collects.push_back(std::move(c));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(2);
  std::vector<PartitionMetrics> parts;
  for (const auto& c : collects) {
    if (!c->done.WaitForNotificationWithDeadline(deadline)) {
      return absl::DeadlineExceededError(
          "a worker thread did not answer in time (opening a partition?)");
    }
    for (PartitionMetrics& m : c->partitions) parts.push_back(std::move(m));
  }
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) {
    return a.partition < b.partition;
  });

  LoopMetrics all;
  {
    absl::MutexLock lock(&mu_);
    all.ruleset = ruleset_->name();
    for (int r = 0; r < ruleset_->rule_count(); ++r) {
      all.rule_names.push_back(ruleset_->rule_name(r));
    }
  }
  all.stats.rule_runs.resize(all.rule_names.size());
  all.stats.rule_errors.resize(all.rule_names.size());
  for (const PartitionMetrics& m : parts) {
    AddStats(m.engine, m.rule_names, all.rule_names, &all.stats);
    all.sessions += m.sessions;
    all.timers_pending += m.timers_pending;
    all.lines_rejected += m.bad_records;
    all.processing.Add(m.processing);
    if (m.clock != absl::InfinitePast())
      all.clock = std::max(all.clock, m.clock);
  }
  PrometheusWriter w;
  AppendEngineMetrics(all, w);

  // Per partition.
  const auto per_partition = [&](std::string_view name, std::string_view type,
                                 std::string_view help, auto value) {
    w.Family(name, type, help);
    for (const PartitionMetrics& m : parts) {
      const std::string label = std::to_string(m.partition);
      w.Sample(name, {{"partition", label}}, value(m));
    }
  };
  per_partition("switchboard_kafka_lag_records", "gauge",
                "Records of the partition not yet applied: its high "
                "watermark (as last fetched) minus the next offset.",
                [](const PartitionMetrics& m) {
                  return m.high_watermark < 0
                             ? int64_t{0}
                             : std::max<int64_t>(
                                   0, m.high_watermark - m.next_offset);
                });
  per_partition("switchboard_kafka_offset", "gauge",
                "The next offset of the partition to apply.",
                [](const PartitionMetrics& m) { return m.next_offset; });
  per_partition("switchboard_kafka_records_total", "counter",
                "Records of the partition applied here (events and clock "
                "marks).",
                [](const PartitionMetrics& m) { return m.records; });
  per_partition("switchboard_kafka_events_total", "counter",
                "Input events the partition's engine processed (kept in "
                "its snapshots).",
                [](const PartitionMetrics& m) { return m.engine.events; });
  per_partition("switchboard_kafka_bad_records_total", "counter",
                "Records that were not events for the ruleset.",
                [](const PartitionMetrics& m) { return m.bad_records; });
  per_partition("switchboard_kafka_clock_marks_total", "counter",
                "Clock marks applied.",
                [](const PartitionMetrics& m) { return m.clock_marks; });
  per_partition(
      "switchboard_kafka_clock_marks_written_total", "counter",
      "Clock marks this instance wrote into the partition "
      "(--clock wall).",
      [](const PartitionMetrics& m) { return m.clock_marks_written; });
  per_partition("switchboard_kafka_decisions_total", "counter",
                "Decisions produced to the decisions topic.",
                [](const PartitionMetrics& m) { return m.decisions_produced; });
  per_partition(
      "switchboard_kafka_decisions_suppressed_total", "counter",
      "Decisions made again while replaying and not produced: "
      "their ids were in the decisions topic already.",
      [](const PartitionMetrics& m) { return m.decisions_suppressed; });
  per_partition("switchboard_kafka_sessions", "gauge",
                "Live sessions of the partition's engine.",
                [](const PartitionMetrics& m) { return m.sessions; });
  per_partition(
      "switchboard_kafka_replaying", "gauge",
      "1 while the partition applies records whose decisions may "
      "be in the decisions topic already.",
      [](const PartitionMetrics& m) { return int64_t{m.replaying ? 1 : 0}; });
  w.Family("switchboard_kafka_transactions_total", "counter",
           "Transactions of the partition's producer, by result.");
  for (const PartitionMetrics& m : parts) {
    const std::string label = std::to_string(m.partition);
    w.Sample("switchboard_kafka_transactions_total",
             {{"partition", label}, {"result", "committed"}}, m.transactions);
    w.Sample("switchboard_kafka_transactions_total",
             {{"partition", label}, {"result", "aborted"}},
             m.transactions_aborted);
  }
  if (!config_.state_topic.empty()) {
    per_partition("switchboard_kafka_snapshots_total", "counter",
                  "Snapshots of the partition written to the state topic.",
                  [](const PartitionMetrics& m) { return m.snapshots; });
    per_partition("switchboard_kafka_snapshot_bytes", "gauge",
                  "Size of the partition's last snapshot (written or "
                  "restored).",
                  [](const PartitionMetrics& m) { return m.snapshot_bytes; });
    w.Family("switchboard_kafka_snapshot_age_seconds", "gauge",
             "Seconds since the partition's last snapshot was taken (absent "
             "before the first).");
    for (const PartitionMetrics& m : parts) {
      if (m.snapshot_time == absl::InfinitePast()) continue;
      w.Sample("switchboard_kafka_snapshot_age_seconds",
               {{"partition", std::to_string(m.partition)}},
               absl::ToDoubleSeconds(absl::Now() - m.snapshot_time));
    }
    Histogram snapshot_seconds;
    for (const PartitionMetrics& m : parts) {
      snapshot_seconds.Add(m.snapshot_seconds);
    }
    w.Family("switchboard_kafka_snapshot_seconds", "histogram",
             "Time to take a snapshot and produce it (the engine's snapshot, "
             "flushing the decisions before it, its chunks).");
    w.HistogramSamples("switchboard_kafka_snapshot_seconds", {},
                       snapshot_seconds);
  }
  {
    absl::MutexLock lock(&mu_);
    w.Gauge("switchboard_kafka_partitions",
            "Partitions of the events topic assigned to this instance.",
            static_cast<double>(owners_.size()));
    w.Family("switchboard_kafka_rebalances_total", "counter",
             "Rebalances of the group seen here: partitions assigned, "
             "revoked, or lost (taken away without a revoke).");
    w.Sample("switchboard_kafka_rebalances_total", {{"kind", "assign"}},
             rebalances_assign_);
    w.Sample("switchboard_kafka_rebalances_total", {{"kind", "revoke"}},
             rebalances_revoke_);
    w.Sample("switchboard_kafka_rebalances_total", {{"kind", "lost"}},
             rebalances_lost_);
    w.Family("switchboard_reloads_total", "counter",
             "Reloads of RULES (POST /v1/reload, SIGHUP), by result.");
    w.Sample("switchboard_reloads_total", {{"result", "ok"}}, reloads_ok_);
    w.Sample("switchboard_reloads_total", {{"result", "refused"}},
             reloads_refused_);
  }
  return w.Take();
}

int KafkaService::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return exit_status_;
    stopped_ = true;
    stopping_ = true;
  }
  if (http_ != nullptr) http_->Stop();
  poll_stop_ = true;
  if (poll_thread_.joinable()) poll_thread_.join();
  workers_.clear();  // each closes what it still has, and joins
  consumer_.reset();
  absl::MutexLock lock(&mu_);
  return exit_status_;
}

}  // namespace switchboard::service::kafka
