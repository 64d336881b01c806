// Hints for YAML syntax errors (syntax_hint.h): each line around the error is
// reduced to its shape (indentation, list item, where its key starts, whether
// it opens a nested block), and the usual mistakes are recognised from the
// shapes and the text.
#include "engine/load/syntax_hint.h"

#include <set>
#include <string>
#include <string_view>

#include "engine/load/rule_file.h"

namespace switchboard::load {
namespace {

// What matters of one line for indentation: columns are 1-based.
struct LineShape {
  bool significant = false;  // not blank and not only a comment
  int indent = 0;            // column of the first character after spaces
  int tab_column = 0;        // a tab in the indentation, or 0
  bool item = false;         // starts with "- "
  int content = 0;           // column after the leading "- " markers
  bool opens_block = false;  // ends with ':' or a block scalar indicator
};

// `text` without a trailing comment (" #..." outside quotes) and spaces.
std::string_view WithoutComment(std::string_view text) {
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' &&
               (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t')) {
      text = text.substr(0, i);
      break;
    }
  }
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

LineShape Shape(std::string_view text) {
  LineShape shape;
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
    if (text[i] == '\t' && shape.tab_column == 0) {
      shape.tab_column = static_cast<int>(i) + 1;
    }
    ++i;
  }
  const std::string_view rest = WithoutComment(text.substr(i));
  if (rest.empty()) return shape;
  shape.significant = true;
  shape.indent = static_cast<int>(i) + 1;
  size_t content = i;
  while (content < text.size() && text[content] == '-' &&
         (content + 1 == text.size() || text[content + 1] == ' ')) {
    shape.item = true;
    ++content;
    while (content < text.size() && text[content] == ' ') ++content;
  }
  shape.content = static_cast<int>(content) + 1;
  const std::string_view body = WithoutComment(text);
  if (!body.empty()) {
    const char last = body.back();
    std::string_view tail = body;
    // "key: |", "key: >-", "key: |2": a block scalar follows.
    while (!tail.empty() && (tail.back() == '-' || tail.back() == '+' ||
                             (tail.back() >= '1' && tail.back() <= '9'))) {
      tail.remove_suffix(1);
    }
    shape.opens_block =
        last == ':' ||
        (!tail.empty() && (tail.back() == '|' || tail.back() == '>') &&
         (tail.size() == 1 || tail[tail.size() - 2] == ' '));
  }
  return shape;
}

// The previous significant line before `line` (0 when none).
int PreviousLine(const RuleFile& file, int line) {
  for (int k = line - 1; k >= 1; --k) {
    if (Shape(file.Line(k)).significant) return k;
  }
  return 0;
}

// The word starting at `at` (up to a space or a flow delimiter).
std::string WordAt(std::string_view text, size_t at) {
  size_t end = at;
  while (end < text.size() && text[end] != ' ' && text[end] != ',' &&
         text[end] != ']' && text[end] != '}') {
    ++end;
  }
  return std::string(text.substr(at, end - at));
}

// A plain value of `text` that starts with '*', '&' or '!': the value's
// position, or npos. Values start after "key: ", a leading "- ", and in flow
// collections after '[', '{' and ','. The one nearest before `column` (or
// the first) is taken.
size_t SpecialValueStart(std::string_view text, int column) {
  size_t best = std::string_view::npos;
  char quote = 0;
  const auto consider = [&](size_t at) {
    while (at < text.size() && text[at] == ' ') ++at;
    if (at + 1 >= text.size()) return;
    const char c = text[at];
    if ((c == '*' || c == '&' || c == '!') && text[at + 1] != ' ') {
      if (best == std::string_view::npos || static_cast<int>(at) < column) {
        best = at;
      }
    }
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || text[i - 1] == ' ')) {
      break;
    } else if (c == ':' && i + 1 < text.size() && text[i + 1] == ' ') {
      consider(i + 1);
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == ' ' &&
               text.find_first_not_of(' ') == i) {
      consider(i + 1);
    } else if (c == '[' || c == '{' || c == ',') {
      consider(i + 1);
    }
  }
  return best;
}

std::string SpecialValueHint(std::string_view text, size_t at) {
  const std::string word = WordAt(text, at);
  const char* what = text[at] == '*'   ? "an alias"
                     : text[at] == '&' ? "an anchor"
                                       : "a tag";
  return "a value starting with '" + std::string(1, text[at]) +
         "' is read as " + what + " by YAML: quote it, e.g. \"" + word + "\"";
}

// ": " inside a plain value: the error's column is at a ':' after the
// line's first "key: ", whose key starts at column `content`.
std::string ColonHint(std::string_view text, int content, int column) {
  const size_t at = static_cast<size_t>(column - 1);
  const size_t key = static_cast<size_t>(content - 1);
  if (at >= text.size() || text[at] != ':') return "";
  const size_t first = text.find(": ", key);
  if (first == std::string_view::npos || first >= at) return "";
  const size_t value = text.find_first_not_of(' ', first + 1);
  if (value == std::string_view::npos || text[value] == '"' ||
      text[value] == '\'') {
    return "";
  }
  return "': ' inside a plain value starts a map: quote the value, e.g. " +
         std::string(text.substr(key, first - key)) + ": \"" +
         std::string(WithoutComment(text.substr(value))) + "\"";
}

std::string IndentationHint(const RuleFile& file, int line) {
  const LineShape here = Shape(file.Line(line));
  if (!here.significant) return "";
  const int c = here.indent;
  if (here.item) {
    // The nearest list item above, at another column.
    for (int k = line - 1; k >= 1; --k) {
      const LineShape above = Shape(file.Line(k));
      if (!above.significant || !above.item) continue;
      if (above.indent == c) return "";
      return "this list item's '-' is at column " + std::to_string(c) +
             ", the previous item's (line " + std::to_string(k) +
             ") at column " + std::to_string(above.indent) +
             ": items of one list line up";
    }
    return "";
  }
  const int p = PreviousLine(file, line);
  if (p == 0) return "";
  const LineShape prev = Shape(file.Line(p));
  if (c > prev.content && !prev.opens_block) {
    return "line " + std::to_string(line) + " is indented more than line " +
           std::to_string(p) + " (column " + std::to_string(c) + ", not " +
           std::to_string(prev.content) + "): keys of one map line up";
  }
  if (c < prev.content) {
    // The columns where the blocks enclosing the previous line start.
    std::set<int> columns = {prev.content, prev.indent};
    int threshold = prev.indent;
    for (int k = p - 1; k >= 1 && threshold > 1; --k) {
      const LineShape above = Shape(file.Line(k));
      if (!above.significant || above.indent >= threshold) continue;
      columns.insert(above.indent);
      columns.insert(above.content);
      threshold = above.indent;
    }
    if (columns.count(c) == 0) {
      return "line " + std::to_string(line) + " starts at column " +
             std::to_string(c) + ", where no key above it starts (line " +
             std::to_string(p) + ": column " + std::to_string(prev.content) +
             "): keys of one map line up";
    }
  }
  return "";
}

bool IsIndentationMessage(std::string_view message) {
  return message == "illegal map value" || message == "end of map not found" ||
         message == "end of sequence not found" ||
         message == "block sequence entries are not allowed in this context";
}

}  // namespace

std::string SyntaxErrorHint(const RuleFile& file, int line, int column,
                            std::string_view message) {
  const std::string_view text = file.Line(line);
  const LineShape here = Shape(text);
  if (here.tab_column != 0) {
    return "indent with spaces: YAML does not allow tabs in indentation (a "
           "tab at column " +
           std::to_string(here.tab_column) + ")";
  }
  if (message.find("anchor is not defined") != std::string_view::npos &&
      column >= 1 && static_cast<size_t>(column) <= text.size() &&
      text[column - 1] == '*') {
    return SpecialValueHint(text, static_cast<size_t>(column - 1));
  }
  if (const size_t at = SpecialValueStart(text, column);
      at != std::string_view::npos) {
    return SpecialValueHint(text, at);
  }
  if (message == "illegal map value") {
    if (std::string hint = ColonHint(text, here.content, column);
        !hint.empty()) {
      return hint;
    }
  }
  if (IsIndentationMessage(message)) return IndentationHint(file, line);
  return "";
}

std::string EmptyAnchorHint(std::string_view value_text) {
  return "'" + WordAt(value_text, 0) +
         "' is read as a YAML anchor on an empty value: quote it if it is "
         "the value, e.g. \"" +
         WordAt(value_text, 0) + "\"";
}

}  // namespace switchboard::load
