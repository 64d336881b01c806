// The text forms of time that switchboard reads and writes: durations as
// rules and CEL write them ("90s", "1h30m", "-1.5h", "250ms"), durations as
// decisions carry them (protobuf-JSON: "90s", "0.250s"), and RFC 3339
// timestamps (any offset on input, UTC with 'Z' on output). The CLI and
// embedding backends use these to read `--until`-style arguments and to
// print times exactly as decisions do.
//
// All functions are pure and thread-safe; none throws.
#ifndef SWITCHBOARD_TIME_H_
#define SWITCHBOARD_TIME_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace switchboard {

// Parses a duration as CEL's duration() does: an optional sign, then one or
// more decimal numbers each with a unit (h, m, s, ms, us, ns), e.g. "90s",
// "1h30m", "1.5h", "-250ms", "0s"; also "0", fractions (".5s"), and the
// micro sign (µs, μs). Errors: InvalidArgument for malformed text,
// OutOfRange when the number does not fit absl::Duration. (CEL's narrower
// duration range, about ±10,000 years, is checked where CEL values are
// made, not here.)
absl::StatusOr<absl::Duration> ParseDuration(std::string_view text);

// Protobuf-JSON form: seconds with 0, 3, 6 or 9 fractional digits and an
// "s": "90s", "0.250s", "-1.000000001s".
std::string FormatDuration(absl::Duration d);

// Parses an RFC 3339 timestamp: "2026-11-23T18:02:00Z",
// "2026-11-23T19:02:00.125+01:00" ('t', 'z' and a space for 'T' accepted).
// Years 0001..9999, at most 9 fractional digits. Errors: InvalidArgument for
// malformed text or an impossible date; OutOfRange for a well-formed time
// outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z (e.g. year
// 0000).
absl::StatusOr<absl::Time> ParseTimestamp(std::string_view text);

// RFC 3339 in UTC with 'Z', and only as many fractional digits as needed
// (0, 3, 6 or 9): "2026-11-23T18:02:00Z", "2026-11-23T18:02:00.250Z".
std::string FormatTimestamp(absl::Time t);

}  // namespace switchboard

#endif  // SWITCHBOARD_TIME_H_
