#include "fastssl/transpose.h"

#include <algorithm>
#include <cstring>

#include "fastssl/simd.h"

#ifdef FASTSSL_X86_LEVELS
#include <immintrin.h>
#endif

namespace fastssl {
namespace {

using Words4 = uint32_t __attribute__((vector_size(16)));

// Pixels x..x+3 of four source rows become pixels y..y+3 of four output rows:
// the 3-byte pixels are widened to 32-bit lanes, transposed as a 4x4 block of
// words, and packed back. Reads and writes 16 bytes; the last 4 written are
// scratch that a later block or pixel overwrites.
inline void transpose_block(const uint8_t* in, size_t in_stride, uint8_t* out, size_t out_stride) {
  const Bytes16 widen = {0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12};
  const Bytes16 pack = {0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 15, 15, 15, 15};
  Words4 w[4];
  for (int i = 0; i < 4; ++i) {
    Bytes16 row;
    std::memcpy(&row, in + in_stride * static_cast<size_t>(i), 16);
    row = __builtin_shuffle(row, widen);
    std::memcpy(&w[i], &row, 16);
  }
  const Words4 low = {0, 4, 1, 5}, high = {2, 6, 3, 7}, first = {0, 1, 4, 5}, second = {2, 3, 6, 7};
  const Words4 a = __builtin_shuffle(w[0], w[1], low), b = __builtin_shuffle(w[2], w[3], low);
  const Words4 c = __builtin_shuffle(w[0], w[1], high), d = __builtin_shuffle(w[2], w[3], high);
  const Words4 columns[4] = {__builtin_shuffle(a, b, first), __builtin_shuffle(a, b, second),
                             __builtin_shuffle(c, d, first), __builtin_shuffle(c, d, second)};
  for (int j = 0; j < 4; ++j) {
    Bytes16 packed;
    std::memcpy(&packed, &columns[j], 16);
    packed = __builtin_shuffle(packed, pack);
    std::memcpy(out + out_stride * static_cast<size_t>(j), &packed, 16);
  }
}

}  // namespace

// Tiles of 4x4 pixels move as vectors where their 16-byte reads and writes stay
// inside the rows (x + 6 <= width, y + 6 <= height); the pixels along the far
// edges move one at a time, after the blocks of their output row, whose spare
// bytes they overwrite.
FASTSSL_VECTORIZED void transpose_in_blocks_of_4(const ConstImage& src, const Image& dst) {
  constexpr int kTile = 32;  // tiles that stay in L1 on both sides
  const int block_width = src.width >= 6 ? (src.width - 2) / 4 * 4 : 0;
  const int block_height = src.height >= 6 ? (src.height - 2) / 4 * 4 : 0;
  for (int y0 = 0; y0 < block_height; y0 += kTile) {
    const int y1 = std::min(block_height, y0 + kTile);
    for (int x0 = 0; x0 < block_width; x0 += kTile) {
      const int x1 = std::min(block_width, x0 + kTile);
      for (int y = y0; y < y1; y += 4)
        for (int x = x0; x < x1; x += 4)
          transpose_block(src.row(y) + 3 * static_cast<size_t>(x), src.stride, dst.row(x) + 3 * static_cast<size_t>(y),
                          dst.stride);
    }
  }
  auto move = [&](int x, int y) { std::memcpy(dst.row(x) + 3 * static_cast<size_t>(y), src.row(y) + 3 * static_cast<size_t>(x), 3); };
  for (int x = 0; x < src.width; ++x) {
    const int y_start = x < block_width ? block_height : 0;
    for (int y = y_start; y < src.height; ++y) move(x, y);
  }
}


#ifdef FASTSSL_X86_LEVELS
#define FASTSSL_VBMI __attribute__((target("avx512f,avx512bw,avx512vbmi")))
namespace {

// Byte indices for vpermb: each 3-byte pixel to a 32-bit word of its own (the
// fourth byte repeats the third), and back.
struct WordIndices {
  alignas(64) uint8_t widen[64];
  alignas(64) uint8_t narrow[64];
  constexpr WordIndices() : widen(), narrow() {
    for (int i = 0; i < 64; ++i) {
      widen[i] = static_cast<uint8_t>(3 * (i / 4) + std::min(i % 4, 2));
      narrow[i] = static_cast<uint8_t>(i < 48 ? i / 3 * 4 + i % 3 : 0);
    }
  }
};
constexpr WordIndices kWordIndices;

// 16 rows of 16 words in, their 16 columns out: pairs of words, then of
// 64-bit halves, then 128-bit lanes, each stage one shuffle per register.
FASTSSL_VBMI inline void transpose_words(__m512i r[16]) {
  __m512i a[16], b[16];
  for (int p = 0; p < 8; ++p) {
    a[2 * p] = _mm512_unpacklo_epi32(r[2 * p], r[2 * p + 1]);
    a[2 * p + 1] = _mm512_unpackhi_epi32(r[2 * p], r[2 * p + 1]);
  }
  // b[4q + k], lane L: column 4L + k of rows 4q..4q+3.
  for (int q = 0; q < 4; ++q) {
    b[4 * q] = _mm512_unpacklo_epi64(a[4 * q], a[4 * q + 2]);
    b[4 * q + 1] = _mm512_unpackhi_epi64(a[4 * q], a[4 * q + 2]);
    b[4 * q + 2] = _mm512_unpacklo_epi64(a[4 * q + 1], a[4 * q + 3]);
    b[4 * q + 3] = _mm512_unpackhi_epi64(a[4 * q + 1], a[4 * q + 3]);
  }
  // Column 4L + k gathers lane L of b[k], b[4 + k], b[8 + k] and b[12 + k].
  for (int k = 0; k < 4; ++k) {
    const __m512i low01 = _mm512_shuffle_i32x4(b[k], b[4 + k], 0x44), high01 = _mm512_shuffle_i32x4(b[k], b[4 + k], 0xEE);
    const __m512i low23 = _mm512_shuffle_i32x4(b[8 + k], b[12 + k], 0x44);
    const __m512i high23 = _mm512_shuffle_i32x4(b[8 + k], b[12 + k], 0xEE);
    r[k] = _mm512_shuffle_i32x4(low01, low23, 0x88);
    r[4 + k] = _mm512_shuffle_i32x4(low01, low23, 0xDD);
    r[8 + k] = _mm512_shuffle_i32x4(high01, high23, 0x88);
    r[12 + k] = _mm512_shuffle_i32x4(high01, high23, 0xDD);
  }
}

}  // namespace

// Tiles of 16 x 16 pixels, 48 bytes of each row under a mask: a tile at the
// far edges simply has fewer rows or columns, and nothing past them is touched.
FASTSSL_VBMI void transpose_in_tiles_of_16(const ConstImage& src, const Image& dst) {
  const __m512i widen = _mm512_load_si512(kWordIndices.widen), narrow = _mm512_load_si512(kWordIndices.narrow);
  for (int y0 = 0; y0 < src.height; y0 += 16) {
    const int rows = std::min(16, src.height - y0);
    const __mmask64 row_bytes = first_bytes(3 * rows);
    for (int x0 = 0; x0 < src.width; x0 += 16) {
      const int columns = std::min(16, src.width - x0);
      const __mmask64 column_bytes = first_bytes(3 * columns);
      __m512i words[16];
      for (int i = 0; i < 16; ++i) {
        const uint8_t* in = src.row(y0 + i) + 3 * static_cast<size_t>(x0);
        words[i] = i < rows ? _mm512_permutexvar_epi8(widen, _mm512_maskz_loadu_epi8(column_bytes, in))
                            : _mm512_setzero_si512();
      }
      transpose_words(words);
      for (int j = 0; j < columns; ++j)
        _mm512_mask_storeu_epi8(dst.row(x0 + j) + 3 * static_cast<size_t>(y0), row_bytes,
                                _mm512_permutexvar_epi8(narrow, words[j]));
    }
  }
}
#endif

}  // namespace fastssl
