// Fast paths for the JSON Lines reader (engine/io/jsonl_reader.cc): the
// common forms of an RFC 3339 timestamp and of a decimal number, parsed
// without the general code. Each either gives exactly what the general path
// gives (switchboard::ParseTimestamp, std::from_chars / simdjson, both
// correctly rounded) or declines (returns false), and the caller then runs
// the general path; tests/io/fast_parse_test.cc checks the agreement. They
// never report errors: a declined input may be valid or not.
#ifndef SWITCHBOARD_ENGINE_IO_FAST_PARSE_H_
#define SWITCHBOARD_ENGINE_IO_FAST_PARSE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/time/time.h"
#include "engine/common/bytes.h"

namespace switchboard::io {

// "YYYY-MM-DDTHH:MM:SSZ", optionally with 1 to 9 fractional digits before
// the 'Z' ("2026-11-23T18:02:00.125Z"): upper-case 'T' and 'Z' only, year
// 0001..9999, every field in range (leap years counted). Sets *out to the
// same instant as ParseTimestamp(text) and returns true; returns false for
// every other text (other offsets, lower case, a space for 'T', invalid
// dates), which ParseTimestamp then decides.
//
// `cache`, when given, remembers the last date read ("YYYY-MM-DD" and its
// day number): lines of a stream mostly share their date, so the calendar
// arithmetic runs once a day. A cache holds no state that changes results.
struct UtcDateCache {
  char date[10] = {};
  int64_t day_seconds = 0;  // Unix seconds of the date's midnight
  bool valid = false;
};
bool FastParseUtcTimestamp(std::string_view text, absl::Time* out,
                           UtcDateCache* cache = nullptr);

// A JSON number token (RFC 8259 grammar, as the reader's scanner matched
// it) without exponent, with at most 19 digits whose value is below 2^53
// and at most 22 fractional digits: "17.77", "-0.5", "42". Sets *out to the
// correctly rounded double (the value std::from_chars gives: the integer
// of the digits divided by an exact power of ten, one IEEE rounding) and
// returns true; false otherwise (the caller uses from_chars).
bool FastParseDecimal(std::string_view token, double* out);

// The position of the first byte of `p[0..8)` that cannot stand as it is in
// a plain JSON string (below 0x20, '"', '\\', or 0x80 and above), or 8 when
// there is none. Reads exactly 8 bytes.
inline size_t FirstSpecialOf8(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  uint64_t x;
  __builtin_memcpy(&x, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  x = __builtin_bswap64(x);  // the first byte in the lowest bits
#endif
  // (v - n) & ~v & high flags the bytes of v below n (n <= 0x80); flags
  // above the lowest flagged byte may be wrong (borrows), the lowest is
  // exact, which is all that is used.
  const auto below = [](uint64_t v, uint64_t n) {
    return (v - kOnes * n) & ~v & kHigh;
  };
  const uint64_t special = below(x, 0x20) | below(x ^ (kOnes * '"'), 1) |
                           below(x ^ (kOnes * '\\'), 1) | (x & kHigh);
  if (special == 0) return 8;
  return static_cast<size_t>(__builtin_ctzll(special)) / 8;
}

// The same as FirstSpecialOf8 over p[0..16) (16 when there is none), with
// SSE2 where there is SSE2.
inline size_t FirstSpecialOf16(const char* p) {
#if defined(__SSE2__)
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // Signed: bytes 0x80 and above are negative, so below 0x20 too.
  const __m128i special =
      _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                   _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
  const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special));
  if (mask == 0) return 16;
  return static_cast<size_t>(__builtin_ctz(mask));
#else
  const size_t k = FirstSpecialOf8(p);
  return k < 8 ? k : 8 + FirstSpecialOf8(p + 8);
#endif
}

}  // namespace switchboard::io

#endif  // SWITCHBOARD_ENGINE_IO_FAST_PARSE_H_
