// Text forms of time used everywhere: CEL / Go durations ("90s", "1h30m",
// "-1.5h", "250ms"), protobuf-JSON durations for output ("90s", "0.250s"),
// RFC 3339 timestamps (any offset, fractional seconds), and time zones
// (IANA names such as "Europe/Berlin", or fixed offsets "+02:00" / "-09:30").
#ifndef SWITCHBOARD_ENGINE_COMMON_TIME_UTIL_H_
#define SWITCHBOARD_ENGINE_COMMON_TIME_UTIL_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace switchboard {

// Parses a duration as CEL's duration() does: an optional sign, then one or
// more decimal numbers each with a unit (h, m, s, ms, us, ns), e.g. "90s",
// "1h30m", "1.5h", "-250ms", "0s". Errors: InvalidArgument.
absl::StatusOr<absl::Duration> ParseDuration(std::string_view text);

// Protobuf-JSON form: seconds with 0, 3, 6 or 9 fractional digits and an
// "s": "90s", "0.250s", "-1.000000001s".
std::string FormatDuration(absl::Duration d);

// Parses an RFC 3339 timestamp: "2026-11-23T18:02:00Z",
// "2026-11-23T19:02:00.125+01:00" ('t', 'z' and a space for 'T' accepted).
// Years 0001..9999. Errors: InvalidArgument.
absl::StatusOr<absl::Time> ParseTimestamp(std::string_view text);

// RFC 3339 in UTC with 'Z', and only as many fractional digits as needed
// (0, 3, 6 or 9): "2026-11-23T18:02:00Z", "2026-11-23T18:02:00.250Z".
std::string FormatTimestamp(absl::Time t);

// Loads a time zone: an IANA name ("Europe/Berlin", "UTC") or a fixed offset
// ("+02:00", "-09:30", "02:00"). Errors: InvalidArgument.
absl::StatusOr<absl::TimeZone> LoadTimeZone(std::string_view name);

}  // namespace switchboard

#endif  // SWITCHBOARD_ENGINE_COMMON_TIME_UTIL_H_
