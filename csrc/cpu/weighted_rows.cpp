// Weighted sums of rows (weighted_rows.h). The vector versions keep a block of
// the output row in registers through all taps, so each source byte is loaded
// once and the 32-bit sums never go through memory.
#include "fastssl/weighted_rows.h"

#include <algorithm>

#include "fastssl/resample_math.h"  // its constants only: its inline functions must not be emitted here
#include "fastssl/simd.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace fastssl {
namespace {

// fixed_to_u8 of resample_math.h, as a copy with internal linkage (weighted_rows.h says why).
uint8_t clamped_byte(int32_t sum) {
  sum >>= kPrecisionBits;
  return static_cast<uint8_t>(sum < 0 ? 0 : (sum > 255 ? 255 : sum));
}

#if defined(__AVX512F__) && defined(__AVX512BW__)
__m512i weighted(__m128i bytes, int32_t weight) {
  return _mm512_mullo_epi32(_mm512_cvtepu8_epi32(bytes), _mm512_set1_epi32(weight));
}
__m128i narrowed(__m512i sum) {
  return _mm512_cvtusepi32_epi8(_mm512_max_epi32(_mm512_srai_epi32(sum, kPrecisionBits), _mm512_setzero_si512()));
}

void weighted_rows_blocks(size_t n, int taps, const uint8_t* const* rows, const int32_t* weights, uint8_t* out) {
  const __m512i rounding = _mm512_set1_epi32(kRoundingTerm);
  size_t x = 0;
  for (; x + 64 <= n; x += 64) {
    __m512i sum[4] = {rounding, rounding, rounding, rounding};
    for (int t = 0; t < taps; ++t)
      for (int i = 0; i < 4; ++i)
        sum[i] = _mm512_add_epi32(
            sum[i], weighted(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[t] + x + 16 * i)), weights[t]));
    for (int i = 0; i < 4; ++i) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x + 16 * i), narrowed(sum[i]));
  }
  for (; x < n; x += 16) {  // the last bytes under a mask: nothing past the row is read or written
    const __mmask16 mask = n - x >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (n - x)) - 1);
    __m512i sum = rounding;
    for (int t = 0; t < taps; ++t) sum = _mm512_add_epi32(sum, weighted(_mm_maskz_loadu_epi8(mask, rows[t] + x), weights[t]));
    _mm_mask_storeu_epi8(out + x, mask, narrowed(sum));
  }
}
#elif defined(__AVX2__)
__m256i weighted(const uint8_t* bytes, int32_t weight) {
  return _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes))),
                            _mm256_set1_epi32(weight));
}

void weighted_rows_blocks(size_t n, int taps, const uint8_t* const* rows, const int32_t* weights, uint8_t* out) {
  const __m256i rounding = _mm256_set1_epi32(kRoundingTerm);
  // The packs work within 128-bit halves; this puts their 4-byte groups back in order.
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  size_t x = 0;
  for (; x + 32 <= n; x += 32) {
    __m256i sum[4] = {rounding, rounding, rounding, rounding};
    for (int t = 0; t < taps; ++t)
      for (int i = 0; i < 4; ++i) sum[i] = _mm256_add_epi32(sum[i], weighted(rows[t] + x + 8 * i, weights[t]));
    // Shifted, the sums lie within +-2^10, so the saturating packs clamp them exactly.
    for (__m256i& s : sum) s = _mm256_srai_epi32(s, kPrecisionBits);
    const __m256i bytes = _mm256_packus_epi16(_mm256_packs_epi32(sum[0], sum[1]), _mm256_packs_epi32(sum[2], sum[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + x), _mm256_permutevar8x32_epi32(bytes, order));
  }
  for (; x < n; ++x) {
    int32_t sum = kRoundingTerm;
    for (int t = 0; t < taps; ++t) sum += rows[t][x] * weights[t];
    out[x] = clamped_byte(sum);
  }
}
#else
// Chunks of 32-bit sums on the stack, taps in pairs: loops that GCC vectorizes
// for SSE2 (or NEON).
void weighted_rows_blocks(size_t n, int taps, const uint8_t* const* rows, const int32_t* weights, uint8_t* out) {
  constexpr size_t kChunk = 512;
  int32_t sums[kChunk];
  for (size_t x0 = 0; x0 < n; x0 += kChunk) {
    const size_t m = std::min(kChunk, n - x0);
    for (size_t x = 0; x < m; ++x) sums[x] = kRoundingTerm;
    int t = 0;
    for (; t + 2 <= taps; t += 2) {
      const uint8_t* in0 = rows[t] + x0;
      const uint8_t* in1 = rows[t + 1] + x0;
      const int32_t w0 = weights[t], w1 = weights[t + 1];
      for (size_t x = 0; x < m; ++x) sums[x] += in0[x] * w0 + in1[x] * w1;
    }
    if (t < taps) {
      const uint8_t* in = rows[t] + x0;
      const int32_t w = weights[t];
      for (size_t x = 0; x < m; ++x) sums[x] += in[x] * w;
    }
    for (size_t x = 0; x < m; ++x) out[x0 + x] = clamped_byte(sums[x]);
  }
}
#endif

}  // namespace

void FASTSSL_KERNEL_NAME(weighted_rows)(size_t n, int taps, const uint8_t* const* rows, const int32_t* weights,
                                        uint8_t* out) {
  weighted_rows_blocks(n, taps, rows, weights, out);
}

}  // namespace fastssl
