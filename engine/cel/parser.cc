// The CEL parser: a hand-written recursive-descent parser over the tokens of
// lexer.h, for the grammar of cel-spec's langdef.md (CEL.g4):
//
//   Expr           = ConditionalOr ['?' ConditionalOr ':' Expr]
//   ConditionalOr  = [ConditionalOr '||'] ConditionalAnd
//   ConditionalAnd = [ConditionalAnd '&&'] Relation
//   Relation       = [Relation Relop] Addition      (== != < <= > >= in)
//   Addition       = [Addition ('+' | '-')] Multiplication
//   Multiplication = [Multiplication ('*' | '/' | '%')] Unary
//   Unary          = Member | '!' {'!'} Member | '-' {'-'} Member
//   Member         = Primary | Member '.' SELECTOR ['(' [ExprList] ')']
//                  | Member '[' Expr ']'
//   Primary        = ['.'] IDENT ['(' [ExprList] ')'] | '(' Expr ')'
//                  | '[' [ExprList] [','] ']' | '{' [MapInits] [','] '}'
//                  | LITERAL
//
// Message construction (T{f: v}) is recognized only to be refused. Macros
// (has, all, exists, exists_one, map, filter) are expanded here exactly as
// cel-go expands them, so later stages only see kSelect (test_only) and
// kComprehension nodes. Chains of && and || are built as balanced trees (as
// cel-go does), so long chains stay shallow.
//
// Depth: every recursive descent goes through ParseExpr(), which refuses to
// go deeper than the limit before recursing, and every node built checks the
// depth of the tree under it, so neither the parser's stack nor the tree
// (whose destructor is recursive) can grow beyond ParseOptions::max_depth.
// Values of max_depth above kHardMaxDepth are lowered to it.
//
// Errors: the parser stops at the first syntax error (later ones would mostly
// be consequences of the first); the lexer's issues before that point are all
// kept. A kError token (already reported by the lexer) stops the parser
// silently.
//
// This file's external interface is just Parse().
#include "engine/cel/parser.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "engine/cel/ast.h"
#include "engine/cel/lexer.h"

namespace switchboard::cel {
namespace {

// A level of nesting costs well under 1 KiB of the parser's stack (about
// 0.7 KiB with -O2): whatever the options say, stay far below any thread's
// stack size.
constexpr int kHardMaxDepth = 1000;

// Words that cannot be identifiers (langdef.md), besides the keywords true,
// false, null and in. They can still be field and member function names.
constexpr std::string_view kReservedWords[] = {
    "as",        "break",  "const",  "continue", "else",  "for",
    "function",  "if",     "import", "let",      "loop",  "package",
    "namespace", "return", "var",    "void",     "while",
};

bool IsReserved(std::string_view word) {
  for (std::string_view r : kReservedWords) {
    if (r == word) return true;
  }
  return false;
}

// A subtree and its depth (a leaf is 1), so that depth checks never walk
// the tree.
struct Parsed {
  std::unique_ptr<Expr> expr;
  int depth = 0;
  explicit operator bool() const { return expr != nullptr; }
};

// Parses digits in base 10 or 16 into *value; false on overflow.
bool ParseMagnitude(std::string_view digits, int base, uint64_t* value) {
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(),
                                   *value, base);
  return ec == std::errc() && ptr == digits.data() + digits.size();
}

class Parser {
 public:
  Parser(const ParseOptions& options, const TokenList& tokens,
         std::vector<Issue>* issues)
      : max_depth_(std::clamp(options.max_depth, 1, kHardMaxDepth)),
        tokens_(tokens),
        issues_(issues) {}

  std::unique_ptr<Expr> Run() {
    Parsed result = ParseExpr();
    if (result && Peek().kind != TokenKind::kEnd) Unexpected(Peek());
    if (failed_) return nullptr;
    return std::move(result.expr);
  }

 private:
  // ---- tokens ----

  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Advance() {
    const Token& t = tokens_[pos_];
    if (t.kind != TokenKind::kEnd) ++pos_;
    return t;
  }
  bool Accept(TokenKind kind) {
    if (Peek().kind != kind) return false;
    Advance();
    return true;
  }

  // ---- errors ----

  void Error(Offset offset, std::string message) {
    if (failed_) return;
    failed_ = true;
    issues_->push_back({offset, std::move(message)});
  }

  void Unexpected(const Token& token) {
    if (token.kind == TokenKind::kError) {
      failed_ = true;  // the lexer has said what is wrong
      return;
    }
    Error(token.offset, "syntax error: unexpected " + DescribeToken(token));
  }

  void Expected(std::string_view what) {
    const Token& token = Peek();
    if (token.kind == TokenKind::kError) {
      failed_ = true;
      return;
    }
    Error(token.offset, "syntax error: expected " + std::string(what) +
                            ", found " + DescribeToken(token));
  }

  bool Expect(TokenKind kind, std::string_view what) {
    if (Accept(kind)) return true;
    Expected(what);
    return false;
  }

  // The closing bracket of a list of items, where a ',' would also do.
  bool ExpectClosing(TokenKind kind, std::string_view what) {
    if (Accept(kind)) return true;
    Expected(Peek().kind == TokenKind::kEnd ? std::string(what)
                                            : "',' or " + std::string(what));
    return false;
  }

  void DepthError(Offset offset) {
    Error(offset, "expression nested too deeply (more than " +
                      std::to_string(max_depth_) + " levels)");
  }

  // ---- nodes ----

  std::unique_ptr<Expr> NewExpr(ExprKind kind, Offset offset) {
    auto e = std::make_unique<Expr>();
    e->id = next_id_++;
    e->offset = offset;
    e->kind = kind;
    return e;
  }

  // Wraps a finished node, refusing it when the tree got too deep.
  Parsed Finish(std::unique_ptr<Expr> e, int depth) {
    if (depth > max_depth_) {
      DepthError(e->offset);
      return {};
    }
    return {std::move(e), depth};
  }

  Parsed Leaf(std::unique_ptr<Expr> e) { return {std::move(e), 1}; }

  Parsed Ident(std::string name, Offset offset) {
    auto e = NewExpr(ExprKind::kIdent, offset);
    e->name = std::move(name);
    return Leaf(std::move(e));
  }

  Parsed Accu(Offset offset) { return Ident(kAccumulatorName, offset); }

  Parsed BoolConst(bool value, Offset offset) {
    auto e = NewExpr(ExprKind::kConstant, offset);
    e->constant.kind = Constant::Kind::kBool;
    e->constant.bool_value = value;
    return Leaf(std::move(e));
  }

  Parsed IntConst(int64_t value, Offset offset) {
    auto e = NewExpr(ExprKind::kConstant, offset);
    e->constant.kind = Constant::Kind::kInt;
    e->constant.int_value = value;
    return Leaf(std::move(e));
  }

  // A call; `target` may be empty (global call). Fails if a part failed.
  [[gnu::noinline]] Parsed Call(std::string name, Offset offset, Parsed target,
                                std::vector<Parsed> args) {
    if (failed_) return {};
    auto e = NewExpr(ExprKind::kCall, offset);
    e->name = std::move(name);
    int depth = target.depth;
    e->target = std::move(target.expr);
    e->args.reserve(args.size());
    for (Parsed& a : args) {
      if (!a) return {};
      depth = std::max(depth, a.depth);
      e->args.push_back(std::move(a.expr));
    }
    return Finish(std::move(e), depth + 1);
  }

  Parsed Call(std::string name, Offset offset, std::vector<Parsed> args) {
    return Call(std::move(name), offset, Parsed{}, std::move(args));
  }

  // Call(name, offset, {left, right}) without the temporary vector.
  [[gnu::noinline]] Parsed Binary(const char* name, Offset offset, Parsed left,
                                  Parsed right) {
    if (failed_ || !left || !right) return {};
    auto e = NewExpr(ExprKind::kCall, offset);
    e->name = name;
    const int depth = std::max(left.depth, right.depth);
    e->args.reserve(2);
    e->args.push_back(std::move(left.expr));
    e->args.push_back(std::move(right.expr));
    return Finish(std::move(e), depth + 1);
  }

  // Call(name, offset, {operand}) without the temporary vector.
  [[gnu::noinline]] Parsed Unary(const char* name, Offset offset,
                                 Parsed operand) {
    if (failed_ || !operand) return {};
    auto e = NewExpr(ExprKind::kCall, offset);
    e->name = name;
    const int depth = operand.depth;
    e->args.reserve(1);
    e->args.push_back(std::move(operand.expr));
    return Finish(std::move(e), depth + 1);
  }

  // A list (kList) or map (kMap, keys and values interleaved).
  [[gnu::noinline]] Parsed Aggregate(ExprKind kind, Offset offset,
                                     std::vector<Parsed> items) {
    if (failed_) return {};
    auto e = NewExpr(kind, offset);
    int depth = 0;
    e->args.reserve(items.size());
    for (Parsed& item : items) {
      if (!item) return {};
      depth = std::max(depth, item.depth);
      e->args.push_back(std::move(item.expr));
    }
    return Finish(std::move(e), depth + 1);
  }

  Parsed Comprehension(Offset offset, std::string iter_var, Parsed range,
                       Parsed init, Parsed condition, Parsed step,
                       Parsed result) {
    if (failed_ || !range || !init || !condition || !step || !result) {
      return {};
    }
    auto e = NewExpr(ExprKind::kComprehension, offset);
    e->iter_var = std::move(iter_var);
    e->accu_var = kAccumulatorName;
    int depth = std::max(
        {range.depth, init.depth, condition.depth, step.depth, result.depth});
    e->iter_range = std::move(range.expr);
    e->accu_init = std::move(init.expr);
    e->loop_condition = std::move(condition.expr);
    e->loop_step = std::move(step.expr);
    e->result = std::move(result.expr);
    return Finish(std::move(e), depth + 1);
  }

  // ---- the grammar ----

  Parsed ParseExpr() {
    if (failed_) return {};
    if (nesting_ >= max_depth_) {
      DepthError(Peek().offset);
      return {};
    }
    ++nesting_;
    Parsed result = ParseConditional();
    --nesting_;
    if (failed_) return {};
    return result;
  }

  Parsed ParseConditional() {
    Parsed condition = ParseBinary(kOrPrecedence);
    if (!condition || Peek().kind != TokenKind::kQuestion) return condition;
    return ParseConditionalRest(std::move(condition));
  }

  // '?' Or ':' Expr after the condition. Out of line (as the other cold or
  // bulky paths) so that the frames of the recursion stay small.
  [[gnu::noinline]] Parsed ParseConditionalRest(Parsed condition) {
    Offset offset = Advance().offset;
    Parsed if_true = ParseBinary(kOrPrecedence);
    if (!if_true || !Expect(TokenKind::kColon, "':'")) return {};
    Parsed if_false = ParseExpr();
    if (!if_false) return {};
    std::vector<Parsed> args;
    args.reserve(3);
    args.push_back(std::move(condition));
    args.push_back(std::move(if_true));
    args.push_back(std::move(if_false));
    return Call(op::kConditional, offset, std::move(args));
  }

  // Binary operators by precedence (0: not a binary operator).
  static constexpr int kOrPrecedence = 1;
  static int Precedence(TokenKind kind) {
    switch (kind) {
      case TokenKind::kOr:
        return 1;
      case TokenKind::kAnd:
        return 2;
      case TokenKind::kEq:
      case TokenKind::kNe:
      case TokenKind::kLt:
      case TokenKind::kLe:
      case TokenKind::kGt:
      case TokenKind::kGe:
      case TokenKind::kIn:
        return 3;
      case TokenKind::kPlus:
      case TokenKind::kMinus:
        return 4;
      case TokenKind::kStar:
      case TokenKind::kSlash:
      case TokenKind::kPercent:
        return 5;
      default:
        return 0;
    }
  }

  static const char* BinaryFunction(TokenKind kind) {
    switch (kind) {
      case TokenKind::kEq:
        return op::kEquals;
      case TokenKind::kNe:
        return op::kNotEquals;
      case TokenKind::kLt:
        return op::kLess;
      case TokenKind::kLe:
        return op::kLessEquals;
      case TokenKind::kGt:
        return op::kGreater;
      case TokenKind::kGe:
        return op::kGreaterEquals;
      case TokenKind::kIn:
        return op::kIn;
      case TokenKind::kPlus:
        return op::kAdd;
      case TokenKind::kMinus:
        return op::kSubtract;
      case TokenKind::kStar:
        return op::kMultiply;
      case TokenKind::kSlash:
        return op::kDivide;
      case TokenKind::kPercent:
        return op::kModulo;
      case TokenKind::kAnd:
        return op::kLogicalAnd;
      default:
        return op::kLogicalOr;
    }
  }

  // Precedence climbing over the binary operators whose precedence is at
  // least `min_precedence`; all are left-associative, and chains of && or ||
  // become balanced trees.
  Parsed ParseBinary(int min_precedence) {
    Parsed left = ParseUnary();
    while (left) {
      TokenKind kind = Peek().kind;
      int precedence = Precedence(kind);
      if (precedence == 0 || precedence < min_precedence) break;
      if (kind == TokenKind::kOr || kind == TokenKind::kAnd) {
        left = ParseLogicalChain(std::move(left), kind, precedence);
        continue;
      }
      Offset offset = Advance().offset;
      Parsed right = ParseBinary(precedence + 1);
      if (!right) return {};
      left = Binary(BinaryFunction(kind), offset, std::move(left),
                    std::move(right));
    }
    return left;
  }

  // `first` (op term)*, for op || or &&, as a balanced tree (as cel-go).
  [[gnu::noinline]] Parsed ParseLogicalChain(Parsed first, TokenKind kind,
                                             int precedence) {
    std::vector<Parsed> terms;
    std::vector<Offset> ops;
    terms.push_back(std::move(first));
    while (Peek().kind == kind) {
      ops.push_back(Advance().offset);
      Parsed term = ParseBinary(precedence + 1);
      if (!term) return {};
      terms.push_back(std::move(term));
    }
    return Balance(BinaryFunction(kind), terms, ops, 0,
                   static_cast<int>(ops.size()) - 1);
  }

  // cel-go's balancer: terms[lo..hi+1] joined by ops[lo..hi].
  Parsed Balance(const char* name, std::vector<Parsed>& terms,
                 const std::vector<Offset>& ops, int lo, int hi) {
    int mid = (lo + hi + 1) / 2;
    Parsed left = mid == lo ? std::move(terms[mid])
                            : Balance(name, terms, ops, lo, mid - 1);
    if (!left) return {};
    Parsed right = mid == hi ? std::move(terms[mid + 1])
                             : Balance(name, terms, ops, mid + 1, hi);
    if (!right) return {};
    return Binary(name, ops[mid], std::move(left), std::move(right));
  }

  Parsed ParseUnary() {
    if (Peek().kind == TokenKind::kBang || Peek().kind == TokenKind::kMinus) {
      return ParseUnaryOperators();
    }
    return ParsePostfix(-1);
  }

  // One or more '!' / '-', then their operand.
  [[gnu::noinline]] Parsed ParseUnaryOperators() {
    const size_t first = pos_;
    while (Peek().kind == TokenKind::kBang ||
           Peek().kind == TokenKind::kMinus) {
      Advance();
    }
    size_t count = pos_ - first;
    // A minus right before a number literal is part of it, as in cel-go
    // (so -9223372036854775808 is an int): -1 is a constant, -(1) a call.
    Offset negative = -1;
    if (tokens_[pos_ - 1].kind == TokenKind::kMinus &&
        (Peek().kind == TokenKind::kInt || Peek().kind == TokenKind::kDouble)) {
      negative = tokens_[pos_ - 1].offset;
      --count;
    }
    if (count >= static_cast<size_t>(max_depth_)) {
      // Each operator is a level of the tree, and the operand another.
      DepthError(tokens_[first + max_depth_ - 1].offset);
      return {};
    }
    Parsed operand = ParsePostfix(negative);
    for (size_t i = count; i > 0 && operand; --i) {
      const Token& op_token = tokens_[first + i - 1];
      operand = Unary(
          op_token.kind == TokenKind::kBang ? op::kLogicalNot : op::kNegate,
          op_token.offset, std::move(operand));
    }
    return operand;
  }

  // A name written as a (possibly qualified) identifier: a, a.b.c, .a.b.
  static bool IsQualifiedName(const Expr* e) {
    while (e->kind == ExprKind::kSelect && !e->test_only) e = e->target.get();
    return e->kind == ExprKind::kIdent;
  }

  Parsed ParsePostfix(Offset negative) {
    Parsed operand = ParsePrimary(negative);
    while (operand) {
      switch (Peek().kind) {
        case TokenKind::kDot: {
          Advance();
          const Token& name = Peek();
          if (name.kind == TokenKind::kIdent) {
            Advance();
            if (Peek().kind == TokenKind::kLParen) {
              operand = ParseMemberCall(std::move(operand), name);
            } else {
              operand = Select(std::move(operand), std::string(name.text),
                               name.offset);
            }
          } else if (name.kind == TokenKind::kQuotedIdent) {
            Advance();
            operand = Select(std::move(operand), name.value, name.offset);
          } else {
            Expected("a field name after '.'");
            return {};
          }
          break;
        }
        case TokenKind::kLBracket: {
          Offset offset = Advance().offset;
          Parsed index = ParseExpr();
          if (!index || !Expect(TokenKind::kRBracket, "']'")) return {};
          operand =
              Binary(op::kIndex, offset, std::move(operand), std::move(index));
          break;
        }
        case TokenKind::kLBrace:
          if (IsQualifiedName(operand.expr.get())) {
            Error(Peek().offset,
                  "message construction is not supported (no protobuf "
                  "message types in this CEL subset)");
            return {};
          }
          return operand;
        default:
          return operand;
      }
    }
    return {};
  }

  [[gnu::noinline]] Parsed Select(Parsed operand, std::string field,
                                  Offset offset) {
    auto e = NewExpr(ExprKind::kSelect, offset);
    e->name = std::move(field);
    e->target = std::move(operand.expr);
    return Finish(std::move(e), operand.depth + 1);
  }

  // Parses '(' [Expr {',' Expr}] ')' into *args.
  bool ParseArgs(std::vector<Parsed>* args) {
    Advance();  // '('
    if (Accept(TokenKind::kRParen)) return true;
    while (true) {
      Parsed arg = ParseExpr();
      if (!arg) return false;
      args->push_back(std::move(arg));
      if (Accept(TokenKind::kComma)) continue;
      return ExpectClosing(TokenKind::kRParen, "')'");
    }
  }

  [[gnu::noinline]] Parsed ParseMemberCall(Parsed target, const Token& name) {
    std::vector<Parsed> args;
    if (!ParseArgs(&args)) return {};
    std::string_view fn = name.text;
    size_t n = args.size();
    if (((fn == "all" || fn == "exists" || fn == "exists_one" ||
          fn == "filter") &&
         n == 2) ||
        (fn == "map" && (n == 2 || n == 3))) {
      return ExpandComprehension(fn, name.offset, std::move(target),
                                 std::move(args));
    }
    return Call(std::string(fn), name.offset, std::move(target),
                std::move(args));
  }

  // The comprehension macros, expanded as cel-go does (see the brief in
  // ast.h); every node the expansion adds is at the macro name's offset.
  [[gnu::noinline]] Parsed ExpandComprehension(std::string_view macro,
                                               Offset at, Parsed range,
                                               std::vector<Parsed> args) {
    Parsed& var = args[0];
    if (var.expr->kind != ExprKind::kIdent || var.expr->name.empty() ||
        var.expr->name[0] == '.') {
      Error(var.expr->offset, "invalid argument to " + std::string(macro) +
                                  "() macro: the first argument must be a "
                                  "simple name (the iteration variable)");
      return {};
    }
    std::string iter_var = var.expr->name;
    if (iter_var == kAccumulatorName) {
      Error(var.expr->offset,
            "iteration variable overwrites accumulator variable '" + iter_var +
                "'");
      return {};
    }
    auto one = [](Parsed p) {
      std::vector<Parsed> v;
      v.push_back(std::move(p));
      return v;
    };
    auto list_of = [&](Parsed p) {
      return Aggregate(ExprKind::kList, at, one(std::move(p)));
    };
    auto append = [&](Parsed element) {  // __result__ + [element]
      return Binary(op::kAdd, at, Accu(at), list_of(std::move(element)));
    };
    auto conditional = [&](Parsed cond, Parsed a, Parsed b) {
      std::vector<Parsed> v;
      v.push_back(std::move(cond));
      v.push_back(std::move(a));
      v.push_back(std::move(b));
      return Call(op::kConditional, at, std::move(v));
    };
    Parsed init, condition, step, result;
    if (macro == "all") {
      init = BoolConst(true, at);
      condition = Call(op::kNotStrictlyFalse, at, one(Accu(at)));
      step = Binary(op::kLogicalAnd, at, Accu(at), std::move(args[1]));
      result = Accu(at);
    } else if (macro == "exists") {
      init = BoolConst(false, at);
      condition = Call(op::kNotStrictlyFalse, at,
                       one(Unary(op::kLogicalNot, at, Accu(at))));
      step = Binary(op::kLogicalOr, at, Accu(at), std::move(args[1]));
      result = Accu(at);
    } else if (macro == "exists_one") {
      init = IntConst(0, at);
      condition = BoolConst(true, at);
      step = conditional(std::move(args[1]),
                         Binary(op::kAdd, at, Accu(at), IntConst(1, at)),
                         Accu(at));
      result = Binary(op::kEquals, at, Accu(at), IntConst(1, at));
    } else if (macro == "map") {
      init = Aggregate(ExprKind::kList, at, {});
      condition = BoolConst(true, at);
      if (args.size() == 2) {
        step = append(std::move(args[1]));
      } else {
        step = conditional(std::move(args[1]), append(std::move(args[2])),
                           Accu(at));
      }
      result = Accu(at);
    } else {  // filter
      init = Aggregate(ExprKind::kList, at, {});
      condition = BoolConst(true, at);
      step =
          conditional(std::move(args[1]), append(std::move(args[0])), Accu(at));
      result = Accu(at);
    }
    return Comprehension(at, std::move(iter_var), std::move(range),
                         std::move(init), std::move(condition), std::move(step),
                         std::move(result));
  }

  Parsed ParsePrimary(Offset negative) {
    const Token& t = Peek();
    switch (t.kind) {
      case TokenKind::kInt:
        Advance();
        return IntLiteral(t, negative);
      case TokenKind::kUint:
        Advance();
        return UintLiteral(t);
      case TokenKind::kDouble:
        Advance();
        return DoubleLiteral(t, negative);
      case TokenKind::kString:
      case TokenKind::kBytes: {
        Advance();
        auto e = NewExpr(ExprKind::kConstant, t.offset);
        e->constant.kind = t.kind == TokenKind::kString
                               ? Constant::Kind::kString
                               : Constant::Kind::kBytes;
        e->constant.string_value = t.value;
        return Leaf(std::move(e));
      }
      case TokenKind::kTrue:
      case TokenKind::kFalse:
        Advance();
        return BoolConst(t.kind == TokenKind::kTrue, t.offset);
      case TokenKind::kNull: {
        Advance();
        return Leaf(NewExpr(ExprKind::kConstant, t.offset));
      }
      case TokenKind::kDot: {
        Advance();
        if (Peek().kind != TokenKind::kIdent) {
          Expected("a name after the leading '.'");
          return {};
        }
        return ParseName(/*leading_dot=*/true);
      }
      case TokenKind::kIdent:
        return ParseName(/*leading_dot=*/false);
      case TokenKind::kLParen: {
        Advance();
        Parsed inner = ParseExpr();
        if (!inner || !Expect(TokenKind::kRParen, "')'")) return {};
        return inner;
      }
      case TokenKind::kLBracket:
        return ParseList();
      case TokenKind::kLBrace:
        return ParseMap();
      default:
        Unexpected(t);
        return {};
    }
  }

  // An identifier or a global call; the identifier token is at pos_.
  [[gnu::noinline]] Parsed ParseName(bool leading_dot) {
    const Token& id = Advance();
    if (IsReserved(id.text)) {
      Error(id.offset, "'" + std::string(id.text) +
                           "' is a reserved word and cannot be used as a "
                           "name");
      return {};
    }
    std::string name = leading_dot ? "." : "";
    name.append(id.text);
    if (Peek().kind != TokenKind::kLParen) {
      return Ident(std::move(name), id.offset);
    }
    std::vector<Parsed> args;
    if (!ParseArgs(&args)) return {};
    if (name == "has" && args.size() == 1) {
      Parsed& arg = args[0];
      if (arg.expr->kind != ExprKind::kSelect || arg.expr->test_only) {
        Error(arg.expr->offset,
              "invalid argument to has() macro: expected a field selection "
              "such as has(event.intent)");
        return {};
      }
      arg.expr->test_only = true;
      arg.expr->offset = id.offset;
      return std::move(arg);
    }
    return Call(std::move(name), id.offset, std::move(args));
  }

  [[gnu::noinline]] Parsed ParseList() {
    Offset offset = Advance().offset;  // '['
    std::vector<Parsed> items;
    while (!Accept(TokenKind::kRBracket)) {
      Parsed item = ParseExpr();
      if (!item) return {};
      items.push_back(std::move(item));
      if (Accept(TokenKind::kComma)) continue;
      if (!ExpectClosing(TokenKind::kRBracket, "']'")) return {};
      break;
    }
    return Aggregate(ExprKind::kList, offset, std::move(items));
  }

  [[gnu::noinline]] Parsed ParseMap() {
    Offset offset = Advance().offset;  // '{'
    std::vector<Parsed> items;
    while (!Accept(TokenKind::kRBrace)) {
      Parsed key = ParseExpr();
      if (!key || !Expect(TokenKind::kColon, "':'")) return {};
      Parsed value = ParseExpr();
      if (!value) return {};
      items.push_back(std::move(key));
      items.push_back(std::move(value));
      if (Accept(TokenKind::kComma)) continue;
      if (!ExpectClosing(TokenKind::kRBrace, "'}'")) return {};
      break;
    }
    return Aggregate(ExprKind::kMap, offset, std::move(items));
  }

  // ---- literals ----

  [[gnu::noinline]] Parsed IntLiteral(const Token& t, Offset negative) {
    std::string_view digits = t.text;
    int base = 10;
    if (digits.size() > 2 && digits[0] == '0' && digits[1] == 'x') {
      digits.remove_prefix(2);
      base = 16;
    }
    uint64_t magnitude = 0;
    bool ok = ParseMagnitude(digits, base, &magnitude);
    constexpr uint64_t kMax =
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    int64_t value = 0;
    if (ok && negative >= 0) {
      if (magnitude <= kMax) {
        value = -static_cast<int64_t>(magnitude);
      } else if (magnitude == kMax + 1) {
        value = std::numeric_limits<int64_t>::min();
      } else {
        ok = false;
      }
    } else if (ok) {
      ok = magnitude <= kMax;
      value = static_cast<int64_t>(magnitude);
    }
    Offset offset = negative >= 0 ? negative : t.offset;
    if (!ok) {
      Error(offset,
            "integer literal out of range (int is 64-bit: "
            "-9223372036854775808 to 9223372036854775807)");
      return {};
    }
    return IntConst(value, offset);
  }

  [[gnu::noinline]] Parsed UintLiteral(const Token& t) {
    std::string_view digits = t.text.substr(0, t.text.size() - 1);  // 'u'
    int base = 10;
    if (digits.size() > 2 && digits[0] == '0' && digits[1] == 'x') {
      digits.remove_prefix(2);
      base = 16;
    }
    uint64_t value = 0;
    if (!ParseMagnitude(digits, base, &value)) {
      Error(t.offset,
            "unsigned integer literal out of range (at most "
            "18446744073709551615u)");
      return {};
    }
    auto e = NewExpr(ExprKind::kConstant, t.offset);
    e->constant.kind = Constant::Kind::kUint;
    e->constant.uint_value = value;
    return Leaf(std::move(e));
  }

  [[gnu::noinline]] Parsed DoubleLiteral(const Token& t, Offset negative) {
    const char* begin = t.text.data();
    const char* end = begin + t.text.size();
    double value = 0;
    auto [ptr, ec] = std::from_chars(begin, end, value);
    Offset offset = negative >= 0 ? negative : t.offset;
    if (ec == std::errc::result_out_of_range) {
      if (IsHugeDecimal(t.text)) {
        Error(offset, "double literal out of range");
        return {};
      }
      value = 0;  // underflow: as Go's ParseFloat, round to zero
    } else if (ec != std::errc() || ptr != end) {
      Error(offset, "invalid double literal");
      return {};
    }
    auto e = NewExpr(ExprKind::kConstant, offset);
    e->constant.kind = Constant::Kind::kDouble;
    e->constant.double_value = negative >= 0 ? -value : value;
    return Leaf(std::move(e));
  }

  // Whether a decimal literal that does not fit a double is too large (as
  // opposed to too small): its decimal exponent is positive.
  static bool IsHugeDecimal(std::string_view text) {
    int64_t exponent = 0;  // position of the first nonzero digit
    bool seen_nonzero = false, after_point = false;
    size_t i = 0;
    for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i) {
      char c = text[i];
      if (c == '.') {
        after_point = true;
      } else if (!seen_nonzero) {
        if (c != '0') {
          seen_nonzero = true;
          if (!after_point) exponent = 1;
        } else if (after_point) {
          --exponent;
        }
      } else if (!after_point) {
        ++exponent;
      }
    }
    if (!seen_nonzero) return false;
    if (i < text.size()) {
      int64_t e = 0;
      bool minus = false;
      for (++i; i < text.size(); ++i) {
        if (text[i] == '-') {
          minus = true;
        } else if (text[i] != '+') {
          e = std::min<int64_t>(e * 10 + (text[i] - '0'), 1000000000);
        }
      }
      exponent += minus ? -e : e;
    }
    return exponent > 0;
  }

  const int max_depth_;
  const TokenList& tokens_;  // owned by Parse()
  std::vector<Issue>* issues_;
  size_t pos_ = 0;
  int nesting_ = 0;
  int64_t next_id_ = 1;
  bool failed_ = false;
};

}  // namespace

ParseResult Parse(std::string_view text, const ParseOptions& options) {
  ParseResult result;
  constexpr size_t kOffsetLimit =
      static_cast<size_t>(std::numeric_limits<Offset>::max());
  const size_t limit = std::min(
      static_cast<size_t>(std::max(options.max_length, 0)), kOffsetLimit);
  if (text.size() > limit) {
    result.issues.push_back(
        {0, "expression too long (" + std::to_string(text.size()) +
                " bytes; the limit is " + std::to_string(limit) + ")"});
    return result;
  }
  std::vector<Issue> lex_issues;
  const TokenList tokens = Lex(text, &lex_issues);
  std::vector<Issue> parse_issues;
  std::unique_ptr<Expr> expr = Parser(options, tokens, &parse_issues).Run();
  // Lexical mistakes after the parser's first error are often its
  // consequences (an apostrophe in 'it's' opens a string that never ends):
  // leave them out.
  if (!parse_issues.empty()) {
    Offset cutoff = parse_issues.front().offset;
    lex_issues.erase(std::remove_if(lex_issues.begin(), lex_issues.end(),
                                    [&](const Issue& issue) {
                                      return issue.offset > cutoff;
                                    }),
                     lex_issues.end());
  }
  result.issues = std::move(lex_issues);
  result.issues.insert(result.issues.end(),
                       std::make_move_iterator(parse_issues.begin()),
                       std::make_move_iterator(parse_issues.end()));
  std::stable_sort(
      result.issues.begin(), result.issues.end(),
      [](const Issue& a, const Issue& b) { return a.offset < b.offset; });
  if (!result.issues.empty()) return result;
  if (expr == nullptr) {  // cannot happen: every failure is reported
    result.issues.push_back({0, "syntax error"});
    return result;
  }
  result.expr = std::move(expr);
  return result;
}

}  // namespace switchboard::cel
