// Calendars for rule authors (docs/rule-language.md): dates without a year in
// `closed` and `special` recur every year (02-29 only in leap years); an
// unknown time zone gets "did you mean", in a calendar and as a constant
// argument of a CEL time function, at load time.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/decision.h"
#include "switchboard/diagnostic.h"
#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/ruleset.h"
#include "switchboard/time.h"

namespace switchboard {
namespace {

using ::testing::HasSubstr;

constexpr char kYearly[] = R"(ruleset: yearly
calendars:
  hours:
    timezone: Europe/Berlin
    weekly:
      mon-sun: ["09:00-17:00"]
    closed: ["12-24", "02-29", "2026-12-31"]
    special:
      "12-27": ["10:00-12:00"]
      "2028-12-27": ["13:00-14:00"]
rules:
  - name: open
    on: ping
    if: open('hours')
    then: [{tag: [open]}]
)";

// Whether the `open` rule runs for a ping at `time` (UTC).
bool OpenAt(const std::shared_ptr<const Ruleset>& rs, std::string_view time) {
  auto engine = Engine::Create(rs);
  EXPECT_TRUE(engine.ok());
  class Count : public DecisionSink {
   public:
    void OnDecision(const Decision&) override { ++n; }
    int n = 0;
  } sink;
  absl::StatusOr<absl::Time> t = ParseTimestamp(time);
  EXPECT_TRUE(t.ok()) << time;
  Event ping("ping", *t);
  ping.SetString("conversation", "c");
  EXPECT_TRUE((*engine)->Process(ping, &sink).ok());
  return sink.n == 1;
}

TEST(CalendarDatesTest, DatesWithoutAYearRecurEveryYear) {
  LoadResult result = LoadRulesetFromString(kYearly, "yearly.yaml");
  ASSERT_TRUE(result.ok()) << FormatDiagnostics(result.diagnostics());
  const std::shared_ptr<const Ruleset>& rs = result.ruleset();
  // 10:00 UTC is 11:00 in Berlin in winter.
  EXPECT_FALSE(OpenAt(rs, "2026-12-24T10:00:00Z"));
  EXPECT_FALSE(OpenAt(rs, "2031-12-24T10:00:00Z"));
  EXPECT_TRUE(OpenAt(rs, "2026-12-23T10:00:00Z"));
  EXPECT_FALSE(OpenAt(rs, "2026-12-31T10:00:00Z"));  // dated: that year only
  EXPECT_TRUE(OpenAt(rs, "2027-12-31T10:00:00Z"));
  // 02-29: only in leap years (and 03-01 is an ordinary day).
  EXPECT_FALSE(OpenAt(rs, "2028-02-29T10:00:00Z"));
  EXPECT_TRUE(OpenAt(rs, "2027-03-01T10:00:00Z"));
  // A yearly special day replaces the weekly hours; a dated one wins.
  EXPECT_TRUE(OpenAt(rs, "2026-12-27T10:00:00Z"));   // 11:00 local
  EXPECT_FALSE(OpenAt(rs, "2026-12-27T12:00:00Z"));  // 13:00 local
  EXPECT_FALSE(OpenAt(rs, "2028-12-27T10:00:00Z"));
  EXPECT_TRUE(OpenAt(rs, "2028-12-27T12:30:00Z"));
}

TEST(CalendarDatesTest, BadYearlyDatesAreLoadErrors) {
  LoadResult result = LoadRulesetFromString(R"(ruleset: bad
calendars:
  hours:
    timezone: UTC
    closed: ["02-30", "13-01", "12-24"]
rules: []
)",
                                            "bad.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error_count(), 2);
  EXPECT_THAT(FormatDiagnostics(result.diagnostics()),
              HasSubstr("bad.yaml:5:14: error: bad date '02-30': write "
                        "YYYY-MM-DD, a real date such as '2026-12-24', or "
                        "MM-DD for every year ('12-24')"));
}

TEST(CalendarDatesTest, UnknownTimeZonesGetDidYouMean) {
  LoadResult result = LoadRulesetFromString(R"(ruleset: zones
calendars:
  hours:
    timezone: Europe/Berln
rules:
  - name: late
    on: ping
    if: now.getHours('America/New_Yrok') > 18 && now.getHours('UTC') < 3
    then: [{tag: [late]}]
)",
                                            "zones.yaml");
  ASSERT_FALSE(result.ok());
  const std::string text = FormatDiagnostics(result.diagnostics());
  EXPECT_THAT(text, HasSubstr("zones.yaml:4:15: error: unknown time zone "
                              "'Europe/Berln': use an IANA name such as "
                              "'Europe/Berlin' or an offset such as '+01:00'; "
                              "did you mean 'Europe/Berlin'?"));
  EXPECT_THAT(text, HasSubstr("zones.yaml:8:22: error: unknown time zone "
                              "'America/New_Yrok'"));
  EXPECT_THAT(text, HasSubstr("did you mean 'America/New_York'?"));
  EXPECT_EQ(result.error_count(), 2);
}

}  // namespace
}  // namespace switchboard
