// The CEL compiler and evaluator: a (checked) Expr -> a Program, a flat
// sequence of instructions over a value stack with names resolved to
// variable indexes, object fields to field indexes, calls to built-ins or
// host extensions, constants folded and constant `matches` patterns compiled
// once with RE2. Evaluate() runs it without touching the parse tree.
//
// Where each part lives: Compile() in compiler.cc, which resolves names
// (resolve.h), folds constants (fold.h) and lowers to the instructions of
// instructions.h; Evaluate() in evaluator.cc; Dump() in instructions.cc.
#ifndef SWITCHBOARD_ENGINE_CEL_PROGRAM_H_
#define SWITCHBOARD_ENGINE_CEL_PROGRAM_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/cel/ast.h"
#include "engine/cel/checker.h"
#include "engine/cel/env.h"
#include "engine/cel/value.h"

namespace switchboard::cel {

struct CompileOptions {
  // Fold calls whose arguments are all constants. Default: true.
  bool fold_constants = true;
  // Work budget of one evaluation, so a hostile expression cannot hang the
  // engine or exhaust memory: each comprehension step costs one unit, and
  // inside a loop body so does each list or map element (and each 64 bytes
  // of a string) that a built-in builds. Past it the whole evaluation is a
  // kLimit error, which && and || do not absorb. Default: 1,000,000.
  int64_t max_iterations = 1000000;
};

class Program {
 public:
  Program();
  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;
  ~Program();

  // Evaluates the program. Thread-safe: many threads may evaluate one
  // Program at once, each with its own Activation. Does not allocate for
  // programs that do not build strings, lists or maps, and whose stack fits
  // the inline buffer. Never throws; failures are error Values.
  Value Evaluate(const Activation& activation) const;

  // A readable listing of the instructions, for golden tests.
  std::string Dump() const;

  // Opaque compiled form (instructions, constants, regexes), defined in
  // instructions.h.
  struct Impl;

 private:
  friend absl::StatusOr<Program> Compile(const Expr&, const Env&,
                                         const CheckResult*,
                                         const CompileOptions&);
  std::unique_ptr<Impl> impl_;
};

// Compiles `expr`. With `checked` (the result of Check on the same expr and
// env, without issues), names are resolved as the checker did; with null, the
// expression is compiled unchecked and names are resolved here (CEL's
// disable_check mode). A constant pattern that RE2 rejects is an
// InvalidArgument status naming the pattern. In unchecked mode an undeclared
// name compiles to code that yields a kUnknownVariable error value.
absl::StatusOr<Program> Compile(const Expr& expr, const Env& env,
                                const CheckResult* checked,
                                const CompileOptions& options = {});

}  // namespace switchboard::cel

#endif  // SWITCHBOARD_ENGINE_CEL_PROGRAM_H_
