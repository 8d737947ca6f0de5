// Evaluating a parsed query against one trial.
//
// Semantics (docs/query.md): a comparison is true when the field has a value
// of the literal's type that satisfies it (any value, for multi-valued
// fields such as gpu.name); a missing field or a value of another type makes
// it false, also for != (use IS NULL for "missing"). NOT negates plainly.
#include <fmt/format.h>

#include "cairn/query/ast.h"

namespace cairn::query {

namespace {

bool Compare(const Value& v, const Literal& lit, CompareOp op) {
  if (v.type != lit.type) return false;
  int c = 0;
  switch (v.type) {
    case Value::Type::kNumber: c = v.number < lit.number ? -1 : (v.number > lit.number ? 1 : 0); break;
    case Value::Type::kString: c = v.str.compare(lit.str); break;
    case Value::Type::kBool: c = static_cast<int>(v.boolean) - static_cast<int>(lit.boolean); break;
  }
  switch (op) {
    case CompareOp::kEq: return c == 0;
    case CompareOp::kNe: return c != 0;
    case CompareOp::kLt: return c < 0;
    case CompareOp::kLe: return c <= 0;
    case CompareOp::kGt: return c > 0;
    case CompareOp::kGe: return c >= 0;
    default: return false;
  }
}

bool Matches(const Value& v, const RE2& re) {
  if (v.type == Value::Type::kString) return RE2::PartialMatch(v.str, re);
  return RE2::PartialMatch(ValueToString(v), re);
}

bool InList(const Value& v, const std::vector<Literal>& list) {
  for (const auto& lit : list) {
    if (Compare(v, lit, CompareOp::kEq)) return true;
  }
  return false;
}

bool EvaluateCompare(const Expr& e, const TrialIndex& index, const IndexedTrial& trial,
                     std::vector<Value>* values) {
  if (e.op == CompareOp::kExists) return FieldPresent(e.field, index, trial, values);
  if (e.op == CompareOp::kIsNull) return !FieldPresent(e.field, index, trial, values);
  values->clear();
  LookupField(e.field, index, trial, values);
  switch (e.op) {
    case CompareOp::kMatch:
      for (const auto& v : *values) if (Matches(v, *e.regex)) return true;
      return false;
    case CompareOp::kNotMatch:
      for (const auto& v : *values) if (!Matches(v, *e.regex)) return true;
      return false;
    case CompareOp::kIn:
      for (const auto& v : *values) if (InList(v, e.literals)) return true;
      return false;
    case CompareOp::kNotIn:
      for (const auto& v : *values) if (!InList(v, e.literals)) return true;
      return false;
    default:
      for (const auto& v : *values) if (Compare(v, e.literals[0], e.op)) return true;
      return false;
  }
}

}  // namespace

bool Evaluate(const Expr& e, const TrialIndex& index, const IndexedTrial& trial, std::vector<Value>* scratch) {
  switch (e.kind) {
    case Expr::Kind::kAnd: return Evaluate(*e.lhs, index, trial, scratch) && Evaluate(*e.rhs, index, trial, scratch);
    case Expr::Kind::kOr: return Evaluate(*e.lhs, index, trial, scratch) || Evaluate(*e.rhs, index, trial, scratch);
    case Expr::Kind::kNot: return !Evaluate(*e.lhs, index, trial, scratch);
    case Expr::Kind::kCompare: return EvaluateCompare(e, index, trial, scratch);
  }
  return false;
}

}  // namespace cairn::query
