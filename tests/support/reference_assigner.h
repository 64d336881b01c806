// ReferenceAssigner: a deliberately plain re-implementation of the
// assignment of docs/skill-routing.md, for cross-checking the Assigner
// (engine/route/assigner.h) on random rosters and streams
// (tests/route/assigner_cross_check_test.cc).
//
// Simplicity over speed: agents and conversations in std::maps; every
// assignment scans every waiting conversation in the documented order and, for
// each, every agent; the relax ring of a conversation is computed from the time
// it has waited (no ring state); the next deadline is found by scanning
// every waiting conversation. The same observable choices as the Assigner:
// timeouts of one instant in session id order, relax steps and assignment
// of an instant before its timeouts, capacity absent = 1 on every channel,
// a relax `skills` step only lowers skills still required.
#ifndef SWITCHBOARD_TESTS_SUPPORT_REFERENCE_ASSIGNER_H_
#define SWITCHBOARD_TESTS_SUPPORT_REFERENCE_ASSIGNER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "engine/check/checked_ruleset.h"

namespace switchboard::testing {

class ReferenceAssigner {
 public:
  using IntMap = std::vector<std::pair<std::string, int64_t>>;

  explicit ReferenceAssigner(const check::CheckedRuleset& rs) : rs_(rs) {}

  void Login(const std::string& agent, const IntMap* skills,
             const IntMap* capacity, bool ready, absl::Time now);
  void SetReady(const std::string& agent, bool ready, absl::Time now);
  void Logout(const std::string& agent);
  void SetSkills(const std::string& agent, const IntMap* skills);

  void Enqueue(const std::string& session, const std::string& rule,
               const check::RouteAction& route,
               const std::optional<std::string>& channel, absl::Time now);
  bool EndOn(const std::string& session, const std::string& type,
             absl::Time now);

  // The next instant after the last one handled at which a relax step or a
  // timeout falls due (InfiniteFuture: none).
  absl::Time NextDeadline() const;
  // Handles instant `t` (from NextDeadline): assignment, then each timeout
  // (session id order) followed by assignment. Appends log lines.
  void HandleInstant(absl::Time t, std::vector<std::string>* log);
  // Assignment at `now`; appends "assign S->A queue waited ring" lines.
  void Assign(absl::Time now, std::vector<std::string>* log);

  // "waiting available longest estimated" of queue `q`.
  std::string Stats(int q, absl::Time now) const;

 private:
  struct Agent {
    std::map<std::string, int64_t> skills;
    bool has_capacity = false;
    std::map<std::string, int64_t> capacity;
    bool logged_in = false;
    bool ready = false;
    absl::Time available_since = absl::InfinitePast();
    std::map<std::string, int> active;  // by channel
    int active_total = 0;
  };
  struct Conv {
    std::string rule;
    int queue = 0;
    std::vector<check::SkillLevel> skills;
    int64_t priority = 0;
    std::optional<absl::Duration> timeout;
    std::optional<std::string> channel;
    absl::Time since;
    bool assigned = false;
    std::string agent;
    absl::Time assigned_at;
  };

  int Ring(const Conv& c, absl::Time now) const;
  std::map<std::string, int> Required(const Conv& c, int ring) const;
  bool Served(const Conv& c) const;
  int64_t Capacity(const Agent& a, const std::string& channel) const;
  bool Free(const Agent& a, const std::string& channel) const;
  bool HasSkills(const Agent& a, const std::map<std::string, int>& req) const;
  void Leave(const std::string& session, absl::Time now);

  const check::CheckedRuleset& rs_;
  std::map<std::string, Agent> agents_;
  std::map<std::string, Conv> convs_;
  std::vector<int64_t> handled_;
  std::vector<absl::Duration> handled_total_;
  absl::Time last_ = absl::InfinitePast();
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_SUPPORT_REFERENCE_ASSIGNER_H_
