// The declarations an expression is checked and compiled against: variables
// by index, host extension functions, and CEL's container-based resolution
// of qualified names.
#include "engine/cel/env.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace switchboard::cel {

int Env::AddVariable(std::string name, Type type) {
  auto it = variable_index_.find(name);
  if (it != variable_index_.end()) {
    variables_[it->second].type = std::move(type);
    return it->second;
  }
  const int index = static_cast<int>(variables_.size());
  variable_index_.emplace(name, index);
  variables_.push_back({std::move(name), std::move(type)});
  return index;
}

void Env::AddExtension(ExtensionDecl decl) {
  extensions_.push_back(std::move(decl));
}

int Env::FindVariable(std::string_view name) const {
  // absl::string_view is not std::string_view in this Abseil build.
  auto it = variable_index_.find(absl::string_view(name.data(), name.size()));
  return it == variable_index_.end() ? -1 : it->second;
}

int Env::ResolveVariable(std::string_view name) const {
  if (!name.empty() && name.front() == '.') {
    return FindVariable(name.substr(1));
  }
  // Try the container and each of its parents as a prefix, innermost first:
  // "a.b" + "x" -> "a.b.x", "a.x", then "x" itself.
  std::string_view container = container_;
  std::string candidate;
  while (!container.empty()) {
    candidate.assign(container);
    candidate.push_back('.');
    candidate.append(name);
    const int index = FindVariable(candidate);
    if (index >= 0) return index;
    const size_t dot = container.rfind('.');
    container = dot == std::string_view::npos ? std::string_view()
                                              : container.substr(0, dot);
  }
  return FindVariable(name);
}

std::vector<std::string> Env::Names() const {
  std::vector<std::string> names;
  absl::flat_hash_set<std::string_view> seen;
  names.reserve(variables_.size() + extensions_.size());
  for (const VariableDecl& v : variables_) {
    if (seen.insert(v.name).second) names.push_back(v.name);
  }
  for (const ExtensionDecl& e : extensions_) {
    if (seen.insert(e.name).second) names.push_back(e.name);
  }
  return names;
}

}  // namespace switchboard::cel
