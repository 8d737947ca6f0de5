// Search spaces and helpers shared by the search tests.
#pragma once

#include <cmath>
#include <string>

#include "cairn/sampler.h"
#include "cairn/space.h"

namespace cairn::search::test {

inline ParamValue S(const char* s) { return ParamValue(std::string(s)); }

// One of each kind: plain, log and stepped floats, plain, stepped and log
// ints, a categorical, and a float active only for one choice.
inline SearchSpace MixedSpace() {
  SearchSpace s;
  s.params.push_back({.name = "x", .kind = ParamKind::kFloat, .low = -2.0, .high = 3.0});
  s.params.push_back({.name = "lr", .kind = ParamKind::kFloat, .low = 1e-5, .high = 1e-1, .log = true});
  s.params.push_back({.name = "drop", .kind = ParamKind::kFloat, .low = 0.0, .high = 0.5, .step = 0.1});
  s.params.push_back({.name = "layers", .kind = ParamKind::kInt, .low = 1, .high = 6});
  s.params.push_back({.name = "units", .kind = ParamKind::kInt, .low = 16, .high = 128, .step = 16});
  s.params.push_back({.name = "batch", .kind = ParamKind::kInt, .low = 8, .high = 512, .log = true});
  s.params.push_back({.name = "opt", .kind = ParamKind::kCategorical, .choices = {S("sgd"), S("adam"), S("rms")}});
  ParamSpec momentum{.name = "momentum", .kind = ParamKind::kFloat, .low = 0.0, .high = 0.99};
  momentum.condition = Condition{"opt", {S("sgd")}};
  s.params.push_back(momentum);
  return s;
}

// A shifted 4-D quadratic plus a categorical offset, minimum 0 at
// x = (0.7, -1.3, 2.1, 0.2) (in [-5, 5]^4) with c = "b".
inline SearchSpace QuadraticSpace() {
  SearchSpace s;
  for (const char* n : {"x0", "x1", "x2", "x3"}) {
    s.params.push_back({.name = n, .kind = ParamKind::kFloat, .low = -5.0, .high = 5.0});
  }
  s.params.push_back({.name = "c", .kind = ParamKind::kCategorical, .choices = {S("a"), S("b"), S("c"), S("d")}});
  return s;
}

inline double Quadratic(const Params& p) {
  const double centre[] = {0.7, -1.3, 2.1, 0.2};
  double f = 0;
  for (int i = 0; i < 4; ++i) {
    double d = std::get<double>(p.at("x" + std::to_string(i))) - centre[i];
    f += d * d;
  }
  const std::string& c = std::get<std::string>(p.at("c"));
  return f + (c == "b" ? 0.0 : c == "a" ? 2.0 : 4.0);
}

// Runs `n` sequential trials minimizing `f` and returns the best value.
template <typename F>
double BestOf(Sampler& sampler, int n, F f) {
  double best = INFINITY;
  for (int i = 0; i < n; ++i) {
    Params p = sampler.Ask(i);
    double v = f(p);
    sampler.Tell({.number = i, .params = p, .state = TrialState::kCompleted, .value = v});
    best = std::min(best, v);
  }
  return best;
}

}  // namespace cairn::search::test
