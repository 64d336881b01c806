// switchboard produce RULES --kafka BROKERS --topic T FILE|-: events (JSON
// Lines) into the events topic of `serve --kafka`, keyed and partitioned by
// session, global events to every partition, with clock marks
// (docs/scale-out.md). The work is service/kafka/producer.h; this
// file reads the command line.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "service/kafka/producer.h"
#include "switchboard/event_reader.h"
#include "switchboard/time.h"
#include "tools/switchboard/cli.h"
#include "tools/switchboard/commands.h"

namespace switchboard::cli {

extern const char kProduceHelp[] =
    "Sends the events of FILE ('-': stdin), one JSON object per line, to\n"
    "the Kafka topic T, as serve --kafka reads them: each event keyed by its\n"
    "session key (RULES's session.key) and sent to partition\n"
    "murmur2(key) mod partitions (the Java client's partitioner, librdkafka's\n"
    "murmur2_random); global events (channel.down, channel.up, agent.*) to\n"
    "every partition; and clock marks, so that each partition's clock is\n"
    "where one engine's would be over the whole file: before a late event,\n"
    "for a partition that got nothing for --mark-every of event time, and\n"
    "at the end (the largest time, or --until). Bad lines are reported on\n"
    "stderr as FILE:LINE: error: MESSAGE and skipped; a summary follows.\n"
    "Exits 0 once every record is delivered, 1 when RULES does not load,\n"
    "FILE cannot be read or a record is not delivered, 2 for a bad command\n"
    "line. See docs/scale-out.md.\n"
    "\n"
    "  --kafka BROKERS  bootstrap brokers, host:port[,host:port...]; required\n"
    "  --topic T      the events topic (it must exist); required\n"
    "  --until TIME   the time of the last clock marks (default: the\n"
    "                 largest event time)\n"
    "  --mark-every DURATION  a clock mark to a partition that got nothing\n"
    "                 for this much event time (default 10s)\n"
    "  --rate N       send at most N events a second (default: no limit)\n"
    "  --kafka-config NAME=VALUE  a librdkafka setting (repeatable)\n";

int Produce(const std::vector<std::string>& args, Output& out) {
  std::optional<std::string> brokers, topic, until, mark_every, rate;
  std::vector<std::string> config;
  Flags flags("produce");
  flags.Value("--kafka", &brokers);
  flags.Value("--topic", &topic);
  flags.Value("--until", &until);
  flags.Value("--mark-every", &mark_every);
  flags.Value("--rate", &rate);
  flags.Repeated("--kafka-config", &config);
  std::vector<std::string> paths;
  if (auto rc = flags.Parse(args, &paths, out)) return *rc;
  if (paths.size() != 2) {
    return UsageError("produce", "give RULES and FILE ('-' for stdin)");
  }
  if (!brokers.has_value() || brokers->empty()) {
    return UsageError("produce", "--kafka BROKERS is required");
  }
  if (!topic.has_value() || topic->empty()) {
    return UsageError("produce", "--topic T is required");
  }
  service::kafka::ProduceOptions options;
  options.brokers = *brokers;
  options.topic = *topic;
  if (auto rc = ParseNameValues("produce", "--kafka-config", config,
                                &options.settings)) {
    return *rc;
  }
  if (until.has_value()) {
    absl::StatusOr<absl::Time> t = ParseTimestamp(*until);
    if (!t.ok()) {
      return UsageError("produce",
                        fmt::format("--until: {}", Message(t.status())));
    }
    options.until = *t;
  }
  if (mark_every.has_value() &&
      !ParsePositiveDuration(*mark_every, &options.mark_every)) {
    return UsageError("produce",
                      "--mark-every needs a positive duration (e.g. 1s)");
  }
  if (rate.has_value()) {
    char* end = nullptr;
    options.rate = std::strtod(rate->c_str(), &end);
    if (rate->empty() || *end != '\0' || !(options.rate > 0)) {
      return UsageError("produce", "--rate needs a positive number");
    }
  }
  const std::shared_ptr<const Ruleset> ruleset = LoadOrReport(paths[0]);
  if (ruleset == nullptr) return kExitProblem;
  absl::StatusOr<EventsFile> events = OpenEvents(paths[1]);
  if (!events.ok()) {
    fmt::print(stderr, "switchboard: {}\n", Message(events.status()));
    return kExitProblem;
  }
  LineReader lines(events->file);
  absl::StatusOr<service::kafka::ProduceReport> report =
      service::kafka::ProduceEvents(*ruleset, options, lines, events->name);
  if (!report.ok()) {
    fmt::print(stderr, "switchboard: produce: {}\n", Message(report.status()));
    return kExitProblem;
  }
  fmt::print(stderr,
             "produced {} to '{}' ({}): {} ({} to every partition), {}; bad "
             "lines: {}\n",
             Plural(report->records, "record"), options.topic,
             Plural(report->partitions, "partition"),
             Plural(report->events, "event"), report->global_events,
             Plural(report->clock_marks, "clock mark"), report->bad_lines);
  return kExitOk;
}

}  // namespace switchboard::cli
