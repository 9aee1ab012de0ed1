#include "fastssl/augment.h"

#include <algorithm>
#include <cmath>

#include "fastssl/color.h"
#include "fastssl/pixel_math.h"
#include "fastssl/simd.h"

namespace fastssl {
namespace {

// Python's round(): halves go to the even neighbour.
inline int round_half_even(double x) { return static_cast<int>(std::nearbyint(x)); }

// torchvision's RandomResizedCrop.get_params: ten tries at a random area and
// log-uniform aspect ratio, then a centered crop clamped to the ratio range.
void sample_crop(const ViewSpec& spec, int height, int width, CounterRng& rng, ViewParams& p) {
  const double area = static_cast<double>(height) * width;
  const double log_min = std::log(spec.ratio_min), log_max = std::log(spec.ratio_max);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * rng.uniform(spec.scale_min, spec.scale_max);
    const double aspect = std::exp(rng.uniform(log_min, log_max));
    const int w = round_half_even(std::sqrt(target_area * aspect));
    const int h = round_half_even(std::sqrt(target_area / aspect));
    if (0 < w && w <= width && 0 < h && h <= height) {
      p.y0 = static_cast<int>(rng.randint(0, height - h));
      p.x0 = static_cast<int>(rng.randint(0, width - w));
      p.crop_width = w;
      p.crop_height = h;
      return;
    }
  }
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < spec.ratio_min) h = round_half_even(w / spec.ratio_min);
  else if (in_ratio > spec.ratio_max) w = round_half_even(h * spec.ratio_max);
  p.crop_width = w;
  p.crop_height = h;
  p.x0 = (width - w) / 2;
  p.y0 = (height - h) / 2;
}

// torchvision's ColorJitter.get_params: a random order of the four adjustments,
// each factor uniform in its range; a zero strength disables an adjustment.
void sample_jitter(const OpSpec& op, CounterRng& rng, OpParams& out) {
  std::array<int, 4>& order = out.order;
  for (int i = 3; i > 0; --i) std::swap(order[i], order[rng.randint(0, i)]);
  const double strengths[4] = {op.brightness, op.contrast, op.saturation, op.hue};
  for (int k = 0; k < 4; ++k) {
    const double s = strengths[k];
    out.enabled[k] = s > 0;
    if (!out.enabled[k]) continue;
    out.factors[k] = static_cast<float>(k == 3 ? rng.uniform(-s, s) : rng.uniform(std::max(0.0, 1.0 - s), 1.0 + s));
  }
}

void apply_jitter(const Planes& img, const OpParams& p) {
  for (int k : p.order) {
    if (!p.enabled[k]) continue;
    switch (k) {
      case 0: adjust_brightness(img, p.factors[k]); break;
      case 1: adjust_contrast(img, p.factors[k]); break;
      case 2: adjust_saturation(img, p.factors[k]); break;
      default: adjust_hue(img, p.factors[k]); break;
    }
  }
}

// Flips are done by the resampler (see render_view).
void apply(const Planes& img, const OpParams& p) {
  switch (p.kind) {
    case OpKind::hflip:
    case OpKind::vflip: break;
    case OpKind::color_jitter: apply_jitter(img, p); break;
    case OpKind::grayscale: to_grayscale(img); break;
    case OpKind::blur: gaussian_blur(img, p.sigma); break;
    case OpKind::solarize: solarize(img, p.threshold); break;
  }
}

// torchvision's ToDtype(float32, scale=True) then Normalize, in float32 as torch computes them.
FASTSSL_VECTORIZED void write_float(const Planes& img, const ViewSpec& spec, float* __restrict out) {
  const size_t n = img.pixels();
  for (int c = 0; c < 3; ++c) {
    const float mean = spec.normalize ? spec.mean[c] : 0.0f;
    const float std = spec.normalize ? spec.std[c] : 1.0f;
    const uint8_t* __restrict src = img.channel(c);
    float* __restrict dst = out + n * static_cast<size_t>(c);
    for (size_t i = 0; i < n; ++i) dst[i] = normalized(src[i], mean, std);
  }
}

void write_uint8(const Planes& img, uint8_t* out) {
  for (int c = 0; c < 3; ++c) std::copy_n(img.channel(c), img.pixels(), out + img.pixels() * static_cast<size_t>(c));
}

}  // namespace

Mirror mirror_of(const ViewParams& params) {
  // The color ops are per pixel; the blur's kernel and edge handling are symmetric.
  Mirror mirror;
  for (const OpParams& op : params.ops) {
    if (op.kind == OpKind::hflip) mirror.horizontal = !mirror.horizontal;
    if (op.kind == OpKind::vflip) mirror.vertical = !mirror.vertical;
  }
  return mirror;
}

ViewParams sample_view(const ViewSpec& spec, int image_height, int image_width, CounterRng& rng) {
  ViewParams params;
  sample_crop(spec, image_height, image_width, rng, params);
  for (const OpSpec& op : spec.ops) {
    if (!op.always && !rng.bernoulli(op.prob)) continue;
    OpParams drawn;
    drawn.kind = op.kind;
    if (op.kind == OpKind::color_jitter) sample_jitter(op, rng, drawn);
    if (op.kind == OpKind::blur) drawn.sigma = static_cast<float>(rng.uniform(op.sigma_min, op.sigma_max));
    if (op.kind == OpKind::solarize) drawn.threshold = static_cast<int>(std::ceil(op.threshold));
    params.ops.push_back(drawn);
  }
  return params;
}

Box crop_box(const ViewParams& params, const Placement& at) {
  return Box{params.x0 * at.scale_x - at.origin_x, params.y0 * at.scale_y - at.origin_y,
             (params.x0 + params.crop_width) * at.scale_x - at.origin_x,
             (params.y0 + params.crop_height) * at.scale_y - at.origin_y};
}

bool transpose_once_pays(const ConstImage& decoded, const Placement& at, const std::vector<ViewSpec>& specs,
                         const std::vector<ViewParams>& params, PassOrder order) {
  int64_t own_transposes = 0;  // pixels: each view transposes the window its box reads
  for (size_t v = 0; v < params.size(); ++v) {
    const Box box = crop_box(params[v], at);
    if (specs[v].interpolation == Interpolation::nearest || vertical_pass_first(box, specs[v].height, specs[v].width, order))
      continue;
    const ReadableWindow w = readable_window(box, decoded.height, decoded.width);
    own_transposes += int64_t{w.x_limit} * w.y_limit;
  }
  return own_transposes > int64_t{decoded.width} * decoded.height;
}

void render_view(const ConstImage& decoded, const ConstImage* transposed, const Placement& at, const ViewSpec& spec,
                 const ViewParams& params, OutputType type, PassOrder order, void* out, ViewScratch& scratch) {
  scratch.resized.resize(spec.height, spec.width);
  // The flips move into the resampling, where they cost nothing.
  resample(decoded, crop_box(params, at), spec.interpolation, scratch.resized.image(), order, mirror_of(params),
           best_kernel_level(), transposed);
  const Planes view = scratch.planes.resize(spec.height, spec.width);
  split_planes(scratch.resized.view(), view);
  for (const OpParams& op : params.ops) apply(view, op);
  if (type == OutputType::float32) write_float(view, spec, static_cast<float*>(out));
  else write_uint8(view, static_cast<uint8_t*>(out));
}

}  // namespace fastssl
