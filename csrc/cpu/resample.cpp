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
void vertical_pass(const ConstImage& src, const Coefficients& c, const Image& dst, const KernelLevel& kernels) {
  const size_t row_bytes = static_cast<size_t>(dst.width) * 3;
  ScratchVector<const uint8_t*>& rows = thread_scratch().rows;
  rows.resize(static_cast<size_t>(c.taps));
  for (int y = 0; y < dst.height; ++y) {
    // Every window has a tap: its center lies inside the box and the support is at least 1.
    const int count = c.count[y];
    for (int t = 0; t < count; ++t) rows[t] = src.row(c.first[y] + t);
    kernels.weighted_rows(row_bytes, count, rows.data(), &c.weights[static_cast<size_t>(y) * c.taps], dst.row(y));
  }
}

// The horizontal pass is the vertical pass of the transposed image: transposing
// there and back costs less than multiply-adds that cannot run along a row.
// `columns` is the source transposed (its row x is the source's column x).
void horizontal_pass_of_columns(const ConstImage& columns, const Coefficients& c, const Image& dst,
                                const KernelLevel& kernels) {
  ImageBuffer& resized = thread_scratch().resized;
  resized.resize(dst.width, columns.width);
  vertical_pass(columns, c, resized.image(), kernels);
  kernels.transpose(resized.view(), dst);
}

void horizontal_pass(const ConstImage& src, const Coefficients& c, const Image& dst, const KernelLevel& kernels) {
  ImageBuffer& columns = thread_scratch().columns;
  columns.resize(src.width, src.height);
  kernels.transpose(src, columns.image());
  horizontal_pass_of_columns(columns.view(), c, dst, kernels);
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
              Mirror mirror, const KernelLevel& kernels, const ConstImage* transposed) {
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
    vertical_pass(columns, cv, temp.image(), kernels);
    horizontal_pass(temp.view(), ch, dst, kernels);
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
    horizontal_pass_of_columns(columns, ch, temp.image(), kernels);
  } else {
    const ConstImage rows{window.row(y_first), y_last - y_first, window.width, window.stride};
    horizontal_pass(rows, ch, temp.image(), kernels);
  }
  vertical_pass(temp.view(), cv, dst, kernels);
}

}  // namespace fastssl
