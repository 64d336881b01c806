// The skill-routing state of one engine: agents, queues, waiting and
// assigned conversations, relax rings and timeouts (docs/skill-routing.md). See
// assigner.h for the data layout and docs/skill-routing.md for the model.
#include "engine/route/assigner.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/check/rule_env.h"
#include "engine/common/time_util.h"

namespace switchboard::route {
namespace {

using ::switchboard::check::kDefaultEndsOn;

using ::switchboard::check::Action;
using ::switchboard::check::ActionKind;
using ::switchboard::check::Channel;
using ::switchboard::check::CheckedRuleset;
using ::switchboard::check::Queue;
using ::switchboard::check::RelaxStep;
using ::switchboard::check::RouteAction;
using ::switchboard::check::Rule;
using ::switchboard::check::SkillLevel;

absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

std::string Dur(absl::Duration d) { return switchboard::FormatDuration(d); }

constexpr int kMaxListed = 20;  // agents listed per explain line

// *to = *from (empty when from is null), in to's storage.
void AssignMap(const Assigner::IntMap* from, Assigner::IntMap* to) {
  if (from == nullptr) {
    to->clear();
  } else {
    *to = *from;
  }
}

}  // namespace

// The state by name: what SaveState writes and Reload carries over.
struct Assigner::Plain {
  struct PAgent {
    std::string id;
    IntMap skills;
    bool has_capacity = false;
    IntMap capacity;
    bool logged_in = false;
    bool ready = false;
    absl::Time available_since = absl::InfinitePast();
  };
  struct PQueue {
    std::string name;
    int64_t handled = 0;
    absl::Duration handled_total;
  };
  struct PConv {
    std::string session;
    std::string rule;
    uint32_t user = 0;
    bool assigned = false;
    std::string queue;  // "" when its queue was removed (assigned only)
    std::vector<SkillLevel> skills;
    bool has_channel = false;
    std::string channel;
    int64_t priority = 0;
    std::optional<absl::Duration> timeout;
    absl::Time since;
    absl::Time assigned_at;
    std::string agent;
  };
  AssignerStats stats;
  std::vector<PAgent> agents;
  std::vector<PQueue> queues;
  std::vector<PConv> convs;
};

Assigner::Assigner(const CheckedRuleset& rs) { Configure(rs); }

// ---- configuration
// -----------------------------------------------------------

void Assigner::Configure(const CheckedRuleset& rs) {
  rs_ = &rs;
  for (const Channel& c : rs.channels) ChannelId(c.name);
  queues_.clear();
  queues_.reserve(rs.queues.size());
  for (size_t q = 0; q < rs.queues.size(); ++q) {
    queues_.emplace_back(nodes_.get());
  }
  for (size_t q = 0; q < rs.queues.size(); ++q) {
    const Queue& src = rs.queues[q];
    QueueState& qs = queues_[q];
    qs.name = src.name;
    for (const std::string& c : src.channels)
      qs.channels.push_back(ChannelId(c));
    qs.ends_on = src.ends_on;
    if (qs.ends_on.empty()) {
      for (std::string_view e : kDefaultEndsOn) qs.ends_on.emplace_back(e);
    }
    qs.relax = src.relax;
    qs.handle_time = src.handle_time;
  }
  for (size_t q = 0; q < rs.queues.size(); ++q) {
    const int spec = GetSpec(static_cast<int>(q), rs.queues[q].skills);
    queues_[q].base_profile = specs_[spec].rings[0];
  }
  for (const Rule& rule : rs.rules) {
    for (const Action& action : rule.actions) {
      if (action.kind != ActionKind::kRoute) continue;
      const RouteAction& route = std::get<RouteAction>(action.detail);
      if (route.queue < 0 ||
          static_cast<size_t>(route.queue) >= queues_.size()) {
        continue;
      }
      route_specs_[&route] = GetSpec(route.queue, route.skills);
    }
  }
}

int Assigner::SkillId(std::string_view skill, bool create) {
  auto it = skill_ids_.find(AV(skill));
  if (it != skill_ids_.end()) return it->second;
  if (!create) return -1;
  const int id = static_cast<int>(skill_names_.size());
  skill_names_.emplace_back(skill);
  skill_ids_.emplace(skill_names_.back(), id);
  for (Agent& a : agents_) RecomputeAgentSkills(a);
  return id;
}

int Assigner::ChannelId(std::string_view channel) {
  auto it = channel_ids_.find(AV(channel));
  if (it != channel_ids_.end()) return it->second;
  const int id = static_cast<int>(channel_names_.size());
  channel_names_.emplace_back(channel);
  channel_ids_.emplace(channel_names_.back(), id);
  return id;
}

int Assigner::GetProfile(int queue, std::vector<std::pair<int, int>> reqs) {
  std::sort(reqs.begin(), reqs.end());
  auto key = std::make_pair(queue, reqs);
  auto it = profile_index_.find(key);
  if (it != profile_index_.end()) return it->second;
  const int id = static_cast<int>(profiles_.size());
  Profile& p = profiles_.emplace_back();
  p.queue = queue;
  p.reqs = std::move(reqs);
  profile_index_.emplace(std::move(key), id);
  for (Agent& a : agents_) a.matches.push_back(Matches(a, id) ? 1 : 0);
  return id;
}

int Assigner::GetSpec(int queue, const std::vector<SkillLevel>& skills) {
  std::vector<std::pair<std::string, int>> named;
  for (const SkillLevel& s : skills) named.emplace_back(s.skill, s.level);
  std::sort(named.begin(), named.end());
  auto key = std::make_pair(queue, named);
  auto it = spec_index_.find(key);
  if (it != spec_index_.end()) return it->second;
  RouteSpec spec;
  spec.queue = queue;
  spec.skills = skills;
  // Ring r: the route's skills after the first r relax steps. A step drops
  // skills, or sets the level of skills still required (it never adds one).
  std::vector<std::pair<std::string, int>> current = named;
  auto profile_of = [&]() {
    std::vector<std::pair<int, int>> reqs;
    for (const auto& [name, level] : current) {
      reqs.emplace_back(SkillId(name, /*create=*/true), level);
    }
    return GetProfile(queue, std::move(reqs));
  };
  spec.rings.push_back(profile_of());
  for (const RelaxStep& step : queues_[queue].relax) {
    for (const std::string& d : step.drop) {
      current.erase(std::remove_if(current.begin(), current.end(),
                                   [&](const auto& e) { return e.first == d; }),
                    current.end());
    }
    for (const SkillLevel& s : step.skills) {
      for (auto& e : current) {
        if (e.first == s.skill) e.second = s.level;
      }
    }
    spec.rings.push_back(profile_of());
  }
  const int id = static_cast<int>(specs_.size());
  specs_.push_back(std::move(spec));
  spec_index_.emplace(std::move(key), id);
  return id;
}

int Assigner::GetPool(int profile, int channel) {
  auto it = pool_index_.find(std::make_pair(profile, channel));
  if (it != pool_index_.end()) return it->second;
  const int id = static_cast<int>(pools_.size());
  Pool& pool = pools_.emplace_back(nodes_.get());
  pool.profile = profile;
  pool.channel = channel;
  pool_index_.emplace(std::make_pair(profile, channel), id);
  profiles_[profile].pools.push_back(id);
  for (Agent& a : agents_) {
    if (a.logged_in && a.ready && a.matches[profile] && FreeOn(a, channel)) {
      pool.agents.insert(a.key);
      a.pools_in.push_back(id);
    }
  }
  return id;
}

// ---- agents
// ------------------------------------------------------------------

bool Assigner::Matches(const Agent& a, int profile) const {
  for (const auto& [skill, level] : profiles_[profile].reqs) {
    const int have =
        static_cast<size_t>(skill) < a.levels.size() ? a.levels[skill] : 0;
    if (have < level) return false;
  }
  return true;
}

int Assigner::CapacityOf(const Agent& a, int channel) const {
  return static_cast<size_t>(channel) < a.capacity.size() ? a.capacity[channel]
                                                          : a.default_capacity;
}

bool Assigner::FreeOn(const Agent& a, int channel) const {
  const int active =
      static_cast<size_t>(channel) < a.active.size() ? a.active[channel] : 0;
  return CapacityOf(a, channel) > active;
}

void Assigner::RecomputeAgentSkills(Agent& a) {
  a.levels.assign(skill_names_.size(), 0);
  for (const auto& [name, level] : a.raw_skills) {
    auto it = skill_ids_.find(name);
    if (it != skill_ids_.end()) {
      a.levels[it->second] =
          static_cast<int>(std::clamp<int64_t>(level, 0, 1000));
    }
  }
  a.matches.resize(profiles_.size());
  for (size_t p = 0; p < profiles_.size(); ++p) {
    a.matches[p] = Matches(a, static_cast<int>(p)) ? 1 : 0;
  }
}

void Assigner::UpdateLive(int p) {
  Pool& pool = pools_[p];
  const bool live = !pool.waiting.empty() && !pool.agents.empty();
  if (live == (pool.live_pos >= 0)) return;
  if (live) {
    pool.live_pos = static_cast<int>(live_.size());
    live_.push_back(p);
  } else {
    const int last = live_.back();
    live_[pool.live_pos] = last;
    pools_[last].live_pos = pool.live_pos;
    live_.pop_back();
    pool.live_pos = -1;
  }
}

void Assigner::RefreshAgent(uint32_t i) {
  Agent& a = agents_[i];
  for (int p : a.pools_in) {
    pools_[p].agents.erase(a.key);
    UpdateLive(p);
  }
  a.pools_in.clear();
  a.key = AgentKey{a.active_total, a.available_since, a.id, i};
  const bool on = a.logged_in && a.ready;
  if (on) {
    for (size_t prof = 0; prof < profiles_.size(); ++prof) {
      if (!a.matches[prof]) continue;
      for (int p : profiles_[prof].pools) {
        if (!FreeOn(a, pools_[p].channel)) continue;
        pools_[p].agents.insert(a.key);
        a.pools_in.push_back(p);
        UpdateLive(p);
      }
    }
  }
  a.queue_available.resize(queues_.size(), 0);
  int any_free = -1;  // a free unit on some known channel (computed once)
  for (size_t q = 0; q < queues_.size(); ++q) {
    QueueState& qs = queues_[q];
    bool av = on && a.matches[qs.base_profile];
    if (av) {
      bool free = false;
      if (qs.channels.empty()) {
        if (any_free < 0) {
          any_free = 0;
          for (size_t c = 0; c < channel_names_.size() && any_free == 0; ++c) {
            any_free = FreeOn(a, static_cast<int>(c)) ? 1 : 0;
          }
        }
        free = any_free == 1;
      } else {
        for (int c : qs.channels) {
          if (FreeOn(a, c)) {
            free = true;
            break;
          }
        }
      }
      av = free;
    }
    if (av != (a.queue_available[q] != 0)) {
      qs.available += av ? 1 : -1;
      a.queue_available[q] = av ? 1 : 0;
    }
  }
}

Assigner::Agent* Assigner::FindAgent(std::string_view id) {
  auto it = agent_index_.find(AV(id));
  return it == agent_index_.end() ? nullptr : &agents_[it->second];
}

void Assigner::Login(std::string_view id, const IntMap* skills,
                     const IntMap* capacity, bool ready, absl::Time now) {
  auto it = agent_index_.find(AV(id));
  uint32_t i;
  if (it == agent_index_.end()) {
    i = static_cast<uint32_t>(agents_.size());
    Agent& a = agents_.emplace_back();
    a.id.assign(id.data(), id.size());
    a.key = AgentKey{0, a.available_since, a.id, i};
    agent_index_.emplace(a.id, i);
  } else {
    i = it->second;
  }
  Agent& a = agents_[i];
  // Copy assignment into the kept vectors reuses their storage.
  AssignMap(skills, &a.raw_skills);
  a.has_capacity = capacity != nullptr;
  AssignMap(capacity, &a.raw_capacity);
  a.capacity.clear();
  a.default_capacity = a.has_capacity ? 0 : 1;
  for (const auto& [channel, n] : a.raw_capacity) {
    const int c = ChannelId(channel);
    if (a.capacity.size() <= static_cast<size_t>(c))
      a.capacity.resize(c + 1, 0);
    a.capacity[c] = static_cast<int>(std::clamp<int64_t>(n, 0, 1 << 20));
  }
  const bool was_ready = a.logged_in && a.ready;
  a.logged_in = true;
  a.ready = ready;
  if (ready && !was_ready) a.available_since = now;
  RecomputeAgentSkills(a);
  RefreshAgent(i);
}

void Assigner::SetReady(std::string_view id, bool ready, absl::Time now) {
  Agent* a = FindAgent(id);
  if (a == nullptr || !a->logged_in) {
    ++stats_.agent_events_ignored;
    return;
  }
  if (ready && !a->ready) a->available_since = now;
  a->ready = ready;
  RefreshAgent(agent_index_.find(a->id)->second);
}

void Assigner::Logout(std::string_view id, absl::Time now) {
  Agent* a = FindAgent(id);
  if (a == nullptr || !a->logged_in) {
    ++stats_.agent_events_ignored;
    return;
  }
  a->logged_in = false;
  a->ready = false;
  RefreshAgent(agent_index_.find(a->id)->second);
}

void Assigner::SetSkills(std::string_view id, const IntMap* skills,
                         absl::Time now) {
  Agent* a = FindAgent(id);
  if (a == nullptr || !a->logged_in) {
    ++stats_.agent_events_ignored;
    return;
  }
  AssignMap(skills, &a->raw_skills);
  RecomputeAgentSkills(*a);
  RefreshAgent(agent_index_.find(a->id)->second);
}

// ---- conversations
// -------------------------------------------------------------

uint32_t Assigner::NewConversation() {
  if (!free_convs_.empty()) {
    const uint32_t c = free_convs_.back();
    free_convs_.pop_back();
    return c;
  }
  convs_.emplace_back();
  return static_cast<uint32_t>(convs_.size() - 1);
}

void Assigner::FreeConversation(uint32_t c) {
  Conversation& conv = convs_[c];
  conv_index_.erase(conv.session);
  conv.state = ConvState::kFree;
  ++conv.generation;
  free_convs_.push_back(c);
}

void Assigner::Leave(uint32_t c, absl::Time now) {
  Conversation& conv = convs_[c];
  if (conv.state == ConvState::kWaiting) {
    if (conv.pool >= 0) {
      pools_[conv.pool].waiting.erase(
          WaitKey{conv.priority, conv.since, conv.session, c});
      UpdateLive(conv.pool);
    }
    queues_[conv.queue].by_since.erase({conv.since, c});
  } else if (conv.state == ConvState::kAssigned) {
    Agent& a = agents_[conv.agent];
    if (static_cast<size_t>(conv.channel) < a.active.size()) {
      --a.active[conv.channel];
    }
    --a.active_total;
    a.available_since = now;
    if (conv.queue >= 0) {
      QueueState& qs = queues_[conv.queue];
      ++qs.handled;
      qs.handled_total += now - conv.assigned_at;
    }
    RefreshAgent(conv.agent);
  }
  conv.pool = -1;
  conv.state = ConvState::kFree;
  ++conv.generation;
}

void Assigner::PushRelax(uint32_t c) {
  const Conversation& conv = convs_[c];
  const std::vector<RelaxStep>& relax = queues_[conv.queue].relax;
  if (static_cast<size_t>(conv.ring) >= relax.size()) return;
  wakes_.push_back(
      Wake{conv.since + relax[conv.ring].after, 0, c, conv.generation});
  std::push_heap(wakes_.begin(), wakes_.end(), std::greater<Wake>());
}

void Assigner::Wait(uint32_t c, absl::Time now) {
  Conversation& conv = convs_[c];
  conv.state = ConvState::kWaiting;
  QueueState& qs = queues_[conv.queue];
  qs.by_since.insert({conv.since, c});
  const bool served =
      conv.channel >= 0 &&
      (qs.channels.empty() || std::find(qs.channels.begin(), qs.channels.end(),
                                        conv.channel) != qs.channels.end());
  conv.pool = -1;
  if (served) {
    conv.pool = GetPool(specs_[conv.spec].rings[conv.ring], conv.channel);
    pools_[conv.pool].waiting.insert(
        WaitKey{conv.priority, conv.since, conv.session, c});
    UpdateLive(conv.pool);
  }
  PushRelax(c);
  if (conv.timeout.has_value()) {
    wakes_.push_back(Wake{conv.since + *conv.timeout, 1, c, conv.generation});
    std::push_heap(wakes_.begin(), wakes_.end(), std::greater<Wake>());
  }
}

void Assigner::Enqueue(std::string_view session, uint32_t user,
                       std::string_view rule, const RouteAction& route,
                       std::optional<std::string_view> channel,
                       absl::Time now) {
  int spec;
  auto sit = route_specs_.find(&route);
  if (sit != route_specs_.end()) {
    spec = sit->second;
  } else {
    if (route.queue < 0 || static_cast<size_t>(route.queue) >= queues_.size()) {
      return;
    }
    spec = GetSpec(route.queue, route.skills);
  }
  uint32_t c;
  auto it = conv_index_.find(session);
  if (it != conv_index_.end()) {
    c = it->second;
    ++stats_.transfers;
    Leave(c, now);
  } else {
    c = NewConversation();
    convs_[c].session.assign(session.data(), session.size());
    conv_index_.emplace(convs_[c].session, c);
  }
  Conversation& conv = convs_[c];
  conv.rule.assign(rule.data(), rule.size());
  conv.user = user;
  conv.spec = spec;
  conv.queue = specs_[spec].queue;
  conv.ring = 0;
  conv.channel = channel.has_value() ? ChannelId(*channel) : -1;
  conv.priority = route.priority;
  conv.timeout = route.timeout;
  conv.since = now;
  ++conv.generation;
  Wait(c, now);
  if (conv.pool < 0) ++stats_.unassignable;
}

bool Assigner::EndOn(std::string_view session, std::string_view type,
                     absl::Time now) {
  auto it = conv_index_.find(session);
  if (it == conv_index_.end()) return false;
  const Conversation& conv = convs_[it->second];
  bool ends = false;
  if (conv.queue >= 0) {
    for (const std::string& e : queues_[conv.queue].ends_on) {
      if (e == type) ends = true;
    }
  } else {
    for (std::string_view e : kDefaultEndsOn) {
      if (e == type) ends = true;
    }
  }
  if (!ends) return false;
  return End(session, now);
}

bool Assigner::End(std::string_view session, absl::Time now) {
  auto it = conv_index_.find(session);
  if (it == conv_index_.end()) return false;
  const uint32_t c = it->second;
  if (convs_[c].state == ConvState::kWaiting) ++stats_.abandoned;
  Leave(c, now);
  FreeConversation(c);
  return true;
}

bool Assigner::HasConversation(std::string_view session) const {
  return conv_index_.find(session) != conv_index_.end();
}

// ---- time
// ----------------------------------------------------------------------

std::vector<Assigner::PendingWake> Assigner::PendingWakes() const {
  std::vector<PendingWake> out;
  for (const Conversation& conv : convs_) {
    if (conv.state != ConvState::kWaiting || conv.queue < 0) continue;
    const std::vector<RelaxStep>& relax = queues_[conv.queue].relax;
    if (static_cast<size_t>(conv.ring) < relax.size()) {
      out.push_back({conv.since + relax[conv.ring].after, conv.session,
                     conv.rule, false});
    }
    if (conv.timeout.has_value()) {
      out.push_back(
          {conv.since + *conv.timeout, conv.session, conv.rule, true});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const PendingWake& a, const PendingWake& b) {
              if (a.deadline != b.deadline) return a.deadline < b.deadline;
              if (a.session != b.session) return a.session < b.session;
              return a.timeout < b.timeout;
            });
  return out;
}

absl::Time Assigner::NextDeadline() {
  if (!due_timeouts_.empty()) return due_timeouts_.back().deadline;
  return HeapNext();
}

absl::Time Assigner::HeapNext() {
  while (!wakes_.empty()) {
    const Wake& w = wakes_.front();
    const Conversation& conv = convs_[w.conv];
    if (conv.generation == w.generation && conv.state == ConvState::kWaiting) {
      return w.deadline;
    }
    std::pop_heap(wakes_.begin(), wakes_.end(), std::greater<Wake>());
    wakes_.pop_back();
  }
  return absl::InfiniteFuture();
}

void Assigner::ApplyRelax(absl::Time t) {
  while (HeapNext() <= t && wakes_.front().kind == 0) {
    const Wake w = wakes_.front();
    std::pop_heap(wakes_.begin(), wakes_.end(), std::greater<Wake>());
    wakes_.pop_back();
    Conversation& conv = convs_[w.conv];
    const RouteSpec& spec = specs_[conv.spec];
    if (static_cast<size_t>(conv.ring + 1) >= spec.rings.size()) continue;
    ++conv.ring;
    if (conv.pool >= 0) {
      const WaitKey key{conv.priority, conv.since, conv.session, w.conv};
      pools_[conv.pool].waiting.erase(key);
      UpdateLive(conv.pool);
      conv.pool = GetPool(spec.rings[conv.ring], conv.channel);
      pools_[conv.pool].waiting.insert(key);
      UpdateLive(conv.pool);
    }
    PushRelax(w.conv);
  }
}

bool Assigner::PopTimeout(absl::Time t, RouteTimeout* out) {
  for (;;) {
    if (due_timeouts_.empty()) {
      const absl::Time next = HeapNext();
      if (next > t || wakes_.front().kind != 1) return false;
      // Every valid timeout of this instant, in session id order.
      while (HeapNext() == next && wakes_.front().kind == 1) {
        due_timeouts_.push_back(wakes_.front());
        std::pop_heap(wakes_.begin(), wakes_.end(), std::greater<Wake>());
        wakes_.pop_back();
      }
      std::sort(due_timeouts_.begin(), due_timeouts_.end(),
                [this](const Wake& a, const Wake& b) {
                  return convs_[a.conv].session > convs_[b.conv].session;
                });
    }
    while (!due_timeouts_.empty()) {
      const Wake w = due_timeouts_.back();
      due_timeouts_.pop_back();
      Conversation& conv = convs_[w.conv];
      if (conv.generation != w.generation ||
          conv.state != ConvState::kWaiting) {
        continue;  // assigned, ended or transferred meanwhile
      }
      timeout_session_ = conv.session;
      out->session = timeout_session_;
      out->user = conv.user;
      out->queue = queues_[conv.queue].name;
      out->waited = w.deadline - conv.since;
      ++stats_.route_timeouts;
      Leave(w.conv, w.deadline);
      FreeConversation(w.conv);
      return true;
    }
  }
}

// ---- assignment
// ------------------------------------------------------------------

void Assigner::Assign(absl::Time now, bool explain,
                      std::vector<Assignment>* out) {
  out->clear();
  while (!live_.empty()) {
    int best = live_[0];
    for (size_t i = 1; i < live_.size(); ++i) {
      const int p = live_[i];
      if (*pools_[p].waiting.begin() < *pools_[best].waiting.begin()) best = p;
    }
    Pool& pool = pools_[best];
    const WaitKey wk = *pool.waiting.begin();
    const AgentKey ak = *pool.agents.begin();
    Conversation& conv = convs_[wk.conv];
    Agent& a = agents_[ak.agent];
    Assignment& as = out->emplace_back();
    if (explain) Explain(conv, pool, now, &as.notes);
    pool.waiting.erase(pool.waiting.begin());
    UpdateLive(best);
    queues_[conv.queue].by_since.erase({conv.since, wk.conv});
    conv.state = ConvState::kAssigned;
    conv.agent = ak.agent;
    conv.assigned_at = now;
    conv.pool = -1;
    ++conv.generation;
    if (a.active.size() <= static_cast<size_t>(conv.channel)) {
      a.active.resize(conv.channel + 1, 0);
    }
    ++a.active[conv.channel];
    ++a.active_total;
    RefreshAgent(ak.agent);
    as.session = conv.session;
    as.user = conv.user;
    as.rule = conv.rule;
    as.queue = queues_[conv.queue].name;
    as.agent = a.id;
    as.waited = now - conv.since;
    as.ring = conv.ring;
    ++stats_.assignments;
  }
}

std::string Assigner::RingText(int queue, int ring) const {
  if (ring == 0) return "no relax step in effect";
  const RelaxStep& step = queues_[queue].relax[ring - 1];
  std::vector<std::string> parts;
  if (!step.drop.empty()) {
    parts.push_back(absl::StrCat("drop ", absl::StrJoin(step.drop, ", ")));
  }
  for (const SkillLevel& s : step.skills) {
    parts.push_back(absl::StrCat(s.skill, " ", s.level));
  }
  return absl::StrCat("relax step ", ring, " (after ", Dur(step.after), ": ",
                      absl::StrJoin(parts, "; "), ")");
}

void Assigner::Explain(const Conversation& conv, const Pool& pool,
                       absl::Time now, std::vector<std::string>* notes) const {
  const Profile& prof = profiles_[pool.profile];
  std::vector<std::string> reqs;
  for (const auto& [skill, level] : prof.reqs) {
    reqs.push_back(absl::StrCat(skill_names_[skill], " >= ", level));
  }
  notes->push_back(absl::StrCat(
      "queue ", queues_[conv.queue].name, ", channel ",
      channel_names_[conv.channel], ", waited ", Dur(now - conv.since), "; ",
      RingText(conv.queue, conv.ring), "; requires ",
      reqs.empty() ? "no skill" : absl::StrJoin(reqs, ", ")));
  std::vector<const Agent*> eligible;
  std::vector<std::pair<std::string_view, std::string>> skipped;
  for (const Agent& a : agents_) {
    if (!a.logged_in) continue;  // logged out agents are not listed
    if (!a.ready) {
      skipped.emplace_back(a.id, "not ready");
      continue;
    }
    std::string why;
    for (const auto& [skill, level] : prof.reqs) {
      const int have =
          static_cast<size_t>(skill) < a.levels.size() ? a.levels[skill] : 0;
      if (have < level) {
        why = have == 0
                  ? absl::StrCat("skill ", skill_names_[skill], " missing")
                  : absl::StrCat("skill ", skill_names_[skill], " ", have,
                                 " < ", level);
        break;
      }
    }
    if (why.empty() && !FreeOn(a, conv.channel)) {
      const int active = static_cast<size_t>(conv.channel) < a.active.size()
                             ? a.active[conv.channel]
                             : 0;
      why = absl::StrCat("capacity: ", active, " of ",
                         CapacityOf(a, conv.channel), " on ",
                         channel_names_[conv.channel], " in use");
    }
    if (why.empty()) {
      eligible.push_back(&a);
    } else {
      skipped.emplace_back(a.id, std::move(why));
    }
  }
  std::sort(eligible.begin(), eligible.end(),
            [](const Agent* x, const Agent* y) { return x->key < y->key; });
  std::sort(skipped.begin(), skipped.end());
  std::string line = "eligible (best first):";
  for (size_t i = 0; i < eligible.size() && i < kMaxListed; ++i) {
    const Agent& a = *eligible[i];
    absl::StrAppend(&line, i == 0 ? " " : ", ", a.id, " (", a.active_total,
                    " active, available since ",
                    FormatTimestamp(a.available_since), ")");
  }
  if (eligible.size() > static_cast<size_t>(kMaxListed)) {
    absl::StrAppend(&line, ", and ", eligible.size() - kMaxListed, " more");
  }
  notes->push_back(std::move(line));
  if (!skipped.empty()) {
    std::string s = "skipped:";
    for (size_t i = 0; i < skipped.size() && i < kMaxListed; ++i) {
      absl::StrAppend(&s, i == 0 ? " " : ", ", AV(skipped[i].first), " (",
                      skipped[i].second, ")");
    }
    if (skipped.size() > static_cast<size_t>(kMaxListed)) {
      absl::StrAppend(&s, ", and ", skipped.size() - kMaxListed, " more");
    }
    notes->push_back(std::move(s));
  }
}

// ---- statistics
// ------------------------------------------------------------------

QueueStats Assigner::Stats(int q, absl::Time now) const {
  QueueStats s;
  if (q < 0 || static_cast<size_t>(q) >= queues_.size()) return s;
  const QueueState& qs = queues_[q];
  s.waiting = static_cast<int64_t>(qs.by_since.size());
  s.available = qs.available;
  if (!qs.by_since.empty()) {
    s.longest_wait =
        std::max(absl::ZeroDuration(), now - qs.by_since.begin()->first);
  }
  absl::Duration mean = kDefaultHandleTime;
  if (qs.handled > 0) {
    mean = qs.handled_total / qs.handled;
  } else if (qs.handle_time.has_value()) {
    mean = *qs.handle_time;
  }
  s.estimated_wait = mean * s.waiting / std::max<int64_t>(s.available, 1);
  return s;
}

int64_t Assigner::waiting() const {
  int64_t n = 0;
  for (const QueueState& q : queues_)
    n += static_cast<int64_t>(q.by_since.size());
  return n;
}

int64_t Assigner::assigned() const {
  int64_t n = 0;
  for (const Conversation& c : convs_) {
    if (c.state == ConvState::kAssigned) ++n;
  }
  return n;
}

// ---- state
// -------------------------------------------------------------------------

void Assigner::ExtractPlain(Plain* out) const {
  out->stats = stats_;
  for (const Agent& a : agents_) {
    Plain::PAgent& p = out->agents.emplace_back();
    p.id = a.id;
    p.skills = a.raw_skills;
    p.has_capacity = a.has_capacity;
    p.capacity = a.raw_capacity;
    p.logged_in = a.logged_in;
    p.ready = a.ready;
    p.available_since = a.available_since;
  }
  for (const QueueState& q : queues_) {
    out->queues.push_back({q.name, q.handled, q.handled_total});
  }
  for (const Conversation& c : convs_) {
    if (c.state == ConvState::kFree) continue;
    Plain::PConv& p = out->convs.emplace_back();
    p.session = c.session;
    p.rule = c.rule;
    p.user = c.user;
    p.assigned = c.state == ConvState::kAssigned;
    p.queue = c.queue >= 0 ? queues_[c.queue].name : "";
    if (c.spec >= 0) p.skills = specs_[c.spec].skills;
    p.has_channel = c.channel >= 0;
    if (c.channel >= 0) p.channel = channel_names_[c.channel];
    p.priority = c.priority;
    p.timeout = c.timeout;
    p.since = c.since;
    p.assigned_at = c.assigned_at;
    if (p.assigned) p.agent = agents_[c.agent].id;
  }
}

void Assigner::RebuildFrom(const CheckedRuleset& rs, Plain& plain,
                           absl::Time now) {
  stats_ = plain.stats;
  skill_ids_.clear();
  skill_names_.clear();
  channel_ids_.clear();
  channel_names_.clear();
  queues_.clear();
  profiles_.clear();
  profile_index_.clear();
  specs_.clear();
  spec_index_.clear();
  route_specs_.clear();
  pools_.clear();
  pool_index_.clear();
  live_.clear();
  agents_.clear();
  agent_index_.clear();
  convs_.clear();
  free_convs_.clear();
  conv_index_.clear();
  wakes_.clear();
  due_timeouts_.clear();
  Configure(rs);
  for (Plain::PAgent& p : plain.agents) {
    if (agent_index_.contains(p.id)) continue;
    const uint32_t i = static_cast<uint32_t>(agents_.size());
    Agent& a = agents_.emplace_back();
    a.id = std::move(p.id);
    agent_index_.emplace(a.id, i);
    a.raw_skills = std::move(p.skills);
    a.has_capacity = p.has_capacity;
    a.raw_capacity = std::move(p.capacity);
    a.default_capacity = a.has_capacity ? 0 : 1;
    for (const auto& [channel, n] : a.raw_capacity) {
      const int c = ChannelId(channel);
      if (a.capacity.size() <= static_cast<size_t>(c)) {
        a.capacity.resize(c + 1, 0);
      }
      a.capacity[c] = static_cast<int>(std::clamp<int64_t>(n, 0, 1 << 20));
    }
    a.logged_in = p.logged_in;
    a.ready = p.ready;
    a.available_since = p.available_since;
    a.key = AgentKey{0, a.available_since, a.id, i};
    RecomputeAgentSkills(a);
  }
  for (const Plain::PQueue& p : plain.queues) {
    const int q = rs.FindQueue(p.name);
    if (q < 0) continue;
    queues_[q].handled = p.handled;
    queues_[q].handled_total = p.handled_total;
  }
  for (Plain::PConv& p : plain.convs) {
    if (conv_index_.contains(p.session)) continue;
    const int q = p.queue.empty() ? -1 : rs.FindQueue(p.queue);
    if (!p.assigned && q < 0) {
      ++stats_.abandoned;
      continue;
    }
    auto agent_it = agent_index_.find(p.agent);
    if (p.assigned && agent_it == agent_index_.end()) continue;
    const uint32_t c = NewConversation();
    Conversation& conv = convs_[c];
    conv.session = std::move(p.session);
    conv_index_.emplace(conv.session, c);
    conv.rule = std::move(p.rule);
    conv.user = p.user;
    conv.queue = q;
    conv.spec = q >= 0 ? GetSpec(q, p.skills) : -1;
    conv.channel = p.has_channel ? ChannelId(p.channel) : -1;
    conv.priority = p.priority;
    conv.timeout = p.timeout;
    conv.since = p.since;
    conv.assigned_at = p.assigned_at;
    if (p.assigned) {
      conv.state = ConvState::kAssigned;
      conv.agent = agent_it->second;
      Agent& a = agents_[conv.agent];
      if (conv.channel >= 0) {
        if (a.active.size() <= static_cast<size_t>(conv.channel)) {
          a.active.resize(conv.channel + 1, 0);
        }
        ++a.active[conv.channel];
      }
      ++a.active_total;
      continue;
    }
    conv.ring = 0;
    for (const RelaxStep& step : queues_[q].relax) {
      if (conv.since + step.after <= now) ++conv.ring;
    }
    Wait(c, now);
  }
  for (uint32_t i = 0; i < agents_.size(); ++i) {
    agents_[i].queue_available.assign(queues_.size(), 0);
    RefreshAgent(i);
  }
}

void Assigner::Reload(const CheckedRuleset& rs, absl::Time now) {
  Plain plain;
  ExtractPlain(&plain);
  RebuildFrom(rs, plain, now);
}

namespace {

void PutMap(common::SnapshotWriter& w, const Assigner::IntMap& m) {
  w.PutVarint(m.size());
  for (const auto& [k, v] : m) {
    w.PutString(k);
    w.PutSigned(v);
  }
}

bool ReadMap(common::SnapshotReader& r, Assigner::IntMap* m) {
  uint64_t n = 0;
  if (!r.ReadCount(&n, 2, "agent map size")) return false;
  m->clear();
  for (uint64_t i = 0; i < n; ++i) {
    std::string k;
    int64_t v = 0;
    if (!r.ReadString(&k, "agent map key") ||
        !r.ReadSigned(&v, "agent map value")) {
      return false;
    }
    m->emplace_back(std::move(k), v);
  }
  return true;
}

constexpr uint64_t kAssignerStateVersion = 1;

}  // namespace

void Assigner::SaveState(common::SnapshotWriter& w) const {
  Plain plain;
  ExtractPlain(&plain);
  w.PutVarint(kAssignerStateVersion);
  const AssignerStats& s = plain.stats;
  for (int64_t v : {s.assignments, s.abandoned, s.route_timeouts,
                    s.unassignable, s.transfers, s.agent_events_ignored}) {
    w.PutSigned(v);
  }
  w.PutVarint(plain.agents.size());
  for (const Plain::PAgent& a : plain.agents) {
    w.PutString(a.id);
    PutMap(w, a.skills);
    w.PutBool(a.has_capacity);
    PutMap(w, a.capacity);
    w.PutBool(a.logged_in);
    w.PutBool(a.ready);
    w.PutTime(a.available_since);
  }
  w.PutVarint(plain.queues.size());
  for (const Plain::PQueue& q : plain.queues) {
    w.PutString(q.name);
    w.PutSigned(q.handled);
    w.PutDuration(q.handled_total);
  }
  w.PutVarint(plain.convs.size());
  for (const Plain::PConv& c : plain.convs) {
    w.PutString(c.session);
    w.PutString(c.rule);
    w.PutVarint(c.user);
    w.PutBool(c.assigned);
    w.PutString(c.queue);
    w.PutVarint(c.skills.size());
    for (const SkillLevel& sl : c.skills) {
      w.PutString(sl.skill);
      w.PutSigned(sl.level);
    }
    w.PutBool(c.has_channel);
    w.PutString(c.channel);
    w.PutSigned(c.priority);
    w.PutBool(c.timeout.has_value());
    if (c.timeout.has_value()) w.PutDuration(*c.timeout);
    w.PutTime(c.since);
    w.PutTime(c.assigned_at);
    w.PutString(c.agent);
  }
}

absl::Status Assigner::LoadState(common::SnapshotReader& r, absl::Time now) {
  Plain plain;
  uint64_t version = 0;
  auto fail = [&]() -> absl::Status {
    Plain empty;
    RebuildFrom(*rs_, empty, now);
    return r.ok() ? absl::DataLossError("bad assigner state") : r.status();
  };
  if (!r.ReadVarint(&version, "assigner state version")) return fail();
  if (version != kAssignerStateVersion) {
    r.Fail("unknown assigner state version");
    return fail();
  }
  AssignerStats& s = plain.stats;
  for (int64_t* v : {&s.assignments, &s.abandoned, &s.route_timeouts,
                     &s.unassignable, &s.transfers, &s.agent_events_ignored}) {
    if (!r.ReadSigned(v, "assigner counter")) return fail();
  }
  uint64_t n = 0;
  if (!r.ReadCount(&n, 6, "agent count")) return fail();
  for (uint64_t i = 0; i < n; ++i) {
    Plain::PAgent& a = plain.agents.emplace_back();
    if (!r.ReadString(&a.id, "agent id") || !ReadMap(r, &a.skills) ||
        !r.ReadBool(&a.has_capacity, "agent has capacity") ||
        !ReadMap(r, &a.capacity) ||
        !r.ReadBool(&a.logged_in, "agent logged in") ||
        !r.ReadBool(&a.ready, "agent ready") ||
        !r.ReadTime(&a.available_since, "agent available since")) {
      return fail();
    }
  }
  if (!r.ReadCount(&n, 3, "queue count")) return fail();
  for (uint64_t i = 0; i < n; ++i) {
    Plain::PQueue& q = plain.queues.emplace_back();
    if (!r.ReadString(&q.name, "queue name") ||
        !r.ReadSigned(&q.handled, "queue handled") ||
        !r.ReadDuration(&q.handled_total, "queue handled total")) {
      return fail();
    }
  }
  if (!r.ReadCount(&n, 12, "conversation count")) return fail();
  for (uint64_t i = 0; i < n; ++i) {
    Plain::PConv& c = plain.convs.emplace_back();
    uint64_t user = 0;
    uint64_t skills = 0;
    if (!r.ReadString(&c.session, "conversation session") ||
        !r.ReadString(&c.rule, "conversation rule") ||
        !r.ReadVarint(&user, "conversation user") ||
        !r.ReadBool(&c.assigned, "conversation assigned") ||
        !r.ReadString(&c.queue, "conversation queue") ||
        !r.ReadCount(&skills, 2, "conversation skills")) {
      return fail();
    }
    c.user = static_cast<uint32_t>(user);
    for (uint64_t k = 0; k < skills; ++k) {
      SkillLevel sl;
      int64_t level = 0;
      if (!r.ReadString(&sl.skill, "skill") || !r.ReadSigned(&level, "level")) {
        return fail();
      }
      sl.level = static_cast<int>(std::clamp<int64_t>(level, 0, 1000));
      c.skills.push_back(std::move(sl));
    }
    bool has_timeout = false;
    if (!r.ReadBool(&c.has_channel, "conversation has channel") ||
        !r.ReadString(&c.channel, "conversation channel") ||
        !r.ReadSigned(&c.priority, "conversation priority") ||
        !r.ReadBool(&has_timeout, "conversation has timeout")) {
      return fail();
    }
    if (has_timeout) {
      absl::Duration d;
      if (!r.ReadDuration(&d, "conversation timeout")) return fail();
      c.timeout = d;
    }
    if (!r.ReadTime(&c.since, "conversation since") ||
        !r.ReadTime(&c.assigned_at, "conversation assigned at") ||
        !r.ReadString(&c.agent, "conversation agent")) {
      return fail();
    }
    if (c.assigned && c.agent.empty()) {
      r.Fail("assigned conversation without agent");
      return fail();
    }
  }
  RebuildFrom(*rs_, plain, now);
  return absl::OkStatus();
}

}  // namespace switchboard::route
