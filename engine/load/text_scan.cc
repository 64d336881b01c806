// Encoding and nesting checks on raw rule-file text (see text_scan.h).
#include "engine/load/text_scan.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace switchboard::load {
namespace {

std::string HexByte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", c);
  return buf;
}

// The nesting scanner: one pass over the text, line by line, tracking the
// block indentation levels open (a stack of columns), the flow bracket depth,
// and whether we are inside a quoted or block scalar.
class NestingScanner {
 public:
  NestingScanner(std::string_view text, int max_depth)
      : text_(text), max_depth_(max_depth) {}

  std::optional<TextProblem> Run() {
    size_t pos = 0;
    while (pos < text_.size() && !problem_) {
      size_t end = text_.find('\n', pos);
      if (end == std::string_view::npos) end = text_.size();
      ScanLine(pos, end);
      pos = end + 1;
    }
    return problem_;
  }

 private:
  void Check(size_t offset) {
    if (problem_) return;
    const size_t depth = levels_.size() + flow_depth_;
    if (depth > static_cast<size_t>(max_depth_)) {
      problem_ = TextProblem{static_cast<int64_t>(offset),
                             "YAML nested too deeply (more than " +
                                 std::to_string(max_depth_) + " levels)"};
    }
  }

  void Push(int column, size_t offset) {
    levels_.push_back(column);
    Check(offset);
  }

  bool IsSpace(char c) const { return c == ' ' || c == '\t' || c == '\r'; }

  // The characters that ScanLine treats specially outside quotes.
  static bool IsSyntax(char c) {
    return kSyntaxTable[static_cast<unsigned char>(c)];
  }
  static constexpr std::array<bool, 256> kSyntaxTable = [] {
    std::array<bool, 256> table{};
    for (unsigned char c : std::string_view(" \t\r#\"'[{]},:|>&!")) {
      table[c] = true;
    }
    return table;
  }();

  void ScanLine(size_t begin, size_t end) {
    size_t indent_end = begin;
    while (indent_end < end && text_[indent_end] == ' ') ++indent_end;
    const int indent = static_cast<int>(indent_end - begin);
    size_t first = indent_end;
    while (first < end && IsSpace(text_[first])) ++first;
    const bool blank = first == end;

    if (block_parent_ != kNone) {
      if (blank || indent > block_parent_) return;  // block scalar content
      block_parent_ = kNone;
    }
    size_t pos = begin;
    bool token_start = true;
    if (quote_ == 0 && flow_depth_ == 0) {
      if (blank || text_[first] == '#') return;
      while (!levels_.empty() && levels_.back() >= indent) levels_.pop_back();
      pos = indent_end;
      // Compact collections: "- - x", "? key", "- key: v".
      while (pos < end &&
             (text_[pos] == '-' || text_[pos] == '?' || text_[pos] == ':') &&
             (pos + 1 == end || IsSpace(text_[pos + 1]))) {
        Push(static_cast<int>(pos - begin), pos);
        ++pos;
        while (pos < end && IsSpace(text_[pos])) ++pos;
      }
    }
    bool key_pushed = false;
    const size_t content = pos;
    while (pos < end && !problem_) {
      const char c = text_[pos];
      if (quote_ == 0 && !IsSyntax(c)) {
        // The common case, most bytes of a rule file: an ordinary character
        // outside quotes, which only ends a token start.
        token_start = false;
        ++pos;
        continue;
      }
      if (quote_ == '"') {
        if (c == '\\') {
          ++pos;
        } else if (c == '"') {
          quote_ = 0;
          token_start = false;
        }
        ++pos;
        continue;
      }
      if (quote_ == '\'') {
        if (c == '\'') {
          if (pos + 1 < end && text_[pos + 1] == '\'') {
            ++pos;
          } else {
            quote_ = 0;
            token_start = false;
          }
        }
        ++pos;
        continue;
      }
      if (IsSpace(c)) {
        ++pos;
        continue;
      }
      if (c == '#' && (pos == begin || IsSpace(text_[pos - 1]))) break;
      if (token_start && (c == '"' || c == '\'')) {
        quote_ = c;
        ++pos;
        continue;
      }
      if ((token_start || flow_depth_ > 0) && (c == '[' || c == '{')) {
        ++flow_depth_;
        Check(pos);
        token_start = true;
        ++pos;
        continue;
      }
      if (flow_depth_ > 0 && (c == ']' || c == '}')) {
        --flow_depth_;
        token_start = false;
        ++pos;
        continue;
      }
      if (flow_depth_ > 0 && c == ',') {
        token_start = true;
        ++pos;
        continue;
      }
      if (c == ':' &&
          (pos + 1 == end || IsSpace(text_[pos + 1]) || flow_depth_ > 0)) {
        if (flow_depth_ == 0 && !key_pushed) {
          // A block mapping key: the map's level starts at the content.
          key_pushed = true;
          Push(static_cast<int>(content - begin), content);
        }
        token_start = true;
        ++pos;
        continue;
      }
      if (token_start && flow_depth_ == 0 && (c == '|' || c == '>')) {
        block_parent_ = levels_.empty() ? -1 : levels_.back();
        return;
      }
      if (token_start && (c == '&' || c == '!')) {
        // An anchor or a tag: the node itself follows.
        while (pos < end && !IsSpace(text_[pos])) ++pos;
        continue;
      }
      token_start = false;
      ++pos;
    }
  }

  static constexpr int kNone = -2;
  std::string_view text_;
  int max_depth_;
  std::vector<int> levels_;
  size_t flow_depth_ = 0;
  char quote_ = 0;
  int block_parent_ = kNone;
  std::optional<TextProblem> problem_;
};

}  // namespace

std::optional<TextProblem> FindEncodingProblem(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // Fast path: eight bytes at a time while they are printable ASCII (no
    // byte has its high bit set, is below 0x20 or is 0x7F).
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, sizeof(word));
      constexpr uint64_t kHigh = 0x8080808080808080ULL;
      constexpr uint64_t kSpaces = 0x2020202020202020ULL;
      constexpr uint64_t kLow = 0x0101010101010101ULL;
      const uint64_t del = word ^ 0x7F7F7F7F7F7F7F7FULL;  // 0 where 0x7F
      if (((word | ((word - kSpaces) & ~word) | ((del - kLow) & ~del)) &
           kHigh) != 0) {
        break;
      }
      i += 8;
    }
    if (i >= n) break;
    const unsigned char c = s[i];
    if (c == 0) {
      return TextProblem{static_cast<int64_t>(i), "NUL byte in the text"};
    }
    // YAML allows only printable characters (YAML 1.2, section 5.1): a
    // control character would reach messages and terminals unescaped.
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      return TextProblem{static_cast<int64_t>(i),
                         "control character (byte " + HexByte(c) +
                             ") in the text; YAML allows only printable "
                             "characters (escape it in a double-quoted "
                             "string, e.g. \"\\x1b\")"};
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    }
    bool ok = len != 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) {
        ok = false;
      } else {
        cp = (cp << 6) | (s[i + k] & 0x3F);
      }
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) {
      ok = false;
    }
    if (!ok) {
      return TextProblem{static_cast<int64_t>(i),
                         "invalid UTF-8 (byte " + HexByte(c) + ")"};
    }
    i += len;
  }
  return std::nullopt;
}

std::optional<TextProblem> FindExcessiveNesting(std::string_view text,
                                                int max_depth) {
  return NestingScanner(text, max_depth).Run();
}

}  // namespace switchboard::load
