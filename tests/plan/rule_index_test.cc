// Unit tests of RuleIndex (engine/plan/rule_index.h): which rules are
// candidates for given events: string equality and `in` lists, numeric
// ranges at their boundaries, int / double mixes, absent attributes and
// values of an unexpected kind (never pruned), conjuncts the index must not
// read, `if` lists, comprehensions, order across bitset words.
#include "engine/plan/rule_index.h"

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "engine/plan/ruleset_access.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchboard/diagnostic.h"
#include "switchboard/ruleset.h"

namespace switchboard::plan {
namespace {

using ::switchboard::check::EventAttribute;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A ruleset of `rules` (YAML list items) on event type e.x with attributes
// s (string), n (int), x (double), d (dyn).
std::shared_ptr<const Ruleset> Load(const std::string& rules) {
  const std::string yaml =
      "ruleset: t\n"
      "session:\n"
      "  fields:\n"
      "    k: int = 0\n"
      "event:\n"
      "  s: string\n"
      "  n: int\n"
      "  x: double\n"
      "  d: dyn\n"
      "rules:\n" +
      rules;
  LoadResult result = LoadRulesetFromString(yaml, "t.yaml");
  EXPECT_TRUE(result.ok()) << yaml << FormatDiagnostics(result.diagnostics());
  return result.ok() ? result.ruleset() : nullptr;
}

// A rule named `name` on e.x with condition `cond` ("" for none).
std::string R(const std::string& name, const std::string& cond) {
  std::string r = "  - name: " + name + "\n    on: e.x\n";
  if (!cond.empty()) r += "    if: \"" + cond + "\"\n";
  return r + "    then: [{tag: [t]}]\n";
}

class Fixture {
 public:
  explicit Fixture(const std::string& rules) : rs_(Load(rules)) {
    if (rs_ == nullptr) return;
    std::vector<int> all;
    for (size_t i = 0; i < RulesetAccess::Checked(*rs_).rules.size(); ++i) {
      all.push_back(static_cast<int>(i));
    }
    index_ = std::make_unique<RuleIndex>(RulesetAccess::Checked(*rs_), all);
    scratch_.Reserve(index_->words());
  }
  bool ok() const { return index_ != nullptr; }
  const RuleIndex& index() const { return *index_; }

  // A fresh event record (every attribute absent but the type).
  EventRecord Event() const {
    EventRecord rec;
    rec.Reset(RulesetAccess::Checked(*rs_).event_attributes.size());
    rec.slots[0].SetText("e.x");
    return rec;
  }
  Slot& At(EventRecord& rec, const std::string& attribute) const {
    for (const EventAttribute& a :
         RulesetAccess::Checked(*rs_).event_attributes) {
      if (a.name == attribute) return rec.slots[a.index];
    }
    ADD_FAILURE() << "no attribute " << attribute;
    return rec.slots[0];
  }
  // The names of the candidate rules for `rec`, in order; with `proven`,
  // only those the index proved true (written ~r).
  std::vector<std::string> Candidates(const EventRecord& rec,
                                      bool proven = false) const {
    std::vector<int> out;
    index_->Candidates(rec, &scratch_, &out);
    std::vector<std::string> names;
    for (int r : out) {
      if (proven && r >= 0) continue;
      names.push_back(RulesetAccess::Checked(*rs_).rules[r < 0 ? ~r : r].name);
    }
    return names;
  }
  std::vector<std::string> WithString(const std::string& attribute,
                                      const std::string& value) const {
    EventRecord rec = Event();
    At(rec, attribute).SetText(value);
    return Candidates(rec);
  }
  std::vector<std::string> WithInt(const std::string& attribute,
                                   int64_t value) const {
    EventRecord rec = Event();
    At(rec, attribute).SetValue(cel::Value::Int(value));
    return Candidates(rec);
  }
  std::vector<std::string> WithDouble(const std::string& attribute,
                                      double value) const {
    EventRecord rec = Event();
    At(rec, attribute).SetValue(cel::Value::Double(value));
    return Candidates(rec);
  }

 private:
  std::shared_ptr<const Ruleset> rs_;
  std::unique_ptr<RuleIndex> index_;
  mutable RuleIndex::Scratch scratch_;
};

TEST(RuleIndexTest, StringEqualityAndInLists) {
  Fixture f(R("eq", "event.s == 'gold'") +
            R("in", "event.s in ['gold', 'silver']") + R("always", "") +
            R("left", "'bronze' == event.s") +
            R("never", "event.s == 'gold' && event.s == 'silver'") +
            R("empty", "event.s in []"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.index().attribute_count(), 1u);
  EXPECT_EQ(f.index().indexed_rules(), 5);
  EXPECT_THAT(f.WithString("s", "gold"), ElementsAre("eq", "in", "always"));
  EXPECT_THAT(f.WithString("s", "silver"), ElementsAre("in", "always"));
  EXPECT_THAT(f.WithString("s", "bronze"), ElementsAre("always", "left"));
  EXPECT_THAT(f.WithString("s", "Gold"), ElementsAre("always"));
  EXPECT_THAT(f.WithString("s", ""), ElementsAre("always"));
  // Absent: the conditions fail with an error, which must be counted: no
  // pruning.
  EXPECT_THAT(f.Candidates(f.Event()),
              ElementsAre("eq", "in", "always", "left", "never", "empty"));
}

TEST(RuleIndexTest, IntRangesAtTheirBoundaries) {
  Fixture f(R("lt3", "event.n < 3") + R("le3", "event.n <= 3") +
            R("gt3", "event.n > 3") + R("ge3", "event.n >= 3") +
            R("range", "event.n >= 3 && event.n < 7") +
            R("eq5", "event.n == 5") + R("in19", "event.n in [1, 9]") +
            R("flip", "3 < event.n") + R("neg", "event.n > -2"));
  ASSERT_TRUE(f.ok());
  EXPECT_THAT(f.WithInt("n", 2), ElementsAre("lt3", "le3", "neg"));
  EXPECT_THAT(f.WithInt("n", 3), ElementsAre("le3", "ge3", "range", "neg"));
  EXPECT_THAT(f.WithInt("n", 4),
              ElementsAre("gt3", "ge3", "range", "flip", "neg"));
  EXPECT_THAT(f.WithInt("n", 5),
              ElementsAre("gt3", "ge3", "range", "eq5", "flip", "neg"));
  EXPECT_THAT(f.WithInt("n", 7), ElementsAre("gt3", "ge3", "flip", "neg"));
  EXPECT_THAT(f.WithInt("n", 9),
              ElementsAre("gt3", "ge3", "in19", "flip", "neg"));
  EXPECT_THAT(f.WithInt("n", 1), ElementsAre("lt3", "le3", "in19", "neg"));
  EXPECT_THAT(f.WithInt("n", -2), ElementsAre("lt3", "le3"));
  EXPECT_THAT(f.WithInt("n", std::numeric_limits<int64_t>::min()),
              ElementsAre("lt3", "le3"));
  EXPECT_THAT(f.WithInt("n", std::numeric_limits<int64_t>::max()),
              ElementsAre("gt3", "ge3", "flip", "neg"));
}

TEST(RuleIndexTest, IntAndDoubleMixes) {
  Fixture f(R("x_lt_int2", "event.x < 2") + R("x_eq_int1", "event.x == 1") +
            R("n_lt_2_5", "event.n < 2.5") + R("n_eq_2_0", "event.n == 2.0") +
            R("n_eq_2_5", "event.n == 2.5") + R("x_in", "event.x in [1, 2.5]"));
  ASSERT_TRUE(f.ok());
  // Double values against int constants.
  EXPECT_THAT(f.WithDouble("x", 1.0),
              ElementsAre("x_lt_int2", "x_eq_int1", "n_lt_2_5", "n_eq_2_0",
                          "n_eq_2_5", "x_in"));
  EXPECT_THAT(f.WithDouble("x", 1.5),
              ElementsAre("x_lt_int2", "n_lt_2_5", "n_eq_2_0", "n_eq_2_5"));
  EXPECT_THAT(f.WithDouble("x", 2.0),
              ElementsAre("n_lt_2_5", "n_eq_2_0", "n_eq_2_5"));
  EXPECT_THAT(f.WithDouble("x", 2.5),
              ElementsAre("n_lt_2_5", "n_eq_2_0", "n_eq_2_5", "x_in"));
  EXPECT_THAT(f.WithDouble("x", -0.0),
              ElementsAre("x_lt_int2", "n_lt_2_5", "n_eq_2_0", "n_eq_2_5"));
  // An int value in a double attribute's table (a derived event may hold
  // one) compares exactly too.
  EXPECT_THAT(f.WithInt("x", 1),
              ElementsAre("x_lt_int2", "x_eq_int1", "n_lt_2_5", "n_eq_2_0",
                          "n_eq_2_5", "x_in"));
  // Int values against double constants: 2 == 2.0, 2 < 2.5, 3 > 2.5, and
  // no int equals 2.5.
  EXPECT_THAT(f.WithInt("n", 2), ElementsAre("x_lt_int2", "x_eq_int1",
                                             "n_lt_2_5", "n_eq_2_0", "x_in"));
  EXPECT_THAT(f.WithInt("n", 3), ElementsAre("x_lt_int2", "x_eq_int1", "x_in"));
  // NaN: every comparison is false, but the index does not prune on it.
  EXPECT_THAT(f.WithDouble("x", std::nan("")),
              ElementsAre("x_lt_int2", "x_eq_int1", "n_lt_2_5", "n_eq_2_0",
                          "n_eq_2_5", "x_in"));
  // Beyond int64: 2^63 as a double is above every int.
  EXPECT_THAT(f.WithDouble("x", 9223372036854775808.0),
              ElementsAre("n_lt_2_5", "n_eq_2_0", "n_eq_2_5"));
}

TEST(RuleIndexTest, IntsBeyondTwoToThe53CompareExactly) {
  // 2^53 + 1 is not a double: its table takes the exact general path. The
  // other table's bounds are doubles exactly, and values beyond 2^53 must
  // not be rounded into them.
  Fixture f(R("big", "event.n > 9007199254740993") +
            R("eq_big", "event.n == 9007199254740993") +
            R("x_big", "event.x >= 9007199254740992.0"));
  ASSERT_TRUE(f.ok());
  EXPECT_THAT(f.WithInt("n", 9007199254740992), ElementsAre("x_big"));
  EXPECT_THAT(f.WithInt("n", 9007199254740993), ElementsAre("eq_big", "x_big"));
  EXPECT_THAT(f.WithInt("n", 9007199254740994), ElementsAre("big", "x_big"));
  EXPECT_THAT(f.WithDouble("x", 9007199254740990.0),
              ElementsAre("big", "eq_big"));
  EXPECT_THAT(f.WithDouble("x", 9007199254740992.0),
              ElementsAre("big", "eq_big", "x_big"));
  // An int value in the double table: 2^53 + 1 rounds to 2^53 as a double,
  // but compares exactly (above 2^53).
  EXPECT_THAT(f.WithInt("x", 9007199254740991), ElementsAre("big", "eq_big"));
  EXPECT_THAT(f.WithInt("x", 9007199254740993),
              ElementsAre("big", "eq_big", "x_big"));
  EXPECT_THAT(f.WithInt("x", std::numeric_limits<int64_t>::min()),
              ElementsAre("big", "eq_big"));
}

TEST(RuleIndexTest, ValuesOfAnotherKindAreNotPruned) {
  Fixture f(R("s", "event.s == 'a'") + R("n", "event.n > 5") +
            R("other", "event.n < 0"));
  ASSERT_TRUE(f.ok());
  EventRecord rec = f.Event();
  f.At(rec, "s").SetValue(cel::Value::Int(1));  // not a string
  f.At(rec, "n").SetText("seven");              // not a number
  EXPECT_THAT(f.Candidates(rec), ElementsAre("s", "n", "other"));
  f.At(rec, "n").SetValue(cel::Value::Bool(true));
  EXPECT_THAT(f.Candidates(rec), ElementsAre("s", "n", "other"));
  // A string held as a value (not as text) is read all the same.
  f.At(rec, "s").SetValue(cel::Value::StringView("b"));
  f.At(rec, "n").Clear();
  EXPECT_THAT(f.Candidates(rec), ElementsAre("n", "other"));
}

TEST(RuleIndexTest, SeveralAttributesAreAnded) {
  Fixture f(R("both", "event.s == 'a' && event.n > 5") +
            R("s_only", "event.s in ['a', 'b']") + R("n_only", "event.n <= 5") +
            R("builtin", "event.channel == 'chat' && event.n == 7"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.index().attribute_count(), 3u);
  EventRecord rec = f.Event();
  f.At(rec, "s").SetText("a");
  f.At(rec, "n").SetValue(cel::Value::Int(7));
  EXPECT_THAT(f.Candidates(rec), ElementsAre("both", "s_only", "builtin"));
  f.At(rec, "channel").SetText("voice");
  EXPECT_THAT(f.Candidates(rec), ElementsAre("both", "s_only"));
  f.At(rec, "s").SetText("c");
  f.At(rec, "n").SetValue(cel::Value::Int(1));
  EXPECT_THAT(f.Candidates(rec), ElementsAre("n_only"));
  // n absent: only the string tests prune.
  f.At(rec, "n").Clear();
  f.At(rec, "s").SetText("b");
  EXPECT_THAT(f.Candidates(rec), ElementsAre("s_only", "n_only"));
}

TEST(RuleIndexTest, ConjunctsTheIndexMustNotRead) {
  Fixture f(R("neq", "event.s != 'a'") +
            R("or", "event.s == 'a' || event.n > 5") +
            R("not", "!(event.s == 'a')") + R("dyn", "event.d == 'a'") +
            R("session", "session.k == 3") + R("arith", "event.n + 1 == 3") +
            R("strorder", "event.s < 'm'") +
            R("has", "has(event.s) && event.s == 'zzz'") +
            // A comprehension's work-limit error is not absorbed by &&:
            // the whole rule stays a candidate.
            R("loop", "[1, 2].exists(i, i == event.n) && event.s == 'zzz'"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.index().indexed_rules(), 1);  // only `has`
  EXPECT_THAT(f.WithString("s", "b"),
              ElementsAre("neq", "or", "not", "dyn", "session", "arith",
                          "strorder", "loop"));
  EXPECT_THAT(f.WithString("s", "zzz"),
              ElementsAre("neq", "or", "not", "dyn", "session", "arith",
                          "strorder", "has", "loop"));
}

TEST(RuleIndexTest, OnlyTheFirstConditionOfAnIfListIsIndexed) {
  // With `if: [a, b]`, an error in `a` counts even when `b` is false, so
  // only `a`'s conjuncts may prune.
  const std::string rules =
      "  - name: list\n    on: e.x\n"
      "    if: [\"event.n > 5\", \"event.s == 'a'\"]\n"
      "    then: [{tag: [t]}]\n" +
      R("plain", "event.s == 'a'");
  Fixture f(rules);
  ASSERT_TRUE(f.ok());
  EventRecord rec = f.Event();
  f.At(rec, "s").SetText("b");
  EXPECT_THAT(f.Candidates(rec), ElementsAre("list"));
  f.At(rec, "n").SetValue(cel::Value::Int(1));
  EXPECT_THAT(f.Candidates(rec), IsEmpty());
  f.At(rec, "n").SetValue(cel::Value::Int(6));
  f.At(rec, "s").SetText("a");
  EXPECT_THAT(f.Candidates(rec), ElementsAre("list", "plain"));
}

TEST(RuleIndexTest, KeepsOrderAcrossManyWords) {
  // 150 rules, rule i tests n == i % 7: bits over three 64-bit words.
  std::string rules;
  for (int i = 0; i < 150; ++i) {
    rules += R("r" + std::to_string(i), "event.n == " + std::to_string(i % 7));
  }
  Fixture f(rules);
  ASSERT_TRUE(f.ok());
  const std::vector<std::string> got = f.WithInt("n", 3);
  std::vector<std::string> want;
  for (int i = 3; i < 150; i += 7) want.push_back("r" + std::to_string(i));
  EXPECT_EQ(got, want);
  EXPECT_THAT(f.WithInt("n", 7), IsEmpty());
  EXPECT_EQ(f.Candidates(f.Event()).size(), 150u);
}

TEST(RuleIndexTest, ProvesConditionsMadeOfIndexedTestsOnly) {
  const std::string rules =
      R("all", "event.s == 'a' && event.n >= 2 && event.n < 4") +
      R("extra", "event.s == 'a' && event.n % 2 == 0") +
      "  - name: list\n    on: e.x\n"
      "    if: [\"event.s == 'a'\", \"event.n > 0\"]\n"
      "    then: [{tag: [t]}]\n" +
      R("none", "") + R("mixed", "event.x == 1");
  Fixture f(rules);
  ASSERT_TRUE(f.ok());
  EventRecord rec = f.Event();
  f.At(rec, "s").SetText("a");
  f.At(rec, "n").SetValue(cel::Value::Int(2));
  f.At(rec, "x").SetValue(cel::Value::Int(1));
  EXPECT_THAT(f.Candidates(rec),
              ElementsAre("all", "extra", "list", "none", "mixed"));
  // `extra` has a conjunct the index does not read, `list` a second
  // condition, `none` no condition (it is not evaluated either way).
  EXPECT_THAT(f.Candidates(rec, /*proven=*/true), ElementsAre("all", "mixed"));
  // n absent: `all` must be evaluated (its error counts).
  f.At(rec, "n").Clear();
  EXPECT_THAT(f.Candidates(rec, /*proven=*/true), ElementsAre("mixed"));
  // A NaN is not checked by the table: not proven (and not pruned).
  f.At(rec, "x").SetValue(cel::Value::Double(std::nan("")));
  EXPECT_THAT(f.Candidates(rec, /*proven=*/true), IsEmpty());
  EXPECT_THAT(f.Candidates(rec),
              ElementsAre("all", "extra", "list", "none", "mixed"));
}

TEST(RuleIndexTest, DebugStringShowsRows) {
  Fixture f(R("a", "event.s == 'x'") + R("b", "event.n >= 2 && event.n < 4"));
  ASSERT_TRUE(f.ok());
  // Tables are listed in the order Candidates consults them: the most
  // selective first (n keeps 7 rule bits over 5 rows, s 3 over 2).
  EXPECT_EQ(f.index().DebugString(),
            "n (number)\n"
            "  < 2: 10\n"
            "  = 2: 11\n"
            "  (2, 4): 11\n"
            "  = 4: 10\n"
            "  > 4: 10\n"
            "s (string)\n"
            "  other: 01\n"
            "  'x': 11\n");
}

}  // namespace
}  // namespace switchboard::plan
