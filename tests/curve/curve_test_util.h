// Synthetic curves for the curve tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <vector>

namespace cairn::curve_testing {

inline std::vector<int64_t> Steps(int n) {
  std::vector<int64_t> s(n);
  std::iota(s.begin(), s.end(), 1);
  return s;
}

// Deterministic noise in [-1, 1]: a fixed-seed LCG.
class Noise {
 public:
  explicit Noise(uint64_t seed) : state_(seed * 6364136223846793005ULL + 1442695040888963407ULL) {}
  double Next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state_ >> 11) / static_cast<double>(1ULL << 53) * 2 - 1;
  }

 private:
  uint64_t state_;
};

// f(1..n) plus uniform noise of amplitude `noise`.
inline std::vector<double> Sample(const std::function<double(double)>& f, int n, double noise = 0,
                                  uint64_t seed = 1) {
  Noise rng(seed);
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = f(i + 1) + noise * rng.Next();
  return v;
}

inline std::vector<double> Prefix(const std::vector<double>& v, int m) {
  return std::vector<double>(v.begin(), v.begin() + m);
}

}  // namespace cairn::curve_testing
