// Image.blend of every byte against one constant (ImageEnhance.Brightness: 0,
// ImageEnhance.Contrast: the mean luma), by one of two kernels that give the
// same bytes: float arithmetic per byte, or, with AVX-512 VBMI, the 256 possible
// results looked up by byte permutes (about ten times faster on a Zen 4).
#pragma once

#include <cstddef>
#include <cstdint>

namespace fastssl {

// bytes[i] = blend(degenerate, bytes[i], alpha) (pixel_math.h) for i < count.
using BlendConstantKernel = void (*)(uint8_t* bytes, size_t count, int degenerate, float alpha);

void blend_constant_arithmetic(uint8_t* bytes, size_t count, int degenerate, float alpha);
#ifdef FASTSSL_X86_LEVELS
// Only where the CPU supports avx512vbmi (kernel_levels.cpp asks).
void blend_constant_byte_table(uint8_t* bytes, size_t count, int degenerate, float alpha);
#endif

}  // namespace fastssl
