// A routing workload for tests, in the shape of the reference benchmark
// workload (bench/gen_workload.py): rules whose conditions are conjunctions
// of `event.a == 'v'`, `event.a in [...]`, `event.x < n` and ranges over
// string, int and double attributes, and events of a few types over many
// sessions, with some attributes left out. Deterministic for a seed.
//
// Unlike the benchmark workload it also mixes in what the rule index must
// leave alone or handle exactly (tests/run/index_cross_check_test.cc):
// constants on the left, int constants against double attributes and double
// constants against int ones, negative numbers, `if` lists, conjuncts the
// index does not read (`!=`, `||`, `%`, has(), session fields, a
// comprehension), conditions that fail on absent attributes (counted as rule
// errors), `set`, `emit` (derived events are dispatched through the index
// too), `final`, priorities with ties and disabled rules.
#ifndef SWITCHBOARD_TESTS_RUN_ROUTING_WORKLOAD_H_
#define SWITCHBOARD_TESTS_RUN_ROUTING_WORKLOAD_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "switchboard/event.h"

namespace switchboard::testing {

struct RoutingWorkloadOptions {
  int rules = 100;
  int events = 2000;
  int sessions = 200;
  // Mix in the conditions and actions the benchmark workload does not have
  // (see the file comment). False: only the benchmark's shapes.
  bool extras = true;
  // Probability (percent) that an event leaves out an optional attribute.
  int absent_percent = 15;
  // Every rule `tag`s (one decision per matching rule, as the benchmark's
  // `--action tag`) instead of the mix of actions.
  bool tags = false;
};

class RoutingWorkload {
 public:
  RoutingWorkload(uint32_t seed, const RoutingWorkloadOptions& options)
      : rng_(seed), options_(options) {
    BuildRules();
    BuildEvents();
  }

  const std::string& yaml() const { return yaml_; }
  const std::vector<Event>& events() const { return events_; }

  // The events as JSON Lines (as bench/gen_workload.py writes them).
  std::vector<std::string> JsonLines() const {
    std::vector<std::string> lines;
    for (const Event& e : events_) {
      std::string l = "{\"time\":\"" +
                      absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", e.time(),
                                       absl::UTCTimeZone()) +
                      "\",\"type\":\"" + e.type() + "\"";
      for (const Event::Attribute& a : e) {
        l += ",\"" + a.name + "\":";
        switch (a.kind) {
          case Event::Kind::kString:
            l += "\"" + a.string_value + "\"";
            break;
          case Event::Kind::kInt:
            l += std::to_string(a.int_value);
            break;
          default:
            l += absl::StrCat(a.double_value);
            break;
        }
      }
      lines.push_back(l + "}");
    }
    return lines;
  }

 private:
  int Int(int lo, int hi) {  // inclusive
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool Chance(int percent) { return Int(0, 99) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Int(0, static_cast<int>(v.size()) - 1)];
  }

  static const std::vector<std::string>& Types() {
    static const auto* v = new std::vector<std::string>{
        "message.received", "bot.turn", "call.queued", "cart.updated",
        "conversation.started"};
    return *v;
  }
  static const std::vector<std::string>& Channels() {
    static const auto* v = new std::vector<std::string>{
        "chat", "voice", "whatsapp", "email", "sms", "web"};
    return *v;
  }
  struct StringAttr {
    std::string name;
    std::vector<std::string> values;
  };
  static const std::vector<StringAttr>& StringAttrs() {
    static const auto* v = new std::vector<StringAttr>{
        {"intent", {"sales", "support", "billing", "shipping", "other"}},
        {"language", {"en", "de", "fr", "nl", "tr", "es"}},
        {"tier", {"gold", "silver", "bronze", "platinum"}},
        {"channel", Channels()}};
    return *v;
  }
  struct NumberAttr {
    std::string name;
    bool is_double;
    int lo, hi;
  };
  static const std::vector<NumberAttr>& NumberAttrs() {
    static const auto* v = new std::vector<NumberAttr>{
        {"sentiment", true, -1, 1},     {"cart_value", true, 0, 300},
        {"cart_items", false, 0, 10},   {"turn", false, 0, 12},
        {"callers_ahead", false, 0, 6}, {"csat", false, 1, 5}};
    return *v;
  }

  // `mixed`: may give an int constant for a double attribute and the
  // reverse (not in `in` lists: the checker wants list(int) for an int).
  std::string NumberConstant(const NumberAttr& a, bool mixed = true) {
    if (a.name == "sentiment") {
      static const std::vector<std::string> kS = {"-0.5", "0.0", "0.25", "0.5",
                                                  "-1",   "0",   "1"};
      static const std::vector<std::string> kD = {"-0.5", "0.0",  "0.25",
                                                  "0.5",  "-1.0", "1.0"};
      return mixed ? Pick(kS) : Pick(kD);
    }
    const int n = Int(a.lo, a.hi);
    if (options_.extras && mixed && Chance(15)) {
      // A double constant (integral or not) against an int attribute, or
      // an int against a double attribute.
      return a.is_double ? std::to_string(n)
                         : std::to_string(n) + (Chance(50) ? ".5" : ".0");
    }
    return a.is_double ? std::to_string(n) + ".0" : std::to_string(n);
  }

  std::string StringTest() {
    const StringAttr& a = Pick(StringAttrs());
    const std::string attr = "event." + a.name;
    if (Chance(50)) {
      const std::string v = "'" + Pick(a.values) + "'";
      return options_.extras && Chance(20) ? v + " == " + attr
                                           : attr + " == " + v;
    }
    std::string list;
    const int k = Int(options_.extras ? 0 : 1, 3);
    for (int i = 0; i < k; ++i) {
      list += (i > 0 ? ", '" : "'") + Pick(a.values) + "'";
    }
    return attr + " in [" + list + "]";
  }

  std::string NumberTest() {
    const NumberAttr& a = Pick(NumberAttrs());
    const std::string attr = "event." + a.name;
    static const std::vector<std::string> kOps = {"<", "<=", ">", ">=", "=="};
    const int shape = Int(0, 9);
    if (shape <= 2) {  // a range
      std::string lo = NumberConstant(a), hi = NumberConstant(a);
      return attr + " >= " + lo + " && " + attr + " < " + hi;
    }
    if (options_.extras && shape == 3) {
      return NumberConstant(a) + " " + Pick(kOps) + " " + attr;
    }
    if (shape == 4) {
      std::string list;
      const int k = Int(1, 3);
      for (int i = 0; i < k; ++i) {
        list += (i > 0 ? ", " : "") + NumberConstant(a, /*mixed=*/false);
      }
      return attr + " in [" + list + "]";
    }
    return attr + " " + Pick(kOps) + " " + NumberConstant(a);
  }

  std::string Extra() {
    static const std::vector<std::string> kExtras = {
        "event.tier != 'gold'",
        "event.intent == 'sales' || event.turn > 3",
        "event.cart_items % 2 == 0",
        "has(event.csat)",
        "session.count > 2",
        "session.count < 4",
        "session.last != 'r0'",
        "[1, 2, 3].exists(x, x == event.turn)",
        "event.csat / (event.turn - event.turn) > 0",  // division by zero
        "event.language.startsWith('e')",
        "event.type == 'bot.turn'",
        "!(event.sentiment < 0.0)",
    };
    return Pick(kExtras);
  }

  std::string Condition() {
    std::vector<std::string> parts;
    const int tests = Int(1, 4);
    for (int i = 0; i < tests; ++i) {
      parts.push_back(Chance(55) ? StringTest() : NumberTest());
    }
    if (options_.extras && Chance(30)) {
      parts.insert(parts.begin() + Int(0, static_cast<int>(parts.size())),
                   Extra());
    }
    std::string s;
    for (size_t i = 0; i < parts.size(); ++i) {
      s += (i > 0 ? " && " : "") + parts[i];
    }
    return s;
  }

  void BuildRules() {
    yaml_ =
        "ruleset: routing_workload\n"
        "session:\n"
        "  key: conversation\n"
        "  fields:\n"
        "    count: int = 0\n"
        "    last: string = ''\n"
        "event:\n"
        "  intent: string\n"
        "  language: string\n"
        "  tier: string\n"
        "  sentiment: double\n"
        "  cart_value: double\n"
        "  cart_items: int\n"
        "  turn: int\n"
        "  callers_ahead: int\n"
        "  csat: int\n"
        "queues:\n"
        "  q0: {skills: {routing: 1}}\n"
        "  q1: {skills: {routing: 1}}\n"
        "rules:\n";
    for (int r = 0; r < options_.rules; ++r) {
      const std::string name = "r" + std::to_string(r);
      yaml_ += "  - name: " + name + "\n";
      yaml_ += "    priority: " + std::to_string(Int(0, 20)) + "\n";
      std::string on = Pick(Types());
      if (options_.extras && Chance(5)) on = "\"message.*\"";
      if (options_.extras && Chance(5)) on = "[bot.turn, derived.hint]";
      if (options_.extras && Chance(5)) on = "derived.hint";
      yaml_ += "    on: " + on + "\n";
      bool has_if = true;
      if (options_.extras && Chance(10)) {
        yaml_ += "    if: [\"" + Condition() + "\", \"" + Condition() + "\"]\n";
      } else if (!options_.extras || Chance(95)) {
        yaml_ += "    if: \"" + Condition() + "\"\n";
      } else {
        has_if = false;
      }
      // (A final rule without `if` would make the rules after it
      // unreachable, a load error.)
      if (options_.extras && has_if && Chance(3)) yaml_ += "    final: true\n";
      if (options_.extras && Chance(3)) yaml_ += "    enabled: false\n";
      yaml_ += "    then:\n";
      const int action = options_.tags ? 5 : (options_.extras ? Int(0, 9) : 0);
      if (action <= 4) {
        yaml_ += "      - route: {queue: q" + std::to_string(Int(0, 1)) +
                 ", priority: " + std::to_string(Int(1, 9)) + "}\n";
      } else if (action <= 7) {
        yaml_ += "      - tag: [" + name + "]\n";
      } else if (action == 8) {
        yaml_ += "      - set: {count: \"session.count + 1\", last: \"'" +
                 name + "'\"}\n      - tag: [" + name + "]\n";
      } else if (on != "derived.hint" && on != "[bot.turn, derived.hint]") {
        yaml_ +=
            "      - emit: {type: derived.hint, intent: \"'sales'\", turn: "
            "\"session.count + 2\", sentiment: 0.25}\n";
      } else {
        yaml_ += "      - tag: [" + name + "]\n";
      }
    }
  }

  void BuildEvents() {
    absl::Time t = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 0, 0, 0),
                                   absl::UTCTimeZone());
    for (int i = 0; i < options_.events; ++i) {
      t += absl::Milliseconds(Int(0, 1500));
      Event e(Pick(Types()), t);
      e.SetString("conversation",
                  "c-" + std::to_string(Int(0, options_.sessions - 1)));
      for (const StringAttr& a : StringAttrs()) {
        if (Chance(options_.absent_percent)) continue;
        e.SetString(a.name, Pick(a.values));
      }
      for (const NumberAttr& a : NumberAttrs()) {
        if (Chance(options_.absent_percent)) continue;
        if (a.is_double) {
          // Quarters hit the constants exactly; an int for a double too.
          const double v = Int(a.lo * 4, a.hi * 4) / 4.0;
          if (Chance(20)) {
            e.SetInt(a.name, static_cast<int64_t>(v));
          } else {
            e.SetDouble(a.name, v);
          }
        } else {
          e.SetInt(a.name, Int(a.lo - 1, a.hi + 1));
        }
      }
      events_.push_back(std::move(e));
    }
  }

  std::mt19937 rng_;
  RoutingWorkloadOptions options_;
  std::string yaml_;
  std::vector<Event> events_;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_RUN_ROUTING_WORKLOAD_H_
