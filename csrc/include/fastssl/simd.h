// Hot loops are written to auto-vectorize; FASTSSL_VECTORIZED additionally
// compiles an AVX2 clone of a function, chosen at load time on CPUs that have
// it, while the baseline (SSE2) version keeps the module portable.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define FASTSSL_VECTORIZED __attribute__((target_clones("avx2", "default")))
#else
#define FASTSSL_VECTORIZED
#endif
