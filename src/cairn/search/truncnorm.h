// The truncated normal distribution, in logs, for TPE's Parzen estimators.
//
// A and b are the truncation bounds in standard units ((bound - loc) / scale).
// The tails are computed in log space so that components far from a point
// still compare correctly (Optuna's _truncnorm, after SciPy).
#pragma once

namespace cairn::search::truncnorm {

// log Phi(a), accurate far into both tails.
double LogNdtr(double a);
// log(Phi(b) - Phi(a)), the log mass of the standard normal on [a, b]. REQUIRES: a <= b.
double LogGaussMass(double a, double b);
// The q-quantile (0 < q < 1) of the standard normal truncated to [a, b].
double Ppf(double q, double a, double b);
// log density at x of N(loc, scale^2) truncated to [loc + a*scale, loc + b*scale];
// -infinity outside.
double LogPdf(double x, double a, double b, double loc, double scale);

}  // namespace cairn::search::truncnorm
