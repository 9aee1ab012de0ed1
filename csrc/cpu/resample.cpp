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
};

// Buffers of one thread's resampling, kept between calls: the engine resamples
// every view, and allocating and page-faulting these each time was measurable.
struct ResampleScratch {
  Coefficients horizontal, vertical;
  ImageBuffer temp, columns, resized;
  ScratchVector<int32_t> acc;
};

ResampleScratch& thread_scratch() {
  thread_local ResampleScratch scratch;
  return scratch;
}

// in0/in1: the box edges relative to `origin`, the first source pixel the window may
// read; `limit` source pixels are readable from there.
void precompute(double in0, double in1, int limit, int out_size, Interpolation interpolation, Coefficients& c) {
  const AxisFilter f = axis_filter(in0, in1, limit, out_size, interpolation == Interpolation::bicubic);
  c.taps = max_taps(f);
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(static_cast<size_t>(out_size) * c.taps, 0);
  for (int xx = 0; xx < out_size; ++xx) {
    const FilterWindow w = filter_window(f, xx);
    for (int x = 0; x < w.count; ++x) c.weights[static_cast<size_t>(xx) * c.taps + x] = fixed_weight(f, w, x);
    c.first[xx] = w.first;
    c.count[xx] = w.count;
  }
}

// Row by row: every output row is a weighted sum of whole source rows, so the
// inner loop runs along the row and vectorizes.
FASTSSL_VECTORIZED void vertical_pass(const ConstImage& src, const Coefficients& c, const Image& dst) {
  const size_t row_bytes = static_cast<size_t>(dst.width) * 3;
  ScratchVector<int32_t>& acc_buffer = thread_scratch().acc;
  acc_buffer.resize(row_bytes);
  int32_t* __restrict acc = acc_buffer.data();  // restrict: byte stores below may not alias it
  for (int y = 0; y < dst.height; ++y) {
    const int32_t* k = &c.weights[static_cast<size_t>(y) * c.taps];
    for (size_t x = 0; x < row_bytes; ++x) acc[x] = kRoundingTerm;
    for (int t = 0; t < c.count[y]; ++t) {
      const uint8_t* __restrict in = src.row(c.first[y] + t);
      const int32_t weight = k[t];
      for (size_t x = 0; x < row_bytes; ++x) acc[x] += in[x] * weight;
    }
    uint8_t* __restrict out = dst.row(y);
    for (size_t x = 0; x < row_bytes; ++x) out[x] = fixed_to_u8(acc[x]);
  }
}

// dst(x, y) = src(y, x) for 3-byte pixels; dst is src.width x src.height.
// Pixels move as one 4-byte word: the spare byte read is the next source pixel
// (or row), the spare byte written lands on the next pixel of the output row,
// which the next step overwrites. Only the last source row moves 3 bytes at a
// time: there the read could pass the end of the source and the write the end
// of the output row.
FASTSSL_VECTORIZED void transpose(const ConstImage& src, const Image& dst) {
  constexpr int kBlock = 32;  // tiles that stay in L1 on both sides
  const int last_row = src.height - 1;
  for (int y0 = 0; y0 < src.height; y0 += kBlock) {
    const int y1 = std::min(src.height, y0 + kBlock);
    const int word_end = std::min(y1, last_row);
    for (int x0 = 0; x0 < src.width; x0 += kBlock) {
      const int x1 = std::min(src.width, x0 + kBlock);
      for (int x = x0; x < x1; ++x) {
        uint8_t* __restrict out = dst.row(x);
        const uint8_t* __restrict in = src.data + 3 * static_cast<size_t>(x);
        for (int y = y0; y < word_end; ++y) {
          uint32_t pixel;
          std::memcpy(&pixel, in + src.stride * static_cast<size_t>(y), 4);
          std::memcpy(out + 3 * static_cast<size_t>(y), &pixel, 4);
        }
        if (y1 == src.height) std::memcpy(out + 3 * static_cast<size_t>(last_row), in + src.stride * static_cast<size_t>(last_row), 3);
      }
    }
  }
}

// The horizontal pass is the vertical pass of the transposed image: transposing
// there and back costs less than multiply-adds that cannot run along a row.
void horizontal_pass(const ConstImage& src, const Coefficients& c, const Image& dst) {
  ImageBuffer& columns = thread_scratch().columns;
  ImageBuffer& resized = thread_scratch().resized;
  columns.resize(src.width, src.height);
  transpose(src, columns.image());
  resized.resize(dst.width, src.height);
  vertical_pass(columns.view(), c, resized.image());
  transpose(resized.view(), dst);
}

std::vector<int> nearest_indices(double in0, double in1, int out_size, int limit) {
  std::vector<int> indices(out_size);
  for (int i = 0; i < out_size; ++i) indices[i] = nearest_index(in0, in1, out_size, limit, i);
  return indices;
}

void nearest(const ConstImage& src, const Box& box, const Image& dst) {
  const std::vector<int> xs = nearest_indices(box.x0, box.x1, dst.width, src.width);
  const std::vector<int> ys = nearest_indices(box.y0, box.y1, dst.height, src.height);
  for (int y = 0; y < dst.height; ++y) {
    const uint8_t* in = src.row(ys[y]);
    uint8_t* out = dst.row(y);
    for (int x = 0; x < dst.width; ++x) std::copy_n(in + 3 * static_cast<size_t>(xs[x]), 3, out + 3 * static_cast<size_t>(x));
  }
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

void resample(const ConstImage& src, const Box& box, Interpolation interpolation, const Image& dst, PassOrder order) {
  if (interpolation == Interpolation::nearest) return nearest(src, box, dst);
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
    const ConstImage columns{window.data + 3 * static_cast<size_t>(x_first), y_limit, x_last - x_first, src.stride};
    temp.resize(dst.height, x_last - x_first);
    vertical_pass(columns, cv, temp.image());
    horizontal_pass(temp.view(), ch, dst);
    return;
  }
  // Only the rows the vertical windows touch go through the horizontal pass.
  const int y_first = cv.first.front();
  const int y_last = cv.first.back() + cv.count.back();
  for (int& f : cv.first) f -= y_first;
  temp.resize(y_last - y_first, dst.width);
  const ConstImage rows{window.row(y_first), y_last - y_first, window.width, window.stride};
  horizontal_pass(rows, ch, temp.image());
  vertical_pass(temp.view(), cv, dst);
}

}  // namespace fastssl
