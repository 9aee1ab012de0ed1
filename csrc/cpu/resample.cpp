// Pillow's separable resampling (libImaging/Resample.c): per output pixel a
// normalized filter window, coefficients in 22-bit fixed point, horizontal pass
// first into an 8-bit temporary, then the vertical pass.
#include "fastssl/resample.h"

#include "fastssl/simd.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace fastssl {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double bilinear_filter(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubic_filter(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// Filter windows along one axis: for output i, taps start at first[i] (relative to
// the box's integer origin) and use weights[i * taps .. + count[i]).
struct Coefficients {
  int taps = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

// in0/in1: the box edges relative to `origin`, the first source pixel the window may
// read; `limit` source pixels are readable from there.
Coefficients precompute(double in0, double in1, int limit, int out_size, Interpolation interpolation) {
  double (*filter)(double) = interpolation == Interpolation::bicubic ? bicubic_filter : bilinear_filter;
  const double support_base = interpolation == Interpolation::bicubic ? 2.0 : 1.0;
  const double scale = (in1 - in0) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = support_base * filter_scale;
  Coefficients c;
  c.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(static_cast<size_t>(out_size) * c.taps, 0);
  std::vector<double> k(c.taps);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filter_scale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > limit) xmax = limit;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = filter((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double w = ww != 0.0 ? k[x] / ww : k[x];
      // Pillow rounds half away from zero when converting to fixed point.
      const double fixed = w * (1 << kPrecisionBits);
      c.weights[static_cast<size_t>(xx) * c.taps + x] = static_cast<int32_t>(w < 0 ? std::trunc(-0.5 + fixed)
                                                                                    : std::trunc(0.5 + fixed));
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t v) {
  v >>= kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Row by row: every output row is a weighted sum of whole source rows, so the
// inner loop runs along the row and vectorizes.
FASTSSL_VECTORIZED void vertical_pass(const ConstImage& src, const Coefficients& c, const Image& dst) {
  const size_t row_bytes = static_cast<size_t>(dst.width) * 3;
  std::vector<int32_t> acc_buffer(row_bytes);
  int32_t* __restrict acc = acc_buffer.data();  // restrict: byte stores below may not alias it
  for (int y = 0; y < dst.height; ++y) {
    const int32_t* k = &c.weights[static_cast<size_t>(y) * c.taps];
    for (size_t x = 0; x < row_bytes; ++x) acc[x] = 1 << (kPrecisionBits - 1);
    for (int t = 0; t < c.count[y]; ++t) {
      const uint8_t* __restrict in = src.row(c.first[y] + t);
      const int32_t weight = k[t];
      for (size_t x = 0; x < row_bytes; ++x) acc[x] += in[x] * weight;
    }
    uint8_t* __restrict out = dst.row(y);
    for (size_t x = 0; x < row_bytes; ++x) out[x] = clip8(acc[x]);
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
  ImageBuffer columns, resized;
  columns.resize(src.width, src.height);
  transpose(src, columns.image());
  resized.resize(dst.width, src.height);
  vertical_pass(columns.view(), c, resized.image());
  transpose(resized.view(), dst);
}

// Source indices for nearest sampling along one axis, as Pillow's scale-only
// affine transform computes them: the position accumulates in floating point
// from the crop origin (torchvision crops, then resizes).
std::vector<int> nearest_indices(double in0, double in1, int out_size, int limit) {
  const int origin = static_cast<int>(std::floor(in0));
  const double step = (in1 - in0) / out_size;
  double pos = (in0 - origin) + step * 0.5;
  std::vector<int> indices(out_size);
  for (int i = 0; i < out_size; ++i, pos += step)
    indices[i] = std::min(origin + static_cast<int>(pos), limit - 1);
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

void resample(const ConstImage& src, const Box& box, Interpolation interpolation, const Image& dst, PassOrder order) {
  if (interpolation == Interpolation::nearest) return nearest(src, box, dst);
  // The readable window: the box widened to whole pixels, clamped to the image.
  const int x_origin = std::max(0, static_cast<int>(std::floor(box.x0)));
  const int y_origin = std::max(0, static_cast<int>(std::floor(box.y0)));
  const int x_limit = std::min(src.width, static_cast<int>(std::ceil(box.x1))) - x_origin;
  const int y_limit = std::min(src.height, static_cast<int>(std::ceil(box.y1))) - y_origin;
  Coefficients ch = precompute(box.x0 - x_origin, box.x1 - x_origin, x_limit, dst.width, interpolation);
  Coefficients cv = precompute(box.y0 - y_origin, box.y1 - y_origin, y_limit, dst.height, interpolation);
  const ConstImage window{src.row(y_origin) + 3 * static_cast<size_t>(x_origin), y_limit, x_limit, src.stride};
  const int in_width = static_cast<int>(std::lround(box.x1 - box.x0));
  const int in_height = static_cast<int>(std::lround(box.y1 - box.y0));
  const bool vertical_first = order == PassOrder::pillow13 && dst.height < in_height &&
                              in_height - dst.height > 2 * (in_width - dst.width);
  ImageBuffer temp;
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
