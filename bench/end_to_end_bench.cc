// `switchboard run` end to end, against the JSON parsing ceiling, on the
// reference workload's events.jsonl (held in memory: the file is read once
// before timing, so disk speed is not measured):
//
//   BM_EndToEnd/N         every line through the engine's JSON Lines reader
//                         (EventReader) into one reused CompactEvent (as
//                         `switchboard run` reads), Engine::Process
//                         with rules_N.yaml, each decision appended as JSON
//                         (Decision::AppendJson) to a 64 KiB buffer written to
//                         /dev/null: the loop of `switchboard run` (the CLI's
//                         line splitter and sink live in tools/, so this
//                         benchmark has its own equivalents). A fresh Engine
//                         per pass over the file (created outside the timing).
//   BM_ReadOnly           the reader alone: every line through EventReader
//                         into one reused CompactEvent (rules_100.yaml's
//                         schema), no
//                         engine: the share of BM_EndToEnd that is reading.
//   BM_ParseOnly          the ceiling: the same lines split the same way, each
//                         copied into a padded buffer and parsed with
//                         simdjson On-Demand, visiting every member and
//                         reading every value (strings, numbers), no engine.
//   BM_ParseOnly_Stream   simdjson's own document stream (iterate_many) over
//                         the whole file, visiting every value: the raw parser
//                         speed, without a per-line loop.
//
// items/s = events (lines) per second; bytes/s = input bytes per second.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/workload.h"
#include "benchmark/benchmark.h"
#include "simdjson.h"
#include "switchboard/compact_event.h"
#include "switchboard/decision.h"
#include "switchboard/engine.h"
#include "switchboard/event_reader.h"

namespace switchboard::bench {
namespace {

// The events file, read once.
struct EventsFile {
  std::string text;
  std::vector<std::string_view> lines;
  std::string error;
};

const EventsFile& Events() {
  static const EventsFile* file = [] {
    auto* f = new EventsFile;
    absl::StatusOr<std::string> text =
        ReadFile(WorkloadDir() + "/events.jsonl");
    if (!text.ok()) {
      f->error = std::string(text.status().message());
    } else {
      f->text = std::move(*text);
      f->lines = SplitLines(f->text);
    }
    return f;
  }();
  return *file;
}

// Decisions as JSON Lines into a buffer flushed to a FILE (as the CLI's
// sink does).
class JsonToFile : public DecisionSink {
 public:
  explicit JsonToFile(std::FILE* out) : out_(out) {
    buffer_.reserve(kFlushAt + 4096);
  }
  void OnDecision(const Decision& decision) override {
    decision.AppendJson(&buffer_);
    buffer_.push_back('\n');
    ++count_;
    if (buffer_.size() >= kFlushAt) Flush();
  }
  void Flush() {
    if (!buffer_.empty()) std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
    buffer_.clear();
  }
  int64_t count() const { return count_; }

 private:
  static constexpr size_t kFlushAt = 64 * 1024;
  std::FILE* out_;
  std::string buffer_;
  int64_t count_ = 0;
};

void BM_EndToEnd(benchmark::State& state) {
  const EventsFile& file = Events();
  if (!file.error.empty()) {
    state.SkipWithError(file.error.c_str());
    return;
  }
  const int rules = static_cast<int>(state.range(0));
  absl::StatusOr<std::shared_ptr<const Ruleset>> ruleset =
      LoadWorkloadRules(WorkloadDir(), rules);
  if (!ruleset.ok()) {
    state.SkipWithError(std::string(ruleset.status().message()).c_str());
    return;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> null(
      std::fopen("/dev/null", "wb"), &std::fclose);
  if (null == nullptr) {
    state.SkipWithError("cannot open /dev/null");
    return;
  }
  EventReader reader(**ruleset);
  CompactEvent event;  // as `switchboard run` reads
  int64_t bad = 0;
  int64_t decisions = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Engine> engine = *Engine::Create(*ruleset);
    JsonToFile sink(null.get());
    state.ResumeTiming();
    for (std::string_view line : file.lines) {
      if (!reader.Next(line, &event).ok() ||
          !engine->Process(event, &sink).ok()) {
        ++bad;
      }
    }
    sink.Flush();
    std::fflush(null.get());
    decisions += sink.count();
    state.PauseTiming();
    engine.reset();
    state.ResumeTiming();
  }
  if (bad > 0) state.SkipWithError("some lines were rejected");
  const int64_t passes = state.iterations();
  state.SetItemsProcessed(passes * static_cast<int64_t>(file.lines.size()));
  state.SetBytesProcessed(passes * static_cast<int64_t>(file.text.size()));
  state.counters["decisions_per_pass"] =
      passes > 0 ? static_cast<double>(decisions) / passes : 0;
}

void EndToEndArgs(benchmark::internal::Benchmark* b) {
  b->ArgName("rules");
  if (SmokeMode()) {
    b->Arg(10);
  } else {
    b->Arg(10)->Arg(100)->Arg(1000);
  }
}
BENCHMARK(BM_EndToEnd)->Apply(EndToEndArgs)->Unit(benchmark::kMillisecond);

void BM_ReadOnly(benchmark::State& state) {
  const EventsFile& file = Events();
  if (!file.error.empty()) {
    state.SkipWithError(file.error.c_str());
    return;
  }
  absl::StatusOr<std::shared_ptr<const Ruleset>> ruleset =
      LoadWorkloadRules(WorkloadDir(), SmokeMode() ? 10 : 100);
  if (!ruleset.ok()) {
    state.SkipWithError(std::string(ruleset.status().message()).c_str());
    return;
  }
  EventReader reader(**ruleset);
  CompactEvent event;  // as `switchboard run` reads
  int64_t bad = 0;
  for (auto _ : state) {
    for (std::string_view line : file.lines) {
      if (!reader.Next(line, &event).ok()) ++bad;
    }
    benchmark::DoNotOptimize(event.size());
  }
  if (bad > 0) state.SkipWithError("some lines were rejected");
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(file.lines.size()));
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(file.text.size()));
}
BENCHMARK(BM_ReadOnly)->Unit(benchmark::kMillisecond);

// Reads every value of an On-Demand value; returns a checksum-ish count.
int64_t Visit(simdjson::ondemand::value value);

int64_t VisitObject(simdjson::ondemand::object object) {
  int64_t n = 0;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return -1;
    n += static_cast<int64_t>(key.size()) + Visit(field.value());
  }
  return n;
}

int64_t Visit(simdjson::ondemand::value value) {
  simdjson::ondemand::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return -1;
  switch (type) {
    case simdjson::ondemand::json_type::string: {
      std::string_view s;
      return value.get_string().get(s) == simdjson::SUCCESS
                 ? static_cast<int64_t>(s.size())
                 : -1;
    }
    case simdjson::ondemand::json_type::number: {
      double d;
      return value.get_double().get(d) == simdjson::SUCCESS
                 ? static_cast<int64_t>(d != 0)
                 : -1;
    }
    case simdjson::ondemand::json_type::boolean: {
      bool b;
      return value.get_bool().get(b) == simdjson::SUCCESS ? b : -1;
    }
    case simdjson::ondemand::json_type::object: {
      simdjson::ondemand::object o;
      return value.get_object().get(o) == simdjson::SUCCESS ? VisitObject(o)
                                                            : -1;
    }
    case simdjson::ondemand::json_type::array: {
      simdjson::ondemand::array a;
      if (value.get_array().get(a) != simdjson::SUCCESS) return -1;
      int64_t n = 0;
      for (auto element : a) {
        simdjson::ondemand::value v;
        if (element.get(v) != simdjson::SUCCESS) return -1;
        n += Visit(v);
      }
      return n;
    }
    case simdjson::ondemand::json_type::null:
      return value.is_null() ? 0 : -1;
  }
  return -1;
}

void BM_ParseOnly(benchmark::State& state) {
  const EventsFile& file = Events();
  if (!file.error.empty()) {
    state.SkipWithError(file.error.c_str());
    return;
  }
  simdjson::ondemand::parser parser;
  std::string padded;
  int64_t bad = 0;
  int64_t sum = 0;
  for (auto _ : state) {
    for (std::string_view line : file.lines) {
      padded.assign(line);
      padded.append(simdjson::SIMDJSON_PADDING, '\0');
      simdjson::ondemand::document doc;
      simdjson::ondemand::object object;
      if (parser.iterate(padded.data(), line.size(), padded.size()).get(doc) !=
              simdjson::SUCCESS ||
          doc.get_object().get(object) != simdjson::SUCCESS) {
        ++bad;
        continue;
      }
      const int64_t n = VisitObject(object);
      if (n < 0) ++bad;
      sum += n;
    }
  }
  benchmark::DoNotOptimize(sum);
  if (bad > 0) state.SkipWithError("some lines did not parse");
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(file.lines.size()));
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(file.text.size()));
}
BENCHMARK(BM_ParseOnly)->Unit(benchmark::kMillisecond);

void BM_ParseOnly_Stream(benchmark::State& state) {
  const EventsFile& file = Events();
  if (!file.error.empty()) {
    state.SkipWithError(file.error.c_str());
    return;
  }
  const simdjson::padded_string text(file.text);
  simdjson::ondemand::parser parser;
  int64_t bad = 0;
  int64_t sum = 0;
  int64_t docs = 0;
  for (auto _ : state) {
    simdjson::ondemand::document_stream stream;
    if (parser.iterate_many(text).get(stream) != simdjson::SUCCESS) {
      state.SkipWithError("iterate_many failed");
      return;
    }
    for (auto doc : stream) {
      simdjson::ondemand::object object;
      if (doc.get_object().get(object) != simdjson::SUCCESS) {
        ++bad;
        continue;
      }
      const int64_t n = VisitObject(object);
      if (n < 0) ++bad;
      sum += n;
      ++docs;
    }
  }
  benchmark::DoNotOptimize(sum);
  if (bad > 0) state.SkipWithError("some documents did not parse");
  state.SetItemsProcessed(docs);
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(file.text.size()));
}
BENCHMARK(BM_ParseOnly_Stream)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace switchboard::bench
