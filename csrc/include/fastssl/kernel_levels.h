// The kernels compiled once per x86-64 level (CMakeLists.txt; hue_planes.h says
// why), and which of them this CPU runs.
#pragma once

#include <vector>

#include "fastssl/blend_constant.h"
#include "fastssl/box_blur_passes.h"
#include "fastssl/hue_planes.h"
#include "fastssl/transpose.h"
#include "fastssl/weighted_rows.h"

namespace fastssl {

struct KernelLevel {
  const char* name;  // "x86-64-v4" (AVX-512), "x86-64-v3" (AVX2) or "baseline"
  HuePlanesKernel shift_hue;
  WeightedRowsKernel weighted_rows;
  BlendConstantKernel blend_constant;     // by byte table at x86-64-v4 where the CPU has AVX-512 VBMI
  TransposeKernel transpose;              // in tiles of 16 at x86-64-v4 where the CPU has AVX-512 VBMI
  BoxBlurRowsKernel box_blur_rows;        // 16-bit sums at x86-64-v4 where the CPU has AVX512-VNNI
  BoxBlurColumnsKernel box_blur_columns;  // the same
};

// The levels this CPU runs, best first; the baseline, last, runs everywhere.
const std::vector<KernelLevel>& kernel_levels();

inline const KernelLevel& best_kernel_level() { return kernel_levels().front(); }

}  // namespace fastssl
