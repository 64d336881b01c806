// Tests of StringTable (engine/plan/string_table.h): every key found with its
// value, every near miss (same length, same first word, one byte off)
// absent, growth past many rehashes, and KeyWord's promise that the word and
// the length determine a key of up to 8 bytes.
#include "engine/plan/string_table.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace switchboard::plan {
namespace {

// Every string of length 0..3 over a 3-letter alphabet, plus some longer.
std::vector<std::string> SmallStrings() {
  std::vector<std::string> out = {""};
  std::vector<std::string> last = {""};
  for (int len = 1; len <= 3; ++len) {
    std::vector<std::string> next;
    for (const std::string& s : last) {
      for (char c : {'a', 'b', '\0'}) next.push_back(s + c);
    }
    out.insert(out.end(), next.begin(), next.end());
    last = std::move(next);
  }
  return out;
}

TEST(StringTableTest, KeyWordAndLengthDetermineShortKeys) {
  // Lengths 0..8: distinct strings of one length never share a word.
  std::vector<std::string> keys = SmallStrings();
  for (const char* s :
       {"abcd", "abce", "bbcd", "abcde", "abxde", "abcdf", "abcdef", "abcdeg",
        "abcdefg", "abcdefh", "abcdxfg", "abcdefgh", "abcdefgi", "abcdefgx"}) {
    keys.emplace_back(s);
  }
  std::set<std::pair<size_t, uint64_t>> seen;
  for (const std::string& k : keys) {
    EXPECT_TRUE(seen.insert({k.size(), KeyWord(k)}).second)
        << "'" << k << "' shares its word";
  }
}

TEST(StringTableTest, FindsEveryKeyAndNothingElse) {
  StringTable table;
  std::vector<std::string> keys = SmallStrings();
  for (const char* s :
       {"whatsapp", "whatsapq", "conversation.started", "conversation.ended",
        "conversation.startee", "message.received", "x", "sms", "voice", "chat",
        "email", "abcdefgh"}) {
    keys.emplace_back(s);
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    table.Insert(keys[i], static_cast<int32_t>(i));
  }
  EXPECT_EQ(table.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(table.Find(keys[i]), static_cast<int32_t>(i)) << keys[i];
  }
  // Same first 8 bytes, same length, other tail; other lengths; prefixes.
  for (const char* miss :
       {"conversation.startex", "conversation.starte", "message.receive",
        "message.receivee", "whatsap", "whatsappp", "abcdefgi", "voicf", "aaaa",
        "b\1", "chat "}) {
    EXPECT_EQ(table.Find(miss), -1) << miss;
  }
  // A key inserted again takes the new value.
  table.Insert("sms", 1000);
  EXPECT_EQ(table.Find("sms"), 1000);
  EXPECT_EQ(table.size(), keys.size());
}

TEST(StringTableTest, GrowsPastManyRehashes) {
  StringTable table;
  for (int i = 0; i < 5000; ++i) {
    table.Insert("key-" + std::to_string(i), i);
  }
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(table.Find("key-" + std::to_string(i)), i);
  }
  EXPECT_EQ(table.Find("key-5000"), -1);
  EXPECT_EQ(table.Find(""), -1);
  EXPECT_EQ(StringTable().Find("anything"), -1);
}

}  // namespace
}  // namespace switchboard::plan
