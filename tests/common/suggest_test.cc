// Tests of the "did you mean" hints.
#include "engine/common/suggest.h"

#include "gtest/gtest.h"

namespace switchboard {
namespace {

using ::switchboard::common::DidYouMean;

TEST(SuggestTest, FindsNearNames) {
  std::vector<std::string> names = {"intent", "language", "tier"};
  EXPECT_EQ(NearestName("intnet", names), "intent");
  EXPECT_EQ(NearestName("langauge", names), "language");
  EXPECT_EQ(NearestName("Tier", names), "tier");
  EXPECT_EQ(DidYouMean("inten", names), "; did you mean 'intent'?");
}

TEST(SuggestTest, IgnoresFarNames) {
  std::vector<std::string> names = {"intent", "language"};
  EXPECT_EQ(NearestName("xyz", names), "");
  EXPECT_EQ(DidYouMean("cart_value", names), "");
  EXPECT_EQ(NearestName("", names), "");
  EXPECT_EQ(NearestName(std::string(1000, 'a'), names), "");
}

}  // namespace
}  // namespace switchboard
