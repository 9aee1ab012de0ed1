#include "fastssl/color.h"

#include "fastssl/hue_planes.h"
#include "fastssl/pixel_math.h"
#include "fastssl/simd.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <type_traits>

namespace fastssl {
namespace {

// Buffers of one thread's color ops, kept between calls so that no op
// allocates (or zero-fills) per view.
struct ColorScratch {
  Bytes blur_a, blur_b;  // the blur's passes go back and forth between these
};

ColorScratch& thread_scratch() {
  thread_local ColorScratch scratch;
  return scratch;
}

// Pointers are restrict-qualified locals, and sizes are copied into locals: byte
// stores may alias anything (the Planes too), and without those promises the
// compiler reloads every operand and cannot vectorize.

// Per row, so that a 32-bit sum cannot overflow.
FASTSSL_VECTORIZED uint64_t luma_sum(const Planes& img) {
  uint64_t total = 0;
  for (int y = 0; y < img.height; ++y) {
    const uint8_t* __restrict r = img.row(0, y);
    const uint8_t* __restrict g = img.row(1, y);
    const uint8_t* __restrict b = img.row(2, y);
    uint32_t row_total = 0;
    for (int x = 0; x < img.width; ++x) row_total += luma(r[x], g[x], b[x]);
    total += row_total;
  }
  return total;
}

// blend() of every channel against the pixel's own luma (ImageEnhance.Color).
FASTSSL_VECTORIZED void blend_luma(const Planes& img, float alpha) {
  const size_t n = img.pixels();
  uint8_t* __restrict r = img.channel(0);
  uint8_t* __restrict g = img.channel(1);
  uint8_t* __restrict b = img.channel(2);
  for (size_t i = 0; i < n; ++i) {
    const int gray = luma(r[i], g[i], b[i]);
    r[i] = blend(gray, r[i], alpha);
    g[i] = blend(gray, g[i], alpha);
    b[i] = blend(gray, b[i], alpha);
  }
}

FASTSSL_VECTORIZED void gray_planes(const Planes& img) {
  const size_t n = img.pixels();
  uint8_t* __restrict r = img.channel(0);
  uint8_t* __restrict g = img.channel(1);
  uint8_t* __restrict b = img.channel(2);
  for (size_t i = 0; i < n; ++i) r[i] = luma(r[i], g[i], b[i]);
  std::copy_n(r, n, g);
  std::copy_n(r, n, b);
}

// The kernels' set of the whole hue quotients that Pillow rounds down
// (hue_planes.h), built once from rgb_to_shifted_hsv itself over every color
// with min = 0: the hue depends only on differences between channels.
std::array<uint32_t, kHueRoundDownWords> build_rounded_down_hues() {
  std::array<uint32_t, kHueRoundDownWords> rounded_down{}, kept{};
  for (int max = 1; max < 256; ++max)
    for (int mid = 0; mid <= max; ++mid)
      for (int order = 0; order < 6; ++order) {
        int c[3];
        c[order / 2] = max;
        c[(order / 2 + 1 + order % 2) % 3] = mid;
        c[(order / 2 + 2 - order % 2) % 3] = 0;
        const auto [r, g, b] = c;
        const int n = hue_numerator(r, g, b, max, max);  // min = 0: cr = max
        if (n == 0 || 255 * n % (6 * max) != 0) continue;
        const int q = 255 * n / (6 * max);
        uint8_t hue, sat, val;
        rgb_to_shifted_hsv(r, g, b, 0, &hue, &sat, &val);
        auto& set = hue == q ? kept : rounded_down;
        set[q / 32] |= uint32_t{1} << (q % 32);
      }
  for (int w = 0; w < kHueRoundDownWords; ++w)
    if (rounded_down[w] & kept[w])
      throw std::logic_error("Pillow's hue rounds some whole quotient down for one color and not another");
  return rounded_down;
}

const uint32_t* rounded_down_hues() {
  static const std::array<uint32_t, kHueRoundDownWords> set = build_rounded_down_hues();
  return set.data();
}

// The padding of every row of `rows`: copies of its first and last pixel.
// Pad: size_t, or a std::integral_constant, which turns the fills into inline stores.
template <typename Pad>
void pad_rows_by(uint8_t* rows, int count, size_t stride, Pad pad) {
  for (int y = 0; y < count; ++y) {
    uint8_t* row = rows + stride * static_cast<size_t>(y);
    std::fill_n(row, pad, row[pad]);
    std::fill_n(row + stride - pad, pad, row[stride - pad - 1]);
  }
}

// The usual pads (sigma up to about 4) known at compile time: a memset call per pad cost a sixth of the blur.
void pad_rows(uint8_t* rows, int count, size_t stride, size_t pad) {
  switch (pad) {
    case 1: return pad_rows_by(rows, count, stride, std::integral_constant<size_t, 1>{});
    case 2: return pad_rows_by(rows, count, stride, std::integral_constant<size_t, 2>{});
    case 3: return pad_rows_by(rows, count, stride, std::integral_constant<size_t, 3>{});
    case 4: return pad_rows_by(rows, count, stride, std::integral_constant<size_t, 4>{});
    default: return pad_rows_by(rows, count, stride, pad);
  }
}

// The passes over rows, on padded copies of the three planes' rows, back and forth.
void box_blur_rows(const Planes& img, const BoxWeights& w, Bytes& padded, Bytes& other, BoxBlurRowsKernel row_pass) {
  const size_t pad = static_cast<size_t>(w.radius) + 1;
  const size_t width = static_cast<size_t>(img.width);
  const size_t stride = width + 2 * pad;
  const int rows = 3 * img.height;
  padded.resize(stride * static_cast<size_t>(rows));
  other.resize(padded.size());
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < img.height; ++y)
      std::copy_n(img.row(c, y), width, &padded[stride * static_cast<size_t>(c * img.height + y) + pad]);
  pad_rows(padded.data(), rows, stride, pad);
  uint8_t* in = padded.data();
  uint8_t* out = other.data();
  const size_t end = padded.size() - pad;
  for (int pass = 0; pass < kBoxBlurPasses; ++pass) {
    row_pass(in, out, pad, end, w);
    if (pass + 1 < kBoxBlurPasses) pad_rows(out, rows, stride, pad);  // the last pass's pads go unread
    std::swap(in, out);
  }
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < img.height; ++y)
      std::copy_n(&in[stride * static_cast<size_t>(c * img.height + y) + pad], width, img.row(c, y));
}

// The passes over columns, plane by plane: the plane to one buffer, to the other, back.
void box_blur_columns(const Planes& img, const BoxWeights& w, Bytes& first, Bytes& second,
                      BoxBlurColumnsKernel column_pass) {
  static_assert(kBoxBlurPasses == 3, "the passes end in the plane");
  first.resize(img.pixels());
  second.resize(img.pixels());
  for (int c = 0; c < 3; ++c) {
    column_pass(img.channel(c), first.data(), img.height, img.width, w);
    column_pass(first.data(), second.data(), img.height, img.width, w);
    column_pass(second.data(), img.channel(c), img.height, img.width, w);
  }
}

}  // namespace

// The kernels blend the planes' padding too (planes.h): one run over all three.
void adjust_brightness(const Planes& img, float factor, BlendConstantKernel kernel) {
  kernel(img.data, 3 * img.stride, 0, factor);
}

void adjust_contrast(const Planes& img, float factor, BlendConstantKernel kernel) {
  // The degenerate image is the rounded mean of the luma.
  const int mean = mean_luma(luma_sum(img), static_cast<double>(img.pixels()));
  kernel(img.data, 3 * img.stride, mean, factor);
}

void adjust_saturation(const Planes& img, float factor) { blend_luma(img, factor); }

// torchvision's PIL hue shift, by a kernel of hue_planes.h.
void adjust_hue(const Planes& img, float hue_factor, HuePlanesKernel kernel) {
  kernel(img.stride, hue_shift_of(hue_factor), rounded_down_hues(), img.channel(0), img.channel(1), img.channel(2));
}

void to_grayscale(const Planes& img) { gray_planes(img); }

FASTSSL_VECTORIZED void solarize(const Planes& img, int threshold) {
  const size_t n = img.pixels();
  for (int c = 0; c < 3; ++c) {
    uint8_t* __restrict p = img.channel(c);
    for (size_t i = 0; i < n; ++i) p[i] = solarize_value(p[i], threshold);
  }
}

BoxWeights gaussian_box_weights(float sigma) {
  const float sigma2 = sigma * sigma / kBoxBlurPasses;
  const float big_l = static_cast<float>(std::sqrt(12.0 * sigma2 + 1.0));
  const float l = static_cast<float>(std::floor((big_l - 1.0) / 2.0));
  float a = (2 * l + 1) * (l * (l + 1) - 3 * sigma2);
  a /= 6 * (sigma2 - (l + 1) * (l + 1));
  const float radius_f = l + a;
  const int radius = static_cast<int>(radius_f);
  const uint32_t ww = static_cast<uint32_t>((1 << 24) / (radius_f * 2 + 1));
  const uint32_t fw = ((1 << 24) - (radius * 2 + 1) * ww) / 2;
  return {radius, ww, fw};
}

void gaussian_blur(const Planes& img, float sigma, const KernelLevel& kernels) {
  if (sigma <= 0.0f) return;
  const BoxWeights weights = gaussian_box_weights(sigma);
  ColorScratch& scratch = thread_scratch();
  box_blur_rows(img, weights, scratch.blur_a, scratch.blur_b, kernels.box_blur_rows);
  box_blur_columns(img, weights, scratch.blur_a, scratch.blur_b, kernels.box_blur_columns);
}

}  // namespace fastssl
