#include "cairn/schedule/student_t.h"

#include <cmath>
#include <limits>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

namespace cairn::schedule {
namespace {

// Domain errors come back as NaN (errno is set) instead of exceptions: a
// scheduler must never throw out of a report.
using Policy = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::errno_on_error>,
    boost::math::policies::overflow_error<boost::math::policies::errno_on_error>,
    boost::math::policies::evaluation_error<boost::math::policies::errno_on_error>>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool Valid(double dof) { return dof > 0 && !std::isnan(dof); }

}  // namespace

double StudentTCdf(double t, double dof) {
  if (std::isnan(t) || !Valid(dof)) return kNaN;
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  if (std::isinf(dof)) return boost::math::cdf(boost::math::normal_distribution<double, Policy>(), t);
  return boost::math::cdf(boost::math::students_t_distribution<double, Policy>(dof), t);
}

double StudentTQuantile(double p, double dof) {
  if (!(p > 0 && p < 1) || !Valid(dof)) return kNaN;
  if (std::isinf(dof)) return boost::math::quantile(boost::math::normal_distribution<double, Policy>(), p);
  return boost::math::quantile(boost::math::students_t_distribution<double, Policy>(dof), p);
}

}  // namespace cairn::schedule
