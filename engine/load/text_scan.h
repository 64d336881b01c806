// Checks on a rule file's raw text, made before yaml-cpp sees it: the text
// must be printable UTF-8 (no NUL bytes or control characters), and its
// collections must not nest deeper than a limit (yaml-cpp parses
// recursively, so a file nested 100,000 deep would otherwise cost a deep
// stack or a confusing error). The nesting
// estimate follows YAML's layout (block indentation, compact "- - x"
// sequences, flow brackets) and skips quoted and block scalars and comments,
// so brackets inside strings do not count.
#ifndef SWITCHBOARD_ENGINE_LOAD_TEXT_SCAN_H_
#define SWITCHBOARD_ENGINE_LOAD_TEXT_SCAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::load {

// What is wrong with the text, and where (a byte offset).
struct TextProblem {
  int64_t offset = 0;
  std::string message;
};

// The first NUL byte, other control character (bytes below 0x20 but tab, LF
// and CR, and 0x7F: YAML allows only printable characters) or invalid UTF-8
// sequence (overlong forms, surrogates and code points past U+10FFFF are
// invalid), or nullopt.
std::optional<TextProblem> FindEncodingProblem(std::string_view text);

// The first place where collections nest deeper than `max_depth`, or
// nullopt. The estimate never undercounts the depth yaml-cpp recurses to.
std::optional<TextProblem> FindExcessiveNesting(std::string_view text,
                                                int max_depth);

}  // namespace switchboard::load

#endif  // SWITCHBOARD_ENGINE_LOAD_TEXT_SCAN_H_
