// The declarations an expression is checked and compiled against: the
// variables in scope (by index), host extension functions, and the container
// for CEL's qualified name resolution. Shared, immutable once built; the
// checker and the compiler both resolve names through it.
#ifndef SWITCHBOARD_ENGINE_CEL_ENV_H_
#define SWITCHBOARD_ENGINE_CEL_ENV_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/cel/types.h"

namespace switchboard::cel {

struct VariableDecl {
  std::string name;  // may be qualified: "a.b.c"
  Type type;
};

// One overload of a host function, e.g. open(string) -> bool,
// open(string, timestamp) -> bool, queue(string) -> queue_stats.
// At run time the program calls Activation::CallExtension(id, args).
struct ExtensionDecl {
  std::string name;
  bool receiver_style = false;  // x.f(y) rather than f(x, y)
  std::vector<Type> params;     // receiver first when receiver_style
  Type result;
  int id = 0;  // the host's number for this overload
};

class Env {
 public:
  // CEL container (namespace) for name resolution, e.g. "com.example".
  void set_container(std::string container) {
    container_ = std::move(container);
  }
  const std::string& container() const { return container_; }

  // Declares a variable; returns its index (0, 1, ...), which is what
  // Activation::GetVariable receives. Redeclaring a name replaces its type.
  int AddVariable(std::string name, Type type);
  void AddExtension(ExtensionDecl decl);

  const std::vector<VariableDecl>& variables() const { return variables_; }
  const std::vector<ExtensionDecl>& extensions() const { return extensions_; }

  // Index of the variable with exactly this (qualified) name, or -1.
  int FindVariable(std::string_view name) const;

  // CEL name resolution of a (possibly qualified, possibly dot-prefixed)
  // name against the container: for container "a.b" and name "x.y", tries
  // "a.b.x.y", "a.x.y", "x.y"; a leading "." means the name is absolute.
  // Returns the variable's index or -1.
  int ResolveVariable(std::string_view name) const;

  // Names of variables and extension functions, for "did you mean" hints.
  std::vector<std::string> Names() const;

 private:
  std::string container_;
  std::vector<VariableDecl> variables_;
  absl::flat_hash_map<std::string, int> variable_index_;
  std::vector<ExtensionDecl> extensions_;
};

}  // namespace switchboard::cel

#endif  // SWITCHBOARD_ENGINE_CEL_ENV_H_
