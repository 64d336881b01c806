// The lookups of CheckedRuleset and Calendar (checked_ruleset.h).
#include "engine/check/checked_ruleset.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::check {
namespace {

int FindIn(const absl::flat_hash_map<std::string, int>& index,
           std::string_view name) {
  const auto it = index.find(absl::string_view(name.data(), name.size()));
  return it == index.end() ? -1 : it->second;
}

}  // namespace

int CheckedRuleset::FindCalendar(std::string_view name) const {
  return FindIn(calendar_index, name);
}
int CheckedRuleset::FindChannel(std::string_view name) const {
  return FindIn(channel_index, name);
}
int CheckedRuleset::FindQueue(std::string_view name) const {
  return FindIn(queue_index, name);
}
int CheckedRuleset::FindRule(std::string_view name) const {
  return FindIn(rule_index, name);
}

namespace {

int MonthDay(absl::CivilDay day) { return day.month() * 100 + day.day(); }

}  // namespace

bool Calendar::IsClosed(absl::CivilDay day) const {
  return std::binary_search(closed.begin(), closed.end(), day) ||
         (!closed_yearly.empty() &&
          std::binary_search(closed_yearly.begin(), closed_yearly.end(),
                             MonthDay(day)));
}

const std::vector<MinuteRange>* Calendar::FindSpecial(
    absl::CivilDay day) const {
  const auto it = std::lower_bound(
      special.begin(), special.end(), day,
      [](const auto& entry, absl::CivilDay d) { return entry.first < d; });
  if (it != special.end() && it->first == day) return &it->second;
  if (special_yearly.empty()) return nullptr;
  const int md = MonthDay(day);
  const auto yearly = std::lower_bound(
      special_yearly.begin(), special_yearly.end(), md,
      [](const auto& entry, int d) { return entry.first < d; });
  return yearly != special_yearly.end() && yearly->first == md ? &yearly->second
                                                               : nullptr;
}

const std::vector<MinuteRange>& Calendar::HoursOf(absl::CivilDay day) const {
  if (const auto* hours = FindSpecial(day)) return *hours;
  // absl::Weekday: monday == 0 ... sunday == 6.
  return weekly[static_cast<int>(absl::GetWeekday(day))];
}

std::string_view ActionName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kRoute:
      return "route";
    case ActionKind::kHandoff:
      return "handoff";
    case ActionKind::kDeflect:
      return "deflect";
    case ActionKind::kOffer:
      return "offer";
    case ActionKind::kCallback:
      return "callback";
    case ActionKind::kTag:
      return "tag";
    case ActionKind::kSet:
      return "set";
    case ActionKind::kEmit:
      return "emit";
  }
  return "?";
}

}  // namespace switchboard::check
