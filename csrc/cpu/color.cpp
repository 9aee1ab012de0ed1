#include "fastssl/color.h"

#include "fastssl/hue_planes.h"
#include "fastssl/pixel_math.h"
#include "fastssl/simd.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace fastssl {
namespace {

// Row buffers of one thread's color ops, kept between calls so that no op
// allocates (or zero-fills) per view.
struct ColorScratch {
  Bytes row;          // a padded row to blur
  Bytes image;        // a copy of the image (vertical blur)
  ScratchVector<uint32_t> sums;
  ScratchVector<int32_t> planes;  // a row split into channels (RowPlanes)
};

ColorScratch& thread_scratch() {
  thread_local ColorScratch scratch;
  return scratch;
}

// blend() against one constant over every byte of the image (brightness: 0, contrast: the mean).
FASTSSL_VECTORIZED void blend_constant(const Image& img, int degenerate, float alpha) {
  const size_t row_bytes = static_cast<size_t>(img.width) * 3;
  for (int y = 0; y < img.height; ++y) {
    uint8_t* __restrict p = img.row(y);
    for (size_t i = 0; i < row_bytes; ++i) p[i] = blend(degenerate, p[i], alpha);
  }
}

// Rows split into 32-bit channel planes: over 3-byte pixels the luma and hue
// loops vectorize poorly (and spill), over planes they run on whole vectors.
FASTSSL_VECTORIZED void split_row(const uint8_t* __restrict rgb, int width, int32_t* __restrict r,
                                  int32_t* __restrict g, int32_t* __restrict b) {
  for (int x = 0; x < width; ++x) {
    r[x] = rgb[3 * x];
    g[x] = rgb[3 * x + 1];
    b[x] = rgb[3 * x + 2];
  }
}

FASTSSL_VECTORIZED void join_row(const int32_t* __restrict r, const int32_t* __restrict g,
                                 const int32_t* __restrict b, int width, uint8_t* __restrict rgb) {
  for (int x = 0; x < width; ++x) {
    rgb[3 * x] = static_cast<uint8_t>(r[x]);
    rgb[3 * x + 1] = static_cast<uint8_t>(g[x]);
    rgb[3 * x + 2] = static_cast<uint8_t>(b[x]);
  }
}

constexpr int kPlaneBlock = 16;  // the widest hue kernel's lanes: planes are padded to a multiple

struct RowPlanes {
  int32_t *r, *g, *b;
};

// This thread's planes for rows of `width` pixels, their padding zeroed.
RowPlanes row_planes(int width) {
  ScratchVector<int32_t>& planes = thread_scratch().planes;
  const int padded = (width + kPlaneBlock - 1) / kPlaneBlock * kPlaneBlock;
  planes.resize(3 * static_cast<size_t>(padded));
  const RowPlanes p{planes.data(), planes.data() + padded, planes.data() + 2 * padded};
  for (int32_t* plane : {p.r, p.g, p.b}) std::fill(plane + width, plane + padded, 0);
  return p;
}

FASTSSL_VECTORIZED uint32_t plane_luma_sum(int width, const int32_t* __restrict r, const int32_t* __restrict g,
                                           const int32_t* __restrict b) {
  uint32_t total = 0;
  for (int x = 0; x < width; ++x) total += luma(r[x], g[x], b[x]);
  return total;
}

// In place: r becomes the luma.
FASTSSL_VECTORIZED void plane_luma(int width, int32_t* __restrict r, const int32_t* __restrict g,
                                   const int32_t* __restrict b) {
  for (int x = 0; x < width; ++x) r[x] = luma(r[x], g[x], b[x]);
}

// blend() of every channel against the pixel's own luma (ImageEnhance.Color).
FASTSSL_VECTORIZED void plane_blend_luma(int width, float alpha, int32_t* __restrict r, int32_t* __restrict g,
                                         int32_t* __restrict b) {
  for (int x = 0; x < width; ++x) {
    const int gray = luma(r[x], g[x], b[x]);
    r[x] = blend(gray, r[x], alpha);
    g[x] = blend(gray, g[x], alpha);
    b[x] = blend(gray, b[x], alpha);
  }
}

uint64_t luma_sum(const Image& img) {
  const RowPlanes p = row_planes(img.width);
  uint64_t total = 0;
  for (int y = 0; y < img.height; ++y) {
    split_row(img.row(y), img.width, p.r, p.g, p.b);
    total += plane_luma_sum(img.width, p.r, p.g, p.b);
  }
  return total;
}

void blend_luma(const Image& img, float alpha) {
  const RowPlanes p = row_planes(img.width);
  for (int y = 0; y < img.height; ++y) {
    split_row(img.row(y), img.width, p.r, p.g, p.b);
    plane_blend_luma(img.width, alpha, p.r, p.g, p.b);
    join_row(p.r, p.g, p.b, img.width, img.row(y));
  }
}

void gray_rows(const Image& img) {
  const RowPlanes p = row_planes(img.width);
  for (int y = 0; y < img.height; ++y) {
    split_row(img.row(y), img.width, p.r, p.g, p.b);
    plane_luma(img.width, p.r, p.g, p.b);
    join_row(p.r, p.r, p.r, img.width, img.row(y));
  }
}

// The kernels' table of Pillow's round-downs (hue_planes.h), built once from
// rgb_to_shifted_hsv itself over every color with min = 0: the hue depends only
// on differences between channels.
std::vector<uint64_t> build_hue_rounds_down() {
  std::vector<uint64_t> bits(hue_rounds_down_bit(256, 0) / 64 + 1, 0);
  for (int max = 1; max < 256; ++max)
    for (int mid = 0; mid <= max; ++mid)
      for (int order = 0; order < 6; ++order) {
        int c[3];
        c[order / 2] = max;
        c[(order / 2 + 1 + order % 2) % 3] = mid;
        c[(order / 2 + 2 - order % 2) % 3] = 0;
        const auto [r, g, b] = c;
        const int n = hue_numerator(r, g, b, max, max);  // min = 0: cr = max
        uint8_t hue, sat, val;
        rgb_to_shifted_hsv(r, g, b, 0, &hue, &sat, &val);
        if (hue != 255 * n / (6 * max)) {
          const int bit = hue_rounds_down_bit(max, n);
          bits[bit / 64] |= uint64_t{1} << (bit % 64);
        }
      }
  return bits;
}

const uint64_t* hue_rounds_down() {
  static const std::vector<uint64_t> bits = build_hue_rounds_down();
  return bits.data();
}

// Pointers are restrict-qualified locals: byte stores may alias anything, and
// without that promise the compiler reloads every operand and cannot vectorize.

// Horizontal pass over every row: `padded` holds a row with radius + 1 edge
// pixels repeated on each side.
FASTSSL_VECTORIZED void box_blur_rows(const Image& img, const BoxWeights& w, Bytes& padded, ScratchVector<uint32_t>& acc) {
  const int pad = w.radius + 1;
  const size_t row_bytes = static_cast<size_t>(img.width) * 3;
  padded.resize(row_bytes + 6 * static_cast<size_t>(pad));
  acc.resize(row_bytes);
  uint8_t* __restrict line = padded.data();
  uint32_t* __restrict sum = acc.data();
  const uint32_t ww = w.ww, fw = w.fw;
  const size_t far_right = 3 * static_cast<size_t>(2 * w.radius + 2);
  for (int y = 0; y < img.height; ++y) {
    uint8_t* __restrict row = img.row(y);
    for (int i = 0; i < pad; ++i) {
      std::copy_n(row, 3, line + 3 * static_cast<size_t>(i));
      std::copy_n(row + row_bytes - 3, 3, line + 3 * static_cast<size_t>(pad) + row_bytes + 3 * static_cast<size_t>(i));
    }
    std::copy_n(row, row_bytes, line + 3 * static_cast<size_t>(pad));
    // whole pixels: offsets 1 .. 2r+1 (in pixels) of the padded row
    for (size_t i = 0; i < row_bytes; ++i) sum[i] = line[3 + i];
    for (int k = 2; k <= 2 * w.radius + 1; ++k) {
      const uint8_t* __restrict src = line + 3 * static_cast<size_t>(k);
      for (size_t i = 0; i < row_bytes; ++i) sum[i] += src[i];
    }
    for (size_t i = 0; i < row_bytes; ++i)
      row[i] = box_output(sum[i], static_cast<uint32_t>(line[i]) + line[i + far_right], ww, fw);
  }
}

// Vertical pass: a sliding sum of whole rows, updated with one row in and one out.
FASTSSL_VECTORIZED void box_blur_columns(const Image& img, const BoxWeights& w, Bytes& copy, ScratchVector<uint32_t>& acc) {
  const size_t row_bytes = static_cast<size_t>(img.width) * 3;
  const int last = img.height - 1;
  copy.resize(row_bytes * static_cast<size_t>(img.height));
  for (int y = 0; y < img.height; ++y) std::copy_n(img.row(y), row_bytes, &copy[row_bytes * static_cast<size_t>(y)]);
  const uint8_t* rows = copy.data();
  auto src = [rows, row_bytes, last](int y) { return rows + row_bytes * static_cast<size_t>(std::min(std::max(y, 0), last)); };
  acc.assign(row_bytes, 0u);
  uint32_t* __restrict sum = acc.data();
  const uint32_t ww = w.ww, fw = w.fw;
  for (int k = -w.radius - 1; k < w.radius; ++k) {  // the window of y = -1
    const uint8_t* __restrict r = src(k);
    for (size_t i = 0; i < row_bytes; ++i) sum[i] += r[i];
  }
  for (int y = 0; y < img.height; ++y) {
    const uint8_t* __restrict in = src(y + w.radius);
    const uint8_t* __restrict out = src(y - w.radius - 1);
    const uint8_t* __restrict far_right = src(y + w.radius + 1);
    uint8_t* __restrict dst = img.row(y);
    for (size_t i = 0; i < row_bytes; ++i) {
      sum[i] += static_cast<uint32_t>(in[i]) - out[i];
      dst[i] = box_output(sum[i], static_cast<uint32_t>(out[i]) + far_right[i], ww, fw);
    }
  }
}

}  // namespace

void adjust_brightness(const Image& img, float factor) { blend_constant(img, 0, factor); }

void adjust_contrast(const Image& img, float factor) {
  // The degenerate image is the rounded mean of the luma.
  const double count = static_cast<double>(img.height) * img.width;
  const int mean = mean_luma(luma_sum(img), count);
  blend_constant(img, mean, factor);
}

void adjust_saturation(const Image& img, float factor) { blend_luma(img, factor); }

std::vector<HueKernel> hue_kernels() {
  std::vector<HueKernel> kernels;
#ifdef FASTSSL_HUE_X86_LEVELS
  if (__builtin_cpu_supports("x86-64-v4")) kernels.push_back({"x86-64-v4", shift_hue_planes_x86_64_v4});
  if (__builtin_cpu_supports("x86-64-v3")) kernels.push_back({"x86-64-v3", shift_hue_planes_x86_64_v3});
#endif
  kernels.push_back({"baseline", shift_hue_planes_baseline});
  return kernels;
}

// torchvision's PIL hue shift: rows split into planes, shifted by the best kernel of hue_planes.h.
void adjust_hue(const Image& img, float hue_factor, HuePlanesKernel kernel) {
  const uint8_t shift = hue_shift_of(hue_factor);
  const uint64_t* rounds_down = hue_rounds_down();
  const RowPlanes p = row_planes(img.width);
  for (int y = 0; y < img.height; ++y) {
    split_row(img.row(y), img.width, p.r, p.g, p.b);
    kernel(img.width, shift, rounds_down, p.r, p.g, p.b);
    join_row(p.r, p.g, p.b, img.width, img.row(y));
  }
}

void adjust_hue(const Image& img, float hue_factor) {
  static const HuePlanesKernel best = hue_kernels().front().run;
  adjust_hue(img, hue_factor, best);
}

void to_grayscale(const Image& img) { gray_rows(img); }

FASTSSL_VECTORIZED void solarize(const Image& img, int threshold) {
  const size_t row_bytes = static_cast<size_t>(img.width) * 3;
  for (int y = 0; y < img.height; ++y) {
    uint8_t* __restrict p = img.row(y);
    for (size_t i = 0; i < row_bytes; ++i) p[i] = solarize_value(p[i], threshold);
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

void gaussian_blur(const Image& img, float sigma) {
  if (sigma <= 0.0f) return;
  const BoxWeights weights = gaussian_box_weights(sigma);
  ColorScratch& scratch = thread_scratch();
  for (int pass = 0; pass < kBoxBlurPasses; ++pass) box_blur_rows(img, weights, scratch.row, scratch.sums);
  for (int pass = 0; pass < kBoxBlurPasses; ++pass) box_blur_columns(img, weights, scratch.image, scratch.sums);
}

}  // namespace fastssl
