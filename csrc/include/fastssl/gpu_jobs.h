// The GPU renderer's work list and its per-pixel steps.
//
// A batch is a flat array of Jobs, one per (image, view), planned on the host
// from the engine's counter-based parameters (gpu_plan.h) and executed by a
// handful of batch-wide kernels (csrc/cuda/augment.cu):
//   resample_first   the first separable pass (Pillow's order) into `temp`
//   resample_second  the second pass, with the flips, into work buffer A
//   stage s          the pointwise ops of stage s, in place in A; or, for a blur
//                    stage, six box-blur passes A -> B -> A ... -> A
//   write_output     A -> the view's (3, H, W) output, float32 or uint8
// A stage ends before every contrast (it needs the mean luma of the image as
// it enters) and around every blur; the kernel that writes a stage's input
// accumulates that luma when the stage starts with a contrast.
//
// Every step is a FASTSSL_HD function of one pixel, so that the same code runs
// in the kernels and, in a plain loop, on the CPU (gpu_emulate.cpp), which is
// how the arithmetic is tested without a GPU. All of it equals the CPU engine
// byte for byte (compiled without fused multiply-adds on both sides).
#pragma once

#include <cstdint>

#include "fastssl/host_device.h"
#include "fastssl/pixel_math.h"
#include "fastssl/resample_math.h"

namespace fastssl {
namespace gpu {

constexpr int kMaxOps = 16;
constexpr int kMaxStages = kMaxOps;
constexpr int kBlurPasses = 2 * kBoxBlurPasses;  // three horizontal, then three vertical

enum OpCode : int32_t { kBrightness = 0, kContrast, kSaturation, kHue, kGrayscale, kSolarize, kBlur };
enum InterpolationCode : int32_t { kNearest = 0, kBilinear, kBicubic };

struct Op {
  int32_t code = kBrightness;
  float factor = 1;       // brightness, contrast, saturation: blend factor; hue: shift in [-0.5, 0.5]
  int32_t threshold = 0;  // solarize
  int32_t radius = 0;     // blur: Pillow's box weights
  uint32_t ww = 0, fw = 0;
};

struct Job {
  uint64_t source = 0;  // address of the planar (3, source_height, source_width) uint8 image
  int32_t source_height = 0, source_width = 0;
  double box[4] = {0, 0, 0, 0};  // crop box x0, y0, x1, y1 in source pixels
  int32_t x_origin = 0, y_origin = 0, x_limit = 0, y_limit = 0;  // what the filters may read
  int32_t interpolation = kBilinear;
  int32_t vertical_first = 0;
  int32_t pass1_first = 0, pass1_count = 0;  // rows (horizontal first) or columns the first pass covers
  int32_t height = 0, width = 0;             // of the view
  int32_t hflip = 0, vflip = 0;
  uint64_t temp_offset = 0;  // bytes into the first pass's buffer
  uint64_t work_offset = 0;  // bytes into work buffers A and B (height * width * 3 each)
  int32_t num_ops = 0;
  Op ops[kMaxOps];
  int32_t num_stages = 0;
  int32_t stage_begin[kMaxStages + 1] = {0};  // stage s runs ops[stage_begin[s] .. stage_begin[s + 1])
  uint64_t output = 0;  // address of this view's (3, height, width) output
  int32_t output_float = 1;
  float mean[3] = {0, 0, 0}, std[3] = {1, 1, 1};
};

// Buffers shared by every job of a batch.
struct Buffers {
  uint8_t* temp = nullptr;
  uint8_t* work_a = nullptr;
  uint8_t* work_b = nullptr;
  unsigned long long* luma = nullptr;  // kMaxStages per job: sum of the luma entering stage s
};

// Pixel counts of a job's steps; the planner refuses jobs where they pass INT32_MAX.
FASTSSL_HD int64_t pixels_of(const Job& j) { return static_cast<int64_t>(j.height) * j.width; }
FASTSSL_HD int64_t pass1_pixels(const Job& j) {
  return j.interpolation == kNearest ? 0 : static_cast<int64_t>(j.vertical_first ? j.height : j.width) * j.pass1_count;
}

FASTSSL_HD bool is_blur_stage(const Job& j, int stage) {
  return stage < j.num_stages && j.ops[j.stage_begin[stage]].code == kBlur;
}
FASTSSL_HD bool is_pointwise_stage(const Job& j, int stage) { return stage < j.num_stages && !is_blur_stage(j, stage); }
// Whether the image entering `stage` needs its luma summed (the stage starts with a contrast).
FASTSSL_HD bool needs_luma(const Job& j, int stage) {
  return stage < j.num_stages && j.ops[j.stage_begin[stage]].code == kContrast;
}

FASTSSL_HD int source_at(const Job& j, int channel, int y, int x) {
  const uint8_t* plane = reinterpret_cast<const uint8_t*>(j.source) +
                         static_cast<int64_t>(channel) * j.source_height * j.source_width;
  return plane[static_cast<int64_t>(y) * j.source_width + x];
}

FASTSSL_HD AxisFilter horizontal_filter(const Job& j) {
  return axis_filter(j.box[0] - j.x_origin, j.box[2] - j.x_origin, j.x_limit, j.width, j.interpolation == kBicubic);
}
FASTSSL_HD AxisFilter vertical_filter(const Job& j) {
  return axis_filter(j.box[1] - j.y_origin, j.box[3] - j.y_origin, j.y_limit, j.height, j.interpolation == kBicubic);
}

// The first pass, pixel p of this job's part of `temp`: horizontal first, row
// pass1_first + p / width of the window resized to `width` columns; vertical
// first, column pass1_first + p % pass1_count resized to `height` rows.
FASTSSL_HD void resample_first(const Job& j, const Buffers& b, int p) {
  int32_t acc[3] = {kRoundingTerm, kRoundingTerm, kRoundingTerm};
  if (!j.vertical_first) {
    const int row = j.y_origin + j.pass1_first + p / j.width;
    const AxisFilter f = horizontal_filter(j);
    const FilterWindow w = filter_window(f, p % j.width);
    for (int t = 0; t < w.count; ++t) {
      const int32_t weight = fixed_weight(f, w, t);
      for (int c = 0; c < 3; ++c) acc[c] += source_at(j, c, row, j.x_origin + w.first + t) * weight;
    }
  } else {
    const int column = j.x_origin + j.pass1_first + p % j.pass1_count;
    const AxisFilter f = vertical_filter(j);
    const FilterWindow w = filter_window(f, p / j.pass1_count);
    for (int t = 0; t < w.count; ++t) {
      const int32_t weight = fixed_weight(f, w, t);
      for (int c = 0; c < 3; ++c) acc[c] += source_at(j, c, j.y_origin + w.first + t, column) * weight;
    }
  }
  uint8_t* out = b.temp + j.temp_offset + 3 * static_cast<int64_t>(p);
  for (int c = 0; c < 3; ++c) out[c] = fixed_to_u8(acc[c]);
}

// Where output pixel (y, x) of the resize lands once flipped.
FASTSSL_HD uint8_t* flipped_pixel(const Job& j, const Buffers& b, int y, int x) {
  const int fy = j.vflip ? j.height - 1 - y : y;
  const int fx = j.hflip ? j.width - 1 - x : x;
  return b.work_a + j.work_offset + 3 * (static_cast<int64_t>(fy) * j.width + fx);
}

// The second pass (or nearest sampling, which has one pass), output pixel p;
// returns the luma of what it wrote.
FASTSSL_HD int resample_second(const Job& j, const Buffers& b, int p) {
  const int y = p / j.width, x = p % j.width;
  uint8_t* out = flipped_pixel(j, b, y, x);
  if (j.interpolation == kNearest) {
    const int sy = nearest_index(j.box[1], j.box[3], j.height, j.source_height, y);
    const int sx = nearest_index(j.box[0], j.box[2], j.width, j.source_width, x);
    for (int c = 0; c < 3; ++c) out[c] = static_cast<uint8_t>(source_at(j, c, sy, sx));
    return luma(out);
  }
  int32_t acc[3] = {kRoundingTerm, kRoundingTerm, kRoundingTerm};
  const uint8_t* temp = b.temp + j.temp_offset;
  if (!j.vertical_first) {
    const AxisFilter f = vertical_filter(j);
    const FilterWindow w = filter_window(f, y);
    for (int t = 0; t < w.count; ++t) {
      const int32_t weight = fixed_weight(f, w, t);
      const uint8_t* in = temp + 3 * (static_cast<int64_t>(w.first + t - j.pass1_first) * j.width + x);
      for (int c = 0; c < 3; ++c) acc[c] += in[c] * weight;
    }
  } else {
    const AxisFilter f = horizontal_filter(j);
    const FilterWindow w = filter_window(f, x);
    for (int t = 0; t < w.count; ++t) {
      const int32_t weight = fixed_weight(f, w, t);
      const uint8_t* in = temp + 3 * (static_cast<int64_t>(y) * j.pass1_count + w.first + t - j.pass1_first);
      for (int c = 0; c < 3; ++c) acc[c] += in[c] * weight;
    }
  }
  for (int c = 0; c < 3; ++c) out[c] = fixed_to_u8(acc[c]);
  return luma(out);
}

FASTSSL_HD void apply_op(const Op& op, int contrast_mean, uint8_t* px) {
  switch (op.code) {
    case kBrightness:
      for (int c = 0; c < 3; ++c) px[c] = blend(0, px[c], op.factor);
      break;
    case kContrast:
      for (int c = 0; c < 3; ++c) px[c] = blend(contrast_mean, px[c], op.factor);
      break;
    case kSaturation: {
      const int gray = luma(px);
      for (int c = 0; c < 3; ++c) px[c] = blend(gray, px[c], op.factor);
      break;
    }
    case kHue: {
      uint8_t h, s, v;
      rgb_to_shifted_hsv(px[0], px[1], px[2], hue_shift_of(op.factor), &h, &s, &v);
      hsv_to_rgb(h, s, v, px);
      break;
    }
    case kGrayscale:
      px[0] = px[1] = px[2] = luma(px);
      break;
    case kSolarize:
      for (int c = 0; c < 3; ++c) px[c] = solarize_value(px[c], op.threshold);
      break;
    default:  // kBlur: a stage of its own
      break;
  }
}

// Pointwise stage `stage`, pixel p, in place in A; returns the luma of the result.
FASTSSL_HD int pointwise(const Job& j, const Buffers& b, int stage, int p, const unsigned long long* job_luma) {
  uint8_t* px = b.work_a + j.work_offset + 3 * static_cast<int64_t>(p);
  const int first = j.stage_begin[stage];
  const int mean = j.ops[first].code == kContrast ? mean_luma(job_luma[stage], static_cast<double>(pixels_of(j))) : 0;
  for (int k = first; k < j.stage_begin[stage + 1]; ++k) apply_op(j.ops[k], mean, px);
  return luma(px);
}

// Box-blur pass `pass` (0-2 along rows, 3-5 along columns) of the blur opening
// `stage`, pixel p; passes alternate A -> B and B -> A, so the sixth ends in A.
// Returns the luma of what it wrote.
FASTSSL_HD int blur_pass(const Job& j, const Buffers& b, int stage, int pass, int p) {
  const Op& op = j.ops[j.stage_begin[stage]];
  const uint8_t* in = (pass % 2 == 0 ? b.work_a : b.work_b) + j.work_offset;
  uint8_t* out = (pass % 2 == 0 ? b.work_b : b.work_a) + j.work_offset + 3 * static_cast<int64_t>(p);
  const int y = p / j.width, x = p % j.width;
  const bool rows = pass < kBoxBlurPasses;
  const int position = rows ? x : y;
  const int last = (rows ? j.width : j.height) - 1;
  const int64_t step = rows ? 3 : 3 * static_cast<int64_t>(j.width);
  const uint8_t* line = in + (rows ? 3 * static_cast<int64_t>(y) * j.width : 3 * static_cast<int64_t>(x));
  uint32_t whole[3] = {0, 0, 0};
  for (int d = -op.radius; d <= op.radius; ++d) {
    const uint8_t* q = line + step * min_int(max_int(position + d, 0), last);
    for (int c = 0; c < 3; ++c) whole[c] += q[c];
  }
  const uint8_t* before = line + step * max_int(position - op.radius - 1, 0);
  const uint8_t* after = line + step * min_int(position + op.radius + 1, last);
  for (int c = 0; c < 3; ++c)
    out[c] = box_output(whole[c], static_cast<uint32_t>(before[c]) + after[c], op.ww, op.fw);
  return luma(out);
}

// Pixel p of A into the view's planar output.
FASTSSL_HD void write_output(const Job& j, const Buffers& b, int p) {
  const uint8_t* px = b.work_a + j.work_offset + 3 * static_cast<int64_t>(p);
  const int64_t plane = pixels_of(j);
  if (j.output_float) {
    float* out = reinterpret_cast<float*>(j.output) + p;
    for (int c = 0; c < 3; ++c) out[c * plane] = normalized(px[c], j.mean[c], j.std[c]);
  } else {
    uint8_t* out = reinterpret_cast<uint8_t*>(j.output) + p;
    for (int c = 0; c < 3; ++c) out[c * plane] = px[c];
  }
}

// What the host launches for a batch: the largest job of each step, and which
// stages some job runs as pointwise ops or as a blur.
struct Schedule {
  int num_jobs = 0;
  int max_pass1_pixels = 0;  // both at most INT32_MAX (the planner checks)
  int max_pixels = 0;
  int num_stages = 0;
  uint32_t pointwise_stages = 0;  // bit s: some job's stage s is pointwise
  uint32_t blur_stages = 0;       // bit s: some job's stage s is a blur
};

}  // namespace gpu
}  // namespace fastssl
