// STUB (to be replaced by checker.cc, types.cc, env.cc).
#include "engine/cel/checker.h"
namespace switchboard::cel {
CheckResult Check(const Expr&, const Env&) { CheckResult r; r.issues.push_back({0, "checker not implemented"}); return r; }
int Env::AddVariable(std::string name, Type type) { variables_.push_back({std::move(name), std::move(type)}); return static_cast<int>(variables_.size()) - 1; }
}  // namespace switchboard::cel
