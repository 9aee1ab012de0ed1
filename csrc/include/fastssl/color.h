// Pixel operations with Pillow's arithmetic (as torchvision applies them to PIL
// images), in place on the channel planes of an 8-bit RGB image.
#pragma once

#include "fastssl/kernel_levels.h"
#include "fastssl/planes.h"

namespace fastssl {

// ImageEnhance.Brightness and .Contrast; every kernel gives the same bytes.
void adjust_brightness(const Planes& img, float factor, BlendConstantKernel kernel = best_kernel_level().blend_constant);
void adjust_contrast(const Planes& img, float factor, BlendConstantKernel kernel = best_kernel_level().blend_constant);
void adjust_saturation(const Planes& img, float factor);  // ImageEnhance.Color
// torchvision's PIL adjust_hue, hue_factor in [-0.5, 0.5]; every kernel gives the same bytes.
void adjust_hue(const Planes& img, float hue_factor, HuePlanesKernel kernel = best_kernel_level().shift_hue);
void to_grayscale(const Planes& img);                    // convert("L"), 3 channels kept
void solarize(const Planes& img, int threshold);         // ImageOps.solarize: v >= threshold -> 255 - v
// ImageFilter.GaussianBlur(radius=sigma); every kernel gives the same bytes.
void gaussian_blur(const Planes& img, float sigma, const KernelLevel& kernels = best_kernel_level());

}  // namespace fastssl
