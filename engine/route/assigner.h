// Assigner: the skill-routing state of one engine (docs/skill-routing.md):
// agents (skills, capacity per channel, readiness, active conversations),
// queues (configuration from the ruleset, waiting conversations), assigned
// conversations, relax rings and route timeouts. It knows nothing of
// EngineImpl: the engine feeds it agent events, routes and ends_on events,
// asks for its next deadline (relax rings, timeouts) and collects the
// assignments it makes. See docs/skill-routing.md.
//
// Data layout, chosen so that one assignment stays cheap with 10,000 agents
// and 100,000 waiting conversations:
//   - A "profile" is a set of required skills (skill id, minimum level) of
//     one queue: the route's skills relaxed to ring r. Profiles are few
//     (queues x distinct route skills x rings) and built once.
//   - A "pool" is (profile, channel). It holds the conversations waiting
//     with that profile on that channel, ordered by the documented conversation
//     order (priority desc, since asc, session id), and the agents that can
//     take one right now (ready, all skills of the profile, a free unit on
//     the channel), ordered by the documented agent order (fewest active,
//     earliest available-since, agent id). Both are B-trees. Pools are created
//     when a conversation first needs one (one scan of the agents, once).
//   - A pool whose two sets are both non-empty is "live". Assign() only
//     looks at live pools: the next assignment is the head conversation of
//     the live pool whose head comes first, given the head agent of that
//     pool. That is exactly the outcome of the documented scan (every waiting
//     conversation in order, each takes the best eligible agent), because
//     all conversations of one pool have the same eligible agents and an
//     assignment only ever removes eligibility.
//   - When an agent changes (ready, skills, a conversation starts or ends),
//     only the pools of the profiles it matches are touched.
//   - Relax rings and timeouts are a min-heap of (deadline, kind) wake-ups,
//     validated by a per-conversation generation when popped. At one
//     instant relax steps sort before timeouts.
//   - No heap call per route in steady state: the B-trees take their nodes
//     from the Assigner's own NodePool (engine/route/node_pool.h), which
//     keeps freed nodes for reuse; conversation slots, their strings and
//     the vectors keep their capacity; the session -> conversation index
//     holds views of the slots' session ids.
// Not thread-safe (one per engine).
#ifndef SWITCHBOARD_ENGINE_ROUTE_ASSIGNER_H_
#define SWITCHBOARD_ENGINE_ROUTE_ASSIGNER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/check/checked_ruleset.h"
#include "engine/common/snapshot_codec.h"
#include "engine/route/node_pool.h"

namespace switchboard::route {

// Counters of an Assigner since it was created (kept across Reload).
struct AssignerStats {
  int64_t assignments = 0;
  int64_t abandoned = 0;       // waiting conversations ended (ends_on,
                               // or their queue removed by a reload)
  int64_t route_timeouts = 0;  // waiting conversations that timed out
  int64_t unassignable = 0;    // routes whose channel is missing/not served
  int64_t transfers = 0;       // routes of a session already in a queue
  int64_t agent_events_ignored = 0;  // ready/not_ready/... of unknown agents
};

// One assignment made by Assign(). Views stay valid until the next call
// that changes the Assigner.
struct Assignment {
  std::string_view session;
  uint32_t user = 0;      // the value given to Enqueue (a session slot)
  std::string_view rule;  // the rule whose route queued it
  std::string_view queue;
  std::string_view agent;
  absl::Duration waited;
  int ring = 0;  // relax steps in effect (0: none)
  // With explain: eligible agents, skipped ones and why, the ring applied.
  std::vector<std::string> notes;
};

// A conversation that waited past its route's timeout (it has left the
// queue); the engine derives `route.timeout` for the session.
struct RouteTimeout {
  std::string_view session;
  uint32_t user = 0;
  std::string_view queue;
  absl::Duration waited;
};

// queue('q') in CEL.
struct QueueStats {
  int64_t waiting = 0;
  int64_t available = 0;
  absl::Duration longest_wait;
  absl::Duration estimated_wait;
};

// The estimator's mean handle time when a queue has neither observations
// nor a `handle_time` (docs/skill-routing.md).
inline constexpr absl::Duration kDefaultHandleTime = absl::Minutes(5);

class Assigner {
 public:
  using IntMap = std::vector<std::pair<std::string, int64_t>>;

  explicit Assigner(const check::CheckedRuleset& rs);
  Assigner(const Assigner&) = delete;
  Assigner& operator=(const Assigner&) = delete;
  // Moving keeps every internal view valid (deques and B-tree nodes do not
  // move their elements; the node pool moves with its B-trees); the
  // ruleset must still outlive the result. Not move-assignable: the
  // B-trees being replaced would free their nodes into a pool already gone.
  Assigner(Assigner&&) = default;
  Assigner& operator=(Assigner&&) = delete;

  // ---- agents (global agent.* events) ----
  // agent.login: skills (null: none), capacity (null: 1 on every channel;
  // given: listed channels only), ready. A logged-in agent logging in again
  // gets the new skills and capacity and keeps its conversations.
  void Login(std::string_view agent, const IntMap* skills,
             const IntMap* capacity, bool ready, absl::Time now);
  void SetReady(std::string_view agent, bool ready, absl::Time now);
  void Logout(std::string_view agent, absl::Time now);
  void SetSkills(std::string_view agent, const IntMap* skills, absl::Time now);

  // ---- conversations ----
  // A `route` of `session` (from rule `rule`, whose action is `route`, an
  // action of the ruleset given at construction or to Reload). `channel`
  // is the session's channel, or nullopt. A session already waiting or
  // assigned is transferred (leaves its queue or agent; `waited` restarts).
  void Enqueue(std::string_view session, uint32_t user, std::string_view rule,
               const check::RouteAction& route,
               std::optional<std::string_view> channel, absl::Time now);
  // An event of `type` for `session`: ends its conversation when `type` is
  // in its queue's ends_on. Returns whether a conversation ended.
  bool EndOn(std::string_view session, std::string_view type, absl::Time now);
  // Ends the session's conversation, if any (an abandoned one when waiting).
  bool End(std::string_view session, absl::Time now);
  bool HasConversation(std::string_view session) const;

  // ---- time ----
  // The earliest pending relax step or timeout (InfiniteFuture: none).
  absl::Time NextDeadline();
  // Applies every relax step due at or before `t`.
  void ApplyRelax(absl::Time t);
  // Takes the next route timeout due at or before `t` (relax steps of the
  // same instant must have been applied); false when none is due. The
  // conversation has left its queue. Timeouts of one instant come in
  // session id order.
  bool PopTimeout(absl::Time t, RouteTimeout* out);

  // Assigns waiting conversations to agents at `now`, in the documented order,
  // appending to `out` (cleared first). With `explain`, fills notes.
  void Assign(absl::Time now, bool explain, std::vector<Assignment>* out);
  // Whether Assign could do anything (a live pool exists).
  bool CanAssign() const { return !live_.empty(); }

  // A pending wake-up of a waiting conversation: its next relax step, or
  // its route timeout.
  struct PendingWake {
    absl::Time deadline;
    std::string_view session;
    std::string_view rule;  // the rule whose route queued it
    bool timeout = false;   // false: a relax step
  };
  // Every waiting conversation's pending wake-ups, by deadline, then
  // session, relax steps before timeouts. Views into the Assigner.
  std::vector<PendingWake> PendingWakes() const;

  // ---- statistics ----
  // Stats of queue `q` (index in the ruleset) at `now`.
  QueueStats Stats(int q, absl::Time now) const;
  const AssignerStats& stats() const { return stats_; }
  int64_t waiting() const;
  int64_t assigned() const;

  // ---- state ----
  // Writes agents, conversations and counters (by name: a reader with
  // another ruleset remaps queues like Reload does).
  void SaveState(common::SnapshotWriter& w) const;
  // Replaces the state by one written by SaveState; `now` is the engine's
  // clock (relax steps due by then are in effect). On error the Assigner is
  // left empty (no agents, no conversations).
  absl::Status LoadState(common::SnapshotReader& r, absl::Time now);
  // Switches to `rs` (which must outlive the Assigner): queues are remapped
  // by name; a removed queue's waiting conversations are abandoned
  // (counted), its assigned ones stay with their agents.
  void Reload(const check::CheckedRuleset& rs, absl::Time now);

 private:
  enum class ConvState : uint8_t { kFree, kWaiting, kAssigned };

  struct WaitKey {
    int64_t priority;
    absl::Time since;
    std::string_view session;
    uint32_t conv;
    bool operator<(const WaitKey& o) const {
      if (priority != o.priority) return priority > o.priority;
      if (since != o.since) return since < o.since;
      return session < o.session;
    }
  };
  struct AgentKey {
    int32_t active;
    absl::Time since;
    std::string_view id;
    uint32_t agent;
    bool operator<(const AgentKey& o) const {
      if (active != o.active) return active < o.active;
      if (since != o.since) return since < o.since;
      return id < o.id;
    }
  };
  struct Profile {
    int queue = -1;
    std::vector<std::pair<int, int>> reqs;  // (skill id, min level)
    std::vector<int> pools;                 // pools of this profile
  };
  // absl's hash of the bytes (absl::Hash<std::string_view> falls back to
  // std::hash in this build of abseil).
  struct SessionHash {
    size_t operator()(std::string_view s) const {
      return absl::Hash<absl::string_view>()(
          absl::string_view(s.data(), s.size()));
    }
  };
  // A B-tree whose nodes come from the Assigner's NodePool.
  template <typename K>
  using PooledSet = absl::btree_set<K, std::less<K>, PoolAllocator<K>>;
  struct Pool {
    explicit Pool(NodePool* nodes)
        : waiting(PoolAllocator<WaitKey>(nodes)),
          agents(PoolAllocator<AgentKey>(nodes)) {}
    int profile = -1;
    int channel = -1;
    PooledSet<WaitKey> waiting;
    PooledSet<AgentKey> agents;
    int live_pos = -1;
  };
  // The profiles of a (queue, route skills) pair, by ring.
  struct RouteSpec {
    int queue = -1;
    std::vector<check::SkillLevel>
        skills;              // unrelaxed, as the route wrote them
    std::vector<int> rings;  // profile per ring, 0..relax.size()
  };
  struct QueueState {
    explicit QueueState(NodePool* nodes)
        : by_since(PoolAllocator<std::pair<absl::Time, uint32_t>>(nodes)) {}
    std::string name;
    std::vector<int> channels;  // channel ids; empty: every channel
    std::vector<std::string> ends_on;
    std::vector<check::RelaxStep> relax;
    std::optional<absl::Duration> handle_time;
    int base_profile = -1;  // the queue's own skills, unrelaxed
    PooledSet<std::pair<absl::Time, uint32_t>> by_since;
    int64_t available = 0;
    int64_t handled = 0;
    absl::Duration handled_total;
  };
  struct Conversation {
    std::string session;
    std::string rule;
    uint32_t user = 0;
    ConvState state = ConvState::kFree;
    int queue = -1;  // -1: its queue was removed by a reload (assigned)
    int spec = -1;
    int ring = 0;
    int pool = -1;  // -1: unassignable (or not waiting)
    int channel = -1;
    int64_t priority = 0;
    std::optional<absl::Duration> timeout;
    absl::Time since;
    absl::Time assigned_at;
    uint32_t agent = 0;
    uint32_t generation = 0;
  };
  struct Agent {
    std::string id;
    IntMap raw_skills;
    IntMap raw_capacity;
    bool has_capacity = false;
    bool logged_in = false;
    bool ready = false;
    std::vector<int> levels;    // by skill id
    std::vector<int> capacity;  // by channel id (beyond: default_capacity)
    int default_capacity = 1;
    std::vector<int> active;  // by channel id
    int32_t active_total = 0;
    absl::Time available_since = absl::InfinitePast();
    std::vector<uint8_t> matches;          // by profile id
    std::vector<uint8_t> queue_available;  // by queue
    std::vector<int> pools_in;
    AgentKey key{};
  };
  struct Wake {
    absl::Time deadline;
    uint8_t kind;  // 0 relax, 1 timeout
    uint32_t conv;
    uint32_t generation;
    bool operator>(const Wake& o) const {
      if (deadline != o.deadline) return deadline > o.deadline;
      return kind > o.kind;
    }
  };

  struct Plain;  // the state by name (assigner.cc), for snapshots, reload
  void ExtractPlain(Plain* out) const;
  void RebuildFrom(const check::CheckedRuleset& rs, Plain& plain,
                   absl::Time now);
  void Configure(const check::CheckedRuleset& rs);
  int SkillId(std::string_view skill, bool create);
  int ChannelId(std::string_view channel);
  int GetProfile(int queue, std::vector<std::pair<int, int>> reqs);
  int GetSpec(int queue, const std::vector<check::SkillLevel>& skills);
  int GetPool(int profile, int channel);
  bool Matches(const Agent& a, int profile) const;
  int CapacityOf(const Agent& a, int channel) const;
  bool FreeOn(const Agent& a, int channel) const;
  void RecomputeAgentSkills(Agent& a);
  void RefreshAgent(uint32_t agent);
  void UpdateLive(int pool);
  Agent* FindAgent(std::string_view id);
  uint32_t NewConversation();
  void FreeConversation(uint32_t c);
  void Leave(uint32_t c, absl::Time now);  // out of queue or off agent
  void Wait(uint32_t c, absl::Time now);   // into spec/ring pool
  void PushRelax(uint32_t c);
  // The top of the wake-up heap after dropping stale entries.
  absl::Time HeapNext();
  void Explain(const Conversation& conv, const Pool& pool, absl::Time now,
               std::vector<std::string>* notes) const;
  std::string RingText(int queue, int ring) const;

  // First member: destroyed after every B-tree that takes nodes from it.
  // On the heap, so that moving the Assigner keeps the B-trees' pointer.
  std::unique_ptr<NodePool> nodes_ = std::make_unique<NodePool>();
  const check::CheckedRuleset* rs_;
  AssignerStats stats_;
  absl::flat_hash_map<std::string, int> skill_ids_;
  std::vector<std::string> skill_names_;
  absl::flat_hash_map<std::string, int> channel_ids_;
  std::vector<std::string> channel_names_;
  std::vector<QueueState> queues_;
  std::vector<Profile> profiles_;
  std::map<std::pair<int, std::vector<std::pair<int, int>>>, int>
      profile_index_;
  std::vector<RouteSpec> specs_;
  std::map<std::pair<int, std::vector<std::pair<std::string, int>>>, int>
      spec_index_;
  absl::flat_hash_map<const check::RouteAction*, int> route_specs_;
  std::deque<Pool> pools_;
  absl::flat_hash_map<std::pair<int, int>, int> pool_index_;
  std::vector<int> live_;
  std::deque<Agent> agents_;
  absl::flat_hash_map<std::string, uint32_t> agent_index_;
  std::deque<Conversation> convs_;
  std::vector<uint32_t> free_convs_;
  // Session id -> conversation; the key views the slot's `session`.
  absl::flat_hash_map<std::string_view, uint32_t, SessionHash> conv_index_;
  std::vector<Wake> wakes_;      // min-heap (std::push_heap with greater)
  std::string timeout_session_;  // of the last PopTimeout
  // Timeouts of one instant, taken in session id order (back first).
  std::vector<Wake> due_timeouts_;
};

}  // namespace switchboard::route

#endif  // SWITCHBOARD_ENGINE_ROUTE_ASSIGNER_H_
