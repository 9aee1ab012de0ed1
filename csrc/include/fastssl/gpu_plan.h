// Planning a batch for the GPU renderer on the host: the engine's random
// parameters for every (image, view), turned into gpu::Jobs (gpu_jobs.h).
#pragma once

#include <cstdint>
#include <vector>

#include "fastssl/engine.h"
#include "fastssl/gpu_jobs.h"

namespace fastssl {

// One decoded image of the batch: planar (3, height, width) uint8 at `source`
// (a device address for the kernels, a host one for run_plan_on_cpu).
struct GpuItem {
  int64_t sample = 0;  // keys the randomness, as in Engine::run
  int64_t row = 0;     // row of the output buffers to write
  int height = 0, width = 0;
  uint64_t source = 0;
};

struct GpuPlan {
  std::vector<gpu::Job> jobs;
  gpu::Schedule schedule;
  uint64_t temp_bytes = 0;  // the first resampling pass's buffer
  uint64_t work_bytes = 0;  // each of work buffers A and B
};

// outputs[v]: address of view v's (rows, 3, height_v, width_v) buffer, in the
// engine's output type. Draws exactly the parameters Engine::run draws.
GpuPlan plan_gpu_batch(const Engine& engine, const std::vector<GpuItem>& items, uint64_t epoch,
                       const std::vector<uint64_t>& outputs);

// Executes a plan with the kernels' per-pixel code in plain loops (no GPU).
void run_plan_on_cpu(const GpuPlan& plan);

}  // namespace fastssl
