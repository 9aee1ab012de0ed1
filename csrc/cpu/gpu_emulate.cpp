// The GPU renderer's steps in plain loops on the CPU, in the kernels' order, so
// that tests check their arithmetic against the engine on machines without a GPU.
#include <vector>

#include "fastssl/gpu_plan.h"

namespace fastssl {

void run_plan_on_cpu(const GpuPlan& plan) {
  using namespace gpu;
  std::vector<uint8_t> temp(plan.temp_bytes), work_a(plan.work_bytes), work_b(plan.work_bytes);
  std::vector<unsigned long long> luma_sums(plan.jobs.size() * kMaxStages, 0);
  const Buffers b{temp.data(), work_a.data(), work_b.data(), luma_sums.data()};
  for (size_t i = 0; i < plan.jobs.size(); ++i) {
    const Job& j = plan.jobs[i];
    unsigned long long* job_luma = b.luma + i * kMaxStages;
    for (int p = 0; p < static_cast<int>(pass1_pixels(j)); ++p) resample_first(j, b, p);
    for (int p = 0; p < static_cast<int>(pixels_of(j)); ++p) {
      const int l = resample_second(j, b, p);
      if (needs_luma(j, 0)) job_luma[0] += static_cast<unsigned long long>(l);
    }
    for (int stage = 0; stage < j.num_stages; ++stage) {
      const bool sum = needs_luma(j, stage + 1);
      if (is_blur_stage(j, stage)) {
        for (int pass = 0; pass < kBlurPasses; ++pass)
          for (int p = 0; p < static_cast<int>(pixels_of(j)); ++p) {
            const int l = blur_pass(j, b, stage, pass, p);
            if (sum && pass == kBlurPasses - 1) job_luma[stage + 1] += static_cast<unsigned long long>(l);
          }
      } else {
        for (int p = 0; p < static_cast<int>(pixels_of(j)); ++p) {
          const int l = pointwise(j, b, stage, p, job_luma);
          if (sum) job_luma[stage + 1] += static_cast<unsigned long long>(l);
        }
      }
    }
    for (int p = 0; p < static_cast<int>(pixels_of(j)); ++p) write_output(j, b, p);
  }
}

}  // namespace fastssl
