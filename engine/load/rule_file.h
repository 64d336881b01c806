// The first stage of loading: YAML text -> RuleFile, a tree of YAML nodes in
// which every node keeps its line, column and scalar style, so that the
// checker can report any mistake at its exact place. No rule semantics here:
// a RuleFile is what the file says, not what it means.
//
// The stage is built for hostile input. Before yaml-cpp sees the text it is
// scanned for NUL bytes, invalid UTF-8 and excessive nesting (text_scan.h);
// the tree is built from yaml-cpp's parser events (not yaml-cpp's Node, whose
// shared alias nodes make a recursive walk exponential), and every node,
// counting each alias as the size of what it expands to, is counted against
// YamlLimits::max_nodes, so a consumer walking the tree does bounded work.
// yaml-cpp's exceptions stop here and become diagnostics.
//
// This file's external interface is ParseRuleFile().
#ifndef SWITCHBOARD_ENGINE_LOAD_RULE_FILE_H_
#define SWITCHBOARD_ENGINE_LOAD_RULE_FILE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "switchboard/diagnostic.h"

namespace switchboard::load {

// Bounds on what one YAML file may cost.
struct YamlLimits {
  // Largest accepted text, in bytes. Default: 64 MiB.
  int64_t max_file_size = int64_t{64} << 20;
  // Deepest nesting of collections (block indentation levels plus flow
  // brackets), checked on the text before parsing. Default: 64.
  int max_depth = 64;
  // Most nodes in the tree, each alias counted as the number of nodes it
  // expands to (so "billion laughs" alias bombs are refused). Default:
  // 4,000,000 (a 20,000-rule file has about 500,000).
  int64_t max_nodes = 4'000'000;
};

// One YAML node with its position. Nodes are owned by their RuleFile and
// never change after parsing. An alias is a copy of its anchor's node (same
// children, shared) placed at the alias's position.
struct YamlNode {
  enum class Kind : uint8_t { kNull, kScalar, kSequence, kMap };
  enum class Style : uint8_t {
    kPlain,         // scalars: plain; collections: block style
    kSingleQuoted,  // 'text'
    kDoubleQuoted,  // "text"
    kLiteral,       // |
    kFolded,        // >
    kFlow,          // collections: [a, b] or {a: b}
  };
  struct Entry {
    const YamlNode* key;    // always a kScalar
    const YamlNode* value;  // never null
  };

  Kind kind = Kind::kNull;
  Style style = Style::kPlain;
  // A scalar with an explicit tag ("!!str x", or "!x" which YAML reads as a
  // tag: a CEL "!cond" left unquoted).
  bool tagged = false;
  int line = 0;    // 1-based line of the node's first character
  int column = 0;  // 1-based byte column of the node's first character
  // Byte offset in the file's text where a scalar's text starts (at its
  // opening quote or block indicator, after any anchor or tag).
  int32_t start = 0;
  std::string value;                   // kScalar: the text, unescaped
  std::vector<const YamlNode*> items;  // kSequence
  std::vector<Entry> entries;          // kMap, in written order

  bool is_null() const { return kind == Kind::kNull; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_map() const { return kind == Kind::kMap; }
  // A scalar written plain (not quoted, not a block scalar): only plain
  // scalars are YAML numbers, booleans or names.
  bool is_plain_scalar() const {
    return kind == Kind::kScalar && style == Style::kPlain;
  }
  // The value of key `key` in a map, or null (linear: for small maps).
  const YamlNode* Find(std::string_view key) const;
};

// One parsed YAML file: its name, its text and its tree.
class RuleFile {
 public:
  RuleFile(std::string name, std::string text);
  RuleFile(const RuleFile&) = delete;
  RuleFile& operator=(const RuleFile&) = delete;

  // The file name as given to the loader (used in diagnostics).
  const std::string& name() const { return name_; }
  // The text (without a UTF-8 byte order mark).
  const std::string& text() const { return text_; }
  // The document's root: a kNull node for an empty file. Never null.
  const YamlNode& root() const { return *root_; }

  // The text of 1-based line `line` without its line break ("" when out of
  // range).
  std::string_view Line(int line) const;
  // The 1-based line and column of byte `offset` of the file's text.
  std::pair<int, int> Position(int64_t offset) const;
  // The 1-based line and column in the file of byte `offset` of a scalar's
  // (unescaped) value: follows quotes, escapes, folded lines and block
  // scalars' indentation, so that an error inside a CEL expression points at
  // the right character even in a multi-line scalar.
  std::pair<int, int> Locate(const YamlNode& scalar, int64_t offset) const;

  // A diagnostic at `node`, or at byte `offset` of scalar `node`'s value.
  Diagnostic At(const YamlNode& node, Severity severity,
                std::string message) const;
  Diagnostic AtOffset(const YamlNode& scalar, int64_t offset, Severity severity,
                      std::string message) const;
  // A diagnostic at a 1-based line and column.
  Diagnostic AtPosition(int line, int column, Severity severity,
                        std::string message) const;

 private:
  friend class RuleFileBuilder;
  friend std::unique_ptr<RuleFile> ParseRuleFile(
      std::string name, std::string text, const struct YamlLimits& limits,
      std::vector<Diagnostic>* diagnostics);

  std::string name_;
  std::string text_;
  std::vector<int64_t> line_starts_;  // byte offset of each line's start
  std::deque<YamlNode> nodes_;        // stable addresses
  const YamlNode* root_ = nullptr;
};

// Parses `text` (the contents of file `name`). Appends every mistake found to
// `diagnostics`: a too large file, NUL bytes or invalid UTF-8, nesting deeper
// than limits.max_depth, a YAML syntax error, more than limits.max_nodes
// nodes (alias bombs), a recursive alias, a second document, keys that are
// not scalars, duplicate keys. Returns null when the file could not be parsed
// into a tree (the diagnostics say why); a returned tree may still come with
// diagnostics (duplicate or non-scalar keys, which are left out of the tree).
// Never throws. Thread-safe.
std::unique_ptr<RuleFile> ParseRuleFile(std::string name, std::string text,
                                        const YamlLimits& limits,
                                        std::vector<Diagnostic>* diagnostics);

}  // namespace switchboard::load

#endif  // SWITCHBOARD_ENGINE_LOAD_RULE_FILE_H_
