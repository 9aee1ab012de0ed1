// The inner loop of the resampler's passes (resample.cpp): one output row as a
// weighted sum of source rows, compiled once per x86-64 level like the hue
// kernel (hue_planes.h says why), with the same rule: nothing inline with
// external linkage in its translation unit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fastssl {

// out[x] = clamp((2^21 + sum of weights[t] * rows[t][x] over t < taps) >> 22, 0, 255)
// for x < n: Pillow's 22-bit fixed point (resample_math.h), exact in 32 bits.
// Reads and writes only bytes x < n of each row.
using WeightedRowsKernel = void (*)(size_t n, int taps, const uint8_t* const* rows, const int32_t* weights,
                                    uint8_t* out);

void weighted_rows_baseline(size_t, int, const uint8_t* const*, const int32_t*, uint8_t*);
#ifdef FASTSSL_X86_LEVELS
void weighted_rows_x86_64_v3(size_t, int, const uint8_t* const*, const int32_t*, uint8_t*);  // AVX2
void weighted_rows_x86_64_v4(size_t, int, const uint8_t* const*, const int32_t*, uint8_t*);  // AVX-512
#endif

}  // namespace fastssl
