// Hot loops are written to auto-vectorize; FASTSSL_VECTORIZED additionally
// compiles AVX-512 (x86-64-v4) and AVX2 clones of a function, the best one
// chosen at load time, while the baseline (SSE2) version keeps the module portable.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define FASTSSL_VECTORIZED __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define FASTSSL_VECTORIZED
#endif

#include <cstddef>
#include <cstdint>

// In the translation units compiled once per level (kernel_levels.h), the name of
// this level's copy of a kernel: CMakeLists.txt defines FASTSSL_KERNEL_LEVEL
// (baseline, x86_64_v3, x86_64_v4) from the level, not from the flags, so that
// extra flags such as -march=native still give every level its one definition.
#define FASTSSL_LEVEL_NAME_(kernel, level) kernel##_##level
#define FASTSSL_LEVEL_NAME(kernel, level) FASTSSL_LEVEL_NAME_(kernel, level)
#ifdef FASTSSL_KERNEL_LEVEL  // elsewhere FASTSSL_KERNEL_NAME stays undefined: a compile error, not a wrong name
#define FASTSSL_KERNEL_NAME(kernel) FASTSSL_LEVEL_NAME(kernel, FASTSSL_KERNEL_LEVEL)
#endif

namespace fastssl {

// 16 bytes as one generic vector: every x86-64 level (and NEON) holds it in a
// register, so its shuffles stay vector code in every clone.
using Bytes16 = uint8_t __attribute__((vector_size(16)));

// The first n of 64 bytes (all of them for n >= 64) as an AVX-512 byte mask
// (__mmask64), for masked loads and stores that touch nothing past a row.
// Static: the per-level units include this header too (hue_planes.h says why).
static inline uint64_t first_bytes(size_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

}  // namespace fastssl
