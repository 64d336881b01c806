// Tests of Event::AppendPacked and Event::Unpack (switchboard/event.h): the
// packed form that `run --threads` hands to its engines. A round trip keeps
// the type, the time, every attribute's kind, name, meaningful member and
// schema index, and the schema tag; bytes that are not exactly one packed
// event are refused.
#include <cmath>
#include <limits>
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

using Attribute = Event::Attribute;
using ::switchboard::testing::random_event::Describe;
using ::switchboard::testing::random_event::Fill;

TEST(EventPackTest, RoundTripsRandomEvents) {
  std::mt19937_64 rng(20261207);
  Event original, copy;
  std::string packed;
  for (int round = 0; round < 5000; ++round) {
    Fill(rng, &original);
    packed.clear();
    original.AppendPacked(&packed);
    ASSERT_TRUE(copy.Unpack(packed)) << round;
    ASSERT_EQ(Describe(copy), Describe(original)) << round;
  }
}

TEST(EventPackTest, PackedEventsFollowEachOther) {
  Event a("a.b", absl::FromUnixSeconds(10)),
      b("c.d", absl::FromUnixSeconds(20));
  a.SetString("visitor", "v-1");
  b.SetInt("n", 7);
  std::string packed;
  a.AppendPacked(&packed);
  const size_t middle = packed.size();
  b.AppendPacked(&packed);
  Event out;
  ASSERT_TRUE(out.Unpack(std::string_view(packed).substr(0, middle)));
  EXPECT_EQ(Describe(out), Describe(a));
  ASSERT_TRUE(out.Unpack(std::string_view(packed).substr(middle)));
  EXPECT_EQ(Describe(out), Describe(b));
}

TEST(EventPackTest, RefusesBytesThatAreNotOnePackedEvent) {
  Event e("a.b", absl::FromUnixSeconds(10));
  e.SetStringList("labels", {"x", "y"});
  e.SetList("items", {Attribute{}, Attribute{}});
  std::string packed;
  e.AppendPacked(&packed);
  Event out;
  for (size_t n = 0; n < packed.size(); ++n) {
    EXPECT_FALSE(out.Unpack(std::string_view(packed).substr(0, n))) << n;
    EXPECT_EQ(out.size(), 0u);
    EXPECT_EQ(out.type(), "");
  }
  EXPECT_FALSE(out.Unpack(packed + "x"));
  EXPECT_TRUE(out.Unpack(packed));  // and the whole is one
}

}  // namespace
}  // namespace switchboard
