// The CEL lexer: expression text -> tokens, for the parser (parser.cc).
//
// It follows the lexical grammar of cel-spec's langdef.md / CEL.g4: ints
// (decimal, 0x hex), uints (u/U suffix), doubles (DIGIT* . DIGIT+ EXPONENT? |
// DIGIT+ EXPONENT), strings in single, double and triple quotes with the r/R
// (raw) and b/B (bytes) prefixes, backtick-quoted field names, `//` comments,
// and the punctuation of the operators. String escapes are decoded here, so a
// kString / kBytes token carries its value. Mistakes (unterminated strings,
// bad escapes, invalid UTF-8, stray characters) become Issues; a token that
// could not be formed at all is a kError token, and the parser stops there
// without adding a second message for the same mistake.
#ifndef SWITCHBOARD_ENGINE_CEL_LEXER_H_
#define SWITCHBOARD_ENGINE_CEL_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "engine/cel/ast.h"

namespace switchboard::cel {

enum class TokenKind : uint8_t {
  kEnd,          // end of the text (always the last token)
  kError,        // a malformed token, already reported as an Issue
  kIdent,        // identifiers, reserved words included
  kQuotedIdent,  // `foo.txt` (value: the name between the backticks)
  kInt,          // 42, 0x2A (text only; the parser converts, with the sign)
  kUint,         // 42u
  kDouble,       // 1.5, 1e3, .5
  kString,       // value: decoded UTF-8
  kBytes,        // value: decoded bytes
  kTrue,
  kFalse,
  kNull,
  kIn,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kDot,
  kComma,
  kColon,
  kQuestion,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kBang,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  Offset offset = 0;      // byte offset of the token's first character
  std::string_view text;  // the token as written (a view into the source)
  std::string value;      // kString, kBytes, kQuotedIdent: the decoded value
};

// The tokens of one expression. Rule conditions have a few dozen tokens:
// those stay inline (no heap block, which at this size would be one of
// malloc's "large" requests).
using TokenList = absl::InlinedVector<Token, 48>;

// Splits `text` into tokens, ending with exactly one kEnd token (at offset
// text.size()). Lexical mistakes are appended to *issues in source order.
// After many mistakes the lexer gives up and ends the token list with a
// kError token. `text` must be shorter than 2^31 bytes. Never throws.
TokenList Lex(std::string_view text, std::vector<Issue>* issues);

// A short description of a token for messages: "end of expression",
// "string literal", or the token's text in single quotes ('foo', ')').
std::string DescribeToken(const Token& token);

// The length of the well-formed UTF-8 sequence at the start of `s` (1 to 4),
// or 0 when `s` does not start with one (empty, truncated, overlong,
// surrogate, or beyond U+10FFFF). *code_point receives the decoded value.
int DecodeUtf8(std::string_view s, uint32_t* code_point);

// Appends the UTF-8 encoding of `code_point` (at most U+10FFFF) to *out.
void AppendUtf8(uint32_t code_point, std::string* out);

}  // namespace switchboard::cel

#endif  // SWITCHBOARD_ENGINE_CEL_LEXER_H_
