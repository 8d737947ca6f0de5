// The parsed form of a query: a tree of AND/OR/NOT over comparisons.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <re2/re2.h>

#include "cairn/query/field.h"
#include "cairn/query/lexer.h"

namespace cairn::query {

enum class CompareOp {
  kEq, kNe, kLt, kLe, kGt, kGe,
  kMatch,     // ~  : RE2 search (unanchored) in the value's text
  kNotMatch,  // !~
  kIn,        // IN (a, b, ...)
  kNotIn,     // NOT IN (...)
  kExists,    // EXISTS field / field IS NOT NULL
  kIsNull,    // field IS NULL
};

// A literal of the query; strings own their text (values view it).
struct Literal {
  Value::Type type = Value::Type::kNumber;
  double number = 0.0;
  bool boolean = false;
  std::string str;

  Value AsValue() const {
    switch (type) {
      case Value::Type::kNumber: return Value::Num(number);
      case Value::Type::kString: return Value::Str(str);
      case Value::Type::kBool: return Value::Bool(boolean);
    }
    return Value::Num(0);
  }
};

struct Expr {
  enum class Kind { kAnd, kOr, kNot, kCompare };
  Kind kind = Kind::kCompare;
  std::unique_ptr<Expr> lhs;  // kAnd, kOr, kNot
  std::unique_ptr<Expr> rhs;  // kAnd, kOr
  // kCompare:
  Field field;
  CompareOp op = CompareOp::kEq;
  std::vector<Literal> literals;  // one, or the IN list
  std::unique_ptr<RE2> regex;     // kMatch, kNotMatch
};

// Parses tokens of `text` into an expression tree; `fields` receives the
// field names in order of first use.
Result<std::unique_ptr<Expr>> ParseExpr(std::string_view text, std::vector<std::string>* fields);

// Parses a date literal: "2026-11-01", "2026-11-01 12:30", "2026-11-01T12:30:05Z"
// (UTC), or a number of seconds since the epoch. nullopt when not a date.
std::optional<double> ParseDate(std::string_view text);

// True when `trial` satisfies `expr`. `scratch` is reused between comparisons.
bool Evaluate(const Expr& expr, const TrialIndex& index, const IndexedTrial& trial,
              std::vector<Value>* scratch);

}  // namespace cairn::query
