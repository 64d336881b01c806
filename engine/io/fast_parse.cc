// Fast paths of the JSON Lines reader (engine/io/fast_parse.h): the UTC
// timestamp form every generator writes, and plain decimals. Both decline
// anything unusual; the general parsers stay the reference.
#include "engine/io/fast_parse.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace switchboard::io {
namespace {

// Two ASCII digits at p, or -1.
inline int TwoDigits(const char* p) {
  const unsigned a = static_cast<unsigned char>(p[0]) - '0';
  const unsigned b = static_cast<unsigned char>(p[1]) - '0';
  if (a > 9 || b > 9) return -1;
  return static_cast<int>(a * 10 + b);
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
// (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;  // [0, 399]
  const int64_t doy =
      (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;         // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  // [0, 146096]
  return era * 146097 + doe - 719468;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Exact powers of ten as doubles (10^22 is the largest exact one).
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

}  // namespace

bool FastParseUtcTimestamp(std::string_view text, absl::Time* out,
                           UtcDateCache* cache) {
  // "YYYY-MM-DDTHH:MM:SS" then [".F{1,9}"] "Z".
  if (text.size() < 20 || text.size() > 30) return false;
  const char* s = text.data();
  int64_t day_seconds;
  if (cache != nullptr && cache->valid &&
      std::memcmp(s, cache->date, sizeof(cache->date)) == 0) {
    day_seconds = cache->day_seconds;
  } else {
    if (s[4] != '-' || s[7] != '-') return false;
    const int y1 = TwoDigits(s);
    const int y2 = TwoDigits(s + 2);
    const int month = TwoDigits(s + 5);
    const int day = TwoDigits(s + 8);
    if ((y1 | y2 | month | day) < 0) return false;
    const int year = y1 * 100 + y2;
    if (year < 1 || month < 1 || month > 12 || day < 1 ||
        day > DaysInMonth(year, month)) {
      return false;
    }
    day_seconds = DaysFromCivil(year, month, day) * 86400;
    if (cache != nullptr) {
      std::memcpy(cache->date, s, sizeof(cache->date));
      cache->day_seconds = day_seconds;
      cache->valid = true;
    }
  }
  if (s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
  const int hour = TwoDigits(s + 11);
  const int minute = TwoDigits(s + 14);
  const int second = TwoDigits(s + 17);
  if ((hour | minute | second) < 0 || hour > 23 || minute > 59 || second > 59) {
    return false;
  }
  const int64_t unix_seconds = day_seconds + hour * 3600 + minute * 60 + second;
  if (s[19] == 'Z' && text.size() == 20) {  // the usual form
    *out = absl::FromUnixSeconds(unix_seconds);
    return true;
  }
  int64_t nanos = 0;
  size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    const size_t first = pos;
    while (pos < text.size() && static_cast<unsigned>(s[pos] - '0') <= 9) {
      nanos = nanos * 10 + (s[pos] - '0');
      ++pos;
    }
    const size_t digits = pos - first;
    if (digits == 0 || digits > 9) return false;
    for (size_t i = digits; i < 9; ++i) nanos *= 10;
  }
  if (pos + 1 != text.size() || s[pos] != 'Z') return false;
  *out = absl::FromUnixSeconds(unix_seconds) + absl::Nanoseconds(nanos);
  return true;
}

bool FastParseDecimal(std::string_view token, double* out) {
  const char* p = token.data();
  const char* const end = p + token.size();
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  // Digits past the 19th may wrap `digits`: such tokens are declined below.
  uint64_t digits = 0;
  const char* const integer = p;
  while (p < end && static_cast<unsigned>(*p - '0') <= 9) {
    digits = digits * 10 + static_cast<unsigned>(*p - '0');
    ++p;
  }
  const ptrdiff_t integer_digits = p - integer;
  ptrdiff_t fraction = 0;
  if (p < end && *p == '.') {
    const char* const first = ++p;
    while (p < end && static_cast<unsigned>(*p - '0') <= 9) {
      digits = digits * 10 + static_cast<unsigned>(*p - '0');
      ++p;
    }
    fraction = p - first;
    if (fraction == 0) return false;
  }
  if (p != end || integer_digits == 0 || integer_digits + fraction > 19 ||
      fraction > 22 || digits > (uint64_t{1} << 53)) {
    return false;  // an exponent, too many digits, not a number
  }
  double v = static_cast<double>(digits);   // exact
  if (fraction > 0) v /= kPow10[fraction];  // one correctly rounded step
  *out = negative ? -v : v;
  return true;
}

}  // namespace switchboard::io
