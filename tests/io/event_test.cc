// Tests of switchboard::Event (engine/io/event.cc): setters, Find, the order
// of attributes, and reuse of storage across Reset().
#include "switchboard/event.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace switchboard {
namespace {

const absl::Time kT = absl::FromUnixSeconds(1795456920);

TEST(EventTest, ConstructorSetsTypeAndTime) {
  Event e("cart.updated", kT);
  EXPECT_EQ(e.type(), "cart.updated");
  EXPECT_EQ(e.time(), kT);
  EXPECT_EQ(e.size(), 0u);
  EXPECT_EQ(e.Find("visitor"), nullptr);
}

TEST(EventTest, SettersStoreEachKind) {
  Event e("t", kT);
  e.SetNull("n");
  e.SetBool("b", true);
  e.SetInt("i", -7);
  e.SetDouble("d", 2.5);
  e.SetString("s", "hello");
  e.SetDuration("du", absl::Seconds(90));
  e.SetTimestamp("ts", kT + absl::Minutes(1));
  e.SetStringList("l", {"a", "b"});
  e.SetIntMap("m", {{"billing", 2}, {"german", 1}});
  ASSERT_EQ(e.size(), 9u);
  EXPECT_EQ(e.Find("n")->kind, Event::Kind::kNull);
  EXPECT_TRUE(e.Find("b")->bool_value);
  EXPECT_EQ(e.Find("i")->int_value, -7);
  EXPECT_EQ(e.Find("d")->double_value, 2.5);
  EXPECT_EQ(e.Find("s")->string_value, "hello");
  EXPECT_EQ(e.Find("du")->duration_value, absl::Seconds(90));
  EXPECT_EQ(e.Find("ts")->time_value, kT + absl::Minutes(1));
  EXPECT_EQ(e.Find("l")->strings, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(e.Find("m")->ints, (std::vector<std::pair<std::string, int64_t>>{
                                   {"billing", 2}, {"german", 1}}));
  EXPECT_EQ(e.Find("m")->kind, Event::Kind::kIntMap);
  EXPECT_EQ(e.Find("missing"), nullptr);
}

TEST(EventTest, AttributesKeepTheOrderFirstSet) {
  Event e("t", kT);
  e.SetInt("b", 1);
  e.SetInt("a", 2);
  e.SetInt("b", 3);
  std::vector<std::string> names;
  for (const Event::Attribute& a : e) names.push_back(a.name);
  EXPECT_EQ(names, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(e.Find("b")->int_value, 3);
}

TEST(EventTest, SettingAgainReplacesTheValueAndKind) {
  Event e("t", kT);
  e.SetString("x", "text");
  e.SetInt("x", 5);
  ASSERT_EQ(e.size(), 1u);
  const Event::Attribute* a = e.Find("x");
  EXPECT_EQ(a->kind, Event::Kind::kInt);
  EXPECT_EQ(a->int_value, 5);
  EXPECT_EQ(a->string_value, "");  // the old value is gone
  e.SetStringList("x", {"q"});
  e.SetBool("x", false);
  EXPECT_TRUE(e.Find("x")->strings.empty());
}

TEST(EventTest, ResetEmptiesTheEvent) {
  Event e("a", kT);
  e.SetInt("x", 1);
  e.Reset("b", kT + absl::Seconds(1));
  EXPECT_EQ(e.type(), "b");
  EXPECT_EQ(e.time(), kT + absl::Seconds(1));
  EXPECT_EQ(e.size(), 0u);
  EXPECT_EQ(e.begin(), e.end());
  EXPECT_EQ(e.Find("x"), nullptr);
}

TEST(EventTest, ResetKeepsStorageForReuse) {
  Event e("a", kT);
  e.SetString("visitor", std::string(100, 'v'));
  e.SetInt("n", 1);
  const Event::Attribute* first = e.begin();
  const char* string_storage = first->string_value.data();
  e.Reset("b", kT);
  e.SetString("other", "short");  // reuses slot 0 and its string buffer
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e.begin(), first);
  EXPECT_EQ(e.begin()->name, "other");
  EXPECT_EQ(e.begin()->string_value, "short");
  EXPECT_EQ(e.begin()->string_value.data(), string_storage);
  // Slot 1 is reused too, emptied of its old value.
  e.SetString("n", "s");
  EXPECT_EQ(e.Find("n")->kind, Event::Kind::kString);
  EXPECT_EQ(e.Find("n")->int_value, 0);
}

}  // namespace
}  // namespace switchboard
