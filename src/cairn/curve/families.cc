#include "cairn/curve/families.h"

#include <algorithm>
#include <cmath>

#include <ceres/autodiff_cost_function.h>

namespace cairn::curve_internal {

double FitData::Start() const {
  size_t k = std::min<size_t>(3, u.size());
  double s = 0;
  for (size_t i = 0; i < k; ++i) s += u[i];
  return s / static_cast<double>(k);
}

double FitData::End() const {
  size_t k = std::min<size_t>(3, u.size());
  double s = 0;
  for (size_t i = u.size() - k; i < u.size(); ++i) s += u[i];
  return s / static_cast<double>(k);
}

namespace {

// A first guess of the asymptote: a little above where the curve is now.
double AsymptoteGuess(const FitData& d) {
  return std::min(d.End() + 0.25 * std::max(d.End() - d.Start(), 0.05), d.u_cap);
}
double Gain(const FitData& d) { return std::max(d.End() - d.Start(), 0.05); }

// Each model: kN parameters, Eval templated for autodiff, Init and Bounds.
// Unqualified pow/exp/log find ceres' Jet overloads by argument lookup.
struct Pow3 {
  static constexpr int kN = 3;  // c, a, alpha
  template <class T> static T Eval(const T* p, T x) {
    using std::pow;
    return p[0] - p[1] * pow(x, -p[2]);
  }
  static void Init(const FitData& d, double* p) {
    p[0] = AsymptoteGuess(d);
    p[1] = std::max(p[0] - d.Start(), 1e-3);
    p[2] = 0.5;
  }
  static void Bounds(const FitData& d, double* lo, double* hi) {
    lo[0] = -1; hi[0] = d.u_cap;
    lo[1] = 0; hi[1] = 10 + d.u_cap;
    lo[2] = 0.01; hi[2] = 5;
  }
};

struct Pow4 {
  static constexpr int kN = 4;  // c, a, b, alpha
  template <class T> static T Eval(const T* p, T x) {
    using std::pow;
    return p[0] - pow(p[1] * x + p[2], -p[3]);
  }
  static void Init(const FitData& d, double* p) {
    p[0] = AsymptoteGuess(d);
    p[3] = 0.5;
    // (a + b)^-alpha = c - start at x = 1.
    p[1] = std::pow(std::max(p[0] - d.Start(), 1e-2), -1.0 / p[3]);
    p[2] = 0.0;
  }
  static void Bounds(const FitData& d, double* lo, double* hi) {
    lo[0] = -1; hi[0] = d.u_cap;
    lo[1] = 1e-6; hi[1] = 1e4;
    lo[2] = 0; hi[2] = 1e4;
    lo[3] = 0.01; hi[3] = 5;
  }
};

struct LogPower {
  static constexpr int kN = 3;  // a, b, c
  template <class T> static T Eval(const T* p, T x) {
    using std::exp;
    using std::pow;
    return p[0] / (T(1) + pow(x / exp(p[1]), p[2]));
  }
  static void Init(const FitData& d, double* p) {
    p[0] = std::max(AsymptoteGuess(d), 0.01);
    p[1] = std::log(std::max(d.XLast() / 2, 1.0));  // halfway at mid-curve
    p[2] = -1;
  }
  static void Bounds(const FitData& d, double* lo, double* hi) {
    lo[0] = 1e-3; hi[0] = d.u_cap;
    lo[1] = -5; hi[1] = std::log(d.XLast()) + 5;
    lo[2] = -10; hi[2] = -1e-3;
  }
};

struct Exp3 {
  static constexpr int kN = 3;  // c, a, b
  template <class T> static T Eval(const T* p, T x) {
    using std::exp;
    return p[0] - exp(-p[1] * x + p[2]);
  }
  static void Init(const FitData& d, double* p) {
    p[0] = AsymptoteGuess(d);
    p[1] = 3.0 / d.XLast();  // three e-folds over the observed span
    p[2] = std::log(std::max(p[0] - d.Start(), 1e-3)) + p[1];
  }
  static void Bounds(const FitData& d, double* lo, double* hi) {
    lo[0] = -1; hi[0] = d.u_cap;
    lo[1] = 1e-6; hi[1] = 10;
    lo[2] = -30; hi[2] = 30;
  }
};

// Shared by the three alpha/beta/kappa/delta families. kappa is fitted as
// log kappa: the rate spans orders of magnitude and the log keeps the
// problem well conditioned (several times fewer iterations).
void InitSaturating(const FitData& d, double kappa, double* p) {
  p[0] = AsymptoteGuess(d);
  p[1] = d.Start() - 0.1 * Gain(d);
  p[2] = std::log(kappa);
  p[3] = 1;
}
void BoundsSaturating(const FitData& d, double* lo, double* hi) {
  lo[0] = -1; hi[0] = d.u_cap;
  lo[1] = -2; hi[1] = d.u_cap;
  lo[2] = std::log(1e-6); hi[2] = std::log(10.0);
  lo[3] = 0.05; hi[3] = 5;
}

struct Janoschek {
  static constexpr int kN = 4;  // alpha, beta, log kappa, delta
  template <class T> static T Eval(const T* p, T x) {
    using std::exp;
    using std::log;
    return p[0] - (p[0] - p[1]) * exp(-exp(p[2] + p[3] * log(x)));
  }
  static void Init(const FitData& d, double* p) { InitSaturating(d, 3.0 / d.XLast(), p); }
  static void Bounds(const FitData& d, double* lo, double* hi) { BoundsSaturating(d, lo, hi); }
};

struct Weibull {
  static constexpr int kN = 4;  // alpha, beta, log kappa, delta
  template <class T> static T Eval(const T* p, T x) {
    using std::exp;
    using std::log;
    return p[0] - (p[0] - p[1]) * exp(-exp(p[3] * (p[2] + log(x))));
  }
  static void Init(const FitData& d, double* p) { InitSaturating(d, 3.0 / d.XLast(), p); }
  static void Bounds(const FitData& d, double* lo, double* hi) { BoundsSaturating(d, lo, hi); }
};

struct Mmf {
  static constexpr int kN = 4;  // alpha, beta, log kappa, delta
  template <class T> static T Eval(const T* p, T x) {
    using std::exp;
    using std::log;
    return p[0] - (p[0] - p[1]) / (T(1) + exp(p[3] * (p[2] + log(x))));
  }
  static void Init(const FitData& d, double* p) { InitSaturating(d, 4.0 / d.XLast(), p); }
  static void Bounds(const FitData& d, double* lo, double* hi) { BoundsSaturating(d, lo, hi); }
};

struct Ilog2 {
  static constexpr int kN = 2;  // c, a
  template <class T> static T Eval(const T* p, T x) {
    using std::log;
    return p[0] - p[1] / log(x + T(1));
  }
  static void Init(const FitData& d, double* p) {
    // Through (1, start) and (x_last, end).
    double span = 1 / std::log(2.0) - 1 / std::log(d.XLast() + 1);
    p[1] = std::max(d.End() - d.Start(), 1e-3) / std::max(span, 1e-6);
    p[0] = std::min(d.End() + p[1] / std::log(d.XLast() + 1), d.u_cap);
  }
  static void Bounds(const FitData& d, double* lo, double* hi) {
    lo[0] = -1; hi[0] = d.u_cap;
    lo[1] = 0; hi[1] = 100;
  }
};

struct VaporPressure {
  static constexpr int kN = 3;  // a, b, c
  template <class T> static T Eval(const T* p, T x) {
    using std::exp;
    using std::log;
    return exp(p[0] + p[1] / x + p[2] * log(x));
  }
  static void Init(const FitData& d, double* p) {
    // c = 0, through (1, start) and (x_last, end), values kept positive.
    double ls = std::log(std::max(d.Start(), 0.02));
    double le = std::log(std::max(d.End(), 0.05));
    p[1] = std::min((ls - le) / std::max(1 - 1 / d.XLast(), 1e-3), 0.0);
    p[0] = ls - p[1];
    p[2] = 0;
  }
  static void Bounds(const FitData& d, double* lo, double* hi) {
    lo[0] = -20; hi[0] = 20;
    lo[1] = -10 * d.XLast() - 10; hi[1] = 0;
    lo[2] = -1; hi[2] = 3;
  }
};

struct LogLogLinear {
  static constexpr int kN = 2;  // a, b
  template <class T> static T Eval(const T* p, T x) {
    using std::log;
    return log(p[0] * log(x) + p[1]);
  }
  static void Init(const FitData& d, double* p) {
    p[1] = std::exp(d.Start());
    p[0] = std::max((std::exp(d.End()) - p[1]) / std::max(std::log(d.XLast()), 1e-3), 1e-3);
  }
  static void Bounds(const FitData&, double* lo, double* hi) {
    lo[0] = 1e-6; hi[0] = 100;
    lo[1] = 1e-3; hi[1] = 100;
  }
};

struct Hill3 {
  static constexpr int kN = 3;  // ymax, eta, log kappa
  // ymax / (1 + (kappa / x)^eta), the same curve written to stay finite.
  template <class T> static T Eval(const T* p, T x) {
    using std::exp;
    using std::log;
    return p[0] / (T(1) + exp(p[1] * (p[2] - log(x))));
  }
  static void Init(const FitData& d, double* p) {
    p[0] = std::max(AsymptoteGuess(d), 0.01);
    p[1] = 1;
    p[2] = std::log(std::max(d.XLast() / 2, 1.0));
  }
  static void Bounds(const FitData& d, double* lo, double* hi) {
    lo[0] = 1e-3; hi[0] = d.u_cap;
    lo[1] = 0.05; hi[1] = 10;
    lo[2] = std::log(1e-3); hi[2] = std::log(100 * d.XLast());
  }
};

template <class M>
struct Residual {
  double x, u;
  template <class T> bool operator()(const T* p, T* r) const {
    r[0] = T(u) - M::Eval(p, T(x));
    return true;
  }
};

template <class M>
ceres::CostFunction* MakeCost(double x, double u) {
  return new ceres::AutoDiffCostFunction<Residual<M>, 1, M::kN>(new Residual<M>{x, u});
}

template <class M>
double EvalDouble(const double* p, double x) { return M::Eval(p, x); }

template <class M>
FamilySpec Spec(CurveFamily f, std::string_view name, std::string_view formula) {
  return FamilySpec{{f, name, formula, M::kN}, &EvalDouble<M>, &M::Init, &M::Bounds, &MakeCost<M>};
}

const std::vector<FamilySpec>& Table() {
  static const std::vector<FamilySpec> table = {
      Spec<Pow3>(CurveFamily::kPow3, "pow3", "c - a x^-alpha"),
      Spec<Pow4>(CurveFamily::kPow4, "pow4", "c - (a x + b)^-alpha"),
      Spec<LogPower>(CurveFamily::kLogPower, "log_power", "a / (1 + (x / e^b)^c)"),
      Spec<Exp3>(CurveFamily::kExp3, "exp3", "c - e^(-a x + b)"),
      Spec<Janoschek>(CurveFamily::kJanoschek, "janoschek", "alpha - (alpha - beta) e^(-kappa x^delta)"),
      Spec<Weibull>(CurveFamily::kWeibull, "weibull", "alpha - (alpha - beta) e^(-(kappa x)^delta)"),
      Spec<Mmf>(CurveFamily::kMmf, "mmf", "alpha - (alpha - beta) / (1 + (kappa x)^delta)"),
      Spec<Ilog2>(CurveFamily::kIlog2, "ilog2", "c - a / log(x + 1)"),
      Spec<VaporPressure>(CurveFamily::kVaporPressure, "vapor_pressure", "exp(a + b / x + c log x)"),
      Spec<LogLogLinear>(CurveFamily::kLogLogLinear, "log_log_linear", "log(a log x + b)"),
      Spec<Hill3>(CurveFamily::kHill3, "hill3", "ymax x^eta / (kappa^eta + x^eta)"),
  };
  return table;
}

}  // namespace

std::span<const FamilySpec> FamilySpecs() { return Table(); }

const FamilySpec& SpecOf(CurveFamily family) { return Table()[static_cast<size_t>(family)]; }

}  // namespace cairn::curve_internal
