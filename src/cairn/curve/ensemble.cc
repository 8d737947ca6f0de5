#include "cairn/curve/ensemble.h"

#include <algorithm>
#include <cmath>

#include "cairn/curve/families.h"

namespace cairn::curve_internal {
namespace {

struct Member {
  CurveFamily family;
  double u;      // prediction at the target, normalised
  double var;    // residual variance, normalised
  double aicc;
};

// Residual variance of a fit, normalised, with n - k degrees of freedom.
double ResidualVariance(const FamilyFit& f) {
  double r = f.rmse / f.scale.y_scale;
  int k = SpecOf(f.family).info.num_params;
  return r * r * f.num_points / std::max(f.num_points - k, 1);
}

std::vector<Member> Survivors(std::span<const FamilyFit> fits, double x_target, double u_cap,
                              int* dropped) {
  std::vector<Member> out;
  for (const auto& f : fits) {
    if (!f.ok) continue;
    double u = SpecOf(f.family).eval(f.params.data(), x_target);
    // Below -0.5 is far under the worst value seen by rising families.
    if (!std::isfinite(u) || u > u_cap + 1e-9 || u < -0.5) {
      ++*dropped;
      continue;
    }
    out.push_back({f.family, u, ResidualVariance(f), f.aicc});
  }
  return out;
}

}  // namespace

EnsembleEstimate Combine(std::span<const FamilyFit> fits, int64_t target_step, double x_first,
                         double x_last, double u_cap) {
  EnsembleEstimate e;
  if (fits.empty()) return e;
  const CurveScale& scale = fits.front().scale;
  double x_target = scale.X(target_step);
  std::vector<Member> members = Survivors(fits, x_target, u_cap, &e.dropped);
  if (members.empty()) return e;

  double best_aicc = members.front().aicc;
  for (const auto& m : members) best_aicc = std::min(best_aicc, m.aicc);
  std::vector<double> w(members.size());
  double total = 0;
  for (size_t i = 0; i < members.size(); ++i) total += w[i] = std::exp(-0.5 * (members[i].aicc - best_aicc));

  // Parameter uncertainty grows with the distance of the target from the
  // data: the classical prediction-variance factor of a straight-line fit to
  // n evenly spaced points, 1 + 1/n + 12 d^2 / n, with d the distance of
  // the target from the middle of the fitted span in units of that span. A
  // proxy (the families are not lines), but it has the right shape: wide far
  // out from few points, close to the noise alone near well-observed data.
  double n = static_cast<double>(fits.front().num_points);
  double d = (x_target - 0.5 * (x_first + x_last)) / std::max(x_last - x_first, 1.0);
  double inflation = 1 + 1 / n + 12 * d * d / n;
  double mean_u = 0;
  for (size_t i = 0; i < members.size(); ++i) mean_u += (w[i] /= total) * members[i].u;
  double var_u = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    double spread = members[i].u - mean_u;
    var_u += w[i] * (members[i].var * inflation + spread * spread);
  }
  e.ok = true;
  e.mean = scale.Value(mean_u);
  e.stddev = scale.y_scale * std::sqrt(var_u);
  for (size_t i = 0; i < members.size(); ++i) {
    e.members.push_back({members[i].family, w[i], scale.Value(members[i].u)});
  }
  std::stable_sort(e.members.begin(), e.members.end(),
                   [](const FamilyEstimate& a, const FamilyEstimate& b) { return a.weight > b.weight; });
  return e;
}

}  // namespace cairn::curve_internal
