// libFuzzer target: the CEL parser (engine/cel/parser.h). The input is an
// expression's text. Parsing must never crash, overflow the stack or throw:
// invalid input, including invalid UTF-8 and deep nesting, is an issue.
// A parsed tree is also printed (DebugString), which walks all of it.
// Run by tools/fuzz.sh; seeds: the CEL conformance expressions and the
// parser's test data.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/cel/ast.h"
#include "engine/cel/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  switchboard::cel::ParseResult result = switchboard::cel::Parse(text);
  if (result.expr != nullptr) {
    if (!result.issues.empty()) __builtin_trap();
    const std::string printed = switchboard::cel::DebugString(*result.expr);
    (void)printed;
  } else if (result.issues.empty()) {
    __builtin_trap();  // a failed parse always says why
  }
  return 0;
}
