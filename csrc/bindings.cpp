// fastssl._C: the CPU engine's Python surface. Thin: argument checks, buffer
// plumbing and GIL release; the work lives in csrc/cpu.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <jpeglib.h>

#include "fastssl/jpeg_decode.h"

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

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "fastssl's CPU engine (libjpeg-turbo decoding; fused augmentation to come)";
  py::register_exception<fastssl::DecodeError>(m, "DecodeError", PyExc_ValueError);

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
