// libFuzzer target: the JSON Lines event reader (engine/io/jsonl_reader.h)
// and the engine behind it. The input is an events file; it is split into
// lines as `switchboard run` does, each line is read against a fixed ruleset
// (fuzz_ruleset.h) and, when it reads, processed by an Engine, and at the end
// the clock advances a day so that every pending timer fires. Nothing may
// crash, hang or throw; a bad line is an InvalidArgument status. Also
// checked: a line that reads has a type and a finite time, the engine's
// event counters add up, and the reader's fast path for flat lines
// (ReaderOptions::fast_path) agrees with the full simdjson parser: a second
// reader with the fast path off must give the same status for every line,
// and a second engine fed from it the same decisions; and a third reader
// into a CompactEvent (switchboard/compact_event.h) the same status, with a
// third engine fed the compact events the same decisions. Run by
// tools/fuzz.sh; seeds: the packs' events.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "switchboard/compact_event.h"
#include "switchboard/decision.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/event_reader.h"
#include "switchboard/ruleset.h"
#include "tests/fuzz/fuzz_ruleset.h"

namespace {

class CountingSink : public switchboard::DecisionSink {
 public:
  void OnDecision(const switchboard::Decision& decision) override {
    ++count;
    decision.AppendJson(&json);
    json.push_back('\n');
  }
  int64_t count = 0;
  std::string json;  // every decision, one JSON line each
};

const std::shared_ptr<const switchboard::Ruleset>& Rules() {
  static const auto* const rules = [] {
    switchboard::LoadResult r = switchboard::LoadRulesetFromString(
        switchboard::fuzz::kFuzzRuleset, "fuzz.yaml");
    if (!r.ok()) __builtin_trap();
    return new std::shared_ptr<const switchboard::Ruleset>(r.ruleset());
  }();
  return *rules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto& rules = Rules();
  switchboard::ReaderOptions options;
  options.max_line_bytes = 4096;  // exercises the limit on short inputs
  switchboard::EventReader reader(*rules, options);
  switchboard::ReaderOptions full_options = options;
  full_options.fast_path = false;
  switchboard::EventReader full_reader(*rules, full_options);
  switchboard::EventReader compact_reader(*rules, options);
  auto engine = switchboard::Engine::Create(rules);
  auto full_engine = switchboard::Engine::Create(rules);
  auto compact_engine = switchboard::Engine::Create(rules);
  if (!engine.ok() || !full_engine.ok() || !compact_engine.ok()) {
    __builtin_trap();
  }
  CountingSink sink;
  CountingSink full_sink;
  CountingSink compact_sink;
  switchboard::CompactEvent compact_event;
  switchboard::Event event;
  switchboard::Event full_event;
  int64_t ok_lines = 0;
  int64_t bad_lines = 0;
  size_t start = 0;
  while (start < input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    start = end + 1;
    if (switchboard::EventReader::IsBlankLine(line)) continue;
    absl::Status s = reader.Next(line, &event);
    const absl::Status full = full_reader.Next(line, &full_event);
    if (s != full) __builtin_trap();  // code and message
    if (full.ok()) (void)(*full_engine)->Process(full_event, &full_sink);
    if (compact_reader.Next(line, &compact_event) != s) __builtin_trap();
    if (s.ok()) {
      (void)(*compact_engine)->Process(compact_event, &compact_sink);
    }
    if (!s.ok()) {
      if (s.code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
      ++bad_lines;
      continue;
    }
    if (event.type().empty() || event.time() == absl::InfinitePast() ||
        event.time() == absl::InfiniteFuture()) {
      __builtin_trap();
    }
    s = (*engine)->Process(event, &sink);
    if (s.ok()) {
      ++ok_lines;
    } else if (s.code() != absl::StatusCode::kInvalidArgument) {
      __builtin_trap();
    }
  }
  if ((*engine)->now() != absl::InfinitePast()) {
    (*engine)->AdvanceTo((*engine)->now() + absl::Hours(24), &sink);
    (*full_engine)->AdvanceTo((*engine)->now(), &full_sink);
    (*compact_engine)->AdvanceTo((*engine)->now(), &compact_sink);
  }
  if ((*engine)->stats().events != ok_lines) __builtin_trap();
  if (sink.json != full_sink.json) __builtin_trap();
  if (compact_sink.json != sink.json) __builtin_trap();
  if ((*compact_engine)->stats().rejected_events !=
      (*engine)->stats().rejected_events) {
    __builtin_trap();
  }
  if ((*full_engine)->stats().rejected_events !=
      (*engine)->stats().rejected_events) {
    __builtin_trap();
  }
  (void)bad_lines;
  return 0;
}
