// Portable random numbers for samplers.
//
// std::uniform_real_distribution and friends are implementation-defined, so
// the same seed would give different trials under libstdc++ and libc++. Rng
// wraps std::mt19937_64 (whose output sequence the standard fixes) and does
// every transform itself.
#pragma once

#include <cstdint>
#include <random>

namespace cairn::search {

// A well-mixed 64-bit seed for stream `stream` of `seed` (splitmix64), so
// that trial n of seed s gets its own independent generator.
uint64_t MixSeed(uint64_t seed, uint64_t stream);

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}

  // Uniform in [0, 1) with 53 random bits.
  double Uniform01();
  // Uniform in (0, 1): never exactly 0, for logs and inverse CDFs.
  double UniformOpen01();
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform01(); }
  // Uniform integer in [0, n), unbiased (rejection). REQUIRES: n > 0.
  uint64_t Below(uint64_t n);
  // Index drawn with probability proportional to `weights[i]` (>= 0, sum > 0).
  template <typename Weights>
  size_t Pick(const Weights& weights);

 private:
  std::mt19937_64 gen_;
};

template <typename Weights>
size_t Rng::Pick(const Weights& weights) {
  double total = 0.0;
  for (double w : weights) total += w;
  double u = Uniform01() * total;
  double acc = 0.0;
  size_t last = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0.0) continue;
    acc += weights[i];
    last = i;
    if (u < acc) return i;
  }
  return last;  // rounding left u at the very top
}

}  // namespace cairn::search
