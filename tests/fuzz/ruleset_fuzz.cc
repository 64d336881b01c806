// libFuzzer target: the rule loader (LoadRulesetFromString). The input is a
// rule file's text. Loading must never crash, hang or throw (docs/library.md,
// docs/reliability.md): every problem is a diagnostic. A ruleset that loads
// is also drawn as a graph and given to an Engine, and the diagnostics are
// formatted (with their source line and caret), to reach that code on
// arbitrary input too. Run by tools/fuzz.sh; seeds: rules/**, tests/data/**.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "switchboard/diagnostic.h"
#include "switchboard/engine.h"
#include "switchboard/ruleset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Smaller node budget than the default so that an alias bomb costs
  // milliseconds, not seconds, per run (the limit itself is what matters).
  switchboard::LoadOptions options;
  options.max_yaml_nodes = 200000;
  const switchboard::LoadResult result =
      switchboard::LoadRulesetFromString(text, "fuzz.yaml", options);
  const std::string formatted =
      switchboard::FormatDiagnostics(result.diagnostics());
  if (result.ok()) {
    const std::string dot = result.ruleset()->GraphDot();
    auto engine = switchboard::Engine::Create(result.ruleset());
    if (!engine.ok()) __builtin_trap();  // a loaded ruleset always runs
  } else if (result.status().ok() || result.diagnostics().empty()) {
    __builtin_trap();  // a failed load always says why
  }
  return 0;
}
