// The hue shift's inner loop (hue_planes.h), in blocks of as many 32-bit lanes
// as this translation unit's instruction set holds in one register. Pillow's
// float and double steps (pixel_math.h, which the CUDA kernels use) equal exact
// rational arithmetic with float32 divisions, checked over all 2^24 colors
// (tests/engine/test_ops.py), except for the round-downs the table records.
#include "fastssl/hue_planes.h"

#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace fastssl {
namespace {

#if defined(__AVX512F__)
constexpr int kBlockBytes = 64;
#elif defined(__AVX2__)
constexpr int kBlockBytes = 32;
#else
constexpr int kBlockBytes = 16;  // SSE2, NEON
#endif
using Lanes = int32_t __attribute__((vector_size(kBlockBytes)));
using FloatLanes = float __attribute__((vector_size(kBlockBytes)));
constexpr int kLanes = kBlockBytes / 4;

Lanes max_lanes(Lanes a, Lanes b) { return a > b ? a : b; }
Lanes min_lanes(Lanes a, Lanes b) { return a < b ? a : b; }
Lanes truncated(FloatLanes x) { return __builtin_convertvector(x, Lanes); }
FloatLanes as_float(Lanes x) { return __builtin_convertvector(x, FloatLanes); }
Lanes broadcast(int32_t x) { return Lanes{} + x; }

// Rounds num / den half up (num < 2^24): the float quotient is never within
// rounding distance of a half there (checked exhaustively).
Lanes rounded_quotient(Lanes num, float den) {
  const FloatLanes q = as_float(num) / den;
  const Lanes whole = truncated(q);
  return whole - ((q - as_float(whole)) >= 0.5f);  // a true comparison is -1
}

bool any(Lanes mask) {
  uint64_t words[kBlockBytes / 8];
  std::memcpy(words, &mask, sizeof words);
  uint64_t set = 0;
  for (uint64_t word : words) set |= word;
  return set != 0;
}

// Pillow's round-downs (0 or 1) at the lanes whose quotient is whole.
#if defined(__AVX2__)
// A gather of the table's 32-bit words (little-endian: bit i is bit i % 32 of word i / 32).
Lanes rounds_down_at(Lanes whole, Lanes cr, Lanes n, const uint64_t* rounds_down) {
  const Lanes bit = hue_rounds_down_bit(cr, n);
  const Lanes index = bit >> 5;
  const int* words = reinterpret_cast<const int*>(rounds_down);
#if defined(__AVX512F__)
  const __mmask16 lanes = _mm512_movepi32_mask(reinterpret_cast<__m512i>(whole));
  const Lanes word =
      reinterpret_cast<Lanes>(_mm512_mask_i32gather_epi32(_mm512_setzero_si512(), lanes, reinterpret_cast<__m512i>(index), words, 4));
#else
  const Lanes word = reinterpret_cast<Lanes>(_mm256_mask_i32gather_epi32(
      _mm256_setzero_si256(), words, reinterpret_cast<__m256i>(index), reinterpret_cast<__m256i>(whole), 4));
#endif
  return (word >> (bit & 31)) & 1;
}
#else
// No gather: the lanes one by one, through memory and out of line, so that the
// vectors stay vectors in the caller (subscripting them there made GCC
// scalarize the whole block).
[[gnu::noinline]] void scalar_rounds_down(const Lanes* whole, const Lanes* cr, const Lanes* n,
                                          const uint64_t* rounds_down, Lanes* out) {
  int32_t lanes[4][kLanes];
  std::memcpy(lanes[0], whole, sizeof *whole);
  std::memcpy(lanes[1], cr, sizeof *cr);
  std::memcpy(lanes[2], n, sizeof *n);
  for (int lane = 0; lane < kLanes; ++lane) {
    const int bit = hue_rounds_down_bit(lanes[1][lane], lanes[2][lane]);
    lanes[3][lane] = lanes[0][lane] ? static_cast<int32_t>((rounds_down[bit / 64] >> (bit % 64)) & 1) : 0;
  }
  std::memcpy(out, lanes[3], sizeof *out);
}

Lanes rounds_down_at(Lanes whole, Lanes cr, Lanes n, const uint64_t* rounds_down) {
  Lanes out;
  scalar_rounds_down(&whole, &cr, &n, rounds_down, &out);
  return out;
}
#endif

void shift_hue_blocks(int width, uint8_t shift, const uint64_t* rounds_down, int32_t* __restrict r_plane,
                      int32_t* __restrict g_plane, int32_t* __restrict b_plane) {
  for (int x = 0; x < width; x += kLanes) {
    Lanes r, g, b;
    std::memcpy(&r, r_plane + x, sizeof r);
    std::memcpy(&g, g_plane + x, sizeof g);
    std::memcpy(&b, b_plane + x, sizeof b);
    // RGB -> HSV
    const Lanes v = max_lanes(r, max_lanes(g, b));
    const Lanes cr = v - min_lanes(r, min_lanes(g, b));
    const Lanes n = hue_numerator(r, g, b, v, cr);
    const Lanes den = 6 * max_lanes(cr, broadcast(1));
    Lanes hue = truncated(as_float(255 * n) / as_float(den));
    const Lanes whole = (hue * den == 255 * n) & (n != 0);
    if (any(whole)) hue -= rounds_down_at(whole, cr, n, rounds_down);
    const Lanes s = truncated(as_float(255 * cr) / as_float(max_lanes(v, broadcast(1))));
    const Lanes h = (hue + shift) & 255;  // a gray pixel's hue does not matter: s = 0 gives (v, v, v)
    // HSV -> RGB: sector i, and m / 255 its fraction
    const Lanes i = truncated(as_float(6 * h) / 255.0f);
    const Lanes m = 6 * h - 255 * i;
    const Lanes p = rounded_quotient(v * (255 - s), 255.0f);
    const Lanes q = rounded_quotient(v * (65025 - s * m), 65025.0f);
    const Lanes t = rounded_quotient(v * (65025 - s * (255 - m)), 65025.0f);
    // sectors 0..5 (6 is 0 again): (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v) (v,p,q)
    const Lanes out_r = (i == 0) | (i == 5) | (i == 6) ? v : (i == 1 ? q : (i == 4 ? t : p));
    const Lanes out_g = (i == 1) | (i == 2) ? v : ((i == 0) | (i == 6) ? t : (i == 3 ? q : p));
    const Lanes out_b = (i == 3) | (i == 4) ? v : (i == 2 ? t : (i == 5 ? q : p));
    std::memcpy(r_plane + x, &out_r, sizeof out_r);
    std::memcpy(g_plane + x, &out_g, sizeof out_g);
    std::memcpy(b_plane + x, &out_b, sizeof out_b);
  }
}

}  // namespace

#if defined(__AVX512F__)
void shift_hue_planes_x86_64_v4(int width, uint8_t shift, const uint64_t* rounds_down, int32_t* r, int32_t* g,
                                int32_t* b) {
  shift_hue_blocks(width, shift, rounds_down, r, g, b);
}
#elif defined(__AVX2__)
void shift_hue_planes_x86_64_v3(int width, uint8_t shift, const uint64_t* rounds_down, int32_t* r, int32_t* g,
                                int32_t* b) {
  shift_hue_blocks(width, shift, rounds_down, r, g, b);
}
#else
void shift_hue_planes_baseline(int width, uint8_t shift, const uint64_t* rounds_down, int32_t* r, int32_t* g,
                               int32_t* b) {
  shift_hue_blocks(width, shift, rounds_down, r, g, b);
}
#endif

}  // namespace fastssl
