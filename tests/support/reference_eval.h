// A deliberately simple CEL evaluator for tests: it walks the Expr tree and
// resolves every name by string lookup at each step, following CEL's rules
// (comprehension variables shadow, then the longest qualified name the Env
// knows, then field selection). It shares only value.h / functions.h with the
// compiled evaluator (engine/cel/evaluator.cc), so that comparing the two on
// random expressions (tests/cel/cross_check_test.cc) finds mistakes in the
// fast one, as re2/testing/tester.h does for RE2's engines.
#ifndef SWITCHBOARD_TESTS_SUPPORT_REFERENCE_EVAL_H_
#define SWITCHBOARD_TESTS_SUPPORT_REFERENCE_EVAL_H_

#include <cstdint>

#include "engine/cel/ast.h"
#include "engine/cel/env.h"
#include "engine/cel/value.h"

namespace switchboard::testing {

// Evaluates `expr` (unchecked: names are resolved against `env` here) with
// variables and extension calls from `activation`. Comprehension steps past
// `max_iterations` in total make the whole result a kLimit error, as
// CompileOptions::max_iterations does for a Program. Strings in the result
// may view `expr`'s constants.
cel::Value ReferenceEvaluate(const cel::Expr& expr, const cel::Env& env,
                             const cel::Activation& activation,
                             int64_t max_iterations = 1000000);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_SUPPORT_REFERENCE_EVAL_H_
