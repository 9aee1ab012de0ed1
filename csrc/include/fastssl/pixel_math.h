// Per-pixel arithmetic of the color ops, with Pillow's rounding (as torchvision
// applies the ops to PIL images). Shared by the CPU engine's row loops and the
// CUDA kernels; branch-free so that the CPU loops vectorize.
#pragma once

#include <cstdint>

#include "fastssl/host_device.h"

namespace fastssl {

FASTSSL_HD int min_int(int a, int b) { return a < b ? a : b; }
FASTSSL_HD int max_int(int a, int b) { return a > b ? a : b; }
FASTSSL_HD uint8_t clamp_u8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

// ITU-R 601-2 luma in Pillow's fixed point ("L" conversion).
FASTSSL_HD uint8_t luma(int r, int g, int b) {
  return static_cast<uint8_t>((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
}
FASTSSL_HD uint8_t luma(const uint8_t* rgb) { return luma(rgb[0], rgb[1], rgb[2]); }

// Image.blend(degenerate, img, alpha) per channel: float arithmetic, truncated.
// Pillow clips only when extrapolating (alpha outside [0, 1]); truncating then
// clamping gives the same bytes in both of its branches, without a branch.
FASTSSL_HD uint8_t blend(int degenerate, int value, float alpha) {
  const float t = static_cast<float>(degenerate) + alpha * static_cast<float>(value - degenerate);
  return clamp_u8(static_cast<int>(t));
}

// ImageEnhance.Contrast blends with the rounded mean of the luma.
FASTSSL_HD int mean_luma(uint64_t luma_total, double pixels) {
  return static_cast<int>(static_cast<double>(luma_total) / pixels + 0.5);
}

// torchvision adds int32(hue_factor * 255) to the 8-bit hue, wrapping around.
FASTSSL_HD uint8_t hue_shift_of(float hue_factor) {
  return static_cast<uint8_t>(static_cast<int32_t>(hue_factor * 255.0));
}

// torchvision's PIL hue shift is RGB -> Pillow's 8-bit HSV -> hue + shift -> RGB,
// with the float and double steps of Pillow's rgb2hsv and hsv2rgb in the same
// order: fmod(x, 1) for x in [5/6, 11/6) is one exact subtraction, floor(h * 6 /
// 255) an integer division, and round() for x in [0, 256) is (int)x plus one when
// the (exact) fraction is >= 0.5.
FASTSSL_HD int round_half_up(double x) {
  const int i = static_cast<int>(x);
  return i + static_cast<int>(x - i >= 0.5);
}

// RGB -> (hue + shift, saturation, value), 8 bits each.
FASTSSL_HD void rgb_to_shifted_hsv(int r, int g, int b, uint8_t shift, uint8_t* hue, uint8_t* sat, uint8_t* val) {
  const int maxc = max_int(r, max_int(g, b));
  const int minc = min_int(r, min_int(g, b));
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
  const int uh = min_int(255, max_int(0, static_cast<int>(static_cast<float>(sector) * 255.0)));
  const int us = min_int(255, max_int(0, static_cast<int>((cr / maxf) * 255.0)));
  *hue = static_cast<uint8_t>(gray ? 0 : uh + shift);
  *sat = static_cast<uint8_t>(gray ? 0 : us);
  *val = static_cast<uint8_t>(maxc);
}

FASTSSL_HD void hsv_to_rgb(int h, int s, int v, uint8_t* rgb) {
  const int i = (6 * h) / 255;
  const float f = static_cast<float>(static_cast<float>(h) * 6.0 / 255.0 - static_cast<float>(i));
  const float fs = static_cast<float>(static_cast<float>(s) / 255.0);
  const float vf = static_cast<float>(v);
  const int p = min_int(255, round_half_up(vf * (1.0 - fs)));
  const int q = min_int(255, round_half_up(vf * (1.0 - fs * f)));
  const int t = min_int(255, round_half_up(vf * (1.0 - fs * (1.0 - f))));
  // Sector i % 6 picks (r, g, b) among v, p, q, t: (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v) (v,p,q);
  // a gray pixel (s == 0) is (v,v,v). All-ones masks select without branches.
  const int k = i % 6;
  const int is_gray = -static_cast<int>(s == 0);
  const int s0 = -static_cast<int>(k == 0), s1 = -static_cast<int>(k == 1), s2 = -static_cast<int>(k == 2);
  const int s3 = -static_cast<int>(k == 3), s4 = -static_cast<int>(k == 4), s5 = -static_cast<int>(k == 5);
  const int r = (v & (s0 | s5 | is_gray)) | (q & s1 & ~is_gray) | (t & s4 & ~is_gray) | (p & (s2 | s3) & ~is_gray);
  const int g = (v & (s1 | s2 | is_gray)) | (t & s0 & ~is_gray) | (q & s3 & ~is_gray) | (p & (s4 | s5) & ~is_gray);
  const int b = (v & (s3 | s4 | is_gray)) | (t & s2 & ~is_gray) | (q & s5 & ~is_gray) | (p & (s0 | s1) & ~is_gray);
  rgb[0] = static_cast<uint8_t>(r);
  rgb[1] = static_cast<uint8_t>(g);
  rgb[2] = static_cast<uint8_t>(b);
}

// ImageOps.solarize: v >= threshold -> 255 - v.
FASTSSL_HD uint8_t solarize_value(int v, int threshold) { return static_cast<uint8_t>(v >= threshold ? 255 - v : v); }

// Pillow's extended box blur, one pass: each output is the sum of the 2r+1
// whole pixels around it times ww plus the two next ones times fw, in 24-bit
// fixed point, with edge pixels repeated. Sums are exact integers, so any
// summation order gives Pillow's result.
struct BoxWeights {
  int radius;
  uint32_t ww, fw;
};

// Three extended box blurs whose variance equals sigma^2 (Gwosdek et al. 2011),
// with Pillow's choice of the fractional radius.
constexpr int kBoxBlurPasses = 3;
BoxWeights gaussian_box_weights(float sigma);  // color.cpp (host only)

FASTSSL_HD uint8_t box_output(uint32_t whole, uint32_t far, uint32_t ww, uint32_t fw) {
  return static_cast<uint8_t>((whole * ww + far * fw + (1u << 23)) >> 24);
}

// ToDtype(float32, scale=True) then Normalize, in float32 as torch computes them.
FASTSSL_HD float normalized(int v, float mean, float std) {
  return (static_cast<float>(v) * static_cast<float>(1.0 / 255.0) - mean) / std;
}

}  // namespace fastssl
