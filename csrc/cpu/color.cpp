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
    uint8_t* p = img.row(y);
    for (size_t i = 0; i < row_bytes; ++i) p[i] = blend(degenerate, p[i], alpha);
  }
}

template <typename Fn>
void for_each_pixel(const Image& img, Fn fn) {
  for (int y = 0; y < img.height; ++y) {
    uint8_t* p = img.row(y);
    for (int x = 0; x < img.width; ++x, p += 3) fn(p);
  }
}

inline uint8_t clip8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

// torchvision's PIL hue shift: RGB -> Pillow's 8-bit HSV -> hue + shift -> RGB.
// Same float/double steps as Pillow's rgb2hsv and hsv2rgb, with fmod(x, 1) for
// x in [5/6, 11/6) written as one exact subtraction, floor(h * 6 / 255) as an
// integer division, and the per-hue and per-saturation factors tabulated.
struct HueTables {
  float f[256];   // (float)h * 6.0 / 255.0 - i: position inside the hue sector
  float fs[256];  // saturation as a fraction
  HueTables() {
    for (int h = 0; h < 256; ++h) f[h] = static_cast<float>(static_cast<float>(h) * 6.0 / 255.0 - (6 * h) / 255);
    for (int v = 0; v < 256; ++v) fs[v] = static_cast<float>(static_cast<float>(v) / 255.0);
  }
};

inline uint8_t round_clip8(double x) { return clip8(static_cast<int>(std::round(x))); }

inline void shift_hue(uint8_t* rgb, uint8_t shift, const HueTables& tables) {
  const int r = rgb[0], g = rgb[1], b = rgb[2];
  const int maxc = std::max(r, std::max(g, b));
  const int minc = std::min(r, std::min(g, b));
  if (minc == maxc) return;  // gray: saturation 0 maps back to itself
  const float cr = static_cast<float>(maxc - minc);
  const uint8_t us = clip8(static_cast<int>((cr / static_cast<float>(maxc)) * 255.0));
  float h;
  if (r == maxc) h = static_cast<float>(maxc - b) / cr - static_cast<float>(maxc - g) / cr;
  else if (g == maxc) h = static_cast<float>(2.0 + static_cast<float>(maxc - r) / cr - static_cast<float>(maxc - b) / cr);
  else h = static_cast<float>(4.0 + static_cast<float>(maxc - g) / cr - static_cast<float>(maxc - r) / cr);
  double x = h / 6.0 + 1.0;
  if (x >= 1.0) x -= 1.0;
  const uint8_t uh = clip8(static_cast<int>(static_cast<float>(x) * 255.0));
  const int hue = static_cast<uint8_t>(uh + shift);
  const uint8_t v = static_cast<uint8_t>(maxc);
  if (us == 0) {
    rgb[0] = rgb[1] = rgb[2] = v;
    return;
  }
  const float f = tables.f[hue];
  const float fs = tables.fs[us];
  const uint8_t p = round_clip8(static_cast<float>(v) * (1.0 - fs));
  const uint8_t q = round_clip8(static_cast<float>(v) * (1.0 - fs * f));
  const uint8_t t = round_clip8(static_cast<float>(v) * (1.0 - fs * (1.0 - f)));
  switch ((6 * hue) / 255 % 6) {
    case 0: rgb[0] = v; rgb[1] = t; rgb[2] = p; break;
    case 1: rgb[0] = q; rgb[1] = v; rgb[2] = p; break;
    case 2: rgb[0] = p; rgb[1] = v; rgb[2] = t; break;
    case 3: rgb[0] = p; rgb[1] = q; rgb[2] = v; break;
    case 4: rgb[0] = t; rgb[1] = p; rgb[2] = v; break;
    default: rgb[0] = v; rgb[1] = p; rgb[2] = q; break;
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

inline uint8_t box_output(uint32_t whole, uint32_t far, const BoxWeights& w) {
  return static_cast<uint8_t>((whole * w.ww + far * w.fw + (1u << 23)) >> 24);
}

// Horizontal pass over every row: `padded` holds a row with radius + 1 edge
// pixels repeated on each side.
FASTSSL_VECTORIZED void box_blur_rows(const Image& img, const BoxWeights& w, std::vector<uint8_t>& padded, std::vector<uint32_t>& acc) {
  const int pad = w.radius + 1;
  const size_t row_bytes = static_cast<size_t>(img.width) * 3;
  padded.resize(row_bytes + 6 * static_cast<size_t>(pad));
  acc.resize(row_bytes);
  for (int y = 0; y < img.height; ++y) {
    uint8_t* row = img.row(y);
    for (int i = 0; i < pad; ++i) {
      std::copy_n(row, 3, &padded[3 * static_cast<size_t>(i)]);
      std::copy_n(row + row_bytes - 3, 3, &padded[3 * static_cast<size_t>(pad) + row_bytes + 3 * static_cast<size_t>(i)]);
    }
    std::copy_n(row, row_bytes, &padded[3 * static_cast<size_t>(pad)]);
    // whole pixels: offsets 1 .. 2r+1 (in pixels) of the padded row
    std::fill(acc.begin(), acc.end(), 0u);
    for (int k = 1; k <= 2 * w.radius + 1; ++k) {
      const uint8_t* src = &padded[3 * static_cast<size_t>(k)];
      for (size_t i = 0; i < row_bytes; ++i) acc[i] += src[i];
    }
    const uint8_t* left = padded.data();
    const uint8_t* right = &padded[3 * static_cast<size_t>(2 * w.radius + 2)];
    for (size_t i = 0; i < row_bytes; ++i) row[i] = box_output(acc[i], left[i] + right[i], w);
  }
}

// Vertical pass: a sliding sum of whole rows, updated with one row in and one out.
FASTSSL_VECTORIZED void box_blur_columns(const Image& img, const BoxWeights& w, std::vector<uint8_t>& copy, std::vector<uint32_t>& acc) {
  const size_t row_bytes = static_cast<size_t>(img.width) * 3;
  const int last = img.height - 1;
  copy.resize(row_bytes * static_cast<size_t>(img.height));
  for (int y = 0; y < img.height; ++y) std::copy_n(img.row(y), row_bytes, &copy[row_bytes * static_cast<size_t>(y)]);
  auto src = [&](int y) { return &copy[row_bytes * static_cast<size_t>(std::min(std::max(y, 0), last))]; };
  acc.assign(row_bytes, 0u);
  for (int k = -w.radius - 1; k < w.radius; ++k) {  // the window of y = -1
    const uint8_t* r = src(k);
    for (size_t i = 0; i < row_bytes; ++i) acc[i] += r[i];
  }
  for (int y = 0; y < img.height; ++y) {
    const uint8_t* in = src(y + w.radius);
    const uint8_t* out = src(y - w.radius - 1);
    const uint8_t* far_left = out;
    const uint8_t* far_right = src(y + w.radius + 1);
    uint8_t* dst = img.row(y);
    for (size_t i = 0; i < row_bytes; ++i) {
      acc[i] += in[i] - out[i];
      dst[i] = box_output(acc[i], far_left[i] + far_right[i], w);
    }
  }
}

}  // namespace

void adjust_brightness(const Image& img, float factor) { blend_constant(img, 0, factor); }

void adjust_contrast(const Image& img, float factor) {
  // The degenerate image is the rounded mean of the luma.
  uint64_t sum = 0;
  for_each_pixel(img, [&sum](uint8_t* p) { sum += luma(p); });
  const double count = static_cast<double>(img.height) * img.width;
  const int mean = static_cast<int>(static_cast<double>(sum) / count + 0.5);
  blend_constant(img, mean, factor);
}

void adjust_saturation(const Image& img, float factor) {
  for_each_pixel(img, [factor](uint8_t* p) {
    const int gray = luma(p);
    for (int c = 0; c < 3; ++c) p[c] = blend(gray, p[c], factor);
  });
}

void adjust_hue(const Image& img, float hue_factor) {
  static const HueTables tables;
  // torchvision adds int32(hue_factor * 255) to the 8-bit hue, wrapping around.
  const uint8_t shift = static_cast<uint8_t>(static_cast<int32_t>(hue_factor * 255.0));
  for_each_pixel(img, [shift](uint8_t* p) { shift_hue(p, shift, tables); });
}

void to_grayscale(const Image& img) {
  for_each_pixel(img, [](uint8_t* p) { p[0] = p[1] = p[2] = luma(p); });
}

void solarize(const Image& img, int threshold) {
  for_each_pixel(img, [threshold](uint8_t* p) {
    for (int c = 0; c < 3; ++c)
      if (p[c] >= threshold) p[c] = static_cast<uint8_t>(255 - p[c]);
  });
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
