// The plain reference assigner: scans everything, every time. See
// reference_assigner.h.
#include "tests/support/reference_assigner.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "engine/check/rule_env.h"
#include "engine/common/time_util.h"

namespace switchboard::testing {
namespace {

using ::switchboard::check::kDefaultEndsOn;

using ::switchboard::check::Channel;
using ::switchboard::check::Queue;
using ::switchboard::check::RelaxStep;
using ::switchboard::check::RouteAction;
using ::switchboard::check::SkillLevel;

std::string Dur(absl::Duration d) { return switchboard::FormatDuration(d); }

}  // namespace

void ReferenceAssigner::Login(const std::string& id, const IntMap* skills,
                              const IntMap* capacity, bool ready,
                              absl::Time now) {
  Agent& a = agents_[id];
  a.skills.clear();
  if (skills != nullptr) {
    for (const auto& [k, v] : *skills) a.skills[k] = v;
  }
  a.has_capacity = capacity != nullptr;
  a.capacity.clear();
  if (capacity != nullptr) {
    for (const auto& [k, v] : *capacity) a.capacity[k] = v;
  }
  const bool was_ready = a.logged_in && a.ready;
  a.logged_in = true;
  a.ready = ready;
  if (ready && !was_ready) a.available_since = now;
}

void ReferenceAssigner::SetReady(const std::string& id, bool ready,
                                 absl::Time now) {
  auto it = agents_.find(id);
  if (it == agents_.end() || !it->second.logged_in) return;
  if (ready && !it->second.ready) it->second.available_since = now;
  it->second.ready = ready;
}

void ReferenceAssigner::Logout(const std::string& id) {
  auto it = agents_.find(id);
  if (it == agents_.end()) return;
  it->second.logged_in = false;
  it->second.ready = false;
}

void ReferenceAssigner::SetSkills(const std::string& id, const IntMap* skills) {
  auto it = agents_.find(id);
  if (it == agents_.end() || !it->second.logged_in) return;
  it->second.skills.clear();
  if (skills != nullptr) {
    for (const auto& [k, v] : *skills) it->second.skills[k] = v;
  }
}

void ReferenceAssigner::Leave(const std::string& session, absl::Time now) {
  auto it = convs_.find(session);
  if (it == convs_.end()) return;
  Conv& c = it->second;
  if (c.assigned) {
    Agent& a = agents_[c.agent];
    --a.active[*c.channel];
    --a.active_total;
    a.available_since = now;
    handled_.resize(rs_.queues.size(), 0);
    handled_total_.resize(rs_.queues.size());
    ++handled_[c.queue];
    handled_total_[c.queue] += now - c.assigned_at;
  }
  convs_.erase(it);
}

void ReferenceAssigner::Enqueue(const std::string& session,
                                const std::string& rule,
                                const RouteAction& route,
                                const std::optional<std::string>& channel,
                                absl::Time now) {
  Leave(session, now);
  Conv c;
  c.rule = rule;
  c.queue = route.queue;
  c.skills = route.skills;
  c.priority = route.priority;
  c.timeout = route.timeout;
  c.channel = channel;
  c.since = now;
  convs_[session] = c;
}

bool ReferenceAssigner::EndOn(const std::string& session,
                              const std::string& type, absl::Time now) {
  auto it = convs_.find(session);
  if (it == convs_.end()) return false;
  const Queue& q = rs_.queues[it->second.queue];
  std::vector<std::string> ends = q.ends_on;
  if (ends.empty()) {
    for (std::string_view e : kDefaultEndsOn) ends.emplace_back(e);
  }
  if (std::find(ends.begin(), ends.end(), type) == ends.end()) return false;
  Leave(session, now);
  return true;
}

int ReferenceAssigner::Ring(const Conv& c, absl::Time now) const {
  int ring = 0;
  for (const RelaxStep& s : rs_.queues[c.queue].relax) {
    if (c.since + s.after <= now) ++ring;
  }
  return ring;
}

std::map<std::string, int> ReferenceAssigner::Required(const Conv& c,
                                                       int ring) const {
  std::map<std::string, int> req;
  for (const SkillLevel& s : c.skills) req[s.skill] = s.level;
  const std::vector<RelaxStep>& relax = rs_.queues[c.queue].relax;
  for (int i = 0; i < ring; ++i) {
    for (const std::string& d : relax[i].drop) req.erase(d);
    for (const SkillLevel& s : relax[i].skills) {
      auto it = req.find(s.skill);
      if (it != req.end()) it->second = s.level;
    }
  }
  return req;
}

bool ReferenceAssigner::Served(const Conv& c) const {
  if (!c.channel.has_value()) return false;
  const std::vector<std::string>& chans = rs_.queues[c.queue].channels;
  return chans.empty() ||
         std::find(chans.begin(), chans.end(), *c.channel) != chans.end();
}

int64_t ReferenceAssigner::Capacity(const Agent& a,
                                    const std::string& channel) const {
  if (!a.has_capacity) return 1;
  auto it = a.capacity.find(channel);
  return it == a.capacity.end() ? 0 : std::max<int64_t>(it->second, 0);
}

bool ReferenceAssigner::Free(const Agent& a, const std::string& channel) const {
  auto it = a.active.find(channel);
  return Capacity(a, channel) > (it == a.active.end() ? 0 : it->second);
}

bool ReferenceAssigner::HasSkills(const Agent& a,
                                  const std::map<std::string, int>& req) const {
  for (const auto& [skill, level] : req) {
    auto it = a.skills.find(skill);
    if (it == a.skills.end() || it->second < level) return false;
  }
  return true;
}

absl::Time ReferenceAssigner::NextDeadline() const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [session, c] : convs_) {
    if (c.assigned) continue;
    for (const RelaxStep& s : rs_.queues[c.queue].relax) {
      if (c.since + s.after > last_) next = std::min(next, c.since + s.after);
    }
    if (c.timeout.has_value()) next = std::min(next, c.since + *c.timeout);
  }
  return next;
}

void ReferenceAssigner::HandleInstant(absl::Time t,
                                      std::vector<std::string>* log) {
  last_ = t;
  Assign(t, log);
  for (;;) {
    // The first (by session id) conversation whose timeout is due.
    std::string due;
    for (const auto& [session, c] : convs_) {
      if (!c.assigned && c.timeout.has_value() && c.since + *c.timeout <= t) {
        due = session;
        break;
      }
    }
    if (due.empty()) break;
    const Conv& c = convs_[due];
    log->push_back(absl::StrCat("timeout ", due, " ", rs_.queues[c.queue].name,
                                " ", Dur(*c.timeout)));
    convs_.erase(due);
    Assign(t, log);
  }
}

void ReferenceAssigner::Assign(absl::Time now, std::vector<std::string>* log) {
  // Waiting conversations in the documented order.
  std::vector<std::tuple<int64_t, absl::Time, std::string>> order;
  for (const auto& [session, c] : convs_) {
    if (!c.assigned) order.emplace_back(-c.priority, c.since, session);
  }
  std::sort(order.begin(), order.end());
  for (const auto& [neg_priority, since, session] : order) {
    Conv& c = convs_[session];
    if (!Served(c)) continue;
    const int ring = Ring(c, now);
    const std::map<std::string, int> req = Required(c, ring);
    std::string best;
    for (const auto& [id, a] : agents_) {
      if (!a.logged_in || !a.ready || !HasSkills(a, req) ||
          !Free(a, *c.channel)) {
        continue;
      }
      if (best.empty()) {
        best = id;
        continue;
      }
      const Agent& b = agents_[best];
      if (std::make_tuple(a.active_total, a.available_since, id) <
          std::make_tuple(b.active_total, b.available_since, best)) {
        best = id;
      }
    }
    if (best.empty()) continue;
    Agent& a = agents_[best];
    ++a.active[*c.channel];
    ++a.active_total;
    c.assigned = true;
    c.agent = best;
    c.assigned_at = now;
    log->push_back(absl::StrCat(
        "assign ", session, "->", best, " ", rs_.queues[c.queue].name, " ",
        Dur(now - c.since), " ring ", ring, " rule ", c.rule));
  }
}

std::string ReferenceAssigner::Stats(int q, absl::Time now) const {
  const Queue& queue = rs_.queues[q];
  int64_t waiting = 0;
  absl::Time oldest = absl::InfiniteFuture();
  for (const auto& [session, c] : convs_) {
    if (c.assigned || c.queue != q) continue;
    ++waiting;
    oldest = std::min(oldest, c.since);
  }
  std::map<std::string, int> req;
  for (const SkillLevel& s : queue.skills) req[s.skill] = s.level;
  int64_t available = 0;
  for (const auto& [id, a] : agents_) {
    if (!a.logged_in || !a.ready || !HasSkills(a, req)) continue;
    bool free = false;
    if (!queue.channels.empty()) {
      for (const std::string& ch : queue.channels) free = free || Free(a, ch);
    } else {
      for (const Channel& ch : rs_.channels) free = free || Free(a, ch.name);
    }
    if (free) ++available;
  }
  const absl::Duration longest =
      waiting == 0 ? absl::ZeroDuration()
                   : std::max(absl::ZeroDuration(), now - oldest);
  absl::Duration mean = absl::Minutes(5);
  if (static_cast<size_t>(q) < handled_.size() && handled_[q] > 0) {
    mean = handled_total_[q] / handled_[q];
  } else if (queue.handle_time.has_value()) {
    mean = *queue.handle_time;
  }
  const absl::Duration estimated =
      mean * waiting / std::max<int64_t>(available, 1);
  return absl::StrCat(queue.name, " waiting ", waiting, " available ",
                      available, " longest ", Dur(longest), " estimated ",
                      Dur(estimated));
}

}  // namespace switchboard::testing
