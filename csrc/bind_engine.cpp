// fastssl._C.Engine: views as plain dicts (from fastssl.transforms.spec), batch
// buffers as numpy arrays written in place with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "fastssl/engine.h"

namespace py = pybind11;
using fastssl::OpKind;

namespace {

fastssl::Interpolation parse_interpolation(const std::string& name) {
  if (name == "nearest") return fastssl::Interpolation::nearest;
  if (name == "bilinear") return fastssl::Interpolation::bilinear;
  if (name == "bicubic") return fastssl::Interpolation::bicubic;
  throw py::value_error("interpolation must be nearest, bilinear or bicubic, got '" + name + "'");
}

fastssl::PassOrder parse_pass_order(const std::string& name) {
  if (name == "horizontal_first") return fastssl::PassOrder::horizontal_first;
  if (name == "pillow13") return fastssl::PassOrder::pillow13;
  throw py::value_error("resample_order must be 'horizontal_first' or 'pillow13', got '" + name + "'");
}

const std::pair<const char*, OpKind> kOpNames[] = {
    {"hflip", OpKind::hflip},         {"vflip", OpKind::vflip}, {"color_jitter", OpKind::color_jitter},
    {"grayscale", OpKind::grayscale}, {"blur", OpKind::blur},   {"solarize", OpKind::solarize}};

OpKind parse_kind(const std::string& name) {
  for (const auto& [n, kind] : kOpNames)
    if (name == n) return kind;
  throw py::value_error("unknown op kind '" + name + "'");
}

const char* kind_name(OpKind kind) {
  for (const auto& [n, k] : kOpNames)
    if (k == kind) return n;
  return "?";
}

template <typename T>
T get(const py::dict& d, const char* key) {
  if (!d.contains(key)) throw py::value_error(std::string("view spec is missing '") + key + "'");
  return d[key].cast<T>();
}

fastssl::ViewSpec parse_view(const py::dict& d) {
  fastssl::ViewSpec v;
  v.height = get<int>(d, "height");
  v.width = get<int>(d, "width");
  std::tie(v.scale_min, v.scale_max) = get<std::pair<double, double>>(d, "scale");
  std::tie(v.ratio_min, v.ratio_max) = get<std::pair<double, double>>(d, "ratio");
  v.interpolation = parse_interpolation(get<std::string>(d, "interpolation"));
  for (const py::handle& item : get<py::list>(d, "ops")) {
    const py::dict o = item.cast<py::dict>();
    fastssl::OpSpec op;
    op.kind = parse_kind(get<std::string>(o, "kind"));
    const py::object prob = o.contains("prob") ? py::object(o["prob"]) : py::object(py::none());
    op.always = prob.is_none();
    op.prob = op.always ? 1.0 : prob.cast<double>();
    if (op.kind == OpKind::color_jitter) {
      op.brightness = get<double>(o, "brightness");
      op.contrast = get<double>(o, "contrast");
      op.saturation = get<double>(o, "saturation");
      op.hue = get<double>(o, "hue");
    }
    if (op.kind == OpKind::blur) std::tie(op.sigma_min, op.sigma_max) = get<std::pair<double, double>>(o, "sigmas");
    if (op.kind == OpKind::solarize) op.threshold = get<double>(o, "threshold");
    v.ops.push_back(op);
  }
  const py::object mean = d.contains("mean") ? py::object(d["mean"]) : py::object(py::none());
  v.normalize = !mean.is_none();
  if (v.normalize) {
    v.mean = mean.cast<std::array<float, 3>>();
    v.std = get<std::array<float, 3>>(d, "std");
  }
  return v;
}

py::dict params_to_dict(const fastssl::ViewParams& p) {
  py::list ops;
  for (const fastssl::OpParams& op : p.ops) {
    py::dict o;
    o["kind"] = kind_name(op.kind);
    if (op.kind == OpKind::color_jitter) {
      static const char* names[4] = {"brightness", "contrast", "saturation", "hue"};
      py::list order;
      for (int k : op.order)
        if (op.enabled[k]) order.append(py::make_tuple(names[k], op.factors[k]));
      o["adjustments"] = order;  // applied in this order
    }
    if (op.kind == OpKind::blur) o["sigma"] = op.sigma;
    if (op.kind == OpKind::solarize) o["threshold"] = op.threshold;
    ops.append(o);
  }
  py::dict d;
  d["box"] = py::make_tuple(p.x0, p.y0, p.x0 + p.crop_width, p.y0 + p.crop_height);
  d["ops"] = ops;
  return d;
}

fastssl::ConstImage decoded_image(const py::handle& obj) {
  auto array = py::array_t<uint8_t, py::array::c_style>::ensure(obj);
  if (!array || array.ndim() != 3 || array.shape(2) != 3 || array.shape(0) <= 0 || array.shape(1) <= 0)
    throw py::value_error("decoded images must be C-contiguous (H, W, 3) uint8 arrays");
  return fastssl::ConstImage{array.data(), static_cast<int>(array.shape(0)), static_cast<int>(array.shape(1)),
                             static_cast<size_t>(array.shape(1)) * 3};
}

}  // namespace

void bind_gpu_plan(py::module_& m, py::class_<fastssl::Engine>& engine);  // bind_gpu_plan.cpp

void bind_engine(py::module_& m) {
  py::class_<fastssl::Engine> engine(m, "Engine",
                                     "Decodes each image once and renders all its views into batch buffers.");
  engine.def(py::init([](const py::list& views, std::vector<std::string> paths, uint64_t seed, int num_threads,
                       const std::string& output, bool dct_scaling, int64_t max_pixels,
                       const std::string& resample_order) {
             fastssl::EngineConfig config;
             for (const py::handle& v : views) config.views.push_back(parse_view(v.cast<py::dict>()));
             config.seed = seed;
             config.num_threads = num_threads;
             if (output != "uint8" && output != "float32")
               throw py::value_error("output must be 'uint8' or 'float32', got '" + output + "'");
             config.output = output == "uint8" ? fastssl::OutputType::uint8 : fastssl::OutputType::float32;
             config.dct_scaling = dct_scaling;
             config.max_pixels = max_pixels;
             config.resample_order = parse_pass_order(resample_order);
             return std::make_unique<fastssl::Engine>(std::move(config), std::move(paths));
           }),
           py::arg("views"), py::arg("paths"), py::arg("seed"), py::arg("num_threads"), py::arg("output"),
           py::arg("dct_scaling"), py::arg("max_pixels"), py::arg("resample_order") = "horizontal_first")
      .def("__len__", &fastssl::Engine::size)
      .def(
          "params",
          [](const fastssl::Engine& e, int64_t sample, uint64_t epoch, int view, int height, int width) {
            if (view < 0 || view >= static_cast<int>(e.config().views.size())) throw py::index_error("no such view");
            if (height <= 0 || width <= 0) throw py::value_error("image size must be positive");
            return params_to_dict(e.params(sample, epoch, view, height, width));
          },
          py::arg("sample"), py::arg("epoch"), py::arg("view"), py::arg("height"), py::arg("width"),
          "The random parameters of one view of one sample, as drawn by run().")
      .def(
          "run",
          [](fastssl::Engine& e, const py::array_t<int64_t, py::array::c_style | py::array::forcecast>& samples,
             const py::array_t<int64_t, py::array::c_style | py::array::forcecast>& rows, uint64_t epoch,
             const py::list& outputs, const py::list& decoded) {
            const size_t n = static_cast<size_t>(samples.size());
            if (samples.ndim() != 1 || rows.ndim() != 1 || static_cast<size_t>(rows.size()) != n ||
                decoded.size() != n)
              throw py::value_error("samples, rows and decoded must be 1-d and of equal length");
            const auto& views = e.config().views;
            if (outputs.size() != views.size())
              throw py::value_error("expected " + std::to_string(views.size()) + " output arrays, one per view");
            const bool as_float = e.config().output == fastssl::OutputType::float32;
            std::vector<void*> buffers;
            int64_t capacity = -1;
            for (size_t v = 0; v < views.size(); ++v) {
              py::array a = outputs[v].cast<py::array>();
              const bool dtype_ok = as_float ? a.dtype().is(py::dtype::of<float>()) : a.dtype().is(py::dtype::of<uint8_t>());
              if (!dtype_ok || a.ndim() != 4 || a.shape(1) != 3 || a.shape(2) != views[v].height ||
                  a.shape(3) != views[v].width || !(a.flags() & py::array::c_style) || !a.writeable())
                throw py::value_error("output " + std::to_string(v) + " must be a writeable C-contiguous " +
                                      (as_float ? "float32" : "uint8") + " array of shape (N, 3, " +
                                      std::to_string(views[v].height) + ", " + std::to_string(views[v].width) + ")");
              capacity = capacity < 0 ? a.shape(0) : std::min<int64_t>(capacity, a.shape(0));
              buffers.push_back(a.mutable_data());
            }
            std::vector<fastssl::BatchItem> items(n);
            const int64_t* s = samples.data();
            const int64_t* r = rows.data();
            for (size_t i = 0; i < n; ++i) {
              if (r[i] < 0 || r[i] >= capacity) throw py::index_error("row " + std::to_string(r[i]) + " out of range");
              items[i].sample = s[i];
              items[i].row = r[i];
              if (!decoded[i].is_none()) items[i].decoded = decoded_image(decoded[i]);
            }
            std::vector<fastssl::ItemError> errors;
            {
              py::gil_scoped_release release;
              errors = e.run(items, epoch, buffers);
            }
            py::list failed;
            for (const auto& err : errors) failed.append(py::make_tuple(err.item, err.not_jpeg, err.message));
            return failed;
          },
          py::arg("samples"), py::arg("rows"), py::arg("epoch"), py::arg("outputs"), py::arg("decoded"),
          "Renders every view of samples[i] into row rows[i] of outputs[v]; decoded[i] is None (read and "
          "decode the file) or an (H, W, 3) uint8 array. Returns [(i, not_jpeg, message)] for failed items.");
  bind_gpu_plan(m, engine);
}
