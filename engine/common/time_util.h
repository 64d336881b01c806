// Time zones for calendars and CEL time functions (IANA names such as
// "Europe/Berlin", or fixed offsets "+02:00" / "-09:30"). The text forms of
// durations and timestamps are public: include/switchboard/time.h.
#ifndef SWITCHBOARD_ENGINE_COMMON_TIME_UTIL_H_
#define SWITCHBOARD_ENGINE_COMMON_TIME_UTIL_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/time.h"

namespace switchboard::common {

// Loads a time zone: an IANA name ("Europe/Berlin", "UTC") or a fixed offset
// ("+02:00", "-09:30", "02:00"). Names are restricted to the characters of
// IANA names (no absolute or ".." paths), so hostile input cannot make the
// loader open arbitrary files. Errors: InvalidArgument. The tz database
// (/usr/share/zoneinfo) is read on first use of a name; absl caches it.
absl::StatusOr<absl::TimeZone> LoadTimeZone(std::string_view name);

// The IANA zone names the system's tzdata knows (zones and links, from
// /usr/share/zoneinfo/tzdata.zi, else zone1970.tab and zone.tab), for "did
// you mean" hints; empty when none of them can be read. Reads the files on
// every call: for error messages only.
std::vector<std::string> KnownTimeZoneNames();

// "unknown time zone 'X'" with a hint: an IANA name or an offset, and the
// nearest known zone name when one is near ("; did you mean
// 'Europe/Berlin'?").
std::string UnknownTimeZoneMessage(std::string_view name);

}  // namespace switchboard::common

#endif  // SWITCHBOARD_ENGINE_COMMON_TIME_UTIL_H_
