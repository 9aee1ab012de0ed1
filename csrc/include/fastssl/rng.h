// Counter-based randomness: the draws for view v of sample i in epoch e are a
// pure function of (seed, epoch, i, v), whatever thread or batch computes them.
#pragma once

#include <cmath>
#include <cstdint>

namespace fastssl {

// SplitMix64's finalizer: a bijective mix with full avalanche.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class CounterRng {
 public:
  CounterRng(uint64_t seed, uint64_t epoch, uint64_t sample, uint64_t stream)
      : key_(mix64(mix64(mix64(mix64(seed) ^ epoch) ^ sample) ^ stream)) {}

  uint64_t next_u64() { return mix64(key_ + 0x9E3779B97F4A7C15ULL * ++counter_); }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  bool bernoulli(double p) { return uniform() < p; }

  // Uniform integer in [low, high], unbiased (rejection on the top range).
  int64_t randint(int64_t low, int64_t high) {
    const uint64_t span = static_cast<uint64_t>(high - low) + 1;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t x;
    do x = next_u64(); while (x >= limit);
    return low + static_cast<int64_t>(x % span);
  }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
};

}  // namespace fastssl
