#include "cairn/search/rng.h"

namespace cairn::search {

uint64_t MixSeed(uint64_t seed, uint64_t stream) {
  // splitmix64 of seed, then of (that ^ stream): distinct streams of one seed
  // and equal streams of distinct seeds both land far apart.
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return mix(mix(seed) ^ mix(stream + 0x632be59bd9b4e019ULL));
}

double Rng::Uniform01() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }

double Rng::UniformOpen01() {
  // (k + 0.5) / 2^53 for k in [0, 2^53): symmetric and strictly inside (0, 1).
  return (static_cast<double>(gen_() >> 11) + 0.5) * 0x1.0p-53;
}

uint64_t Rng::Below(uint64_t n) {
  // Reject the top partial block so every residue is equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = gen_();
  } while (x >= limit);
  return x % n;
}

}  // namespace cairn::search
