// Fitting one family with Ceres, and the family catalogue.
#include <algorithm>
#include <cmath>
#include <mutex>

#include <ceres/loss_function.h>
#include <ceres/problem.h>
#include <ceres/solver.h>
#include <fmt/format.h>
#include <glog/logging.h>

#include "cairn/curve.h"
#include "cairn/curve/families.h"
#include "cairn/curve/points.h"

namespace cairn {
namespace {

using curve_internal::FitData;
using curve_internal::BadSideBound;
using curve_internal::SpecOf;

std::vector<CurveFamilyInfo> BuildInfos() {
  std::vector<CurveFamilyInfo> infos;
  for (const auto& spec : curve_internal::FamilySpecs()) infos.push_back(spec.info);
  return infos;
}

// Ceres logs through glog; a curve fit that hits a bound is not news to
// anyone running a study, so warnings are silenced once per process.
void SilenceGlog() {
  static std::once_flag once;
  std::call_once(once, [] { FLAGS_minloglevel = std::max(FLAGS_minloglevel, 2); });
}

ceres::Solver::Options SolverOptions(const CurveFitOptions& options) {
  ceres::Solver::Options o;
  o.linear_solver_type = ceres::DENSE_QR;
  o.max_num_iterations = options.max_iterations;
  o.minimizer_progress_to_stdout = false;
  o.logging_type = ceres::SILENT;
  o.num_threads = 1;
  o.function_tolerance = 1e-6;
  o.parameter_tolerance = 1e-6;
  return o;
}

// Residuals beyond a couple of noise sigmas count linearly, so one spike
// cannot drag the asymptote.
double LossScale(const FitData& d) { return std::max(2.0 * d.noise, 0.02); }

// Sum of squared plain residuals, or NaN when the curve is not finite there.
double SumSquares(CurveFamily family, const FitData& d, const double* p) {
  double ssr = 0;
  for (size_t i = 0; i < d.x.size(); ++i) {
    double r = d.u[i] - SpecOf(family).eval(p, d.x[i]);
    ssr += r * r;
  }
  return ssr;
}

// Rising data should give a rising fit: one that falls beyond the noise
// over the next observed span is a wrong turn, not a forecast.
bool FallsAhead(CurveFamily family, const FitData& d, const double* p) {
  double span = std::max(d.XLast() - d.x.front(), 1.0);
  double now = SpecOf(family).eval(p, d.XLast());
  double ahead = SpecOf(family).eval(p, d.XLast() + span);
  return !(ahead >= now - std::max(2 * d.noise, 0.02));
}

void Solve(CurveFamily family, const FitData& d, const CurveFitOptions& options, double* p) {
  const auto& spec = SpecOf(family);
  int k = spec.info.num_params;
  std::vector<double> lo(k), hi(k);
  spec.bounds(d, lo.data(), hi.data());
  spec.init(d, p);
  for (int i = 0; i < k; ++i) p[i] = std::clamp(p[i], lo[i], hi[i]);

  ceres::SoftLOneLoss loss(LossScale(d));
  ceres::Problem::Options po;
  po.loss_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  ceres::Problem problem(po);
  for (size_t i = 0; i < d.x.size(); ++i) problem.AddResidualBlock(spec.make_cost(d.x[i], d.u[i]), &loss, p);
  for (int i = 0; i < k; ++i) {
    problem.SetParameterLowerBound(p, i, lo[i]);
    problem.SetParameterUpperBound(p, i, hi[i]);
  }
  ceres::Solver::Summary summary;
  ceres::Solve(SolverOptions(options), &problem, &summary);
}

}  // namespace

std::span<const CurveFamilyInfo> AllFamilies() {
  static const std::vector<CurveFamilyInfo> infos = BuildInfos();
  return infos;
}

std::string_view CurveFamilyName(CurveFamily family) { return SpecOf(family).info.name; }

std::optional<CurveFamily> ParseCurveFamily(std::string_view name) {
  for (const auto& info : AllFamilies()) {
    if (info.name == name) return info.family;
  }
  return std::nullopt;
}

Status CurveFitOptions::Validate() const {
  if (min_points < 2) return InvalidArgument(fmt::format("curve options: min_points {} < 2", min_points));
  if (max_iterations < 1) return InvalidArgument("curve options: max_iterations must be >= 1");
  if (!(max_gain > 0)) return InvalidArgument("curve options: max_gain must be > 0");
  if (!(diverge_drop > 0 && diverge_drop <= 1)) {
    return InvalidArgument(fmt::format("curve options: diverge_drop {} not in (0, 1]", diverge_drop));
  }
  if (lower_bound && upper_bound && !(*lower_bound < *upper_bound)) {
    return InvalidArgument(
        fmt::format("curve options: lower_bound {} >= upper_bound {}", *lower_bound, *upper_bound));
  }
  return Status::Ok();
}

double FamilyFit::Predict(int64_t step) const {
  if (!ok) return std::nan("");
  return scale.Value(SpecOf(family).eval(params.data(), scale.X(step)));
}

namespace curve_internal {

FamilyFit FitNormalized(CurveFamily family, const FitData& d, const CurveScale& scale,
                        const CurveFitOptions& options) {
  SilenceGlog();
  FamilyFit fit;
  fit.family = family;
  fit.scale = scale;
  fit.num_points = static_cast<int>(d.x.size());
  int k = SpecOf(family).info.num_params;
  int n = fit.num_points;
  if (n <= k) {
    fit.note = fmt::format("{} points cannot fit {} parameters", n, k);
    return fit;
  }
  fit.params.assign(k, 0.0);
  Solve(family, d, options, fit.params.data());
  double ssr = SumSquares(family, d, fit.params.data());
  bool finite = std::isfinite(ssr) &&
                std::all_of(fit.params.begin(), fit.params.end(), [](double v) { return std::isfinite(v); });
  if (!finite) {
    fit.note = "non-finite fit";
    return fit;
  }
  fit.rmse = std::sqrt(ssr / n) * scale.y_scale;
  // AICc with a floor on the residual variance, so a perfect fit of a few
  // points cannot take all the weight by log(0).
  double var = std::max(ssr / n, 1e-8);
  fit.aicc = n * std::log(var) + 2.0 * k + 2.0 * k * (k + 1) / std::max(n - k - 1, 1) ;
  if (FallsAhead(family, d, fit.params.data())) {
    fit.note = "fit turns down while the data rises";
    return fit;
  }
  fit.ok = true;
  return fit;
}

}  // namespace curve_internal

Result<FamilyFit> FitFamily(CurveFamily family, std::span<const int64_t> steps,
                            std::span<const double> values, const CurveFitOptions& options) {
  CAIRN_TRY(options.Validate());
  CAIRN_ASSIGN_OR_RETURN(curve_internal::Points points, curve_internal::FinitePoints(steps, values));
  if (points.size() < static_cast<size_t>(options.min_points)) {
    return InvalidArgument(fmt::format("curve: {} finite points, need {} to fit {}", points.size(),
                                       options.min_points, CurveFamilyName(family)));
  }
  double sign = options.direction == Direction::kMaximize ? 1.0 : -1.0;
  CurveScale scale = curve_internal::MakeScale(points, 0, points.size(), sign, BadSideBound(options));
  FitData data = curve_internal::MakeFitData(points, 0, points.size(), scale, options);
  return curve_internal::FitNormalized(family, data, scale, options);
}

}  // namespace cairn
