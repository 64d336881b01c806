// RuleIndex: an alpha index over the conditions of the rules of one trigger
// (one exact event type), so that an event's candidate rules are found
// without evaluating every rule's condition.
//
// At build time each rule's condition is analyzed for top-level conjuncts
// (an `&&` chain of its FIRST `if` condition) of the forms
//     event.A == c      c == event.A      event.A != ... (not indexed)
//     event.A in [c1, c2, ...]            (a list literal of constants)
//     event.A < n   <= n   > n   >= n      and the same with n on the left
// where A is a string attribute (c string constants) or an int / double
// attribute (numeric constants, int and double mixed), built-ins such as
// event.channel included. Per indexed attribute there is a table of rows,
// each a bitset over the trigger's rules (bit i: the i-th rule in rule
// order may still hold):
//   - string attributes: one row per constant any rule tests, plus one row
//     for "any other string" (only rules that do not test the attribute);
//   - numeric attributes: the k distinct constants, sorted, cut the number
//     line into 2k+1 regions (below c0, exactly c0, between c0 and c1, ...);
//     one row per region, found by binary search.
// A rule without a test on an attribute has its bit set in every row of it.
//
// At dispatch (Candidates) the rows of the event's attribute values are
// ANDed, and the surviving bits, in order, are the candidates, whose whole
// condition the engine then evaluates as before, except for rules whose
// only condition is made of indexed tests alone, all of them checked
// against present values: a row bit is exactly the value of the rule's
// tests on that attribute (every test is constant on a region), so such a
// rule is proven true and not evaluated (written ~rule).
//
// Exactness (why pruning changes no decision, stat or error count): a rule
// is pruned only when one of its indexed conjuncts is definitely false for
// the event (the comparison is computed as cel's ==, `in` and < <= > >= do:
// exact int/double comparison, NaN unordered). In CEL `false && x` is false
// whatever x is, even an error, so the first condition is false and the rule
// does not hold, without an error; the later `if` conditions would not be
// evaluated. Not pruned (every bit kept): an absent attribute (its
// evaluation is an error that must be counted), a value of a kind the table
// does not index (e.g. a string in a numeric table), a NaN. Not analyzed
// (the rule is kept for every event): conditions containing a comprehension
// (their work-limit error is not absorbed by &&).
//
// --explain lists the conditions of the rules that did not hold, so the
// engine does not prune when explanations are on.
//
// Built once per ruleset (RulesetPlan) and shared by every engine of it:
// immutable after construction, so Candidates may run on many threads at
// once, each with its own Scratch.
#ifndef SWITCHBOARD_ENGINE_PLAN_RULE_INDEX_H_
#define SWITCHBOARD_ENGINE_PLAN_RULE_INDEX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "engine/check/checked_ruleset.h"
#include "engine/plan/records.h"
#include "engine/plan/string_table.h"

namespace switchboard::plan {

class RuleIndex {
 public:
  // The words Candidates ANDs rows into. They belong to the caller (one
  // per engine), not to the shared index; one Scratch serves every index
  // of a ruleset once Reserve'd for the largest (RulesetPlan::
  // rule_index_words).
  class Scratch {
   public:
    // Makes room for indexes of up to `words` bitset words.
    void Reserve(size_t words) {
      if (acc_.size() < words) {
        acc_.resize(words);
        unchecked_.resize(words);
      }
    }

   private:
    friend class RuleIndex;
    std::vector<uint64_t> acc_;
    std::vector<uint64_t> unchecked_;  // rules in a skipped table
  };

  RuleIndex() = default;

  // Builds the index of `rules` (indexes into ruleset.rules, in the order
  // the trigger runs them). `ruleset` must outlive nothing: the index copies
  // what it needs.
  RuleIndex(const check::CheckedRuleset& ruleset, std::vector<int> rules);

  // Writes the candidate rules for `event` into `out` (cleared first): the
  // rules of the index that may hold, in the order given at build. A rule
  // whose condition the index proved true is written as ~rule (negative):
  // its only `if` condition is all indexed conjuncts and each was checked
  // against a present value of the right kind, so its condition is true
  // without evaluating it. `scratch` is the caller's working memory and
  // must have been Reserve'd for words() words (checked in debug builds
  // only: this is the hot path). Does not allocate once `out` has capacity
  // for all the rules.
  void Candidates(const EventRecord& event, Scratch* scratch,
                  std::vector<int>* out) const;

  // The rules, in order.
  const std::vector<int>& rules() const { return rules_; }
  // Bitset words per row: (rules().size() + 63) / 64.
  size_t words() const { return words_; }
  // Number of indexed attributes (0: Candidates returns every rule).
  size_t attribute_count() const { return tables_.size(); }
  // Number of rules with at least one indexed conjunct.
  int indexed_rules() const { return indexed_rules_; }

  // A readable description for tests and debugging: per attribute, its
  // rows and their bits.
  std::string DebugString() const;

 private:
  // A number as CEL compares it: an int or a double (never NaN).
  struct Number {
    bool is_int = true;
    int64_t i = 0;
    double d = 0;
  };
  // -1, 0, 1 as a < b, ==, >, exactly (no rounding of ints to double).
  static int CompareNumbers(const Number& a, const Number& b);

  struct Table {
    int attribute = 0;  // index in the event object type
    bool numeric = false;
    std::string name;  // for DebugString
    // String tables: constant -> row (row 0 is "any other string").
    absl::flat_hash_map<std::string, uint32_t> rows_by_string;
    // The same for lookups (string_table.h).
    StringTable rows;
    // Numeric tables: sorted distinct constants (row r: region r of 2k+1).
    std::vector<Number> bounds;
    // The same as doubles, and whether each is exactly its Number (ints
    // within 2^53): then an int or double value within 2^53 is compared
    // as a double (exact), without CompareNumbers.
    std::vector<double> double_bounds;
    bool exact_doubles = false;
    // rows * words_ bits.
    std::vector<uint64_t> bits;
    // The rules that test this attribute.
    std::vector<uint64_t> tested;
    const uint64_t* Row(uint32_t row, size_t words) const {
      return bits.data() + static_cast<size_t>(row) * words;
    }
  };

  // Ints of at most this magnitude are exactly doubles.
  static constexpr int64_t kExactIntLimit = int64_t{1} << 53;

  // The row of `table` for the event's value, or -1 when the value must not
  // prune (absent, another kind, NaN).
  int64_t RowFor(const Table& table, const EventRecord& event) const;

  std::vector<int> rules_;
  size_t words_ = 0;
  std::vector<uint64_t> all_;  // bits of every rule
  // Rules whose condition is exactly their indexed tests (see Candidates).
  std::vector<uint64_t> proven_;
  std::vector<Table> tables_;
  int indexed_rules_ = 0;
};

}  // namespace switchboard::plan

#endif  // SWITCHBOARD_ENGINE_PLAN_RULE_INDEX_H_
