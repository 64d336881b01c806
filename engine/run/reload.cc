// EngineImpl::Reload: swaps the ruleset, keeping the engine's state.
//
// Reload is a Restore of the engine's own state into a fresh engine built
// for the new ruleset (see snapshot.cc): the state is written as a snapshot
// payload, read back by the fresh engine, which remaps everything by name
// (fields by name and declared type, pending timers by trigger key, per-rule
// stats by rule name, channel health by channel name; agents and queues by
// the Assigner's own state section: Assigner::SaveState / LoadState), and
// only then *this is rebuilt for the new ruleset and reads the same state
// (EngineImpl::ReplaceState). So the swap is all or nothing, and a reload costs
// time and memory in proportion to the state (one copy of it in flight), not
// per event. What happens to each kind of state is documented in
// docs/reliability.md ("State: snapshot, restore, reload, session limit").
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/common/snapshot_codec.h"
#include "engine/run/engine_impl.h"

namespace switchboard::run {

using ::switchboard::common::SnapshotWriter;

absl::Status EngineImpl::Reload(std::shared_ptr<const Ruleset> ruleset) {
  if (ruleset == nullptr) {
    return absl::InvalidArgumentError("Engine::Reload: the ruleset is null");
  }
  SnapshotWriter w;
  WriteState(w);
  const std::string payload = w.Release();  // outlives *this's rebuild
  // What a snapshot does not hold but a reload keeps: the first error of
  // each rule (by rule name) and the unmatched event types.
  absl::flat_hash_map<std::string, std::string> first_errors;
  for (size_t r = 0; r < rs_->rules.size(); ++r) {
    if (!stats_.rule_first_errors[r].empty()) {
      first_errors.emplace(rs_->rules[r].name, stats_.rule_first_errors[r]);
    }
  }
  absl::flat_hash_map<std::string, int64_t> unmatched = std::move(unmatched_);
  if (absl::Status st = ReplaceState(std::move(ruleset), payload, 0);
      !st.ok()) {
    // Our own payload always reads back; this is a bug, not bad input.
    return absl::InternalError(absl::StrCat(
        "Engine::Reload: the state did not carry over: ", st.message()));
  }
  rules_with_errors_ = 0;
  for (size_t r = 0; r < rs_->rules.size(); ++r) {
    auto it = first_errors.find(rs_->rules[r].name);
    if (it != first_errors.end() && stats_.rule_errors[r] > 0) {
      stats_.rule_first_errors[r] = std::move(it->second);
    }
    if (!stats_.rule_first_errors[r].empty()) ++rules_with_errors_;
  }
  unmatched_ = std::move(unmatched);
  return absl::OkStatus();
}

}  // namespace switchboard::run
