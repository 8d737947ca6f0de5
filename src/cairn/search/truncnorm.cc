#include "cairn/search/truncnorm.h"

#include <cmath>
#include <limits>
#include <utility>

namespace cairn::search::truncnorm {
namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kLogSqrt2Pi = 0.91893853320467274178;

double Ndtr(double a) { return 0.5 * std::erfc(-a * kInvSqrt2); }

// log(exp(p) - exp(q)) for p >= q.
double LogDiff(double p, double q) { return p + std::log1p(-std::exp(q - p)); }

// log(exp(p) + exp(q)).
double LogSum(double p, double q) {
  if (p < q) std::swap(p, q);
  if (q == -std::numeric_limits<double>::infinity()) return p;
  return p + std::log1p(std::exp(q - p));
}

// Asymptotic series of log Phi(a) for a <= -20, where erfc underflows.
double LogNdtrFarLeft(double a) {
  double log_lhs = -0.5 * a * a - std::log(-a) - kLogSqrt2Pi;
  double last = 0.0, rhs = 1.0, numerator = 1.0, denom = 1.0;
  const double denom_cons = 1.0 / (a * a);
  double sign = 1.0;
  for (int i = 1; i < 100 && std::fabs(last - rhs) > std::numeric_limits<double>::epsilon(); ++i) {
    last = rhs;
    sign = -sign;
    denom *= denom_cons;
    numerator *= 2.0 * i - 1.0;
    rhs += sign * numerator * denom;
  }
  return log_lhs + std::log(rhs);
}

// x with log Phi(x) = y, by bisection (log Phi is increasing).
double NdtriExp(double y) {
  double lo = -100.0, hi = 100.0;
  for (int i = 0; i < 100; ++i) {
    double mid = 0.5 * (lo + hi);
    if (mid == lo || mid == hi) break;
    (LogNdtr(mid) < y ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

double LogNdtr(double a) {
  if (a > 6) return -Ndtr(-a);  // log(1 - e) ~ -e
  if (a > -20) return std::log(Ndtr(a));
  return LogNdtrFarLeft(a);
}

double LogGaussMass(double a, double b) {
  // Work in the left tail, where Phi is accurate; the central case avoids
  // the cancellation of 1 - small - small.
  if (b <= 0) return LogDiff(LogNdtr(b), LogNdtr(a));
  if (a > 0) return LogDiff(LogNdtr(-a), LogNdtr(-b));
  return std::log1p(-Ndtr(a) - Ndtr(-b));
}

double Ppf(double q, double a, double b) {
  if (q <= 0) return a;
  if (q >= 1) return b;
  double x;
  if (a < 0) {
    x = NdtriExp(LogSum(LogNdtr(a), std::log(q) + LogGaussMass(a, b)));
  } else {
    x = -NdtriExp(LogSum(LogNdtr(-b), std::log1p(-q) + LogGaussMass(a, b)));
  }
  return std::fmin(std::fmax(x, a), b);
}

double LogPdf(double x, double a, double b, double loc, double scale) {
  double z = (x - loc) / scale;
  if (z < a || z > b) return -std::numeric_limits<double>::infinity();
  return -0.5 * z * z - kLogSqrt2Pi - LogGaussMass(a, b) - std::log(scale);
}

}  // namespace cairn::search::truncnorm
