#include "cairn/schedule/final_predictor.h"

#include <algorithm>
#include <cmath>

namespace cairn::schedule {

namespace {

// Continued fraction of the regularized incomplete beta (Lentz's method).
double BetaContinuedFraction(double a, double b, double x) {
  const double kTiny = 1e-300;
  double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0, d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 200; ++m) {
    double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < 1e-12) break;
  }
  return h;
}

double RegularizedBeta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                          a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1.0) / (a + b + 2.0)) return front * BetaContinuedFraction(a, b, x) / a;
  return 1.0 - front * BetaContinuedFraction(b, a, 1.0 - x) / b;
}

}  // namespace

double StudentTCdf(double t, double dof) {
  double x = dof / (dof + t * t);
  double tail = 0.5 * RegularizedBeta(dof / 2.0, 0.5, x);
  return t > 0 ? 1.0 - tail : tail;
}

double FinalPrediction::ProbabilityAbove(double threshold) const {
  return 1.0 - StudentTCdf((threshold - mean) / scale, dof);
}

double FinalPrediction::Quantile(double q) const {
  // Bisection on the standardized CDF; 60 halvings are exact to doubles.
  double lo = -1e3, hi = 1e3;
  for (int i = 0; i < 60; ++i) {
    double mid = 0.5 * (lo + hi);
    (StudentTCdf(mid, dof) < q ? lo : hi) = mid;
  }
  return mean + scale * 0.5 * (lo + hi);
}

std::optional<double> LevelAt(const TrialCurve& curve, int64_t step, int window, double sign) {
  auto end = std::upper_bound(curve.points.begin(), curve.points.end(), step,
                              [](int64_t s, const CurvePoint& p) { return s < p.step; });
  if (end == curve.points.begin()) return std::nullopt;
  auto begin = end - std::min<ptrdiff_t>(window, end - curve.points.begin());
  double sum = 0.0;
  for (auto it = begin; it != end; ++it) sum += it->value;
  return sign * sum / static_cast<double>(end - begin);
}

std::optional<FinalPrediction> PredictFinal(const std::vector<const TrialCurve*>& completed,
                                            int64_t step, double level, double sign,
                                            const FinalPredictorOptions& options) {
  std::vector<double> xs, fs;
  for (const TrialCurve* c : completed) {
    std::optional<double> x = LevelAt(*c, step, options.window, sign);
    if (!x || c->points.empty()) continue;
    xs.push_back(*x);
    fs.push_back(sign * c->points.back().value);
  }
  const int n = static_cast<int>(xs.size());
  if (n < std::max(options.min_samples, 3)) return std::nullopt;

  double mx = 0, mf = 0;
  for (int i = 0; i < n; ++i) mx += xs[i], mf += fs[i];
  mx /= n, mf /= n;
  double sxx = 0, sxf = 0;
  for (int i = 0; i < n; ++i) sxx += (xs[i] - mx) * (xs[i] - mx), sxf += (xs[i] - mx) * (fs[i] - mf);
  // With no spread in levels the line is flat: every level predicts the mean.
  double slope = sxx > 0 ? sxf / sxx : 0.0;
  double intercept = mf - slope * mx;
  double sse = 0, fmin = fs[0], fmax = fs[0];
  for (int i = 0; i < n; ++i) {
    double r = fs[i] - (intercept + slope * xs[i]);
    sse += r * r;
    fmin = std::min(fmin, fs[i]), fmax = std::max(fmax, fs[i]);
  }
  double sigma = std::sqrt(sse / (n - 2));
  sigma = std::max(sigma, options.min_scale_fraction * std::max(fmax - fmin, 1e-12 + std::fabs(mf) * 1e-6));
  double leverage = 1.0 + 1.0 / n + (sxx > 0 ? (level - mx) * (level - mx) / sxx : 0.0);

  FinalPrediction p;
  p.mean = intercept + slope * level;
  p.scale = sigma * std::sqrt(leverage);
  p.dof = n - 2;
  p.samples = n;
  return p;
}

}  // namespace cairn::schedule
