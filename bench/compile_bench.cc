// Loading cost: YAML text -> checked, compiled Ruleset (LoadRulesetFromString:
// YAML parsing, checking, CEL parse / check / compile, the rule graph), for
// rulesets of realistic rules. Target: 1,000 rules in 50 ms or less.
//
//   BM_Compile/N          N rules of the pack-style ruleset below; items/s =
//                         rules per second, bytes/s = YAML bytes.
//   BM_CompileWorkload/N  the reference workload's rules_N.yaml (the file
//                         whose load `switchboard_workload` reports as
//                         load_ms), read into memory before timing.
//   BM_YamlOnly/N         the YAML stage alone (ParseRuleFile: the text
//                         checks and yaml-cpp's parser building the node
//                         tree) of the same text as BM_Compile/N: the floor
//                         that checking and compiling add to.
//   BM_Plan/N             the plan stage alone (RulesetPlan: rule order,
//                         trigger and rule indexes, decision parameters...)
//                         of the ruleset of BM_Compile/N, part of what
//                         BM_Compile/N loads.
//   BM_EngineCreate/N     Engine::Create for the ruleset of BM_Compile/N,
//                         loaded once before timing: what a new engine (one
//                         more partition) costs on top of a loaded ruleset.
//   BM_EngineReload/N     Engine::Reload of an engine without sessions to
//                         the same ruleset: a reload's fixed cost.
// Each iteration also frees the previous iteration's result.
#include <memory>
#include <string>
#include <vector>

#include "bench/workload.h"
#include "benchmark/benchmark.h"
#include "engine/load/rule_file.h"
#include "engine/plan/ruleset_access.h"
#include "engine/plan/ruleset_plan.h"
#include "switchboard/engine.h"
#include "switchboard/ruleset.h"

namespace {

// A ruleset of `n` rules in the style of the shipped packs: event, prefix,
// idle and after triggers, conditions on attributes, fields and calendars,
// and every kind of action.
std::string MakeRuleset(int n) {
  std::string yaml = R"yaml(ruleset: bench
session:
  key: visitor
  expire: 24h
  fields:
    cart_items: int = 0
    cart_value: double = 0.0
    chat_offered: bool = false
    bot_turns: int = 0
    language: string = "en"
    last_offer: timestamp
event:
  cart_items: int
  cart_value: double
  intent: string
  language: string
  sentiment: double
  tier: string
calendars:
  service_hours:
    timezone: Europe/Berlin
    weekly:
      mon-fri: ["08:00-20:00"]
      sat: ["09:00-14:00"]
    closed: ["2026-12-24", "2026-12-25"]
channels:
  voice: {fallback: [whatsapp, sms]}
queues:
  billing: {skills: {billing: 2, german: 1}, channels: [voice, chat]}
  sales: {skills: {sales: 1}}
rules:
)yaml";
  for (int i = 0; i < n; ++i) {
    const std::string id = std::to_string(i);
    yaml += "  - name: rule-" + id + "\n";
    yaml += "    description: Rule number " + id + " of the benchmark\n";
    yaml += "    priority: " + std::to_string(i % 20) + "\n";
    switch (i % 4) {
      case 0:
        yaml += "    on: message.received\n";
        yaml += "    if:\n      - has(event.intent) && event.intent == 'topic" +
                id +
                "'\n      - open('service_hours') && "
                "queue('billing').available > 0\n";
        yaml +=
            "    then:\n      - route: {queue: billing, priority: 5, "
            "timeout: 10m}\n      - set: {bot_turns: "
            "\"session.bot_turns + 1\"}\n";
        break;
      case 1:
        yaml += "    on: cart.*\n";
        yaml += "    if: has(event.cart_value) && event.cart_value > " +
                std::to_string(i % 500) + ".0\n";
        yaml +=
            "    then:\n      - set: {cart_items: \"has(event.cart_items) ? "
            "event.cart_items : session.cart_items\", cart_value: "
            "\"event.cart_value\"}\n      - tag: [cart, c" +
            id + "]\n";
        break;
      case 2:
        yaml += "    on: {idle: " + std::to_string(60 + i % 120) + "s}\n";
        yaml += "    if: session.cart_items > 0 && !session.chat_offered\n";
        yaml += "    then:\n      - offer: {channel: chat, message: m" + id +
                "}\n      - set: {chat_offered: true, last_offer: \"now\"}\n";
        break;
      default:
        yaml +=
            "    on: {after: 4h, since: cart.updated, unless: "
            "[order.placed]}\n";
        yaml +=
            "    if: session.language in ['de', 'en'] && "
            "event.sentiment < -0.5\n";
        yaml += "    then:\n      - handoff: {to: agent, reason: r" + id +
                "}\n      - emit: {type: audit.r" + id + ", intent: \"'x'\"}\n";
        break;
    }
  }
  return yaml;
}

// Times LoadRulesetFromString(yaml, name): n rules per iteration. Skips
// with the diagnostics when the text does not load.
void LoadLoop(benchmark::State& state, const std::string& yaml,
              const std::string& name, int n) {
  {
    const switchboard::LoadResult check =
        switchboard::LoadRulesetFromString(yaml, name);
    if (!check.ok()) {
      state.SkipWithError(
          switchboard::FormatDiagnostics(check.diagnostics()).c_str());
      return;
    }
  }
  for (auto _ : state) {
    switchboard::LoadResult result =
        switchboard::LoadRulesetFromString(yaml, name);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(yaml.size()));
}

void BM_Compile(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  LoadLoop(state, MakeRuleset(n), "bench.yaml", n);
}
BENCHMARK(BM_Compile)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond);

void BM_CompileWorkload(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string path = switchboard::bench::WorkloadDir() + "/rules_" +
                           std::to_string(n) + ".yaml";
  absl::StatusOr<std::string> yaml = switchboard::bench::ReadFile(path);
  if (!yaml.ok()) {
    state.SkipWithError(std::string(yaml.status().message()).c_str());
    return;
  }
  LoadLoop(state, *yaml, path, n);
}
BENCHMARK(BM_CompileWorkload)
    ->Apply([](benchmark::internal::Benchmark* b) {
      if (switchboard::bench::SmokeMode()) {
        b->Arg(10);
      } else {
        b->Arg(10)->Arg(100)->Arg(1000);
      }
    })
    ->Unit(benchmark::kMillisecond);

void BM_YamlOnly(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string yaml = MakeRuleset(n);
  const switchboard::load::YamlLimits limits;
  for (auto _ : state) {
    std::vector<switchboard::Diagnostic> diagnostics;
    auto file = switchboard::load::ParseRuleFile("bench.yaml", yaml, limits,
                                                 &diagnostics);
    if (file == nullptr) {
      state.SkipWithError("the YAML did not parse");
      return;
    }
    benchmark::DoNotOptimize(file);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(yaml.size()));
}
BENCHMARK(BM_YamlOnly)->Arg(1000)->Unit(benchmark::kMillisecond);

// The ruleset of BM_Compile/n, loaded; null (and the benchmark skipped)
// when it does not load.
std::shared_ptr<const switchboard::Ruleset> LoadBenchRuleset(
    benchmark::State& state, int n) {
  const switchboard::LoadResult result =
      switchboard::LoadRulesetFromString(MakeRuleset(n), "bench.yaml");
  if (!result.ok()) {
    state.SkipWithError(
        switchboard::FormatDiagnostics(result.diagnostics()).c_str());
  }
  return result.ruleset();
}

void BM_Plan(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::shared_ptr<const switchboard::Ruleset> ruleset =
      LoadBenchRuleset(state, n);
  if (ruleset == nullptr) return;
  const switchboard::check::CheckedRuleset& checked =
      switchboard::plan::RulesetAccess::Checked(*ruleset);
  for (auto _ : state) {
    switchboard::plan::RulesetPlan plan(checked);
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Plan)->Arg(10)->Arg(1000);

void BM_EngineCreate(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::shared_ptr<const switchboard::Ruleset> ruleset =
      LoadBenchRuleset(state, n);
  if (ruleset == nullptr) return;
  for (auto _ : state) {
    auto engine = switchboard::Engine::Create(ruleset);
    benchmark::DoNotOptimize(engine);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EngineCreate)->Arg(10)->Arg(1000);

void BM_EngineReload(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::shared_ptr<const switchboard::Ruleset> ruleset =
      LoadBenchRuleset(state, n);
  if (ruleset == nullptr) return;
  auto engine = switchboard::Engine::Create(ruleset);
  if (!engine.ok()) {
    state.SkipWithError(std::string(engine.status().message()).c_str());
    return;
  }
  for (auto _ : state) {
    const absl::Status status = (*engine)->Reload(ruleset);
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EngineReload)->Arg(10)->Arg(1000);

}  // namespace
