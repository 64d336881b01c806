// The CEL lexer (see lexer.h). One left-to-right pass over the text; string
// literals are decoded on the way (cel-go's unescape rules: in a string,
// \xHH and octal escapes are code points and are UTF-8 encoded; in bytes
// they are raw bytes, and \u / \U are not allowed).
#include "engine/cel/lexer.h"

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::cel {
namespace {

// After this many lexical mistakes the rest of the text is not looked at.
constexpr int kMaxLexIssues = 20;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsIdentStart(char c) { return IsLetter(c) || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// "U+0001" for code points that would not print well in a message.
std::string CodePointName(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

class Lexer {
 public:
  Lexer(std::string_view text, std::vector<Issue>* issues)
      : text_(text), issues_(issues) {}

  TokenList Run() {
    TokenList tokens;
    while (true) {
      SkipSpaceAndComments();
      if (gave_up_) {
        Token t;
        t.kind = TokenKind::kError;
        t.offset = static_cast<Offset>(pos_);
        tokens.push_back(std::move(t));
        break;
      }
      if (pos_ >= text_.size()) break;
      tokens.push_back(Next());
    }
    Token end;
    end.kind = TokenKind::kEnd;
    end.offset = static_cast<Offset>(text_.size());
    tokens.push_back(std::move(end));
    return tokens;
  }

 private:
  char At(size_t i) const { return i < text_.size() ? text_[i] : '\0'; }
  bool AtEnd(size_t i) const { return i >= text_.size(); }

  void Report(size_t offset, std::string message) {
    if (gave_up_) return;
    if (++issue_count_ > kMaxLexIssues) {
      issues_->push_back({static_cast<Offset>(offset),
                          "too many errors; the rest of the expression was "
                          "not checked"});
      gave_up_ = true;
      pos_ = text_.size();
      return;
    }
    issues_->push_back({static_cast<Offset>(offset), std::move(message)});
  }

  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++pos_;
      } else if (c == '/' && At(pos_ + 1) == '/') {
        pos_ += 2;
        while (pos_ < text_.size() && text_[pos_] != '\n') {
          unsigned char u = static_cast<unsigned char>(text_[pos_]);
          if (u >= 0x80) {
            uint32_t cp;
            int n = DecodeUtf8(text_.substr(pos_), &cp);
            if (n == 0) {
              Report(pos_, "invalid UTF-8");
              n = 1;
            }
            pos_ += n;
          } else {
            ++pos_;
          }
        }
      } else {
        return;
      }
    }
  }

  Token Make(TokenKind kind, size_t start) {
    Token t;
    t.kind = kind;
    t.offset = static_cast<Offset>(start);
    t.text = text_.substr(start, pos_ - start);
    return t;
  }

  Token Punct(TokenKind kind, size_t length) {
    size_t start = pos_;
    pos_ += length;
    return Make(kind, start);
  }

  Token Next() {
    size_t start = pos_;
    char c = text_[pos_];
    char n = At(pos_ + 1);
    if (IsDigit(c) || (c == '.' && IsDigit(n))) return Number();
    if (IsIdentStart(c)) return IdentOrPrefixedString();
    switch (c) {
      case '"':
      case '\'':
        return String(start, /*raw=*/false, /*bytes=*/false);
      case '`':
        return QuotedIdent();
      case '(':
        return Punct(TokenKind::kLParen, 1);
      case ')':
        return Punct(TokenKind::kRParen, 1);
      case '[':
        return Punct(TokenKind::kLBracket, 1);
      case ']':
        return Punct(TokenKind::kRBracket, 1);
      case '{':
        return Punct(TokenKind::kLBrace, 1);
      case '}':
        return Punct(TokenKind::kRBrace, 1);
      case '.':
        return Punct(TokenKind::kDot, 1);
      case ',':
        return Punct(TokenKind::kComma, 1);
      case ':':
        return Punct(TokenKind::kColon, 1);
      case '?':
        return Punct(TokenKind::kQuestion, 1);
      case '+':
        return Punct(TokenKind::kPlus, 1);
      case '-':
        return Punct(TokenKind::kMinus, 1);
      case '*':
        return Punct(TokenKind::kStar, 1);
      case '/':
        return Punct(TokenKind::kSlash, 1);
      case '%':
        return Punct(TokenKind::kPercent, 1);
      case '!':
        if (n == '=') return Punct(TokenKind::kNe, 2);
        return Punct(TokenKind::kBang, 1);
      case '=':
        if (n == '=') return Punct(TokenKind::kEq, 2);
        return BadChar("unexpected '='; did you mean '=='?");
      case '<':
        if (n == '=') return Punct(TokenKind::kLe, 2);
        return Punct(TokenKind::kLt, 1);
      case '>':
        if (n == '=') return Punct(TokenKind::kGe, 2);
        return Punct(TokenKind::kGt, 1);
      case '&':
        if (n == '&') return Punct(TokenKind::kAnd, 2);
        return BadChar("unexpected '&'; did you mean '&&'?");
      case '|':
        if (n == '|') return Punct(TokenKind::kOr, 2);
        return BadChar("unexpected '|'; did you mean '||'?");
      default:
        break;
    }
    // A character that starts no token. One issue for a run of them.
    ReportStray();
    while (!AtEnd(pos_) && IsStray(text_[pos_])) ++pos_;
    return Make(TokenKind::kError, start);
  }

  // Bytes that start no token: non-ASCII, control characters other than
  // whitespace, and the ASCII punctuation CEL does not use.
  static bool IsStray(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x80 || u == 0x7F) return true;
    if (u < 0x20) return c != '\t' && c != '\n' && c != '\r' && c != '\f';
    return c == '#' || c == '$' || c == '@' || c == ';' || c == '~' ||
           c == '^' || c == '\\';
  }

  // Reports the stray character at pos_ and moves past it.
  void ReportStray() {
    const size_t start = pos_;
    unsigned char u = static_cast<unsigned char>(text_[pos_]);
    if (u < 0x80) {
      ++pos_;
      if (u == 0) {
        Report(start, "unexpected NUL byte");
      } else if (u < 0x20 || u == 0x7F) {
        Report(start, "unexpected control character " + CodePointName(u));
      } else {
        Report(start, std::string("unexpected character '") +
                          static_cast<char>(u) + "'");
      }
      return;
    }
    uint32_t cp;
    int len = DecodeUtf8(text_.substr(pos_), &cp);
    if (len == 0) {
      Report(start, "invalid UTF-8");
      ++pos_;
      return;
    }
    pos_ += len;
    // Invisible characters (no-break spaces, zero-width ones, BOM...) are
    // named by code point so that the message shows what is there.
    if (cp <= 0xA0 || cp == 0xAD || (cp >= 0x2000 && cp <= 0x200F) ||
        (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) ||
        cp == 0x3000 || cp == 0xFEFF) {
      Report(start, "unexpected character " + CodePointName(cp));
    } else {
      Report(start, "unexpected character '" +
                        std::string(text_.substr(start, len)) + "'");
    }
  }

  Token BadChar(std::string message) {
    size_t start = pos_;
    Report(start, std::move(message));
    ++pos_;
    return Make(TokenKind::kError, start);
  }

  // NUM_INT, NUM_UINT, NUM_FLOAT of CEL.g4.
  Token Number() {
    size_t start = pos_;
    if (text_[pos_] == '0' && At(pos_ + 1) == 'x') {
      pos_ += 2;
      size_t digits = pos_;
      while (IsHexDigit(At(pos_))) ++pos_;
      if (pos_ == digits) {
        Report(start, "invalid hex literal: expected hex digits after '0x'");
        while (IsIdentChar(At(pos_))) ++pos_;
        return Make(TokenKind::kError, start);
      }
      if (At(pos_) == 'u' || At(pos_) == 'U') {
        ++pos_;
        return Make(TokenKind::kUint, start);
      }
      return Make(TokenKind::kInt, start);
    }
    while (IsDigit(At(pos_))) ++pos_;
    bool is_float = false;
    if (At(pos_) == '.' && IsDigit(At(pos_ + 1))) {
      is_float = true;
      ++pos_;
      while (IsDigit(At(pos_))) ++pos_;
    }
    // An exponent needs at least one digit, else the 'e' is not part of
    // the number (ANTLR takes the longest token that matches).
    if (At(pos_) == 'e' || At(pos_) == 'E') {
      size_t p = pos_ + 1;
      if (At(p) == '+' || At(p) == '-') ++p;
      if (IsDigit(At(p))) {
        is_float = true;
        pos_ = p;
        while (IsDigit(At(pos_))) ++pos_;
      }
    }
    if (is_float) return Make(TokenKind::kDouble, start);
    if (At(pos_) == 'u' || At(pos_) == 'U') {
      ++pos_;
      return Make(TokenKind::kUint, start);
    }
    return Make(TokenKind::kInt, start);
  }

  Token IdentOrPrefixedString() {
    size_t start = pos_;
    while (IsIdentChar(At(pos_))) ++pos_;
    std::string_view word = text_.substr(start, pos_ - start);
    char q = At(pos_);
    if ((q == '"' || q == '\'') && word.size() <= 2) {
      bool raw = false, bytes = false, ok = true;
      for (char w : word) {
        if ((w == 'r' || w == 'R') && !raw) {
          raw = true;
        } else if ((w == 'b' || w == 'B') && !bytes) {
          bytes = true;
        } else {
          ok = false;
        }
      }
      if (ok) return String(start, raw, bytes);
    }
    if (word == "true") return Make(TokenKind::kTrue, start);
    if (word == "false") return Make(TokenKind::kFalse, start);
    if (word == "null") return Make(TokenKind::kNull, start);
    if (word == "in") return Make(TokenKind::kIn, start);
    return Make(TokenKind::kIdent, start);
  }

  // ESC_IDENTIFIER: '`' (LETTER | DIGIT | '_' | '.' | '-' | '/' | ' ')+ '`'.
  Token QuotedIdent() {
    size_t start = pos_;
    ++pos_;
    while (true) {
      if (AtEnd(pos_) || text_[pos_] == '\n' || text_[pos_] == '\r') {
        Report(start, "unterminated quoted identifier");
        return Make(TokenKind::kError, start);
      }
      char c = text_[pos_];
      if (c == '`') break;
      if (!(IsIdentChar(c) || c == '.' || c == '-' || c == '/' || c == ' ')) {
        Report(pos_,
               "invalid character in quoted identifier (allowed: letters, "
               "digits, '_', '.', '-', '/' and space)");
        // Skip to the closing backtick, if it is on this line.
        while (!AtEnd(pos_) && text_[pos_] != '`' && text_[pos_] != '\n') {
          ++pos_;
        }
        if (At(pos_) == '`') ++pos_;
        return Make(TokenKind::kError, start);
      }
      ++pos_;
    }
    ++pos_;  // the closing backtick
    if (pos_ - start == 2) {
      Report(start, "empty quoted identifier");
      return Make(TokenKind::kError, start);
    }
    Token t = Make(TokenKind::kQuotedIdent, start);
    t.value = std::string(text_.substr(start + 1, pos_ - start - 2));
    return t;
  }

  // A string or bytes literal whose prefix (r, b, br, ...) starts at `start`
  // and whose opening quote is at pos_.
  Token String(size_t start, bool raw, bool bytes) {
    const char q = text_[pos_];
    const bool triple = At(pos_ + 1) == q && At(pos_ + 2) == q;
    pos_ += triple ? 3 : 1;
    std::string value;
    bool bad = false;
    while (true) {
      if (AtEnd(pos_)) {
        Report(start, "unterminated string");
        return Make(TokenKind::kError, start);
      }
      char c = text_[pos_];
      if (c == q) {
        if (!triple) {
          ++pos_;
          break;
        }
        if (At(pos_ + 1) == q && At(pos_ + 2) == q) {
          pos_ += 3;
          break;
        }
      }
      if (c == '\n' || c == '\r') {
        if (!triple) {
          Report(start,
                 "unterminated string (only triple-quoted strings may span "
                 "lines)");
          return Make(TokenKind::kError, start);
        }
        // Newlines are normalized to \n, as cel-go does.
        value.push_back('\n');
        pos_ += (c == '\r' && At(pos_ + 1) == '\n') ? 2 : 1;
        continue;
      }
      // Any other character stands for itself, control characters and NUL
      // included (CEL.g4 excludes only the quote, '\\' and line ends).
      unsigned char u = static_cast<unsigned char>(c);
      if (u >= 0x80) {
        uint32_t cp;
        int len = DecodeUtf8(text_.substr(pos_), &cp);
        if (len == 0) {
          Report(pos_, "invalid UTF-8");
          bad = true;
          ++pos_;
          continue;
        }
        value.append(text_.substr(pos_, len));
        pos_ += len;
        continue;
      }
      if (c == '\\' && !raw) {
        if (!Escape(bytes, triple, &value)) bad = true;
        continue;
      }
      value.push_back(c);
      ++pos_;
    }
    Token t = Make(bytes ? TokenKind::kBytes : TokenKind::kString, start);
    if (!bad) t.value = std::move(value);
    return t;
  }

  // Decodes the escape sequence at pos_ (a backslash) into *out. On a bad
  // sequence, reports it, skips the backslash and the character after it
  // (unless that is a line end), and returns false.
  bool Escape(bool bytes, bool triple, std::string* out) {
    const size_t start = pos_;
    if (AtEnd(pos_ + 1)) {
      ++pos_;  // the string is then unterminated
      return false;
    }
    char e = text_[pos_ + 1];
    char simple = 0;
    switch (e) {
      case 'a':
        simple = '\a';
        break;
      case 'b':
        simple = '\b';
        break;
      case 'f':
        simple = '\f';
        break;
      case 'n':
        simple = '\n';
        break;
      case 'r':
        simple = '\r';
        break;
      case 't':
        simple = '\t';
        break;
      case 'v':
        simple = '\v';
        break;
      case '\\':
        simple = '\\';
        break;
      case '\'':
        simple = '\'';
        break;
      case '"':
        simple = '"';
        break;
      case '`':
        simple = '`';
        break;
      case '?':
        simple = '?';
        break;
      default:
        break;
    }
    if (simple != 0) {
      out->push_back(simple);
      pos_ += 2;
      return true;
    }
    if (e == 'x' || e == 'X' || e == 'u' || e == 'U') {
      int n = (e == 'x' || e == 'X') ? 2 : (e == 'u' ? 4 : 8);
      int have = 0;
      uint32_t v = 0;
      while (have < n && IsHexDigit(At(pos_ + 2 + have))) {
        v = (v << 4) | static_cast<uint32_t>(HexValue(At(pos_ + 2 + have)));
        ++have;
      }
      std::string seq(text_.substr(start, 2 + have));
      if (have < n) {
        Report(start, "invalid escape sequence '" + seq + "': expected " +
                          std::to_string(n) + " hex digits");
        pos_ += 2 + have;
        return false;
      }
      pos_ += 2 + n;
      if (n == 2) {
        if (bytes) {
          out->push_back(static_cast<char>(v));
        } else {
          AppendUtf8(v, out);
        }
        return true;
      }
      if (bytes) {
        Report(start, "invalid escape sequence '" + seq +
                          "' in a bytes literal (use \\x escapes)");
        return false;
      }
      if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF) {
        Report(start, "invalid escape sequence '" + seq +
                          "': not a Unicode code point");
        return false;
      }
      AppendUtf8(v, out);
      return true;
    }
    if (e >= '0' && e <= '3') {
      if (At(pos_ + 2) >= '0' && At(pos_ + 2) <= '7' && At(pos_ + 3) >= '0' &&
          At(pos_ + 3) <= '7') {
        uint32_t v = static_cast<uint32_t>(
            (e - '0') * 64 + (At(pos_ + 2) - '0') * 8 + (At(pos_ + 3) - '0'));
        pos_ += 4;
        if (bytes) {
          out->push_back(static_cast<char>(v));
        } else {
          AppendUtf8(v, out);
        }
        return true;
      }
      size_t len = 2;
      while (len < 4 && IsDigit(At(pos_ + len))) ++len;
      Report(start,
             "invalid escape sequence '" +
                 std::string(text_.substr(start, len)) +
                 "': octal escapes have exactly 3 digits, at most \\377");
      pos_ += len;
      return false;
    }
    if (e >= '4' && e <= '9') {
      Report(start, std::string("invalid escape sequence '\\") + e +
                        "': octal escapes have exactly 3 digits, at most "
                        "\\377");
      pos_ += 2;
      return false;
    }
    unsigned char u = static_cast<unsigned char>(e);
    if (u >= 0x21 && u < 0x7F) {
      Report(start, std::string("invalid escape sequence '\\") + e + "'");
      pos_ += 2;
      return false;
    }
    if ((e == '\n' || e == '\r') && !triple) {
      ++pos_;  // reported as an unterminated string by the caller
      return false;
    }
    // A backslash before a space, a control character or a non-ASCII one.
    uint32_t cp = u;
    int len = 1;
    if (u >= 0x80) {
      len = DecodeUtf8(text_.substr(pos_ + 1), &cp);
      if (len == 0) {  // reported when the string loop reaches it
        ++pos_;
        return false;
      }
    }
    Report(start, "invalid escape sequence: backslash followed by " +
                      CodePointName(cp));
    // Leave line ends to the string loop (unterminated single-line string).
    pos_ += (e == '\n' || e == '\r') ? 1 : 1 + len;
    return false;
  }

  std::string_view text_;
  std::vector<Issue>* issues_;
  size_t pos_ = 0;
  int issue_count_ = 0;
  bool gave_up_ = false;
};

}  // namespace

int DecodeUtf8(std::string_view s, uint32_t* code_point) {
  if (s.empty()) return 0;
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  if (c < 0x80) {
    *code_point = c;
    return 1;
  }
  int len;
  uint32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < static_cast<size_t>(len)) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  cp = (cp << 6) | (b(1) & 0x3F);
  for (int i = 2; i < len; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  *code_point = cp;
  return len;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

TokenList Lex(std::string_view text, std::vector<Issue>* issues) {
  return Lexer(text, issues).Run();
}

std::string DescribeToken(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "end of expression";
    case TokenKind::kString:
      return "string literal";
    case TokenKind::kBytes:
      return "bytes literal";
    default:
      break;
  }
  constexpr size_t kMaxShown = 32;
  std::string_view shown = token.text.substr(0, kMaxShown);
  std::string out = "'";
  out.append(shown);
  if (token.text.size() > kMaxShown) out.append("...");
  out.push_back('\'');
  return out;
}

}  // namespace switchboard::cel
