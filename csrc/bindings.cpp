// fastssl._C: the CPU engine's Python surface. Thin: argument checks, buffer
// plumbing and GIL release; the work lives in csrc/cpu.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <tuple>
#include <vector>

#include <jpeglib.h>

#include "fastssl/color.h"
#include "fastssl/jpeg_decode.h"
#include "fastssl/resample.h"

namespace py = pybind11;

namespace {

#define FASTSSL_STR_(x) #x
#define FASTSSL_STR(x) FASTSSL_STR_(x)

// A read-only view of a bytes-like object (bytes, bytearray, memoryview, uint8 array).
struct ByteView {
  py::buffer_info info;
  const uint8_t* data() const { return static_cast<const uint8_t*>(info.ptr); }
  size_t size() const { return static_cast<size_t>(info.size) * static_cast<size_t>(info.itemsize); }
};

ByteView byte_view(const py::buffer& buffer) {
  py::buffer_info info = buffer.request();
  if (info.ndim != 1 || info.itemsize != 1 || (info.ndim == 1 && info.strides[0] != 1))
    throw py::value_error("expected a contiguous bytes-like object (bytes, bytearray, memoryview or uint8 array)");
  return ByteView{std::move(info)};
}

py::dict header_to_dict(const fastssl::JpegHeader& h) {
  py::dict d;
  d["width"] = h.width;
  d["height"] = h.height;
  d["components"] = h.components;
  d["colorspace"] = h.colorspace;
  d["progressive"] = h.progressive;
  d["scaled_width"] = h.scaled_width;
  d["scaled_height"] = h.scaled_height;
  return d;
}

using RgbArray = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>;

fastssl::Image image_of(RgbArray& array) {
  if (array.ndim() != 3 || array.shape(2) != 3 || array.shape(0) <= 0 || array.shape(1) <= 0)
    throw py::value_error("expected a non-empty (H, W, 3) uint8 array");
  return fastssl::Image{array.mutable_data(), static_cast<int>(array.shape(0)), static_cast<int>(array.shape(1)),
                        static_cast<size_t>(array.shape(1)) * 3};
}

fastssl::ConstImage const_image_of(const RgbArray& array) {
  if (array.ndim() != 3 || array.shape(2) != 3 || array.shape(0) <= 0 || array.shape(1) <= 0)
    throw py::value_error("expected a non-empty (H, W, 3) uint8 array");
  return fastssl::ConstImage{array.data(), static_cast<int>(array.shape(0)), static_cast<int>(array.shape(1)),
                             static_cast<size_t>(array.shape(1)) * 3};
}

fastssl::Interpolation interpolation_of(const std::string& name) {
  if (name == "nearest") return fastssl::Interpolation::nearest;
  if (name == "bilinear") return fastssl::Interpolation::bilinear;
  if (name == "bicubic") return fastssl::Interpolation::bicubic;
  throw py::value_error("interpolation must be nearest, bilinear or bicubic, got '" + name + "'");
}

// A view op, run as the engine runs it (on channel planes), on a copy of an (H, W, 3) array.
template <typename Op>
RgbArray on_planes(const RgbArray& src, Op op) {
  const fastssl::ConstImage in = const_image_of(src);
  fastssl::PlanesBuffer buffer;
  const fastssl::Planes planes = buffer.resize(in.height, in.width);
  fastssl::split_planes(in, planes);
  op(planes);
  RgbArray out({in.height, in.width, 3});
  fastssl::join_planes(planes, image_of(out));
  return out;
}

std::vector<std::string> kernel_level_names() {
  std::vector<std::string> names;
  for (const fastssl::KernelLevel& level : fastssl::kernel_levels()) names.emplace_back(level.name);
  return names;
}

// The kernels of the named level (kernel_levels()), or of the best one for "".
const fastssl::KernelLevel& kernel_level_of(const std::string& name) {
  for (const fastssl::KernelLevel& level : fastssl::kernel_levels())
    if (name.empty() || name == level.name) return level;
  throw py::value_error("no kernel level '" + name + "' for this CPU; it runs: " +
                        py::str(py::cast(kernel_level_names())).cast<std::string>());
}

// Single augmentation ops on copies of (H, W, 3) arrays, to test each against Pillow.
void bind_ops(py::module_& ops) {
  ops.def(
      "resample",
      [](RgbArray src, std::tuple<double, double, double, double> box, int height, int width,
         const std::string& interpolation, bool pillow13_order, const std::string& kernel, bool transposed_source) {
        auto [x0, y0, x1, y1] = box;
        fastssl::ConstImage in = const_image_of(src);
        if (!(0 <= x0 && x0 < x1 && x1 <= in.width && 0 <= y0 && y0 < y1 && y1 <= in.height))
          throw py::value_error("box must lie inside the image and be non-empty");
        if (height <= 0 || width <= 0) throw py::value_error("output size must be positive");
        const fastssl::KernelLevel& kernels = kernel_level_of(kernel);
        fastssl::ImageBuffer transposed;
        if (transposed_source) {
          transposed.resize(in.width, in.height);
          kernels.transpose(in, transposed.image());
        }
        const fastssl::ConstImage transposed_view = transposed.view();
        RgbArray out({height, width, 3});
        fastssl::resample(in, fastssl::Box{x0, y0, x1, y1}, interpolation_of(interpolation), image_of(out),
                          pillow13_order ? fastssl::PassOrder::pillow13 : fastssl::PassOrder::horizontal_first, {},
                          kernels, transposed_source ? &transposed_view : nullptr);
        return out;
      },
      py::arg("src"), py::arg("box"), py::arg("height"), py::arg("width"), py::arg("interpolation"),
      py::arg("pillow13_order") = false, py::arg("kernel") = "", py::arg("transposed_source") = false,
      "Crop + resize with the best kernels for this CPU, or the named level's (kernel_levels()); "
      "transposed_source: from a transpose of all of src, as the engine does for several views.");
  ops.def(
      "transpose",
      [](RgbArray src, const std::string& kernel) {
        const fastssl::ConstImage in = const_image_of(src);
        RgbArray out({in.width, in.height, 3});
        kernel_level_of(kernel).transpose(in, image_of(out));
        return out;
      },
      py::arg("src"), py::arg("kernel") = "", "src.transpose(1, 0, 2), with the best kernel for this CPU or the named level's.");
  ops.def("kernel_levels", kernel_level_names, "The kernel levels this CPU runs, best first.");
  auto unary = [&ops](const char* name, void (*fn)(const fastssl::Planes&, float)) {
    ops.def(name, [fn](RgbArray src, float value) { return on_planes(src, [&](const fastssl::Planes& p) { fn(p, value); }); });
  };
  auto blend = [&ops](const char* name, void (*fn)(const fastssl::Planes&, float, fastssl::BlendConstantKernel)) {
    ops.def(
        name,
        [fn](RgbArray src, float factor, const std::string& kernel) {
          const fastssl::BlendConstantKernel blend_kernel = kernel_level_of(kernel).blend_constant;
          return on_planes(src, [&](const fastssl::Planes& p) { fn(p, factor, blend_kernel); });
        },
        py::arg("src"), py::arg("factor"), py::arg("kernel") = "",
        "With the best kernel for this CPU, or the named level's (kernel_levels()).");
  };
  blend("adjust_brightness", fastssl::adjust_brightness);
  blend("adjust_contrast", fastssl::adjust_contrast);
  unary("adjust_saturation", fastssl::adjust_saturation);
  ops.def(
      "gaussian_blur",
      [](RgbArray src, float sigma, const std::string& kernel) {
        const fastssl::KernelLevel& kernels = kernel_level_of(kernel);
        return on_planes(src, [&](const fastssl::Planes& p) { fastssl::gaussian_blur(p, sigma, kernels); });
      },
      py::arg("src"), py::arg("sigma"), py::arg("kernel") = "",
      "With the best kernel for this CPU, or the named level's (kernel_levels()).");
  ops.def(
      "adjust_hue",
      [](RgbArray src, float hue_factor, const std::string& kernel) {
        const fastssl::HuePlanesKernel hue_kernel = kernel_level_of(kernel).shift_hue;
        return on_planes(src, [&](const fastssl::Planes& p) { fastssl::adjust_hue(p, hue_factor, hue_kernel); });
      },
      py::arg("src"), py::arg("hue_factor"), py::arg("kernel") = "",
      "Hue shift with the best kernel for this CPU, or the named level's (kernel_levels()).");
  ops.def("solarize", [](RgbArray src, int threshold) {
    return on_planes(src, [&](const fastssl::Planes& p) { fastssl::solarize(p, threshold); });
  });
  ops.def("to_grayscale", [](RgbArray src) { return on_planes(src, fastssl::to_grayscale); });
}

}  // namespace

void bind_engine(py::module_& m);  // bind_engine.cpp

PYBIND11_MODULE(_C, m) {
  m.doc() = "fastssl's CPU engine: libjpeg-turbo decoding and fused multi-view augmentation";
  py::register_exception<fastssl::DecodeError>(m, "DecodeError", PyExc_ValueError);
  py::module_ ops = m.def_submodule("ops", "Single augmentation ops, each equal to its Pillow counterpart");
  bind_ops(ops);
  bind_engine(m);

  m.def("libjpeg_turbo_version", [] { return std::string(FASTSSL_STR(LIBJPEG_TURBO_VERSION)); },
        "Version of the libjpeg-turbo the engine was built against.");

  m.def(
      "jpeg_header",
      [](const py::buffer& data, int scale_denom, int64_t max_pixels) {
        ByteView view = byte_view(data);
        fastssl::JpegHeader h;
        {
          py::gil_scoped_release release;
          h = fastssl::read_jpeg_header(view.data(), view.size(), scale_denom, max_pixels);
        }
        return header_to_dict(h);
      },
      py::arg("data"), py::arg("scale_denom") = 1, py::arg("max_pixels"),
      "Size, components, color space and progressiveness of a JPEG, and its size at a DCT scale of "
      "1/scale_denom. Raises DecodeError (a ValueError) on bad data.");

  m.def(
      "decode_jpeg_region",
      [](const py::buffer& data, std::tuple<int, int, int, int> region, int scale_denom, int64_t max_pixels) {
        ByteView view = byte_view(data);
        auto [x0, y0, x1, y1] = region;
        fastssl::Bytes pixels;
        fastssl::DecodedRegion got;
        {
          py::gil_scoped_release release;
          got = fastssl::decode_jpeg_rgb_region(view.data(), view.size(), scale_denom, max_pixels,
                                                fastssl::Region{x0, y0, x1, y1}, pixels);
        }
        py::array_t<uint8_t> out({got.height, got.width, 3});
        std::copy_n(pixels.data(), static_cast<size_t>(got.height) * got.width * 3, out.mutable_data());
        return py::make_tuple(out, got.x0, got.y0);
      },
      py::arg("data"), py::arg("region"), py::arg("scale_denom") = 1, py::arg("max_pixels"),
      "Decodes the rectangle (x0, y0, x1, y1) of the image scaled by 1/scale_denom; returns (pixels, x0, y0): "
      "the decoded columns may start left of x0 (an iMCU boundary). Pixels equal a full decode's.");

  m.def(
      "decode_jpeg",
      [](const py::buffer& data, int scale_denom, int64_t max_pixels) {
        ByteView view = byte_view(data);
        fastssl::JpegHeader h;
        {
          py::gil_scoped_release release;
          h = fastssl::read_jpeg_header(view.data(), view.size(), scale_denom, max_pixels);
        }
        py::array_t<uint8_t> out({h.scaled_height, h.scaled_width, 3});
        uint8_t* ptr = out.mutable_data();
        {
          py::gil_scoped_release release;
          fastssl::decode_jpeg_rgb(view.data(), view.size(), scale_denom, max_pixels, ptr, h.scaled_height,
                                   h.scaled_width);
        }
        return out;
      },
      py::arg("data"), py::arg("scale_denom") = 1, py::arg("max_pixels"),
      "Decodes a JPEG to an (H, W, 3) uint8 RGB array, DCT-scaled by 1/scale_denom (1, 2, 4, 8). "
      "Grayscale is expanded and CMYK/YCCK converted like Pillow's convert('RGB'); truncated data "
      "raises DecodeError.");
}
