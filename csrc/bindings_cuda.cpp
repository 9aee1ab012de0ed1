// fastssl._C_cuda: CUDA kernels on raw device pointers and a caller-given stream
// (no libtorch linkage; Python passes tensor.data_ptr() and stream handles).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <string>

#include "fastssl/normalize_cuda.h"

namespace py = pybind11;

namespace {

struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw CudaError(std::string(what) + ": " + cudaGetErrorString(status));
}

}  // namespace

PYBIND11_MODULE(_C_cuda, m) {
  m.doc() = "fastssl's CUDA kernels";
  py::register_exception<CudaError>(m, "CudaError", PyExc_RuntimeError);

  m.def("cuda_runtime_version", [] {
    int version = 0;
    check(cudaRuntimeGetVersion(&version), "cudaRuntimeGetVersion");
    return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
  });

  m.def(
      "normalize_hwc_u8_to_chw_f32",
      [](uintptr_t src, uintptr_t dst, int batch, int height, int width, std::array<float, 3> mean,
         std::array<float, 3> std, uintptr_t stream) {
        if (batch < 0 || height <= 0 || width <= 0)
          throw py::value_error("batch must be >= 0 and height, width > 0");
        if (src == 0 || dst == 0) throw py::value_error("null device pointer");
        for (float s : std)
          if (!(s > 0.0f)) throw py::value_error("std must be positive");
        py::gil_scoped_release release;
        check(fastssl::launch_normalize_hwc_u8_to_chw_f32(
                  reinterpret_cast<const uint8_t*>(src), reinterpret_cast<float*>(dst), batch, height, width,
                  mean.data(), std.data(), reinterpret_cast<cudaStream_t>(stream)),
              "normalize kernel launch");
      },
      py::arg("src"), py::arg("dst"), py::arg("batch"), py::arg("height"), py::arg("width"), py::arg("mean"),
      py::arg("std"), py::arg("stream"),
      "(x / 255 - mean) / std from a uint8 (N, H, W, 3) device buffer into a float32 (N, 3, H, W) one.");
}
