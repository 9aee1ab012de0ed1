// Late normalization on the GPU: uint8 HWC batches in, float32 CHW out.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

namespace fastssl {

// dst[n][c][y][x] = (src[n][y][x][c] / 255 - mean[c]) / std[c] for a batch of
// RGB images; launched on `stream`, returns the launch status.
cudaError_t launch_normalize_hwc_u8_to_chw_f32(const uint8_t* src, float* dst, int batch, int height,
                                                int width, const float mean[3], const float std[3],
                                                cudaStream_t stream);

}  // namespace fastssl
