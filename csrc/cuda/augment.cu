// Batch-wide kernels of the GPU renderer: block row blockIdx.y is one job (an
// image's view), threads stride over its pixels and run gpu_jobs.h's steps.
#include "fastssl/augment_cuda.h"

namespace fastssl {
namespace {

using gpu::Buffers;
using gpu::Job;

constexpr int kThreads = 256;
constexpr int kMaxBlocksPerJob = 512;

// Every block copies its job to shared memory once: all threads read it. (Raw
// storage: Job's member initializers are not allowed on a __shared__ variable.)
__device__ const Job& load_job(const Job* jobs) {
  __shared__ alignas(Job) unsigned char storage[sizeof(Job)];
  const int words = sizeof(Job) / sizeof(int);
  const int* from = reinterpret_cast<const int*>(jobs + blockIdx.y);
  int* to = reinterpret_cast<int*>(storage);
  for (int i = threadIdx.x; i < words; i += blockDim.x) to[i] = from[i];
  __syncthreads();
  return *reinterpret_cast<const Job*>(storage);
}

// Adds every thread's `local` to *target, one atomic per block. All threads of
// the block must call it (the condition to sum is per job, so per block).
__device__ void add_block_sum(unsigned long long* target, unsigned long long local) {
  __shared__ unsigned long long warp_sums[kThreads / 32];
  for (int offset = 16; offset > 0; offset /= 2) local += __shfl_down_sync(0xffffffffu, local, offset);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = local;
  __syncthreads();
  if (warp == 0) {
    local = lane < kThreads / 32 ? warp_sums[lane] : 0ull;
    for (int offset = 16; offset > 0; offset /= 2) local += __shfl_down_sync(0xffffffffu, local, offset);
    if (lane == 0 && local != 0) atomicAdd(target, local);
  }
}

__device__ unsigned long long* luma_of(const Buffers& b, int stage) {
  return b.luma + static_cast<size_t>(blockIdx.y) * gpu::kMaxStages + stage;
}

// `count` fits an int: the planner refuses larger jobs.
#define FOR_EACH_PIXEL(p, count) \
  for (int p = blockIdx.x * blockDim.x + threadIdx.x, end_ = static_cast<int>(count); p < end_; \
       p += gridDim.x * blockDim.x)

__global__ void __launch_bounds__(kThreads) first_pass_kernel(const Job* jobs, Buffers b) {
  const Job& j = load_job(jobs);
  FOR_EACH_PIXEL(p, gpu::pass1_pixels(j)) gpu::resample_first(j, b, p);
}

__global__ void __launch_bounds__(kThreads) second_pass_kernel(const Job* jobs, Buffers b) {
  const Job& j = load_job(jobs);
  unsigned long long local = 0;
  FOR_EACH_PIXEL(p, gpu::pixels_of(j)) local += gpu::resample_second(j, b, p);
  if (gpu::needs_luma(j, 0)) add_block_sum(luma_of(b, 0), local);
}

__global__ void __launch_bounds__(kThreads) pointwise_kernel(const Job* jobs, Buffers b, int stage) {
  const Job& j = load_job(jobs);
  if (!gpu::is_pointwise_stage(j, stage)) return;
  const unsigned long long* job_luma = luma_of(b, 0);
  unsigned long long local = 0;
  FOR_EACH_PIXEL(p, gpu::pixels_of(j)) local += gpu::pointwise(j, b, stage, p, job_luma);
  if (gpu::needs_luma(j, stage + 1)) add_block_sum(luma_of(b, stage + 1), local);
}

__global__ void __launch_bounds__(kThreads) blur_kernel(const Job* jobs, Buffers b, int stage, int pass) {
  const Job& j = load_job(jobs);
  if (!gpu::is_blur_stage(j, stage)) return;
  unsigned long long local = 0;
  FOR_EACH_PIXEL(p, gpu::pixels_of(j)) local += gpu::blur_pass(j, b, stage, pass, p);
  if (pass == gpu::kBlurPasses - 1 && gpu::needs_luma(j, stage + 1)) add_block_sum(luma_of(b, stage + 1), local);
}

__global__ void __launch_bounds__(kThreads) write_kernel(const Job* jobs, Buffers b) {
  const Job& j = load_job(jobs);
  FOR_EACH_PIXEL(p, gpu::pixels_of(j)) gpu::write_output(j, b, p);
}

constexpr int kMaxJobsPerLaunch = 65535;  // gridDim.y

dim3 grid_for(int max_pixels, int num_jobs) {
  const int blocks = (max_pixels + kThreads - 1) / kThreads;
  return dim3(static_cast<unsigned>(blocks < kMaxBlocksPerJob ? blocks : kMaxBlocksPerJob),
              static_cast<unsigned>(num_jobs));
}

// One launch sequence for jobs [0, num_jobs) of `jobs` (at most 65535: gridDim.y).
cudaError_t launch_chunk(const Job* jobs, int num_jobs, const gpu::Schedule& s, const Buffers& b,
                         cudaStream_t stream) {
  const dim3 pixels = grid_for(s.max_pixels, num_jobs);
  if (s.max_pass1_pixels > 0)
    first_pass_kernel<<<grid_for(s.max_pass1_pixels, num_jobs), kThreads, 0, stream>>>(jobs, b);
  second_pass_kernel<<<pixels, kThreads, 0, stream>>>(jobs, b);
  for (int stage = 0; stage < s.num_stages; ++stage) {
    if (s.pointwise_stages & (1u << stage)) pointwise_kernel<<<pixels, kThreads, 0, stream>>>(jobs, b, stage);
    if (s.blur_stages & (1u << stage))
      for (int pass = 0; pass < gpu::kBlurPasses; ++pass)
        blur_kernel<<<pixels, kThreads, 0, stream>>>(jobs, b, stage, pass);
  }
  write_kernel<<<pixels, kThreads, 0, stream>>>(jobs, b);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_render_jobs(const Job* jobs, const gpu::Schedule& s, const Buffers& b, cudaStream_t stream) {
  static_assert(sizeof(Job) % sizeof(int) == 0, "load_job copies whole words");
  cudaError_t status = cudaMemsetAsync(b.luma, 0, sizeof(unsigned long long) * gpu::kMaxStages * s.num_jobs, stream);
  // Jobs keep absolute offsets into temp and work; only the job list and its sums move per chunk.
  for (int first = 0; first < s.num_jobs && status == cudaSuccess; first += kMaxJobsPerLaunch) {
    Buffers chunk = b;
    chunk.luma += static_cast<size_t>(first) * gpu::kMaxStages;
    const int count = s.num_jobs - first < kMaxJobsPerLaunch ? s.num_jobs - first : kMaxJobsPerLaunch;
    status = launch_chunk(jobs + first, count, s, chunk, stream);
  }
  return status;
}

}  // namespace fastssl
