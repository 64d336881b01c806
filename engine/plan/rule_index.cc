// RuleIndex: condition analysis (which conjuncts can be indexed), table
// building (rows of bitsets per attribute value or numeric region), and the
// per-event AND of rows. See rule_index.h for the exactness argument.
#include "engine/plan/rule_index.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/cel/ast.h"
#include "engine/cel/value.h"

namespace switchboard::plan {
namespace {

using ::switchboard::check::CheckedRuleset;
using ::switchboard::check::EventAttribute;
using ::switchboard::check::Rule;

constexpr double kTwo63 = 9223372036854775808.0;  // 2^63, exact

enum class TestOp : uint8_t {
  kIn,
  kLess,
  kLessEquals,
  kGreater,
  kGreaterEquals
};

// A constant of an indexable conjunct.
struct Constant {
  bool is_string = false;
  std::string s;
  bool is_int = true;
  int64_t i = 0;
  double d = 0;
};

// What one rule requires of one attribute (all its conjuncts on it).
struct Constraint {
  int attribute = 0;
  bool numeric = false;
  // Strings: the values allowed (the intersection of the conjuncts' sets).
  std::vector<std::string> allowed;
  // Numbers: every predicate must hold.
  struct Predicate {
    TestOp op;
    std::vector<Constant> values;  // kIn: the list; else one bound
  };
  std::vector<Predicate> predicates;
};

bool HasComprehension(const cel::Expr& e) {
  if (e.kind == cel::ExprKind::kComprehension) return true;
  if (e.target != nullptr && HasComprehension(*e.target)) return true;
  for (const auto& a : e.args) {
    if (a != nullptr && HasComprehension(*a)) return true;
  }
  return false;
}

void Conjuncts(const cel::Expr& e, std::vector<const cel::Expr*>* out) {
  if (e.kind == cel::ExprKind::kCall && e.target == nullptr &&
      e.name == cel::op::kLogicalAnd && e.args.size() == 2 &&
      e.args[0] != nullptr && e.args[1] != nullptr) {
    Conjuncts(*e.args[0], out);
    Conjuncts(*e.args[1], out);
    return;
  }
  out->push_back(&e);
}

// The attribute `e` reads as `event.NAME`, or -1.
int SelectedAttribute(const cel::Expr& e,
                      const absl::flat_hash_map<std::string, int>& attributes) {
  if (e.kind != cel::ExprKind::kSelect || e.test_only || e.target == nullptr ||
      e.target->kind != cel::ExprKind::kIdent || e.target->name != "event") {
    return -1;
  }
  auto it = attributes.find(e.name);
  return it == attributes.end() ? -1 : it->second;
}

// `e` as a string, int or (non-NaN) double constant; a negated numeric
// literal counts.
bool ConstantOf(const cel::Expr& e, Constant* out) {
  if (e.kind == cel::ExprKind::kCall && e.target == nullptr &&
      e.name == cel::op::kNegate && e.args.size() == 1 &&
      e.args[0] != nullptr) {
    Constant inner;
    if (!ConstantOf(*e.args[0], &inner) || inner.is_string) return false;
    if (inner.is_int) {
      if (inner.i == std::numeric_limits<int64_t>::min()) return false;
      inner.i = -inner.i;
    } else {
      inner.d = -inner.d;
    }
    *out = std::move(inner);
    return true;
  }
  if (e.kind != cel::ExprKind::kConstant) return false;
  const cel::Constant& c = e.constant;
  switch (c.kind) {
    case cel::Constant::Kind::kString:
      out->is_string = true;
      out->s = c.string_value;
      return true;
    case cel::Constant::Kind::kInt:
      out->is_string = false;
      out->is_int = true;
      out->i = c.int_value;
      return true;
    case cel::Constant::Kind::kDouble:
      if (std::isnan(c.double_value)) return false;
      out->is_string = false;
      out->is_int = false;
      out->d = c.double_value;
      return true;
    default:
      return false;
  }
}

TestOp Flip(TestOp op) {
  switch (op) {
    case TestOp::kLess:
      return TestOp::kGreater;
    case TestOp::kLessEquals:
      return TestOp::kGreaterEquals;
    case TestOp::kGreater:
      return TestOp::kLess;
    case TestOp::kGreaterEquals:
      return TestOp::kLessEquals;
    default:
      return op;
  }
}

// Adds the conjunct `e` to the rule's constraints when it is indexable;
// returns whether it was.
bool Analyze(const cel::Expr& e, const CheckedRuleset& rs,
             const absl::flat_hash_map<std::string, int>& attributes,
             std::vector<Constraint>* constraints) {
  if (e.kind != cel::ExprKind::kCall || e.target != nullptr ||
      e.args.size() != 2 || e.args[0] == nullptr || e.args[1] == nullptr) {
    return false;
  }
  TestOp op;
  if (e.name == cel::op::kEquals || e.name == cel::op::kIn) {
    op = TestOp::kIn;
  } else if (e.name == cel::op::kLess) {
    op = TestOp::kLess;
  } else if (e.name == cel::op::kLessEquals) {
    op = TestOp::kLessEquals;
  } else if (e.name == cel::op::kGreater) {
    op = TestOp::kGreater;
  } else if (e.name == cel::op::kGreaterEquals) {
    op = TestOp::kGreaterEquals;
  } else {
    return false;
  }
  int attribute = SelectedAttribute(*e.args[0], attributes);
  const cel::Expr* other = e.args[1].get();
  if (attribute < 0) {
    if (e.name == cel::op::kIn) return false;  // `c in event.list`
    attribute = SelectedAttribute(*e.args[1], attributes);
    if (attribute < 0) return false;
    other = e.args[0].get();
    op = Flip(op);
  }
  const cel::TypeKind kind = rs.event_attributes[attribute].type.kind();
  bool numeric;
  if (rs.event_attributes[attribute].type.is_dyn()) {
    return false;
  } else if (kind == cel::TypeKind::kString) {
    numeric = false;
  } else if (kind == cel::TypeKind::kInt || kind == cel::TypeKind::kDouble) {
    numeric = true;
  } else {
    return false;
  }
  if (!numeric && op != TestOp::kIn) return false;  // string order

  std::vector<Constant> values;
  if (e.name == cel::op::kIn) {
    if (other->kind != cel::ExprKind::kList) return false;
    for (const auto& element : other->args) {
      Constant c;
      if (element == nullptr || !ConstantOf(*element, &c) ||
          c.is_string == numeric) {
        return false;
      }
      values.push_back(std::move(c));
    }
  } else {
    Constant c;
    if (!ConstantOf(*other, &c) || c.is_string == numeric) return false;
    values.push_back(std::move(c));
  }

  Constraint* constraint = nullptr;
  for (Constraint& existing : *constraints) {
    if (existing.attribute == attribute) constraint = &existing;
  }
  if (constraint == nullptr) {
    constraint = &constraints->emplace_back();
    constraint->attribute = attribute;
    constraint->numeric = numeric;
    if (!numeric) {
      for (Constant& c : values) constraint->allowed.push_back(std::move(c.s));
      std::sort(constraint->allowed.begin(), constraint->allowed.end());
      constraint->allowed.erase(
          std::unique(constraint->allowed.begin(), constraint->allowed.end()),
          constraint->allowed.end());
      return true;
    }
  } else if (!numeric) {
    // Intersect with the values allowed so far.
    std::vector<std::string> kept;
    for (const std::string& s : constraint->allowed) {
      for (const Constant& c : values) {
        if (c.s == s) {
          kept.push_back(s);
          break;
        }
      }
    }
    constraint->allowed = std::move(kept);
    return true;
  }
  constraint->predicates.push_back({op, std::move(values)});
  return true;
}

}  // namespace

int RuleIndex::CompareNumbers(const Number& a, const Number& b) {
  if (a.is_int && b.is_int) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  if (!a.is_int && !b.is_int) return a.d < b.d ? -1 : (a.d > b.d ? 1 : 0);
  // int against double, exactly (as cel's CompareIntDouble).
  const bool flip = !a.is_int;
  const int64_t i = flip ? b.i : a.i;
  const double d = flip ? a.d : b.d;
  int order;
  if (d >= kTwo63) {
    order = -1;
  } else if (d < -kTwo63) {
    order = 1;
  } else {
    const double t = std::trunc(d);
    const int64_t ti = static_cast<int64_t>(t);
    if (i < ti) {
      order = -1;
    } else if (i > ti) {
      order = 1;
    } else if (d > t) {
      order = -1;
    } else if (d < t) {
      order = 1;
    } else {
      order = 0;
    }
  }
  return flip ? -order : order;
}

RuleIndex::RuleIndex(const CheckedRuleset& rs, std::vector<int> rules)
    : rules_(std::move(rules)) {
  const size_t n = rules_.size();
  words_ = (n + 63) / 64;
  all_.assign(words_, 0);
  for (size_t i = 0; i < n; ++i) all_[i / 64] |= uint64_t{1} << (i % 64);
  proven_.assign(words_, 0);

  absl::flat_hash_map<std::string, int> attributes;
  for (const EventAttribute& a : rs.event_attributes) {
    attributes.emplace(a.name, a.index);
  }
  // Constraints per rule position.
  std::vector<std::vector<Constraint>> constraints(n);
  for (size_t i = 0; i < n; ++i) {
    const Rule& rule = rs.rules[rules_[i]];
    if (rule.conditions.empty() || rule.conditions[0].expr == nullptr) {
      continue;
    }
    const cel::Expr& condition = *rule.conditions[0].expr;
    if (HasComprehension(condition)) continue;
    std::vector<const cel::Expr*> conjuncts;
    Conjuncts(condition, &conjuncts);
    bool all = true;
    for (const cel::Expr* c : conjuncts) {
      if (!Analyze(*c, rs, attributes, &constraints[i])) all = false;
    }
    if (!constraints[i].empty()) ++indexed_rules_;
    // Every conjunct indexed and no later condition: when every table the
    // rule is in was consulted, its bit is the condition's value.
    if (all && rule.conditions.size() == 1) {
      proven_[i / 64] |= uint64_t{1} << (i % 64);
    }
  }

  // One table per attribute some rule constrains, in attribute order.
  std::vector<int> attrs;
  for (const auto& list : constraints) {
    for (const Constraint& c : list) attrs.push_back(c.attribute);
  }
  std::sort(attrs.begin(), attrs.end());
  attrs.erase(std::unique(attrs.begin(), attrs.end()), attrs.end());
  std::vector<int> constrained_count;
  for (int attribute : attrs) {
    Table t;
    t.attribute = attribute;
    t.name = rs.event_attributes[attribute].name;
    // The constraint of each rule position on this attribute, or null.
    std::vector<const Constraint*> of(n, nullptr);
    int count = 0;
    t.tested.assign(words_, 0);
    for (size_t i = 0; i < n; ++i) {
      for (const Constraint& c : constraints[i]) {
        if (c.attribute == attribute) {
          of[i] = &c;
          t.numeric = c.numeric;
          t.tested[i / 64] |= uint64_t{1} << (i % 64);
          ++count;
        }
      }
    }
    if (!t.numeric) {
      std::vector<std::string> values;
      for (const Constraint* c : of) {
        if (c == nullptr) continue;
        values.insert(values.end(), c->allowed.begin(), c->allowed.end());
      }
      std::sort(values.begin(), values.end());
      values.erase(std::unique(values.begin(), values.end()), values.end());
      const size_t rows = values.size() + 1;
      t.bits.assign(rows * words_, 0);
      for (size_t i = 0; i < n; ++i) {
        const uint64_t bit = uint64_t{1} << (i % 64);
        if (of[i] == nullptr) {
          for (size_t row = 0; row < rows; ++row) {
            t.bits[row * words_ + i / 64] |= bit;
          }
          continue;
        }
        for (const std::string& s : of[i]->allowed) {
          const size_t row =
              1 + (std::lower_bound(values.begin(), values.end(), s) -
                   values.begin());
          t.bits[row * words_ + i / 64] |= bit;
        }
      }
      for (size_t v = 0; v < values.size(); ++v) {
        t.rows.Insert(values[v], static_cast<int32_t>(v + 1));
        t.rows_by_string.emplace(std::move(values[v]),
                                 static_cast<uint32_t>(v + 1));
      }
    } else {
      const auto to_number = [](const Constant& c) {
        Number num;
        num.is_int = c.is_int;
        num.i = c.i;
        num.d = c.d;
        return num;
      };
      for (const Constraint* c : of) {
        if (c == nullptr) continue;
        for (const Constraint::Predicate& p : c->predicates) {
          for (const Constant& v : p.values) t.bounds.push_back(to_number(v));
        }
      }
      std::sort(t.bounds.begin(), t.bounds.end(),
                [](const Number& a, const Number& b) {
                  return CompareNumbers(a, b) < 0;
                });
      t.bounds.erase(std::unique(t.bounds.begin(), t.bounds.end(),
                                 [](const Number& a, const Number& b) {
                                   return CompareNumbers(a, b) == 0;
                                 }),
                     t.bounds.end());
      // The point region of a constant: 2p+1 for bounds[p].
      const auto point = [&t, &to_number](const Constant& c) -> size_t {
        const Number num = to_number(c);
        const size_t p = std::lower_bound(t.bounds.begin(), t.bounds.end(), num,
                                          [](const Number& a, const Number& b) {
                                            return CompareNumbers(a, b) < 0;
                                          }) -
                         t.bounds.begin();
        return 2 * p + 1;
      };
      const size_t rows = 2 * t.bounds.size() + 1;
      t.bits.assign(rows * words_, 0);
      for (size_t i = 0; i < n; ++i) {
        const uint64_t bit = uint64_t{1} << (i % 64);
        for (size_t r = 0; r < rows; ++r) {
          bool holds = true;
          if (of[i] != nullptr) {
            for (const Constraint::Predicate& p : of[i]->predicates) {
              bool ok = false;
              if (p.op == TestOp::kIn) {
                for (const Constant& v : p.values) ok = ok || point(v) == r;
              } else {
                const size_t q = point(p.values[0]);
                switch (p.op) {
                  case TestOp::kLess:
                    ok = r < q;
                    break;
                  case TestOp::kLessEquals:
                    ok = r <= q;
                    break;
                  case TestOp::kGreater:
                    ok = r > q;
                    break;
                  default:
                    ok = r >= q;
                    break;
                }
              }
              if (!ok) {
                holds = false;
                break;
              }
            }
          }
          if (holds) t.bits[r * words_ + i / 64] |= bit;
        }
      }
    }
    tables_.push_back(std::move(t));
    constrained_count.push_back(count);
  }
  // The most selective tables first, so that an empty AND stops early:
  // a table's score is the mean number of rules its rows keep (each row
  // weighted alike), ties broken by how many rules test the attribute.
  std::vector<double> kept(tables_.size(), 0);
  for (size_t i = 0; i < tables_.size(); ++i) {
    Table& t = tables_[i];
    const size_t rows = t.bits.size() / (words_ == 0 ? 1 : words_);
    uint64_t bits = 0;
    for (uint64_t w : t.bits)
      bits += static_cast<uint64_t>(__builtin_popcountll(w));
    kept[i] =
        rows == 0 ? 0 : static_cast<double>(bits) / static_cast<double>(rows);
    // Numeric tables compare as doubles when every bound is exactly one.
    t.exact_doubles = true;
    for (const Number& b : t.bounds) {
      if (b.is_int && (b.i > kExactIntLimit || b.i < -kExactIntLimit)) {
        t.exact_doubles = false;
      }
      t.double_bounds.push_back(b.is_int ? static_cast<double>(b.i) : b.d);
    }
  }
  std::vector<size_t> order(tables_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (kept[a] != kept[b]) return kept[a] < kept[b];
    return constrained_count[a] > constrained_count[b];
  });
  std::vector<Table> sorted;
  sorted.reserve(tables_.size());
  for (size_t i : order) sorted.push_back(std::move(tables_[i]));
  tables_ = std::move(sorted);
}

inline __attribute__((always_inline)) int64_t RuleIndex::RowFor(
    const Table& t, const EventRecord& event) const {
  if (static_cast<size_t>(t.attribute) >= event.slots.size()) return -1;
  const Slot& slot = event.slots[t.attribute];
  if (!slot.present) return -1;
  if (!t.numeric) {
    std::string_view s;
    if (slot.is_text) {
      s = slot.text;
    } else if (slot.value.kind() == cel::ValueKind::kString) {
      s = slot.value.string_value();
    } else {
      return -1;
    }
    const int32_t row = t.rows.Find(s);
    return row < 0 ? 0 : row;  // 0: "any other string"
  }
  if (slot.is_text) return -1;
  if (t.exact_doubles) {
    // Every bound is a double exactly, and so is the value when it is a
    // double or an int within 2^53: double comparison is then exact.
    double d;
    if (slot.value.kind() == cel::ValueKind::kDouble) {
      d = slot.value.double_value();
      if (std::isnan(d)) return -1;
    } else if (slot.value.kind() == cel::ValueKind::kInt &&
               slot.value.int_value() <= kExactIntLimit &&
               slot.value.int_value() >= -kExactIntLimit) {
      d = static_cast<double>(slot.value.int_value());
    } else {
      d = std::numeric_limits<double>::quiet_NaN();  // general path below
    }
    if (!std::isnan(d)) {
      const double* b = t.double_bounds.data();
      size_t lo = 0, hi = t.double_bounds.size();
      while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (b[mid] < d) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      const bool equal = lo < t.double_bounds.size() && b[lo] == d;
      return static_cast<int64_t>(2 * lo + (equal ? 1 : 0));
    }
  }
  Number v;
  if (slot.value.kind() == cel::ValueKind::kInt) {
    v.is_int = true;
    v.i = slot.value.int_value();
  } else if (slot.value.kind() == cel::ValueKind::kDouble) {
    v.is_int = false;
    v.d = slot.value.double_value();
    if (std::isnan(v.d)) return -1;
  } else {
    return -1;
  }
  // p: the first bound not below v.
  size_t lo = 0, hi = t.bounds.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (CompareNumbers(t.bounds[mid], v) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < t.bounds.size() && CompareNumbers(t.bounds[lo], v) == 0) {
    return static_cast<int64_t>(2 * lo + 1);
  }
  return static_cast<int64_t>(2 * lo);
}

void RuleIndex::Candidates(const EventRecord& event, Scratch* scratch,
                           std::vector<int>* out) const {
  out->clear();
  if (tables_.empty()) {
    out->insert(out->end(), rules_.begin(), rules_.end());
    return;
  }
  assert(scratch->acc_.size() >= words_);
  // `acc` is all_ until the first consulted row (no copy), then the AND of
  // the rows so far; `unchecked` (the rules of skipped tables) is only
  // filled when a table is skipped.
  uint64_t* acc = scratch->acc_.data();
  const uint64_t* src = all_.data();
  uint64_t* unchecked = nullptr;
  for (const Table& t : tables_) {
    const int64_t row = RowFor(t, event);
    if (row < 0) {
      if (unchecked == nullptr) {
        unchecked = scratch->unchecked_.data();
        for (size_t w = 0; w < words_; ++w) unchecked[w] = t.tested[w];
      } else {
        for (size_t w = 0; w < words_; ++w) unchecked[w] |= t.tested[w];
      }
      continue;
    }
    const uint64_t* bits = t.Row(static_cast<uint32_t>(row), words_);
    uint64_t any = 0;
    for (size_t w = 0; w < words_; ++w) {
      acc[w] = src[w] & bits[w];
      any |= acc[w];
    }
    src = acc;
    if (any == 0) return;
  }
  for (size_t w = 0; w < words_; ++w) {
    uint64_t word = src[w];
    const uint64_t proven =
        proven_[w] & (unchecked == nullptr ? ~uint64_t{0} : ~unchecked[w]);
    while (word != 0) {
      const int b = __builtin_ctzll(word);
      const int rule = rules_[w * 64 + b];
      out->push_back((proven >> b) & 1 ? ~rule : rule);
      word &= word - 1;
    }
  }
}

std::string RuleIndex::DebugString() const {
  std::string s;
  const auto row_text = [this](const Table& t, uint32_t row) {
    std::string bits;
    for (size_t i = 0; i < rules_.size(); ++i) {
      bits += (t.Row(row, words_)[i / 64] >> (i % 64)) & 1 ? '1' : '0';
    }
    return bits;
  };
  const auto number_text = [](const Number& n) {
    return n.is_int ? absl::StrCat(n.i) : absl::StrCat(n.d, "d");
  };
  for (const Table& t : tables_) {
    absl::StrAppend(&s, t.name, t.numeric ? " (number)" : " (string)", "\n");
    if (!t.numeric) {
      std::vector<std::pair<std::string, uint32_t>> rows(
          t.rows_by_string.begin(), t.rows_by_string.end());
      std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.second < b.second;
      });
      absl::StrAppend(&s, "  other: ", row_text(t, 0), "\n");
      for (const auto& [value, row] : rows) {
        absl::StrAppend(&s, "  '", value, "': ", row_text(t, row), "\n");
      }
      continue;
    }
    for (size_t r = 0; r < 2 * t.bounds.size() + 1; ++r) {
      std::string region;
      if (r % 2 == 1) {
        region = absl::StrCat("= ", number_text(t.bounds[r / 2]));
      } else if (r == 0) {
        region = t.bounds.empty()
                     ? std::string("any")
                     : absl::StrCat("< ", number_text(t.bounds[0]));
      } else if (r / 2 == t.bounds.size()) {
        region = absl::StrCat("> ", number_text(t.bounds[r / 2 - 1]));
      } else {
        region = absl::StrCat("(", number_text(t.bounds[r / 2 - 1]), ", ",
                              number_text(t.bounds[r / 2]), ")");
      }
      absl::StrAppend(&s, "  ", region, ": ",
                      row_text(t, static_cast<uint32_t>(r)), "\n");
    }
  }
  return s;
}

}  // namespace switchboard::plan
