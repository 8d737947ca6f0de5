#include "cairn/search/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "cairn/search/param_codec.h"
#include "cairn/search/truncnorm.h"

namespace cairn::search {
namespace {

constexpr double kEps = 1e-12;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// The range in internal space over which components are truncated, and
// the grid step there (0 when continuous); Optuna's _calculate_parzen_bounds.
void ParzenBounds(const ParamSpec& spec, double* low, double* high, double* q) {
  bool is_int = spec.kind == ParamKind::kInt;
  double lo = is_int ? std::ceil(spec.low) : spec.low;
  double hi = is_int ? std::floor(spec.high) : spec.high;
  *q = 0;
  if (spec.log) {
    double pad = is_int ? 0.5 : 0.0;
    *low = std::log(lo - pad);
    *high = std::log(hi + pad);
    return;
  }
  if (is_int || spec.step) *q = spec.step.value_or(1.0);
  *low = lo - 0.5 * *q;
  *high = hi + 0.5 * *q;
}

double LogSumExp(const std::vector<double>& v) {
  double m = *std::max_element(v.begin(), v.end());
  if (m == kNegInf) return kNegInf;
  double s = 0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}

// Widths from sorted neighbours (Optuna's univariate rule), then clipped.
std::vector<double> NeighbourSigmas(const std::vector<double>& mus, double low, double high,
                                    const ParzenOptions& options) {
  const size_t n = mus.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return mus[a] < mus[b]; });
  std::vector<double> ext(n + 2);  // sorted mus with the range ends around them
  ext[0] = low;
  ext[n + 1] = high;
  for (size_t i = 0; i < n; ++i) ext[i + 1] = mus[order[i]];
  std::vector<double> sorted(n);
  for (size_t i = 0; i < n; ++i) sorted[i] = std::max(ext[i + 1] - ext[i], ext[i + 2] - ext[i + 1]);
  if (!options.consider_endpoints && ext.size() >= 4) {
    sorted[0] = ext[2] - ext[1];
    sorted[n - 1] = ext[n] - ext[n - 1];
  }
  double max_sigma = high - low;
  double min_sigma = options.consider_magic_clip
                         ? (high - low) / std::min(100.0, 1.0 + static_cast<double>(n))
                         : kEps;
  std::vector<double> sigmas(n);
  for (size_t i = 0; i < n; ++i) sigmas[order[i]] = std::clamp(sorted[i], min_sigma, max_sigma);
  return sigmas;
}

}  // namespace

std::vector<double> DefaultWeights(size_t n) {
  if (n < 25) return std::vector<double>(n, 1.0);
  std::vector<double> w(n, 1.0);
  const size_t ramp = n - 25;  // np.linspace(1/n, 1, ramp)
  const double start = 1.0 / static_cast<double>(n);
  for (size_t i = 0; i < ramp; ++i) {
    w[i] = ramp == 1 ? start : start + (1.0 - start) * static_cast<double>(i) / static_cast<double>(ramp - 1);
  }
  return w;
}

ParzenEstimator::ParzenEstimator(const ParamSpec& spec, const std::vector<double>& obs,
                                 const ParzenOptions& options)
    : spec_(spec) {
  weights_ = DefaultWeights(obs.size());
  weights_.push_back(options.prior_weight);
  double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  for (double& w : weights_) {
    w /= total;
    log_weights_.push_back(std::log(w));
  }
  if (spec.kind == ParamKind::kCategorical) {
    for (double x : obs) choice_.push_back(static_cast<int>(x));
    choice_.push_back(-1);
    smoothing_ = options.prior_weight / static_cast<double>(obs.size() + 1);
  } else {
    FitNumeric(obs, options);
  }
}

void ParzenEstimator::FitNumeric(const std::vector<double>& obs, const ParzenOptions& options) {
  ParzenBounds(spec_, &low_, &high_, &q_);
  mus_ = obs;
  mus_.push_back(0.5 * (low_ + high_));  // the prior: centred, as wide as the range
  sigmas_ = NeighbourSigmas(mus_, low_, high_, options);
  sigmas_.back() = high_ - low_;
  for (size_t i = 0; i < mus_.size(); ++i) {
    log_masses_.push_back(truncnorm::LogGaussMass((low_ - mus_[i]) / sigmas_[i],
                                                  (high_ - mus_[i]) / sigmas_[i]));
  }
}

double ParzenEstimator::Sample(Rng& rng) const {
  size_t i = rng.Pick(weights_);
  if (spec_.kind == ParamKind::kCategorical) {
    const size_t k = spec_.choices.size();
    if (choice_[i] < 0) return static_cast<double>(rng.Below(k));
    std::vector<double> row(k, smoothing_);
    row[static_cast<size_t>(choice_[i])] += 1.0;
    return static_cast<double>(rng.Pick(row));
  }
  double a = (low_ - mus_[i]) / sigmas_[i], b = (high_ - mus_[i]) / sigmas_[i];
  double x = mus_[i] + sigmas_[i] * truncnorm::Ppf(rng.UniformOpen01(), a, b);
  // Snap onto the values the parameter can take, as Optuna rounds before scoring.
  return *Encode(spec_, Decode(spec_, x));
}

double ParzenEstimator::LogPdf(double x) const {
  return spec_.kind == ParamKind::kCategorical ? CategoricalLogPdf(x) : NumericLogPdf(x);
}

double ParzenEstimator::CategoricalLogPdf(double x) const {
  const int c = static_cast<int>(std::lround(x));
  const double k = static_cast<double>(spec_.choices.size());
  const double row_total = smoothing_ * k + 1.0;
  double p = 0;
  for (size_t i = 0; i < choice_.size(); ++i) {
    double cell = choice_[i] < 0 ? 1.0 / k : (smoothing_ + (choice_[i] == c ? 1.0 : 0.0)) / row_total;
    p += weights_[i] * cell;
  }
  return std::log(p);
}

double ParzenEstimator::NumericLogPdf(double x) const {
  std::vector<double> terms(mus_.size());
  for (size_t i = 0; i < mus_.size(); ++i) {
    double mu = mus_[i], sigma = sigmas_[i];
    double lp;
    if (q_ > 0) {
      double lo = std::max(x - 0.5 * q_, low_), hi = std::min(x + 0.5 * q_, high_);
      lp = lo >= hi ? kNegInf : truncnorm::LogGaussMass((lo - mu) / sigma, (hi - mu) / sigma) - log_masses_[i];
    } else {
      double z = (x - mu) / sigma;
      lp = (x < low_ || x > high_) ? kNegInf
                                    : -0.5 * z * z - 0.91893853320467274178 - log_masses_[i] - std::log(sigma);
    }
    terms[i] = log_weights_[i] + lp;
  }
  return LogSumExp(terms);
}

}  // namespace cairn::search
