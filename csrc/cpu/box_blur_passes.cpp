#include "fastssl/box_blur_passes.h"

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

// With the radius known at compile time the window's loop unrolls and the sums
// stay in registers; other radii (sigma above about 3) sum in L1-sized chunks.
template <int kRadius>
FASTSSL_VECTORIZED void box_blur_rows_of_radius(const uint8_t* __restrict in, uint8_t* __restrict out, size_t begin,
                                                size_t end, const BoxWeights& w) {
  const uint8_t* __restrict before = in + begin - kRadius - 1;
  uint8_t* __restrict dst = out + begin;
  const uint32_t ww = w.ww, fw = w.fw;
  for (size_t i = 0; i < end - begin; ++i) {
    uint32_t sum = before[i + 1];
    for (int k = 2; k <= 2 * kRadius + 1; ++k) sum += before[i + k];
    dst[i] = box_output(sum, static_cast<uint32_t>(before[i]) + before[i + 2 * kRadius + 2], ww, fw);
  }
}

FASTSSL_VECTORIZED void box_blur_rows_of_any_radius(const uint8_t* __restrict in, uint8_t* __restrict out,
                                                    size_t begin, size_t end, const BoxWeights& w) {
  constexpr size_t kChunk = 1024;
  thread_local ScratchVector<uint32_t> sums(kChunk);
  uint32_t* __restrict sum = sums.data();
  const size_t r = static_cast<size_t>(w.radius);
  const uint32_t ww = w.ww, fw = w.fw;
  for (size_t chunk = begin; chunk < end; chunk += kChunk) {
    const size_t n = std::min(kChunk, end - chunk);
    const uint8_t* __restrict before = in + chunk - r - 1;
    for (size_t i = 0; i < n; ++i) sum[i] = before[i + 1];
    for (size_t k = 2; k <= 2 * r + 1; ++k)
      for (size_t i = 0; i < n; ++i) sum[i] += before[i + k];
    for (size_t i = 0; i < n; ++i)
      out[chunk + i] = box_output(sum[i], static_cast<uint32_t>(before[i]) + before[i + 2 * r + 2], ww, fw);
  }
}

}  // namespace

void box_blur_rows_32bit(const uint8_t* in, uint8_t* out, size_t begin, size_t end, const BoxWeights& w) {
  switch (w.radius) {
    case 0: return box_blur_rows_of_radius<0>(in, out, begin, end, w);
    case 1: return box_blur_rows_of_radius<1>(in, out, begin, end, w);
    case 2: return box_blur_rows_of_radius<2>(in, out, begin, end, w);
    default: return box_blur_rows_of_any_radius(in, out, begin, end, w);
  }
}

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
#define FASTSSL_AVX512_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
namespace {

// A window of 2 * 63 + 1 bytes sums to at most 32385: vpdpwssd's signed words hold it.
constexpr int kMaxRadius16bit = 63;

// box_output of 16 (whole, far) pairs of words. Pillow's whole * ww + far * fw
// (mod 2^32, as its uint32 arithmetic) is 2^12 (whole * ww_high + far * fw_high)
// + (whole * ww_low + far * fw_low), with 12-bit halves of the 24-bit weights,
// and its rounding term 2^23 is 2^12 * 2^11; vpdpwssd adds as it multiplies.
FASTSSL_AVX512_VNNI inline __m512i weighted(__m512i pairs, __m512i high, __m512i low) {
  const __m512i upper = _mm512_dpwssd_epi32(_mm512_set1_epi32(1 << 11), pairs, high);
  return _mm512_srli_epi32(_mm512_dpwssd_epi32(_mm512_slli_epi32(upper, 12), pairs, low), 24);
}

// The 64 output bytes of 64 (whole, far) sums held as words in unpack order
// (low: unpacklo of the bytes, high: unpackhi); the in-lane packs restore the order.
FASTSSL_AVX512_VNNI inline __m512i box_outputs(__m512i whole_low, __m512i whole_high, __m512i far_low,
                                               __m512i far_high, __m512i high, __m512i low) {
  const __m512i out_low = _mm512_packus_epi32(weighted(_mm512_unpacklo_epi16(whole_low, far_low), high, low),
                                              weighted(_mm512_unpackhi_epi16(whole_low, far_low), high, low));
  const __m512i out_high = _mm512_packus_epi32(weighted(_mm512_unpacklo_epi16(whole_high, far_high), high, low),
                                               weighted(_mm512_unpackhi_epi16(whole_high, far_high), high, low));
  return _mm512_packus_epi16(out_low, out_high);
}

// The weights' 12-bit halves, (ww, fw) in each pair of words.
FASTSSL_AVX512_VNNI inline __m512i high_halves(const BoxWeights& w) {
  return _mm512_set1_epi32(static_cast<int>((w.ww >> 12) | (w.fw >> 12) << 16));
}
FASTSSL_AVX512_VNNI inline __m512i low_halves(const BoxWeights& w) {
  return _mm512_set1_epi32(static_cast<int>((w.ww & 0xFFF) | (w.fw & 0xFFF) << 16));
}

}  // namespace

// 64 outputs at a time, each window's bytes widened to words and summed.
FASTSSL_AVX512_VNNI void box_blur_rows_16bit(const uint8_t* in, uint8_t* out, size_t begin, size_t end,
                                              const BoxWeights& w) {
  if (w.radius > kMaxRadius16bit) return box_blur_rows_32bit(in, out, begin, end, w);
  const int taps = 2 * w.radius + 1;
  const uint8_t* before = in + begin - w.radius - 1;
  const __m512i high = high_halves(w), low = low_halves(w), zero = _mm512_setzero_si512();
  for (size_t i = 0; i < end - begin; i += 64) {
    const __mmask64 valid = first_bytes(end - begin - i);
    __m512i whole_low = zero, whole_high = zero;
    for (int k = 1; k <= taps; ++k) {
      const __m512i v = _mm512_maskz_loadu_epi8(valid, before + i + k);
      whole_low = _mm512_add_epi16(whole_low, _mm512_unpacklo_epi8(v, zero));
      whole_high = _mm512_add_epi16(whole_high, _mm512_unpackhi_epi8(v, zero));
    }
    const __m512i left = _mm512_maskz_loadu_epi8(valid, before + i);
    const __m512i right = _mm512_maskz_loadu_epi8(valid, before + i + taps + 1);
    const __m512i far_low = _mm512_add_epi16(_mm512_unpacklo_epi8(left, zero), _mm512_unpacklo_epi8(right, zero));
    const __m512i far_high = _mm512_add_epi16(_mm512_unpackhi_epi8(left, zero), _mm512_unpackhi_epi8(right, zero));
    _mm512_mask_storeu_epi8(out + begin + i, valid, box_outputs(whole_low, whole_high, far_low, far_high, high, low));
  }
}

// 64 columns at a time. The bytes widen to words by in-lane unpacks, so the
// sums are kept in that shuffled order, and the in-lane packs at the end undo it.
FASTSSL_AVX512_VNNI void box_blur_columns_16bit(const uint8_t* in, uint8_t* out, int height, int width,
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
  const __m512i high = high_halves(w), low = low_halves(w);
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
      _mm512_mask_storeu_epi8(dst + i, valid, box_outputs(s_low, s_high, far_low, far_high, high, low));
    }
  }
}
#endif

}  // namespace fastssl
