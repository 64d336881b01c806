// Hints for YAML syntax errors: yaml-cpp says where it stopped and what it
// expected ("illegal map value", "end of map not found"); a rule author needs
// the usual cause in their own terms. SyntaxErrorHint looks at the lines
// around the error for the mistakes people make in rule files:
//
//   - a tab in the indentation (YAML indents with spaces only);
//   - a plain value starting with '*' (an alias), '&' (an anchor) or '!' (a
//     tag), which YAML reads as syntax: the value must be quoted;
//   - a line indented more (or less) than the keys or list items it belongs
//     with;
//   - ": " inside a plain value, which starts a map.
//
// The hints are heuristics on the text: each is given only when its cause is
// plainly there, and an error without a recognised cause gets none.
#ifndef SWITCHBOARD_ENGINE_LOAD_SYNTAX_HINT_H_
#define SWITCHBOARD_ENGINE_LOAD_SYNTAX_HINT_H_

#include <string>
#include <string_view>

#include "engine/load/rule_file.h"

namespace switchboard::load {

// The hint for yaml-cpp's `message` at 1-based `line` and `column` of
// `file` ("" when none applies), to follow the message after "; ", e.g.
// "indent with spaces: YAML does not allow tabs in indentation".
std::string SyntaxErrorHint(const RuleFile& file, int line, int column,
                            std::string_view message);

// The hint for an anchor ('&name') on an empty value: the '&' was meant as
// text. `value_text` is the text from the anchor to the end of its line.
std::string EmptyAnchorHint(std::string_view value_text);

}  // namespace switchboard::load

#endif  // SWITCHBOARD_ENGINE_LOAD_SYNTAX_HINT_H_
