// Pillow's separable resampling (libImaging/Resample.c): per output pixel a
// normalized filter window, coefficients in 22-bit fixed point, horizontal pass
// first into an 8-bit temporary, then the vertical pass.
#include "fastssl/resample.h"

#include "fastssl/resample_math.h"
#include "fastssl/simd.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace fastssl {
namespace {

// Filter windows along one axis: for output i, taps start at first[i] (relative to
// the box's integer origin) and use weights[i * taps .. + count[i]).
struct Coefficients {
  int taps = 0;
  ScratchVector<int> first;
  ScratchVector<int> count;
  ScratchVector<int32_t> weights;
  ScratchVector<double> values;   // filter values of kWindows windows, tap by tap, while computing their weights
  ScratchVector<int32_t> fixed;   // their weights, in the same order
};

// Buffers of one thread's resampling, kept between calls: the engine resamples
// every view, and allocating and page-faulting these each time was measurable.
struct ResampleScratch {
  Coefficients horizontal, vertical;
  ImageBuffer temp, columns, resized;
  ScratchVector<const uint8_t*> rows;  // a window's source rows, for the vertical pass
};

ResampleScratch& thread_scratch() {
  thread_local ResampleScratch scratch;
  return scratch;
}

// Windows computed side by side, one per vector lane: each still sums its own
// filter values in tap order, as Pillow does, so the weights are the same.
constexpr int kWindows = 8;

// in0/in1: the box edges relative to `origin`, the first source pixel the window may
// read; `limit` source pixels are readable from there.
FASTSSL_VECTORIZED void precompute(double in0, double in1, int limit, int out_size, Interpolation interpolation,
                                   Coefficients& c) {
  const AxisFilter f = axis_filter(in0, in1, limit, out_size, interpolation == Interpolation::bicubic);
  const int taps = max_taps(f);
  c.taps = taps;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.resize(static_cast<size_t>(out_size) * taps);
  c.values.resize(static_cast<size_t>(taps) * kWindows);
  c.fixed.resize(c.values.size());
  double* __restrict values = c.values.data();
  int32_t* __restrict fixed = c.fixed.data();
  for (int xx0 = 0; xx0 < out_size; xx0 += kWindows) {
    // filter_window and fixed_weight, with each filter value computed once;
    // lanes past the last output repeat it, and taps past a window's count add 0.
    // One array per field, so that the lanes load as vectors.
    int first[kWindows], count[kWindows];
    double center[kWindows], total[kWindows];
    for (int lane = 0; lane < kWindows; ++lane) {
      const FilterWindow w = window_bounds(f, std::min(xx0 + lane, out_size - 1));
      first[lane] = w.first;
      count[lane] = w.count;
      center[lane] = w.center;
      total[lane] = 0.0;
    }
    for (int tap = 0; tap < taps; ++tap)
      for (int lane = 0; lane < kWindows; ++lane) {
        const double value = tap < count[lane] ? tap_value(f, first[lane], center[lane], tap) : 0.0;
        values[tap * kWindows + lane] = value;
        total[lane] += value;
      }
    for (int tap = 0; tap < taps; ++tap)
      for (int lane = 0; lane < kWindows; ++lane)
        fixed[tap * kWindows + lane] = fixed_weight(values[tap * kWindows + lane], total[lane]);
    const int lanes = std::min(kWindows, out_size - xx0);
    for (int lane = 0; lane < lanes; ++lane) {
      int32_t* weights = &c.weights[static_cast<size_t>(xx0 + lane) * taps];
      for (int tap = 0; tap < taps; ++tap) weights[tap] = fixed[tap * kWindows + lane];
      c.first[xx0 + lane] = first[lane];
      c.count[xx0 + lane] = count[lane];
    }
  }
}

// Row by row: every output row is a weighted sum of whole source rows, so the
// kernel's inner loop runs along the rows and vectorizes.
void vertical_pass(const ConstImage& src, const Coefficients& c, const Image& dst, WeightedRowsKernel kernel) {
  const size_t row_bytes = static_cast<size_t>(dst.width) * 3;
  ScratchVector<const uint8_t*>& rows = thread_scratch().rows;
  rows.resize(static_cast<size_t>(c.taps));
  for (int y = 0; y < dst.height; ++y) {
    // Every window has a tap: its center lies inside the box and the support is at least 1.
    const int count = c.count[y];
    for (int t = 0; t < count; ++t) rows[t] = src.row(c.first[y] + t);
    kernel(row_bytes, count, rows.data(), &c.weights[static_cast<size_t>(y) * c.taps], dst.row(y));
  }
}

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
FASTSSL_VECTORIZED void transpose(const ConstImage& src, const Image& dst) {
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

namespace {

// The horizontal pass is the vertical pass of the transposed image: transposing
// there and back costs less than multiply-adds that cannot run along a row.
// `columns` is the source transposed (its row x is the source's column x).
void horizontal_pass_of_columns(const ConstImage& columns, const Coefficients& c, const Image& dst,
                                WeightedRowsKernel kernel) {
  ImageBuffer& resized = thread_scratch().resized;
  resized.resize(dst.width, columns.width);
  vertical_pass(columns, c, resized.image(), kernel);
  transpose(resized.view(), dst);
}

void horizontal_pass(const ConstImage& src, const Coefficients& c, const Image& dst, WeightedRowsKernel kernel) {
  ImageBuffer& columns = thread_scratch().columns;
  columns.resize(src.width, src.height);
  transpose(src, columns.image());
  horizontal_pass_of_columns(columns.view(), c, dst, kernel);
}

// Source indices of every output along one axis, reversed when mirrored.
std::vector<int> nearest_indices(double in0, double in1, int out_size, int limit, bool mirrored) {
  std::vector<int> indices(out_size);
  NearestAxis axis(in0, in1, out_size, limit);
  for (int i = 0; i < out_size; ++i, axis.advance()) indices[i] = axis.index();
  if (mirrored) std::reverse(indices.begin(), indices.end());
  return indices;
}

void nearest(const ConstImage& src, const Box& box, const Image& dst, Mirror mirror) {
  const std::vector<int> xs = nearest_indices(box.x0, box.x1, dst.width, src.width, mirror.horizontal);
  const std::vector<int> ys = nearest_indices(box.y0, box.y1, dst.height, src.height, mirror.vertical);
  for (int y = 0; y < dst.height; ++y) {
    const uint8_t* in = src.row(ys[y]);
    uint8_t* out = dst.row(y);
    for (int x = 0; x < dst.width; ++x) std::copy_n(in + 3 * static_cast<size_t>(xs[x]), 3, out + 3 * static_cast<size_t>(x));
  }
}

// Output i takes the window of output n - 1 - i: the resized image comes out mirrored.
void reverse_outputs(Coefficients& c) {
  std::reverse(c.first.begin(), c.first.end());
  std::reverse(c.count.begin(), c.count.end());
  const size_t taps = static_cast<size_t>(c.taps);
  for (size_t i = 0, j = c.first.size() - 1; i < j; ++i, --j)
    std::swap_ranges(&c.weights[i * taps], &c.weights[i * taps] + taps, &c.weights[j * taps]);
}


}  // namespace

ReadableWindow readable_window(const Box& box, int height, int width) {
  ReadableWindow w;
  w.x_origin = std::max(0, static_cast<int>(std::floor(box.x0)));
  w.y_origin = std::max(0, static_cast<int>(std::floor(box.y0)));
  w.x_limit = std::min(width, static_cast<int>(std::ceil(box.x1))) - w.x_origin;
  w.y_limit = std::min(height, static_cast<int>(std::ceil(box.y1))) - w.y_origin;
  return w;
}

bool vertical_pass_first(const Box& box, int out_height, int out_width, PassOrder order) {
  const int in_width = static_cast<int>(std::lround(box.x1 - box.x0));
  const int in_height = static_cast<int>(std::lround(box.y1 - box.y0));
  return order == PassOrder::pillow13 && out_height < in_height && in_height - out_height > 2 * (in_width - out_width);
}

void resample(const ConstImage& src, const Box& box, Interpolation interpolation, const Image& dst, PassOrder order,
              Mirror mirror, WeightedRowsKernel kernel, const ConstImage* transposed) {
  if (interpolation == Interpolation::nearest) return nearest(src, box, dst, mirror);
  const ReadableWindow rw = readable_window(box, src.height, src.width);
  ResampleScratch& scratch = thread_scratch();
  Coefficients& ch = scratch.horizontal;
  Coefficients& cv = scratch.vertical;
  precompute(box.x0 - rw.x_origin, box.x1 - rw.x_origin, rw.x_limit, dst.width, interpolation, ch);
  precompute(box.y0 - rw.y_origin, box.y1 - rw.y_origin, rw.y_limit, dst.height, interpolation, cv);
  const int x_limit = rw.x_limit, y_limit = rw.y_limit;
  const ConstImage window{src.row(rw.y_origin) + 3 * static_cast<size_t>(rw.x_origin), y_limit, x_limit, src.stride};
  const bool vertical_first = vertical_pass_first(box, dst.height, dst.width, order);
  ImageBuffer& temp = scratch.temp;
  if (vertical_first) {
    // Only the columns the horizontal windows touch go through the vertical pass.
    const int x_first = ch.first.front();
    const int x_last = ch.first.back() + ch.count.back();
    for (int& f : ch.first) f -= x_first;
    if (mirror.horizontal) reverse_outputs(ch);
    if (mirror.vertical) reverse_outputs(cv);
    const ConstImage columns{window.data + 3 * static_cast<size_t>(x_first), y_limit, x_last - x_first, src.stride};
    temp.resize(dst.height, x_last - x_first);
    vertical_pass(columns, cv, temp.image(), kernel);
    horizontal_pass(temp.view(), ch, dst, kernel);
    return;
  }
  // Only the rows the vertical windows touch go through the horizontal pass.
  const int y_first = cv.first.front();
  const int y_last = cv.first.back() + cv.count.back();
  for (int& f : cv.first) f -= y_first;
  if (mirror.horizontal) reverse_outputs(ch);
  if (mirror.vertical) reverse_outputs(cv);
  temp.resize(y_last - y_first, dst.width);
  if (transposed) {
    const ConstImage columns{transposed->row(rw.x_origin) + 3 * static_cast<size_t>(rw.y_origin + y_first),
                             window.width, y_last - y_first, transposed->stride};
    horizontal_pass_of_columns(columns, ch, temp.image(), kernel);
  } else {
    const ConstImage rows{window.row(y_first), y_last - y_first, window.width, window.stride};
    horizontal_pass(rows, ch, temp.image(), kernel);
  }
  vertical_pass(temp.view(), cv, dst, kernel);
}

}  // namespace fastssl
