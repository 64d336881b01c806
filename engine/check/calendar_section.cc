// The `calendars` section: per calendar its time zone, weekly opening hours
// (day names and ranges such as mon-fri), closed days and special days,
// decoded into Calendar (checked_ruleset.h).
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "engine/check/sections.h"
#include "engine/check/yaml_values.h"
#include "engine/common/suggest.h"
#include "engine/common/time_util.h"

namespace switchboard::check {
namespace {

using ::switchboard::common::DidYouMean;
using ::switchboard::common::LoadTimeZone;
using ::switchboard::common::UnknownTimeZoneMessage;
using ::switchboard::load::YamlNode;

constexpr const char* kDayNames[] = {"mon", "tue", "wed", "thu",
                                     "fri", "sat", "sun"};

std::string FormatMinutes(int minutes) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}

// "HH:MM" (or "H:MM") -> minutes; 24:00 allowed; nullopt when malformed.
std::optional<int> ParseClock(std::string_view s) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 ||
      s.size() - colon - 1 != 2) {
    return std::nullopt;
  }
  int h = 0, m = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == colon) continue;
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  }
  for (size_t i = 0; i < colon; ++i) h = h * 10 + (s[i] - '0');
  m = (s[colon + 1] - '0') * 10 + (s[colon + 2] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

// "MM-DD", a day that exists in some year (02-29 in leap years), as
// month * 100 + day.
std::optional<int> ParseYearlyDate(std::string_view s) {
  if (s.size() != 5 || s[2] != '-') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  }
  const int m = (s[0] - '0') * 10 + (s[1] - '0');
  const int d = (s[3] - '0') * 10 + (s[4] - '0');
  const absl::CivilDay day(2000, m, d);  // a leap year
  if (day.year() != 2000 || day.month() != m || day.day() != d) {
    return std::nullopt;
  }
  return m * 100 + d;
}

// "YYYY-MM-DD", a real date.
std::optional<absl::CivilDay> ParseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  }
  const int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
                (s[3] - '0');
  const int m = (s[5] - '0') * 10 + (s[6] - '0');
  const int d = (s[8] - '0') * 10 + (s[9] - '0');
  const absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) {
    return std::nullopt;
  }
  return day;
}

bool ReadHours(CheckContext& ctx, const YamlNode& node, std::string_view what,
               std::vector<MinuteRange>* out) {
  bool ok = true;
  for (const YamlNode* item :
       ReadScalars(ctx, node, what, /*allow_single=*/true)) {
    const std::string& text = item->value;
    const size_t dash = text.find('-');
    std::optional<int> start, end;
    if (dash != std::string::npos) {
      start = ParseClock(Trim(std::string_view(text).substr(0, dash)));
      end = ParseClock(Trim(std::string_view(text).substr(dash + 1)));
    }
    if (!start || !end) {
      ctx.Error(*item, "bad time range " + Describe(*item) +
                           ": write HH:MM-HH:MM with hours from 00 to 24, e.g. "
                           "'08:00-20:00'");
      ok = false;
      continue;
    }
    if (*start == 1440) {
      ctx.Error(*item, "bad time range " + Describe(*item) +
                           ": a range cannot start at 24:00");
      ok = false;
      continue;
    }
    if (*start == *end || (*start == 0 && *end == 0)) {
      ctx.Error(*item, "empty time range " + Describe(*item) +
                           ": for the whole day write '00:00-24:00'");
      ok = false;
      continue;
    }
    int e = *end;
    if (e < *start) e += 1440;  // runs past midnight
    out->push_back(MinuteRange{*start, e});
  }
  std::sort(out->begin(), out->end(),
            [](const MinuteRange& a, const MinuteRange& b) {
              return a.start < b.start || (a.start == b.start && a.end < b.end);
            });
  for (size_t i = 1; i < out->size(); ++i) {
    if ((*out)[i].start < (*out)[i - 1].end) {
      ctx.Warning(node, "overlapping time ranges '" +
                            FormatMinutes((*out)[i - 1].start) + "-" +
                            FormatMinutes((*out)[i - 1].end % 1440) +
                            "' and '" + FormatMinutes((*out)[i].start) + "-" +
                            FormatMinutes((*out)[i].end % 1440) + "' in " +
                            std::string(what));
    }
  }
  return ok;
}

void CheckCalendar(CheckContext& ctx, const YamlNode& name_node,
                   const YamlNode& body) {
  const std::string& name = name_node.value;
  if (ctx.ruleset().FindCalendar(name) >= 0) {
    const Calendar& first =
        ctx.ruleset().calendars[ctx.ruleset().FindCalendar(name)];
    ctx.Error(name_node, "calendar '" + name + "' is already declared at " +
                             (first.pos.file == ctx.file()->name()
                                  ? "line " + std::to_string(first.pos.line)
                                  : first.pos.file + ":" +
                                        std::to_string(first.pos.line)));
    return;
  }
  Calendar calendar;
  calendar.name = name;
  calendar.pos = ctx.Pos(name_node);
  const std::string where = "in calendar '" + name + "'";
  if (ExpectMap(ctx, body, "calendar '" + name + "'")) {
    CheckKeys(ctx, body, {"timezone", "weekly", "closed", "special"}, where);
    const YamlNode* zone = body.Find("timezone");
    if (zone == nullptr) {
      ctx.Error(name_node, "calendar '" + name +
                               "' needs a 'timezone', e.g. 'timezone: "
                               "Europe/Berlin'");
    } else if (auto text = ReadString(ctx, *zone, "timezone")) {
      absl::StatusOr<absl::TimeZone> tz = LoadTimeZone(*text);
      if (tz.ok()) {
        calendar.zone = *tz;
        calendar.zone_name = *text;
      } else {
        ctx.Error(*zone, UnknownTimeZoneMessage(*text));
      }
    }
    if (const YamlNode* weekly = body.Find("weekly")) {
      if (!weekly->is_null() && ExpectMap(ctx, *weekly, "weekly")) {
        std::array<const YamlNode*, 7> given{};
        const std::vector<std::string> day_names(std::begin(kDayNames),
                                                 std::end(kDayNames));
        for (const YamlNode::Entry& e : weekly->entries) {
          // "mon", "mon-fri", "sat,sun", "fri-mon" (wraps).
          std::vector<int> days;
          bool ok = true;
          std::string_view spec = e.key->value;
          while (ok) {
            const size_t comma = spec.find(',');
            const std::string part = Trim(spec.substr(0, comma));
            const size_t dash = part.find('-');
            auto day_index = [&](const std::string& d) -> int {
              for (int i = 0; i < 7; ++i) {
                if (d == kDayNames[i]) return i;
              }
              ctx.Error(*e.key, "unknown day '" + d + "'" +
                                    DidYouMean(d, day_names) +
                                    " (days are mon, tue, wed, thu, fri, sat, "
                                    "sun; ranges like mon-fri)");
              return -1;
            };
            if (dash == std::string::npos) {
              const int d = day_index(part);
              if (d < 0)
                ok = false;
              else
                days.push_back(d);
            } else {
              const int from = day_index(Trim(part.substr(0, dash)));
              const int to =
                  from < 0 ? -1 : day_index(Trim(part.substr(dash + 1)));
              if (from < 0 || to < 0) {
                ok = false;
              } else {
                for (int d = from;; d = (d + 1) % 7) {
                  days.push_back(d);
                  if (d == to) break;
                }
              }
            }
            if (comma == std::string_view::npos) break;
            spec = spec.substr(comma + 1);
          }
          if (!ok) continue;
          std::vector<MinuteRange> hours;
          const bool hours_ok = ReadHours(
              ctx, *e.value, "the hours of '" + e.key->value + "'", &hours);
          for (int d : days) {
            if (given[d] != nullptr) {
              ctx.Error(*e.key, std::string("'") + kDayNames[d] +
                                    "' already has hours at line " +
                                    std::to_string(given[d]->line));
              continue;
            }
            given[d] = e.key;
            if (hours_ok) calendar.weekly[d] = hours;
          }
        }
      }
    }
    if (const YamlNode* closed = body.Find("closed")) {
      if (!closed->is_null()) {
        for (const YamlNode* item :
             ReadScalars(ctx, *closed, "closed", /*allow_single=*/false)) {
          if (auto day = ParseDate(item->value)) {
            calendar.closed.push_back(*day);
          } else if (auto yearly = ParseYearlyDate(item->value)) {
            calendar.closed_yearly.push_back(*yearly);
          } else {
            ctx.Error(*item, "bad date " + Describe(*item) +
                                 ": write YYYY-MM-DD, a real date such as "
                                 "'2026-12-24', or MM-DD for every year "
                                 "('12-24')");
          }
        }
        std::sort(calendar.closed.begin(), calendar.closed.end());
        calendar.closed.erase(
            std::unique(calendar.closed.begin(), calendar.closed.end()),
            calendar.closed.end());
        std::sort(calendar.closed_yearly.begin(), calendar.closed_yearly.end());
        calendar.closed_yearly.erase(std::unique(calendar.closed_yearly.begin(),
                                                 calendar.closed_yearly.end()),
                                     calendar.closed_yearly.end());
      }
    }
    if (const YamlNode* special = body.Find("special")) {
      if (!special->is_null() && ExpectMap(ctx, *special, "special")) {
        for (const YamlNode::Entry& e : special->entries) {
          std::optional<absl::CivilDay> day = ParseDate(e.key->value);
          std::optional<int> yearly;
          if (!day) yearly = ParseYearlyDate(e.key->value);
          if (!day && !yearly) {
            ctx.Error(*e.key, "bad date " + Describe(*e.key) +
                                  ": write YYYY-MM-DD, a real date such as "
                                  "'2026-12-31', or MM-DD for every year "
                                  "('12-31')");
            continue;
          }
          std::vector<MinuteRange> hours;
          if (!e.value->is_null() &&
              !ReadHours(ctx, *e.value, "the hours of '" + e.key->value + "'",
                         &hours)) {
            continue;
          }
          if (day) {
            calendar.special.emplace_back(*day, std::move(hours));
          } else {
            calendar.special_yearly.emplace_back(*yearly, std::move(hours));
          }
        }
        std::sort(
            calendar.special.begin(), calendar.special.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
        std::sort(
            calendar.special_yearly.begin(), calendar.special_yearly.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
      }
    }
  }
  ctx.ruleset().calendar_index.emplace(
      name, static_cast<int>(ctx.ruleset().calendars.size()));
  ctx.ruleset().calendars.push_back(std::move(calendar));
}

}  // namespace

void CheckCalendars(CheckContext& ctx, const std::vector<Section>& sections) {
  for (const Section& section : sections) {
    ctx.set_file(section.file);
    const YamlNode& body = *section.value;
    if (body.is_null() || !ExpectMap(ctx, body, "calendars")) continue;
    for (const YamlNode::Entry& e : body.entries) {
      if (e.key->value.empty()) continue;
      CheckCalendar(ctx, *e.key, *e.value);
    }
  }
}

}  // namespace switchboard::check
