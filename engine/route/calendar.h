// Opening hours: whether a calendar of the ruleset is open at an instant
// (docs/semantics.md). Hours are wall-clock times in the calendar's IANA
// zone on the day in question, so 09:00 stays 09:00 local across a
// daylight-saving change; ranges include their start and exclude their end;
// "24:00" ends the day; "22:00-02:00" belongs to the day it starts on and
// runs into the next; a `special` date replaces that day's weekly hours and
// `closed` wins over both.
#ifndef SWITCHBOARD_ENGINE_ROUTE_CALENDAR_H_
#define SWITCHBOARD_ENGINE_ROUTE_CALENDAR_H_

#include "absl/time/time.h"
#include "engine/check/checked_ruleset.h"

namespace switchboard::route {

// Whether `calendar` is open at `t`. Pure; thread-safe; no allocation.
bool CalendarOpen(const check::Calendar& calendar, absl::Time t);

}  // namespace switchboard::route

#endif  // SWITCHBOARD_ENGINE_ROUTE_CALENDAR_H_
