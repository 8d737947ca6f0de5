// Student's t distribution, for the prediction intervals of the predictive
// scheduler (Boost.Math underneath).
#pragma once

namespace cairn::schedule {

// P(T <= t) for T with `dof` > 0 degrees of freedom; an infinite dof is the
// standard normal. NaN for a NaN t or a dof that is not > 0.
double StudentTCdf(double t, double dof);

// The p-quantile, p in (0, 1); NaN outside the domain.
double StudentTQuantile(double p, double dof);

}  // namespace cairn::schedule
