// Helpers for the engine tests: load a ruleset from YAML text, build events,
// collect decisions in a comparable text form.
#ifndef SWITCHBOARD_TESTS_RUN_ENGINE_TEST_UTIL_H_
#define SWITCHBOARD_TESTS_RUN_ENGINE_TEST_UTIL_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "engine/common/time_util.h"
#include "gtest/gtest.h"
#include "switchboard/decision.h"
#include "switchboard/diagnostic.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/ruleset.h"

namespace switchboard::testing {

inline std::shared_ptr<const Ruleset> MustLoad(std::string_view yaml) {
  LoadResult result = LoadRulesetFromString(yaml, "test.yaml");
  EXPECT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  return result.ruleset();
}

// An engine for `yaml` (null, with a test failure, when it does not load).
inline std::unique_ptr<Engine> MakeEngine(std::string_view yaml,
                                          bool explain = false) {
  std::shared_ptr<const Ruleset> rs = MustLoad(yaml);
  if (rs == nullptr) return nullptr;
  EngineOptions options;
  options.explain = explain;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(rs, options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

// "2026-11-23T10:00:00Z", or a time of that day: "10:00:00".
inline absl::Time T(std::string_view text) {
  std::string full(text);
  if (full.size() <= 8) full = "2026-11-23T" + full + "Z";
  absl::StatusOr<absl::Time> t = ParseTimestamp(full);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : absl::UnixEpoch();
}

// A copy of a decision that outlives the sink call.
struct Got {
  std::string time;  // HH:MM:SS (or the full time on another day)
  std::string session, rule, action, trigger;
  std::vector<std::pair<std::string, std::string>> params;
  bool has_explanation = false;
  Explanation explanation;

  // "10:01:30 a rule action trigger"
  std::string Line() const {
    return time + " " + session + " " + rule + " " + action + " " + trigger;
  }
  std::string Param(std::string_view name) const {
    for (const auto& [n, v] : params) {
      if (n == name) return v;
    }
    return "<absent>";
  }
};

class CollectingSink : public DecisionSink {
 public:
  void OnDecision(const Decision& d) override {
    Got g;
    std::string t = ::switchboard::FormatTimestamp(d.time);
    g.time = t.rfind("2026-11-23T", 0) == 0 ? t.substr(11, 8) : t;
    g.session = std::string(d.session);
    g.rule = std::string(d.rule);
    g.action = std::string(d.action);
    g.trigger = std::string(d.trigger);
    for (const DecisionParam& p : d.params) {
      std::string v;
      switch (p.kind) {
        case DecisionParam::Kind::kString:
          v = std::string(p.string_value);
          break;
        case DecisionParam::Kind::kInt:
          v = std::to_string(p.int_value);
          break;
        case DecisionParam::Kind::kDuration:
          v = ::switchboard::FormatDuration(p.duration_value);
          break;
        case DecisionParam::Kind::kStringList:
          for (const std::string& s : p.strings)
            v += (v.empty() ? "" : ",") + s;
          break;
        case DecisionParam::Kind::kIntMap:
          for (const auto& [k, n] : p.ints) {
            v += (v.empty() ? "" : ",") + k + ":" + std::to_string(n);
          }
          break;
      }
      g.params.emplace_back(std::string(p.name), v);
    }
    if (d.explanation != nullptr) {
      g.has_explanation = true;
      g.explanation = *d.explanation;
    }
    got.push_back(std::move(g));
  }

  std::vector<std::string> Lines() const {
    std::vector<std::string> out;
    for (const Got& g : got) out.push_back(g.Line());
    return out;
  }
  std::vector<std::string> TakeLines() {
    std::vector<std::string> out = Lines();
    got.clear();
    return out;
  }

  std::vector<Got> got;
};

// An event of `type` at `time` (see T) for session `key` (attribute
// `key_name`), when key is not empty.
inline Event Ev(std::string_view type, std::string_view time,
                std::string_view key = "",
                std::string_view key_name = "conversation") {
  Event e(type, T(time));
  if (!key.empty()) e.SetString(key_name, key);
  return e;
}

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_RUN_ENGINE_TEST_UTIL_H_
