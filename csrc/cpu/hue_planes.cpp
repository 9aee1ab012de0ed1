// The hue shift's inner loop (hue_planes.h), in blocks of as many 32-bit lanes
// as this translation unit's instruction set holds in one register (AVX2 and
// below; AVX-512 works in 16-bit words, hue_planes_words.cpp). Pillow's
// float and double steps (pixel_math.h, which the CUDA kernels use) equal exact
// rational arithmetic with float32 divisions and products, checked over all 2^24 colors
// (tests/engine/test_ops.py), except for the round-downs of the set in hue_planes.h.
#include "fastssl/hue_planes.h"

#include <cstring>

#include "fastssl/simd.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace fastssl {
namespace {

#if defined(__AVX2__)
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
#if defined(__AVX2__)
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

// 1 where Pillow's hue is one less than the whole quotient floor_hue (hue_planes.h).
#if defined(__AVX2__)
// The set's eight words, picked per lane by a permute.
Lanes rounds_down(Lanes floor_hue, const uint32_t* rounded_down_hues) {
  const __m256i set = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rounded_down_hues));
  const Lanes index = floor_hue >> 5;
  const Lanes word = reinterpret_cast<Lanes>(_mm256_permutevar8x32_epi32(set, reinterpret_cast<__m256i>(index)));
  return (word >> (floor_hue & 31)) & 1;
}
#else
// No permute of words: the lanes one by one, through memory and out of line,
// so that the vectors stay vectors in the caller (subscripting them there made
// GCC scalarize the whole block).
[[gnu::noinline]] void scalar_rounds_down(const Lanes* floor_hue, const uint32_t* rounded_down_hues, Lanes* out) {
  int32_t lanes[kLanes];
  std::memcpy(lanes, floor_hue, sizeof *floor_hue);
  for (int32_t& lane : lanes) lane = static_cast<int32_t>((rounded_down_hues[lane / 32] >> (lane % 32)) & 1);
  std::memcpy(out, lanes, sizeof *out);
}

Lanes rounds_down(Lanes floor_hue, const uint32_t* rounded_down_hues) {
  Lanes out;
  scalar_rounds_down(&floor_hue, rounded_down_hues, &out);
  return out;
}
#endif

}  // namespace

// The parameters' __restrict does not change the declared type (hue_planes.h).
void FASTSSL_KERNEL_NAME(shift_hue_planes)(size_t count, uint8_t shift, const uint32_t* rounded_down_hues,
                                           uint8_t* __restrict r_plane, uint8_t* __restrict g_plane,
                                           uint8_t* __restrict b_plane) {
  for (size_t x = 0; x < count; x += kLanes) {
    const Lanes r = load(r_plane + x), g = load(g_plane + x), b = load(b_plane + x);
    // RGB -> HSV
    const Lanes v = max_lanes(r, max_lanes(g, b));
    const Lanes cr = v - min_lanes(r, min_lanes(g, b));
    const Lanes n = hue_numerator(r, g, b, v, cr);
    const Lanes den = 6 * max_lanes(cr, broadcast(1));
    const Lanes floor_hue = truncated(as_float(255 * n) / as_float(den));
    const Lanes whole = (floor_hue * den == 255 * n) & (n != 0);
    const Lanes hue = floor_hue - (whole & rounds_down(floor_hue, rounded_down_hues));
    const Lanes s = truncated(as_float(255 * cr) / as_float(max_lanes(v, broadcast(1))));
    const Lanes h = (hue + shift) & 255;  // a gray pixel's hue does not matter: s = 0 gives (v, v, v)
    // HSV -> RGB (hue_planes.h): sector i, and m / 255 its fraction.
    const Lanes i = quotient(6 * h, 255);
    const Lanes m = 6 * h - 255 * i;
    const Lanes p = rounded_quotient(v * (255 - s), 255);
    const Lanes qt_fraction = (i & 1) != 0 ? m : 255 - m;
    const Lanes qt = rounded_quotient(v * (65025 - s * qt_fraction), 65025);
    const Lanes sector = broadcast(1) << i;
    const auto pick = [&](int v_sectors, int qt_sectors) {
      return (sector & v_sectors) != 0 ? v : ((sector & qt_sectors) != 0 ? qt : p);
    };
    store(pick(kValueSectors[0], kQtSectors[0]), r_plane + x);
    store(pick(kValueSectors[1], kQtSectors[1]), g_plane + x);
    store(pick(kValueSectors[2], kQtSectors[2]), b_plane + x);
  }
}

}  // namespace fastssl
