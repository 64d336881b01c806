// The compiled form of a CEL expression, between the compiler
// (compiler.cc), which writes it, and the evaluator (evaluator.cc), which
// runs it: the instruction set of a small stack machine, one instruction,
// and Program::Impl, the instructions with the tables they index
// (constants, fields, regexes, extension overloads). Program::Dump()
// (instructions.cc) lists it for golden tests.
//
// Internal to engine/cel: callers use Program (program.h).
#ifndef SWITCHBOARD_ENGINE_CEL_INSTRUCTIONS_H_
#define SWITCHBOARD_ENGINE_CEL_INSTRUCTIONS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/cel/functions.h"
#include "engine/cel/program.h"
#include "engine/cel/types.h"
#include "engine/cel/value.h"
#include "re2/re2.h"

namespace switchboard::cel {
namespace program_internal {

// The instruction set. Stack effects are noted as (pops -> pushes).
enum class Op : uint8_t {
  kConst,         // (0 -> 1) constants[a]
  kLoadVar,       // (0 -> 1) variable a
  kLoadField,     // (0 -> 1) field fields[c] of object variable a
  kFieldCompare,  // (0 -> 1) field fields[c] of variable a compared with
                  //          constants[b] by built-in fn (==, !=, <, ...)
  kHasField,      // (0 -> 1) has(): presence of field fields[c] of variable a
  kLoadLocal,     // (0 -> 1) locals[a]
  kLocalCompare,  // (0 -> 1) locals[a] compared with constants[b] by fn
  kSelect,        // (1 -> 1) operand.fields[c] (object field or map key)
  kTestSelect,    // (1 -> 1) has(operand.fields[c])
  kCall,          // (b -> 1) built-in a with b arguments; names[c] for Dump
  kNotStrictlyFalse,  // (1 -> 1) @not_strictly_false: no error propagation
  kEquals,            // (2 -> 1) ==
  kNotEquals,         // (2 -> 1) !=
  kCompare,           // (2 -> 1) <, <=, >, >= (built-in a), with fast paths
  kNot,               // (1 -> 1) !
  kCallExt,           // (b -> 1) the host extension of ext_sets[a] that fits
  kCallUnknown,       // (b -> 1) a function nobody declares: names[c]
  kMatchRe,           // (1 -> 1) operand.matches(regexes[a])
  kList,              // (b -> 1) a list of the top b values
  kMap,               // (2b -> 1) a map of the top b key/value pairs
  kJump,              // (0 -> 0) go to a
  kAndJump,           // (0 -> 0) if the top is false, go to a (keeping it)
  kAndMerge,          // (2 -> 1) combine the operands of && (left not false)
  kOrJump,            // (0 -> 0) if the top is true, go to a (keeping it)
  kOrMerge,           // (2 -> 1) combine the operands of || (left not true)
  kCondJump,          // (1 -> 0) ?: condition: true: go on; false: go to a;
                      //          else push an error and go to b
  kIterInit,          // (1 -> 0) comprehension range into slot a (with its
                      //          position); a bad range: push error, go to b
  kIterNext,     // (0 -> 0) next element into slot a+1, or go to b when done
  kLoopCond,     // (1 -> 0) loop condition: false: go to a; true: go on;
                 //          else push an error and go to b
  kStoreLocal,   // (1 -> 0) locals[a] = top
  kBuilderInit,  // (0 -> 0) start an empty list accumulator in slot a
  kAppend,       // (1 -> 0) append the top to the accumulator in slot a
  kBuilderDone,  // (0 -> 1) the accumulated list of slot a (or its error)
  kHalt,         // (0 -> 0) the end: the result is the one value left
};

struct Instr {
  Op op;
  uint8_t fn = 0;  // kFieldCompare, kLocalCompare: the Builtin
  // kCall inside a loop body: the size of the list, map or string it builds
  // counts against max_iterations too, so that a loop cannot do unbounded
  // work per step (`l.map(x, l + l)`).
  bool charge = false;
  int32_t a = 0;
  int32_t b = 0;
  int32_t c = 0;
};

// A field selection: by index when the operand is an object of the declared
// type (the common case), else by name.
struct FieldRef {
  const ObjectType* type = nullptr;
  int field = -1;
  std::string name;
  int cache = -1;  // kLoadField & co.: the variable's object cache entry
};

// An overload of a host extension, for run-time dispatch.
struct ExtOverload {
  int id = 0;
  std::vector<Type> params;
};

// The overloads of one extension call site (the checker's choice, or
// unchecked, all of that name and arity), and the built-in of the same name,
// if any, for arguments that fit none of them.
struct ExtSet {
  std::vector<ExtOverload> overloads;
  std::optional<Builtin> fallback;
};

}  // namespace program_internal

struct Program::Impl {
  std::vector<program_internal::Instr> code;
  std::vector<Value> constants;
  // Bytes that constant strings view. Each string is held through a pointer
  // so that it never moves as more are added (instructions hold views into
  // them); unlike std::deque, an empty vector allocates nothing, and most
  // programs have no string constants.
  std::vector<std::unique_ptr<std::string>> strings;
  std::vector<std::unique_ptr<re2::RE2>> regexes;
  std::vector<program_internal::FieldRef> fields;
  std::vector<std::string> names;
  std::vector<program_internal::ExtSet> ext_sets;
  int max_stack = 1;
  int num_locals = 0;
  bool uses_builders = false;
  int64_t max_iterations = 0;
  // Object variables whose fields are read by index; each is fetched and
  // type-checked once per evaluation (FieldRef::cache).
  int num_cached_objects = 0;
};

}  // namespace switchboard::cel

#endif  // SWITCHBOARD_ENGINE_CEL_INSTRUCTIONS_H_
