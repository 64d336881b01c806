// CalendarOpen: whether a calendar is open at an instant (docs/semantics.md).
// The instant is turned into wall-clock time in the calendar's zone; everything
// after that is civil arithmetic, so daylight-saving changes need no special
// case:
//   - the skipped hour of a spring-forward day never appears as a local time
//     (absl maps every instant to a civil time that exists), so a range inside
//     it is never open and one that starts in it opens at the first local time
//     after the gap;
//   - both passes through the repeated hour of a fall-back day have the same
//     local time, so both are open or both are closed.
#include "engine/route/calendar.h"

#include <vector>

#include "absl/time/civil_time.h"

namespace switchboard::route {
namespace {

using ::switchboard::check::Calendar;
using ::switchboard::check::MinuteRange;

constexpr int kSecondsPerDay = 24 * 60 * 60;

// Whether a range of `hours` covers `second` seconds after that day's local
// midnight. `second` may exceed a day (asking about the previous day's
// overnight ranges). Ranges are [start, end) in minutes, sorted by start.
bool Covers(const std::vector<MinuteRange>& hours, int second) {
  for (const MinuteRange& range : hours) {
    if (range.start * 60 > second) break;  // sorted: no later range starts
    if (second < range.end * 60) return true;
  }
  return false;
}

}  // namespace

bool CalendarOpen(const Calendar& calendar, absl::Time t) {
  // The infinite instants have no local day (and the day before the civil
  // minimum would overflow): closed.
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return false;
  // Floors to the whole second: 07:59:59.9 is still before an 08:00 start,
  // and 19:59:59.9 still before a 20:00 end.
  const absl::CivilSecond local = absl::ToCivilSecond(t, calendar.zone);
  const absl::CivilDay day(local);
  const int second = static_cast<int>(local - absl::CivilSecond(day));

  if (!calendar.IsClosed(day) && Covers(calendar.HoursOf(day), second)) {
    return true;
  }
  // A range past midnight belongs to the day it starts on: yesterday's
  // "22:00-02:00" (end 1560) covers today's 01:30, i.e. second + 1 day.
  const absl::CivilDay yesterday = day - 1;
  if (calendar.IsClosed(yesterday)) return false;
  // Every range starts before the next midnight, so only the end decides.
  return Covers(calendar.HoursOf(yesterday), second + kSecondsPerDay);
}

}  // namespace switchboard::route
