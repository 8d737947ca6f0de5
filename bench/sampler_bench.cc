// Ask + Tell time of the TPE sampler with 100 and 1000 observed trials
// (a 4-float + 1-categorical space, minimizing a shifted quadratic).
#include <cmath>
#include <string>

#include <benchmark/benchmark.h>

#include "cairn/sampler.h"

namespace {

using cairn::ParamKind;
using cairn::ParamValue;
using cairn::Params;

cairn::SearchSpace BenchSpace() {
  cairn::SearchSpace s;
  for (const char* n : {"x0", "x1", "x2", "x3"}) {
    s.params.push_back({.name = n, .kind = ParamKind::kFloat, .low = -5.0, .high = 5.0});
  }
  s.params.push_back({.name = "c", .kind = ParamKind::kCategorical,
                      .choices = {ParamValue(std::string("a")), ParamValue(std::string("b"))}});
  return s;
}

double Objective(const Params& p) {
  double f = 0;
  for (int i = 0; i < 4; ++i) {
    double d = std::get<double>(p.at("x" + std::to_string(i))) - 0.5 * i;
    f += d * d;
  }
  return f + (std::get<std::string>(p.at("c")) == "a" ? 1.0 : 0.0);
}

void BM_TpeAskTell(benchmark::State& state) {
  const int observed = static_cast<int>(state.range(0));
  auto sampler = cairn::MakeSampler("tpe", BenchSpace(), cairn::Direction::kMinimize, 1);
  if (!sampler.ok()) {
    state.SkipWithError(sampler.status().ToString().c_str());
    return;
  }
  auto& s = **sampler;
  // Tell `observed` random trials up front (not timed).
  auto random = cairn::MakeSampler("random", BenchSpace(), cairn::Direction::kMinimize, 2);
  for (int i = 0; i < observed; ++i) {
    Params p = (*random)->Ask(i);
    s.Tell({.number = i, .params = p, .state = cairn::TrialState::kCompleted, .value = Objective(p)});
  }
  // Each timed iteration asks a fresh trial and tells it as a failure, so
  // the number of observations stays at `observed`.
  int number = observed;
  for (auto _ : state) {
    Params p = s.Ask(number);
    s.Tell({.number = number, .params = p, .state = cairn::TrialState::kFailed});
    ++number;
  }
  state.SetLabel(std::to_string(observed) + " observed trials");
}
BENCHMARK(BM_TpeAskTell)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
