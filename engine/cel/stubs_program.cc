// STUB (to be replaced by program.cc).
#include "engine/cel/program.h"
namespace switchboard::cel {
struct Program::Impl {};
Program::Program() = default;
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;
Program::~Program() = default;
Value Program::Evaluate(const Activation&) const { return Value::Error(ErrorCode::kNoSuchOverload); }
std::string Program::Dump() const { return ""; }
absl::StatusOr<Program> Compile(const Expr&, const Env&, const CheckResult*, const CompileOptions&) { return absl::UnimplementedError("compiler not implemented"); }
}  // namespace switchboard::cel
