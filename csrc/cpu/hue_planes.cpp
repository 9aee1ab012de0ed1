// The hue shift's inner loop (hue_planes.h), in blocks of as many 32-bit lanes
// as this translation unit's instruction set holds in one register. Pillow's
// float and double steps (pixel_math.h, which the CUDA kernels use) equal exact
// rational arithmetic with float32 divisions and products, checked over all 2^24 colors
// (tests/engine/test_ops.py), except for the round-downs the table records.
#include "fastssl/hue_planes.h"

#include <cstring>

#include "fastssl/simd.h"

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

// Bytes to lanes and back (values in [0, 255]). GCC turns __builtin_convertvector
// between byte and int vectors into one lane at a time, hence the intrinsics.
#if defined(__AVX512F__)
Lanes load(const uint8_t* bytes) {
  return reinterpret_cast<Lanes>(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes))));
}
void store(Lanes values, uint8_t* bytes) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(bytes), _mm512_cvtepi32_epi8(reinterpret_cast<__m512i>(values)));
}
#elif defined(__AVX2__)
Lanes load(const uint8_t* bytes) {
  return reinterpret_cast<Lanes>(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes))));
}
void store(Lanes values, uint8_t* bytes) {
  // Packs saturate within each 128-bit half: bytes 0-3 and 16-19 hold the 8 values.
  const __m256i words = _mm256_packus_epi32(reinterpret_cast<__m256i>(values), reinterpret_cast<__m256i>(values));
  const __m256i packed = _mm256_packus_epi16(words, words);
  const uint32_t low = static_cast<uint32_t>(_mm256_extract_epi32(packed, 0));
  const uint32_t high = static_cast<uint32_t>(_mm256_extract_epi32(packed, 4));
  std::memcpy(bytes, &low, 4);
  std::memcpy(bytes + 4, &high, 4);
}
#else
Lanes load(const uint8_t* bytes) {
  int32_t wide[kLanes];
  for (int i = 0; i < kLanes; ++i) wide[i] = bytes[i];
  Lanes values;
  std::memcpy(&values, wide, sizeof values);
  return values;
}
void store(Lanes values, uint8_t* bytes) {
  int32_t wide[kLanes];
  std::memcpy(wide, &values, sizeof values);
  for (int i = 0; i < kLanes; ++i) bytes[i] = static_cast<uint8_t>(wide[i]);
}
#endif

// Quotients by the constants 255 and 65025 without a division: trunc(float(x) *
// (1.0f / den)) is floor(x / den) for every x below 2^23 (den = 255) or 2^24
// (65025), checked one by one; the kernel's x stay below 65,153 and 16,613,888.
// Rounding num / den half up is then floor((num + den / 2) / den): den is odd, no ties.
Lanes quotient(Lanes x, int den) { return truncated(as_float(x) * (1.0f / static_cast<float>(den))); }
Lanes rounded_quotient(Lanes num, int den) { return quotient(num + den / 2, den); }

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

void shift_hue_blocks(size_t count, uint8_t shift, const uint64_t* rounds_down, uint8_t* __restrict r_plane,
                      uint8_t* __restrict g_plane, uint8_t* __restrict b_plane) {
  for (size_t x = 0; x < count; x += kLanes) {
    const Lanes r = load(r_plane + x), g = load(g_plane + x), b = load(b_plane + x);
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
    const Lanes i = quotient(6 * h, 255);
    const Lanes m = 6 * h - 255 * i;
    const Lanes p = rounded_quotient(v * (255 - s), 255);
    const Lanes q = rounded_quotient(v * (65025 - s * m), 65025);
    const Lanes t = rounded_quotient(v * (65025 - s * (255 - m)), 65025);
    // sectors 0..5 (6 is 0 again): (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v) (v,p,q)
    const Lanes out_r = (i == 0) | (i == 5) | (i == 6) ? v : (i == 1 ? q : (i == 4 ? t : p));
    const Lanes out_g = (i == 1) | (i == 2) ? v : ((i == 0) | (i == 6) ? t : (i == 3 ? q : p));
    const Lanes out_b = (i == 3) | (i == 4) ? v : (i == 2 ? t : (i == 5 ? q : p));
    store(out_r, r_plane + x);
    store(out_g, g_plane + x);
    store(out_b, b_plane + x);
  }
}

}  // namespace

void FASTSSL_KERNEL_NAME(shift_hue_planes)(size_t count, uint8_t shift, const uint64_t* rounds_down, uint8_t* r,
                                           uint8_t* g, uint8_t* b) {
  shift_hue_blocks(count, shift, rounds_down, r, g, b);
}

}  // namespace fastssl
