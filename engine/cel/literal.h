// CEL literal spelling of strings and doubles, shared by the renderings of
// parse trees (ast.cc) and of values (value.cc), so that both write the same
// text for the same constant.
#ifndef SWITCHBOARD_ENGINE_CEL_LITERAL_H_
#define SWITCHBOARD_ENGINE_CEL_LITERAL_H_

#include <string>
#include <string_view>

namespace switchboard::cel {

// Appends `s` as a double-quoted CEL literal: quotes, backslashes, \n \r \t
// and control characters escaped. With `bytes`, every byte that is not
// printable ASCII is escaped too (a bytes literal's \xHH is a byte, not a
// code point); otherwise UTF-8 is kept as it is.
void AppendQuotedLiteral(std::string_view s, bool bytes, std::string* out);

// Appends `d` so that it reads back as the same double and as a double:
// "1.0", "0.25", "1e+100", double("nan"), double("-inf").
void AppendDoubleLiteral(double d, std::string* out);

}  // namespace switchboard::cel

#endif  // SWITCHBOARD_ENGINE_CEL_LITERAL_H_
