// fastssl._C_cuda: CUDA kernels on raw device pointers and a caller-given stream
// (no libtorch linkage; Python passes tensor.data_ptr() and stream handles).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <string>

#include "fastssl/augment_cuda.h"
#include "fastssl/normalize_cuda.h"

namespace py = pybind11;

namespace {

struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw CudaError(std::string(what) + ": " + cudaGetErrorString(status));
}

// A bad address would poison the process's CUDA context: refuse anything that is
// not memory of `device` before launching.
template <typename T>
T* device_pointer(uintptr_t address, int device, const char* name) {
  if (address == 0) throw py::value_error(std::string("null device pointer: ") + name);
  cudaPointerAttributes attributes{};
  check(cudaPointerGetAttributes(&attributes, reinterpret_cast<void*>(address)), name);
  const bool on_device = attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
  if (!on_device || attributes.device != device)
    throw py::value_error(std::string(name) + " is not memory of CUDA device " + std::to_string(device));
  return reinterpret_cast<T*>(address);
}

int schedule_int(const py::dict& schedule, const char* key) {
  if (!schedule.contains(key)) throw py::value_error(std::string("schedule is missing '") + key + "'");
  const int64_t value = schedule[key].cast<int64_t>();
  if (value < 0 || value > INT32_MAX) throw py::value_error(std::string("schedule '") + key + "' out of range");
  return static_cast<int>(value);
}

fastssl::gpu::Schedule parse_schedule(const py::dict& d) {
  fastssl::gpu::Schedule s;
  s.num_jobs = schedule_int(d, "num_jobs");
  s.max_pass1_pixels = schedule_int(d, "max_pass1_pixels");
  s.max_pixels = schedule_int(d, "max_pixels");
  s.num_stages = schedule_int(d, "num_stages");
  s.pointwise_stages = d["pointwise_stages"].cast<uint32_t>();
  s.blur_stages = d["blur_stages"].cast<uint32_t>();
  if (s.num_stages > fastssl::gpu::kMaxStages) throw py::value_error("too many stages");
  return s;
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

  m.attr("GPU_JOB_BYTES") = sizeof(fastssl::gpu::Job);
  m.attr("GPU_MAX_STAGES") = fastssl::gpu::kMaxStages;

  m.def(
      "render_jobs",
      [](uintptr_t jobs, size_t jobs_bytes, const py::dict& schedule, uintptr_t temp, uintptr_t work_a,
         uintptr_t work_b, uintptr_t luma, int device, uintptr_t stream) {
        const fastssl::gpu::Schedule s = parse_schedule(schedule);
        if (jobs_bytes != static_cast<size_t>(s.num_jobs) * sizeof(fastssl::gpu::Job))
          throw py::value_error("jobs_bytes does not hold schedule['num_jobs'] jobs (a plan from another build?)");
        if (s.num_jobs == 0) return;
        // This module has its own (static) CUDA runtime: select the device here, not only in torch.
        check(cudaSetDevice(device), "cudaSetDevice");
        fastssl::gpu::Buffers buffers;
        buffers.temp = s.max_pass1_pixels > 0 ? device_pointer<uint8_t>(temp, device, "temp") : nullptr;
        buffers.work_a = device_pointer<uint8_t>(work_a, device, "work_a");
        buffers.work_b = device_pointer<uint8_t>(work_b, device, "work_b");
        buffers.luma = device_pointer<unsigned long long>(luma, device, "luma");
        const auto* device_jobs = device_pointer<const fastssl::gpu::Job>(jobs, device, "jobs");
        py::gil_scoped_release release;
        check(fastssl::launch_render_jobs(device_jobs, s, buffers, reinterpret_cast<cudaStream_t>(stream)),
              "render kernels launch");
      },
      py::arg("jobs"), py::arg("jobs_bytes"), py::arg("schedule"), py::arg("temp"), py::arg("work_a"),
      py::arg("work_b"), py::arg("luma"), py::arg("device"), py::arg("stream"),
      "Runs a GpuPlan (fastssl._C.Engine.plan_gpu) on `stream` of CUDA device `device`: its jobs (jobs_bytes "
      "bytes), buffers of the plan's temp_bytes and work_bytes (twice) and num_jobs * GPU_MAX_STAGES uint64 "
      "sums, all device addresses. The sources and outputs the jobs name must be memory of that device.");

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
