// Crop + resize with Pillow's resampling arithmetic (antialiased when shrinking),
// so that the engine reproduces torchvision's RandomResizedCrop on PIL images.
#pragma once

#include "fastssl/image.h"
#include "fastssl/kernel_levels.h"

namespace fastssl {

enum class Interpolation { nearest, bilinear, bicubic };

// A region of the source in (fractional) pixel coordinates; the filters never
// read outside it, like PIL's resize of an image cropped to this box.
struct Box {
  double x0, y0, x1, y1;
};

// Which of the two separable passes Pillow runs first. Up to Pillow 12 (and in
// Pillow-SIMD) always the horizontal one; Pillow 13 runs the vertical pass first
// when the height shrinks by more than twice as many pixels as the width.
enum class PassOrder { horizontal_first, pillow13 };

// The pixels the filters may read: the box widened to whole pixels, clamped to
// the image; limits count pixels from the origin.
struct ReadableWindow {
  int x_origin = 0, y_origin = 0, x_limit = 0, y_limit = 0;
};
ReadableWindow readable_window(const Box& box, int height, int width);

// Whether resizing `box` to out_height x out_width runs the vertical pass first.
bool vertical_pass_first(const Box& box, int out_height, int out_width, PassOrder order);

// Flips of the resized image, applied by the resampling passes for free.
struct Mirror {
  bool horizontal = false, vertical = false;
};

// Resizes `box` of `src` into `dst` (dst.height x dst.width). With an integer
// box this is bit-exact with PIL's img.crop(box).resize(size, interpolation)
// (then flipped as `mirror` says) when `order` matches the installed Pillow.
// Every level's kernels give the same bytes; tests pick each in turn. `transposed`, if
// given, is src transposed (transpose.h): one transpose made for several
// resamples of src, which their horizontal passes then read instead of each
// transposing its box. The bytes are the same either way.
void resample(const ConstImage& src, const Box& box, Interpolation interpolation, const Image& dst,
              PassOrder order = PassOrder::horizontal_first, Mirror mirror = {},
              const KernelLevel& kernels = best_kernel_level(), const ConstImage* transposed = nullptr);

}  // namespace fastssl
