#include "fastssl/blend_constant.h"

#include "fastssl/pixel_math.h"
#include "fastssl/simd.h"

#ifdef FASTSSL_X86_LEVELS
#include <immintrin.h>
#endif

namespace fastssl {

FASTSSL_VECTORIZED void blend_constant_arithmetic(uint8_t* bytes, size_t count, int degenerate, float alpha) {
  uint8_t* __restrict p = bytes;  // byte stores may alias anything: without restrict nothing vectorizes
  for (size_t i = 0; i < count; ++i) p[i] = blend(degenerate, p[i], alpha);
}

#ifdef FASTSSL_X86_LEVELS
// vpermt2b picks 64 bytes out of two 64-byte registers by the low 7 bits of each
// index: one lookup in each half of the table, and each byte's top bit chooses.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void blend_constant_byte_table(uint8_t* bytes, size_t count,
                                                                                       int degenerate, float alpha) {
  alignas(64) uint8_t table[256];  // the arithmetic kernel's result for every byte
  for (int v = 0; v < 256; ++v) table[v] = static_cast<uint8_t>(v);
  blend_constant_arithmetic(table, 256, degenerate, alpha);
  const __m512i low0 = _mm512_load_si512(table), low1 = _mm512_load_si512(table + 64);
  const __m512i high0 = _mm512_load_si512(table + 128), high1 = _mm512_load_si512(table + 192);
  for (size_t i = 0; i < count; i += 64) {
    const __mmask64 valid = first_bytes(count - i);
    const __m512i v = _mm512_maskz_loadu_epi8(valid, bytes + i);
    const __m512i low = _mm512_permutex2var_epi8(low0, v, low1);
    const __m512i high = _mm512_permutex2var_epi8(high0, v, high1);
    _mm512_mask_storeu_epi8(bytes + i, valid, _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), low, high));
  }
}
#endif

}  // namespace fastssl
