#include "fastssl/color.h"

#include "fastssl/simd.h"

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <vector>

namespace fastssl {
namespace {

// Image.blend(degenerate, img, alpha) per channel: float arithmetic, truncated.
// Pillow clips only when extrapolating (alpha outside [0, 1]); truncating then
// clamping gives the same bytes in both of its branches, without a branch.
inline uint8_t blend(int degenerate, int value, float alpha) {
  const float t = static_cast<float>(degenerate) + alpha * static_cast<float>(value - degenerate);
  const int i = static_cast<int>(t);
  return static_cast<uint8_t>(i < 0 ? 0 : (i > 255 ? 255 : i));
}

// blend() against one constant over every byte of the image (brightness: 0, contrast: the mean).
FASTSSL_VECTORIZED void blend_constant(const Image& img, int degenerate, float alpha) {
  const size_t row_bytes = static_cast<size_t>(img.width) * 3;
  for (int y = 0; y < img.height; ++y) {
    uint8_t* __restrict p = img.row(y);
    for (size_t i = 0; i < row_bytes; ++i) p[i] = blend(degenerate, p[i], alpha);
  }
}

FASTSSL_VECTORIZED uint64_t luma_sum(const Image& img) {
  uint64_t total = 0;
  for (int y = 0; y < img.height; ++y) {
    const uint8_t* __restrict p = img.row(y);
    uint32_t row_total = 0;
    for (int x = 0; x < img.width; ++x) row_total += luma(p + 3 * x);
    total += row_total;
  }
  return total;
}

// blend() of every channel against the pixel's own luma (ImageEnhance.Color):
// the luma is first spread to one byte per channel so that the blend runs
// byte-wise, like blend_constant.
FASTSSL_VECTORIZED void blend_luma(const Image& img, float alpha) {
  const size_t row_bytes = static_cast<size_t>(img.width) * 3;
  std::vector<uint8_t> gray_buffer(row_bytes);
  uint8_t* __restrict gray = gray_buffer.data();
  for (int y = 0; y < img.height; ++y) {
    uint8_t* __restrict p = img.row(y);
    for (int x = 0; x < img.width; ++x) gray[3 * x] = gray[3 * x + 1] = gray[3 * x + 2] = luma(p + 3 * x);
    for (size_t i = 0; i < row_bytes; ++i) p[i] = blend(gray[i], p[i], alpha);
  }
}

FASTSSL_VECTORIZED void gray_rows(const Image& img) {
  for (int y = 0; y < img.height; ++y) {
    uint8_t* __restrict p = img.row(y);
    for (int x = 0; x < img.width; ++x) {
      const uint8_t gray = luma(p + 3 * x);
      p[3 * x] = p[3 * x + 1] = p[3 * x + 2] = gray;
    }
  }
}

inline uint8_t clip8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

// torchvision's PIL hue shift: RGB -> Pillow's 8-bit HSV -> hue + shift -> RGB,
// with the float and double steps of Pillow's rgb2hsv and hsv2rgb in the same
// order. Written as two branch-free passes over a row so that they vectorize:
// fmod(x, 1) for x in [5/6, 11/6) is one exact subtraction, floor(h * 6 / 255)
// an integer division, and std::round for x in [0, 256) is (int)x plus one when
// the (exact) fraction is >= 0.5.
inline int round_half_up(double x) {
  const int i = static_cast<int>(x);
  return i + static_cast<int>(x - i >= 0.5);
}

// Pass 1: the 8-bit hue (already shifted), saturation and value of every pixel.
FASTSSL_VECTORIZED void row_to_hsv(const uint8_t* __restrict rgb, int width, uint8_t shift, uint8_t* __restrict hue,
                                   uint8_t* __restrict sat, uint8_t* __restrict val) {
  for (int x = 0; x < width; ++x) {
    const int r = rgb[3 * x], g = rgb[3 * x + 1], b = rgb[3 * x + 2];
    const int maxc = std::max(r, std::max(g, b));
    const int minc = std::min(r, std::min(g, b));
    const bool gray = maxc == minc;
    const float cr = gray ? 1.0f : static_cast<float>(maxc - minc);  // any nonzero value: unused when gray
    const float maxf = maxc == 0 ? 1.0f : static_cast<float>(maxc);
    const float rc = static_cast<float>(maxc - r) / cr;
    const float gc = static_cast<float>(maxc - g) / cr;
    const float bc = static_cast<float>(maxc - b) / cr;
    const float h_r = bc - gc;
    const float h_g = static_cast<float>(2.0 + rc - bc);
    const float h_b = static_cast<float>(4.0 + gc - rc);
    const float h_gb = g == maxc ? h_g : h_b;
    const float h = r == maxc ? h_r : h_gb;
    double sector = h / 6.0 + 1.0;
    sector = sector >= 1.0 ? sector - 1.0 : sector;
    const int uh = std::min(255, std::max(0, static_cast<int>(static_cast<float>(sector) * 255.0)));
    const int us = std::min(255, std::max(0, static_cast<int>((cr / maxf) * 255.0)));
    hue[x] = static_cast<uint8_t>(gray ? 0 : uh + shift);
    sat[x] = static_cast<uint8_t>(gray ? 0 : us);
    val[x] = static_cast<uint8_t>(maxc);
  }
}

// Pass 2: back to RGB.
FASTSSL_VECTORIZED void hsv_to_row(const uint8_t* __restrict hue, const uint8_t* __restrict sat,
                                   const uint8_t* __restrict val, int width, uint8_t* __restrict rgb) {
  for (int x = 0; x < width; ++x) {
    const int h = hue[x], s = sat[x], v = val[x];
    const int i = (6 * h) / 255;
    const float f = static_cast<float>(static_cast<float>(h) * 6.0 / 255.0 - static_cast<float>(i));
    const float fs = static_cast<float>(static_cast<float>(s) / 255.0);
    const float vf = static_cast<float>(v);
    const int p = std::min(255, round_half_up(vf * (1.0 - fs)));
    const int q = std::min(255, round_half_up(vf * (1.0 - fs * f)));
    const int t = std::min(255, round_half_up(vf * (1.0 - fs * (1.0 - f))));
    // Sector i % 6 picks (r, g, b) among v, p, q, t: (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v) (v,p,q);
    // a gray pixel (s == 0) is (v,v,v). All-ones masks select without branches.
    const int k = i % 6;
    const int is_gray = -static_cast<int>(s == 0);
    const int s0 = -static_cast<int>(k == 0), s1 = -static_cast<int>(k == 1), s2 = -static_cast<int>(k == 2);
    const int s3 = -static_cast<int>(k == 3), s4 = -static_cast<int>(k == 4), s5 = -static_cast<int>(k == 5);
    const int r = (v & (s0 | s5 | is_gray)) | (q & s1 & ~is_gray) | (t & s4 & ~is_gray) | (p & (s2 | s3) & ~is_gray);
    const int g = (v & (s1 | s2 | is_gray)) | (t & s0 & ~is_gray) | (q & s3 & ~is_gray) | (p & (s4 | s5) & ~is_gray);
    const int b = (v & (s3 | s4 | is_gray)) | (t & s2 & ~is_gray) | (q & s5 & ~is_gray) | (p & (s0 | s1) & ~is_gray);
    rgb[3 * x] = static_cast<uint8_t>(r);
    rgb[3 * x + 1] = static_cast<uint8_t>(g);
    rgb[3 * x + 2] = static_cast<uint8_t>(b);
  }
}

// Pillow's extended box blur, one pass: each output is the sum of the 2r+1
// whole pixels around it times ww plus the two next ones times fw, in 24-bit
// fixed point, with edge pixels repeated. Sums are exact integers, so any
// summation order gives Pillow's result; ours adds whole rows so it vectorizes.
struct BoxWeights {
  int radius;
  uint32_t ww, fw;
};

BoxWeights box_weights(float radius_f) {
  const int radius = static_cast<int>(radius_f);
  const uint32_t ww = static_cast<uint32_t>((1 << 24) / (radius_f * 2 + 1));
  const uint32_t fw = ((1 << 24) - (radius * 2 + 1) * ww) / 2;
  return {radius, ww, fw};
}

// Pointers are restrict-qualified locals: byte stores may alias anything, and
// without that promise the compiler reloads every operand and cannot vectorize.
inline uint8_t box_output(uint32_t whole, uint32_t far, uint32_t ww, uint32_t fw) {
  return static_cast<uint8_t>((whole * ww + far * fw + (1u << 23)) >> 24);
}

// Horizontal pass over every row: `padded` holds a row with radius + 1 edge
// pixels repeated on each side.
FASTSSL_VECTORIZED void box_blur_rows(const Image& img, const BoxWeights& w, std::vector<uint8_t>& padded, std::vector<uint32_t>& acc) {
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
    for (size_t i = 0; i < row_bytes; ++i) sum[i] = 0;
    for (int k = 1; k <= 2 * w.radius + 1; ++k) {
      const uint8_t* __restrict src = line + 3 * static_cast<size_t>(k);
      for (size_t i = 0; i < row_bytes; ++i) sum[i] += src[i];
    }
    for (size_t i = 0; i < row_bytes; ++i)
      row[i] = box_output(sum[i], static_cast<uint32_t>(line[i]) + line[i + far_right], ww, fw);
  }
}

// Vertical pass: a sliding sum of whole rows, updated with one row in and one out.
FASTSSL_VECTORIZED void box_blur_columns(const Image& img, const BoxWeights& w, std::vector<uint8_t>& copy, std::vector<uint32_t>& acc) {
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
  const int mean = static_cast<int>(static_cast<double>(luma_sum(img)) / count + 0.5);
  blend_constant(img, mean, factor);
}

void adjust_saturation(const Image& img, float factor) { blend_luma(img, factor); }

void adjust_hue(const Image& img, float hue_factor) {
  // torchvision adds int32(hue_factor * 255) to the 8-bit hue, wrapping around.
  const uint8_t shift = static_cast<uint8_t>(static_cast<int32_t>(hue_factor * 255.0));
  std::vector<uint8_t> planes(3 * static_cast<size_t>(img.width));
  uint8_t* hue = planes.data();
  uint8_t* sat = hue + img.width;
  uint8_t* val = sat + img.width;
  for (int y = 0; y < img.height; ++y) {
    row_to_hsv(img.row(y), img.width, shift, hue, sat, val);
    hsv_to_row(hue, sat, val, img.width, img.row(y));
  }
}

void to_grayscale(const Image& img) { gray_rows(img); }

FASTSSL_VECTORIZED void solarize(const Image& img, int threshold) {
  const size_t row_bytes = static_cast<size_t>(img.width) * 3;
  for (int y = 0; y < img.height; ++y) {
    uint8_t* __restrict p = img.row(y);
    for (size_t i = 0; i < row_bytes; ++i) p[i] = static_cast<uint8_t>(p[i] >= threshold ? 255 - p[i] : p[i]);
  }
}

void gaussian_blur(const Image& img, float sigma) {
  if (sigma <= 0.0f) return;
  // Three extended box blurs whose variance equals sigma^2 (Gwosdek et al. 2011),
  // with Pillow's choice of the fractional radius.
  constexpr int passes = 3;
  const float sigma2 = sigma * sigma / passes;
  const float big_l = static_cast<float>(std::sqrt(12.0 * sigma2 + 1.0));
  const float l = static_cast<float>(std::floor((big_l - 1.0) / 2.0));
  float a = (2 * l + 1) * (l * (l + 1) - 3 * sigma2);
  a /= 6 * (sigma2 - (l + 1) * (l + 1));
  const BoxWeights weights = box_weights(l + a);
  std::vector<uint8_t> buffer;
  std::vector<uint32_t> acc;
  for (int pass = 0; pass < passes; ++pass) box_blur_rows(img, weights, buffer, acc);
  for (int pass = 0; pass < passes; ++pass) box_blur_columns(img, weights, buffer, acc);
}

}  // namespace fastssl
