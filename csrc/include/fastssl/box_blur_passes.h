// The Gaussian blur's passes (color.cpp), each a box blur weighted as Pillow
// weights it (box_output): along rows, a window of 2 * radius + 1 bytes; down
// columns, a sliding sum with one row in and one out.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fastssl/pixel_math.h"

namespace fastssl {

// One pass over rows stacked into `in`, each with radius + 1 bytes of padding
// on both sides: every byte from `begin` (>= radius + 1) to `end` (<= the
// length - radius - 1) gets an output in `out`, padding included.
using BoxBlurRowsKernel = void (*)(const uint8_t* in, uint8_t* out, size_t begin, size_t end, const BoxWeights& w);

// One pass over the columns of a height x width plane (rows of `width` bytes,
// edge rows repeated), `in` to `out`.
using BoxBlurColumnsKernel = void (*)(const uint8_t* in, uint8_t* out, int height, int width, const BoxWeights& w);

// Both kernels of each pass give the same bytes.
void box_blur_rows_32bit(const uint8_t* in, uint8_t* out, size_t begin, size_t end, const BoxWeights& w);
void box_blur_columns_32bit(const uint8_t* in, uint8_t* out, int height, int width, const BoxWeights& w);
#ifdef FASTSSL_X86_LEVELS
// AVX-512 with VNNI (x86-64-v4 since Cascade Lake and Zen 4): 16-bit sums weighted
// by vpdpwssd, about 1.5x as fast on a Zen 4 (without VNNI the 32-bit kernels run);
// radii above 63, whose sums outgrow vpdpwssd's signed words, go to the 32-bit kernels.
void box_blur_rows_16bit(const uint8_t* in, uint8_t* out, size_t begin, size_t end, const BoxWeights& w);
void box_blur_columns_16bit(const uint8_t* in, uint8_t* out, int height, int width, const BoxWeights& w);
#endif

}  // namespace fastssl
