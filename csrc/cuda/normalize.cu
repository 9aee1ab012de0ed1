#include "fastssl/normalize_cuda.h"

namespace fastssl {
namespace {

struct Affine {
  float scale[3];  // 1 / (255 * std)
  float shift[3];  // -mean / std
};

__global__ void normalize_kernel(const uint8_t* __restrict__ src, float* __restrict__ dst, int64_t pixels_per_image,
                                 int64_t total_pixels, Affine affine) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total_pixels;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t n = i / pixels_per_image;
    const int64_t p = i - n * pixels_per_image;
    const uint8_t* px = src + i * 3;
    float* out = dst + n * 3 * pixels_per_image + p;
#pragma unroll
    for (int c = 0; c < 3; ++c) out[c * pixels_per_image] = px[c] * affine.scale[c] + affine.shift[c];
  }
}

}  // namespace

cudaError_t launch_normalize_hwc_u8_to_chw_f32(const uint8_t* src, float* dst, int batch, int height,
                                                int width, const float mean[3], const float std[3],
                                                cudaStream_t stream) {
  const int64_t pixels_per_image = static_cast<int64_t>(height) * width;
  const int64_t total = pixels_per_image * batch;
  if (total == 0) return cudaSuccess;
  Affine affine;
  for (int c = 0; c < 3; ++c) {
    affine.scale[c] = 1.0f / (255.0f * std[c]);
    affine.shift[c] = -mean[c] / std[c];
  }
  const int threads = 256;
  const int64_t wanted = (total + threads - 1) / threads;
  const int blocks = static_cast<int>(wanted < 65535 ? wanted : 65535);
  normalize_kernel<<<blocks, threads, 0, stream>>>(src, dst, pixels_per_image, total, affine);
  return cudaGetLastError();
}

}  // namespace fastssl
