// Tests of the text forms of time: duration and timestamp parsing and
// formatting, and time zone loading (IANA names and fixed offsets).
#include "engine/common/time_util.h"

#include <string>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace switchboard {
namespace {

using ::switchboard::common::LoadTimeZone;

using ::switchboard::testing::StatusIs;

absl::Duration MustParseDuration(std::string_view text) {
  absl::StatusOr<absl::Duration> d = ParseDuration(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status();
  return d.ok() ? *d : absl::ZeroDuration();
}

absl::Time MustParseTimestamp(std::string_view text) {
  absl::StatusOr<absl::Time> t = ParseTimestamp(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status();
  return t.ok() ? *t : absl::UnixEpoch();
}

TEST(ParseDurationTest, ParsesGoSyntax) {
  EXPECT_EQ(MustParseDuration("90s"), absl::Seconds(90));
  EXPECT_EQ(MustParseDuration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(MustParseDuration("1.5h"), absl::Minutes(90));
  EXPECT_EQ(MustParseDuration("-250ms"), absl::Milliseconds(-250));
  EXPECT_EQ(MustParseDuration("+2m"), absl::Minutes(2));
  EXPECT_EQ(MustParseDuration("0s"), absl::ZeroDuration());
  EXPECT_EQ(MustParseDuration("0"), absl::ZeroDuration());
  EXPECT_EQ(MustParseDuration("-0"), absl::ZeroDuration());
  EXPECT_EQ(MustParseDuration("1ns"), absl::Nanoseconds(1));
  EXPECT_EQ(MustParseDuration("3us"), absl::Microseconds(3));
  EXPECT_EQ(MustParseDuration("3\xC2\xB5s"), absl::Microseconds(3));  // µs
  EXPECT_EQ(MustParseDuration("3\xCE\xBCs"), absl::Microseconds(3));  // μs
  EXPECT_EQ(MustParseDuration("1h2m3s4ms5us6ns"),
            absl::Hours(1) + absl::Minutes(2) + absl::Seconds(3) +
                absl::Milliseconds(4) + absl::Microseconds(5) +
                absl::Nanoseconds(6));
  EXPECT_EQ(MustParseDuration(".5s"), absl::Milliseconds(500));
  EXPECT_EQ(MustParseDuration("1.s"), absl::Seconds(1));
  EXPECT_EQ(MustParseDuration("1.000000001s"),
            absl::Seconds(1) + absl::Nanoseconds(1));
  // More fractional digits than nanoseconds: truncated.
  EXPECT_EQ(MustParseDuration("0.0000000019s"), absl::Nanoseconds(1));
  // Beyond int64 nanoseconds (Go's limit) but within CEL's range.
  EXPECT_EQ(MustParseDuration("200000000000s"), absl::Seconds(200000000000));
}

TEST(ParseDurationTest, RejectsMalformedText) {
  for (const char* text :
       {"",      "-",    "+",   "s",    "1",   "10",   "1x",
        "1 s",   " 1s",  "1s ", ".s",   "-.s", "1hh",  "1.5.5s",
        "1s-1s", "--1s", "1S",  "1sec", "1d",  "0x10s"}) {
    EXPECT_FALSE(ParseDuration(text).ok()) << "'" << text << "'";
  }
}

TEST(ParseDurationTest, RejectsOverflow) {
  EXPECT_FALSE(ParseDuration("99999999999999999999s").ok());
  EXPECT_FALSE(ParseDuration("9223372036854775807h").ok());
  EXPECT_FALSE(ParseDuration("9223372036854775807s9223372036854775807s").ok());
}

TEST(FormatDurationTest, UsesProtobufJsonForm) {
  EXPECT_EQ(switchboard::FormatDuration(absl::Seconds(90)), "90s");
  EXPECT_EQ(switchboard::FormatDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(switchboard::FormatDuration(absl::Milliseconds(250)), "0.250s");
  EXPECT_EQ(switchboard::FormatDuration(absl::Milliseconds(1500)), "1.500s");
  EXPECT_EQ(switchboard::FormatDuration(absl::Microseconds(1)), "0.000001s");
  EXPECT_EQ(
      switchboard::FormatDuration(-(absl::Seconds(1) + absl::Nanoseconds(1))),
      "-1.000000001s");
  EXPECT_EQ(switchboard::FormatDuration(absl::Milliseconds(-250)), "-0.250s");
  EXPECT_EQ(switchboard::FormatDuration(absl::Seconds(315576000000)),
            "315576000000s");
}

TEST(FormatDurationTest, RoundTripsThroughParse) {
  for (absl::Duration d :
       {absl::Seconds(90), absl::Milliseconds(-250), absl::Nanoseconds(7),
        absl::Seconds(-315576000000), absl::Hours(5) + absl::Nanoseconds(3)}) {
    EXPECT_EQ(MustParseDuration(switchboard::FormatDuration(d)), d)
        << switchboard::FormatDuration(d);
  }
}

TEST(ParseTimestampTest, ParsesRfc3339) {
  const absl::Time t = absl::FromCivil(
      absl::CivilSecond(2026, 11, 23, 18, 2, 0), absl::UTCTimeZone());
  EXPECT_EQ(MustParseTimestamp("2026-11-23T18:02:00Z"), t);
  EXPECT_EQ(MustParseTimestamp("2026-11-23t18:02:00z"), t);
  EXPECT_EQ(MustParseTimestamp("2026-11-23 18:02:00Z"), t);
  EXPECT_EQ(MustParseTimestamp("2026-11-23T19:02:00+01:00"), t);
  EXPECT_EQ(MustParseTimestamp("2026-11-23T08:32:00-09:30"), t);
  EXPECT_EQ(MustParseTimestamp("2026-11-23T19:02:00.125+01:00"),
            t + absl::Milliseconds(125));
  EXPECT_EQ(MustParseTimestamp("2026-11-23T18:02:00.000000001Z"),
            t + absl::Nanoseconds(1));
  EXPECT_EQ(MustParseTimestamp("2024-02-29T00:00:00Z"),
            absl::FromCivil(absl::CivilDay(2024, 2, 29), absl::UTCTimeZone()));
  EXPECT_EQ(absl::ToUnixSeconds(MustParseTimestamp("0001-01-01T00:00:00Z")),
            -62135596800);
  EXPECT_EQ(MustParseTimestamp("9999-12-31T23:59:59.999999999Z"),
            absl::FromUnixSeconds(253402300799) + absl::Nanoseconds(999999999));
}

TEST(ParseTimestampTest, RejectsMalformedText) {
  for (const char* text : {
           "",
           "2026-11-23",
           "2026-11-23T18:02:00",              // no zone
           "2026-11-23T18:02Z",                // no seconds
           "2026-11-23T18:02:00.Z",            // empty fraction
           "2026-11-23T18:02:00.1234567891Z",  // 10 digits
           "2026-13-01T00:00:00Z",
           "2026-00-01T00:00:00Z",
           "2026-02-29T00:00:00Z",  // not a leap year
           "2026-04-31T00:00:00Z",
           "2026-11-23T24:00:00Z",
           "2026-11-23T23:60:00Z",
           "2026-11-23T23:59:60Z",
           "2026-11-23T18:02:00+1:00",
           "2026-11-23T18:02:00+01:60",
           "2026-11-23T18:02:00+0100",
           "2026-11-23T18:02:00Z ",
           " 2026-11-23T18:02:00Z",
           "26-11-23T18:02:00Z",
           "10000-01-01T00:00:00Z",
           "2026/11/23T18:02:00Z",
       }) {
    EXPECT_FALSE(ParseTimestamp(text).ok()) << text;
  }
}

TEST(ParseTimestampTest, RejectsYearsOutsideCelRange) {
  absl::StatusOr<absl::Time> t = ParseTimestamp("0000-01-01T00:00:00Z");
  EXPECT_THAT(t, StatusIs(absl::StatusCode::kOutOfRange));
  // Written as year 1, but before 0001-01-01T00:00:00Z in UTC.
  t = ParseTimestamp("0001-01-01T00:30:00+01:00");
  EXPECT_THAT(t, StatusIs(absl::StatusCode::kOutOfRange));
  t = ParseTimestamp("9999-12-31T23:30:00-01:00");
  EXPECT_THAT(t, StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(FormatTimestampTest, WritesUtcWithNeededDigits) {
  const absl::Time t = absl::FromUnixSeconds(1234567890);
  EXPECT_EQ(FormatTimestamp(t), "2009-02-13T23:31:30Z");
  EXPECT_EQ(FormatTimestamp(t + absl::Milliseconds(250)),
            "2009-02-13T23:31:30.250Z");
  EXPECT_EQ(FormatTimestamp(t + absl::Microseconds(1)),
            "2009-02-13T23:31:30.000001Z");
  EXPECT_EQ(FormatTimestamp(t + absl::Nanoseconds(1)),
            "2009-02-13T23:31:30.000000001Z");
  EXPECT_EQ(FormatTimestamp(absl::FromUnixSeconds(-62135596800)),
            "0001-01-01T00:00:00Z");
  EXPECT_EQ(
      FormatTimestamp(absl::FromUnixSeconds(-1) + absl::Milliseconds(500)),
      "1969-12-31T23:59:59.500Z");
  EXPECT_EQ(
      FormatTimestamp(MustParseTimestamp("9999-12-31T23:59:59.999999999Z")),
      "9999-12-31T23:59:59.999999999Z");
}

TEST(LoadTimeZoneTest, LoadsIanaNames) {
  const absl::Time t = MustParseTimestamp("2009-02-13T23:31:30Z");
  struct Case {
    const char* zone;
    absl::CivilSecond local;
  } cases[] = {
      {"UTC", absl::CivilSecond(2009, 2, 13, 23, 31, 30)},
      {"Europe/Berlin", absl::CivilSecond(2009, 2, 14, 0, 31, 30)},
      {"America/New_York", absl::CivilSecond(2009, 2, 13, 18, 31, 30)},
      {"Australia/Sydney", absl::CivilSecond(2009, 2, 14, 10, 31, 30)},
      {"US/Central", absl::CivilSecond(2009, 2, 13, 17, 31, 30)},
      {"America/St_Johns", absl::CivilSecond(2009, 2, 13, 20, 1, 30)},
      {"Asia/Kathmandu", absl::CivilSecond(2009, 2, 14, 5, 16, 30)},
  };
  for (const Case& c : cases) {
    absl::StatusOr<absl::TimeZone> tz = LoadTimeZone(c.zone);
    ASSERT_TRUE(tz.ok()) << c.zone << ": " << tz.status();
    EXPECT_EQ(tz->At(t).cs, c.local) << c.zone;
  }
}

TEST(LoadTimeZoneTest, FollowsDaylightSavingTime) {
  absl::StatusOr<absl::TimeZone> berlin = LoadTimeZone("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  EXPECT_EQ(berlin->At(MustParseTimestamp("2026-07-01T12:00:00Z")).cs,
            absl::CivilSecond(2026, 7, 1, 14, 0, 0));
  EXPECT_EQ(berlin->At(MustParseTimestamp("2026-01-01T12:00:00Z")).cs,
            absl::CivilSecond(2026, 1, 1, 13, 0, 0));
}

TEST(LoadTimeZoneTest, LoadsFixedOffsets) {
  const absl::Time t = MustParseTimestamp("2009-02-13T23:31:30Z");
  struct Case {
    const char* zone;
    absl::CivilSecond local;
  } cases[] = {
      {"+02:00", absl::CivilSecond(2009, 2, 14, 1, 31, 30)},
      {"02:00", absl::CivilSecond(2009, 2, 14, 1, 31, 30)},
      {"-09:30", absl::CivilSecond(2009, 2, 13, 14, 1, 30)},
      {"-00:00", absl::CivilSecond(2009, 2, 13, 23, 31, 30)},
      {"+11:00", absl::CivilSecond(2009, 2, 14, 10, 31, 30)},
  };
  for (const Case& c : cases) {
    absl::StatusOr<absl::TimeZone> tz = LoadTimeZone(c.zone);
    ASSERT_TRUE(tz.ok()) << c.zone << ": " << tz.status();
    EXPECT_EQ(tz->At(t).cs, c.local) << c.zone;
  }
}

TEST(LoadTimeZoneTest, RejectsUnknownAndUnsafeNames) {
  for (const char* zone :
       {"", "Mars/Olympus_Mons", "Europe/Berlinn", "+25:00", "+02:60", "+2:00",
        "/etc/passwd", "../../../../dev/zero", "Europe/../../../dev/stdin",
        "/dev/stdin", "localtime", "Europe//Berlin", "Europe/Berlin/"}) {
    EXPECT_FALSE(LoadTimeZone(zone).ok()) << zone;
  }
  EXPECT_FALSE(LoadTimeZone(std::string(1000, 'A')).ok());
}

TEST(TimeUtilTest, SurvivesHostileInput) {
  // Random text built from the characters the parsers care about.
  static constexpr char kAlphabet[] = "0123456789.:+-TZtz hmsunµ/\x00\xff";
  uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1103515245 + 12345;
    return state >> 16;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const size_t length = next() % 40;
    for (size_t j = 0; j < length; ++j) {
      text.push_back(kAlphabet[next() % (sizeof(kAlphabet) - 1)]);
    }
    absl::StatusOr<absl::Duration> d = ParseDuration(text);
    if (d.ok()) {
      EXPECT_NE(*d, absl::InfiniteDuration()) << text;
    }
    absl::StatusOr<absl::Time> t = ParseTimestamp(text);
    if (t.ok()) {
      EXPECT_EQ(*ParseTimestamp(FormatTimestamp(*t)), *t) << text;
    }
    (void)LoadTimeZone(text);
  }
}

}  // namespace
}  // namespace switchboard
