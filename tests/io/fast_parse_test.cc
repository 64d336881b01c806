// Tests of the reader's fast paths (engine/io/fast_parse.h), each against
// the general code it stands in for: FastParseUtcTimestamp against
// switchboard::ParseTimestamp, FastParseDecimal against std::from_chars,
// FirstSpecialOf8 / FirstSpecialOf16 against a byte loop. A fast path may
// decline; when it answers, the answer must be the general one, and the
// common forms must not be declined.
#include "engine/io/fast_parse.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/common/time_util.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace {

using ::switchboard::io::FastParseDecimal;
using ::switchboard::io::FastParseUtcTimestamp;
using ::switchboard::io::FirstSpecialOf16;
using ::switchboard::io::FirstSpecialOf8;
using ::switchboard::io::UtcDateCache;

// Checks one text with and without a cache; returns whether the fast path
// answered.
bool CheckTimestamp(const std::string& text, UtcDateCache* cache) {
  absl::Time fast;
  const bool answered = FastParseUtcTimestamp(text, &fast);
  absl::Time cached;
  const bool answered_cached = FastParseUtcTimestamp(text, &cached, cache);
  EXPECT_EQ(answered, answered_cached) << text;
  absl::StatusOr<absl::Time> general = ParseTimestamp(text);
  if (answered) {
    EXPECT_TRUE(general.ok()) << text;
    if (general.ok()) {
      EXPECT_EQ(fast, *general) << text;
    }
  }
  if (answered_cached && general.ok()) {
    EXPECT_EQ(cached, *general) << text;
  }
  return answered;
}

TEST(FastParseTest, UtcTimestampsLikeParseTimestamp) {
  std::mt19937 rng(20261123);
  UtcDateCache cache;
  int answered = 0;
  for (int i = 0; i < 20000; ++i) {
    // Mostly valid fields, sometimes just out of range.
    const int year = static_cast<int>(rng() % 10000);
    const int month = static_cast<int>(rng() % 14);
    const int day = static_cast<int>(rng() % 33);
    const int hour = static_cast<int>(rng() % 25);
    const int minute = static_cast<int>(rng() % 61);
    const int second = static_cast<int>(rng() % 61);
    char text[64];
    std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d", year,
                  month, day, hour, minute, second);
    std::string s = text;
    const int digits = static_cast<int>(rng() % 12);  // 10, 11: too many
    if (digits > 0) {
      s += '.';
      for (int k = 0; k < digits; ++k) s += static_cast<char>('0' + rng() % 10);
    }
    const char* const endings[] = {"Z",      "Z",      "Z", "z",
                                   "+01:00", "-00:30", "",  "Zx"};
    const std::string ending = endings[rng() % std::size(endings)];
    s += ending;
    const bool fields_ok = year >= 1 && month >= 1 && month <= 12 && day >= 1 &&
                           day <= 28 && hour <= 23 && minute <= 59 &&
                           second <= 59 && digits <= 9;
    const bool got = CheckTimestamp(s, &cache);
    if (got) ++answered;
    if (fields_ok && ending == "Z") {
      EXPECT_TRUE(got) << s << " (the common form must not be declined)";
    }
  }
  EXPECT_GT(answered, 2000);
}

TEST(FastParseTest, UtcTimestampEdges) {
  UtcDateCache cache;
  const char* const accepted[] = {
      "2026-11-23T00:00:08Z",   "2026-11-23T23:59:59Z",
      "2026-11-23T23:59:59.5Z", "2026-11-23T23:59:59.123456789Z",
      "0001-01-01T00:00:00Z",   "9999-12-31T23:59:59.999999999Z",
      "2000-02-29T00:00:00Z",   "2024-02-29T12:00:00Z",
      "1970-01-01T00:00:00Z",   "1969-12-31T23:59:59.000000001Z",
      "1600-02-29T00:00:00Z",
  };
  for (const char* t : accepted) {
    EXPECT_TRUE(CheckTimestamp(t, &cache)) << t;
  }
  const char* const declined[] = {
      "0000-01-01T00:00:00Z",  "1900-02-29T00:00:00Z",
      "2023-02-29T00:00:00Z",  "2026-04-31T00:00:00Z",
      "2026-13-01T00:00:00Z",  "2026-00-01T00:00:00Z",
      "2026-11-00T00:00:00Z",  "2026-11-23T24:00:00Z",
      "2026-11-23T23:60:00Z",  "2026-11-23T23:59:60Z",
      "2026-11-23t10:00:00Z",  "2026-11-23 10:00:00Z",
      "2026-11-23T10:00:00z",  "2026-11-23T10:00:00+00:00",
      "2026-11-23T10:00:00.Z", "2026-11-23T10:00:00.1234567890Z",
      "2026-11-23T10:00:00",   "2026-11-23T10:00:00ZZ",
      "2026-11-23T10:00Z",     "+2026-11-23T10:00:00Z",
      "2026/11/23T10:00:00Z",  "2026-11-23T1a:00:00Z",
      "2026-1-23T10:00:00Z",   "",
  };
  for (const char* t : declined) {
    EXPECT_FALSE(CheckTimestamp(t, &cache)) << t;
  }
  // A cached date still answers for a later time of that date, and a
  // different date replaces it.
  absl::Time t;
  ASSERT_TRUE(FastParseUtcTimestamp("2026-11-23T10:00:00Z", &t, &cache));
  ASSERT_TRUE(FastParseUtcTimestamp("2026-11-23T10:00:01Z", &t, &cache));
  EXPECT_EQ(t, *ParseTimestamp("2026-11-23T10:00:01Z"));
  ASSERT_TRUE(FastParseUtcTimestamp("2026-11-24T10:00:01Z", &t, &cache));
  EXPECT_EQ(t, *ParseTimestamp("2026-11-24T10:00:01Z"));
  EXPECT_FALSE(FastParseUtcTimestamp("2026-11-24T25:00:01Z", &t, &cache));
}

// Whether the fast path answered; when it did, checks it against
// from_chars bit for bit.
bool CheckDecimal(const std::string& token) {
  double fast = 0;
  const bool answered = FastParseDecimal(token, &fast);
  if (answered) {
    double general = 0;
    const auto [ptr, ec] =
        std::from_chars(token.data(), token.data() + token.size(), general);
    EXPECT_EQ(ec, std::errc()) << token;
    EXPECT_EQ(ptr, token.data() + token.size()) << token;
    EXPECT_EQ(std::signbit(fast), std::signbit(general)) << token;
    EXPECT_EQ(fast, general) << token;
  }
  return answered;
}

TEST(FastParseTest, DecimalsLikeFromChars) {
  std::mt19937_64 rng(20261123);
  int answered = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string token;
    if (rng() % 2) token += '-';
    const int int_digits = 1 + static_cast<int>(rng() % 17);
    for (int k = 0; k < int_digits; ++k) {
      token += static_cast<char>('0' + rng() % 10);
    }
    if (token.back() != '-' && token[token.size() - int_digits] == '0' &&
        int_digits > 1) {
      token[token.size() - int_digits] = '1';  // JSON: no leading zeros
    }
    const int fraction = static_cast<int>(rng() % 20);
    if (fraction > 0) {
      token += '.';
      for (int k = 0; k < fraction; ++k) {
        token += static_cast<char>('0' + rng() % 10);
      }
    }
    if (CheckDecimal(token)) ++answered;
    // Short decimals, as written by people and generators, must be taken.
    if (int_digits + fraction <= 15) {
      EXPECT_TRUE(CheckDecimal(token)) << token;
    }
  }
  EXPECT_GT(answered, 50000);
  const char* const edges[] = {
      "0",
      "-0",
      "0.0",
      "-0.0",
      "17.77",
      "0.1",
      "0.3",
      "1.5",
      "-2.5",
      "9007199254740992",
      "9007199254740993",
      "9007199254740991.5",
      "0.0000000000000000000001",
      "0.00000000000000000000001",
      "123456789012345678.9",
      "1234567890123456789",
      "12345678901234567890",
      "1e5",
      "1.5E-3",
      "",
      "-",
      ".5",
      "1.",
      "1..2",
      "1.2.3",
      "abc",
  };
  for (const char* t : edges) CheckDecimal(t);
  double d;
  EXPECT_TRUE(FastParseDecimal("17.77", &d));
  EXPECT_FALSE(FastParseDecimal("1e5", &d));
  EXPECT_FALSE(FastParseDecimal("9007199254740993", &d));  // above 2^53
  EXPECT_FALSE(FastParseDecimal("", &d));
  EXPECT_FALSE(FastParseDecimal("1.", &d));
}

size_t FirstSpecialSlow(const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] < 0x20 || p[i] >= 0x80 || p[i] == '"' || p[i] == '\\') return i;
  }
  return n;
}

TEST(FastParseTest, FirstSpecialByteLikeAByteLoop) {
  std::mt19937 rng(20261123);
  const unsigned char interesting[] = {0x00, 0x1f, 0x20, 0x21, '"',  '\\',
                                       0x7f, 0x80, 0xc3, 0xff, 'a',  '0',
                                       0x5b, 0x5d, 0x5c, 0x22, 0x23, 0x01};
  for (int i = 0; i < 200000; ++i) {
    unsigned char bytes[16];
    for (unsigned char& b : bytes) {
      // Mostly plain, so that the special byte sits anywhere.
      b = rng() % 6 == 0 ? interesting[rng() % std::size(interesting)]
                         : static_cast<unsigned char>(0x20 + rng() % 0x60);
    }
    const char* p = reinterpret_cast<const char*>(bytes);
    ASSERT_EQ(FirstSpecialOf8(p), FirstSpecialSlow(bytes, 8)) << i;
    ASSERT_EQ(FirstSpecialOf16(p), FirstSpecialSlow(bytes, 16)) << i;
  }
}

}  // namespace
}  // namespace switchboard
