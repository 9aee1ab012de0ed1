#include "fastssl/box_blur_columns.h"

#include <algorithm>

#include "fastssl/image.h"
#include "fastssl/simd.h"

#ifdef FASTSSL_X86_LEVELS
#include <immintrin.h>
#endif

namespace fastssl {
namespace {

// Row y of the plane, the edge rows standing in for those past them.
const uint8_t* clamped_row(const uint8_t* plane, int height, int width, int y) {
  return plane + static_cast<size_t>(width) * static_cast<size_t>(std::min(std::max(y, 0), height - 1));
}

}  // namespace

FASTSSL_VECTORIZED void box_blur_columns_32bit(const uint8_t* in, uint8_t* out, int height, int width,
                                               const BoxWeights& w) {
  thread_local ScratchVector<uint32_t> acc;
  const size_t row_bytes = static_cast<size_t>(width);
  acc.assign(row_bytes, 0u);
  uint32_t* __restrict sum = acc.data();
  const uint32_t ww = w.ww, fw = w.fw;
  for (int k = -w.radius - 1; k < w.radius; ++k) {  // the window of y = -1
    const uint8_t* __restrict r = clamped_row(in, height, width, k);
    for (size_t i = 0; i < row_bytes; ++i) sum[i] += r[i];
  }
  for (int y = 0; y < height; ++y) {
    const uint8_t* __restrict entering = clamped_row(in, height, width, y + w.radius);
    const uint8_t* __restrict leaving = clamped_row(in, height, width, y - w.radius - 1);
    const uint8_t* __restrict far_right = clamped_row(in, height, width, y + w.radius + 1);
    uint8_t* __restrict dst = out + row_bytes * static_cast<size_t>(y);
    for (size_t i = 0; i < row_bytes; ++i) {
      sum[i] += static_cast<uint32_t>(entering[i]) - leaving[i];
      dst[i] = box_output(sum[i], static_cast<uint32_t>(leaving[i]) + far_right[i], ww, fw);
    }
  }
}

#ifdef FASTSSL_X86_LEVELS
#define FASTSSL_AVX512BW __attribute__((target("avx512f,avx512bw")))
namespace {

// A window of 2 * 63 + 1 bytes sums to at most 32385: pmaddwd's signed words hold it.
constexpr int kMaxRadius16bit = 63;

FASTSSL_AVX512BW inline __mmask64 first_bytes(size_t n) { return n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1; }

// box_output of 16 (whole, far) pairs of words. Pillow's whole * ww + far * fw
// (mod 2^32, as its uint32 arithmetic) is 2^12 (whole * ww_high + far * fw_high)
// + (whole * ww_low + far * fw_low), with 12-bit halves of the 24-bit weights.
FASTSSL_AVX512BW inline __m512i weighted(__m512i pairs, __m512i high, __m512i low) {
  const __m512i bulk = _mm512_add_epi32(_mm512_slli_epi32(_mm512_madd_epi16(pairs, high), 12), _mm512_madd_epi16(pairs, low));
  return _mm512_srli_epi32(_mm512_add_epi32(bulk, _mm512_set1_epi32(1 << 23)), 24);
}

}  // namespace

// 64 columns at a time. The bytes widen to words by in-lane unpacks, so the
// sums are kept in that shuffled order, and the in-lane packs at the end undo it.
FASTSSL_AVX512BW void box_blur_columns_16bit(const uint8_t* in, uint8_t* out, int height, int width,
                                              const BoxWeights& w) {
  if (w.radius > kMaxRadius16bit) return box_blur_columns_32bit(in, out, height, width, w);
  thread_local ScratchVector<uint16_t> acc;
  const size_t row_bytes = static_cast<size_t>(width);
  acc.assign((row_bytes + 63) / 64 * 64, 0);
  uint16_t* sum = acc.data();
  const __m512i zero = _mm512_setzero_si512();
  for (int k = -w.radius - 1; k < w.radius; ++k) {  // the window of y = -1
    const uint8_t* r = clamped_row(in, height, width, k);
    for (size_t i = 0; i < row_bytes; i += 64) {
      const __m512i v = _mm512_maskz_loadu_epi8(first_bytes(row_bytes - i), r + i);
      _mm512_storeu_si512(sum + i, _mm512_add_epi16(_mm512_loadu_si512(sum + i), _mm512_unpacklo_epi8(v, zero)));
      _mm512_storeu_si512(sum + i + 32, _mm512_add_epi16(_mm512_loadu_si512(sum + i + 32), _mm512_unpackhi_epi8(v, zero)));
    }
  }
  const __m512i high = _mm512_set1_epi32(static_cast<int>((w.ww >> 12) | (w.fw >> 12) << 16));
  const __m512i low = _mm512_set1_epi32(static_cast<int>((w.ww & 0xFFF) | (w.fw & 0xFFF) << 16));
  for (int y = 0; y < height; ++y) {
    const uint8_t* entering = clamped_row(in, height, width, y + w.radius);
    const uint8_t* leaving = clamped_row(in, height, width, y - w.radius - 1);
    const uint8_t* far_right = clamped_row(in, height, width, y + w.radius + 1);
    uint8_t* dst = out + row_bytes * static_cast<size_t>(y);
    for (size_t i = 0; i < row_bytes; i += 64) {
      const __mmask64 valid = first_bytes(row_bytes - i);
      const __m512i e = _mm512_maskz_loadu_epi8(valid, entering + i);
      const __m512i l = _mm512_maskz_loadu_epi8(valid, leaving + i);
      const __m512i f = _mm512_maskz_loadu_epi8(valid, far_right + i);
      const __m512i l_low = _mm512_unpacklo_epi8(l, zero), l_high = _mm512_unpackhi_epi8(l, zero);
      const __m512i s_low = _mm512_sub_epi16(_mm512_add_epi16(_mm512_loadu_si512(sum + i), _mm512_unpacklo_epi8(e, zero)), l_low);
      const __m512i s_high =
          _mm512_sub_epi16(_mm512_add_epi16(_mm512_loadu_si512(sum + i + 32), _mm512_unpackhi_epi8(e, zero)), l_high);
      _mm512_storeu_si512(sum + i, s_low);
      _mm512_storeu_si512(sum + i + 32, s_high);
      const __m512i far_low = _mm512_add_epi16(l_low, _mm512_unpacklo_epi8(f, zero));
      const __m512i far_high = _mm512_add_epi16(l_high, _mm512_unpackhi_epi8(f, zero));
      const __m512i out_low = _mm512_packus_epi32(weighted(_mm512_unpacklo_epi16(s_low, far_low), high, low),
                                                  weighted(_mm512_unpackhi_epi16(s_low, far_low), high, low));
      const __m512i out_high = _mm512_packus_epi32(weighted(_mm512_unpacklo_epi16(s_high, far_high), high, low),
                                                   weighted(_mm512_unpackhi_epi16(s_high, far_high), high, low));
      _mm512_mask_storeu_epi8(dst + i, valid, _mm512_packus_epi16(out_low, out_high));
    }
  }
}
#endif

}  // namespace fastssl
