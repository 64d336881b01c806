// libFuzzer target: the JSON Lines event reader (engine/io/jsonl_reader.h)
// and the engine behind it. The input is an events file; it is split into
// lines as `switchboard run` does, each line is read against a fixed ruleset
// (fuzz_ruleset.h) and, when it reads, processed by an Engine, and at the end
// the clock advances a day so that every pending timer fires. Nothing may
// crash, hang or throw; a bad line is an InvalidArgument status. Also
// checked: a line that reads has a type and a finite time, and the engine's
// event counters add up. Run by tools/fuzz.sh; seeds: the packs' events.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/io/jsonl_reader.h"
#include "switchboard/decision.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/ruleset.h"
#include "tests/fuzz/fuzz_ruleset.h"

namespace {

class CountingSink : public switchboard::DecisionSink {
 public:
  void OnDecision(const switchboard::Decision& decision) override {
    ++count;
    json.clear();
    decision.AppendJson(&json);
  }
  int64_t count = 0;
  std::string json;
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
  switchboard::EventReader reader(rules->checked(), options);
  auto engine = switchboard::Engine::Create(rules);
  if (!engine.ok()) __builtin_trap();
  CountingSink sink;
  switchboard::Event event;
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
  }
  if ((*engine)->stats().events != ok_lines) __builtin_trap();
  (void)bad_lines;
  return 0;
}
