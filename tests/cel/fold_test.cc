// Unit tests of constant folding (engine/cel/fold.h), the compiler's pass
// before lowering: which nodes of an expression are known before evaluation
// and their values. What the folded program looks like is program_test's.
#include "engine/cel/fold.h"

#include <optional>
#include <string>
#include <string_view>

#include "engine/cel/ast.h"
#include "engine/cel/checker.h"
#include "engine/cel/env.h"
#include "engine/cel/parser.h"
#include "engine/cel/types.h"
#include "engine/cel/value.h"
#include "gtest/gtest.h"

namespace switchboard::cel::program_internal {
namespace {

class FoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.AddVariable("x", Type::Int());
    env_.AddVariable("s", Type::String());
  }

  // Parses and checks `text`, then folds it, checked or not.
  void Fold(std::string_view text, bool checked = true) {
    parsed_ = Parse(text);
    ASSERT_NE(parsed_.expr, nullptr) << text;
    checked_ = Check(*parsed_.expr, env_);
    if (checked) {
      ASSERT_TRUE(checked_.ok()) << text;
    }
    folded_ = FoldConstants(*parsed_.expr, env_, checked ? &checked_ : nullptr);
  }

  // The folded value of `e` as DebugString, or "unknown".
  std::string ValueOf(const Expr& e) const {
    std::optional<Value> v = folded_.Find(e);
    return v.has_value() ? v->DebugString() : "unknown";
  }
  std::string Root() const { return ValueOf(*parsed_.expr); }

  Env env_;
  ParseResult parsed_;
  CheckResult checked_;
  FoldedConstants folded_;
};

TEST_F(FoldTest, FoldsCallsOfKnownArguments) {
  Fold("1 + 2 * 3");
  EXPECT_EQ(Root(), "7");
  Fold("[1, 2 + 3]");
  EXPECT_EQ(Root(), "[1, 5]");
  Fold("size('abc') == 3");
  EXPECT_EQ(Root(), "true");
}

TEST_F(FoldTest, VariablesAreNotKnownButTheirConstantOperandsAre) {
  Fold("x + (1 + 1)");
  EXPECT_EQ(Root(), "unknown");
  EXPECT_EQ(ValueOf(*parsed_.expr->args[0]), "unknown");
  EXPECT_EQ(ValueOf(*parsed_.expr->args[1]), "2");
}

TEST_F(FoldTest, ShortCircuitsWhateverTheOtherOperand) {
  Fold("false && x > 0");
  EXPECT_EQ(Root(), "false");
  Fold("true || x > 0");
  EXPECT_EQ(Root(), "true");
  Fold("true && x > 0");
  EXPECT_EQ(Root(), "unknown");
}

TEST_F(FoldTest, KnownConditionPicksTheBranch) {
  Fold("true ? x : 1 / 0");
  EXPECT_EQ(Root(), "unknown");  // the branch taken is a variable
  // The branch not taken is folded all the same.
  EXPECT_EQ(ValueOf(*parsed_.expr->args[2]).rfind("error", 0), 0u)
      << ValueOf(*parsed_.expr->args[2]);
  Fold("false ? s : 'a' + 'b'");
  EXPECT_EQ(Root(), "\"ab\"");
}

TEST_F(FoldTest, MatchesWithAKnownSubjectAndPattern) {
  Fold("'abc'.matches('^a')");
  EXPECT_EQ(Root(), "true");
  Fold("s.matches('^a')");
  EXPECT_EQ(Root(), "unknown");
  // A pattern RE2 rejects is left for lowering to report.
  Fold("'abc'.matches('(')");
  EXPECT_EQ(Root(), "unknown");
}

TEST_F(FoldTest, UndeclaredNamesAreKnownErrorsUnchecked) {
  Fold("nope + 1", /*checked=*/false);
  EXPECT_EQ(Root().rfind("error", 0), 0u) << Root();
  Fold("[1, 2].exists(v, v == x)", /*checked=*/false);
  EXPECT_EQ(Root(), "unknown");  // comprehensions are never known
}

}  // namespace
}  // namespace switchboard::cel::program_internal
