// Curve fitting speed: all families on one curve, and the ensemble prediction.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "cairn/curve.h"

namespace {

// A noisy accuracy-like curve of n points (deterministic).
std::vector<double> BenchCurve(int n) {
  std::vector<double> v(n);
  uint64_t s = 42;
  for (int i = 0; i < n; ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    double noise = (static_cast<double>(s >> 11) / static_cast<double>(1ULL << 53) - 0.5) * 0.02;
    v[i] = 0.9 - 0.7 * std::pow(i + 1.0, -0.6) + noise;
  }
  return v;
}

void BM_CurveModelFit(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  std::vector<double> values = BenchCurve(n);
  std::vector<int64_t> steps(n);
  std::iota(steps.begin(), steps.end(), 1);
  cairn::CurveFitOptions options{.lower_bound = 0.0, .upper_bound = 1.0};
  for (auto _ : state) {
    auto model = cairn::CurveModel::Fit(steps, values, options);
    benchmark::DoNotOptimize(model->Predict(2 * n).mean);
  }
}
BENCHMARK(BM_CurveModelFit)->Arg(10)->Arg(25)->Arg(50)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_FitOneFamily(benchmark::State& state) {
  auto family = static_cast<cairn::CurveFamily>(state.range(0));
  std::vector<double> values = BenchCurve(50);
  std::vector<int64_t> steps(50);
  std::iota(steps.begin(), steps.end(), 1);
  for (auto _ : state) {
    auto fit = cairn::FitFamily(family, steps, values, {.lower_bound = 0.0, .upper_bound = 1.0});
    benchmark::DoNotOptimize(fit->rmse);
  }
  state.SetLabel(std::string(cairn::CurveFamilyName(family)));
}
BENCHMARK(BM_FitOneFamily)->DenseRange(0, 10)->Unit(benchmark::kMicrosecond);

}  // namespace
