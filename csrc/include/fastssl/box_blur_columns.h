// The Gaussian blur's passes over columns (color.cpp): a sliding sum down every
// column, one row in and one out, weighted as Pillow's box blur weights it.
#pragma once

#include <cstdint>

#include "fastssl/pixel_math.h"

namespace fastssl {

// One pass over the columns of a height x width plane (rows of `width` bytes,
// edge rows repeated), `in` to `out`. Both kernels give the same bytes.
using BoxBlurColumnsKernel = void (*)(const uint8_t* in, uint8_t* out, int height, int width, const BoxWeights& w);

void box_blur_columns_32bit(const uint8_t* in, uint8_t* out, int height, int width, const BoxWeights& w);
#ifdef FASTSSL_X86_LEVELS
// AVX-512BW (x86-64-v4): 16-bit sums weighted by pmaddwd, about 1.4x as fast on
// a Zen 4; radii above 63, whose sums outgrow pmaddwd's signed words, go to the 32-bit kernel.
void box_blur_columns_16bit(const uint8_t* in, uint8_t* out, int height, int width, const BoxWeights& w);
#endif

}  // namespace fastssl
