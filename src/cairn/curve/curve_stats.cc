#include "cairn/curve/curve_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace cairn::curve_internal {

double Median(std::span<const double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> c(v.begin(), v.end());
  size_t mid = c.size() / 2;
  std::nth_element(c.begin(), c.begin() + mid, c.end());
  double hi = c[mid];
  if (c.size() % 2 == 1) return hi;
  double lo = *std::max_element(c.begin(), c.begin() + mid);
  return 0.5 * (lo + hi);
}

double Mean(std::span<const double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

namespace {

// 1.4826 * MAD estimates sigma for normal data.
double RobustSigma(const std::vector<double>& d) {
  double med = Median(d);
  std::vector<double> dev(d.size());
  for (size_t i = 0; i < d.size(); ++i) dev[i] = std::abs(d[i] - med);
  return 1.4826 * Median(dev);
}

}  // namespace

double NoiseSigma(std::span<const double> v) {
  if (v.size() < 3) return 0.0;
  std::vector<double> d;
  if (v.size() == 3) {
    for (size_t i = 1; i < v.size(); ++i) d.push_back(v[i] - v[i - 1]);
    return RobustSigma(d) / std::sqrt(2.0);
  }
  for (size_t i = 1; i + 1 < v.size(); ++i) d.push_back(v[i + 1] - 2 * v[i] + v[i - 1]);
  return RobustSigma(d) / std::sqrt(6.0);
}

std::vector<double> RunningMedian3(std::span<const double> v) {
  std::vector<double> out(v.begin(), v.end());
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    double a = v[i - 1], b = v[i], c = v[i + 1];
    out[i] = std::max(std::min(a, b), std::min(std::max(a, b), c));
  }
  return out;
}

double RecentMeanLevel(std::span<const double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const size_t k = std::max<size_t>(1, v.size() / 2);
  std::span<const double> half = v.last(k);
  double sum = std::accumulate(half.begin(), half.end(), 0.0);
  if (k < 3) return sum / static_cast<double>(k);
  return (sum - *std::min_element(half.begin(), half.end())) / static_cast<double>(k - 1);
}

namespace {

// 1-based ranks, ties sharing their mean rank.
std::vector<double> MeanRanks(std::span<const double> v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    double mean_rank = 0.5 * static_cast<double>(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = mean_rank;
    i = j + 1;
  }
  return rank;
}

}  // namespace

double SpearmanCorrelation(std::span<const double> x, std::span<const double> y) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (x.size() != y.size() || x.size() < 3) return nan;
  std::vector<double> rx = MeanRanks(x), ry = MeanRanks(y);
  const double mx = Mean(rx), my = Mean(ry);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return nan;
  return sxy / std::sqrt(sxx * syy);
}

double NormalQuantile(double p) {
  // Bisection on the CDF: 80 halvings of [-40, 40] is exact to double
  // precision and the call is rare (once per prediction).
  double lo = -40.0, hi = 40.0;
  for (int i = 0; i < 80; ++i) {
    double mid = 0.5 * (lo + hi);
    double cdf = 0.5 * std::erfc(-mid / std::sqrt(2.0));
    (cdf < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace cairn::curve_internal
