// libFuzzer target: rule authors' test files (include/switchboard/
// rule_test.h, RunRuleTestText). The input is a test file's text. It runs
// from a scratch folder holding a valid ruleset (rules.yaml, the fixed
// ruleset of fuzz_ruleset.h), a broken one (broken.yaml) and an events file
// (events.jsonl), so that fuzzed tests load rulesets, feed inline events
// and events files, and compare decisions. Nothing may crash, hang or throw,
// and every failed test has a report. Inputs that name a path outside the
// folder (a scalar with '/' or '\', or "..") are skipped: reading arbitrary
// files of the machine is not what is being tested. Run by tools/fuzz.sh;
// seeds: the packs' and tests/data/rule_tests' test files.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "engine/load/rule_file.h"
#include "switchboard/diagnostic.h"
#include "switchboard/rule_test.h"
#include "tests/fuzz/fuzz_ruleset.h"

namespace {

constexpr char kBroken[] = R"yaml(ruleset: broken
event:
  intent: string
rules:
  - name: typo
    on: message.received
    if: event.intnt == 'x'
    then:
      - tag: [x]
)yaml";

constexpr char kEvents[] =
    R"({"time":"2026-11-23T10:00:00Z","type":"cart.updated","visitor":"a","cart_items":2})"
    "\n"
    R"({"time":"2026-11-23T10:01:00Z","type":"message.received","visitor":"a","intent":"agent"})"
    "\n"
    R"({"time":"2026-11-23T10:02:00Z","type":"call.queued","visitor":"b","vip":true})"
    "\n";

void WriteFile(const std::string& path, std::string_view text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) __builtin_trap();
  if (std::fwrite(text.data(), 1, text.size(), f) != text.size()) {
    __builtin_trap();
  }
  std::fclose(f);
}

// The scratch folder, made once per process under $TMPDIR (tools/fuzz.sh
// points it into the build folder and empties it).
const std::string& Folder() {
  static const std::string* const folder = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") +
                       "/switchboard-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) __builtin_trap();
    auto* dir = new std::string(tmpl);
    WriteFile(*dir + "/rules.yaml", switchboard::fuzz::kFuzzRuleset);
    WriteFile(*dir + "/broken.yaml", kBroken);
    WriteFile(*dir + "/events.jsonl", kEvents);
    return dir;
  }();
  return *folder;
}

bool NamesOutside(
    const switchboard::load::YamlNode& node,
    absl::flat_hash_set<const switchboard::load::YamlNode*>* seen) {
  if (!seen->insert(&node).second) return false;
  if (node.is_scalar()) {
    const std::string& v = node.value;
    return v.find('/') != std::string::npos ||
           v.find('\\') != std::string::npos ||
           v.find("..") != std::string::npos;
  }
  for (const switchboard::load::YamlNode* item : node.items) {
    if (NamesOutside(*item, seen)) return true;
  }
  for (const switchboard::load::YamlNode::Entry& e : node.entries) {
    if (NamesOutside(*e.key, seen) || NamesOutside(*e.value, seen)) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string path = Folder() + "/t.yaml";
  {
    std::vector<switchboard::Diagnostic> diagnostics;
    std::unique_ptr<switchboard::load::RuleFile> file =
        switchboard::load::ParseRuleFile(path, std::string(text),
                                         switchboard::load::YamlLimits(),
                                         &diagnostics);
    absl::flat_hash_set<const switchboard::load::YamlNode*> seen;
    if (file != nullptr && NamesOutside(file->root(), &seen)) return 0;
  }
  const std::vector<switchboard::RuleTestResult> results =
      switchboard::RunRuleTestText(text, path);
  if (results.empty()) __builtin_trap();
  for (const switchboard::RuleTestResult& r : results) {
    if (!r.passed && r.report.empty()) __builtin_trap();
  }
  return 0;
}
