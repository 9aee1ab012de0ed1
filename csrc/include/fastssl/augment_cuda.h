// The GPU renderer's launcher: a planned batch (gpu_plan.h) executed by a few
// batch-wide kernels on a caller-given stream.
#pragma once

#include <cuda_runtime.h>

#include "fastssl/gpu_jobs.h"

namespace fastssl {

// `jobs` points at schedule.num_jobs Jobs in device memory; the buffers hold
// the plan's temp_bytes, work_bytes (twice) and num_jobs * kMaxStages sums.
// Returns the first launch error.
cudaError_t launch_render_jobs(const gpu::Job* jobs, const gpu::Schedule& schedule, const gpu::Buffers& buffers,
                               cudaStream_t stream);

}  // namespace fastssl
