// CEL literal spelling of strings and doubles.
#include "engine/cel/literal.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace switchboard::cel {
namespace {

void AppendHexEscape(unsigned char c, std::string* out) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\x%02X", c);
  out->append(buf);
}

}  // namespace

// The definitions; see literal.h for the contract.
void AppendQuotedLiteral(std::string_view s, bool bytes, std::string* out) {
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7F || (bytes && c >= 0x80)) {
          AppendHexEscape(c, out);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void AppendDoubleLiteral(double d, std::string* out) {
  if (std::isnan(d)) {
    out->append("double(\"nan\")");
    return;
  }
  if (std::isinf(d)) {
    out->append(d > 0 ? "double(\"inf\")" : "double(\"-inf\")");
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  std::string_view text(buf, ec == std::errc() ? end - buf : 0);
  out->append(text);
  if (text.find_first_of(".eE") == std::string_view::npos) out->append(".0");
}

}  // namespace switchboard::cel
