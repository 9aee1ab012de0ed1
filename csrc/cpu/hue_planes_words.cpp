// The hue shift's inner loop (hue_planes.h) for AVX-512 (x86-64-v4), 32 pixels
// at a time in 16-bit words: every value of hue_planes.cpp's 32-bit kernel fits
// a word except two numerators, which are taken as high and low words and
// widened to floats only for their quotients. The same arithmetic in 57% of the
// instructions per pixel; tests/engine/test_ops.py compares all 2^24 colors.
#include <immintrin.h>

#include "fastssl/hue_planes.h"
#include "fastssl/simd.h"

namespace fastssl {
namespace {

using Words = uint16_t __attribute__((vector_size(64)));
constexpr int kWords = 32;

Words max_words(Words a, Words b) { return a > b ? a : b; }
Words min_words(Words a, Words b) { return a < b ? a : b; }
Words broadcast(uint16_t x) { return Words{} + x; }
__m512i raw(Words x) { return reinterpret_cast<__m512i>(x); }
Words words(__m512i x) { return reinterpret_cast<Words>(x); }

Words load(const uint8_t* bytes) {
  return words(_mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes))));
}
void store(Words values, uint8_t* bytes) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(bytes), _mm512_cvtepi16_epi8(raw(values)));
}

// The high word of each product, which the vector extensions do not name.
Words high_product(Words a, Words b) { return words(_mm512_mulhi_epu16(raw(a), raw(b))); }

// The 32-bit numbers high:low as floats, from the low and the high four words
// of each 128-bit block: unpacking works within blocks, and truncated_words
// packs the two halves back into the words' order.
struct Halves {
  __m512 first, second;
};
Halves as_floats(Words low, Words high) {
  return {_mm512_cvtepi32_ps(_mm512_unpacklo_epi16(raw(low), raw(high))),
          _mm512_cvtepi32_ps(_mm512_unpackhi_epi16(raw(low), raw(high)))};
}
Words truncated_words(__m512 first, __m512 second) {
  return words(_mm512_packus_epi32(_mm512_cvttps_epi32(first), _mm512_cvttps_epi32(second)));
}

// trunc(float(num) / float(den)) for num = high:low, as hue_planes.cpp divides.
Words divided(Words num_low, Words num_high, Words den) {
  const Halves num = as_floats(num_low, num_high), by = as_floats(den, Words{});
  return truncated_words(_mm512_div_ps(num.first, by.first), _mm512_div_ps(num.second, by.second));
}

// round(high:low / 65025), half up, as hue_planes.cpp's rounded_quotient.
Words rounded_quotient_65025(Words low, Words high) {
  const Halves num = as_floats(low, high);
  const __m512 half = _mm512_set1_ps(65025 / 2), scale = _mm512_set1_ps(1.0f / 65025);
  return truncated_words(_mm512_mul_ps(_mm512_add_ps(num.first, half), scale),
                         _mm512_mul_ps(_mm512_add_ps(num.second, half), scale));
}

// round(x / 255), half up, for x <= 65025 (checked one by one).
Words rounded_quotient_255(Words x) {
  const Words t = x + 128;
  return (t + (t >> 8)) >> 8;
}

// floor(x / 255) for x <= 1530 (checked one by one).
Words quotient_255(Words x) { return high_product(x + 1, broadcast(257)); }

}  // namespace

// The parameters' __restrict does not change the declared type (hue_planes.h).
void FASTSSL_KERNEL_NAME(shift_hue_planes)(size_t count, uint8_t shift, const uint32_t* rounded_down_hues,
                                           uint8_t* __restrict r_plane, uint8_t* __restrict g_plane,
                                           uint8_t* __restrict b_plane) {
  // The set's 256 bits as 16 words, picked per lane by a permute.
  const __m512i set = _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rounded_down_hues)));
  for (size_t x = 0; x < count; x += kWords) {
    const Words r = load(r_plane + x), g = load(g_plane + x), b = load(b_plane + x);
    // RGB -> HSV
    const Words v = max_words(r, max_words(g, b));
    const Words cr = v - min_words(r, min_words(g, b));
    const Words n = hue_numerator(r, g, b, v, cr);
    const Words den = 6 * max_words(cr, broadcast(1));
    const Words n255_low = n * 255, n255_high = high_product(n, broadcast(255));
    const Words floor_hue = divided(n255_low, n255_high, den);
    // floor_hue * den is less than den below 255 n: the low words alone tell whether they are equal.
    const Words whole = (floor_hue * den == n255_low) & (n != 0);
    const Words set_word = words(_mm512_permutexvar_epi16(raw(floor_hue >> 4), set));
    const Words hue = floor_hue - (whole & (set_word >> (floor_hue & 15)) & 1);
    const Words s = divided(255 * cr, Words{}, max_words(v, broadcast(1)));
    const Words h = (hue + shift) & 255;
    // HSV -> RGB (hue_planes.h) as in hue_planes.cpp.
    const Words i = quotient_255(6 * h);
    const Words m = 6 * h - 255 * i;
    const Words p = rounded_quotient_255(v * (255 - s));
    const Words qt_fraction = (i & 1) != 0 ? m : 255 - m;
    const Words qt_weight = 65025 - s * qt_fraction;
    const Words qt = rounded_quotient_65025(v * qt_weight, high_product(v, qt_weight));
    const Words sector = broadcast(1) << i;
    const auto pick = [&](uint16_t v_sectors, uint16_t qt_sectors) {  // vptestmw, which GCC does not pick
      const __mmask32 in_v = _mm512_test_epi16_mask(raw(sector), _mm512_set1_epi16(v_sectors));
      const __mmask32 in_qt = _mm512_test_epi16_mask(raw(sector), _mm512_set1_epi16(qt_sectors));
      return words(_mm512_mask_blend_epi16(in_v, _mm512_mask_blend_epi16(in_qt, raw(p), raw(qt)), raw(v)));
    };
    store(pick(kValueSectors[0], kQtSectors[0]), r_plane + x);
    store(pick(kValueSectors[1], kQtSectors[1]), g_plane + x);
    store(pick(kValueSectors[2], kQtSectors[2]), b_plane + x);
  }
}

}  // namespace fastssl
