// YAML text -> RuleFile: pre-scan, yaml-cpp parser events -> a positioned
// node tree, and the mapping of scalar offsets back to file positions.
#include "engine/load/rule_file.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <istream>
#include <streambuf>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/load/syntax_hint.h"
#include "engine/load/text_scan.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/exceptions.h"
#include "yaml-cpp/mark.h"
#include "yaml-cpp/parser.h"

namespace switchboard::load {

const YamlNode* YamlNode::Find(std::string_view key) const {
  for (const Entry& e : entries) {
    if (e.key->value == key) return e.value;
  }
  return nullptr;
}

RuleFile::RuleFile(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (size_t i = text_.find('\n'); i != std::string::npos;
       i = text_.find('\n', i + 1)) {
    line_starts_.push_back(static_cast<int64_t>(i) + 1);
  }
}

std::string_view RuleFile::Line(int line) const {
  if (line < 1 || line > static_cast<int>(line_starts_.size())) return {};
  const size_t begin = line_starts_[line - 1];
  size_t end = line == static_cast<int>(line_starts_.size())
                   ? text_.size()
                   : static_cast<size_t>(line_starts_[line]) - 1;
  if (end > begin && text_[end - 1] == '\r') --end;
  return std::string_view(text_).substr(begin, end - begin);
}

std::pair<int, int> RuleFile::Position(int64_t offset) const {
  offset = std::clamp<int64_t>(offset, 0, text_.size());
  const auto it =
      std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const int line = static_cast<int>(it - line_starts_.begin());
  return {line, static_cast<int>(offset - line_starts_[line - 1]) + 1};
}

std::pair<int, int> RuleFile::Locate(const YamlNode& scalar,
                                     int64_t offset) const {
  if (!scalar.is_scalar()) return {scalar.line, scalar.column};
  const std::string_view src = text_;
  const std::string& value = scalar.value;
  size_t p = static_cast<size_t>(scalar.start);
  switch (scalar.style) {
    case YamlNode::Style::kSingleQuoted:
    case YamlNode::Style::kDoubleQuoted:
      ++p;
      break;
    case YamlNode::Style::kLiteral:
    case YamlNode::Style::kFolded: {
      const size_t nl = src.find('\n', p);
      p = nl == std::string_view::npos ? src.size() : nl + 1;
      break;
    }
    default:
      break;
  }
  const size_t target = static_cast<size_t>(
      std::clamp<int64_t>(offset, 0, static_cast<int64_t>(value.size())));
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  };
  // Walk the value and the source together: equal bytes advance both; folded
  // line breaks and indentation advance the source only; escapes consume
  // their source text for one value character.
  for (size_t i = 0; i < target && p < src.size(); ++i) {
    const char c = value[i];
    while (p < src.size()) {
      const char s = src[p];
      if (s == c && !(scalar.style == YamlNode::Style::kSingleQuoted &&
                      s == '\'' && p + 1 < src.size() && src[p + 1] == '\'')) {
        ++p;
        break;
      }
      if (is_space(c)) {
        // A space or line break made by folding: the source has whitespace,
        // consumed when the next visible character is matched.
        if (is_space(s)) ++p;
        break;
      }
      if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) break;  // from escape
      if (scalar.style == YamlNode::Style::kDoubleQuoted && s == '\\' &&
          p + 1 < src.size()) {
        const char e = src[p + 1];
        size_t len = e == 'x' ? 4 : e == 'u' ? 6 : e == 'U' ? 10 : 2;
        if (e == '\n' || e == '\r') {  // escaped line break: skip it
          p += 2;
          continue;
        }
        p = std::min(src.size(), p + len);
        break;
      }
      if (scalar.style == YamlNode::Style::kSingleQuoted && s == '\'') {
        p += 2;  // '' stands for '
        break;
      }
      ++p;  // indentation, folded line breaks
    }
  }
  // Skip whitespace left before the character at `target` (indentation of a
  // continuation line), so that the position is the character itself.
  if (target < value.size() && !is_space(value[target])) {
    while (p < src.size() && is_space(src[p]) && src[p] != value[target]) ++p;
  }
  return Position(static_cast<int64_t>(p));
}

Diagnostic RuleFile::AtPosition(int line, int column, Severity severity,
                                std::string message) const {
  Diagnostic d;
  d.file = name_;
  d.line = line;
  d.column = column;
  d.severity = severity;
  // A message is one line, even when it quotes a multi-line name.
  if (message.find_first_of("\r\n") != std::string::npos) {
    std::string one_line;
    for (char c : message) {
      if (c == '\n') {
        one_line += "\\n";
      } else if (c == '\r') {
        one_line += "\\r";
      } else {
        one_line += c;
      }
    }
    message = std::move(one_line);
  }
  d.message = std::move(message);
  const std::string_view text = Line(line);
  constexpr size_t kMaxShown = 240, kBefore = 100;
  if (text.size() <= kMaxShown) {
    d.source_line = std::string(text);
  } else {
    // A window around the column, so a huge one-line file does not make a
    // huge diagnostic.
    const size_t at = static_cast<size_t>(std::max(column, 1)) - 1;
    size_t begin = at > kBefore ? at - kBefore : 0;
    // Do not cut a UTF-8 sequence.
    while (begin > 0 &&
           (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) {
      --begin;
    }
    size_t end = std::min(text.size(), begin + kMaxShown);
    while (end < text.size() &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      ++end;
    }
    d.source_line = (begin > 0 ? "..." : "") +
                    std::string(text.substr(begin, end - begin)) +
                    (end < text.size() ? "..." : "");
    d.source_line_shift = static_cast<int>(begin) - (begin > 0 ? 3 : 0);
  }
  return d;
}

Diagnostic RuleFile::At(const YamlNode& node, Severity severity,
                        std::string message) const {
  return AtPosition(node.line, node.column, severity, std::move(message));
}

Diagnostic RuleFile::AtOffset(const YamlNode& scalar, int64_t offset,
                              Severity severity, std::string message) const {
  const auto [line, column] = Locate(scalar, offset);
  return AtPosition(line, column, severity, std::move(message));
}

// Builds the node tree from yaml-cpp's parser events.
class RuleFileBuilder : public YAML::EventHandler {
 public:
  // Thrown (and caught in ParseRuleFile) to stop the parse.
  struct Stop {
    int64_t offset;
    std::string message;
  };

  RuleFileBuilder(RuleFile* file, const YamlLimits& limits,
                  std::vector<Diagnostic>* diagnostics)
      : file_(file), limits_(limits), diagnostics_(diagnostics) {}

  const YamlNode* root() const { return root_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      throw Stop{Offset(mark),
                 "a rule file holds one YAML document; remove the second "
                 "one or move it to its own file"};
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    YamlNode* node = NewNode(YamlNode::Kind::kNull, mark);
    // An empty value ("key:") is reported by yaml-cpp at the next token;
    // place it at its key instead.
    if (!open_.empty() && open_.back().key != nullptr &&
        node->start > open_.back().key->start &&
        file_->Position(node->start).first != open_.back().key->line) {
      node->line = open_.back().key->line;
      node->column = open_.back().key->column;
      node->start = open_.back().key->start;
    }
    if (anchor != 0) ReportEmptyAnchor(*node);
    Add(node, 1, anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (anchor >= anchors_.size() || anchors_[anchor].node == nullptr) {
      throw Stop{Offset(mark), "unknown YAML alias"};
    }
    const Anchored& target = anchors_[anchor];
    if (!target.closed) {
      throw Stop{Offset(mark),
                 "YAML alias refers to a node that contains it (a recursive "
                 "alias)"};
    }
    CountNodes(target.size, mark);
    YamlNode* node = NewNode(target.node->kind, mark);
    const int line = node->line, column = node->column;
    const int32_t start = node->start;
    *node = *target.node;
    node->line = line;
    node->column = column;
    node->start = start;
    Add(node, target.size, 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag,
                YAML::anchor_t anchor, const std::string& value) override {
    YamlNode* node = NewNode(YamlNode::Kind::kScalar, mark);
    node->value = value;
    const char c = file_->text_[node->start];
    node->tagged = tag != "?" && tag != "!";
    if (node->tagged) {
      // Point at the tag itself: an unquoted "!cond" is the usual mistake.
      node->start = static_cast<int32_t>(
          std::min<int64_t>(Offset(mark), file_->text_.size()));
      std::tie(node->line, node->column) = file_->Position(node->start);
    }
    if (anchor != 0 && value.empty() && c != '"' && c != '\'') {
      ReportEmptyAnchor(*node);
    }
    if (tag == "?") {
      node->style = YamlNode::Style::kPlain;
    } else if (c == '"') {
      node->style = YamlNode::Style::kDoubleQuoted;
    } else if (c == '\'') {
      node->style = YamlNode::Style::kSingleQuoted;
    } else if (c == '|') {
      node->style = YamlNode::Style::kLiteral;
    } else if (c == '>') {
      node->style = YamlNode::Style::kFolded;
    }
    Add(node, 1, anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag,
                       YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    Open(YamlNode::Kind::kSequence, mark, anchor, style);
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag,
                  YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    Open(YamlNode::Kind::kMap, mark, anchor, style);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Anchored {
    YamlNode* node = nullptr;
    int64_t size = 1;  // nodes it expands to
    bool closed = false;
  };
  struct OpenCollection {
    YamlNode* node;
    YAML::anchor_t anchor;
    int64_t size;             // nodes so far, itself included
    const YamlNode* key;      // maps: the key waiting for its value
    bool drop_value = false;  // maps: the pending key was bad
  };

  // "message: &hello" is an anchor on an empty value, never what a rule
  // author means: an error at the '&' with a hint to quote it.
  // The '&' is looked for after the pending key (the node of an empty value
  // may sit at the next token), else after the node.
  void ReportEmptyAnchor(const YamlNode& node) {
    const YamlNode* key = open_.empty() ? nullptr : open_.back().key;
    for (const YamlNode* at_node : {key, &node}) {
      if (at_node == nullptr) continue;
      const std::string_view text = file_->Line(at_node->line);
      const size_t at =
          text.find('&', static_cast<size_t>(std::max(0, at_node->column - 1)));
      if (at == std::string_view::npos) continue;
      diagnostics_->push_back(file_->AtPosition(
          at_node->line, static_cast<int>(at) + 1, Severity::kError,
          EmptyAnchorHint(text.substr(at))));
      return;
    }
  }

  int64_t Offset(const YAML::Mark& mark) const {
    if (mark.line < 0) return 0;
    const auto& starts = file_->line_starts_;
    const size_t line = std::min<size_t>(mark.line, starts.size() - 1);
    return std::min<int64_t>(starts[line] + std::max(0, mark.column),
                             file_->text_.size());
  }

  void CountNodes(int64_t n, const YAML::Mark& mark) {
    total_ += n;
    if (total_ > limits_.max_nodes) {
      throw Stop{Offset(mark), "YAML document too large: more than " +
                                   std::to_string(limits_.max_nodes) +
                                   " nodes once aliases are expanded"};
    }
  }

  YamlNode* NewNode(YamlNode::Kind kind, const YAML::Mark& mark) {
    CountNodes(1, mark);
    YamlNode& node = file_->nodes_.emplace_back();
    node.kind = kind;
    int64_t offset = Offset(mark);
    // Skip an anchor ("&a") or a tag ("!!str") before the node itself.
    const std::string& text = file_->text_;
    while (offset < static_cast<int64_t>(text.size()) &&
           (text[offset] == '&' || text[offset] == '!')) {
      while (offset < static_cast<int64_t>(text.size()) &&
             !std::isspace(static_cast<unsigned char>(text[offset]))) {
        ++offset;
      }
      while (offset < static_cast<int64_t>(text.size()) &&
             (text[offset] == ' ' || text[offset] == '\t')) {
        ++offset;
      }
    }
    offset = std::min<int64_t>(offset, std::max<int64_t>(0, text.size() - 1));
    if (text.empty()) offset = 0;
    node.start = static_cast<int32_t>(offset);
    const int64_t line_start =
        mark.line >= 0 &&
                static_cast<size_t>(mark.line) < file_->line_starts_.size()
            ? file_->line_starts_[mark.line]
            : -1;
    if (line_start >= 0 && offset >= line_start &&
        offset - line_start == mark.column) {
      node.line = mark.line + 1;  // the common case: no anchor or tag
      node.column = mark.column + 1;
    } else {
      std::tie(node.line, node.column) = file_->Position(offset);
    }
    return &node;
  }

  void Register(YAML::anchor_t anchor, YamlNode* node, int64_t size,
                bool closed) {
    if (anchor == 0) return;
    if (anchor >= anchors_.size()) anchors_.resize(anchor + 1);
    anchors_[anchor] = Anchored{node, size, closed};
  }

  void Open(YamlNode::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor,
            YAML::EmitterStyle::value style) {
    YamlNode* node = NewNode(kind, mark);
    if (style == YAML::EmitterStyle::Flow) node->style = YamlNode::Style::kFlow;
    Register(anchor, node, 1, /*closed=*/false);
    open_.push_back(OpenCollection{node, anchor, 1, nullptr});
  }

  void Close() {
    OpenCollection done = open_.back();
    open_.pop_back();
    if (done.node->is_map()) FinishMap(*done.node);
    Register(done.anchor, done.node, done.size, /*closed=*/true);
    Add(done.node, done.size, 0);
  }

  // Places a finished node into its parent (or as the root).
  void Add(YamlNode* node, int64_t size, YAML::anchor_t anchor) {
    if (anchor != 0) Register(anchor, node, size, /*closed=*/true);
    if (open_.empty()) {
      root_ = node;
      return;
    }
    OpenCollection& parent = open_.back();
    parent.size = std::min<int64_t>(parent.size + size, int64_t{1} << 60);
    if (parent.node->is_sequence()) {
      parent.node->items.push_back(node);
      return;
    }
    if (parent.key == nullptr && !parent.drop_value) {
      if (node->is_scalar()) {
        parent.key = node;
      } else {
        diagnostics_->push_back(file_->At(
            *node, Severity::kError,
            node->is_null() ? "empty key in a map"
                            : "a key must be a plain name, not a list or "
                              "a map"));
        parent.drop_value = true;
      }
      return;
    }
    if (parent.drop_value) {
      parent.drop_value = false;
      return;
    }
    parent.node->entries.push_back({parent.key, node});
    parent.key = nullptr;
  }

  // True if a map needs no rewriting: no merge key and no duplicate key.
  // Most maps are small, where comparing pairs is cheaper than building the
  // hash set that FinishMap uses for the general case.
  static bool IsSimpleMap(const std::vector<YamlNode::Entry>& entries) {
    constexpr size_t kMaxPairwise = 16;
    if (entries.size() > kMaxPairwise) return false;
    for (size_t i = 0; i < entries.size(); ++i) {
      const YamlNode& key = *entries[i].key;
      if (key.value == "<<" && key.is_plain_scalar()) return false;
      for (size_t j = 0; j < i; ++j) {
        if (entries[j].key->value == key.value) return false;
      }
    }
    return true;
  }

  // Reports duplicate keys (keeping the first), then applies YAML merge
  // keys: `<<: *base` (or a list of them) adds the base map's entries that
  // the map does not have itself, after its own.
  void FinishMap(YamlNode& map) {
    auto& entries = map.entries;
    if (IsSimpleMap(entries)) return;
    std::vector<YamlNode::Entry> kept;
    std::vector<const YamlNode*> merges;
    kept.reserve(entries.size());
    absl::flat_hash_map<std::string_view, const YamlNode*> seen;
    for (const YamlNode::Entry& e : entries) {
      if (e.key->value == "<<" && e.key->is_plain_scalar()) {
        merges.push_back(e.value);
        continue;
      }
      auto [it, inserted] = seen.emplace(e.key->value, e.key);
      if (inserted) {
        kept.push_back(e);
        continue;
      }
      diagnostics_->push_back(
          file_->At(*e.key, Severity::kError,
                    "duplicate key '" + e.key->value + "' (first at line " +
                        std::to_string(it->second->line) + ")"));
    }
    for (const YamlNode* merge : merges) {
      std::vector<const YamlNode*> sources;
      if (merge->is_map()) {
        sources.push_back(merge);
      } else if (merge->is_sequence()) {
        sources = merge->items;
      }
      if (sources.empty() ||
          std::any_of(sources.begin(), sources.end(),
                      [](const YamlNode* n) { return !n->is_map(); })) {
        diagnostics_->push_back(
            file_->At(*merge, Severity::kError,
                      "a merge key '<<' takes a map or a list of maps, e.g. "
                      "'<<: *defaults'"));
        continue;
      }
      for (const YamlNode* source : sources) {
        for (const YamlNode::Entry& e : source->entries) {
          if (seen.emplace(e.key->value, e.key).second) kept.push_back(e);
        }
      }
    }
    if (kept.size() != entries.size() || !merges.empty()) {
      entries = std::move(kept);
    }
  }

  RuleFile* file_;
  const YamlLimits& limits_;
  std::vector<Diagnostic>* diagnostics_;
  const YamlNode* root_ = nullptr;
  std::vector<OpenCollection> open_;
  std::vector<Anchored> anchors_;
  int64_t total_ = 0;
  int documents_ = 0;
};

namespace {

// A read-only std::streambuf over a string, so yaml-cpp reads the text in
// place.
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(const std::string& s) {
    char* p = const_cast<char*>(s.data());
    setg(p, p, p + s.size());
  }
};

// A sanitized copy of a line for display: control characters (but tab),
// NUL and bytes of invalid UTF-8 become '?', one for one, so that the caret
// column still holds and a hostile line cannot drive the terminal.
std::string Printable(std::string_view line) {
  std::string out(line);
  for (char& c : out) {
    const unsigned char u = c;
    if ((u < 0x20 && u != '\t') || u == 0x7F || u >= 0x80) c = '?';
  }
  return out;
}

}  // namespace

std::unique_ptr<RuleFile> ParseRuleFile(std::string name, std::string text,
                                        const YamlLimits& limits,
                                        std::vector<Diagnostic>* diagnostics) {
  if (static_cast<int64_t>(text.size()) > limits.max_file_size) {
    Diagnostic d;
    d.file = std::move(name);
    d.message = "file too large: " + std::to_string(text.size()) +
                " bytes, more than the limit of " +
                std::to_string(limits.max_file_size);
    diagnostics->push_back(std::move(d));
    return nullptr;
  }
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) {
    text.erase(0, 3);  // UTF-8 byte order mark
  }
  auto file = std::make_unique<RuleFile>(std::move(name), std::move(text));
  const std::string& body = file->text();
  if (auto problem = FindEncodingProblem(body)) {
    const auto [line, column] = file->Position(problem->offset);
    Diagnostic d = file->AtPosition(line, column, Severity::kError,
                                    std::move(problem->message));
    d.source_line = Printable(d.source_line);
    diagnostics->push_back(std::move(d));
    return nullptr;
  }
  if (auto problem = FindExcessiveNesting(body, limits.max_depth)) {
    const auto [line, column] = file->Position(problem->offset);
    diagnostics->push_back(file->AtPosition(line, column, Severity::kError,
                                            std::move(problem->message)));
    return nullptr;
  }
  RuleFileBuilder builder(file.get(), limits, diagnostics);
  try {
    ViewBuffer buffer(body);
    std::istream in(&buffer);
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const RuleFileBuilder::Stop& stop) {
    const auto [line, column] = file->Position(stop.offset);
    diagnostics->push_back(
        file->AtPosition(line, column, Severity::kError, stop.message));
    return nullptr;
  } catch (const YAML::Exception& e) {
    const int line = std::max(0, e.mark.line) + 1;
    const int length = static_cast<int>(file->Line(line).size());
    const int column = std::clamp(e.mark.column + 1, 1, length + 1);
    std::string message = e.msg;
    if (message == "bad file") message = "YAML nested too deeply";
    if (std::string hint = SyntaxErrorHint(*file, line, column, e.msg);
        !hint.empty()) {
      message += "; " + hint;
    }
    diagnostics->push_back(file->AtPosition(line, column, Severity::kError,
                                            "YAML syntax error: " + message));
    return nullptr;
  } catch (const std::exception& e) {
    Diagnostic d;
    d.file = file->name();
    d.message = std::string("cannot parse the YAML: ") + e.what();
    diagnostics->push_back(std::move(d));
    return nullptr;
  }
  if (builder.root() == nullptr) {
    // An empty file (or one with only comments): a null root.
    YamlNode& node = file->nodes_.emplace_back();
    node.line = 1;
    node.column = 1;
    file->root_ = &node;
  } else {
    file->root_ = builder.root();
  }
  return file;
}

}  // namespace switchboard::load
