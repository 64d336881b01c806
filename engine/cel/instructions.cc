// The compiled program's representation (instructions.h): the lifetime of
// a Program and Dump(), the readable listing of its instructions that the
// golden tests compare. Dump() prints constants by value and everything
// else by what the instruction names (variable, field, slot, jump target),
// so that a listing reads without the tables.
#include "engine/cel/instructions.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/cel/program.h"

namespace switchboard::cel {
namespace {

using program_internal::ExtOverload;
using program_internal::Instr;
using program_internal::Op;

const char* BuiltinOperator(uint8_t fn) {
  switch (static_cast<Builtin>(fn)) {
    case Builtin::kEquals:
      return "_==_";
    case Builtin::kNotEquals:
      return "_!=_";
    case Builtin::kLess:
      return "_<_";
    case Builtin::kLessEquals:
      return "_<=_";
    case Builtin::kGreater:
      return "_>_";
    case Builtin::kGreaterEquals:
      return "_>=_";
    default:
      return "?";
  }
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kConst:
      return "const";
    case Op::kLoadVar:
      return "load_var";
    case Op::kLoadField:
      return "load_field";
    case Op::kFieldCompare:
      return "field_compare";
    case Op::kHasField:
      return "has_field";
    case Op::kLoadLocal:
      return "load_local";
    case Op::kLocalCompare:
      return "local_compare";
    case Op::kSelect:
      return "select";
    case Op::kTestSelect:
      return "test_select";
    case Op::kCall:
      return "call";
    case Op::kNotStrictlyFalse:
      return "not_strictly_false";
    case Op::kEquals:
      return "eq";
    case Op::kNotEquals:
      return "ne";
    case Op::kCompare:
      return "compare";
    case Op::kNot:
      return "not";
    case Op::kCallExt:
      return "call_ext";
    case Op::kCallUnknown:
      return "call_unknown";
    case Op::kMatchRe:
      return "matches_re";
    case Op::kList:
      return "list";
    case Op::kMap:
      return "map";
    case Op::kJump:
      return "jump";
    case Op::kAndJump:
      return "and_jump";
    case Op::kAndMerge:
      return "and_merge";
    case Op::kOrJump:
      return "or_jump";
    case Op::kOrMerge:
      return "or_merge";
    case Op::kCondJump:
      return "cond_jump";
    case Op::kIterInit:
      return "iter_init";
    case Op::kIterNext:
      return "iter_next";
    case Op::kLoopCond:
      return "loop_cond";
    case Op::kStoreLocal:
      return "store_local";
    case Op::kBuilderInit:
      return "builder_init";
    case Op::kAppend:
      return "append";
    case Op::kBuilderDone:
      return "builder_done";
    case Op::kHalt:
      return "halt";
  }
  return "?";
}

}  // namespace

Program::Program() = default;
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;
Program::~Program() = default;

std::string Program::Dump() const {
  if (impl_ == nullptr) return "";
  const Impl& p = *impl_;
  std::string out;
  for (size_t i = 0; i < p.code.size(); ++i) {
    const Instr& in = p.code[i];
    // Every program ends with a halt; the listing leaves it out.
    if (in.op == Op::kHalt && i + 1 == p.code.size()) break;
    absl::StrAppend(&out, i, ": ", OpName(in.op));
    switch (in.op) {
      case Op::kConst:
        absl::StrAppend(&out, " ", p.constants[in.a].DebugString());
        break;
      case Op::kLoadVar:
        absl::StrAppend(&out, " var=", in.a);
        break;
      case Op::kLoadField:
      case Op::kHasField:
        absl::StrAppend(&out, " var=", in.a, " field=", p.fields[in.c].field,
                        " (", p.fields[in.c].name, ")");
        break;
      case Op::kFieldCompare:
        absl::StrAppend(&out, " ", BuiltinOperator(in.fn), " var=", in.a,
                        " field=", p.fields[in.c].field, " (",
                        p.fields[in.c].name, ") ",
                        p.constants[in.b].DebugString());
        break;
      case Op::kLocalCompare:
        absl::StrAppend(&out, " ", BuiltinOperator(in.fn), " slot=", in.a, " ",
                        p.constants[in.b].DebugString());
        break;
      case Op::kLoadLocal:
      case Op::kStoreLocal:
      case Op::kBuilderInit:
      case Op::kAppend:
      case Op::kBuilderDone:
        absl::StrAppend(&out, " slot=", in.a);
        break;
      case Op::kSelect:
      case Op::kTestSelect:
        absl::StrAppend(&out, " ", p.fields[in.c].name);
        if (p.fields[in.c].field >= 0) {
          absl::StrAppend(&out, " field=", p.fields[in.c].field);
        }
        break;
      case Op::kCall:
      case Op::kNotStrictlyFalse:
      case Op::kEquals:
      case Op::kNotEquals:
      case Op::kCompare:
      case Op::kNot:
      case Op::kCallUnknown:
        absl::StrAppend(&out, " ", p.names[in.c], " argc=", in.b);
        break;
      case Op::kCallExt: {
        std::vector<int> ids;
        for (const ExtOverload& o : p.ext_sets[in.a].overloads) {
          ids.push_back(o.id);
        }
        absl::StrAppend(&out, " ", p.names[in.c],
                        ids.size() == 1 ? " id=" : " ids=",
                        absl::StrJoin(ids, ","), " argc=", in.b);
        break;
      }
      case Op::kMatchRe:
        absl::StrAppend(&out, " re=", in.a, " ",
                        Value::StringView(p.names[in.c]).DebugString());
        break;
      case Op::kList:
      case Op::kMap:
        absl::StrAppend(&out, " n=", in.b);
        break;
      case Op::kJump:
      case Op::kAndJump:
      case Op::kOrJump:
        absl::StrAppend(&out, " -> ", in.a);
        break;
      case Op::kAndMerge:
      case Op::kOrMerge:
      case Op::kHalt:
        break;
      case Op::kCondJump:
      case Op::kLoopCond:
        absl::StrAppend(&out, " else -> ", in.a, " error -> ", in.b);
        break;
      case Op::kIterInit:
        absl::StrAppend(&out, " slot=", in.a, " error -> ", in.b);
        break;
      case Op::kIterNext:
        absl::StrAppend(&out, " slot=", in.a, " done -> ", in.b);
        break;
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace switchboard::cel
