// Tests of CompactEvent (switchboard/compact_event.h): Assign, CopyTo and
// copies keep every attribute's kind, name, meaningful member and schema index,
// and the schema tag; the setters behave as Event's (the last value wins,
// the first place stays), also when a value views the event itself; the
// views give zero values for another kind; and Reset keeps the storage.
// That the readers fill one as they fill an Event, and that an engine gives
// the same decisions for either, is tested in typed_event_test.cc and
// runtime_cross_check_test.cc.
#include "switchboard/compact_event.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "engine/common/event_access.h"
#include "gtest/gtest.h"
#include "switchboard/event.h"
#include "tests/io/random_event.h"

namespace switchboard {
namespace {

using ::switchboard::testing::random_event::Describe;
using ::switchboard::testing::random_event::Fill;
using ::switchboard::testing::random_event::Scalar;
using Kind = Event::Kind;

TEST(CompactEventTest, RoundTripsRandomEvents) {
  std::mt19937_64 rng(20261207);
  Event original, copy;
  CompactEvent compact;  // reused across rounds, as a reader's is
  for (int round = 0; round < 5000; ++round) {
    Fill(rng, &original);
    compact.Assign(original);
    ASSERT_EQ(compact.size(), original.size()) << round;
    compact.CopyTo(&copy);
    ASSERT_EQ(Describe(copy), Describe(original)) << round;
  }
}

// Copies (construction and assignment, into a used event too) hold the
// same event; the original is left as it was.
TEST(CompactEventTest, CopiesHoldTheSameEvent) {
  std::mt19937_64 rng(11);
  Event original, got;
  CompactEvent compact, assigned;
  for (int round = 0; round < 2000; ++round) {
    Fill(rng, &original);
    compact.Assign(original);
    assigned = compact;  // reuses `assigned`'s storage
    const CompactEvent constructed(compact);
    assigned.CopyTo(&got);
    ASSERT_EQ(Describe(got), Describe(original)) << round;
    constructed.CopyTo(&got);
    ASSERT_EQ(Describe(got), Describe(original)) << round;
    compact.CopyTo(&got);
    ASSERT_EQ(Describe(got), Describe(original)) << round;
  }
  const CompactEvent& same = assigned;
  assigned = same;  // self-assignment keeps the event
  assigned.CopyTo(&got);
  EXPECT_EQ(Describe(got), Describe(original));
}

// The same random calls of the setters (names repeat, kinds change) on an
// Event and a CompactEvent give the same event.
TEST(CompactEventTest, SettersBehaveAsEventsSetters) {
  std::mt19937_64 rng(7);
  Event want, got;
  CompactEvent compact;
  for (int round = 0; round < 2000; ++round) {
    want.Reset("cart.updated", absl::FromUnixSeconds(round));
    compact.Reset("cart.updated", absl::FromUnixSeconds(round));
    for (int i = 0, n = static_cast<int>(rng() % 12); i < n; ++i) {
      const std::string name = "a" + std::to_string(rng() % 5);
      const Event::Attribute a = Scalar(rng, 0);
      switch (a.kind) {
        case Kind::kNull:
          want.SetNull(name);
          compact.SetNull(name);
          break;
        case Kind::kBool:
          want.SetBool(name, a.bool_value);
          compact.SetBool(name, a.bool_value);
          break;
        case Kind::kInt:
          want.SetInt(name, a.int_value);
          compact.SetInt(name, a.int_value);
          break;
        case Kind::kDouble:
          want.SetDouble(name, a.double_value);
          compact.SetDouble(name, a.double_value);
          break;
        case Kind::kString:
          want.SetString(name, a.string_value);
          compact.SetString(name, a.string_value);
          break;
        case Kind::kDuration:
          want.SetDuration(name, a.duration_value);
          compact.SetDuration(name, a.duration_value);
          break;
        case Kind::kTimestamp:
          want.SetTimestamp(name, a.time_value);
          compact.SetTimestamp(name, a.time_value);
          break;
        case Kind::kStringList:
          want.SetStringList(name, a.strings);
          compact.SetStringList(name, a.strings);
          break;
        case Kind::kIntMap:
          want.SetIntMap(name, a.ints);
          compact.SetIntMap(name, a.ints);
          break;
        case Kind::kList:
          want.SetList(name, a.elements);
          compact.SetList(name, a.elements);
          break;
        case Kind::kMap:
          want.SetMap(name, a.elements);
          compact.SetMap(name, a.elements);
          break;
      }
    }
    compact.CopyTo(&got);
    ASSERT_EQ(Describe(got), Describe(want)) << round;
  }
}

TEST(CompactEventTest, ReadsBackWhatWasSet) {
  CompactEvent e("message.received", absl::FromUnixSeconds(100));
  e.SetString("visitor", "v-1");
  e.SetInt("count", -3);
  e.SetDouble("value", -0.0);
  e.SetBool("vip", true);
  e.SetDuration("waited", absl::Seconds(90));
  e.SetTimestamp("at", absl::FromUnixSeconds(7));
  e.SetStringList("labels", {"x", "y"});
  e.SetNull("none");
  EXPECT_EQ(e.type(), "message.received");
  EXPECT_EQ(e.time(), absl::FromUnixSeconds(100));
  ASSERT_EQ(e.size(), 8u);
  EXPECT_EQ(e.attribute(0).name(), "visitor");
  EXPECT_EQ(e.attribute(0).kind(), Kind::kString);
  EXPECT_EQ(e.attribute(0).string_value(), "v-1");
  EXPECT_EQ(e.attribute(0).schema_index(), -1);
  EXPECT_EQ(e.attribute(1).int_value(), -3);
  EXPECT_TRUE(std::signbit(e.attribute(2).double_value()));
  EXPECT_TRUE(e.attribute(3).bool_value());
  EXPECT_EQ(e.attribute(4).duration_value(), absl::Seconds(90));
  EXPECT_EQ(e.attribute(5).time_value(), absl::FromUnixSeconds(7));
  EXPECT_EQ(e.attribute(6).composite().strings,
            (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(e.attribute(7).kind(), Kind::kNull);
  EXPECT_EQ(e.Find("vip"), 3);
  EXPECT_EQ(e.Find("vi"), -1);
  EXPECT_EQ(e.Find("visitors"), -1);
  // Another kind's member reads as zero, empty or false.
  EXPECT_EQ(e.attribute(0).int_value(), 0);
  EXPECT_EQ(e.attribute(1).string_value(), "");
  EXPECT_EQ(e.attribute(1).double_value(), 0);
  EXPECT_FALSE(e.attribute(1).bool_value());
  EXPECT_EQ(e.attribute(0).duration_value(), absl::ZeroDuration());
  EXPECT_EQ(e.attribute(0).time_value(), absl::Time());
  EXPECT_TRUE(e.attribute(0).composite().strings.empty());
}

TEST(CompactEventTest, SettingAgainKeepsThePlaceAndTakesTheValue) {
  CompactEvent e("t", absl::UnixEpoch());
  e.SetString("a", "first");
  e.SetInt("b", 1);
  e.SetInt("a", 5);
  e.SetString("b", "second");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e.attribute(0).name(), "a");
  EXPECT_EQ(e.attribute(0).kind(), Kind::kInt);
  EXPECT_EQ(e.attribute(0).int_value(), 5);
  EXPECT_EQ(e.attribute(1).name(), "b");
  EXPECT_EQ(e.attribute(1).string_value(), "second");
}

// A value that views the event itself (its own attribute's string, or its
// name) stays right though the arena grows under it.
TEST(CompactEventTest, ValuesThatViewTheEventItself) {
  CompactEvent e("t", absl::UnixEpoch());
  const std::string long_text(300, 'q');
  e.SetString("source", long_text);
  for (int i = 0; i < 20; ++i) {
    e.SetString("copy" + std::to_string(i), e.attribute(0).string_value());
  }
  e.SetString("source", e.attribute(0).string_value());  // set again
  e.SetString("name", e.attribute(1).name());
  e.SetString(e.attribute(2).name(), "renamed?");  // set again by its name
  ASSERT_EQ(e.size(), 22u);
  for (size_t i = 0; i < 21; ++i) {
    if (i == 2) continue;
    EXPECT_EQ(e.attribute(i).string_value(), long_text) << i;
  }
  EXPECT_EQ(e.attribute(2).name(), "copy1");
  EXPECT_EQ(e.attribute(2).string_value(), "renamed?");
  EXPECT_EQ(e.attribute(21).string_value(), "copy0");
}

TEST(CompactEventTest, ResetEmptiesAndKeepsTheStorage) {
  CompactEvent e("t", absl::UnixEpoch());
  e.SetString("visitor", std::string(100, 'v'));
  e.SetIntMap("skills", {{"de", 1}});
  const size_t used = e.ByteSize();
  e.Reset("u", absl::FromUnixSeconds(1));
  EXPECT_EQ(e.size(), 0u);
  EXPECT_EQ(e.type(), "u");
  EXPECT_EQ(e.Find("visitor"), -1);
  EXPECT_LT(e.ByteSize(), used);
  e.SetIntMap("skills", {{"en", 2}});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e.attribute(0).composite().ints,
            (std::vector<std::pair<std::string, int64_t>>{{"en", 2}}));
}

// A moved-from event is empty and can be filled again (Event's too).
TEST(CompactEventTest, MovedFromEventsAreEmptyAndReusable) {
  CompactEvent a("t", absl::UnixEpoch());
  a.SetInt("x", 1);
  a.SetString("s", "hello");
  a.SetStringList("l", {"p"});
  CompactEvent b(std::move(a));
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): the contract
  EXPECT_EQ(a.ByteSize(), 0u);
  a.SetInt("y", 2);
  a.SetStringList("m", {"q"});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a.attribute(0).int_value(), 2);
  EXPECT_EQ(a.attribute(1).composite().strings, std::vector<std::string>{"q"});
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b.attribute(1).string_value(), "hello");
  CompactEvent c;
  c = std::move(b);
  EXPECT_EQ(b.size(), 0u);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.attribute(2).composite().strings, std::vector<std::string>{"p"});
  b.SetNull("z");
  EXPECT_EQ(b.Find("z"), 0);

  Event e("t", absl::UnixEpoch());
  e.SetInt("x", 1);
  Event f(std::move(e));
  EXPECT_EQ(e.size(), 0u);  // NOLINT(bugprone-use-after-move)
  e.SetInt("y", 2);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e.begin()->int_value, 2);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f.begin()->name, "x");
}

// Empty names and empty values, first in a new event (nothing in the
// arena yet): no memcpy from or to a null pointer (UBSan in CI).
TEST(CompactEventTest, EmptyNamesAndValues) {
  CompactEvent e;
  e.SetNull("");
  e.SetString(std::string_view(), std::string_view());
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e.attribute(0).kind(), Kind::kString);
  EXPECT_EQ(e.attribute(0).string_value(), "");
  CompactEvent copy(e);
  EXPECT_EQ(copy.size(), 1u);
}

// Setting one attribute again and again does not grow the event when the
// new value fits where the old one was; lists and maps set again reuse
// their slot.
TEST(CompactEventTest, SettingAgainDoesNotGrowTheEvent) {
  CompactEvent e("t", absl::UnixEpoch());
  e.SetString("label", "a-long-value");
  e.SetInt("counter", 0);
  const size_t size = e.ByteSize();
  for (int i = 0; i < 10000; ++i) {
    e.SetInt("counter", i);
    e.SetString("label", i % 2 == 0 ? "short" : "a-long-value");
  }
  EXPECT_LT(e.ByteSize(), size + 2048);  // collected as it goes
  EXPECT_EQ(e.attribute(1).int_value(), 9999);
  EXPECT_EQ(e.attribute(0).string_value(), "a-long-value");
  e.SetStringList("tags", {"a"});
  e.SetInt("tags", 1);
  e.SetIntMap("tags", {{"k", 2}});
  e.SetStringList("tags", {"b", "c"});
  EXPECT_EQ(e.attribute(2).kind(), Kind::kStringList);
  EXPECT_EQ(e.attribute(2).composite().strings,
            (std::vector<std::string>{"b", "c"}));
  Event copy;
  e.CopyTo(&copy);
  EXPECT_EQ(copy.Find("tags")->strings, (std::vector<std::string>{"b", "c"}));
}

// Thousands of random setter calls on one event, over a few names (kinds,
// sizes, lists and maps change), so that the event collects what it no
// longer uses several times: always the same event as an Event given the
// same calls, and its size stays bounded.
TEST(CompactEventTest, ManyResetsOfFewNamesStayCorrectAndBounded) {
  std::mt19937_64 rng(99);
  Event want, got;
  CompactEvent compact("t", absl::UnixEpoch());
  want.Reset("t", absl::UnixEpoch());
  size_t largest = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string name = "n" + std::to_string(rng() % 4);
    const Event::Attribute a = Scalar(rng, 0);
    switch (a.kind) {
      case Kind::kString:
        want.SetString(name, a.string_value);
        compact.SetString(name, a.string_value);
        break;
      case Kind::kStringList:
        want.SetStringList(name, a.strings);
        compact.SetStringList(name, a.strings);
        break;
      case Kind::kMap:
        want.SetMap(name, a.elements);
        compact.SetMap(name, a.elements);
        break;
      case Kind::kDuration:
        want.SetDuration(name, a.duration_value);
        compact.SetDuration(name, a.duration_value);
        break;
      default:
        want.SetInt(name, a.int_value);
        compact.SetInt(name, a.int_value);
        break;
    }
    compact.CopyTo(&got);
    ASSERT_EQ(Describe(got), Describe(want)) << i;
    if (i % 97 == 0) {
      const CompactEvent copy(compact);
      copy.CopyTo(&got);
      ASSERT_EQ(Describe(got), Describe(want)) << i;
    }
    largest = std::max(largest, compact.ByteSize());
  }
  compact.CopyTo(&got);
  EXPECT_EQ(Describe(got), Describe(want));
  EXPECT_LT(largest, 4096u);
}

// A reader's schema index stays when the attribute is set again, as in
// Event.
TEST(CompactEventTest, SettingAgainKeepsTheSchemaIndex) {
  CompactEvent e("t", absl::UnixEpoch());
  internal::CompactEventAccess::Append(e, "n", Kind::kInt, 3, nullptr, 0);
  e.SetString("n", "now a string");
  EXPECT_EQ(e.attribute(0).schema_index(), 3);
  Event plain("t", absl::UnixEpoch());
  internal::EventAccess::AppendAttribute(plain, "n", Kind::kInt, 3);
  plain.SetString("n", "now a string");
  EXPECT_EQ(plain.begin()->schema_index, 3);
}

// The compact form is what it says: far fewer bytes than Event's slots.
TEST(CompactEventTest, IsSmallerThanAnEvent) {
  EXPECT_EQ(sizeof(CompactEvent::Header), 40u);
  CompactEvent e("cart.updated", absl::UnixEpoch());
  e.SetString("visitor", "v-123456");
  e.SetString("channel", "web");
  e.SetDouble("cart_value", 120.5);
  e.SetInt("items", 3);
  EXPECT_EQ(e.ByteSize(), 4 * 40 + std::string("visitorv-123456").size() +
                              std::string("channelweb").size() +
                              std::string("cart_value").size() +
                              std::string("items").size() +
                              std::string("cart.updated").size());
}

}  // namespace
}  // namespace switchboard
