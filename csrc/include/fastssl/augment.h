// The augmentation recipe of one view (fastssl.transforms.spec, in C++), its
// random parameters for one image, and rendering a view from decoded pixels.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "fastssl/image.h"
#include "fastssl/planes.h"
#include "fastssl/resample.h"
#include "fastssl/rng.h"

namespace fastssl {

enum class OpKind { hflip, vflip, color_jitter, grayscale, blur, solarize };

struct OpSpec {
  OpKind kind = OpKind::hflip;
  double prob = 1.0;
  bool always = false;  // color jitter without a coin (torchvision's bare ColorJitter)
  double brightness = 0, contrast = 0, saturation = 0, hue = 0;
  double sigma_min = 0, sigma_max = 0;
  double threshold = 128;
};

struct ViewSpec {
  int height = 0, width = 0;  // output size
  double scale_min = 0.08, scale_max = 1.0;
  double ratio_min = 3.0 / 4.0, ratio_max = 4.0 / 3.0;
  Interpolation interpolation = Interpolation::bilinear;
  std::vector<OpSpec> ops;
  bool normalize = false;
  std::array<float, 3> mean{0, 0, 0}, std{1, 1, 1};
};

// One drawn operation; only the ops whose coin came up are kept.
struct OpParams {
  OpKind kind = OpKind::hflip;
  // color jitter: the four adjustments in the order drawn (0 brightness,
  // 1 contrast, 2 saturation, 3 hue); a zero strength disables one, as torchvision does.
  std::array<int, 4> order{0, 1, 2, 3};
  std::array<float, 4> factors{1, 1, 1, 0};
  std::array<bool, 4> enabled{false, false, false, false};
  float sigma = 0;
  int threshold = 128;
};

struct ViewParams {
  int x0 = 0, y0 = 0, crop_width = 0, crop_height = 0;  // crop box in full-resolution pixels
  std::vector<OpParams> ops;
};

// The flips among the drawn ops, as one mirror per axis (two flips along one
// axis cancel). Every other op mirrors exactly, so a renderer may flip anywhere.
Mirror mirror_of(const ViewParams& params);

// Draws the parameters the reference draws (torchvision's RandomResizedCrop.get_params,
// then each op's coin and values, in spec order) for an image of the given size.
ViewParams sample_view(const ViewSpec& spec, int image_height, int image_width, CounterRng& rng);

// Output layout of a rendered view: planar CHW, uint8 (normalized later, e.g. on
// the GPU) or float32 in [0, 1] / normalized with the spec's mean and std.
enum class OutputType { uint8, float32 };

// Where decoded pixels sit relative to the full-resolution image: the image was
// decoded at `scale` (decoded size / full size) and `decoded` starts at pixel
// (origin_x, origin_y) of that scaled image (a region decode).
struct Placement {
  double scale_x = 1, scale_y = 1;
  double origin_x = 0, origin_y = 0;
};

// Buffers of render_view, reused between calls to avoid allocations.
struct ViewScratch {
  ImageBuffer resized;  // the resampled view, interleaved
  PlanesBuffer planes;  // the same, split into planes for the ops
};

// The params' crop box in the decoded pixels.
Box crop_box(const ViewParams& params, const Placement& placement);

// Whether one transpose of all the decoded pixels (render_view's `transposed`)
// moves fewer pixels than the views' horizontal passes would transpose each on its own.
bool transpose_once_pays(const ConstImage& decoded, const Placement& placement, const std::vector<ViewSpec>& specs,
                         const std::vector<ViewParams>& params, PassOrder order);

// Renders one view: crop (the params' box, placed), resize, then the ops in
// order, written to `out` (3 x height x width). `transposed`: the decoded
// pixels transposed, or null (resample.h).
void render_view(const ConstImage& decoded, const ConstImage* transposed, const Placement& placement,
                 const ViewSpec& spec, const ViewParams& params, OutputType type, PassOrder order, void* out,
                 ViewScratch& scratch);

}  // namespace fastssl
