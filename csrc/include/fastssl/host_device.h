// FASTSSL_HD marks arithmetic that the CPU engine and the CUDA kernels share, so
// that both compute the same bytes from one definition.
#pragma once

#ifdef __CUDACC__
#define FASTSSL_HD __host__ __device__ __forceinline__
#else
#define FASTSSL_HD inline
#endif
