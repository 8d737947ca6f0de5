// Recursive-descent parser of the query language:
//
//   expr    := and ( OR and )*
//   and     := not ( AND not )*
//   not     := NOT not | primary
//   primary := '(' expr ')' | EXISTS field | field IS [NOT] NULL
//            | field op literal | field [NOT] IN '(' literal (',' literal)* ')'
//            | field (~ | !~) string
#include <algorithm>
#include <cctype>
#include <map>
#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "cairn/query/ast.h"

namespace cairn::query {

namespace {

bool IsKeyword(const Token& t, std::string_view word) {
  if (t.kind != TokenKind::kIdent || t.text.size() != word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(t.text[i])) != word[i]) return false;
  }
  return true;
}

bool IsReserved(const Token& t) {
  for (std::string_view w : {"AND", "OR", "NOT", "IN", "EXISTS", "IS", "NULL", "TRUE", "FALSE"}) {
    if (IsKeyword(t, w)) return true;
  }
  return false;
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd: return "the end";
    case TokenKind::kString: return fmt::format("\"{}\"", t.text);
    default: return fmt::format("'{}'", t.text);
  }
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens, std::vector<std::string>* fields)
      : text_(text), tokens_(std::move(tokens)), fields_(fields) {}

  Result<std::unique_ptr<Expr>> Run() {
    CAIRN_ASSIGN_OR_RETURN(auto e, Or());
    if (Cur().kind != TokenKind::kEnd) {
      return Error(Cur(), fmt::format("expected AND, OR or the end, found {}", Describe(Cur())));
    }
    return e;
  }

 private:
  const Token& Cur() const { return tokens_[pos_]; }
  const Token& Prev() const { return tokens_[pos_ - 1]; }
  void Advance() { if (Cur().kind != TokenKind::kEnd) ++pos_; }
  Status Error(const Token& at, std::string_view message) const { return QueryError(text_, at.offset, message); }

  static std::unique_ptr<Expr> Binary(Expr::Kind kind, std::unique_ptr<Expr> a, std::unique_ptr<Expr> b) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->lhs = std::move(a);
    e->rhs = std::move(b);
    return e;
  }

  Result<std::unique_ptr<Expr>> Or() {
    CAIRN_ASSIGN_OR_RETURN(auto lhs, And());
    while (IsKeyword(Cur(), "OR")) {
      Advance();
      CAIRN_ASSIGN_OR_RETURN(auto rhs, And());
      lhs = Binary(Expr::Kind::kOr, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  Result<std::unique_ptr<Expr>> And() {
    CAIRN_ASSIGN_OR_RETURN(auto lhs, Not());
    while (IsKeyword(Cur(), "AND")) {
      Advance();
      CAIRN_ASSIGN_OR_RETURN(auto rhs, Not());
      lhs = Binary(Expr::Kind::kAnd, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  Result<std::unique_ptr<Expr>> Not() {
    if (!IsKeyword(Cur(), "NOT")) return Primary();
    Advance();
    CAIRN_ASSIGN_OR_RETURN(auto inner, Not());
    return Binary(Expr::Kind::kNot, std::move(inner), nullptr);
  }

  Result<std::unique_ptr<Expr>> Primary() {
    if (Cur().kind == TokenKind::kLParen) {
      const Token& open = Cur();
      Advance();
      CAIRN_ASSIGN_OR_RETURN(auto e, Or());
      if (Cur().kind != TokenKind::kRParen) {
        return Error(Cur(), fmt::format("expected ')' to close the '(' at column {}, found {}",
                                        open.offset + 1, Describe(Cur())));
      }
      Advance();
      return e;
    }
    auto e = std::make_unique<Expr>();
    if (IsKeyword(Cur(), "EXISTS")) {
      Advance();
      CAIRN_TRY(ReadField(e.get(), "EXISTS"));
      e->op = CompareOp::kExists;
      return e;
    }
    CAIRN_TRY(ReadField(e.get(), ""));
    CAIRN_TRY(ReadComparison(e.get()));
    return e;
  }

  Status ReadField(Expr* e, std::string_view after) {
    const Token& t = Cur();
    if (t.kind != TokenKind::kIdent || IsReserved(t)) {
      return Error(t, after.empty() ? fmt::format("expected a field name, found {}", Describe(t))
                                    : fmt::format("expected a field name after {}, found {}", after, Describe(t)));
    }
    auto field = ParseField(t.text);
    if (!field.ok()) return Error(t, field.status().message());
    e->field = std::move(*field);
    if (std::find(fields_->begin(), fields_->end(), e->field.text) == fields_->end()) {
      fields_->push_back(e->field.text);
    }
    Advance();
    return Status::Ok();
  }

  Status ReadComparison(Expr* e) {
    const Token& t = Cur();
    if (IsKeyword(t, "IS")) {
      Advance();
      bool negated = IsKeyword(Cur(), "NOT");
      if (negated) Advance();
      if (!IsKeyword(Cur(), "NULL")) return Error(Cur(), fmt::format("expected NULL after IS, found {}", Describe(Cur())));
      Advance();
      e->op = negated ? CompareOp::kExists : CompareOp::kIsNull;
      return Status::Ok();
    }
    if (IsKeyword(t, "IN")) return ReadInList(e, CompareOp::kIn);
    if (IsKeyword(t, "NOT")) {
      Advance();
      if (!IsKeyword(Cur(), "IN")) return Error(Cur(), fmt::format("expected IN after NOT, found {}", Describe(Cur())));
      return ReadInList(e, CompareOp::kNotIn);
    }
    if (t.kind != TokenKind::kOp) {
      return Error(t, fmt::format("expected a comparison (=, !=, <, <=, >, >=, ~, IN, IS NULL) after '{}', found {}",
                                  e->field.text, Describe(t)));
    }
    static const std::map<std::string_view, CompareOp> kOps = {
        {"=", CompareOp::kEq}, {"==", CompareOp::kEq}, {"!=", CompareOp::kNe},
        {"<", CompareOp::kLt}, {"<=", CompareOp::kLe}, {">", CompareOp::kGt},
        {">=", CompareOp::kGe}, {"~", CompareOp::kMatch}, {"!~", CompareOp::kNotMatch}};
    e->op = kOps.at(t.text);
    Advance();
    if (e->op == CompareOp::kMatch || e->op == CompareOp::kNotMatch) return ReadRegex(e, t);
    CAIRN_ASSIGN_OR_RETURN(Literal lit, ReadLiteral(e->field, t));
    e->literals.push_back(std::move(lit));
    return Status::Ok();
  }

  Status ReadRegex(Expr* e, const Token& op) {
    const Token& t = Cur();
    if (t.kind != TokenKind::kString) {
      return Error(t, fmt::format("expected a quoted regular expression after '{}', found {}", op.text, Describe(t)));
    }
    RE2::Options options;
    options.set_log_errors(false);
    e->regex = std::make_unique<RE2>(t.text, options);
    if (!e->regex->ok()) return Error(t, fmt::format("bad regular expression: {}", e->regex->error()));
    Advance();
    return Status::Ok();
  }

  Status ReadInList(Expr* e, CompareOp op) {
    Advance();
    e->op = op;
    if (Cur().kind != TokenKind::kLParen) return Error(Cur(), fmt::format("expected '(' after IN, found {}", Describe(Cur())));
    Advance();
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(Literal lit, ReadLiteral(e->field, Prev()));
      e->literals.push_back(std::move(lit));
      if (Cur().kind == TokenKind::kComma) {
        Advance();
        continue;
      }
      if (Cur().kind == TokenKind::kRParen) break;
      return Error(Cur(), fmt::format("expected ',' or ')' in the IN list, found {}", Describe(Cur())));
    }
    Advance();
    return Status::Ok();
  }

  // A literal after `after` (the operator, for the message). Date fields
  // turn strings into seconds since the epoch here, so a bad date is
  // reported at its column.
  Result<Literal> ReadLiteral(const Field& field, const Token& after) {
    const Token& t = Cur();
    Literal lit;
    if (t.kind == TokenKind::kNumber) {
      lit.number = t.number;
    } else if (t.kind == TokenKind::kString) {
      lit.type = Value::Type::kString;
      lit.str = t.text;
      if (field.IsDate()) {
        auto date = ParseDate(t.text);
        if (!date) return Error(t, fmt::format("'{}' is a date: expected \"YYYY-MM-DD[ HH:MM[:SS]]\", found \"{}\"", field.text, t.text));
        lit = Literal{Value::Type::kNumber, *date, false, {}};
      }
      // A misspelt state would match nothing and look like an answer.
      if (field.kind == FieldKind::kState && !ParseTrialState(t.text)) {
        return Error(t, fmt::format("'{}' is not a trial state: expected queued, running, completed, stopped, "
                                    "failed, interrupted or lost", t.text));
      }
    } else if (IsKeyword(t, "TRUE") || IsKeyword(t, "FALSE")) {
      lit.type = Value::Type::kBool;
      lit.boolean = IsKeyword(t, "TRUE");
    } else {
      return Error(t, fmt::format("expected a value after '{}'", after.text));
    }
    Advance();
    return lit;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::vector<std::string>* fields_;
};

bool ReadInt(std::string_view s, size_t pos, size_t len, int* out) {
  if (pos + len > s.size()) return false;
  auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, *out);
  return ec == std::errc() && p == s.data() + pos + len;
}

}  // namespace

std::optional<double> ParseDate(std::string_view s) {
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!ReadInt(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !ReadInt(s, 5, 2, &mo) || s[7] != '-' ||
      !ReadInt(s, 8, 2, &d)) {
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return v;
    return std::nullopt;
  }
  std::string_view rest = s.substr(10);
  if (!rest.empty()) {
    if ((rest[0] != 'T' && rest[0] != ' ') || !ReadInt(rest, 1, 2, &h) || rest.size() < 6 || rest[3] != ':' ||
        !ReadInt(rest, 4, 2, &mi)) {
      return std::nullopt;
    }
    rest = rest.substr(6);
    if (!rest.empty() && rest[0] == ':') {
      if (!ReadInt(rest, 1, 2, &sec)) return std::nullopt;
      rest = rest.substr(3);
    }
    if (rest == "Z") rest = {};
    if (!rest.empty()) return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<double>(timegm(&tm));
}

Result<std::unique_ptr<Expr>> ParseExpr(std::string_view text, std::vector<std::string>* fields) {
  CAIRN_ASSIGN_OR_RETURN(auto tokens, Lex(text));
  if (tokens.size() == 1) return QueryError(text, 0, "empty query");
  return Parser(text, std::move(tokens), fields).Run();
}

}  // namespace cairn::query
