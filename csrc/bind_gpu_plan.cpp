// fastssl._C.Engine.plan_gpu: a batch's GPU jobs, planned on the host from the
// engine's parameters, for fastssl._C_cuda.render_jobs (or run_on_cpu in tests).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <type_traits>

#include "fastssl/gpu_plan.h"

namespace py = pybind11;
using fastssl::gpu::Job;

static_assert(std::is_trivially_copyable<Job>::value, "jobs travel to the GPU as bytes");

namespace {

using Int64Array = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;
constexpr int64_t kMaxSide = 1 << 20;
using UInt64Array = py::array_t<uint64_t, py::array::c_style | py::array::forcecast>;

py::dict schedule_dict(const fastssl::gpu::Schedule& s) {
  py::dict d;
  d["num_jobs"] = s.num_jobs;
  d["max_pass1_pixels"] = s.max_pass1_pixels;
  d["max_pixels"] = s.max_pixels;
  d["num_stages"] = s.num_stages;
  d["pointwise_stages"] = s.pointwise_stages;
  d["blur_stages"] = s.blur_stages;
  return d;
}

}  // namespace

void bind_gpu_plan(py::module_& m, py::class_<fastssl::Engine>& engine) {
  m.attr("GPU_JOB_BYTES") = sizeof(Job);
  py::class_<fastssl::GpuPlan>(m, "GpuPlan", "A batch's GPU jobs (see csrc/include/fastssl/gpu_jobs.h).")
      .def_property_readonly("jobs",
                             [](const fastssl::GpuPlan& p) {
                               py::array_t<uint8_t> bytes(static_cast<py::ssize_t>(p.jobs.size() * sizeof(Job)));
                               if (!p.jobs.empty()) std::memcpy(bytes.mutable_data(), p.jobs.data(), bytes.size());
                               return bytes;
                             })
      .def_property_readonly("schedule", [](const fastssl::GpuPlan& p) { return schedule_dict(p.schedule); })
      .def_readonly("temp_bytes", &fastssl::GpuPlan::temp_bytes)
      .def_readonly("work_bytes", &fastssl::GpuPlan::work_bytes)
      .def(
          "run_on_cpu",
          [](const fastssl::GpuPlan& p) {
            py::gil_scoped_release release;
            fastssl::run_plan_on_cpu(p);
          },
          "Executes the jobs with the kernels' per-pixel code on the CPU (sources and outputs must be host "
          "addresses).");

  engine.def(
      "plan_gpu",
      [](const fastssl::Engine& e, const Int64Array& samples, const Int64Array& rows, const Int64Array& heights,
         const Int64Array& widths, const UInt64Array& sources, uint64_t epoch, const std::vector<uint64_t>& outputs) {
        const size_t n = static_cast<size_t>(samples.size());
        for (const py::array* a : {static_cast<const py::array*>(&rows), static_cast<const py::array*>(&heights),
                                   static_cast<const py::array*>(&widths), static_cast<const py::array*>(&sources)})
          if (a->ndim() != 1 || static_cast<size_t>(a->size()) != n)
            throw py::value_error("samples, rows, heights, widths and sources must be 1-d and of equal length");
        for (uint64_t address : outputs)
          if (address == 0) throw py::value_error("null output address");
        std::vector<fastssl::GpuItem> items(n);
        for (size_t i = 0; i < n; ++i) {
          if (sources.data()[i] == 0) throw py::value_error("null source address for item " + std::to_string(i));
          if (heights.data()[i] <= 0 || widths.data()[i] <= 0 || heights.data()[i] > kMaxSide || widths.data()[i] > kMaxSide)
            throw py::value_error("image " + std::to_string(i) + " has an impossible size");
          items[i] = {samples.data()[i], rows.data()[i], static_cast<int>(heights.data()[i]),
                      static_cast<int>(widths.data()[i]), sources.data()[i]};
        }
        py::gil_scoped_release release;
        return fastssl::plan_gpu_batch(e, items, epoch, outputs);
      },
      py::arg("samples"), py::arg("rows"), py::arg("heights"), py::arg("widths"), py::arg("sources"),
      py::arg("epoch"), py::arg("outputs"),
      "Plans every view of samples[i] (a planar (3, heights[i], widths[i]) uint8 image at sources[i]) into row "
      "rows[i] of the buffer at outputs[v], with the parameters run() draws.");
}
