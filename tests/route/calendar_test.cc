// CalendarOpen (engine/route/calendar.h): ranges include their start and
// exclude their end to the second, 24:00, ranges past midnight belonging to
// the day they start on, closed dates over special over weekly hours, and
// wall-clock hours across daylight-saving changes in several zones and in a
// fixed-offset zone. Calendars are built directly, plus one loaded from YAML.
#include "engine/route/calendar.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/check/checked_ruleset.h"
#include "engine/common/time_util.h"
#include "engine/plan/ruleset_access.h"
#include "gtest/gtest.h"
#include "switchboard/ruleset.h"

namespace switchboard {
namespace {

using ::switchboard::check::Calendar;
using ::switchboard::common::LoadTimeZone;
using ::switchboard::route::CalendarOpen;

// Indexes of Calendar::weekly (Monday first), for the days the tests use.
constexpr int kMon = 0, kWed = 2, kFri = 4, kSat = 5, kSun = 6;

// "HH:MM" -> minutes.
int M(int hour, int minute = 0) { return hour * 60 + minute; }

Calendar MakeCalendar(const std::string& zone_name) {
  Calendar calendar;
  calendar.name = "test";
  calendar.zone_name = zone_name;
  absl::StatusOr<absl::TimeZone> zone = LoadTimeZone(zone_name);
  EXPECT_TRUE(zone.ok()) << zone_name << ": " << zone.status();
  if (zone.ok()) calendar.zone = *zone;
  return calendar;
}

absl::Time Utc(const std::string& rfc3339) {
  absl::StatusOr<absl::Time> t = ParseTimestamp(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? *t : absl::UnixEpoch();
}

// Local wall-clock time in the calendar's zone (must exist and be unique).
absl::Time Local(const Calendar& calendar, int y, int mo, int d, int h, int mi,
                 int s = 0) {
  const absl::TimeZone::TimeInfo info =
      calendar.zone.At(absl::CivilSecond(y, mo, d, h, mi, s));
  EXPECT_EQ(info.kind, absl::TimeZone::TimeInfo::UNIQUE)
      << y << "-" << mo << "-" << d << " " << h << ":" << mi;
  return info.pre;
}

// 2026-06-01 is a Monday.
TEST(CalendarTest, WeekdayIndexZeroIsMonday) {
  ASSERT_EQ(absl::GetWeekday(absl::CivilDay(2026, 6, 1)),
            absl::Weekday::monday);
  Calendar c = MakeCalendar("UTC");
  c.weekly[kMon] = {{M(8), M(20)}};
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-01T12:00:00Z")));   // Monday
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-02T12:00:00Z")));  // Tuesday
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-05-31T12:00:00Z")));  // Sunday
}

TEST(CalendarTest, StartInclusiveEndExclusiveToTheSecond) {
  Calendar c = MakeCalendar("UTC");
  for (int d = kMon; d <= kFri; ++d) c.weekly[d] = {{M(8), M(20)}};
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-03T07:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-03T07:59:59.999Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T08:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T14:30:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T19:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T19:59:59.999Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-03T20:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-06T12:00:00Z")));  // Saturday
}

TEST(CalendarTest, SeveralRangesPerDay) {
  Calendar c = MakeCalendar("UTC");
  c.weekly[kWed] = {{M(8), M(12)}, {M(13), M(17, 30)}};
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T11:59:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-03T12:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-03T12:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T13:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T17:29:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-03T17:30:00Z")));
}

TEST(CalendarTest, TwentyFourHundredEndsTheDay) {
  Calendar c = MakeCalendar("UTC");
  c.weekly[kWed] = {{M(0), M(24)}};
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T00:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T23:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-04T00:00:00Z")));  // Thursday
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-02T23:59:59Z")));  // Tuesday

  Calendar evening = MakeCalendar("UTC");
  evening.weekly[kWed] = {{M(18), M(24)}};
  EXPECT_TRUE(CalendarOpen(evening, Utc("2026-06-03T23:59:59Z")));
  EXPECT_FALSE(CalendarOpen(evening, Utc("2026-06-04T00:00:00Z")));
}

TEST(CalendarTest, RangePastMidnightBelongsToTheDayItStartsOn) {
  Calendar c = MakeCalendar("UTC");
  c.weekly[kSat] = {{M(22), M(2) + 1440}};  // "22:00-02:00"
  // Saturday 2026-06-06.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-06T21:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-06T22:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-06T23:59:59Z")));
  // Sunday has no hours of its own.
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-07T00:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-07T01:30:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-07T01:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-07T02:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-07T22:30:00Z")));
  // Saturday early morning: Friday has no overnight range.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-06T01:30:00Z")));
}

TEST(CalendarTest, OvernightRangeNotLastOfTheDay) {
  // A day's ranges are sorted by start; an overnight one may be followed by
  // nothing, but an earlier long range can also run past midnight.
  Calendar c = MakeCalendar("UTC");
  c.weekly[kFri] = {{M(20), M(3) + 1440}, {M(21), M(23)}};
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-06T02:59:59Z")));  // Saturday
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-06T03:00:00Z")));
}

TEST(CalendarTest, OvernightAndTodaysOwnHours) {
  Calendar c = MakeCalendar("UTC");
  c.weekly[kSat] = {{M(22), M(2) + 1440}};
  c.weekly[kSun] = {{M(1), M(3)}};
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-07T00:30:00Z")));  // Saturday's
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-07T02:30:00Z")));  // Sunday's
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-07T03:00:00Z")));
}

TEST(CalendarTest, FullDayPastMidnight) {
  // "12:00-12:00" cannot be written (empty), but start < end <= start + 1440
  // allows 12:00 to 12:00 of the next day as {720, 2160}.
  Calendar c = MakeCalendar("UTC");
  c.weekly[kWed] = {{M(12), M(12) + 1440}};
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-03T11:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T12:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-04T11:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-04T12:00:00Z")));
}

TEST(CalendarTest, ClosedDateWinsOverWeeklyAndSpecial) {
  Calendar c = MakeCalendar("UTC");
  for (int d = kMon; d <= kSun; ++d) c.weekly[d] = {{M(8), M(20)}};
  c.closed = {absl::CivilDay(2026, 12, 24), absl::CivilDay(2026, 12, 25)};
  c.special = {{absl::CivilDay(2026, 12, 25), {{M(10), M(12)}}}};
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-12-23T12:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-12-24T12:00:00Z")));  // weekly
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-12-25T11:00:00Z")));  // special
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-12-26T12:00:00Z")));
}

TEST(CalendarTest, SpecialReplacesWeekly) {
  Calendar c = MakeCalendar("UTC");
  for (int d = kMon; d <= kFri; ++d) c.weekly[d] = {{M(8), M(20)}};
  c.special = {
      {absl::CivilDay(2026, 12, 27), {{M(10), M(12)}}},  // a Sunday: opens
      {absl::CivilDay(2026, 12, 30), {}},                // empty: closed
      {absl::CivilDay(2026, 12, 31), {{M(8), M(12)}}},   // shorter
  };
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-12-27T10:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-12-27T12:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-12-29T12:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-12-30T08:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-12-30T12:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-12-31T11:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-12-31T12:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-12-31T15:00:00Z")));
}

TEST(CalendarTest, SpecialOvernightRangeRunsIntoTheNextDay) {
  Calendar c = MakeCalendar("UTC");
  c.special = {{absl::CivilDay(2026, 12, 31), {{M(20), M(1) + 1440}}}};
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-12-31T23:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2027-01-01T00:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2027-01-01T01:00:00Z")));
}

TEST(CalendarTest, SpecialReplacesThePreviousDaysOvernightRange) {
  Calendar c = MakeCalendar("UTC");
  c.weekly[kSat] = {{M(22), M(2) + 1440}};
  c.special = {{absl::CivilDay(2026, 6, 6), {{M(9), M(12)}}}};  // Saturday
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-06T23:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-07T01:30:00Z")));
}

TEST(CalendarTest, ClosedPreviousDayCancelsItsOvernightRange) {
  Calendar c = MakeCalendar("UTC");
  c.weekly[kSat] = {{M(22), M(2) + 1440}};
  c.weekly[kSun] = {{M(10), M(12)}};
  c.closed = {absl::CivilDay(2026, 6, 6)};  // Saturday
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-06T23:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-07T01:30:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-07T10:00:00Z")));
  // The next Saturday is not closed.
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-14T01:30:00Z")));
}

TEST(CalendarTest, ClosedNextDayDoesNotCutTheOvernightRange) {
  // The range belongs to Saturday; closing Sunday closes Sunday's own hours.
  Calendar c = MakeCalendar("UTC");
  c.weekly[kSat] = {{M(22), M(2) + 1440}};
  c.weekly[kSun] = {{M(10), M(12)}};
  c.closed = {absl::CivilDay(2026, 6, 7)};  // Sunday
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-07T01:30:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-07T10:00:00Z")));
}

TEST(CalendarTest, EmptyCalendarIsNeverOpen) {
  Calendar c = MakeCalendar("UTC");
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-03T12:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, absl::InfinitePast()));
  EXPECT_FALSE(CalendarOpen(c, absl::InfiniteFuture()));
}

TEST(CalendarTest, InfiniteInstantsAreClosedEvenWhenAlwaysOpen) {
  Calendar c = MakeCalendar("UTC");
  for (int d = kMon; d <= kSun; ++d) c.weekly[d] = {{M(0), M(24)}};
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T12:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("0001-01-01T00:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("9999-12-31T23:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, absl::InfinitePast()));
  EXPECT_FALSE(CalendarOpen(c, absl::InfiniteFuture()));
}

// Europe/Berlin: CET (+01:00) in winter, CEST (+02:00) in summer; 2026-03-29
// 02:00 -> 03:00 (at 01:00Z), 2026-10-25 03:00 -> 02:00 (at 01:00Z).
TEST(CalendarTest, BerlinKeepsWallClockHoursAcrossDaylightSaving) {
  Calendar c = MakeCalendar("Europe/Berlin");
  for (int d = kMon; d <= kSun; ++d) c.weekly[d] = {{M(8), M(20)}};
  // Winter, before the change: 08:00 local is 07:00Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-28T06:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-03-28T07:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-03-28T18:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-28T19:00:00Z")));
  // The day of the change (Sunday) is already summer at 08:00: 06:00Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-29T05:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-03-29T06:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-03-29T17:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-29T18:00:00Z")));
  // Summer.
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-07-01T06:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-07-01T18:00:00Z")));
  // The day of the change back (Sunday) is winter again at 08:00: 07:00Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-10-25T06:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-10-25T06:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-10-25T07:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-10-25T18:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-10-25T19:00:00Z")));
  // The Saturday before the change back is still summer.
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-10-24T06:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-10-24T18:00:00Z")));
}

TEST(CalendarTest, BerlinSkippedHourNeverOccurs) {
  Calendar c = MakeCalendar("Europe/Berlin");
  c.weekly[kSun] = {{M(2), M(3)}};  // 02:00-03:00 does not exist 2026-03-29
  // 00:59:59Z is 01:59:59 CET; 01:00:00Z is 03:00:00 CEST.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-29T00:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-29T01:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-29T01:30:00Z")));
  // The Sunday before, it is open for an hour.
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-03-22T01:30:00Z")));

  // A range that starts in the gap opens at the first time after it.
  Calendar late = MakeCalendar("Europe/Berlin");
  late.weekly[kSun] = {{M(2, 30), M(4)}};
  EXPECT_FALSE(CalendarOpen(late, Utc("2026-03-29T00:59:59Z")));  // 01:59:59
  EXPECT_TRUE(CalendarOpen(late, Utc("2026-03-29T01:00:00Z")));   // 03:00
  EXPECT_TRUE(CalendarOpen(late, Utc("2026-03-29T01:59:59Z")));   // 03:59:59
  EXPECT_FALSE(CalendarOpen(late, Utc("2026-03-29T02:00:00Z")));  // 04:00
}

TEST(CalendarTest, BerlinRepeatedHourIsOpenBothTimes) {
  Calendar c = MakeCalendar("Europe/Berlin");
  c.weekly[kSun] = {{M(2, 15), M(2, 45)}};
  // 02:30 local happens twice on 2026-10-25: 00:30Z (CEST) and 01:30Z (CET).
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-10-25T00:30:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-10-25T01:30:00Z")));
  // 02:00 local (00:00Z and 01:00Z) is before the range both times.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-10-25T00:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-10-25T01:00:00Z")));
  // 02:50 local, both times.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-10-25T00:50:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-10-25T01:50:00Z")));

  // A range ending at 02:30 closes at the first 02:30 and reopens at the
  // second pass of 02:00.
  Calendar night = MakeCalendar("Europe/Berlin");
  night.weekly[kSat] = {{M(22), M(2, 30) + 1440}};
  EXPECT_TRUE(CalendarOpen(night, Utc("2026-10-25T00:29:59Z")));   // 02:29:59
  EXPECT_FALSE(CalendarOpen(night, Utc("2026-10-25T00:30:00Z")));  // 02:30
  EXPECT_FALSE(CalendarOpen(night, Utc("2026-10-25T00:59:59Z")));  // 02:59:59
  EXPECT_TRUE(CalendarOpen(night, Utc("2026-10-25T01:00:00Z")));   // 02:00
  EXPECT_TRUE(CalendarOpen(night, Utc("2026-10-25T01:29:59Z")));   // 02:29:59
  EXPECT_FALSE(CalendarOpen(night, Utc("2026-10-25T01:30:00Z")));  // 02:30
}

// America/New_York: EST (-05:00) / EDT (-04:00); 2026-03-08 02:00 -> 03:00,
// 2026-11-01 02:00 -> 01:00.
TEST(CalendarTest, NewYorkKeepsWallClockHoursAcrossDaylightSaving) {
  Calendar c = MakeCalendar("America/New_York");
  for (int d = kMon; d <= kSun; ++d) c.weekly[d] = {{M(9), M(17)}};
  // Saturday 2026-03-07, EST: 09:00 = 14:00Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-07T13:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-03-07T14:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-07T22:00:00Z")));
  // Sunday 2026-03-08, EDT: 09:00 = 13:00Z, 17:00 = 21:00Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-08T12:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-03-08T13:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-03-08T20:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-08T21:00:00Z")));
  // Sunday 2026-11-01, EST again: 09:00 = 14:00Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-11-01T13:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-11-01T14:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-11-01T21:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-11-01T22:00:00Z")));
  // Saturday 2026-10-31, still EDT.
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-10-31T13:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-10-31T21:00:00Z")));
}

TEST(CalendarTest, NewYorkOvernightRangeAcrossTheChange) {
  // Saturday 22:00 to Sunday 04:00 local on the night clocks go forward
  // lasts 5 hours of real time, on the night they go back 7.
  Calendar c = MakeCalendar("America/New_York");
  c.weekly[kSat] = {{M(22), M(4) + 1440}};
  // 2026-03-07 22:00 EST = 03:00Z; 2026-03-08 04:00 EDT = 08:00Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-08T02:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-03-08T03:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-03-08T07:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-03-08T08:00:00Z")));
  // 2026-10-31 22:00 EDT = 02:00Z; 2026-11-01 04:00 EST = 09:00Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-11-01T01:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-11-01T02:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-11-01T08:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-11-01T09:00:00Z")));
}

// Australia/Sydney: AEDT (+11:00) / AEST (+10:00); 2026-04-05 03:00 -> 02:00,
// 2026-10-04 02:00 -> 03:00.
TEST(CalendarTest, SydneyKeepsWallClockHoursAcrossDaylightSaving) {
  Calendar c = MakeCalendar("Australia/Sydney");
  for (int d = kMon; d <= kSun; ++d) c.weekly[d] = {{M(8), M(20)}};
  // Saturday 2026-04-04, AEDT: 08:00 = previous day 21:00Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-04-03T20:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-04-03T21:00:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-04-04T09:00:00Z")));
  // Sunday 2026-04-05, AEST: 08:00 = 2026-04-04T22:00Z, 20:00 = 10:00Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-04-04T21:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-04-04T22:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-04-05T09:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-04-05T10:00:00Z")));
  // Sunday 2026-10-04, AEDT again: 08:00 = 2026-10-03T21:00Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-10-03T20:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-10-03T21:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-10-04T08:59:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-10-04T09:00:00Z")));
  // Saturday 2026-10-03, still AEST: 08:00 = 2026-10-02T22:00Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-10-02T21:00:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-10-02T22:00:00Z")));
}

TEST(CalendarTest, FixedOffsetZone) {
  Calendar c = MakeCalendar("+05:30");
  for (int d = kMon; d <= kFri; ++d) c.weekly[d] = {{M(9), M(18)}};
  // Wednesday 2026-06-03 09:00 +05:30 = 03:30Z; 18:00 = 12:30Z.
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-03T03:29:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T03:30:00Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-06-03T12:29:59Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-06-03T12:30:00Z")));
  // The local day, not the UTC day, picks the weekday: Saturday 2026-06-06
  // 01:00 local is Friday 19:30Z.
  Calendar night = MakeCalendar("+05:30");
  night.weekly[kSat] = {{M(0), M(2)}};
  EXPECT_TRUE(CalendarOpen(night, Utc("2026-06-05T19:30:00Z")));
  EXPECT_FALSE(CalendarOpen(night, Utc("2026-06-06T19:30:00Z")));
  // No daylight saving: the same UTC hours in January and July.
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-01-07T03:30:00Z")));
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-01-07T03:29:59Z")));
}

TEST(CalendarTest, LocalDayDecidesClosedAndSpecial) {
  // 2026-12-24 00:30 in Berlin is still 2026-12-23 in UTC.
  Calendar c = MakeCalendar("Europe/Berlin");
  for (int d = kMon; d <= kSun; ++d) c.weekly[d] = {{M(0), M(24)}};
  c.closed = {absl::CivilDay(2026, 12, 24)};
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-12-23T22:59:59Z")));   // 23:59:59
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-12-23T23:00:00Z")));  // 24th 00:00
  EXPECT_FALSE(CalendarOpen(c, Utc("2026-12-24T22:59:59Z")));
  EXPECT_TRUE(CalendarOpen(c, Utc("2026-12-24T23:00:00Z")));  // 25th 00:00
}

constexpr char kRuleset[] = R"yaml(
ruleset: cal
calendars:
  service_hours:
    timezone: Europe/Berlin
    weekly:
      mon-fri: ["08:00-20:00"]
      sat: ["09:00-14:00", "22:00-02:00"]
    closed: ["2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01"]
    special: {"2026-12-31": ["08:00-12:00"], "2026-12-28": []}
rules:
  - name: r
    on: message.received
    if: open('service_hours')
    then:
      - tag: [open]
)yaml";

TEST(CalendarTest, LoadedCalendar) {
  LoadResult result = LoadRulesetFromString(kRuleset, "cal.yaml");
  ASSERT_TRUE(result.ok());
  std::shared_ptr<const Ruleset> ruleset = result.ruleset();
  ASSERT_EQ(plan::RulesetAccess::Checked(*ruleset).calendars.size(), 1u);
  const Calendar& c = plan::RulesetAccess::Checked(*ruleset).calendars[0];
  auto at = [&](int y, int mo, int d, int h, int mi, int s = 0) {
    return CalendarOpen(c, Local(c, y, mo, d, h, mi, s));
  };
  // Wednesday 2026-12-23.
  EXPECT_FALSE(at(2026, 12, 23, 7, 59, 59));
  EXPECT_TRUE(at(2026, 12, 23, 8, 0));
  EXPECT_TRUE(at(2026, 12, 23, 19, 59, 59));
  EXPECT_FALSE(at(2026, 12, 23, 20, 0));
  // Closed Christmas days.
  EXPECT_FALSE(at(2026, 12, 24, 12, 0));
  EXPECT_FALSE(at(2026, 12, 25, 12, 0));
  // Saturday 2026-12-26 is closed: its 22:00-02:00 does not run into Sunday.
  EXPECT_FALSE(at(2026, 12, 26, 23, 0));
  EXPECT_FALSE(at(2026, 12, 27, 1, 30));
  // Monday 2026-12-28: empty special hours.
  EXPECT_FALSE(at(2026, 12, 28, 12, 0));
  EXPECT_TRUE(at(2026, 12, 29, 12, 0));
  // 2026-12-31: special hours.
  EXPECT_TRUE(at(2026, 12, 31, 11, 59, 59));
  EXPECT_FALSE(at(2026, 12, 31, 12, 0));
  // Saturday 2027-01-02 and the night into Sunday.
  EXPECT_FALSE(at(2027, 1, 2, 8, 59, 59));
  EXPECT_TRUE(at(2027, 1, 2, 9, 0));
  EXPECT_FALSE(at(2027, 1, 2, 14, 0));
  EXPECT_FALSE(at(2027, 1, 2, 21, 59, 59));
  EXPECT_TRUE(at(2027, 1, 2, 22, 0));
  EXPECT_TRUE(at(2027, 1, 3, 1, 30));
  EXPECT_FALSE(at(2027, 1, 3, 2, 0));
  EXPECT_FALSE(at(2027, 1, 3, 12, 0));
}

}  // namespace
}  // namespace switchboard
