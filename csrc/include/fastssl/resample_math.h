// Pillow's resampling filters along one axis (libImaging/Resample.c): per
// output pixel a window of source pixels and normalized weights in 22-bit fixed
// point. Shared by the CPU engine (which tabulates the weights once per view)
// and the CUDA kernels (which compute each pixel's window where they need it).
#pragma once

#include <cmath>
#include <cstdint>

#include "fastssl/host_device.h"

namespace fastssl {

constexpr int kPrecisionBits = 32 - 8 - 2;

FASTSSL_HD double bilinear_filter(double x) {
  x = fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

FASTSSL_HD double bicubic_filter(double x) {
  constexpr double a = -0.5;
  x = fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// The filter of one axis: the box edges in0 .. in0 + scale * out_size relative to
// the first source pixel the window may read; `limit` pixels are readable from there.
struct AxisFilter {
  double in0 = 0, scale = 1, support = 1, inverse_filter_scale = 1;
  int limit = 0;
  bool bicubic = false;
};

FASTSSL_HD AxisFilter axis_filter(double in0, double in1, int limit, int out_size, bool bicubic) {
  AxisFilter f;
  f.in0 = in0;
  f.scale = (in1 - in0) / out_size;
  const double filter_scale = f.scale > 1.0 ? f.scale : 1.0;
  f.support = (bicubic ? 2.0 : 1.0) * filter_scale;
  f.inverse_filter_scale = 1.0 / filter_scale;
  f.limit = limit;
  f.bicubic = bicubic;
  return f;
}

// Most taps any output pixel of this filter uses.
FASTSSL_HD int max_taps(const AxisFilter& f) { return static_cast<int>(ceil(f.support)) * 2 + 1; }

struct FilterWindow {
  int first = 0;  // first source pixel (relative to the axis origin)
  int count = 0;  // taps
  double center = 0;
  double total = 0;  // sum of the unnormalized filter values
};

FASTSSL_HD double tap_value(const AxisFilter& f, int first, double center, int tap) {
  const double x = (tap + first - center + 0.5) * f.inverse_filter_scale;
  return f.bicubic ? bicubic_filter(x) : bilinear_filter(x);
}

FASTSSL_HD double tap_value(const AxisFilter& f, const FilterWindow& w, int tap) {
  return tap_value(f, w.first, w.center, tap);
}

// The window of output `out_index` without its total.
FASTSSL_HD FilterWindow window_bounds(const AxisFilter& f, int out_index) {
  FilterWindow w;
  w.center = f.in0 + (out_index + 0.5) * f.scale;
  int first = static_cast<int>(w.center - f.support + 0.5);
  if (first < 0) first = 0;
  int end = static_cast<int>(w.center + f.support + 0.5);
  if (end > f.limit) end = f.limit;
  w.first = first;
  w.count = end - first;
  return w;
}

FASTSSL_HD FilterWindow filter_window(const AxisFilter& f, int out_index) {
  FilterWindow w = window_bounds(f, out_index);
  for (int tap = 0; tap < w.count; ++tap) w.total += tap_value(f, w, tap);
  return w;
}

// A tap's weight in fixed point, from its filter value and the window's total;
// Pillow rounds half away from zero.
FASTSSL_HD int32_t fixed_weight(double k, double total) {
  const double normalized = total != 0.0 ? k / total : k;
  const double fixed = normalized * (1 << kPrecisionBits);
  return static_cast<int32_t>(normalized < 0 ? trunc(-0.5 + fixed) : trunc(0.5 + fixed));
}

FASTSSL_HD int32_t fixed_weight(const AxisFilter& f, const FilterWindow& w, int tap) {
  return fixed_weight(tap_value(f, w, tap), w.total);
}

// The accumulator's start (rounding) and its conversion back to 8 bits.
constexpr int32_t kRoundingTerm = 1 << (kPrecisionBits - 1);
FASTSSL_HD uint8_t fixed_to_u8(int32_t acc) {
  acc >>= kPrecisionBits;
  return static_cast<uint8_t>(acc < 0 ? 0 : (acc > 255 ? 255 : acc));
}

// Nearest sampling along one axis, output by output, as Pillow's scale-only
// affine transform computes it: the position accumulates in floating point from
// the crop origin (torchvision crops, then resizes).
struct NearestAxis {
  int origin, limit;
  double step, pos;

  FASTSSL_HD NearestAxis(double in0, double in1, int out_size, int limit_)
      : origin(static_cast<int>(floor(in0))), limit(limit_), step((in1 - in0) / out_size),
        pos((in0 - origin) + step * 0.5) {}
  FASTSSL_HD int index() const {
    const int i = origin + static_cast<int>(pos);
    return i < limit - 1 ? i : limit - 1;
  }
  FASTSSL_HD void advance() { pos += step; }
};

// Source index of output `out_index` alone (the kernels' per-pixel form).
FASTSSL_HD int nearest_index(double in0, double in1, int out_size, int limit, int out_index) {
  NearestAxis axis(in0, in1, out_size, limit);
  for (int i = 0; i < out_index; ++i) axis.advance();
  return axis.index();
}

}  // namespace fastssl
