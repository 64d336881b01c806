// Tests of run::ChunkedSlab (engine/run/session_slab.h), the engine's
// session storage: slots never move as it grows, each is constructed once
// when added and destroyed with the slab, and iteration visits them in
// index order.
#include "engine/run/session_slab.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace switchboard::run {
namespace {

struct Counted {
  static int alive;
  Counted() { ++alive; }
  ~Counted() { --alive; }
  std::string text;
  int value = 7;  // value-initialized on emplace_back
};
int Counted::alive = 0;

TEST(ChunkedSlabTest, SlotsNeverMoveAsItGrows) {
  ChunkedSlab<Counted> slab;
  const size_t n = 3 * ChunkedSlab<Counted>::kChunk + 5;
  std::vector<const Counted*> where;
  for (size_t i = 0; i < n; ++i) {
    Counted& c = slab.emplace_back();
    EXPECT_EQ(c.value, 7);
    c.value = static_cast<int>(i);
    c.text = "session-" + std::to_string(i);
    where.push_back(&c);
  }
  ASSERT_EQ(slab.size(), n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(&slab[i], where[i]) << i;
    EXPECT_EQ(slab[i].value, static_cast<int>(i));
    EXPECT_EQ(slab[i].text, "session-" + std::to_string(i));
  }
}

TEST(ChunkedSlabTest, ConstructsOnAddAndDestroysWithTheSlab) {
  Counted::alive = 0;
  {
    ChunkedSlab<Counted> slab;
    slab.reserve(5000);
    EXPECT_EQ(Counted::alive, 0);  // reserve constructs nothing
    EXPECT_TRUE(slab.empty());
    EXPECT_GE(slab.capacity_bytes(), 5000 * sizeof(Counted));
    for (int i = 0; i < 2000; ++i) slab.emplace_back();
    EXPECT_EQ(Counted::alive, 2000);
  }
  EXPECT_EQ(Counted::alive, 0);
}

TEST(ChunkedSlabTest, IteratesInIndexOrder) {
  ChunkedSlab<Counted> slab;
  for (int i = 0; i < 2500; ++i) slab.emplace_back().value = i;
  int expected = 0;
  for (const Counted& c : slab) EXPECT_EQ(c.value, expected++);
  EXPECT_EQ(expected, 2500);
  const ChunkedSlab<Counted>& view = slab;
  int sum = 0;
  for (auto it = view.begin(); it != view.end(); ++it) sum += it->value;
  EXPECT_EQ(sum, 2499 * 2500 / 2);
}

}  // namespace
}  // namespace switchboard::run
