#include "fastssl/kernel_levels.h"

namespace fastssl {

const std::vector<KernelLevel>& kernel_levels() {
  static const std::vector<KernelLevel> levels = [] {
    std::vector<KernelLevel> found;
#ifdef FASTSSL_X86_LEVELS
    if (__builtin_cpu_supports("x86-64-v4")) {
      const bool vbmi = __builtin_cpu_supports("avx512vbmi");
      const bool vnni = __builtin_cpu_supports("avx512vnni");
      found.push_back({"x86-64-v4", shift_hue_planes_x86_64_v4, weighted_rows_x86_64_v4,
                       vbmi ? blend_constant_byte_table : blend_constant_arithmetic,
                       vbmi ? transpose_in_tiles_of_16 : transpose_in_blocks_of_4,
                       vnni ? box_blur_rows_16bit : box_blur_rows_32bit,
                       vnni ? box_blur_columns_16bit : box_blur_columns_32bit});
    }
    if (__builtin_cpu_supports("x86-64-v3"))
      found.push_back({"x86-64-v3", shift_hue_planes_x86_64_v3, weighted_rows_x86_64_v3, blend_constant_arithmetic,
                       transpose_in_blocks_of_4, box_blur_rows_32bit, box_blur_columns_32bit});
#endif
    found.push_back({"baseline", shift_hue_planes_baseline, weighted_rows_baseline, blend_constant_arithmetic,
                     transpose_in_blocks_of_4, box_blur_rows_32bit, box_blur_columns_32bit});
    return found;
  }();
  return levels;
}

}  // namespace fastssl
