// A program that embeds switchboard the way a backend does, built against
// the installed package (find_package or pkg-config) and through
// add_subdirectory by tests/package/run.sh. It loads a ruleset from text,
// feeds one event as an Event and one as a CompactEvent, then a clock
// advance, and checks the decisions it gets.
#include <cstdio>
#include <memory>
#include <string>

#include "switchboard/compact_event.h"
#include "switchboard/decision.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/ruleset.h"
#include "switchboard/time.h"

namespace {

class Collect : public switchboard::DecisionSink {
 public:
  void OnDecision(const switchboard::Decision& decision) override {
    lines += decision.ToJson() + "\n";
  }
  std::string lines;
};

constexpr char kRules[] = R"(
ruleset: shop
session: {key: visitor, fields: {items: int = 0}}
event: {cart_items: int}
rules:
  - name: track
    on: cart.updated
    then: [{set: {items: "event.cart_items"}}]
  - name: quiet-cart
    on: {idle: 90s}
    if: session.items > 0
    then: [{offer: {channel: chat, message: cart_help}}]
)";

}  // namespace

int main() {
  const switchboard::LoadResult loaded =
      switchboard::LoadRulesetFromString(kRules, "shop.yaml");
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s", std::string(loaded.status().message()).c_str());
    return 1;
  }
  auto engine = switchboard::Engine::Create(loaded.ruleset());
  if (!engine.ok()) return 1;
  const absl::Time t0 = *switchboard::ParseTimestamp("2026-11-23T10:00:00Z");
  switchboard::Event event("cart.updated", t0);
  event.SetString("visitor", "v-1");
  event.SetInt("cart_items", 2);
  Collect sink;
  if (!(*engine)->Process(event, &sink).ok()) return 1;
  switchboard::CompactEvent compact("cart.updated", t0 + absl::Seconds(10));
  compact.SetString("visitor", "v-2");
  compact.SetInt("cart_items", 1);
  if (!(*engine)->Process(compact, &sink).ok()) return 1;
  (*engine)->AdvanceTo(t0 + absl::Minutes(5), &sink);
  const std::string want =
      R"({"time":"2026-11-23T10:01:30Z","ruleset":"shop","session":"v-1",)"
      R"("rule":"quiet-cart","action":"offer","channel":"chat",)"
      R"("message":"cart_help","trigger":"idle"})"
      "\n"
      R"({"time":"2026-11-23T10:01:40Z","ruleset":"shop","session":"v-2",)"
      R"("rule":"quiet-cart","action":"offer","channel":"chat",)"
      R"("message":"cart_help","trigger":"idle"})"
      "\n";
  std::fputs(sink.lines.c_str(), stdout);
  if (sink.lines != want) {
    std::fprintf(stderr, "consumer: unexpected decisions; wanted:\n%s",
                 want.c_str());
    return 1;
  }
  return 0;
}
