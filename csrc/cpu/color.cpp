#include "fastssl/color.h"

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <vector>

namespace fastssl {
namespace {

// Image.blend(degenerate, img, alpha) per channel: float arithmetic, truncated;
// clipped only when extrapolating (alpha outside [0, 1]), exactly as Pillow.
inline uint8_t blend(int degenerate, int value, float alpha) {
  const float t = static_cast<float>(degenerate) + alpha * static_cast<float>(value - degenerate);
  if (alpha >= 0.0f && alpha <= 1.0f) return static_cast<uint8_t>(static_cast<int>(t));
  if (t <= 0.0f) return 0;
  if (t >= 255.0f) return 255;
  return static_cast<uint8_t>(t);
}

template <typename Fn>
void for_each_pixel(const Image& img, Fn fn) {
  for (int y = 0; y < img.height; ++y) {
    uint8_t* p = img.row(y);
    for (int x = 0; x < img.width; ++x, p += 3) fn(p);
  }
}

inline uint8_t clip8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

// Pillow's rgb2hsv (colorsys with 8-bit outputs).
inline void rgb_to_hsv(const uint8_t* rgb, uint8_t* hsv) {
  const int r = rgb[0], g = rgb[1], b = rgb[2];
  const int maxc = r > g ? (r > b ? r : b) : (g > b ? g : b);
  const int minc = r < g ? (r < b ? r : b) : (g < b ? g : b);
  hsv[2] = static_cast<uint8_t>(maxc);
  if (minc == maxc) {
    hsv[0] = hsv[1] = 0;
    return;
  }
  const float cr = static_cast<float>(maxc - minc);
  const float s = cr / static_cast<float>(maxc);
  const float rc = static_cast<float>(maxc - r) / cr;
  const float gc = static_cast<float>(maxc - g) / cr;
  const float bc = static_cast<float>(maxc - b) / cr;
  float h;
  if (r == maxc) h = bc - gc;
  else if (g == maxc) h = static_cast<float>(2.0 + rc - bc);  // double, as Pillow computes it
  else h = static_cast<float>(4.0 + gc - rc);
  h = static_cast<float>(std::fmod(h / 6.0 + 1.0, 1.0));
  hsv[0] = clip8(static_cast<int>(h * 255.0));
  hsv[1] = clip8(static_cast<int>(s * 255.0));
}

// Pillow's hsv2rgb.
inline void hsv_to_rgb(const uint8_t* hsv, uint8_t* rgb) {
  const int h = hsv[0], s = hsv[1], v = hsv[2];
  if (s == 0) {
    rgb[0] = rgb[1] = rgb[2] = static_cast<uint8_t>(v);
    return;
  }
  const int i = static_cast<int>(std::floor(static_cast<float>(h) * 6.0 / 255.0));
  const float f = static_cast<float>(static_cast<float>(h) * 6.0 / 255.0 - static_cast<float>(i));
  const float fs = static_cast<float>(static_cast<float>(s) / 255.0);
  const uint8_t p = clip8(static_cast<int>(std::round(static_cast<float>(v) * (1.0 - fs))));
  const uint8_t q = clip8(static_cast<int>(std::round(static_cast<float>(v) * (1.0 - fs * f))));
  const uint8_t t = clip8(static_cast<int>(std::round(static_cast<float>(v) * (1.0 - fs * (1.0 - f)))));
  const uint8_t uv = static_cast<uint8_t>(v);
  switch (i % 6) {
    case 0: rgb[0] = uv; rgb[1] = t; rgb[2] = p; break;
    case 1: rgb[0] = q; rgb[1] = uv; rgb[2] = p; break;
    case 2: rgb[0] = p; rgb[1] = uv; rgb[2] = t; break;
    case 3: rgb[0] = p; rgb[1] = q; rgb[2] = uv; break;
    case 4: rgb[0] = t; rgb[1] = p; rgb[2] = uv; break;
    default: rgb[0] = uv; rgb[1] = p; rgb[2] = q; break;
  }
}

// One pass of Pillow's box blur over a line of `n` RGB pixels (`in_step` bytes
// apart) into contiguous `out`, with a fractional radius: whole pixels weigh ww,
// the two fractional edge pixels fw, in 24-bit fixed point; edges repeat.
void box_blur_line(const uint8_t* in, size_t in_step, uint8_t* out, int n, float radius_f) {
  const int radius = static_cast<int>(radius_f);
  const uint32_t ww = static_cast<uint32_t>((1 << 24) / (radius_f * 2 + 1));
  const uint32_t fw = ((1 << 24) - (radius * 2 + 1) * ww) / 2;
  const int last = n - 1;
  auto at = [&](int i, int c) -> uint32_t {
    i = i < 0 ? 0 : (i > last ? last : i);
    return in[static_cast<size_t>(i) * in_step + c];
  };
  for (int c = 0; c < 3; ++c) {
    // Sum over the window [-radius, radius] around x = 0, edges repeated.
    uint32_t acc = at(0, c) * static_cast<uint32_t>(radius + 1);
    for (int i = 1; i <= radius; ++i) acc += at(i, c);
    for (int x = 0; x <= last; ++x) {
      if (x > 0) acc += at(x + radius, c) - at(x - radius - 1, c);
      const uint32_t bulk = acc * ww + (at(x - radius - 1, c) + at(x + radius + 1, c)) * fw;
      out[static_cast<size_t>(x) * 3 + c] = static_cast<uint8_t>((bulk + (1u << 23)) >> 24);
    }
  }
}

}  // namespace

void adjust_brightness(const Image& img, float factor) {
  for_each_pixel(img, [factor](uint8_t* p) {
    for (int c = 0; c < 3; ++c) p[c] = blend(0, p[c], factor);
  });
}

void adjust_contrast(const Image& img, float factor) {
  // The degenerate image is the rounded mean of the luma.
  uint64_t sum = 0;
  for_each_pixel(img, [&sum](uint8_t* p) { sum += luma(p); });
  const double count = static_cast<double>(img.height) * img.width;
  const int mean = static_cast<int>(static_cast<double>(sum) / count + 0.5);
  for_each_pixel(img, [factor, mean](uint8_t* p) {
    for (int c = 0; c < 3; ++c) p[c] = blend(mean, p[c], factor);
  });
}

void adjust_saturation(const Image& img, float factor) {
  for_each_pixel(img, [factor](uint8_t* p) {
    const int gray = luma(p);
    for (int c = 0; c < 3; ++c) p[c] = blend(gray, p[c], factor);
  });
}

void adjust_hue(const Image& img, float hue_factor) {
  // torchvision adds int32(hue_factor * 255) to the 8-bit hue, wrapping around.
  const uint8_t shift = static_cast<uint8_t>(static_cast<int32_t>(hue_factor * 255.0));
  for_each_pixel(img, [shift](uint8_t* p) {
    uint8_t hsv[3];
    rgb_to_hsv(p, hsv);
    hsv[0] = static_cast<uint8_t>(hsv[0] + shift);
    hsv_to_rgb(hsv, p);
  });
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
  const float radius = l + a;
  const int longest = img.width > img.height ? img.width : img.height;
  std::vector<uint8_t> line(static_cast<size_t>(longest) * 3);
  for (int y = 0; y < img.height; ++y) {
    for (int pass = 0; pass < passes; ++pass) {
      box_blur_line(img.row(y), 3, line.data(), img.width, radius);
      std::copy_n(line.data(), static_cast<size_t>(img.width) * 3, img.row(y));
    }
  }
  for (int x = 0; x < img.width; ++x) {
    for (int pass = 0; pass < passes; ++pass) {
      box_blur_line(img.data + 3 * static_cast<size_t>(x), img.stride, line.data(), img.height, radius);
      for (int y = 0; y < img.height; ++y) std::copy_n(&line[3 * static_cast<size_t>(y)], 3, img.row(y) + 3 * x);
    }
  }
}

}  // namespace fastssl
