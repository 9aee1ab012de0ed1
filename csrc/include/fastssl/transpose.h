// Transposes of 3-byte-pixel images: the resampler runs its horizontal pass as
// a vertical pass over the transposed image (resample.cpp says why).
#pragma once

#include "fastssl/image.h"

namespace fastssl {

// dst(x, y) = src(y, x); dst is src.width x src.height, with rows of exactly
// 3 * src.height bytes. Both kernels give the same bytes.
using TransposeKernel = void (*)(const ConstImage& src, const Image& dst);

void transpose_in_blocks_of_4(const ConstImage& src, const Image& dst);
#ifdef FASTSSL_X86_LEVELS
// Only where the CPU supports avx512vbmi (kernel_levels.cpp asks); about 1.4x
// as fast as blocks of 4 on a Zen 4.
void transpose_in_tiles_of_16(const ConstImage& src, const Image& dst);
#endif

}  // namespace fastssl
