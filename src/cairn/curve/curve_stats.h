// Small robust statistics used by the curve models (internal).
#pragma once

#include <span>
#include <vector>

namespace cairn::curve_internal {

// Median of `v` (copied); NaN when empty.
double Median(std::span<const double> v);
// Mean of `v`; NaN when empty.
double Mean(std::span<const double> v);
// Point-noise sigma of a curve, robust to its trend: from the median absolute
// deviation of second differences (white noise of sigma s gives second
// differences of sigma s * sqrt(6)); first differences for 3 points; 0 below.
double NoiseSigma(std::span<const double> v);
// Median of each window of three (the ends keep their own value): removes
// single-point spikes before taking a maximum.
std::vector<double> RunningMedian3(std::span<const double> v);
// The level the predictive scheduler compares trials by (its RecentMean,
// src/cairn/schedule/predictive.h, computes the same one report at a time):
// the mean of the latter half of `v` (the last max(1, n / 2) values), its
// lowest left out once that half holds 3 or more. `v` is signed so that
// higher is better. NaN when empty.
double RecentMeanLevel(std::span<const double> v);
// Spearman's rank correlation of x and y (same size; ties get their mean
// rank). NaN with fewer than 3 pairs or when either side is constant.
double SpearmanCorrelation(std::span<const double> x, std::span<const double> y);
// Standard normal quantile for p in (0, 1).
double NormalQuantile(double p);

}  // namespace cairn::curve_internal
