// The inner loop of the hue shift, over channel planes, compiled once per
// x86-64 level (CMakeLists.txt): GCC lowers generic vectors wider than the
// baseline's to scalar code before target_clones could widen them, so the wide
// kernels need translation units of their own. They share nothing inline with
// external linkage: an out-of-line copy built for AVX-512 could be picked for
// every caller (hence the static helpers below).
#pragma once

#include <cstddef>
#include <cstdint>

namespace fastssl {

// Pillow's hue of a non-gray pixel is floor(255 n / (6 cr)), cr = max - min and n
// in [0, 6 cr) its place around the color wheel, except where that quotient is
// whole: there Pillow's float steps give one less for some quotients, the same
// for every (cr, n) that has it (color.cpp checks this when it builds the set).
// The set holds one bit per quotient: bit q % 32 of word q / 32.
constexpr int kHueRoundDownWords = 256 / 32;

// n of a pixel with maximum `max` and cr = max - min > 0, in Pillow's order of
// tests for the maximum: r, then g, then b. T: int, or a vector of int lanes.
template <typename T>
static inline T hue_numerator(T r, T g, T b, T max, T cr) {
  return max == r ? (g >= b ? g - b : 6 * cr + g - b) : (max == g ? 2 * cr + b - r : 4 * cr + r - g);
}

// HSV -> RGB: each channel is v, p or qt, which is Pillow's q in odd sectors and
// t in even ones: sectors 0..5 are (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v) (v,p,q),
// and sector 6 is 0 again. Bit i: the channel (r, g, b) takes v, or qt, in sector i.
constexpr int kValueSectors[3] = {0b1100001, 0b0000110, 0b0011000};
constexpr int kQtSectors[3] = {0b0010010, 0b1001001, 0b0100100};

// In place: `count` pixels of the planes (r, g, b), a multiple of 32 (planes.h),
// become the same pixels with their 8-bit hue shifted by `shift`.
using HuePlanesKernel = void (*)(size_t count, uint8_t shift, const uint32_t* rounded_down_hues, uint8_t* r, uint8_t* g,
                                 uint8_t* b);

void shift_hue_planes_baseline(size_t, uint8_t, const uint32_t*, uint8_t*, uint8_t*, uint8_t*);
#ifdef FASTSSL_X86_LEVELS
void shift_hue_planes_x86_64_v3(size_t, uint8_t, const uint32_t*, uint8_t*, uint8_t*, uint8_t*);  // AVX2
void shift_hue_planes_x86_64_v4(size_t, uint8_t, const uint32_t*, uint8_t*, uint8_t*, uint8_t*);  // AVX-512
#endif

}  // namespace fastssl
