// The CEL type checker: an Expr and an Env -> the type of every node, the
// variable or extension each name resolves to, and every type error with the
// operand types (cel-go's wording: "found no matching overload for '_+_'
// applied to '(int, string)'"), plus "did you mean" hints for near names.
// This file's external interface is just Check().
#ifndef SWITCHBOARD_ENGINE_CEL_CHECKER_H_
#define SWITCHBOARD_ENGINE_CEL_CHECKER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/cel/ast.h"
#include "engine/cel/env.h"
#include "engine/cel/types.h"

namespace switchboard::cel {

// The type of every node of a checked expression, by Expr::id. The parser
// numbers nodes 1, 2, ..., so this is an array indexed by id rather than a
// hash map: no hashing, and one small heap block per expression. (Ids out of
// that range, from hand-built trees, go to a hash map.)
class NodeTypes {
 public:
  // The type of node `id`, or null when the node has none.
  const Type* Find(int64_t id) const {
    if (id > 0 && id < static_cast<int64_t>(dense_.size())) {
      return dense_[id].present ? &dense_[id].type : nullptr;
    }
    if (id > 0 && id < kMaxDense) return nullptr;
    auto it = sparse_.find(id);
    return it == sparse_.end() ? nullptr : &it->second;
  }
  // The type of node `id`; Type::Error() when the node has none.
  const Type& at(int64_t id) const {
    static const Type* const kError = new Type(Type::Error());
    const Type* t = Find(id);
    return t != nullptr ? *t : *kError;
  }
  // The number of nodes with a type.
  size_t size() const { return count_; }

  // Sets the type of node `id`.
  void Set(int64_t id, Type type) {
    if (id > 0 && id < kMaxDense) {
      if (id >= static_cast<int64_t>(dense_.size())) dense_.resize(id + 1);
      Slot& slot = dense_[id];
      if (!slot.present) ++count_;
      slot.present = true;
      slot.type = std::move(type);
      return;
    }
    auto [it, inserted] = sparse_.insert_or_assign(id, std::move(type));
    if (inserted) ++count_;
  }
  // Room for nodes with ids up to `max_id`.
  void reserve(int64_t max_id) {
    if (max_id > 0 && max_id < kMaxDense) dense_.reserve(max_id + 1);
  }
  // Calls f(Type&) on the type of every node.
  template <typename F>
  void ForEachType(F f) {
    for (Slot& slot : dense_) {
      if (slot.present) f(slot.type);
    }
    for (auto& [id, type] : sparse_) f(type);
  }

 private:
  static constexpr int64_t kMaxDense = int64_t{1} << 22;
  struct Slot {
    Type type;
    bool present = false;
  };
  std::vector<Slot> dense_;                    // by id
  absl::flat_hash_map<int64_t, Type> sparse_;  // ids <= 0 or >= kMaxDense
  size_t count_ = 0;
};

struct CheckResult {
  // Every type error, in source order; empty when the expression checks.
  std::vector<Issue> issues;
  // The type of the whole expression (Type::Error() when there are issues).
  Type type;
  // The type of each node, by Expr::id.
  NodeTypes types;
  // Nodes that name an Env variable: a kIdent, or the outermost kSelect of a
  // qualified name such as `a.b.c` declared as one variable. Value: the
  // variable's index. Comprehension variables are not in this map.
  absl::flat_hash_map<int64_t, int> variables;
  // kCall nodes that call a host extension. Value: ExtensionDecl::id.
  absl::flat_hash_map<int64_t, int> extensions;

  bool ok() const { return issues.empty(); }
};

// Type-checks `expr` against `env`. Never fails as a system: mistakes are
// issues. Thread-safe.
CheckResult Check(const Expr& expr, const Env& env);

}  // namespace switchboard::cel

#endif  // SWITCHBOARD_ENGINE_CEL_CHECKER_H_
