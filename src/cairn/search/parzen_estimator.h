// One parameter's Parzen estimator: the density l(x) or g(x) of TPE.
//
// Follows Optuna's univariate _ParzenEstimator (Bergstra et al. 2011): for
// numbers, a weighted mixture of normals truncated to the parameter's range
// in internal (log for log parameters) space, one per observation, each as
// wide as the larger gap to its sorted neighbours, plus a wide prior
// component; stepped and integer parameters use the mass of their grid cell.
// For categoricals, each observation is a smoothed one-hot row, plus a
// uniform prior row.
#pragma once

#include <vector>

#include "cairn/search/rng.h"
#include "cairn/space.h"

namespace cairn::search {

struct ParzenOptions {
  double prior_weight = 1.0;        // weight of the prior component (> 0)
  bool consider_magic_clip = true;  // floor widths at range / min(100, 1 + n)
  bool consider_endpoints = false;  // let the range ends widen the outer components
};

// Optuna's default_weights: 1 each below 25 observations; above, the 25
// newest get 1 and older ones ramp up from 1/n. Oldest first.
std::vector<double> DefaultWeights(size_t n);

class ParzenEstimator {
 public:
  // `observations` are internal values (param_codec.h), oldest first.
  // REQUIRES: the parameter can take more than one value.
  ParzenEstimator(const ParamSpec& spec, const std::vector<double>& observations,
                  const ParzenOptions& options);

  // One draw, in internal form, already snapped onto the parameter's values.
  double Sample(Rng& rng) const;
  // log density (log mass for grids and choices) at internal point x.
  double LogPdf(double x) const;

 private:
  void FitNumeric(const std::vector<double>& obs, const ParzenOptions& options);
  double NumericLogPdf(double x) const;
  double CategoricalLogPdf(double x) const;

  const ParamSpec& spec_;
  std::vector<double> weights_;  // normalized; the prior is last
  std::vector<double> log_weights_;
  // Numbers: the range in internal space, the grid step (0 when continuous),
  // and per component its centre, width and log mass inside the range.
  double low_ = 0, high_ = 0, q_ = 0;
  std::vector<double> mus_, sigmas_, log_masses_;
  // Categoricals: observed choice per component (-1 for the prior) and
  // the smoothing added to every cell of a row before normalizing.
  std::vector<int> choice_;
  double smoothing_ = 0;
};

}  // namespace cairn::search
