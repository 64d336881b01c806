// Text forms of time: Go / CEL durations in, protobuf-JSON durations out,
// strict RFC 3339 timestamps in and out, and time zones by IANA name or fixed
// offset. Everything here is hand-parsed (no exceptions, no locale), so any
// input gives either a value or an InvalidArgument / OutOfRange status.
#include "engine/common/time_util.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "engine/common/suggest.h"
#include "fmt/format.h"

namespace switchboard {
namespace {

// CEL's timestamp range in Unix seconds: 0001-01-01T00:00:00Z and
// 9999-12-31T23:59:59Z.
constexpr int64_t kMinUnixSeconds = -62135596800;
constexpr int64_t kMaxUnixSeconds = 253402300799;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Nanoseconds per duration unit; 0 for an unknown unit.
int64_t UnitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" /* U+00B5 micro sign */ ||
      unit == "\xCE\xBCs" /* U+03BC mu */) {
    return 1000;
  }
  if (unit == "ms") return 1000000;
  if (unit == "s") return 1000000000;
  if (unit == "m") return int64_t{60} * 1000000000;
  if (unit == "h") return int64_t{3600} * 1000000000;
  return 0;
}

absl::Status BadDuration(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      fmt::format("invalid duration '{}': {}", text, why));
}

// Reads exactly `n` digits at text[*pos] into *out.
bool ReadDigits(std::string_view text, size_t* pos, int n, int* out) {
  if (*pos + n > text.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const char c = text[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// True for a name that may be looked up in the time zone database: path
// components of letters, digits, '_', '-', '+', no "." or ".." components and
// no absolute path, so that a hostile name cannot make the loader read an
// arbitrary file (say /dev/stdin).
bool IsSafeZoneName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (name == "localtime") return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view part = name.substr(start, end - start);
    if (part.empty() || part[0] == '.' || part[0] == '-') return false;
    for (char c : part) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      IsDigit(c) || c == '_' || c == '-' || c == '+';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

// Appends ".fff", ".ffffff" or ".fffffffff" (as few digit groups as the
// value needs), or nothing for 0. `nanos` is 0..999,999,999.
void AppendFraction(int64_t nanos, std::string* out) {
  if (nanos == 0) return;
  if (nanos % 1000000 == 0) {
    fmt::format_to(std::back_inserter(*out), ".{:03d}", nanos / 1000000);
  } else if (nanos % 1000 == 0) {
    fmt::format_to(std::back_inserter(*out), ".{:06d}", nanos / 1000);
  } else {
    fmt::format_to(std::back_inserter(*out), ".{:09d}", nanos);
  }
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDuration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return BadDuration(text, "empty");
  absl::Duration total = absl::ZeroDuration();
  while (!s.empty()) {
    if (!(s[0] == '.' || IsDigit(s[0]))) {
      return BadDuration(text, "expected a number");
    }
    // Integer part, with overflow detection.
    uint64_t whole = 0;
    bool whole_overflow = false;
    size_t i = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
      if (whole > (UINT64_MAX - digit) / 10) whole_overflow = true;
      whole = whole * 10 + digit;
    }
    const bool has_whole = i > 0;
    s.remove_prefix(i);
    // Fraction: up to 18 significant digits are kept, the rest truncated.
    uint64_t frac = 0;
    uint64_t scale = 1;
    bool has_frac = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t j = 0;
      for (; j < s.size() && IsDigit(s[j]); ++j) {
        if (scale < 1000000000000000000ULL) {
          frac = frac * 10 + static_cast<uint64_t>(s[j] - '0');
          scale *= 10;
        }
      }
      has_frac = j > 0;
      s.remove_prefix(j);
    }
    if (!has_whole && !has_frac) return BadDuration(text, "expected a number");
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !IsDigit(s[u])) ++u;
    if (u == 0) return BadDuration(text, "missing unit");
    const int64_t unit = UnitNanos(s.substr(0, u));
    if (unit == 0) {
      return BadDuration(
          text, fmt::format("unknown unit '{}' (use h, m, s, ms, us or ns)",
                            s.substr(0, u)));
    }
    s.remove_prefix(u);
    if (whole_overflow || whole > static_cast<uint64_t>(INT64_MAX)) {
      return absl::OutOfRangeError(
          fmt::format("invalid duration '{}': out of range", text));
    }
    absl::Duration part = absl::Nanoseconds(unit) * static_cast<int64_t>(whole);
    if (frac != 0) {
      const __int128 nanos = static_cast<__int128>(unit) * frac / scale;
      part += absl::Nanoseconds(static_cast<int64_t>(nanos));
    }
    total += part;
    if (part == absl::InfiniteDuration() || total == absl::InfiniteDuration()) {
      return absl::OutOfRangeError(
          fmt::format("invalid duration '{}': out of range", text));
    }
  }
  return negative ? -total : total;
}

std::string FormatDuration(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return "inf";
  if (d == -absl::InfiniteDuration()) return "-inf";
  const bool negative = d < absl::ZeroDuration();
  absl::Duration rem;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &rem);
  int64_t nanos = absl::IDivDuration(rem, absl::Nanoseconds(1), &rem);
  // seconds and nanos carry the same sign (division truncates toward zero).
  uint64_t abs_seconds = seconds < 0 ? 0 - static_cast<uint64_t>(seconds)
                                     : static_cast<uint64_t>(seconds);
  if (nanos < 0) nanos = -nanos;
  std::string out = negative ? "-" : "";
  out += std::to_string(abs_seconds);
  AppendFraction(nanos, &out);
  out += 's';
  return out;
}

absl::StatusOr<absl::Time> ParseTimestamp(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        fmt::format("invalid timestamp '{}': {}", text, why));
  };
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &day)) {
    return bad("expected YYYY-MM-DD");
  }
  if (pos >= text.size() ||
      (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return bad("expected 'T' after the date");
  }
  ++pos;
  if (!ReadDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &second)) {
    return bad("expected hh:mm:ss");
  }
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      if (digits == 9) return bad("more than 9 fractional digits");
      nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad("expected digits after '.'");
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  int offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool negative = text[pos] == '-';
    ++pos;
    int oh, om;
    if (!ReadDigits(text, &pos, 2, &oh) || !Expect(text, &pos, ':') ||
        !ReadDigits(text, &pos, 2, &om)) {
      return bad("expected a time zone offset +hh:mm");
    }
    if (oh > 23 || om > 59) return bad("time zone offset out of range");
    offset_seconds = (oh * 3600 + om * 60) * (negative ? -1 : 1);
  } else {
    return bad("expected 'Z' or an offset +hh:mm");
  }
  if (pos != text.size()) return bad("unexpected text at the end");
  if (month < 1 || month > 12) return bad("month out of range");
  if (day < 1 || day > DaysInMonth(year, month)) {
    return bad("day out of range");
  }
  if (hour > 23) return bad("hour out of range");
  if (minute > 59) return bad("minute out of range");
  if (second > 59) return bad("second out of range");
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  const int64_t unix_seconds =
      (civil - absl::CivilSecond(1970)) - offset_seconds;
  if (year < 1 || unix_seconds < kMinUnixSeconds ||
      unix_seconds > kMaxUnixSeconds) {
    return absl::OutOfRangeError(
        fmt::format("timestamp '{}' is outside 0001-01-01..9999-12-31", text));
  }
  return absl::FromUnixSeconds(unix_seconds) + absl::Nanoseconds(nanos);
}

std::string FormatTimestamp(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "infinite-future";
  if (t == absl::InfinitePast()) return "infinite-past";
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds down
  const int64_t nanos =
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds));
  const absl::CivilSecond c =
      absl::CivilSecond(1970) + seconds;  // UTC, proleptic Gregorian
  std::string out =
      fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", c.year(),
                  c.month(), c.day(), c.hour(), c.minute(), c.second());
  AppendFraction(nanos, &out);
  out += 'Z';
  return out;
}

namespace common {

absl::StatusOr<absl::TimeZone> LoadTimeZone(std::string_view name) {
  // Fixed offsets: [+-]HH:MM.
  std::string_view s = name;
  int sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  if (s.size() == 5 && IsDigit(s[0]) && IsDigit(s[1]) && s[2] == ':' &&
      IsDigit(s[3]) && IsDigit(s[4])) {
    const int hours = (s[0] - '0') * 10 + (s[1] - '0');
    const int minutes = (s[3] - '0') * 10 + (s[4] - '0');
    if (hours > 23 || minutes > 59) {
      return absl::InvalidArgumentError(
          fmt::format("invalid time zone offset '{}'", name));
    }
    return absl::FixedTimeZone(sign * (hours * 3600 + minutes * 60));
  }
  absl::TimeZone tz;
  if (!IsSafeZoneName(name) || !absl::LoadTimeZone(std::string(name), &tz)) {
    return absl::InvalidArgumentError(
        fmt::format("unknown time zone '{}'", name));
  }
  return tz;
}

std::vector<std::string> KnownTimeZoneNames() {
  std::vector<std::string> names;
  std::ifstream zi("/usr/share/zoneinfo/tzdata.zi");
  std::string line;
  if (zi) {
    // "Z Europe/Berlin ..." (a zone), "L Europe/Berlin Arctic/Longyearbyen"
    // (a link: the second name).
    while (std::getline(zi, line)) {
      std::istringstream words(line);
      std::string kind, first, second;
      words >> kind >> first >> second;
      if (kind == "Z" && !first.empty()) names.push_back(first);
      if (kind == "L" && !second.empty()) names.push_back(second);
    }
  }
  if (names.empty()) {
    for (const char* tab :
         {"/usr/share/zoneinfo/zone1970.tab", "/usr/share/zoneinfo/zone.tab"}) {
      std::ifstream in(tab);
      while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        std::string code, coordinates, zone;
        std::getline(fields, code, '\t');
        std::getline(fields, coordinates, '\t');
        std::getline(fields, zone, '\t');
        if (!zone.empty()) names.push_back(zone);
      }
    }
  }
  names.push_back("UTC");
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string UnknownTimeZoneMessage(std::string_view name) {
  return fmt::format(
      "unknown time zone '{}': use an IANA name such as 'Europe/Berlin' or "
      "an offset such as '+01:00'{}",
      name, DidYouMean(name, KnownTimeZoneNames()));
}

}  // namespace common
}  // namespace switchboard
